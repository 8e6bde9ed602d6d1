/**
 * Calibration method 'auto' in quantize() (lib/quantize/auto-ranges.ts): per-tensor threshold search
 * between the KL threshold and |x|max, scored by the emulated model's output error.
 */
import * as path from 'path';
import { calibrateThreshold } from '../../lib/calibrate/methods';
import { readNpy } from '../../lib/data/npy';
import { Tensor } from '../../lib/ir/tensor';
import { loadModel } from '../../lib/io/onnx';
import { calibrationStatistics, optimizedForQuantization, quantize } from '../../lib/quantize/quantize';
import { getProfile } from '../../lib/quantize/targets/index';
import { FIX, X20, top1 } from '../digits';

const CNN = path.join(FIX, 'models', 'digits_cnn.onnx');


test('digits_cnn: top-1 with auto is within 0.005 of minmax', async () => {
  const x = readNpy(X20);
  const acc: Record<string, number> = {};
  for (const method of ['minmax', 'auto'] as const) {
    const qm = await quantize(CNN, { target: 'onnxruntime', data: X20, method, limit: 200 });
    expect(qm.calibration).toEqual({ method });
    acc[method] = top1((await qm.run({ input: x })).logits.data as Float32Array, 500);
    await qm.dispose();
  }
  process.stdout.write(`digits_cnn top-1: minmax ${acc.minmax}, auto ${acc.auto}\n`);
  expect(acc.auto).toBeGreaterThanOrEqual(acc.minmax - 0.005);
}, 120000);

test('tuned ranges lie between the KL range and the observed range; tensors sharing parameters and outputs keep theirs', async () => {
  const profile = getProfile('onnxruntime');
  const m = optimizedForQuantization(await loadModel(CNN));
  const stats = await calibrationStatistics(m, { target: profile, data: X20, method: 'kl', limit: 64 }, profile);
  const qm = await quantize(CNN, { target: profile, data: X20, method: 'auto', limit: 64, autoSteps: 3, autoSamples: 8 });
  for (const [name, s] of stats) {
    const r = qm.plan.ranges.get(name)!;
    if (name === 'logits') {
      expect(r).toEqual({ min: s.min, max: s.max });  // graph outputs stay minmax
      continue;
    }
    const kl = calibrateThreshold(s, 'kl');
    const absmax = Math.max(-s.min, s.max);
    const t = Math.max(-r.min, r.max);
    expect(t).toBeGreaterThanOrEqual(Math.min(kl, absmax) - 1e-12);
    expect(t).toBeLessThanOrEqual(absmax);
  }
  // MaxPool and Flatten outputs share their input's parameters: their range is not tuned (it stays KL).
  const pool = stats.get('/features/features.3/MaxPool_output_0')!;
  expect(qm.plan.ranges.get(pool.name)!.max).toBe(Math.min(pool.max, calibrateThreshold(pool, 'kl')));
  await qm.dispose();
}, 60000);

test('auto on one tensor only (perTensorMethod), minmax elsewhere', async () => {
  const name = '/features/features.2/Relu_output_0';
  const qm = await quantize(CNN, { target: 'onnxruntime', data: X20, method: 'minmax', perTensorMethod: { [name]: 'auto' }, limit: 64, autoSteps: 4, autoSamples: 8 });
  const profile = getProfile('onnxruntime');
  const stats = await calibrationStatistics(optimizedForQuantization(await loadModel(CNN)), { target: profile, data: X20, method: 'kl', limit: 64 }, profile);
  for (const [n, s] of stats) {
    const r = qm.plan.ranges.get(n)!;
    if (n === name) {
      expect(r.max).toBeGreaterThanOrEqual(calibrateThreshold(s, 'kl'));
      expect(r.max).toBeLessThanOrEqual(s.max);
    } else {
      expect(r).toEqual({ min: s.min, max: s.max });
    }
  }
  await qm.dispose();
}, 60000);

describe('errors', () => {
  test('a one-shot generator cannot be read a second time for the evaluation samples', async () => {
    const x = readNpy(X20);
    const per = 20 * 20;
    function* once() {
      for (let b = 0; b < 4; b++) {
        yield { input: new Tensor('float32', [16, 1, 20, 20], (x.data as Float32Array).slice(b * 16 * per, (b + 1) * 16 * per)) };
      }
    }
    await expect(quantize(CNN, { target: 'onnxruntime', data: once(), method: 'auto' }))
      .rejects.toThrow("method 'auto' reads the calibration data a second time to score its candidates, but options.data gave no batch the second time");
  });

  test('an array of batches can be read twice', async () => {
    const x = readNpy(X20);
    const per = 20 * 20;
    const batches = [0, 1].map((b) => ({ input: new Tensor('float32', [16, 1, 20, 20], (x.data as Float32Array).slice(b * 16 * per, (b + 1) * 16 * per)) }));
    const qm = await quantize(CNN, { target: 'onnxruntime', data: batches, method: 'auto', autoSteps: 2, autoSamples: 4 });
    expect(qm.calibration).toEqual({ method: 'auto' });
    await qm.dispose();
  }, 60000);

  test('bad autoSteps / autoSamples', async () => {
    await expect(quantize(CNN, { target: 'onnxruntime', data: X20, method: 'auto', limit: 16, autoSteps: 0 }))
      .rejects.toThrow('Expected an integer >= 1 for options.autoSteps but received 0');
    await expect(quantize(CNN, { target: 'onnxruntime', data: X20, method: 'auto', limit: 16, autoSamples: 2.5 }))
      .rejects.toThrow('Expected an integer >= 1 for options.autoSamples but received 2.5');
  }, 60000);
});
