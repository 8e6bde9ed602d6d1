/**
 * Hand-made graphs for the folding passes: BatchNorm into Conv / ConvTranspose / Gemm, per-channel
 * Mul/Add/Sub/Div after and before a Conv, Div by a constant into Mul, HardSwish fusion. Each
 * rewritten graph runs in onnxruntime and the Session with the same outputs (cosine > 1 - 1e-6, max
 * abs error bounded), and the pattern is gone from the graph.
 */
import { Tensor } from '../../lib/ir/tensor';
import { divToMul } from '../../lib/passes/div-to-mul';
import { foldBatchNorm } from '../../lib/passes/fold-batchnorm';
import { foldConvAdd, foldConvInputAffine } from '../../lib/passes/fold-conv-affine';
import { FUSE_HARDSWISH, fuseHardSwish } from '../../lib/passes/hardswish';
import { cloneModel, expectSameOutputs, model, node, opCounts, randn, rng, scalar } from './helpers';

const r = rng(21);
const positive = (shape: number[]) => randn(shape, r, 0.5, 2);

describe('fold-batchnorm', () => {
  it('folds BN into Conv, ConvTranspose (group 2) and Gemm (transB, alpha, beta, bias [N])', async () => {
    const bn = (c: number, p: string) => ({ [`${p}g`]: randn([c], r), [`${p}b`]: randn([c], r), [`${p}m`]: randn([c], r), [`${p}v`]: positive([c]) });
    const bnNode = (p: string, x: string, y: string) => node('BatchNormalization', [x, `${p}g`, `${p}b`, `${p}m`, `${p}v`], [y], { epsilon: { f: 1e-3 } }, `${p}bn`);
    const m = model({
      x: [2, 4, 6, 6],
      outputs: ['y'],
      init: {
        w1: randn([6, 4, 3, 3], r), b1: randn([6], r), ...bn(6, 'a'),
        wt: randn([6, 2, 2, 2], r), ...bn(4, 't'),                     // ConvTranspose group 2: 6 in, 4 out
        wg: randn([5, 4 * 12 * 12], r), cg: randn([5], r), ...bn(5, 'g'),
      },
      nodes: [
        node('Conv', ['x', 'w1', 'b1'], ['c1'], { pads: [1, 1, 1, 1] }), bnNode('a', 'c1', 'y1'),
        node('ConvTranspose', ['y1', 'wt'], ['c2'], { strides: [2, 2], group: 2 }), bnNode('t', 'c2', 'y2'),
        node('Flatten', ['y2'], ['f']),
        node('Gemm', ['f', 'wg', 'cg'], ['c3'], { transB: 1, alpha: { f: 0.5 }, beta: { f: 2 } }), bnNode('g', 'c3', 'y'),
      ],
    });
    const after = cloneModel(m);
    const res = foldBatchNorm(after.graph);
    expect(res.changed).toBe(3);
    expect(opCounts(after.graph)).toEqual({ Conv: 1, ConvTranspose: 1, Flatten: 1, Gemm: 1 });
    const a = await expectSameOutputs(m, after, randn([2, 4, 6, 6], r));
    expect(a.maxAbs).toBeLessThan(1e-4);
  });

  it('leaves a BN whose producer output has another reader', () => {
    const m = model({
      x: [1, 2, 3, 3], outputs: ['y', 'c'],
      init: { w: randn([2, 2, 1, 1], r), g: randn([2], r), b: randn([2], r), mu: randn([2], r), v: positive([2]) },
      nodes: [node('Conv', ['x', 'w'], ['c']), node('BatchNormalization', ['c', 'g', 'b', 'mu', 'v'], ['y'])],
    });
    expect(foldBatchNorm(m.graph).changed).toBe(0);
  });
});

describe('fold-mul-add-after-conv', () => {
  it('folds conv -> mul -> add, c - conv, conv / c and ConvTranspose -> add', async () => {
    const m = model({
      x: [2, 3, 7, 7],
      outputs: ['y'],
      init: {
        w1: randn([4, 3, 3, 3], r), s1: randn([1, 4, 1, 1], r), a1: randn([4, 1, 1], r), c2: randn([4, 1, 1], r),
        w2: randn([4, 4, 1, 1], r), b2: randn([4], r), d2: positive([1, 4, 1, 1]),
        wt: randn([4, 3, 2, 2], r), bt: randn([1, 3, 1, 1], r),
      },
      nodes: [
        node('Conv', ['x', 'w1'], ['c1'], { pads: [1, 1, 1, 1] }), node('Mul', ['c1', 's1'], ['m1']), node('Add', ['a1', 'm1'], ['p1']),
        node('Sub', ['c2', 'p1'], ['q1']),                                              // c - conv: negated weights
        node('Conv', ['q1', 'w2', 'b2'], ['c3']), node('Div', ['c3', 'd2'], ['q3']),
        node('ConvTranspose', ['q3', 'wt'], ['t1'], { strides: [2, 2] }), node('Add', ['t1', 'bt'], ['y']),
      ],
    });
    const after = cloneModel(m);
    const res = foldConvAdd(after.graph);
    expect(res.changed).toBe(5);
    expect(opCounts(after.graph)).toEqual({ Conv: 2, ConvTranspose: 1 });
    expect(after.graph.nodes[2].outputs).toEqual(['y']);
    const a = await expectSameOutputs(m, after, randn([2, 3, 7, 7], r));
    expect(a.maxAbs).toBeLessThan(1e-4);
  });
});

describe('fold-mul-add-before-conv', () => {
  const build = () => model({
    x: [2, 3, 8, 8],
    outputs: ['y1', 'y2', 'y3'],
    init: {
      sub: randn([3, 1, 1], r), mul: positive([1, 3, 1, 1]), w1: randn([5, 3, 3, 3], r), b1: randn([5], r),
      mul2: positive([3, 1, 1]), add2: randn([1, 3, 1, 1], r), w2: randn([6, 1, 3, 3], r),
      add3: randn([1, 3, 1, 1], r), w3: randn([2, 3, 3, 3], r),
    },
    nodes: [
      // add/sub -> mul -> conv (unpadded): both fold.
      node('Sub', ['x', 'sub'], ['s1']), node('Mul', ['s1', 'mul'], ['m1']), node('Conv', ['m1', 'w1', 'b1'], ['y1']),
      // mul -> add -> conv (depthwise, multiplier 2, unpadded, stride 2): both fold.
      node('Mul', ['mul2', 'x'], ['m2']), node('Add', ['m2', 'add2'], ['a2']), node('Conv', ['a2', 'w2'], ['y2'], { group: 3, strides: [2, 2] }),
      // add -> padded conv: not exact at the borders, left alone.
      node('Add', ['x', 'add3'], ['a3']), node('Conv', ['a3', 'w3'], ['y3'], { pads: [1, 1, 1, 1] }),
    ],
  });

  it('folds scales and offsets into unpadded Convs and leaves offsets before padded ones', async () => {
    const m = build();
    const after = cloneModel(m);
    const res = foldConvInputAffine(after.graph);
    expect(res.changed).toBe(4);
    expect(res.details).toContain('left Add "a3" before a padded Conv: an offset before zero padding is not exact at the borders');
    expect(opCounts(after.graph)).toEqual({ Conv: 3, Add: 1 });
    expect(after.graph.nodes.filter((n) => n.opType === 'Conv').map((n) => n.inputs[0])).toEqual(['x', 'x', 'a3']);
    const a = await expectSameOutputs(m, after, randn([2, 3, 8, 8], r));
    expect(a.maxAbs).toBeLessThan(1e-4);
  });

  it('folds a Mul before a padded Conv (zero stays zero)', async () => {
    const m = model({
      x: [1, 3, 6, 6], outputs: ['y'], init: { s: positive([1, 3, 1, 1]), w: randn([4, 3, 3, 3], r) },
      nodes: [node('Mul', ['x', 's'], ['m']), node('Conv', ['m', 'w'], ['y'], { pads: [1, 1, 1, 1] })],
    });
    const after = cloneModel(m);
    expect(foldConvInputAffine(after.graph).changed).toBe(1);
    expect(opCounts(after.graph)).toEqual({ Conv: 1 });
    await expectSameOutputs(m, after, randn([1, 3, 6, 6], r));
  });

  it('moves a scale past the offset after it to fold it into a padded Conv (PaddleOCR learnable affine block)', async () => {
    // Relu -> Mul(scalar) -> Add(per channel) -> padded depthwise Conv, twice: a Mul read only by the
    // Add moves; one whose output has a second reader, and one with a zero scale, stay.
    const m = model({
      x: [2, 3, 7, 7], outputs: ['y', 'z', 'side', 'u'],
      init: { s: scalar(-0.75), b: randn([1, 3, 1, 1], r), w: randn([3, 1, 3, 3], r), w2: randn([3, 1, 3, 3], r),
        s0: new Tensor('float32', [1, 3, 1, 1], Float32Array.of(0.5, 0, 2)), w3: randn([3, 1, 3, 3], r) },
      nodes: [
        node('Relu', ['x'], ['h']), node('Mul', ['s', 'h'], ['m']), node('Add', ['m', 'b'], ['a']),
        node('Conv', ['a', 'w'], ['y'], { group: 3, pads: [1, 1, 1, 1] }),
        node('Mul', ['h', 's'], ['m2']), node('Add', ['m2', 'b'], ['a2']), node('Conv', ['a2', 'w2'], ['z'], { group: 3, pads: [1, 1, 1, 1] }),
        node('Relu', ['m2'], ['side']),
        node('Mul', ['h', 's0'], ['m3']), node('Add', ['m3', 'b'], ['a3']), node('Conv', ['a3', 'w3'], ['u'], { group: 3, pads: [1, 1, 1, 1] }),
      ],
    });
    const after = cloneModel(m);
    const res = foldConvInputAffine(after.graph);
    expect(res.details).toContain('moved Mul "m" past Add "a" (a x + b = a (x + b / a)), to fold it into the Conv after them');
    expect(res.details.filter((d) => d.startsWith('moved'))).toHaveLength(1);
    // The first chain is Add -> Conv now, the Add under its own name; the other two keep Mul and Add.
    expect(opCounts(after.graph)).toEqual({ Relu: 2, Mul: 2, Add: 3, Conv: 3 });
    const conv = after.graph.nodes.find((n) => n.outputs[0] === 'y')!;
    const add = after.graph.nodes.find((n) => n.outputs[0] === conv.inputs[0])!;
    expect([add.opType, add.name, add.inputs[0]]).toEqual(['Add', 'a', 'h']);
    const a = await expectSameOutputs(m, after, randn([2, 3, 7, 7], r));
    expect(a.maxAbs).toBeLessThan(1e-4);
  });

  it('does not move a scale whose offset b / a would overflow float32', () => {
    const m = model({
      x: [1, 3, 5, 5], outputs: ['y'], init: { s: scalar(1e-30), b: scalar(1e10), w: randn([3, 1, 3, 3], r) },
      nodes: [node('Mul', ['x', 's'], ['m']), node('Add', ['m', 'b'], ['a']), node('Conv', ['a', 'w'], ['y'], { group: 3, pads: [1, 1, 1, 1] })],
    });
    const res = foldConvInputAffine(m.graph);
    expect(res.changed).toBe(0);
    expect(opCounts(m.graph)).toEqual({ Mul: 1, Add: 1, Conv: 1 });
  });
});

describe('div-to-mul', () => {
  it('turns Div by a constant into Mul by its reciprocal (cosine 1 - 1e-7)', async () => {
    const m = model({
      x: [2, 3, 4, 4], outputs: ['y', 'z'], init: { d: randn([1, 3, 1, 1], r, 0.1, 3), seven: scalar(7), z0: new Tensor('float32', [1], new Float32Array([0])) },
      nodes: [node('Div', ['x', 'd'], ['q']), node('Div', ['q', 'seven'], ['y']), node('Div', ['x', 'z0'], ['z'])],
    });
    const after = cloneModel(m);
    expect(divToMul(after.graph).changed).toBe(2);
    expect(opCounts(after.graph)).toEqual({ Mul: 2, Div: 1 });    // the division by zero stays
    const x = randn([2, 3, 4, 4], r);
    (x.data as Float32Array)[0] = 0;
    const before = cloneModel(m);
    before.graph.outputs = before.graph.outputs.slice(0, 1);
    after.graph.outputs = after.graph.outputs.slice(0, 1);
    const a = await expectSameOutputs(before, after, x, 1 - 1e-7);
    expect(a.maxAbs).toBeLessThan(1e-5);
  });
});

describe('fuse-hardswish', () => {
  const paddle = (opset: number, tail: 'div' | 'mul') => {
    const clip = opset >= 11
      ? node('Clip', ['t1', 'zero', 'six'], ['t2'])
      : node('Clip', ['t1'], ['t2'], { min: { f: 0 }, max: { f: 6 } });
    return model({
      x: [2, 3, 5, 5], outputs: ['y'], opset,
      init: { three: scalar(3), zero: scalar(0), six: scalar(6), sixth: scalar(1 / 6) },
      nodes: [
        node('Add', ['x', 'three'], ['t1']), clip, node('Mul', ['x', 't2'], ['t3']),
        tail === 'div' ? node('Div', ['t3', 'six'], ['y']) : node('Mul', ['t3', 'sixth'], ['y']),
      ],
    });
  };

  it('fuses Paddle HardSwish with Clip attributes (opset 9) and with Mul by 1/6 (after div-to-mul)', async () => {
    for (const [opset, tail] of [[9, 'div'], [13, 'mul']] as const) {
      const m = paddle(opset, tail);
      const after = cloneModel(m);
      expect(fuseHardSwish(after.graph).changed).toBe(1);
      expect(opCounts(after.graph)).toEqual({ HardSwish: 1 });
      const x = new Tensor('float32', [2, 3, 5, 5], Float32Array.from({ length: 150 }, (_, i) => (i - 75) / 8));
      expect((await expectSameOutputs(m, after, x, 0.999999, ['session'])).maxAbs).toBeLessThan(1e-5);
    }
  });

  it('as a pass, fuses only at opset >= 14 unless engine rewrites are allowed', async () => {
    const m13 = paddle(13, 'div');
    expect(FUSE_HARDSWISH.run(m13.graph, {}).changed).toBe(0);
    expect(FUSE_HARDSWISH.run(m13.graph, { engine: true }).changed).toBe(1);
    const m14 = paddle(14, 'div');
    const after = cloneModel(m14);
    expect(FUSE_HARDSWISH.run(after.graph, {}).changed).toBe(1);
    const x = randn([2, 3, 5, 5], r, -5, 5);
    await expectSameOutputs(m14, after, x);
  });

  it('the offset folding before a Conv leaves the HardSwish tail alone', () => {
    const m = paddle(13, 'mul');
    m.graph.initializers.set('w', randn([2, 3, 1, 1], r));
    m.graph.nodes.push(node('Conv', ['y', 'w'], ['z']));
    m.graph.outputs = [{ name: 'z', dtype: 'float32', shape: undefined }];
    expect(foldConvInputAffine(m.graph).changed).toBe(0);
  });
});
