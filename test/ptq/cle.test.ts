/**
 * Cross-layer equalization as a float rewrite: on the bundled digits models and on hand-made
 * Conv -> Relu -> depthwise Conv -> Relu -> Conv graphs the float outputs stay (cosine > 0.999999,
 * max |error| printed), every equalized pair ends with equal channel ranges on both sides, chains
 * through Relu6 are left alone with the reason, and a second run changes nothing.
 */
import { loadModel } from '../../lib/io/onnx';
import { Tensor } from '../../lib/ir/tensor';
import { runPasses } from '../../lib/passes/pipeline';
import { CLE_PASS, crossLayerEqualization, findCleChains } from '../../lib/ptq/cle';
import { rowAbsMax, weightMatrix } from '../../lib/ptq/layout';
import { ScaleBook } from '../../lib/ptq/scaling';
import { model, node, randn, rng, scalar } from '../passes/helpers';
import { agree, copy, floatLogits, input, modelPath, optimized } from './helpers';
import { Session } from '../../lib/runtime/session';
import type { Graph } from '../../lib/ir/graph';

/** Largest relative difference between the producer's and consumer's range of each channel of each pair. */
function worstImbalance(g: Graph): number {
  let worst = 0;
  const book = new ScaleBook(g);
  for (const ch of findCleChains(g).chains) {
    const m = weightMatrix(g, ch.producer)!;
    const r1 = rowAbsMax(m, book.weight(ch.producer));
    const r2 = book.inputAbsMax(ch.consumers, m.cout, ch.spatial);
    r1.forEach((a, i) => { if (a > 0 && r2[i] > 0) worst = Math.max(worst, Math.abs(a / r2[i] - 1)); });
  }
  return worst;
}

describe('cross-layer equalization keeps the float model', () => {
  for (const name of ['digits_mobilenetv2', 'digits_cnn', 'digits_shufflenet']) {
    test(`${name}: outputs agree, pairs balanced, Relu6 chains skipped, idempotent`, async () => {
      const m = await optimized(name);
      const x = input(name);
      const before = await floatLogits(m, x);
      const cle = copy(m);
      const imbalanceBefore = worstImbalance(cle.graph);
      const r = crossLayerEqualization(cle.graph);
      const after = await floatLogits(cle, x);
      const a = agree(before, after);
      const imbalanceAfter = worstImbalance(cle.graph);
      process.stdout.write(`CLE ${name}: ${r.changed} pairs, cosine ${a.cosine.toFixed(9)}, max |err| ${a.maxAbs.toExponential(2)}, ` +
        `worst channel range mismatch ${imbalanceBefore.toFixed(2)} -> ${imbalanceAfter.toExponential(1)}\n  ${r.details.join('\n  ')}\n`);
      expect(r.changed).toBeGreaterThan(0);
      expect(a.cosine).toBeGreaterThan(0.999999);
      expect(imbalanceAfter).toBeLessThan(1e-3);
      expect(imbalanceBefore).toBeGreaterThan(0.1);
      if (name === 'digits_mobilenetv2') {
        expect(r.details.filter((d) => /Clip .* upper bound \(6\) is not scale-equivariant/.test(d))).toHaveLength(6);
        // The SE blocks' fc1 -> Relu -> fc2 are the equalizable pairs.
        expect(r.details.filter((d) => d.startsWith('equalized'))).toHaveLength(3);
      }
      expect(crossLayerEqualization(cle.graph).changed).toBe(0);
    }, 30000);
  }

  test('as a pass in a pipeline after fold-batchnorm: reaches a fixed point', async () => {
    const g = (await loadModel(modelPath('digits_cnn'))).graph;
    const res = runPasses(g, ['fold-batchnorm', CLE_PASS]);
    expect(res.passes.map((p) => [p.name, p.changed])).toEqual([['fold-batchnorm', 3], ['cle', 4]]);
    expect(res.rounds).toBe(2);
  });
});

describe('hand-made chains', () => {
  /** x[1,3,8,8] -> Conv 3x3 (8) -> act -> depthwise 3x3 -> act -> Conv 1x1 (4), channel ranges spread 1000x. */
  function chain(act: 'Relu' | 'Relu6') {
    const r = rng(7);
    const spread = (t: Tensor, perOut: number) => {
      const d = t.data as Float32Array;
      for (let i = 0; i < d.length; i++) d[i] *= 10 ** (1.5 * (Math.floor(i / perOut) % 8) / 4 - 1.5);
      return t;
    };
    const a = (i: string, o: string) => (act === 'Relu' ? node('Relu', [i], [o]) : node('Clip', [i, 'zero', 'six'], [o]));
    return model({
      x: [1, 3, 8, 8], outputs: ['y'],
      init: {
        w1: spread(randn([8, 3, 3, 3], r), 27), b1: randn([8], r), w2: spread(randn([8, 1, 3, 3], r), 9), b2: randn([8], r),
        w3: randn([4, 8, 1, 1], r), b3: randn([4], r), zero: scalar(0), six: scalar(6),
      },
      nodes: [
        node('Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] }), a('c1', 'a1'),
        node('Conv', ['a1', 'w2', 'b2'], ['c2'], { group: 8, pads: [1, 1, 1, 1] }), a('c2', 'a2'),
        node('Conv', ['a2', 'w3', 'b3'], ['y']),
      ],
    });
  }

  async function run(m: ReturnType<typeof chain>, x: Tensor): Promise<Float32Array> {
    const s = await Session.create(m, { fuse: false });
    try {
      return (await s.run({ x }, { outputs: ['y'] })).y.data as Float32Array;
    } finally {
      s.dispose();
    }
  }

  test('Conv -> Relu -> depthwise -> Relu -> Conv: both pairs equalized, conv1 -> dw and dw -> conv2', async () => {
    const m = chain('Relu');
    const x = randn([1, 3, 8, 8], rng(3));
    const before = await run(m, x);
    const w1 = weightMatrix(m.graph, m.graph.nodes[0])!;
    const spreadBefore = rowAbsMax(w1, m.graph.initializers.get('w1')!.data as Float32Array);
    const r = crossLayerEqualization(m.graph);
    const after = await run(m, x);
    const a = agree(before, after);
    const spreadAfter = rowAbsMax(w1, m.graph.initializers.get(m.graph.nodes[0].inputs[1])!.data as Float32Array);
    const ratio = (v: Float64Array) => Math.max(...v) / Math.min(...v);
    process.stdout.write(`CLE hand-made: cosine ${a.cosine.toFixed(9)}, max |err| ${a.maxAbs.toExponential(2)}, conv1 channel range spread ` +
      `${ratio(spreadBefore).toFixed(1)} -> ${ratio(spreadAfter).toFixed(2)}\n`);
    expect(r.details.filter((d) => d.startsWith('equalized'))).toEqual([
      expect.stringMatching(/^equalized Conv "c1" -> Relu -> Conv "c2"/), expect.stringMatching(/^equalized Conv "c2" -> Relu -> Conv "y"/),
    ]);
    expect(a.cosine).toBeGreaterThan(0.999999);
    expect(ratio(spreadAfter)).toBeLessThan(ratio(spreadBefore) / 5);
    expect(worstImbalance(m.graph)).toBeLessThan(1e-3);
  });

  test('the same chain through Relu6 (Clip 0..6) is left alone', () => {
    const m = chain('Relu6');
    const inits = new Map(m.graph.initializers);
    const r = crossLayerEqualization(m.graph);
    expect(r.changed).toBe(0);
    expect(r.details).toEqual([
      'skipped Conv "c1" -> Clip "a1": a Clip with an upper bound (6) is not scale-equivariant',
      'skipped Conv "c2" -> Clip "a2": a Clip with an upper bound (6) is not scale-equivariant',
    ]);
    expect(m.graph.initializers).toEqual(inits);
  });

  test('rejects bad options', () => {
    expect(() => crossLayerEqualization(chain('Relu').graph, { maxIterations: 0 })).toThrow('Expected a positive integer for maxIterations but received 0');
  });
});
