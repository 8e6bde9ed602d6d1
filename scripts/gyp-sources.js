#!/usr/bin/env node
// Lists engine sources for binding.gyp, split the same way CMakeLists.txt splits them: baseline
// files, and per-ISA files (suffix -avx2.cc, -neon.cc, -neondot.cc, -rvv.cc) that get their own flags.
// Usage: node scripts/gyp-sources.js base|avx2|neon|neondot|rvv|binding
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const kind = process.argv[2] || 'base';
const dirs = kind === 'binding' ? ['native/binding'] : ['native/core', 'native/cpu', 'native/kernels', 'native/dispatch', 'native/engine'];
const files = [];
function walk(rel) {
  const abs = path.join(root, rel);
  if (!fs.existsSync(abs)) return;
  for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const r = `${rel}/${e.name}`;
    if (e.isDirectory()) walk(r);
    else if (e.name.endsWith('.cc')) files.push(r);
  }
}
dirs.forEach(walk);
const isa = (f) => (f.match(/-(avx2|neondot|neon|rvv)\.cc$/) || [])[1];
const out = files.filter((f) => (kind === 'base' || kind === 'binding' ? !isa(f) : isa(f) === kind));
process.stdout.write(out.join(' '));
