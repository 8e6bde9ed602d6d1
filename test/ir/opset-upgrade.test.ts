/**
 * upgradeOpset: every rewritten operator, in a one-node model at its old opset, gives in
 * onnxruntime-node at opset 13 exactly what the old model gives in onnxruntime-node, and keeps none
 * of its old attributes.
 */
import * as ort from 'onnxruntime-node';
import { irVersionFor, upgradeOpset } from '../../lib/ir/opset-upgrade';
import { Graph, Model, Node } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { serializeModel } from '../../lib/io/onnx';
import { f, fs, i64, makeNode, type AttrValue } from './helpers';

interface Case {
  name: string;
  opset: number;
  op: string;
  attrs?: Record<string, AttrValue>;
  /** Shape of the float input `x`. */
  shape: number[];
  /** Constant inputs after x (undefined: omitted). */
  consts?: (Tensor | undefined)[];
  nOut?: number;
  /** Attributes that must be gone after the upgrade. */
  gone?: string[];
  /** Op types of the upgraded graph, in order (default: the op alone). */
  ops?: string[];
}

function build(c: Case): Graph {
  const g = new Graph();
  g.opsets = new Map([['', c.opset]]);
  const node = makeNode(c.op, 1 + (c.consts?.length ?? 0), c.nOut ?? 1, c.attrs ?? {});
  node.inputs[0] = 'x';
  c.consts?.forEach((t, i) => {
    if (!t) node.inputs[i + 1] = '';
    else g.initializers.set(node.inputs[i + 1], t);
  });
  g.nodes.push(node);
  g.inputs = [{ name: 'x', dtype: 'float32', shape: c.shape }];
  g.outputs = node.outputs.map((o) => ({ name: o, dtype: undefined, shape: undefined }));
  return g;
}

async function runOrt(g: Graph, x: Float32Array, shape: number[]): Promise<number[][]> {
  const s = await ort.InferenceSession.create(serializeModel(new Model(g)), { intraOpNumThreads: 1 });
  try {
    const r = await s.run({ x: new ort.Tensor('float32', x, shape) });
    return g.outputs.map((o) => Array.from(r[o.name].data as Float32Array));
  } finally {
    await s.release();
  }
}

const X = (n: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 2 + (i % 7) * 0.1);

const CASES: Case[] = [
  { name: 'Slice-9 starts/ends/axes attributes', opset: 9, op: 'Slice', shape: [1, 3, 8, 10], attrs: { starts: [1, 2], ends: [3, -1], axes: [1, 3] }, gone: ['starts', 'ends', 'axes'] },
  { name: 'Slice-9 without axes', opset: 9, op: 'Slice', shape: [4, 6], attrs: { starts: [1, 0], ends: [1000, 4] }, gone: ['starts', 'ends'] },
  { name: 'Clip-9 min/max attributes', opset: 9, op: 'Clip', shape: [2, 3, 5], attrs: { min: f(-0.5), max: f(0.75) }, gone: ['min', 'max'] },
  { name: 'Clip-6 max only', opset: 7, op: 'Clip', shape: [2, 3, 5], attrs: { max: f(6) }, gone: ['max'] },
  { name: 'Pad-9 constant with a value', opset: 9, op: 'Pad', shape: [1, 2, 3, 4], attrs: { pads: [0, 0, 1, 2, 0, 1, 2, 0], value: f(1.5) }, gone: ['pads', 'value'] },
  { name: 'Pad-2 reflect', opset: 10, op: 'Pad', shape: [1, 2, 4, 5], attrs: { mode: 'reflect', pads: [0, 0, 1, 2, 0, 0, 2, 1] }, gone: ['pads'] },
  { name: 'Upsample-9 nearest (scales input) -> Resize', opset: 9, op: 'Upsample', shape: [1, 2, 3, 4], consts: [Tensor.fromNumbers('float32', [4], [1, 1, 2, 3])], ops: ['Resize'] },
  { name: 'Upsample-9 nearest, fractional scales -> Resize', opset: 9, op: 'Upsample', shape: [1, 2, 5, 7], consts: [Tensor.fromNumbers('float32', [4], [1, 1, 1.5, 2.5])], ops: ['Resize'] },
  { name: 'Upsample-9 linear -> Resize', opset: 9, op: 'Upsample', shape: [1, 2, 3, 4], attrs: { mode: 'linear' }, consts: [Tensor.fromNumbers('float32', [4], [1, 1, 2, 1.5])], ops: ['Resize'] },
  { name: 'Upsample-7 (scales attribute) -> Resize', opset: 7, op: 'Upsample', shape: [1, 2, 3, 4], attrs: { scales: fs([1, 1, 2, 2]) }, gone: ['scales'], ops: ['Resize'] },
  { name: 'Resize-10 nearest downsampling', opset: 10, op: 'Resize', shape: [1, 2, 9, 10], consts: [Tensor.fromNumbers('float32', [4], [1, 1, 0.5, 0.6])] },
  { name: 'Resize-10 linear', opset: 10, op: 'Resize', shape: [1, 2, 4, 5], attrs: { mode: 'linear' }, consts: [Tensor.fromNumbers('float32', [4], [1, 1, 1.5, 2.5])] },
  { name: 'Dropout-9 ratio attribute', opset: 9, op: 'Dropout', shape: [2, 5], attrs: { ratio: f(0.3) }, gone: ['ratio'] },
  { name: 'BatchNormalization-7 spatial', opset: 7, op: 'BatchNormalization', shape: [2, 3, 4, 4], attrs: { spatial: 1, epsilon: f(1e-3) },
    consts: [Tensor.fromNumbers('float32', [3], [1, 0.5, 2]), Tensor.fromNumbers('float32', [3], [0.1, -0.2, 0.3]), Tensor.fromNumbers('float32', [3], [0.5, 0, -1]), Tensor.fromNumbers('float32', [3], [1, 2, 0.5])], gone: ['spatial'] },
  { name: 'Squeeze-11 axes attribute', opset: 11, op: 'Squeeze', shape: [1, 3, 1, 4], attrs: { axes: [0, -2] }, gone: ['axes'] },
  { name: 'Unsqueeze-11 axes attribute', opset: 11, op: 'Unsqueeze', shape: [3, 4], attrs: { axes: [0, 3] }, gone: ['axes'] },
  { name: 'ReduceSum-11 axes attribute', opset: 11, op: 'ReduceSum', shape: [2, 3, 4], attrs: { axes: [1], keepdims: 0 }, gone: ['axes'] },
  { name: 'Split-11 split attribute', opset: 11, op: 'Split', shape: [2, 7], attrs: { axis: 1, split: [2, 5] }, nOut: 2, gone: ['split'] },
  { name: 'Softmax-11 on axis 1 of a 4-D tensor (2-D coercion)', opset: 11, op: 'Softmax', shape: [2, 3, 4, 5], attrs: { axis: 1 }, ops: ['Flatten', 'Softmax', 'Shape', 'Reshape'] },
  { name: 'Softmax-9 default axis on 2-D', opset: 9, op: 'Softmax', shape: [4, 6] },
  { name: 'LogSoftmax-11 on axis -2 of a 3-D tensor', opset: 11, op: 'LogSoftmax', shape: [2, 3, 4], attrs: { axis: -2 }, ops: ['Flatten', 'LogSoftmax', 'Shape', 'Reshape'] },
  { name: 'LogSoftmax-11 on axis 2 of a 3-D tensor (the last: kept)', opset: 11, op: 'LogSoftmax', shape: [2, 3, 4], attrs: { axis: 2 } },
];

describe('upgradeOpset to 13: onnxruntime gives the old model\'s outputs', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const g = build(c);
      const n = c.shape.reduce((a, b) => a * b, 1);
      const x = X(n);
      const before = await runOrt(g, x, c.shape);
      const up = upgradeOpset(g, 13);
      expect(up.opset).toBe(13);
      expect(g.opset).toBe(c.opset);  // the source graph is not changed
      expect(up.nodes.map((m) => m.opType)).toEqual(c.ops ?? [c.op]);
      for (const a of c.gone ?? []) expect(up.nodes.some((m) => m.has(a))).toBe(false);
      const after = await runOrt(up, x, c.shape);
      expect(after).toEqual(before);
      expect(before[0].length).toBeGreaterThan(0);
    });
  }

  test('a graph already at opset 13 or above is copied unchanged', () => {
    const g = build({ name: '', opset: 13, op: 'Clip', shape: [2] });
    const up = upgradeOpset(g, 13);
    expect(up).not.toBe(g);
    expect(up.nodes.map((m) => [m.opType, m.inputs])).toEqual([['Clip', ['x']]]);
  });

  test('Upsample with scales both above and below 1 is refused, naming the node', () => {
    const g = build({ name: '', opset: 9, op: 'Upsample', shape: [1, 1, 4, 4], consts: [Tensor.fromNumbers('float32', [4], [1, 1, 2, 0.5])] });
    expect(() => upgradeOpset(g, 13)).toThrow(/Upsample "upsample0": scales 1, 1, 2, 0.5 upsample some axes and downsample others/);
  });

  test('BatchNormalization with spatial=0 is refused', () => {
    const g = new Graph();
    g.opsets = new Map([['', 7]]);
    const bn = new Node('bn', 'BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y']);
    bn.attrs.set('spatial', { kind: 'int', value: 0 });
    for (const k of ['s', 'b', 'm', 'v']) g.initializers.set(k, Tensor.fromNumbers('float32', [2, 3], [1, 1, 1, 1, 1, 1]));
    g.nodes.push(bn);
    g.inputs = [{ name: 'x', dtype: 'float32', shape: [1, 2, 3] }];
    g.outputs = [{ name: 'y', dtype: undefined, shape: undefined }];
    expect(() => upgradeOpset(g, 13)).toThrow(/spatial=0 has no form from opset 9/);
  });

  test('new constants do not collide with existing initializers', () => {
    const g = build({ name: '', opset: 9, op: 'Slice', shape: [4, 6], attrs: { starts: [1], ends: [3] } });
    g.initializers.set('slice0_starts', i64([0]));
    const up = upgradeOpset(g, 13);
    expect(up.nodes[0].inputs).toEqual(['x', 'slice0_starts_1', 'slice0_ends']);
    expect(up.initializers.get('slice0_starts')!.toNumbers()).toEqual([0]);
  });
});

test('irVersionFor raises the IR version to the first that allows the opset, never lowers it', () => {
  expect(irVersionFor(14, 6)).toBe(7);
  expect(irVersionFor(13, 4)).toBe(7);
  expect(irVersionFor(11, 6)).toBe(6);
  expect(irVersionFor(9, 3)).toBe(4);
  expect(irVersionFor(17, 7)).toBe(8);
  expect(irVersionFor(21, 8)).toBe(10);
  expect(irVersionFor(13, 9)).toBe(9);
});
