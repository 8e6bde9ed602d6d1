#!/usr/bin/env node
/**
 * Emulation speed per chip profile: a quantized run (`qm.run`) of one model on one batch for every
 * built-in profile, to spot a profile whose arithmetic falls back to a slow path.
 *
 *   npm run build && node bench/emulation.js [--model digits_mobilenetv2] [--batch 64] [--threads 2] [--profiles a,b]
 *
 * Models: the bundled digits models (test/fixtures/models). Each profile quantizes (with its default
 * weight granularity) on the 500 dev images, then runs the first batch 5 times per round, 3 rounds, and
 * prints the best round's time per run.
 */
const path = require('path');
const { root, built } = require('./built');

const lib = built('index.js');
const { openFeeds } = built('data/feeds.js');

const opt = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
};
const model = opt('--model', 'digits_mobilenetv2');
const batch = Number(opt('--batch', 64));
const threads = Number(opt('--threads', 2));
const only = opt('--profiles', '');

(async () => {
  const file = path.join(root, 'test/fixtures/models', `${model}.onnx`);
  const data = path.join(root, 'test/fixtures/digits', model === 'digits_cnn' ? 'x.npy' : 'x32.npy');
  const names = only ? only.split(',') : lib.listProfiles().map((p) => (typeof p === 'string' ? p : p.name));
  console.log(`| profile | qm.run ms (${model}, batch ${batch}, ${threads} threads) |\n|---|---:|`);
  for (const target of names) {
    const qm = await lib.quantize(file, { target, data, threads });
    const { batches } = await openFeeds(data, qm.graph.inputs, {}, batch);
    let feeds;
    for await (const b of batches) { feeds = b; break; }
    await qm.run(feeds);
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 5; i++) await qm.run(feeds);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 5e6);
    }
    console.log(`| ${target} | ${best.toFixed(2)} |`);
    await qm.dispose();
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
