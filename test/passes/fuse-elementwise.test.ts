import { Graph, Model, Node } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { foldConvAdd, fuseHardSwish } from '../../lib/passes/fuse-elementwise';
import { runPasses } from '../../lib/passes/pipeline';
import { Session } from '../../lib/runtime/session';

let seed = 5;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const f32 = (shape: number[]) => new Tensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, rnd));

function model(build: (g: Graph) => void): Model {
  const g = new Graph();
  g.opsets = new Map([['', 13]]);
  build(g);
  g.sortTopologically();
  return new Model(g);
}

async function compareFused(m: Model, x: Tensor): Promise<number> {
  const a = await Session.create(m, { fuse: false });
  const b = await Session.create(m, { fuse: true });
  const name = m.graph.outputs[0].name;
  const ya = (await a.run({ x }))[name].data as Float32Array;
  const yb = (await b.run({ x }))[name].data as Float32Array;
  a.dispose();
  b.dispose();
  let maxAbs = 0, dot = 0, na = 0, nb = 0;
  for (let i = 0; i < ya.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(ya[i] - yb[i]));
    dot += ya[i] * yb[i];
    na += ya[i] * ya[i];
    nb += yb[i] * yb[i];
  }
  expect(dot / Math.sqrt(na * nb)).toBeGreaterThan(0.999999);
  return maxAbs;
}

describe('elementwise fusions', () => {
  it('folds Mul, Add and Sub constants after a Conv into its weights and bias', async () => {
    const m = model((g) => {
      g.inputs = [{ name: 'x', dtype: 'float32', shape: [1, 3, 8, 8] }];
      g.outputs = [{ name: 'y', dtype: 'float32', shape: [1, 4, 8, 8] }];
      g.initializers.set('w', f32([4, 3, 3, 3]));
      g.initializers.set('b', f32([4]));
      g.initializers.set('s', new Tensor('float32', [1], new Float32Array([1.7])));
      g.initializers.set('c', f32([1, 4, 1, 1]));
      g.initializers.set('d', f32([4, 1, 1]));
      const conv = new Node('conv', 'Conv', ['x', 'w', 'b'], ['c0']);
      conv.attrs.set('pads', { kind: 'ints', value: [1, 1, 1, 1] });
      g.nodes = [conv, new Node('mul', 'Mul', ['s', 'c0'], ['c1']), new Node('add', 'Add', ['c1', 'c'], ['c2']), new Node('sub', 'Sub', ['c2', 'd'], ['y'])];
    });
    const g = m.graph.clone();
    const r = foldConvAdd(g);
    expect(r.changed).toBe(3);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Conv']);
    expect(g.nodes[0].outputs).toEqual(['y']);
    const maxAbs = await compareFused(m, f32([1, 3, 8, 8]));
    expect(maxAbs).toBeLessThan(1e-5);
  });

  it('leaves a Conv alone when its output has another consumer or the constant is not per-channel', () => {
    const m = model((g) => {
      g.inputs = [{ name: 'x', dtype: 'float32', shape: [1, 2, 4, 4] }];
      g.outputs = [{ name: 'y', dtype: 'float32', shape: [1, 2, 4, 4] }, { name: 'z', dtype: 'float32', shape: [1, 2, 4, 4] }];
      g.initializers.set('w', f32([2, 2, 1, 1]));
      g.initializers.set('row', f32([4]));
      g.nodes = [new Node('conv', 'Conv', ['x', 'w'], ['c0']), new Node('add', 'Add', ['c0', 'row'], ['y']), new Node('relu', 'Relu', ['c0'], ['z'])];
    });
    expect(foldConvAdd(m.graph).changed).toBe(0);
  });

  it('fuses both exported HardSwish patterns into one node', async () => {
    const m = model((g) => {
      g.inputs = [{ name: 'x', dtype: 'float32', shape: [2, 3, 5, 5] }];
      g.outputs = [{ name: 'y', dtype: 'float32', shape: [2, 3, 5, 5] }];
      for (const [k, v] of [['three', 3], ['zero', 0], ['six', 6]] as const) g.initializers.set(k, new Tensor('float32', [], new Float32Array([v])));
      const hs = new Node('hs', 'HardSigmoid', ['x'], ['g']);
      hs.attrs.set('alpha', { kind: 'float', value: Math.fround(1 / 6) });
      g.nodes = [
        hs, new Node('m1', 'Mul', ['x', 'g'], ['a']),                         // PyTorch: x * hardsigmoid(x)
        new Node('add', 'Add', ['a', 'three'], ['t1']), new Node('clip', 'Clip', ['t1', 'zero', 'six'], ['t2']),
        new Node('m2', 'Mul', ['a', 't2'], ['t3']), new Node('div', 'Div', ['t3', 'six'], ['y']),  // Paddle: x * clip(x + 3, 0, 6) / 6
      ];
    });
    const g = m.graph.clone();
    expect(fuseHardSwish(g).changed).toBe(2);
    expect(g.nodes.map((n) => n.opType)).toEqual(['HardSwish', 'HardSwish']);
    const x = new Tensor('float32', [2, 3, 5, 5], Float32Array.from({ length: 150 }, (_, i) => (i - 75) / 8));
    expect(await compareFused(m, x)).toBeLessThan(1e-5);
  });
  it('below opset 14 fuses only when the context may raise the opset, and then raises it to 14', async () => {
    // Opset 10: Clip's bounds are attributes, which the raise turns into inputs (opset 11).
    const m = model((g) => {
      g.opsets = new Map([['', 10]]);
      g.inputs = [{ name: 'x', dtype: 'float32', shape: [2, 3, 5, 5] }];
      g.outputs = [{ name: 'y', dtype: 'float32', shape: [2, 3, 5, 5] }, { name: 'z', dtype: 'float32', shape: [2, 3, 5, 5] }];
      for (const [k, v] of [['three', 3], ['six', 6]] as const) g.initializers.set(k, new Tensor('float32', [], new Float32Array([v])));
      const clip = new Node('clip', 'Clip', ['t1'], ['t2']);
      clip.attrs.set('min', { kind: 'float', value: 0 });
      clip.attrs.set('max', { kind: 'float', value: 6 });
      const clip2 = new Node('relu6', 'Clip', ['x'], ['z']);
      clip2.attrs.set('min', { kind: 'float', value: 0 });
      clip2.attrs.set('max', { kind: 'float', value: 6 });
      g.nodes = [new Node('add', 'Add', ['x', 'three'], ['t1']), clip, new Node('m2', 'Mul', ['x', 't2'], ['t3']), new Node('div', 'Div', ['t3', 'six'], ['y']), clip2];
    });
    const kept = m.graph.clone();
    const r0 = runPasses(kept, ['fuse-hardswish']);
    expect(r0.changed).toBe(0);
    expect(r0.passes[0].details[0]).toBe('left 1 HardSwish pattern(s) alone: HardSwish needs opset 14 and the model has opset 10 (quantize() raises it)');
    expect(kept.opset).toBe(10);

    const g = m.graph.clone();
    const r = runPasses(g, ['fuse-hardswish'], { raiseOpset: true });
    expect(r.changed).toBe(1);
    expect(r.passes[0].details[0]).toBe('raised the opset from 10 to 14 for HardSwish');
    expect(g.opset).toBe(14);
    expect(g.nodes.map((n) => n.opType).sort()).toEqual(['Clip', 'HardSwish']);
    // The other Clip now has its bounds as inputs, as opset 14 defines it.
    const relu6 = g.nodes.find((n) => n.name === 'relu6')!;
    expect(relu6.attrs.size).toBe(0);
    expect(relu6.inputs.slice(1).map((t) => Array.from(g.initializers.get(t)!.data as Float32Array))).toEqual([[0], [6]]);
    const x = new Tensor('float32', [2, 3, 5, 5], Float32Array.from({ length: 150 }, (_, i) => (i - 75) / 8));
    const before = await Session.create(m, { fuse: false });
    const after = await Session.create(new Model(g), { fuse: false });
    const ya = await before.run({ x }), yb = await after.run({ x });
    before.dispose();
    after.dispose();
    for (const o of ['y', 'z']) {
      const a = ya[o].data as Float32Array, b = yb[o].data as Float32Array;
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    }
    // At opset 14 already, and with nothing to fuse, the opset stays.
    const none = m.graph.clone();
    none.nodes = none.nodes.filter((n) => n.name === 'relu6');
    none.outputs = none.outputs.filter((o) => o.name === 'z');
    expect(runPasses(none, ['fuse-hardswish'], { raiseOpset: true }).changed).toBe(0);
    expect(none.opset).toBe(10);
  });
});
