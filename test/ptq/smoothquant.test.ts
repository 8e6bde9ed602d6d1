/**
 * SmoothQuant on activation outliers. A float-equivalent outlier model is made from digits_cnn:
 * output channel 0 of the second Conv (weights and bias) times 50, the third Conv's weights on that
 * channel divided by 50. Per-tensor int8 activations then spend their range on one channel; SmoothQuant
 * must recover most of the loss. The rewrite itself keeps the float outputs (cosine > 0.999999).
 * Also LayerNormalization -> MatMul (the transformer case): the scales fold into LN's scale and bias.
 */
import type { Model } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { takeSamples } from '../../lib/ptq/data';
import { smoothQuant } from '../../lib/ptq/smoothquant';
import { quantize } from '../../lib/quantize/quantize';
import { Session } from '../../lib/runtime/session';
import { model, node, randn, rng } from '../passes/helpers';
import { agree, copy, dataPath, floatLogits, input, optimized, row, score, top1, type Scores } from './helpers';

const NAME = 'digits_cnn';
const CALIBRATION = 200;

/** digits_cnn with a x50 outlier channel between its second and third Conv (float-equivalent). */
async function outlierModel(): Promise<Model> {
  const m = await optimized(NAME);
  const g = m.graph;
  const conv2 = g.nodes.find((n) => n.name === '/features/features.4/Conv')!;
  const conv3 = g.nodes.find((n) => n.name === '/features/features.8/Conv')!;
  const scaled = (name: string, f: (d: Float32Array, shape: readonly number[]) => void) => {
    const t = g.initializers.get(name)!;
    const d = Float32Array.from(t.data as Float32Array);
    f(d, t.shape);
    g.initializers.set(`${name}__outlier`, new Tensor('float32', t.shape, d));
    return `${name}__outlier`;
  };
  conv2.inputs[1] = scaled(conv2.inputs[1], (d, s) => { for (let i = 0; i < s[1] * s[2] * s[3]; i++) d[i] *= 50; });
  conv2.inputs[2] = scaled(conv2.inputs[2], (d) => { d[0] *= 50; });
  conv3.inputs[1] = scaled(conv3.inputs[1], (d, s) => {
    const per = s[2] * s[3];
    for (let o = 0; o < s[0]; o++) for (let k = 0; k < per; k++) d[(o * s[1]) * per + k] /= 50;
  });
  return m;
}

describe('SmoothQuant', () => {
  test('digits_cnn with an outlier channel: int8 loses, SmoothQuant recovers most of it', async () => {
    const x = input(NAME);
    const ref = await floatLogits(await optimized(NAME), x);
    const outlier = await outlierModel();
    const same = agree(ref, await floatLogits(outlier, x));
    // The rewrite alone, on the float model.
    const sq = copy(outlier);
    const feeds = await takeSamples([{ input: x }], 64);
    const r = await smoothQuant(sq.graph, feeds);
    const kept = agree(ref, await floatLogits(sq, x));
    const run = async (m: Model, extra: object): Promise<[Scores, number]> => {
      const t0 = Date.now();
      const qm = await quantize(m, { target: 'onnxruntime', data: dataPath(NAME), limit: CALIBRATION, ...extra });
      const ms = Date.now() - t0;
      const s = await score(qm, x, ref, CALIBRATION);
      await qm.dispose();
      return [s, ms];
    };
    const [clean, c0] = await run(await optimized(NAME), {});
    const [bad, b0] = await run(outlier, {});
    const [fixed, f0] = await run(outlier, { smoothQuant: { alpha: 0.5 } });
    process.stdout.write(`SmoothQuant, ${NAME} int8 (onnxruntime profile, per-tensor), 500 dev images (float top-1 ${top1(ref).toFixed(3)}):\n` +
      `  outlier model vs float: cosine ${same.cosine.toFixed(9)}, max |err| ${same.maxAbs.toExponential(2)}\n` +
      `  SmoothQuant rewrite vs float: cosine ${kept.cosine.toFixed(9)}, max |err| ${kept.maxAbs.toExponential(2)}\n` +
      `  ${r.details.join('\n  ')}\n  ${row('original model', clean, c0)}\n  ${row('x50 outlier channel', bad, b0)}\n` +
      `  ${row('x50 outlier + SmoothQuant 0.5', fixed, f0)}\n`);
    expect(same.cosine).toBeGreaterThan(0.999999);
    expect(kept.cosine).toBeGreaterThan(0.999999);
    expect(r.changed).toBe(4);
    expect(bad.cosine).toBeLessThan(clean.cosine - 0.001);
    // Most of the cosine lost to the outlier comes back.
    expect(fixed.cosine - bad.cosine).toBeGreaterThan(0.5 * (clean.cosine - bad.cosine));
    expect(fixed.top1).toBeGreaterThanOrEqual(bad.top1);
  }, 120000);

  test('LayerNormalization -> MatMul with an outlier channel: scales fold into LN, float kept, int8 error drops', async () => {
    const r = rng(5);
    const gamma = randn([32], r, 0.5, 1.5);
    (gamma.data as Float32Array)[3] *= 50;
    const m = model({
      x: [64, 32], outputs: ['y'],
      init: { gamma, beta: randn([32], r, -0.1, 0.1), w: randn([32, 24], r) },
      nodes: [node('LayerNormalization', ['x', 'gamma', 'beta'], ['ln'], { axis: -1 }), node('MatMul', ['ln', 'w'], ['y'])],
    });
    const batches = [0, 1, 2, 3].map(() => ({ x: randn([64, 32], r) }));
    const floatOut = async (mm: Model) => {
      const s = await Session.create(mm, { fuse: false });
      const out: number[] = [];
      for (const b of batches) out.push(...((await s.run(b)).y.data as Float32Array));
      s.dispose();
      return out;
    };
    const ref = await floatOut(m);
    const sq = copy(m);
    const res = await smoothQuant(sq.graph, batches);
    const kept = agree(ref, await floatOut(sq));
    const cos = async (extra: object) => {
      const qm = await quantize(m, { target: 'onnxruntime', data: batches, ...extra });
      const out: number[] = [];
      for (const b of batches) out.push(...((await qm.run(b)).y.data as Float32Array));
      await qm.dispose();
      return agree(ref, out).cosine;
    };
    const before = await cos({});
    const after = await cos({ smoothQuant: true });
    process.stdout.write(`SmoothQuant LayerNormalization -> MatMul: rewrite cosine ${kept.cosine.toFixed(9)}, max |err| ${kept.maxAbs.toExponential(2)}; ` +
      `int8 cosine ${before.toFixed(6)} -> ${after.toFixed(6)}\n  ${res.details.join('\n  ')}\n`);
    expect(res.details).toEqual([expect.stringMatching(/^smoothed "ln" \(LayerNormalization "ln" -> MatMul "y"\)/)]);
    expect(kept.cosine).toBeGreaterThan(0.999999);
    expect(1 - after).toBeLessThan((1 - before) / 2);
  }, 60000);

  test('rejects alpha outside [0, 1]', async () => {
    await expect(quantize(await optimized(NAME), { target: 'onnxruntime', data: dataPath(NAME), smoothQuant: { alpha: 2 } }))
      .rejects.toThrow('Expected a number in [0, 1] for options.smoothQuant.alpha but received 2');
  });
});
