#!/usr/bin/env node
/**
 * Float engine vs onnxruntime-node: median latency of one session.run() on the same inputs, both
 * with 2 threads (ort: intraOpNumThreads 2, interOpNumThreads 1, graphOptimizationLevel 'all').
 * onnxruntime-node's run() computes on the JS thread (inside a setImmediate); ours hands the run to
 * a libuv worker, so ours is also timed with runSync(), which computes on the calling thread as ort's.
 *
 *   npm run build && node bench/float-vs-ort.js [--filter REGEXP] [--max-time SECONDS] [--json] [--force]
 *                                               [--alternate ROUNDS] [--ort-no-spin]
 *
 * --alternate ROUNDS: instead of benchmark.js (each engine measured for seconds on its own), alternate
 * ROUNDS rounds of 100 calls of each (run(), runSync(), onnxruntime) in this process and report the best
 * round's mean per call: on a noisy VM the engines then see the same moments. --ort-no-spin sets
 * onnxruntime's intra-op `allow_spinning` to 0: its threads otherwise spin after each run and take CPU
 * from whatever runs next (ours, when alternating).
 *
 * Needs dist/ (npm run build:ts) and the native addon (npm run build:native). Never run in CI or
 * under qemu: the numbers only mean something on real hardware (it exits at once when CI is set,
 * unless --force).
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const Benchmark = require('benchmark');
const ort = require('onnxruntime-node');
const sharp = require('sharp');

const ROOT = path.join(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
const THREADS = 2;

function usage(msg) {
  if (msg) console.error(msg);
  console.error('usage: node bench/float-vs-ort.js [--filter REGEXP] [--max-time SECONDS] [--json] [--force] [--alternate ROUNDS] [--ort-no-spin]');
  process.exit(msg ? 1 : 0);
}

function parseArgs(argv) {
  const args = { filter: undefined, maxTime: 3, json: false, force: false, alternate: 0, ortNoSpin: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--filter') args.filter = new RegExp(argv[++i] ?? usage('--filter needs a value'));
    else if (a === '--max-time') {
      args.maxTime = Number(argv[++i]);
      if (!(args.maxTime > 0)) usage('--max-time needs a positive number of seconds');
    } else if (a === '--alternate') {
      args.alternate = Number(argv[++i]);
      if (!(Number.isInteger(args.alternate) && args.alternate > 0)) usage('--alternate needs a positive number of rounds');
    } else if (a === '--ort-no-spin') args.ortNoSpin = true;
    else if (a === '--json') args.json = true;
    else if (a === '--force') args.force = true;
    else if (a === '--help' || a === '-h') usage();
    else usage(`unknown argument ${a}`);
  }
  return args;
}

/** The npuquant API from dist/: the package entry when it exists, else the module files. */
function loadNpuquant() {
  if (!fs.existsSync(DIST)) {
    console.error(`${DIST} does not exist; build first: npm run build && node bench/float-vs-ort.js`);
    process.exit(1);
  }
  let api = {};
  try {
    api = require(DIST);
  } catch (err) {
    if (err.code !== 'MODULE_NOT_FOUND') throw err;
  }
  const Session = api.Session ?? require(path.join(DIST, 'runtime', 'session')).Session;
  const Tensor = api.Tensor ?? require(path.join(DIST, 'ir', 'tensor')).Tensor;
  const readNpy = api.readNpy ?? require(path.join(DIST, 'data', 'npy')).readNpy;
  return { Session, Tensor, readNpy };
}

/** First `n` samples of a float32 [N,...] tensor, as a new tensor. */
function firstSamples(Tensor, t, n) {
  const per = t.data.length / t.shape[0];
  return new Tensor('float32', [n, ...t.shape.slice(1)], t.data.slice(0, n * per));
}

/** PaddleOCR det preprocessing of a photo: RGB, resized to w x h, ImageNet mean/std, NCHW. */
async function detInput(Tensor, file, w, h) {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const { data } = await sharp(file).removeAlpha().toColourspace('srgb')
    .resize(w, h, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true });
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[c * plane + i] = (data[i * 3 + c] / 255 - mean[c]) / std[c];
  return new Tensor('float32', [1, 3, h, w], out);
}

/**
 * Alternates `rounds` rounds of `calls` calls of each function (awaited one after another); resolves
 * with, per function, the mean ms per call of each round.
 */
async function alternate(fns, rounds, calls = 100) {
  const out = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let f = 0; f < fns.length; f++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) await fns[f]();
      out[f].push(Number(process.hrtime.bigint() - t0) / 1e6 / calls);
    }
  }
  return out.map((samples) => ({ samples }));
}

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs one async function as a deferred Benchmark; resolves with its samples in ms. */
function measure(name, fn, maxTime) {
  return new Promise((resolve, reject) => {
    let failure;
    const bench = new Benchmark(name, {
      defer: true,
      async: true,
      minSamples: 10,
      maxTime,
      fn(deferred) {
        fn().then(() => deferred.resolve(), (err) => {
          failure = err;
          deferred.benchmark.abort();
          deferred.resolve();
        });
      },
      onComplete() {
        if (failure || this.error) return reject(failure ?? this.error);
        resolve({ samples: this.stats.sample.map((s) => s * 1000), hz: this.hz });
      },
      onAbort() {
        if (failure) reject(failure);
      },
    });
    bench.run({ async: true });
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (process.env.CI && !args.force) {
    console.error('bench/float-vs-ort.js: not run in CI (CI is set): timings on shared runners mean nothing. Pass --force to run anyway.');
    return;
  }
  const { Session, Tensor, readNpy } = loadNpuquant();
  const models = path.join(ROOT, 'test', 'fixtures', 'models');
  const digits = path.join(ROOT, 'test', 'fixtures', 'digits');
  const ocr = path.join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets');
  const photo = path.join(ROOT, 'test', 'fixtures', 'images', 'skimage_astronaut.jpg');

  const x20 = readNpy(path.join(digits, 'x.npy'));
  const x32 = readNpy(path.join(digits, 'x32.npy'));
  const cases = [];
  for (const [model, x] of [['digits_cnn', x20], ['digits_shufflenet', x32], ['digits_mobilenetv2', x32]]) {
    for (const batch of [1, 64]) cases.push({ model, file: path.join(models, `${model}.onnx`), input: () => firstSamples(Tensor, x, batch) });
  }
  cases.push({ model: 'PP-OCRv4 det', file: path.join(ocr, 'ch_PP-OCRv4_det_infer.onnx'), input: () => detInput(Tensor, photo, 640, 640) });

  const selected = cases.filter((c) => !args.filter || args.filter.test(c.model));
  const rows = [];
  let isa = '?';
  for (const c of selected) {
    const input = await c.input();
    const shape = `[${input.shape.join(',')}]`;
    const ours = await Session.create(c.file, { threads: THREADS });
    // The same engine without running a batch as one chunk of rows per thread (splitBatch).
    const whole = input.shape[0] > 1 ? await Session.create(c.file, { threads: THREADS, splitBatch: false }) : undefined;
    const noSpin = args.ortNoSpin ? { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } } : {};
    const ref = await ort.InferenceSession.create(c.file, { graphOptimizationLevel: 'all', intraOpNumThreads: THREADS, interOpNumThreads: 1, ...noSpin });
    try {
      const ourFeeds = { [ours.inputs[0].name]: input };
      const ortFeeds = { [ref.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape.slice()) };
      // Warm up both (our session compiles its plan for this shape on the first run).
      for (let i = 0; i < 3; i++) { await ours.run(ourFeeds); await ref.run(ortFeeds); whole?.runSync(ourFeeds); }
      isa = ours.isa ?? isa;
      let a, s, w, b;
      if (args.alternate) {
        const fns = [() => ours.run(ourFeeds), async () => { ours.runSync(ourFeeds); }, () => ref.run(ortFeeds)];
        if (whole) fns.push(async () => { whole.runSync(ourFeeds); });
        [a, s, b, w] = await alternate(fns, args.alternate);
      } else {
        a = await measure(`ours ${c.model} ${shape}`, () => ours.run(ourFeeds), args.maxTime);
        s = await measure(`ours sync ${c.model} ${shape}`, async () => { ours.runSync(ourFeeds); }, args.maxTime);
        w = whole && await measure(`ours sync whole ${c.model} ${shape}`, async () => { whole.runSync(ourFeeds); }, args.maxTime);
        b = await measure(`ort ${c.model} ${shape}`, () => ref.run(ortFeeds), args.maxTime);
      }
      // benchmark.js: the median of its samples; alternating: the best round.
      const pick = args.alternate ? (xs) => Math.min(...xs) : median;
      const row = {
        model: c.model, shape, ours_ms: pick(a.samples), ours_sync_ms: pick(s.samples), ort_ms: pick(b.samples),
        ours_sync_whole_ms: w ? pick(w.samples) : undefined,
        ours_samples: a.samples.length, ours_sync_samples: s.samples.length, ort_samples: b.samples.length,
      };
      row.ratio = row.ours_ms / row.ort_ms;
      row.sync_ratio = row.ours_sync_ms / row.ort_ms;
      rows.push(row);
      if (!args.json) console.error(`${c.model} ${shape}: ours ${row.ours_ms.toFixed(3)} ms (runSync ${row.ours_sync_ms.toFixed(3)}), ort ${row.ort_ms.toFixed(3)} ms`);
    } finally {
      ours.dispose();
      whole?.dispose();
      await ref.release();
    }
  }

  if (args.json) {
    console.log(JSON.stringify({ threads: THREADS, isa, cpu: os.cpus()[0]?.model, node: process.version, ort: require('onnxruntime-node/package.json').version,
      method: args.alternate ? `alternating ${args.alternate} rounds of 100 calls, best round` : 'benchmark.js, median of samples', ortAllowSpinning: !args.ortNoSpin, rows }, null, 2));
    return;
  }
  console.log(`\nFloat engine vs onnxruntime-node ${require('onnxruntime-node/package.json').version}, ${THREADS} threads each; ` +
    `our ISA: ${isa}; CPU: ${os.cpus()[0]?.model ?? 'unknown'}; Node ${process.version}\n`);
  console.log('onnxruntime-node runs inference on the JS thread (blocking the event loop); our run() runs it on a');
  console.log('libuv worker and pays a thread hop each way, runSync() runs it on the calling thread as ort does.');
  console.log('"whole" is runSync() with splitBatch: false: every op shares the whole batch between the threads.');
  console.log(args.alternate ? `Alternating ${args.alternate} rounds of 100 calls of each engine, best round${args.ortNoSpin ? '; onnxruntime without spinning' : ''}.\n`
    : `benchmark.js, median of its samples${args.ortNoSpin ? '; onnxruntime without spinning' : ''}.\n`);
  console.log('| model | shape | ours run() ms | ours runSync() ms | runSync() whole ms | ort ms | run/ort | runSync/ort |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const whole = r.ours_sync_whole_ms === undefined ? '-' : r.ours_sync_whole_ms.toFixed(3);
    console.log(`| ${r.model} | ${r.shape} | ${r.ours_ms.toFixed(3)} | ${r.ours_sync_ms.toFixed(3)} | ${whole} | ${r.ort_ms.toFixed(3)} | ` +
      `${r.ratio.toFixed(2)} | ${r.sync_ratio.toFixed(2)} |`);
  }
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
