#!/usr/bin/env node
// Builds the prebuilt binaries shipped in the npm package: prebuilds/linux-<arch>/npuquant.node for
// x64 (the host's g++), arm64 (Debian's aarch64-linux-gnu-g++) and riscv64 (clang >= 16 + lld), each
// with libstdc++/libgcc linked in (NPUQ_PORTABLE), stripped, and checked for the newest glibc symbol
// version it needs. Nothing is downloaded: the Node-API headers come from node-api-headers and
// node-addon-api (package.json binary.napi_versions).
//
// Usage: node scripts/prebuild.js [x64] [arm64] [riscv64]     (default: all three)
// Env: NPUQ_BUILD_JOBS (default 2). Build folders: build-prebuild-<arch>/ (git-ignored).
// Needs an x86_64 Debian/Ubuntu host with: cmake g++ g++-aarch64-linux-gnu clang-16 lld-16
// libc6-dev-riscv64-cross libstdc++-12-dev-riscv64-cross libgcc-12-dev-riscv64-cross.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const jobs = process.env.NPUQ_BUILD_JOBS || '2';
/** Node 20 and 22's official Linux binaries need glibc 2.28; a prebuilt addon must not need more. */
const MAX_GLIBC = '2.28';

const TARGETS = {
  x64: { toolchain: null, strip: ['strip'], packages: 'cmake g++' },
  arm64: { toolchain: 'cmake/toolchains/aarch64-linux-gnu.cmake', strip: ['aarch64-linux-gnu-strip'], packages: 'cmake g++-aarch64-linux-gnu' },
  riscv64: {
    toolchain: 'cmake/toolchains/riscv64-linux-gnu.cmake',
    strip: ['llvm-strip-16', 'llvm-strip-17', 'llvm-strip-18', 'llvm-strip', 'riscv64-linux-gnu-strip'],
    packages: 'cmake clang-16 lld-16 libc6-dev-riscv64-cross libstdc++-12-dev-riscv64-cross libgcc-12-dev-riscv64-cross',
  },
};

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Compares dotted versions ("2.17" < "2.34"). */
function cmpVersion(a, b) {
  const x = a.split('.').map(Number), y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] || 0) - (y[i] || 0);
    if (d) return d;
  }
  return 0;
}

/**
 * What a shared object needs from the system: NEEDED libraries and, from .gnu.version_r, the
 * highest version of each versioned library (GLIBC_, GLIBCXX_, CXXABI_, GCC_).
 */
function elfNeeds(file) {
  const dyn = spawnSync('readelf', ['-d', '-W', file], { encoding: 'utf8' });
  const ver = spawnSync('readelf', ['-V', '-W', file], { encoding: 'utf8' });
  if (dyn.status !== 0 || ver.status !== 0) throw new Error(`readelf failed on ${file}: ${dyn.stderr || ver.stderr}`);
  const needed = [...dyn.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const highest = {};
  for (const m of ver.stdout.matchAll(/Name: ([A-Z]+)_([0-9.]+)/g)) {
    const [, lib, v] = m;
    if (!highest[lib] || cmpVersion(v, highest[lib]) > 0) highest[lib] = v;
  }
  return { needed, highest };
}

function build(arch) {
  const t = TARGETS[arch];
  const dir = path.join(root, `build-prebuild-${arch}`);
  const logFile = `${dir}.log`;
  const strip = t.strip.map(which).find(Boolean);
  if (!strip) throw new Error(`no strip tool for ${arch} (tried ${t.strip.join(', ')}); install: apt-get install ${t.packages}`);
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  const args = [cmakeJs, 'compile', '--out', dir, '--arch', arch, '--parallel', jobs, '--CDNPUQ_PORTABLE=ON'];
  if (t.toolchain) args.push(`--CDCMAKE_TOOLCHAIN_FILE=${path.join(root, t.toolchain)}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  fs.writeFileSync(logFile, `${r.stdout || ''}${r.stderr || ''}`);
  if (r.status !== 0) {
    const tail = `${r.stdout || ''}${r.stderr || ''}`.split('\n').slice(-25).join('\n');
    throw new Error(`the ${arch} build failed (see ${path.relative(root, logFile)}); it needs: apt-get install ${t.packages}\n${tail}`);
  }
  const rvvOff = /no RVV 1\.0 intrinsics/.test(r.stdout + r.stderr);
  const built = path.join(dir, 'Release', 'npuquant.node');
  const outDir = path.join(root, 'prebuilds', `linux-${arch}`);
  fs.mkdirSync(outDir, { recursive: true });
  const out = path.join(outDir, 'npuquant.node');
  fs.copyFileSync(built, out);
  const s = spawnSync(strip, ['--strip-unneeded', out], { encoding: 'utf8' });
  if (s.status !== 0) throw new Error(`${strip} failed on ${out}: ${s.stderr}`);
  const needs = elfNeeds(out);
  return { arch, out, strip, seconds: (Date.now() - started) / 1000, bytes: fs.statSync(out).size, needs, rvvOff };
}

/** Loads the host binary in a fresh process, as the installed package would. */
function loadCheck(file) {
  const r = spawnSync(process.execPath, ['-e', `const a = require(${JSON.stringify(file)}); console.log(JSON.stringify(a.capabilities()))`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} does not load: ${r.stderr.trim()}`);
  const caps = JSON.parse(r.stdout);
  return `isa ${caps.isa} (${caps.isas.join(', ')})`;
}

function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    console.error(`prebuild: this script cross-builds from an x86_64 Linux host; this is ${process.platform}-${process.arch}`);
    process.exit(1);
  }
  const wanted = process.argv.slice(2);
  for (const a of wanted) {
    if (!TARGETS[a]) {
      console.error(`prebuild: unknown target "${a}"; expected some of ${Object.keys(TARGETS).join(', ')}`);
      process.exit(2);
    }
  }
  const archs = wanted.length ? wanted : Object.keys(TARGETS);
  let failures = 0;
  for (const arch of archs) {
    process.stdout.write(`prebuild linux-${arch}: building ...\n`);
    try {
      const b = build(arch);
      const glibc = b.needs.highest.GLIBC || '?';
      // libgcc_s (GCC_*) is on every system with a C compiler runtime; libstdc++ (GLIBCXX_*, CXXABI_*)
      // must not be needed since it is linked in.
      const cxx = Object.keys(b.needs.highest).filter((k) => k === 'GLIBCXX' || k === 'CXXABI');
      let line = `prebuild linux-${arch}: ${path.relative(root, b.out)} ${(b.bytes / 1024).toFixed(0)} KiB, ` +
        `${b.seconds.toFixed(0)} s, stripped with ${path.basename(b.strip)}; needs glibc >= ${glibc} ` +
        `(highest symbol GLIBC_${glibc}); libraries: ${b.needs.needed.join(' ')}`;
      if (cxx.length) throw new Error(`${line}; it needs libstdc++ symbols ${cxx.map((k) => `${k}_${b.needs.highest[k]}`).join(', ')} although libstdc++ should be linked in`);
      if (cmpVersion(glibc, MAX_GLIBC) > 0) {
        throw new Error(`${line}; that is newer than glibc ${MAX_GLIBC}, which Node's own binaries need. ` +
          'Find the symbols with "objdump -T" and bind them to old versions in native/portable/glibc-compat.cc (and the --wrap list in CMakeLists.txt)');
      }
      if (b.rvvOff) line += '; WARNING: RVV kernels are off (the compiler lacks RVV 1.0 intrinsics)';
      if (arch === process.arch) line += `; loads here: ${loadCheck(b.out)}`;
      console.log(line);
    } catch (e) {
      failures++;
      console.error(`prebuild linux-${arch}: FAILED: ${e.message}`);
    }
  }
  process.exit(failures ? 1 : 0);
}

main();
