#!/usr/bin/env node
// npm install hook: use a prebuilt binary from prebuilds/<platform>-<arch>/ when one matches and
// loads; otherwise build the addon from source with cmake-js (no downloads: Node-API headers come
// from the node-api-headers package through package.json binary.napi_versions).
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const platformArch = `${process.platform}-${process.arch}`;
const prebuilt = path.join(root, 'prebuilds', platformArch, 'npuquant.node');

function log(msg) {
  process.stderr.write(`npuquant: ${msg}\n`);
}

if (process.env.NPUQ_FORCE_BUILD !== '1' && fs.existsSync(prebuilt)) {
  try {
    require(prebuilt);
    log(`using the prebuilt binary for ${platformArch}`);
    process.exit(0);
  } catch (e) {
    log(`the prebuilt binary for ${platformArch} does not load here (${e.message.split('\n')[0]}); building from source`);
  }
} else if (process.env.NPUQ_FORCE_BUILD !== '1') {
  log(`no prebuilt binary for ${platformArch}; building from source (needs cmake >= 3.18 and a C++17 compiler)`);
}

let cmakeJs;
try {
  cmakeJs = require.resolve('cmake-js/bin/cmake-js');
} catch (e) {
  log('cmake-js is not installed, so the native engine cannot be built. Run "npm install" again, or install a prebuilt package.');
  process.exit(1);
}
const jobs = process.env.NPUQ_BUILD_JOBS || '2';
const r = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build', '--parallel', jobs], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  log(`building the native engine failed (exit ${r.status}). Check that cmake >= 3.18 and g++/clang++ with C++17 are installed; ` +
      'on a riscv64 board with an old compiler the RVV kernels are skipped automatically and the scalar engine is built.');
  process.exit(r.status || 1);
}
