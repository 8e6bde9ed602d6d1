#!/usr/bin/env node
// npm install hook: use the prebuilt binary from prebuilds/<platform>-<arch>/ when one matches and
// loads; otherwise build the addon from source with cmake-js. Nothing is downloaded: the Node-API
// headers come from the node-api-headers and node-addon-api packages (package.json
// binary.napi_versions), so a source build needs only cmake and a C++17 compiler.
// Env: NPUQ_FORCE_BUILD=1 builds from source even when a prebuilt binary loads;
//      NPUQ_BUILD_JOBS (default 2) sets the build's parallel jobs.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const NAPI_VERSION = 8;
const platformArch = `${process.platform}-${process.arch}`;
const prebuilt = path.join(root, 'prebuilds', platformArch, 'npuquant.node');
const forced = process.env.NPUQ_FORCE_BUILD === '1';

function log(msg) {
  process.stderr.write(`npuquant: ${msg}\n`);
}

/** Whether this Node can start itself as a child (not under user-mode emulation without binfmt). */
function canSpawnSelf() {
  const r = spawnSync(process.execPath, ['-e', 'process.exit(0)'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/**
 * Loads an addon in a child process (a broken binary must not take the installer down), or in this
 * process when this Node cannot start itself.
 */
function loads(file) {
  if (!canSpawnSelf()) {
    try {
      require(file).capabilities();
      return { ok: true };
    } catch (e) {
      return { ok: false, why: String(e.message).split('\n')[0] };
    }
  }
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)}).capabilities()`], { encoding: 'utf8' });
  if (r.status === 0) return { ok: true };
  const why = (r.stderr || '').split('\n').find((l) => /Error|error:/.test(l)) || `exit code ${r.status}, signal ${r.signal}`;
  return { ok: false, why: why.trim() };
}

function which(cmd) {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  for (const d of dirs) {
    const f = path.join(d, cmd);
    try {
      fs.accessSync(f, fs.constants.X_OK);
      if (fs.statSync(f).isFile()) return f;
    } catch {
      // not here
    }
  }
  return null;
}

/** How to get cmake and a C++ compiler on this system, as one line. */
function installHint() {
  if (process.platform === 'darwin') return 'install the Xcode command line tools ("xcode-select --install") and cmake ("brew install cmake")';
  if (process.platform === 'win32') return 'install Visual Studio Build Tools with the "Desktop development with C++" workload, and cmake';
  return 'install them with your package manager, e.g. "sudo apt-get install cmake g++" (Debian, Ubuntu, Raspberry Pi OS), ' +
    '"sudo dnf install cmake gcc-c++" (Fedora), "sudo apk add cmake g++ make" (Alpine)';
}

function fail(msg) {
  log(msg);
  process.exit(1);
}

function main() {
  if (!forced && fs.existsSync(prebuilt)) {
    const r = loads(prebuilt);
    if (r.ok) {
      log(`using the prebuilt binary for ${platformArch} (prebuilds/${platformArch}/npuquant.node)`);
      return;
    }
    log(`the prebuilt binary for ${platformArch} does not load here (${r.why}); building from source with cmake-js; needs cmake and a C++17 compiler`);
  } else if (forced) {
    log(`NPUQ_FORCE_BUILD=1: building from source with cmake-js; needs cmake and a C++17 compiler`);
  } else {
    log(`no prebuilt binary for ${platformArch} (node-api ${NAPI_VERSION}); building from source with cmake-js; needs cmake and a C++17 compiler`);
  }

  const napi = Number(process.versions.napi || 0);
  if (napi < NAPI_VERSION) fail(`this Node.js (${process.version}) has Node-API ${napi}; npuquant needs Node-API ${NAPI_VERSION} (Node.js >= 20). Upgrade Node.js.`);

  const missing = [];
  if (!which('cmake')) missing.push('cmake (>= 3.18)');
  const cxx = process.env.CXX ? which(process.env.CXX) || (fs.existsSync(process.env.CXX) ? process.env.CXX : null) : ['c++', 'g++', 'clang++'].map(which).find(Boolean);
  if (!cxx) missing.push(process.env.CXX ? `the C++ compiler CXX=${process.env.CXX}` : 'a C++17 compiler (g++ >= 9 or clang++ >= 10)');
  if (process.platform !== 'win32' && !which('make') && !which('ninja')) missing.push('make (or ninja)');
  if (missing.length) {
    fail(`cannot build the native engine: ${missing.join(', ')} not found on PATH. ${installHint()}; then run "npm rebuild npuquant".`);
  }

  let cmakeJs;
  try {
    cmakeJs = require.resolve('cmake-js/bin/cmake-js', { paths: [root] });
  } catch {
    fail('cmake-js is not installed, so the native engine cannot be built. Run "npm install" again.');
  }
  const jobs = process.env.NPUQ_BUILD_JOBS || '2';
  const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build', '--parallel', jobs], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    fail(`building the native engine failed (exit code ${r.status}${r.signal ? `, signal ${r.signal}` : ''}). It needs cmake >= 3.18 and ` +
      `a C++17 compiler (g++ >= 9 or clang++ >= 10): ${installHint()}. On a riscv64 board whose compiler lacks the RVV 1.0 ` +
      'intrinsics (clang < 16, GCC < 13) the RVV kernels are left out automatically and the scalar engine is built. ' +
      'Fix the error above, then run "npm rebuild npuquant".');
  }
  const built = path.join(root, 'build', 'Release', 'npuquant.node');
  const check = loads(built);
  if (!check.ok) fail(`the native engine was built but does not load (${check.why}).`);
  log(`built the native engine from source (${path.relative(root, built)})`);
}

main();
