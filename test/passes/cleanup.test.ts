/**
 * Hand-made graphs for the cleanup passes: constant folding (a shape subgraph, Constant nodes,
 * weight preprocessing), Identity/Dropout removal (graph output names kept) and dead code. Each
 * rewritten graph runs in onnxruntime and the Session with the same outputs, and the pattern is gone.
 */
import { Tensor } from '../../lib/ir/tensor';
import { constantFold, eliminateDeadCode, removeIdentity } from '../../lib/passes/cleanup';
import { runPasses } from '../../lib/passes/pipeline';
import { cloneModel, expectSameOutputs, i64, model, node, opCounts, randn, rng, scalar } from './helpers';

describe('constant-fold', () => {
  const r = rng(11);
  const build = (x: (number | string)[]) => {
    const c = node('Constant', [], ['k']);
    c.attrs.set('value', { kind: 'tensor', value: randn([1, 4, 1, 1], r) });
    return model({
      x,
      outputs: ['y'],
      init: { w0: randn([3, 4, 3, 3], r), perm: i64([1, 0, 2, 3]), zero: i64([0]), one: i64([1]), minus1: i64([-1]) },
      nodes: [
        node('Transpose', ['w0'], ['w'], { perm: [1, 0, 2, 3] }),       // weights prepared at run time: [4,3,3,3]
        node('Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }),
        c,
        node('Add', ['c', 'k'], ['a']),
        // Shape subgraph: reshape `a` to [N, C, -1] from its own shape.
        node('Shape', ['a'], ['s']),
        node('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
        node('Gather', ['s', 'one'], ['ch'], { axis: 0 }),
        node('Concat', ['n', 'ch', 'minus1'], ['shape'], { axis: 0 }),
        node('Reshape', ['a', 'shape'], ['y']),
      ],
    });
  };

  it('folds Constant nodes, weight preprocessing and the shape subgraph when shapes are known', async () => {
    const m = build([2, 3, 6, 6]);
    const after = cloneModel(m);
    const res = constantFold(after.graph);
    expect(res.changed).toBe(6);
    expect(opCounts(after.graph)).toEqual({ Conv: 1, Add: 1, Reshape: 1 });
    const shape = after.graph.initializers.get(after.graph.nodes.find((n) => n.opType === 'Reshape')!.inputs[1])!;
    expect(shape.toNumbers()).toEqual([2, 4, -1]);
    expect(after.graph.initializers.has('w0')).toBe(false);  // only read by the folded Transpose
    const a = await expectSameOutputs(m, after, randn([2, 3, 6, 6], r));
    expect(a.maxAbs).toBe(0);
    expect(constantFold(after.graph).changed).toBe(0);
  });

  it('keeps shape nodes depending on a symbolic batch, and folds them given inputShapes', async () => {
    const m = build(['N', 3, 6, 6]);
    const sym = cloneModel(m);
    constantFold(sym.graph);
    // The channel count is known ([N,4,6,6]) so its Gather folds; the batch stays computed.
    expect(opCounts(sym.graph)).toEqual({ Conv: 1, Add: 1, Shape: 1, Gather: 1, Concat: 1, Reshape: 1 });
    await expectSameOutputs(m, sym, randn([3, 3, 6, 6], r));
    const fixed = cloneModel(m);
    const res = runPasses(fixed.graph, ['constant-fold', 'dead-code'], { inputShapes: new Map([['x', [3, 3, 6, 6]]]) });
    expect(res.changed).toBeGreaterThan(0);
    expect(fixed.graph.inputs[0].shape).toEqual([3, 3, 6, 6]);
    expect(opCounts(fixed.graph)).toEqual({ Conv: 1, Add: 1, Reshape: 1 });
    await expectSameOutputs(m, fixed, randn([3, 3, 6, 6], r));
  });
});

describe('remove-identity and dead-code', () => {
  const r = rng(12);
  const m = model({
    x: [1, 2, 5, 5],
    outputs: ['y', 'z'],
    init: { w: randn([2, 2, 1, 1], r), s: scalar(0.5), ratio: scalar(0.3), unused: randn([7], r) },
    nodes: [
      node('Identity', ['x'], ['x1']),
      node('Conv', ['x1', 'w'], ['c']),
      node('Dropout', ['c', 'ratio'], ['d']),
      node('Relu', ['d'], ['r0']),
      node('Identity', ['r0'], ['y']),           // an Identity producing a graph output
      node('Mul', ['d', 's'], ['z']),
      node('Sigmoid', ['c'], ['dangling']),      // dead branch
      node('Exp', ['dangling'], ['dangling2']),
    ],
  });

  it('removes Identity and inference Dropout, renaming the producer of a graph output', async () => {
    const after = cloneModel(m);
    const res = removeIdentity(after.graph);
    expect(res.changed).toBe(3);
    expect(opCounts(after.graph).Identity).toBeUndefined();
    expect(opCounts(after.graph).Dropout).toBeUndefined();
    expect(after.graph.nodes.find((n) => n.opType === 'Relu')!.outputs).toEqual(['y']);
    expect(after.graph.outputs.map((o) => o.name)).toEqual(['y', 'z']);
    await expectSameOutputs(m, after, randn([1, 2, 5, 5], r));
  });

  it('keeps an Identity from a graph input to a graph output, and a Dropout whose mask is read', () => {
    const pass = model({ x: [2], outputs: ['y'], nodes: [node('Identity', ['x'], ['y'])] });
    expect(removeIdentity(pass.graph).changed).toBe(0);
    expect(opCounts(pass.graph)).toEqual({ Identity: 1 });
    const mask = model({
      x: [2], outputs: ['y', 'mf'],
      nodes: [node('Dropout', ['x'], ['y', 'mask']), node('Cast', ['mask'], ['mf'], { to: 1 })],
    });
    expect(removeIdentity(mask.graph).changed).toBe(0);
  });

  it('keeps a training-mode Dropout', () => {
    const tm = model({
      x: [2], outputs: ['y'], init: { ratio: scalar(0.5), t: new Tensor('bool', [], new Uint8Array([1])) },
      nodes: [node('Dropout', ['x', 'ratio', 't'], ['y'])],
    });
    expect(removeIdentity(tm.graph).changed).toBe(0);
  });

  it('removes nodes and initializers no output needs', async () => {
    const after = cloneModel(m);
    const res = eliminateDeadCode(after.graph);
    expect(res.details).toEqual(['removed unused Sigmoid "dangling"', 'removed unused Exp "dangling2"', 'removed unused initializer "unused"']);
    expect(opCounts(after.graph).Sigmoid).toBeUndefined();
    expect(after.graph.initializers.has('unused')).toBe(false);
    await expectSameOutputs(m, after, randn([1, 2, 5, 5], r));
    expect(eliminateDeadCode(after.graph).changed).toBe(0);
  });
});
