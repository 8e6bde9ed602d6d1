import { NpuqError } from '../../lib/errors';
import { findUnsupportedOps, inferGraph } from '../../lib/ir/infer';
import { getOpDef, supportedOpTypes } from '../../lib/ir/ops/registry';
import { Tensor } from '../../lib/ir/tensor';
import { f32, i64, makeGraph, node } from './helpers';

/** x [N,3,H,W] → Conv(8) → reshape to [N, 8, H*W] via Shape → Gather → Unsqueeze → Concat (PaddleOCR-style). */
function shapeChainGraph() {
  return makeGraph(
    [{ name: 'x', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }],
    [
      node('Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }),
      node('Shape', ['c'], ['s']),
      node('Gather', ['s', 'i0'], ['n'], { axis: 0 }),
      node('Unsqueeze', ['n', 'ax0'], ['n1']),
      node('Slice', ['s', 'st', 'en'], ['hw']),
      node('ReduceProd', ['hw'], ['p'], { keepdims: 1 }),
      node('Concat', ['n1', 'c8', 'p'], ['shape'], { axis: 0 }),
      node('Reshape', ['c', 'shape'], ['y']),
    ],
    {
      w: Tensor.zeros('float32', [8, 3, 3, 3]),
      i0: i64([0], []),
      ax0: i64([0]),
      st: i64([2]),
      en: i64([4]),
      c8: i64([8]),
    },
  );
}

describe('inferGraph', () => {
  it('propagates symbolic dims through shape subgraphs', () => {
    const { types, constants } = inferGraph(shapeChainGraph());
    expect(types.get('c')?.shape).toEqual(['N', 8, 'H', 'W']);
    expect(types.get('s')).toEqual({ dtype: 'int64', shape: [4], symbolic: ['N', 8, 'H', 'W'] });
    expect(types.get('n1')?.symbolic).toEqual(['N']);
    expect(types.get('y')?.shape).toEqual(['N', 8, undefined]);
    expect(constants.has('s')).toBe(false);
  });

  it('folds shape subgraphs once input shapes are concrete', () => {
    const { types, constants } = inferGraph(shapeChainGraph(), { inputShapes: new Map([['x', [2, 3, 4, 5]]]) });
    expect(types.get('y')).toEqual({ dtype: 'float32', shape: [2, 8, 20] });
    expect(constants.get('shape')?.toNumbers()).toEqual([2, 8, 20]);
    expect(constants.get('s')?.dtype).toBe('int64');
    expect(constants.has('c')).toBe(false);
  });

  it('rejects input shapes that contradict fixed dims with SHAPE_MISMATCH', () => {
    const g = makeGraph([{ name: 'x', dtype: 'float32', shape: ['N', 3, 640, 640] }], [node('Relu', ['x'], ['y'])]);
    expect(() => inferGraph(g, { inputShapes: new Map([['x', [1, 3, 480, 640]]]) }))
      .toThrow('Expected input "x" of shape [N,3,640,640] but received [1,3,480,640]; pass a shape matching the fixed dims (dim 1 = 3, dim 2 = 640, dim 3 = 640)');
    try {
      inferGraph(g, { inputShapes: new Map([['x', [1, 3, 640]]]) });
    } catch (e) {
      expect((e as NpuqError).code).toBe('SHAPE_MISMATCH');
      expect((e as Error).message).toMatch(/pass a shape of rank 4/);
    }
    expect(() => inferGraph(g, { inputShapes: new Map([['images', [1, 3, 640, 640]]]) }))
      .toThrow('Expected inputShapes to name graph inputs but received "images"; the model\'s inputs are "x"');
  });

  it('folds the whole graph from inputValues', () => {
    const g = makeGraph(
      [{ name: 'a', dtype: 'float32', shape: [2] }],
      [node('Mul', ['a', 'k'], ['m']), node('Add', ['m', 'k'], ['y'])],
      { k: f32([3]) },
    );
    const { constants } = inferGraph(g, { inputValues: new Map([['a', f32([1, 2])]]) });
    expect(constants.get('y')?.toNumbers()).toEqual([6, 9]);
  });

  it('does not fold outputs larger than foldLimit', () => {
    const g = makeGraph([], [node('ConstantOfShape', ['s'], ['y'])], { s: i64([1000, 1000]) });
    expect(inferGraph(g).constants.has('y')).toBe(true);
    const r = inferGraph(g, { foldLimit: 1000 });
    expect(r.constants.has('y')).toBe(false);
    expect(r.types.get('y')).toEqual({ dtype: 'float32', shape: [1000, 1000] });
  });

  it('folds Constant nodes and leaves values an op declines to fold unknown', () => {
    const g = makeGraph([], [
      node('Constant', [], ['c'], { value: f32([1.5]) }),
      node('Cast', ['c'], ['s'], { to: 8 }),
    ]);
    const { types, constants } = inferGraph(g);
    expect(constants.get('c')?.toNumbers()).toEqual([1.5]);
    expect(constants.has('s')).toBe(false);
    expect(types.get('s')).toEqual({ dtype: 'string', shape: [1] });
  });

  it('fills unknown dims from declared value_info symbols', () => {
    const g = makeGraph(
      [{ name: 'x', dtype: 'float32', shape: ['N', 16] }, { name: 's', dtype: 'int64', shape: [2] }],
      [node('Reshape', ['x', 's'], ['y'])],
    );
    g.valueInfo.set('y', { name: 'y', dtype: 'float32', shape: ['N', 'M'] });
    expect(inferGraph(g).types.get('y')?.shape).toEqual(['N', 'M']);
  });

  it('reports unsupported and malformed nodes', () => {
    const g = makeGraph([{ name: 'x', dtype: 'float32', shape: [1, 4] }], [
      node('Relu', ['x'], ['a']),
      node('NonMaxSuppression', ['a'], ['b'], {}, 'nms1'),
      node('TopK', ['b'], ['c'], {}, 'topk1'),
      node('NonMaxSuppression', ['c'], ['d'], {}, 'nms2'),
    ]);
    expect(findUnsupportedOps(g)).toEqual([
      { opType: 'NonMaxSuppression', domain: '', nodes: ['nms1', 'nms2'] },
      { opType: 'TopK', domain: '', nodes: ['topk1'] },
    ]);
    expect(() => inferGraph(g)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: expect.stringMatching(/^Operator NonMaxSuppression \(node "nms1"\) is not supported/) }));
    const dup = makeGraph([{ name: 'x', dtype: 'float32', shape: [1] }], [node('Relu', ['x'], ['a']), node('Relu', ['x'], ['a'], {}, 'r2')]);
    expect(() => inferGraph(dup)).toThrow(/Value "a" is produced twice/);
    const bad = makeGraph([{ name: 'x', dtype: 'float32', shape: [2, 3] }], [node('Add', ['x', 'k'], ['y'], {}, 'add1')], { k: f32([1, 2]) });
    expect(() => inferGraph(bad)).toThrow(expect.objectContaining({ code: 'INVALID_MODEL', message: expect.stringMatching(/^Add "add1": cannot broadcast/) }));
  });

  it('resolves domains', () => {
    expect(getOpDef('Conv')).toBeDefined();
    expect(getOpDef('Conv', 'ai.onnx')).toBeDefined();
    expect(getOpDef('Conv', 'com.microsoft')).toBeUndefined();
    const list = supportedOpTypes();
    for (const op of ['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Resize', 'Upsample', 'Slice', 'Pad', 'DepthToSpace', 'ReduceMean', 'Where']) {
      expect(list).toContain(op);
    }
  });
});
