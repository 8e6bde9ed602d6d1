/**
 * quantize() end to end on the digits models: calibration in the engine, plan, emulation, QDQ export.
 * onnxruntime-node is the outside oracle: on the exported QDQ model (its default graph optimizations
 * fuse it into QLinearConv, QGemm, QLinearConcat, QLinearGlobalAveragePool, QLinearAdd/Mul) its outputs
 * must equal our emulated integers. The `onnxruntime-rr` profile (reduce_range, 7-bit weights) is the
 * one where that holds on every CPU: with full 8-bit weights onnxruntime's AVX2 u8s8 kernels
 * saturate pairs of products (vpmaddubsw), which the plain `onnxruntime` profile does not model.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { readNpy } from '../../lib/data/npy';
import { serializeModel } from '../../lib/io/onnx';
import { toQdqModel } from '../../lib/export/qdq';
import { loadQuantized, quantize, saveQuantized } from '../../lib/quantize/quantize';
import type { QuantizedModel } from '../../lib/quantize/quantized-model';
import { model, X20, X32, top1 } from '../digits';



/** Our output integers vs onnxruntime's on the exported QDQ model: [mismatches, max difference]. */
async function compareWithOrt(qm: QuantizedModel, xFile: string): Promise<[number, number, number]> {
  const x = readNpy(xFile);
  const ours = (await qm.run({ input: x }, { integer: true })).logits.data as Uint8Array;
  const session = await ort.InferenceSession.create(serializeModel(toQdqModel(qm)), { intraOpNumThreads: 1 });
  const res = await session.run({ input: new ort.Tensor('float32', x.data as Float32Array, x.shape as number[]) });
  const q = qm.plan.tensors.get('logits')!;
  const theirs = Array.from(res.logits.data as Float32Array, (v) => Math.round(v / q.scale[0]) + q.zeroPoint[0]);
  let diff = 0, max = 0;
  theirs.forEach((t, i) => {
    const d = Math.abs(t - ours[i]);
    if (d) diff++;
    max = Math.max(max, d);
  });
  expect(new Set(theirs).size).toBeGreaterThan(20);  // the comparison is not between saturated outputs
  return [diff, max, theirs.length];
}

describe('quantize() against onnxruntime on the exported QDQ model', () => {
  for (const [name, x] of [['digits_cnn', X20], ['digits_shufflenet', X32]] as const) {
    for (const perChannel of [false, true]) {
      test(`${name}, ${perChannel ? 'per-channel' : 'per-tensor'}: bit-exact`, async () => {
        const qm = await quantize(model(name), { target: 'onnxruntime-rr', data: x, perChannel, limit: 200 });
        const [diff, , n] = await compareWithOrt(qm, x);
        expect({ diff, n }).toEqual({ diff: 0, n: 5000 });
        await qm.dispose();
      }, 60000);
    }
  }

  // QLinearAdd/QLinearMul emulated as MLAS computes them on x64 (eltwise style `mlas`: fused
  // multiply-adds, the zero point added before rounding). With the QDQ `float` style 1-2% of these
  // outputs differed by 1.
  test('digits_mobilenetv2 (QLinearAdd, QLinearMul): bit-exact', async () => {
    const qm = await quantize(model('digits_mobilenetv2'), { target: 'onnxruntime-rr', data: X32, limit: 200 });
    const [diff, max, n] = await compareWithOrt(qm, X32);
    expect({ diff, max, n }).toEqual({ diff: 0, max: 0, n: 5000 });
    await qm.dispose();
  }, 60000);
});

describe('accuracy of the digits models', () => {
  test('top-1 of float and int8 per method and granularity (plain CNN): per-channel minmax within 1 point of float', async () => {
    const x = readNpy(X20);
    const rows: string[] = [];
    let float = 0;
    for (const target of ['onnxruntime', 'rk3588']) {
      for (const method of ['minmax', 'percentile', 'kl', 'mse'] as const) {
        for (const perChannel of [false, true]) {
          const qm = await quantize(model('digits_cnn'), { target, data: X20, method, perChannel, limit: 200 });
          if (!float) float = top1((await qm.runFloat({ input: x })).logits.data as Float32Array, 500);
          const acc = top1((await qm.run({ input: x })).logits.data as Float32Array, 500);
          rows.push(`${target} ${method} ${perChannel ? 'pc' : 'pt'} ${acc}`);
          if (method === 'minmax' && perChannel) expect(acc).toBeGreaterThanOrEqual(float - 0.01);
          // KL included: its point-mass guard keeps the first ReLU's range (test/calibrate/kl-digits.test.ts).
          expect(acc).toBeGreaterThan(0.98);
          await qm.dispose();
        }
      }
    }
    expect(float).toBeGreaterThan(0.98);
    process.stdout.write(`digits_cnn top-1 (500 dev images): float ${float}\n${rows.join('\n')}\n`);
  }, 180000);
});

describe('saving and loading a quantized model', () => {
  test('loadQuantized replays the plan: identical integers, and the folder holds the three files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-q-'));
    const qm = await quantize(model('digits_mobilenetv2'), { target: 'rk3588', data: X32, method: 'kl', limit: 100 });
    const files = await saveQuantized(qm, dir);
    expect(files.map((f) => path.basename(f))).toEqual(['model.qdq.onnx', 'quant_params.json', 'model.float.onnx']);
    const params = JSON.parse(fs.readFileSync(files[1], 'utf8'));
    expect(params.target).toBe('rk3588');
    expect(Object.values(params.tensors).some((t) => (t as { role: string; axis?: number }).role === 'weight' && (t as { axis?: number }).axis === 0)).toBe(true);
    const back = await loadQuantized(dir);
    const x = readNpy(X32);
    const a = (await qm.run({ input: x }, { integer: true })).logits.data;
    const b = (await back.run({ input: x }, { integer: true })).logits.data;
    expect(Array.from(b as Uint8Array)).toEqual(Array.from(a as Uint8Array));
    await qm.dispose();
    await back.dispose();
  }, 60000);

  test('a folder without quant_params.json is refused with a message naming the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-q-'));
    await expect(loadQuantized(dir)).rejects.toThrow(/quant_params\.json does not exist; .* must be a folder written by npuquant quantize/);
  });

  test('an unknown layer in the precision overrides names the closest layer', async () => {
    await expect(quantize(model('digits_cnn'), {
      target: 'rk3588', data: X20, limit: 16, overrides: { precision: { '/features/features.0/Conv2': 'int16' } },
    })).rejects.toThrow('there is no layer named "/features/features.0/Conv2" in the model; the closest is "/features/features.0/Conv"');
  });
});
