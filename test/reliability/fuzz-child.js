#!/usr/bin/env node
// The fuzz loop, run in a child process by fuzz.reliability.ts so that a crash or a hang is caught
// with the case that caused it. Uses dist/ ("npx tsc -p tsconfig.json" first).
//
//   node test/reliability/fuzz-child.js onnx|tensor SEED COUNT [PROGRESS_FILE] [--only INDEX]
//
// onnx: mutated models (test/reliability/mutate.js) of the seed models (zoo.js) are loaded from
// memory, given to Session.create and run once on feeds of the declared (or the seed's) shapes.
// tensor: mutated TensorProto files are read with readTensorProtoFile.
// Every case must end in success or in an error with a string `code`. Before each case its index
// is written to PROGRESS_FILE, so the parent can name the case of a crash or a hang. Prints one JSON
// line: { kind, seed, cases, ok, errors: { CODE: n }, failures: [...], failureCount, slowest }.
// "--only INDEX" runs one case and prints what it was and how it ended (to reproduce a failure).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { rng, int, pick, mutateOnnx, mutateTensorProto } = require('./mutate');
const { zoo } = require('./zoo');

const nq = require(path.join(__dirname, '..', '..', 'dist', 'index.js'));
const { readTensorProtoFile } = require(path.join(__dirname, '..', '..', 'dist', 'io', 'onnx', 'index.js'));

const STORAGE = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, float16: Uint16Array, bfloat16: Uint16Array, int32: Int32Array, uint32: Uint32Array,
  int64: BigInt64Array, uint64: BigUint64Array,
};

/** The random source of case `i` of run `seed`. */
function caseRng(seed, i) {
  return rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0);
}

function makeFeeds(session, seedModel, r) {
  const feeds = {};
  for (const info of session.inputs) {
    const spec = seedModel.feeds.find((f) => f.name === info.name);
    const dtype = info.dtype || (spec && spec.dtype) || 'float32';
    const Storage = STORAGE[dtype];
    if (!Storage) return null;
    let shape = spec && int(r, 4) !== 0 ? spec.shape.slice()
      : (info.shape || []).map((d) => (typeof d === 'number' && d >= 0 && d <= 64 ? d : 1 + int(r, 3)));
    if (shape.reduce((a, b) => a * b, 1) > 1 << 20) shape = shape.map(() => 1);
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Storage(n);
    for (let k = 0; k < n; k++) {
      if (Storage === BigInt64Array || Storage === BigUint64Array) {
        const range = (spec && spec.indexRange) || 4;
        const v = int(r, 10) === 0 ? pick(r, [-range - 1, range, 2 ** 40, -(2 ** 40)]) : int(r, 2 * range) - range;
        data[k] = Storage === BigUint64Array ? BigInt.asUintN(64, BigInt(v)) : BigInt(v);
      } else if (Storage === Float32Array || Storage === Float64Array) {
        data[k] = int(r, 50) === 0 ? pick(r, [NaN, Infinity, -Infinity, 3e38]) : r() * 4 - 2;
      } else {
        data[k] = int(r, 256);
      }
    }
    feeds[info.name] = new nq.Tensor(dtype, shape, data);
  }
  return feeds;
}

async function onnxCase(seedModels, r, label) {
  const z = pick(r, seedModels);
  const m = mutateOnnx(z.bytes, r);
  const what = `${z.name}: ${m.what}`;
  return {
    what,
    run: async () => {
      const model = nq.loadModelSync(m.bytes, { name: label });
      const s = await nq.Session.create(model, { threads: 1 });
      try {
        const feeds = makeFeeds(s, z, r);
        if (feeds) await s.run(feeds);
      } finally {
        s.dispose();
      }
    },
  };
}

function tensorCase(dir, r) {
  const t = mutateTensorProto(r);
  return {
    what: t.what,
    run: async () => {
      const file = path.join(dir, 'case.pb');
      fs.writeFileSync(file, t.bytes);
      readTensorProtoFile(file);
    },
  };
}

async function main() {
  const args = process.argv.slice(2);
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? Number(args.splice(onlyAt, 2)[1]) : undefined;
  const [kind, seedArg, countArg, progressFile] = args;
  if (!['onnx', 'tensor'].includes(kind)) throw new Error('usage: fuzz-child.js onnx|tensor SEED COUNT [PROGRESS_FILE] [--only INDEX]');
  const seed = Number(seedArg) || 1;
  const count = Number(countArg) || 100;
  const progress = progressFile ? fs.openSync(progressFile, 'w') : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-fuzz-'));
  fs.writeFileSync(path.join(dir, 'data.bin'), Buffer.alloc(4096, 3));
  const seedModels = kind === 'onnx' ? zoo() : [];
  const summary = { kind, seed, cases: 0, ok: 0, errors: {}, failures: [], failureCount: 0, slowest: { ms: 0 } };
  const first = only ?? 0;
  const last = only ?? count - 1;
  try {
    for (let i = first; i <= last; i++) {
      if (progress !== undefined) fs.writeSync(progress, `${i}`.padEnd(12), 0);
      const r = caseRng(seed, i);
      const c = kind === 'onnx' ? await onnxCase(seedModels, r, `case ${i}`) : tensorCase(dir, r);
      if (only !== undefined) console.log(`case ${i}: ${c.what}`);
      const t0 = process.hrtime.bigint();
      let outcome;
      try {
        await c.run();
        summary.ok++;
        outcome = 'ok';
      } catch (e) {
        if (e && typeof e.code === 'string' && e.code) {
          summary.errors[e.code] = (summary.errors[e.code] || 0) + 1;
          outcome = `${e.code}: ${e.message}`;
        } else {
          summary.failureCount++;
          const error = `${e && e.name}: ${e && e.message} | ${String(e && e.stack).split('\n').slice(1, 4).map((s) => s.trim()).join(' < ')}`;
          if (summary.failures.length < 20) summary.failures.push({ index: i, what: c.what, error });
          outcome = `FAILURE (no error code) ${error}`;
        }
      }
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (ms > summary.slowest.ms) summary.slowest = { index: i, what: c.what, ms: Math.round(ms) };
      summary.cases++;
      if (only !== undefined) console.log(`  -> ${outcome}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(summary));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
