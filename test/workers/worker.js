// Worker thread of workers.test.ts. Loads the addon as soon as it starts (all workers start
// together, so the loads overlap), waits at a barrier until every worker has loaded it, runs the
// digits models and posts the output bytes back.
'use strict';
const { parentPort, workerData } = require('worker_threads');
const { runModels, npuquant } = require('./run-models');

async function main() {
  const caps = npuquant().capabilities();  // loads the addon in this thread
  const barrier = new Int32Array(workerData.barrier);
  Atomics.add(barrier, 0, 1);
  Atomics.notify(barrier, 0);
  while (Atomics.load(barrier, 0) < workerData.workers) Atomics.wait(barrier, 0, Atomics.load(barrier, 0), 50);
  const results = await runModels(workerData.options);
  parentPort.postMessage({ isa: caps.isa, results });
}

main().catch((e) => parentPort.postMessage({ error: String(e && e.stack ? e.stack : e) }));
