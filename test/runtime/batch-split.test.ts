import * as path from 'path';
import { Graph, Model, Node, type Attribute } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { runSteps } from '../../lib/ir/steps';
import { Session } from '../../lib/runtime/session';
import { chunkRows, rowSplitSteps } from '../../lib/runtime/batch-split';
import { compilePlan } from '../../lib/runtime/lower';
import { native } from '../../lib/native';
import { readNpy } from '../../lib/data/npy';

const MODELS = path.join(__dirname, '../fixtures/models');
const DIGITS = path.join(__dirname, '../fixtures/digits');

const bytes = (t: Tensor) => Buffer.from((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, (t.data as Float32Array).byteLength);

function firstRows(x: Tensor, n: number): Tensor {
  const per = x.data.length / x.shape[0];
  return new Tensor('float32', [n, ...x.shape.slice(1)], (x.data as Float32Array).slice(0, n * per));
}

function attr(v: number | number[] | string): Attribute {
  if (typeof v === 'string') return { kind: 'string', value: v };
  return Array.isArray(v) ? { kind: 'ints', value: v } : { kind: 'int', value: v };
}

function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, number | number[] | string> = {}): Node {
  const n = new Node(outputs[0], op, inputs, outputs);
  for (const [k, v] of Object.entries(attrs)) n.attrs.set(k, attr(v));
  return n;
}

/** x: [N, 4, 3] float -> `nodes` -> y. */
function model(nodes: Node[], inits: Record<string, Tensor> = {}): Model {
  const g = new Graph();
  g.inputs = [{ name: 'x', dtype: 'float32', shape: ['N', 4, 3] }];
  g.outputs = [{ name: 'y', dtype: 'float32', shape: undefined }];
  for (const [k, v] of Object.entries(inits)) g.initializers.set(k, v);
  g.nodes = nodes;
  g.sortTopologically();
  return new Model(g);
}

const i64 = (values: number[]) => Tensor.fromNumbers('int64', [values.length], values);

describe('running a batch as chunks of rows', () => {
  it('cuts a batch into one chunk per thread when little is spent on padding', () => {
    expect(chunkRows(64, 2)).toBe(32);
    expect(chunkRows(9, 2)).toBe(5);  // 10 rows computed for 9
    expect(chunkRows(5, 2)).toBeUndefined();  // 6 for 5: not worth it
    expect(chunkRows(2, 2)).toBe(1);
    expect(chunkRows(64, 3)).toBe(22);
    expect(chunkRows(1, 2)).toBeUndefined();
    expect(chunkRows(64, 1)).toBeUndefined();
  });

  it.each(['digits_cnn', 'digits_shufflenet', 'digits_mobilenetv2'])('runs %s in chunks with the very bytes of one whole run', async (name) => {
    const file = path.join(MODELS, `${name}.onnx`);
    const x = readNpy(path.join(DIGITS, name === 'digits_cnn' ? 'x.npy' : 'x32.npy'));
    const split = await Session.create(file, { threads: 2 });
    const whole = await Session.create(file, { threads: 2, splitBatch: false });
    const three = await Session.create(file, { threads: 3 });
    try {
      for (const rows of [64, 9]) {
        const feeds = { [split.inputs[0].name]: firstRows(x, rows) };
        expect(split.batchSplit(feeds)).toEqual({ split: { rows, chunk: Math.ceil(rows / 2) } });
        expect(three.batchSplit(feeds)).toEqual({ split: { rows, chunk: rows === 64 ? 22 : 3 } });
        expect(whole.batchSplit(feeds)).toEqual({ reason: 'splitBatch is false' });
        const out = split.outputs[0].name;
        const ref = whole.runSync(feeds)[out];
        const a = split.runSync(feeds)[out];
        const b = (await split.run(feeds))[out];
        const c = (await three.run(feeds))[out];
        expect(a.shape).toEqual([rows, 10]);
        expect(b.shape).toEqual([rows, 10]);
        expect(bytes(a).equals(bytes(ref))).toBe(true);
        expect(bytes(b).equals(bytes(ref))).toBe(true);
        expect(bytes(c).equals(bytes(ref))).toBe(true);
      }
    } finally {
      split.dispose();
      whole.dispose();
      three.dispose();
    }
  });

  // Each graph computes y from x [N, 4, 3]; `reason` undefined = items are independent.
  const cases: { name: string; build: () => Model; reason?: RegExp }[] = [
    { name: 'softmax over a feature axis', build: () => model([node('Softmax', ['x'], ['y'], { axis: 1 })]) },
    { name: 'softmax over the batch', build: () => model([node('Softmax', ['x'], ['y'], { axis: 0 })]), reason: /Softmax "y" works along the batch axis/ },
    { name: 'a reshape through Shape (a batch-sized constant in a shape slot)', build: () => model([
      node('Shape', ['x'], ['s']), node('Gather', ['s', 'zero'], ['n'], { axis: 0 }), node('Unsqueeze', ['n', 'axes0'], ['n1']),
      node('Concat', ['n1', 'minus1'], ['shape'], { axis: 0 }), node('Reshape', ['x', 'shape'], ['y'])],
    { zero: Tensor.fromNumbers('int64', [], [0]), axes0: i64([0]), minus1: i64([-1]) }) },
    { name: 'the batch size in arithmetic', build: () => model([
      node('Shape', ['x'], ['s']), node('Gather', ['s', 'zero'], ['n'], { axis: 0 }), node('Cast', ['n'], ['nf'], { to: 1 }),
      node('Div', ['x', 'nf'], ['y'])], { zero: Tensor.fromNumbers('int64', [], [0]) }), reason: /Div "y" computes with "nf", a constant that depends on the batch size/ },
    { name: 'a transpose moving the batch', build: () => model([node('Transpose', ['x'], ['t'], { perm: [1, 0, 2] }), node('Transpose', ['t'], ['y'], { perm: [1, 0, 2] })]), reason: /does not have the batch as its first dimension|moves the batch axis/ },
    { name: 'a transpose of feature axes', build: () => model([node('Transpose', ['x'], ['y'], { perm: [0, 2, 1] })]) },
    { name: 'a sum over the batch, kept as a dimension', build: () => model([node('ReduceSum', ['x', 'axes'], ['r'], { keepdims: 1 }), node('Add', ['x', 'r'], ['y'])], { axes: i64([0]) }), reason: /ReduceSum "r"/ },
    { name: 'a mean over features', build: () => model([node('ReduceMean', ['x'], ['r'], { axes: [2], keepdims: 1 }), node('Sub', ['x', 'r'], ['y'])]) },
    { name: 'a reversed batch', build: () => model([node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])], { st: i64([-1]), en: i64([-1e9]), ax: i64([0]), sp: i64([-1]) }), reason: /Slice "y" steps along the batch axis/ },
    { name: 'a slice of features', build: () => model([node('Slice', ['x', 'st', 'en', 'ax'], ['y'])], { st: i64([1]), en: i64([3]), ax: i64([1]) }) },
    { name: 'items concatenated along the batch', build: () => model([node('Concat', ['x', 'x'], ['y'], { axis: 0 })]), reason: /output "y" does not have the batch/ },
    { name: 'items concatenated along the batch inside the graph', build: () => model([
      node('Concat', ['x', 'x'], ['c'], { axis: 0 }), node('Shape', ['x'], ['s']), node('Gather', ['s', 'zero'], ['n'], { axis: 0 }),
      node('Unsqueeze', ['n', 'axes0'], ['n1']), node('Concat', ['n1', 'minus1'], ['shape'], { axis: 0 }), node('Reshape', ['c', 'shape'], ['y'])],
    { zero: Tensor.fromNumbers('int64', [], [0]), axes0: i64([0]), minus1: i64([-1]) }), reason: /Concat "c"/ },
    { name: 'a product of items with each other', build: () => model([
      node('Reshape', ['x', 'flat'], ['f']), node('Transpose', ['f'], ['ft'], { perm: [1, 0] }), node('MatMul', ['f', 'ft'], ['y'])],
    { flat: i64([0, -1]) }), reason: /Transpose "ft"/ },
    { name: 'batched matrix products', build: () => model([node('Transpose', ['x'], ['xt'], { perm: [0, 2, 1] }), node('MatMul', ['x', 'xt'], ['y'])]) },
    { name: 'a layer norm over every axis', build: () => model([node('LayerNormalization', ['x', 'g'], ['y'], { axis: 0 })], { g: Tensor.fromNumbers('float32', [1], [1]) }), reason: /works along the batch axis/ },
  ];

  it.each(cases)('decides for $name and keeps its outputs', async ({ build, reason }) => {
    const m = build();
    const feeds = { x: new Tensor('float32', [8, 4, 3], Float32Array.from({ length: 96 }, (_, i) => Math.sin(i * 1.7) * 3)) };
    const decision = runSteps(rowSplitSteps(m.graph, new Map([['x', [8, 4, 3]]]), ['y'], 2));
    if (reason) {
      expect(decision.split).toBeUndefined();
      expect(decision.reason).toMatch(reason);
    } else {
      expect(decision).toEqual({ split: { rows: 8, chunk: 4 } });
    }
    const one = await Session.create(m, { threads: 1 });
    const two = await Session.create(m, { threads: 2 });
    try {
      const ref = (await one.run(feeds)).y;
      const got = (await two.run(feeds)).y;
      expect(got.shape).toEqual(ref.shape);
      expect(bytes(got).equals(bytes(ref))).toBe(true);
      expect(bytes(two.runSync(feeds).y).equals(bytes(ref))).toBe(true);
    } finally {
      one.dispose();
      two.dispose();
    }
  });

  it('keeps a whole batch whose inputs differ in their first dimension, or that is observed', () => {
    const g = new Graph();
    g.inputs = [{ name: 'a', dtype: 'float32', shape: ['N', 3] }, { name: 'b', dtype: 'float32', shape: ['M', 3] }];
    g.outputs = [{ name: 'y', dtype: 'float32', shape: undefined }];
    g.nodes = [node('Add', ['a', 'b'], ['y'])];
    const d = runSteps(rowSplitSteps(g, new Map([['a', [8, 3]], ['b', [1, 3]]]), ['y'], 2));
    expect(d.reason).toMatch(/do not share their first dimension/);
  });

  it('refuses bad row counts in the engine with clear errors', () => {
    const addon = native();
    const m = model([node('Relu', ['x'], ['y'])]);
    const plan = compilePlan(m.graph, { inputShapes: new Map([['x', [4, 4, 3]]]), inputValues: new Map(), outputs: ['y'], fuse: true, engineOps: new Set(addon.capabilities().ops) });
    const s = new addon.NativeSession(plan.plan, { threads: 2 });
    const x = Float32Array.from({ length: 7 * 12 }, (_, i) => i - 40);
    const [y] = s.runSync([x], { rows: 7 }) as Float32Array[];
    expect(Array.from(y)).toEqual(Array.from(x, (v) => Math.max(v, 0)));
    expect(() => s.runSync([x], { rows: 6 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/Expected 6 rows of 48 bytes for input 0 but received 336 bytes/) }));
    // An absurd row count is a size mismatch, not an allocation.
    expect(() => s.runSync([x], { rows: 2 ** 40 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => s.runSync([x.subarray(0, 12 * 5)], { rows: 7 })).toThrow(/Expected 7 rows of 48 bytes/);
    expect(() => s.runSync([x], { rows: 0 })).toThrow(/options\.rows/);
    expect(() => s.runSync([x], { rows: 1.5 })).toThrow(/options\.rows/);
    expect(() => s.runSync([x], 'rows' as never)).toThrow(/Expected an options object/);
    s.dispose();

    // A plan whose output is not per row (a sum over everything) has no rows to split.
    const r = model([node('ReduceSum', ['x'], ['y'], { keepdims: 0 })]);
    const rplan = compilePlan(r.graph, { inputShapes: new Map([['x', [4, 4, 3]]]), inputValues: new Map(), outputs: ['y'], fuse: true, engineOps: new Set(addon.capabilities().ops) });
    const rs = new addon.NativeSession(rplan.plan, { threads: 2 });
    expect(() => rs.runSync([x.subarray(0, 48)], { rows: 4 })).toThrow(/options\.rows needs a plan whose inputs and outputs share their first dimension/);
    rs.dispose();
  });
});
