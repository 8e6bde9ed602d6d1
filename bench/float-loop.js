#!/usr/bin/env node
/**
 * A fixed float workload for instruction/cycle counts: runs one model `--iterations` times on the same
 * input (after 3 warm-up runs) and prints the mean wall time per run. Meant to be wrapped by a counter,
 * so before/after comparisons do not depend on a quiet machine:
 *
 *   perf stat -e instructions,cycles node bench/float-loop.js digits_mobilenetv2 --batch 64 --iterations 200
 *   perf record -g node bench/float-loop.js digits_cnn --batch 1 --iterations 20000
 *
 * MODEL is one of digits_cnn, digits_shufflenet, digits_mobilenetv2 (test/fixtures/models). Options:
 * --batch N (default 1), --iterations N (default 1000), --threads N (default 2). Set NPUQ_ADDON to pick
 * a native binary. Needs dist/ (npm run build:ts).
 */
'use strict';

const path = require('path');

const ROOT = path.join(__dirname, '..');

function usage(msg) {
  if (msg) console.error(msg);
  console.error('usage: node bench/float-loop.js MODEL [--batch N] [--iterations N] [--threads N]');
  process.exit(msg ? 1 : 0);
}

function parseArgs(argv) {
  const args = { model: undefined, batch: 1, iterations: 1000, threads: 2 };
  const positive = (name, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) usage(`${name} needs a positive integer, received ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--batch') args.batch = positive(a, argv[++i]);
    else if (a === '--iterations') args.iterations = positive(a, argv[++i]);
    else if (a === '--threads') args.threads = positive(a, argv[++i]);
    else if (a === '--help' || a === '-h') usage();
    else if (!a.startsWith('-') && !args.model) args.model = a;
    else usage(`unknown argument ${a}`);
  }
  if (!args.model) usage('MODEL is required');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const { Session, Tensor, readNpy } = require(path.join(ROOT, 'dist'));
  const input = args.model === 'digits_cnn' ? 'x.npy' : 'x32.npy';
  const x = readNpy(path.join(ROOT, 'test', 'fixtures', 'digits', input));
  const per = x.data.length / x.shape[0];
  if (args.batch > x.shape[0]) usage(`--batch must be at most ${x.shape[0]} (samples in ${input})`);
  const t = new Tensor('float32', [args.batch, ...x.shape.slice(1)], x.data.slice(0, args.batch * per));
  const session = await Session.create(path.join(ROOT, 'test', 'fixtures', 'models', `${args.model}.onnx`), { threads: args.threads });
  try {
    const feeds = { [session.inputs[0].name]: t };
    for (let i = 0; i < 3; i++) await session.run(feeds);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < args.iterations; i++) await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / args.iterations;
    console.log(`${args.model} [${t.shape.join(',')}] threads=${args.threads}: ${ms.toFixed(4)} ms/run over ${args.iterations} runs`);
  } finally {
    session.dispose();
  }
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
