/**
 * The addon in worker_threads: it is context-aware (Napi::Addon, no global mutable state), so four
 * workers load it at once and compute exactly what the main thread computes, and terminating a
 * worker while a native run is in flight must not take the process down. Uses dist/ (run
 * "npx tsc -p tsconfig.json" first) so that the workers and the main thread run the same code.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { Worker } from 'worker_threads';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { runModels, npuquant } = require('./run-models') as {
  runModels: (o: { rounds?: number; batch?: number; threads?: number; maxIsa?: string }) => Promise<Record<string, Uint8Array>>;
  npuquant: () => { capabilities(): { isa: string } };
};

interface WorkerResult {
  isa: string;
  results: Record<string, Uint8Array>;
}

function startWorkers(n: number, options: object): Promise<WorkerResult[]> {
  const barrier = new SharedArrayBuffer(4);
  return Promise.all(
    Array.from({ length: n }, () => new Promise<WorkerResult>((resolve, reject) => {
      const w = new Worker(path.join(__dirname, 'worker.js'), { workerData: { barrier, workers: n, options } });
      w.once('error', reject);
      w.once('message', (m: WorkerResult & { error?: string }) => {
        if (m.error) reject(new Error(m.error));
        else resolve(m);
        void w.terminate();
      });
    })),
  );
}

function differences(a: Record<string, Uint8Array>, b: Record<string, Uint8Array>): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (!a[k] || !b[k]) out.push(`${k}: missing on one side`);
    else if (!Buffer.from(a[k]).equals(Buffer.from(b[k]))) out.push(`${k}: outputs differ`);
  }
  return out;
}

describe('worker threads', () => {
  const options = { rounds: 2, batch: 16, threads: 2 };

  it('four workers load the addon at once and compute the main thread\'s outputs bit for bit', async () => {
    const main = await runModels(options);
    expect(Object.keys(main).sort()).toEqual([
      'digits_cnn/0', 'digits_cnn/1', 'digits_mobilenetv2/0', 'digits_mobilenetv2/1', 'digits_shufflenet/0', 'digits_shufflenet/1',
    ]);
    const workers = await startWorkers(4, options);
    const isa = npuquant().capabilities().isa;
    workers.forEach((w, i) => {
      expect([i, w.isa]).toEqual([i, isa]);
      expect([i, differences(main, w.results)]).toEqual([i, []]);
    });
  });

  it('gives the same bytes on the scalar tier in workers as in the main thread', async () => {
    const scalar = { rounds: 1, batch: 8, threads: 1, maxIsa: 'scalar' };
    const main = await runModels(scalar);
    const [w] = await startWorkers(1, scalar);
    expect(differences(main, w.results)).toEqual([]);
  });

  it('survives workers terminated while native runs, session creation and plan builds are in flight', () => {
    // A child process, so that an abort shows up as a signal here instead of killing jest.
    const r = spawnSync(process.execPath, [path.join(__dirname, 'terminate-child.js')], { encoding: 'utf8', timeout: 90_000 });
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({ terminated: 16, afterMain: 3, afterWorker: 3 });
  });
});
