// Runs the three digits models on fixed batches through npuquant (dist/, built by "npx tsc") and
// returns the raw output bytes. Shared by the main thread and the worker threads of
// workers.test.ts, so both run exactly the same code.
'use strict';
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const MODELS = [
  { name: 'digits_cnn', file: path.join(ROOT, 'examples', 'digits', 'digits_cnn.onnx'), data: 'x.npy' },
  { name: 'digits_shufflenet', file: path.join(FIXTURES, 'models', 'digits_shufflenet.onnx'), data: 'x32.npy' },
  { name: 'digits_mobilenetv2', file: path.join(FIXTURES, 'models', 'digits_mobilenetv2.onnx'), data: 'x32.npy' },
];

function npuquant() {
  try {
    return require(path.join(ROOT, 'dist', 'index.js'));
  } catch (e) {
    throw new Error(`dist/ is missing or stale; run "npx tsc -p tsconfig.json" first (${e.message})`);
  }
}

/** The first `batch` samples of a fixture batch, from sample `offset`. */
function slice(t, offset, batch) {
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return { data: t.data.slice(offset * per, (offset + batch) * per), shape: [batch, ...t.shape.slice(1)] };
}

/**
 * Runs every model `rounds` times on batches of `batch` samples (offset by round) and returns
 * { "<model>/<round>": Uint8Array of the logits }.
 */
async function runModels({ rounds = 2, batch = 16, threads = 1, maxIsa } = {}) {
  const nq = npuquant();
  const out = {};
  const data = {};
  for (const m of MODELS) {
    data[m.data] = data[m.data] || nq.readNpy(path.join(FIXTURES, 'digits', m.data));
    const s = await nq.Session.create(m.file, { threads, maxIsa });
    try {
      for (let r = 0; r < rounds; r++) {
        const { logits } = await s.run({ input: slice(data[m.data], r * batch, batch) });
        const d = logits.data;
        out[`${m.name}/${r}`] = new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
      }
    } finally {
      s.dispose();
    }
  }
  return out;
}

module.exports = { runModels, npuquant, MODELS, FIXTURES, slice };
