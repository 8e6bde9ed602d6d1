// Run as a child process by workers.test.ts, so a crash shows up as a signal instead of taking jest
// down. Terminates worker threads while native runs are in flight (at several delays, and while
// a session is being created, and while plans are compiled and built), then checks that the process still runs models in the main thread
// and in a new worker. Prints one JSON line { terminated, afterMain, afterWorker } and exits 0.
'use strict';
const path = require('path');
const { Worker } = require('worker_threads');
const { runModels } = require('./run-models');

const LONG_RUN = `
  const { parentPort, workerData } = require('worker_threads');
  const { npuquant, FIXTURES, slice } = require(${JSON.stringify(path.join(__dirname, 'run-models.js'))});
  const path = require('path');
  (async () => {
    const nq = npuquant();
    if (workerData.phase === 'create') parentPort.postMessage('running');
    const s = await nq.Session.create(path.join(FIXTURES, 'models', 'digits_mobilenetv2.onnx'), { threads: 2, planCacheSize: 1 });
    const x = nq.readNpy(path.join(FIXTURES, 'digits', 'x32.npy'));
    const feeds = { input: slice(x, 0, 500) };
    if (workerData.phase === 'build') {
      // A new batch size every run: each run compiles a plan and builds it on a libuv thread.
      parentPort.postMessage('running');
      for (let i = 0; ; i++) await s.run({ input: slice(x, 0, 1 + (i % 50)) });
    }
    for (let i = 0; ; i++) {
      const p = s.run(feeds);
      if (i === 0 && workerData.phase === 'run') parentPort.postMessage('running');
      await p;
    }
  })();
`;

function terminateAfter(phase, delayMs) {
  return new Promise((resolve, reject) => {
    const w = new Worker(LONG_RUN, { eval: true, workerData: { phase } });
    w.on('error', reject);
    w.on('message', () => setTimeout(() => w.terminate().then(resolve, reject), delayMs));
  });
}

async function main() {
  let terminated = 0;
  for (const delay of [0, 1, 5, 20, 60]) {
    await terminateAfter('run', delay);
    terminated++;
  }
  for (const delay of [0, 2]) {
    await terminateAfter('create', delay);
    terminated++;
  }
  // While plans are compiled and built (NativeSession.create in flight).
  for (const delay of [0, 3, 8, 15, 40]) {
    await terminateAfter('build', delay);
    terminated++;
  }
  // Several at once.
  await Promise.all([0, 3, 7, 11].map((d) => terminateAfter('run', d)));
  terminated += 4;

  const afterMain = Object.keys(await runModels({ rounds: 1, batch: 8 })).length;
  const afterWorker = await new Promise((resolve, reject) => {
    const w = new Worker(path.join(__dirname, 'worker.js'), {
      workerData: { barrier: new SharedArrayBuffer(4), workers: 1, options: { rounds: 1, batch: 8 } },
    });
    w.on('error', reject);
    w.on('message', (m) => (m.error ? reject(new Error(m.error)) : resolve(Object.keys(m.results).length)));
  });
  console.log(JSON.stringify({ terminated, afterMain, afterWorker }));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
