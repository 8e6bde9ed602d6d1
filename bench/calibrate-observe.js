#!/usr/bin/env node
/**
 * Calibration throughput: a plain float pass over the digits dev data against the same pass with the
 * engine's observers (min/max only, then min/max + |x| histograms of 2048 bins + EMA) on every float32
 * activation, in images per second, 2 threads, batch 32 (lib/calibrate/observe.ts). The three modes
 * alternate pass by pass so a change of machine load hits them alike; the median pass time is kept.
 *
 *   npm run build && node bench/calibrate-observe.js [--passes N] [--batch N] [--filter REGEXP] [--json] [--force]
 *
 * Needs dist/ and the native addon. Numbers only mean something on a quiet machine (it prints the
 * 1-minute load average; it exits at once when CI is set, unless --force).
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const THREADS = 2;
const MODELS = ['digits_shufflenet', 'digits_mobilenetv2'];

function usage(msg) {
  if (msg) console.error(msg);
  console.error('usage: node bench/calibrate-observe.js [--passes N] [--batch N] [--filter REGEXP] [--json] [--force]');
  process.exit(msg ? 1 : 0);
}

function parseArgs(argv) {
  const args = { passes: 15, batch: 32, filter: undefined, json: false, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--passes' || a === '--batch') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) usage(`${a} needs a positive integer`);
      args[a.slice(2)] = v;
    } else if (a === '--filter') args.filter = new RegExp(argv[++i] ?? usage('--filter needs a value'));
    else if (a === '--json') args.json = true;
    else if (a === '--force') args.force = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  return args;
}

function load() {
  if (!fs.existsSync(DIST)) {
    console.error(`${DIST} does not exist; build first: npm run build && node bench/calibrate-observe.js`);
    process.exit(1);
  }
  const { Session } = require(path.join(DIST, 'runtime', 'session'));
  const { Tensor } = require(path.join(DIST, 'ir', 'tensor'));
  const { readNpy } = require(path.join(DIST, 'data', 'npy'));
  const { collectStatistics } = require(path.join(DIST, 'calibrate', 'observe'));
  return { Session, Tensor, readNpy, collectStatistics };
}

const median = (v) => {
  const s = v.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (process.env.CI && !args.force) {
    console.error('bench/calibrate-observe.js: not run under CI (numbers need a quiet machine); pass --force to run anyway');
    return;
  }
  const { Session, Tensor, readNpy, collectStatistics } = load();
  const x = readNpy(path.join(ROOT, 'test', 'fixtures', 'digits', 'x32.npy'));  // [500, 1, 32, 32]
  const per = x.data.length / x.shape[0];
  const batches = [];
  for (let s = 0; s + args.batch <= x.shape[0]; s += args.batch) {
    batches.push({ input: new Tensor('float32', [args.batch, ...x.shape.slice(1)], x.data.slice(s * per, (s + args.batch) * per)) });
  }
  const images = batches.length * args.batch;
  const rows = [];
  for (const name of MODELS) {
    if (args.filter && !args.filter.test(name)) continue;
    const session = await Session.create(path.join(ROOT, 'test', 'fixtures', 'models', `${name}.onnx`), { threads: THREADS });
    const modes = {
      plain: async () => { for (const b of batches) await session.run(b); },
      minmax: () => collectStatistics(session, batches, { histogram: false }),
      histogram: () => collectStatistics(session, batches),
    };
    const times = { plain: [], minmax: [], histogram: [] };
    for (const run of Object.values(modes)) await run();  // compile and warm up
    for (let p = 0; p < args.passes; p++) {
      for (const [mode, run] of Object.entries(modes)) {
        const t0 = process.hrtime.bigint();
        await run();
        times[mode].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    const stats = await collectStatistics(session, batches);
    session.dispose();
    const ms = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    rows.push({
      model: name, batch: args.batch, images, tensors: stats.size,
      plain_ips: images / (ms.plain / 1000), minmax_ips: images / (ms.minmax / 1000), histogram_ips: images / (ms.histogram / 1000),
      minmax_ratio: ms.minmax / ms.plain, histogram_ratio: ms.histogram / ms.plain,
    });
  }
  const info = { threads: THREADS, passes: args.passes, load1: os.loadavg()[0], cpu: os.cpus()[0]?.model };
  if (args.json) {
    console.log(JSON.stringify({ ...info, rows }, null, 2));
    return;
  }
  console.log(`${info.cpu}, ${THREADS} threads, median of ${args.passes} passes, load average ${info.load1.toFixed(2)}`);
  console.log('| model | tensors | plain img/s | observers img/s (ratio) | observers + histograms img/s (ratio) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.model} | ${r.tensors} | ${r.plain_ips.toFixed(0)} | ${r.minmax_ips.toFixed(0)} (${r.minmax_ratio.toFixed(2)}x) | ${r.histogram_ips.toFixed(0)} (${r.histogram_ratio.toFixed(2)}x) |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
