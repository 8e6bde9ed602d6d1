/**
 * CLE and bias correction on per-tensor weights of the MobileNetV2-style digits model (the DFQ
 * paper's case): int8, and 6-bit weights where naive per-tensor quantization visibly loses. Top-1
 * on the 500-image dev split (calibration: the first 200) and output cosine against the float model,
 * before and after. Plus bias correction of a layer that had no bias, from an in-memory iterable.
 */
import { quantize } from '../../lib/quantize/quantize';
import type { QuantizeOptions } from '../../lib/quantize/quantize';
import { model, node, randn, rng } from '../passes/helpers';
import { dataPath, floatLogits, input, modelPath, row, score, top1, type Scores } from './helpers';

const NAME = 'digits_mobilenetv2';
const CALIBRATION = 200;

async function variant(extra: Partial<QuantizeOptions>, ref: Float32Array): Promise<{ s: Scores; ms: number; q: Float32Array }> {
  const t0 = Date.now();
  const qm = await quantize(modelPath(NAME), { target: 'onnxruntime', data: dataPath(NAME), perChannel: false, limit: CALIBRATION, ...extra });
  const ms = Date.now() - t0;
  const x = input(NAME);
  const s = await score(qm, x, ref, CALIBRATION);
  const q = (await qm.run({ input: x })).logits.data as Float32Array;
  await qm.dispose();
  return { s, ms, q };
}

/** Mean over the 10 logits of |mean over samples of (quantized - float)|: the bias bias correction removes. */
function meanShift(q: Float32Array, f: Float32Array): number {
  const m = new Float64Array(10);
  for (let i = 0; i < q.length; i++) m[i % 10] += q[i] - f[i];
  return m.reduce((a, v) => a + Math.abs(v), 0) / 10 / (q.length / 10);
}

describe(`${NAME}, per-tensor weights (onnxruntime profile)`, () => {
  test('int8: CLE, bias correction (analytic, empirical) and both; none loses against naive', async () => {
    const ref = await floatLogits(modelPath(NAME), input(NAME));
    const runs: [string, Partial<QuantizeOptions>][] = [
      ['naive per-tensor int8', {}], ['CLE', { cle: true }], ['bias correction analytic', { biasCorrection: 'analytic' }],
      ['bias correction empirical', { biasCorrection: 'empirical' }], ['CLE + BC analytic', { cle: true, biasCorrection: 'analytic' }],
      ['CLE + BC empirical', { cle: true, biasCorrection: 'empirical' }],
    ];
    const res: Record<string, { s: Scores; ms: number; q: Float32Array }> = {};
    for (const [label, o] of runs) res[label] = await variant(o, ref);
    const shift = (k: string) => meanShift(res[k].q, ref);
    process.stdout.write(`${NAME} per-tensor int8, 500 dev images (float top-1 ${top1(ref).toFixed(3)}):\n` +
      `${runs.map(([l]) => `  ${row(l, res[l].s, res[l].ms)}  mean logit shift ${shift(l).toFixed(4)}`).join('\n')}\n`);
    const base = res['naive per-tensor int8'].s;
    // Analytic correction only removes the weight error's mean, which is tiny with int8 weights here:
    // it moves the cosine by a few 1e-7 either way (bias correction analytic 0.999686 against naive
    // 0.999687 since HardSwish is fused). The empirical one measures the whole shift and must gain.
    for (const l of ['bias correction analytic', 'CLE + BC analytic']) {
      expect(res[l].s.cosine).toBeGreaterThanOrEqual(base.cosine - 1e-6);
      expect(res[l].s.top1).toBeGreaterThanOrEqual(base.top1);
    }
    for (const l of ['bias correction empirical', 'CLE + BC empirical']) {
      expect(res[l].s.cosine).toBeGreaterThan(base.cosine);
      expect(res[l].s.top1).toBeGreaterThanOrEqual(base.top1);
    }
    expect(shift('bias correction empirical')).toBeLessThan(shift('naive per-tensor int8'));
  }, 180000);

  test('6-bit weights: naive per-tensor loses, CLE + bias correction recovers most of it', async () => {
    const ref = await floatLogits(modelPath(NAME), input(NAME));
    const naive = await variant({ weightBits: 6 }, ref);
    const analytic = await variant({ weightBits: 6, cle: true, biasCorrection: 'analytic' }, ref);
    const empirical = await variant({ weightBits: 6, cle: true, biasCorrection: 'empirical' }, ref);
    process.stdout.write(`${NAME} per-tensor 6-bit weights, 500 dev images (float top-1 ${top1(ref).toFixed(3)}):\n  ${row('naive', naive.s, naive.ms)}\n` +
      `  ${row('CLE + BC analytic', analytic.s, analytic.ms)}\n  ${row('CLE + BC empirical', empirical.s, empirical.ms)}\n`);
    for (const r of [analytic, empirical]) {
      expect(r.s.cosine - naive.s.cosine).toBeGreaterThan(0.0005);
      expect(r.s.top1).toBeGreaterThan(naive.s.top1);
    }
  }, 180000);
});

describe('a layer without a bias', () => {
  test('gets a zero bias before planning and is corrected (data: an in-memory array of batches)', async () => {
    const r = rng(11);
    const w = randn([8, 4, 3, 3], r);
    // A mean offset in the weights that 3-bit per-tensor rounding does not keep.
    (w.data as Float32Array).forEach((v, i, a) => { a[i] = v * 0.3 + 0.011; });
    const m = model({ x: [4, 4, 6, 6], outputs: ['y'], init: { w }, nodes: [node('Conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] })] });
    const batches = [0, 1, 2, 3].map(() => ({ x: randn([4, 4, 6, 6], r, 0, 1) }));
    const steps: string[] = [];
    const meanErr = async (bc: boolean) => {
      const qm = await quantize(m, {
        target: 'onnxruntime', data: batches, weightBits: 3, biasCorrection: bc ? 'analytic' : false,
        onPtqStep: (s, d) => steps.push(`${s}: ${d.join('; ')}`),
      });
      expect(!!qm.plan.nodes.get('y')!.bias).toBe(bc);
      let err = 0, n = 0;
      const per = new Float64Array(8);
      for (const b of batches) {
        const q = (await qm.run(b)).y.data as Float32Array;
        const f = (await qm.runFloat(b)).y.data as Float32Array;
        for (let i = 0; i < q.length; i++) per[Math.floor(i / 36) % 8] += q[i] - f[i];
        n += q.length / 8;
      }
      per.forEach((v) => { err += Math.abs(v / n); });
      await qm.dispose();
      return err / 8;
    };
    const before = await meanErr(false);
    const after = await meanErr(true);
    process.stdout.write(`Conv without bias, 3-bit weights: mean per-channel output shift ${before.toFixed(4)} -> ${after.toFixed(4)}\n`);
    expect(steps[0]).toMatch(/^prepare: added a zero bias to Conv "y"/);
    expect(steps[1]).toMatch(/^biasCorrection: y: max mean error/);
    expect(after).toBeLessThan(before / 2);
  }, 60000);

  test('rejects a bad mode with the option named', async () => {
    await expect(quantize(modelPath(NAME), { target: 'onnxruntime', data: dataPath(NAME), biasCorrection: 'exact' as never }))
      .rejects.toThrow("Expected false, 'analytic' or 'empirical' for options.biasCorrection but received \"exact\"");
    await expect(quantize(modelPath(NAME), { target: 'onnxruntime', data: dataPath(NAME), weightBits: 9 }))
      .rejects.toThrow('Expected an integer in [2, 8] for options.weightBits but received 9');
  });
});
