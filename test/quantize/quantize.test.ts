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
import { Tensor } from '../../lib/ir/tensor';
import sharp from 'sharp';
import { model, X20, X32, top1 } from '../digits';
import { ortGaps } from '../ort-gaps';

const OCR_CLS = path.join(__dirname, '..', '..', 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
const IMAGES = path.join(__dirname, '..', 'fixtures', 'images');

/** Crops of the two fixture photos resized to [3, 48, 192], PaddleOCR's cls normalisation (x/255 - 0.5) / 0.5, as one batch. */
async function clsBatch(): Promise<Tensor> {
  const crops: [string, number, number, number, number][] = [];
  for (const img of ['skimage_astronaut.jpg', 'skimage_coffee.jpg']) {
    for (const [l, t, w, h] of [[0, 0, 256, 64], [20, 40, 200, 50], [0, 100, 256, 64], [60, 10, 180, 45], [30, 120, 220, 50], [0, 60, 128, 32]] as const) {
      crops.push([img, l, t, w, h]);
    }
  }
  const plane = 48 * 192;
  const out = new Float32Array(crops.length * 3 * plane);
  for (const [k, [img, left, top, width, height]] of crops.entries()) {
    const rgb = await sharp(path.join(IMAGES, img)).removeAlpha().extract({ left, top, width, height })
      .resize(192, 48, { fit: 'fill' }).raw().toBuffer();
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[(k * 3 + c) * plane + i] = (rgb[i * 3 + c] / 255 - 0.5) / 0.5;
  }
  return new Tensor('float32', [crops.length, 3, 48, 192], out);
}

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

  // PaddleOCR mobile v2.0 cls (opset 9, a MobileNetV3: Conv, HardSigmoid, Mul, Add, Clip, GlobalAveragePool,
  // MatMul, Softmax) on photo crops. The export raises it to opset 13 (Clip bounds as inputs, ...) and
  // writes the constant operands of Add/Mul (the 3 of x + 3) quantized, so onnxruntime fuses QLinearAdd
  // (as a float Add, 2-4% of six Clip outputs were one step off). Every quantized tensor is compared.
  (fs.existsSync(OCR_CLS) ? test : test.skip)('PaddleOCR v2.0 cls on photo crops: every quantized tensor bit-exact, the Softmax included', async () => {
    const x = await clsBatch();
    const qm = await quantize(OCR_CLS, { target: 'onnxruntime-rr', data: [{ x }], limit: 200 });
    try {
      const input = qm.model.graph.inputs[0].name;
      const g = await ortGaps(qm, input, x);
      const bad = g.filter((r) => r.differing);
      process.stdout.write(`PaddleOCR cls vs onnxruntime: ${g.length} tensors, ${bad.length} differ\n${bad.map((r) => `${r.tensor} ${r.differing}/${r.size} max ${r.max}`).join('\n')}\n`);
      expect(g.length).toBeGreaterThan(100);
      // The Softmax too: onnxruntime fuses DQ -> Softmax -> Q into its QLinearSoftmax (a 256-entry float
      // table of exponentials, a float row sum, floor(1 / output scale)), which the profile's integer
      // Softmax reproduces; with Softmax in float between dequantize and quantize, 3 of its 24 outputs
      // were one step apart (onnxruntime 1.30, x64).
      expect(bad).toEqual([]);
    } finally {
      await qm.dispose();
    }
  }, 120000);
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
    // The model is opset 13: its two exported HardSwish (x * HardSigmoid(x)) were fused, the graph raised
    // to opset 14 (IR 7 at least), and model.float.onnx runs in onnxruntime with the float model's outputs.
    expect(qm.graph.opset).toBe(14);
    expect(qm.graph.nodes.filter((n) => n.opType === 'HardSwish').length).toBeGreaterThan(0);
    const fx = readNpy(X32);
    const one = new ort.Tensor('float32', (fx.data as Float32Array).slice(0, 4 * 32 * 32), [4, 1, 32, 32]);
    const ref = (await (await ort.InferenceSession.create(model('digits_mobilenetv2'))).run({ input: one })).logits.data as Float32Array;
    const opt = (await (await ort.InferenceSession.create(files[2])).run({ input: one })).logits.data as Float32Array;
    for (let i = 0; i < ref.length; i++) expect(Math.abs(opt[i] - ref[i])).toBeLessThan(1e-4);
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
