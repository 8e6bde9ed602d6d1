/**
 * Hand-made graphs for the layout passes: non-uniform Conv strides rewritten as stride 1 + Slice
 * (Gather below opset 10), channel reorderings before a Conv folded into its weights, and Transpose
 * pairs cancelled or composed. Outputs agree in onnxruntime and the Session; the pattern is gone.
 */
import { convStrideToSlice } from '../../lib/passes/conv-stride';
import { foldChannelSwap } from '../../lib/passes/channel-swap';
import { cancelTransposes } from '../../lib/passes/transpose';
import { cloneModel, expectSameOutputs, i64, model, node, opCounts, randn, rng } from './helpers';

const r = rng(31);

describe('conv-stride-to-slice', () => {
  const build = (opset: number, x: (number | string)[]) => model({
    x, outputs: ['y'], opset,
    init: { w1: randn([4, 3, 3, 3], r), b1: randn([4], r), w2: randn([5, 4, 3, 1], r), w3: randn([2, 5, 3, 3], r) },
    nodes: [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], { strides: [2, 1], pads: [1, 1, 1, 1] }),
      node('Conv', ['c1', 'w2'], ['c2'], { strides: [1, 3], pads: [1, 0, 0, 0], dilations: [2, 1] }),
      node('Conv', ['c2', 'w3'], ['y'], { strides: [2, 1], auto_pad: 'SAME_UPPER' }),
      node('Conv', ['c2', 'w3'], ['unused'], { strides: [2, 2] }),   // uniform: not touched (and dead)
    ],
  });

  it('rewrites [2,1], [1,3] and SAME_UPPER strides as stride 1 + Slice (opset 13)', async () => {
    const m = build(13, [2, 3, 11, 10]);
    const after = cloneModel(m);
    const res = convStrideToSlice(after.graph);
    expect(res.changed).toBe(3);
    const convs = after.graph.nodes.filter((n) => n.opType === 'Conv');
    expect(convs.map((n) => n.attrInts('strides').join(','))).toEqual(['1,1', '1,1', '1,1', '2,2']);
    expect(opCounts(after.graph).Slice).toBe(3);
    const a = await expectSameOutputs(m, after, randn([2, 3, 11, 10], r));
    expect(a.maxAbs).toBe(0);
  });

  it('uses Gather below opset 10, when the strided axis lengths are known', async () => {
    const m = build(9, [2, 3, 11, 10]);
    const after = cloneModel(m);
    expect(convStrideToSlice(after.graph).changed).toBe(3);
    expect(opCounts(after.graph)).toMatchObject({ Conv: 4, Gather: 3 });
    expect((await expectSameOutputs(m, after, randn([2, 3, 11, 10], r))).maxAbs).toBe(0);
    const sym = build(9, ['N', 3, 'H', 10]);
    const res = convStrideToSlice(sym.graph);
    expect(res.changed).toBe(1);   // the [1,3] stride: its axis (W) has a known length
    expect(res.details.filter((d) => d.startsWith('left'))).toHaveLength(2);
  });
});

describe('fold-channel-swap', () => {
  it('folds Gather, Split + Concat and Slice + Concat channel reorderings into the Convs', async () => {
    const m = model({
      x: [2, 3, 6, 6], outputs: ['y1', 'y2', 'y3'],
      init: {
        bgr: i64([2, 1, 0]), w1: randn([4, 3, 3, 3], r), w1b: randn([4, 3, 1, 1], r), w2: randn([4, 3, 1, 1], r), w3: randn([3, 3, 3, 3], r),
        s0: i64([2]), e0: i64([3]), s1: i64([0]), e1: i64([2]), ax: i64([1]),
      },
      nodes: [
        node('Gather', ['x', 'bgr'], ['g'], { axis: 1 }),
        node('Conv', ['g', 'w1'], ['c1'], { pads: [1, 1, 1, 1] }), node('Conv', ['g', 'w1b'], ['c1b']), node('Add', ['c1', 'c1b'], ['y1']),
        node('Split', ['x'], ['p0', 'p1', 'p2'], { axis: 1 }),
        node('Concat', ['p1', 'p2', 'p0'], ['cat'], { axis: 1 }), node('Conv', ['cat', 'w2'], ['y2']),
        node('Slice', ['x', 's0', 'e0', 'ax'], ['q0']), node('Slice', ['x', 's1', 'e1', 'ax'], ['q1']),
        node('Concat', ['q0', 'q1'], ['cat2'], { axis: -3 }), node('Conv', ['cat2', 'w3'], ['y3'], { pads: [1, 1, 1, 1] }),
      ],
    });
    const after = cloneModel(m);
    const res = foldChannelSwap(after.graph);
    expect(res.changed).toBe(4);
    expect(opCounts(after.graph)).toEqual({ Conv: 4, Add: 1 });
    expect(after.graph.nodes.filter((n) => n.opType === 'Conv').every((n) => n.inputs[0] === 'x')).toBe(true);
    // Same products, summed in another channel order: equal up to float rounding.
    expect((await expectSameOutputs(m, after, randn([2, 3, 6, 6], r))).maxAbs).toBeLessThan(1e-5);
  });

  it('leaves selections that are not permutations and reorderings read by other ops', () => {
    const m = model({
      x: [1, 3, 4, 4], outputs: ['y1', 'y2'],
      init: { sel: i64([0, 0, 1]), perm: i64([1, 2, 0]), w: randn([2, 3, 1, 1], r) },
      nodes: [
        node('Gather', ['x', 'sel'], ['g1'], { axis: 1 }), node('Conv', ['g1', 'w'], ['y1']),
        node('Gather', ['x', 'perm'], ['g2'], { axis: 1 }), node('Relu', ['g2'], ['y2']),
      ],
    });
    expect(foldChannelSwap(m.graph).changed).toBe(0);
  });
});

describe('cancel-transposes', () => {
  it('cancels inverse pairs, composes other pairs and removes identity perms', async () => {
    const m = model({
      x: [2, 3, 4, 5], outputs: ['y1', 'y2', 'y3'],
      init: { w: randn([2, 3, 1, 1], r) },
      nodes: [
        node('Transpose', ['x'], ['nhwc'], { perm: [0, 2, 3, 1] }), node('Transpose', ['nhwc'], ['nchw'], { perm: [0, 3, 1, 2] }),
        node('Conv', ['nchw', 'w'], ['y1']),
        node('Transpose', ['x'], ['t1'], { perm: [1, 0, 2, 3] }), node('Transpose', ['t1'], ['y2'], { perm: [0, 1, 3, 2] }),
        node('Relu', ['x'], ['rx']), node('Transpose', ['rx'], ['t3']), node('Transpose', ['t3'], ['t4']),   // default perms
        node('Transpose', ['t4'], ['y3'], { perm: [0, 1, 2, 3] }),
      ],
    });
    const after = cloneModel(m);
    const res = cancelTransposes(after.graph);
    expect(res.changed).toBe(4);
    expect(opCounts(after.graph)).toEqual({ Conv: 1, Transpose: 1, Relu: 1 });
    expect(after.graph.nodes.find((n) => n.opType === 'Transpose')!.attrInts('perm')).toEqual([1, 0, 3, 2]);
    expect(after.graph.nodes.find((n) => n.opType === 'Relu')!.outputs).toEqual(['y3']);
    expect((await expectSameOutputs(m, after, randn([2, 3, 4, 5], r))).maxAbs).toBe(0);
  });

  it('keeps a graph output name with an Identity when an inverse pair maps a graph input to it', async () => {
    const m = model({
      x: [2, 3, 4], outputs: ['y'],
      nodes: [node('Transpose', ['x'], ['t'], { perm: [2, 0, 1] }), node('Transpose', ['t'], ['y'], { perm: [1, 2, 0] })],
    });
    const after = cloneModel(m);
    expect(cancelTransposes(after.graph).changed).toBe(1);
    expect(opCounts(after.graph)).toEqual({ Identity: 1 });
    expect((await expectSameOutputs(m, after, randn([2, 3, 4], r))).maxAbs).toBe(0);
  });
});
