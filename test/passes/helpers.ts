/**
 * Shared helpers of the pass tests: deterministic tensors, hand-made graphs, and running a model
 * before and after a rewrite in onnxruntime-node (optimizations disabled, so ORT runs the graph as
 * written) and in npuquant's Session (fuse: false).
 */
import * as ort from 'onnxruntime-node';
import { Graph, Model, Node, type Attribute } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { serializeModel } from '../../lib/io/onnx';
import { Session } from '../../lib/runtime/session';

/** A seeded generator of uniform values in [-1, 1). */
export function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
}

/** A float32 tensor of random values in [lo, hi). */
export function randn(shape: number[], r: () => number, lo = -1, hi = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor('float32', shape, Float32Array.from({ length: n }, () => lo + ((r() + 1) / 2) * (hi - lo)));
}

export const scalar = (v: number): Tensor => new Tensor('float32', [], new Float32Array([v]));
export const i64 = (v: number[]): Tensor => Tensor.fromNumbers('int64', [v.length], v);

/** A node with attributes given as plain values (int, float, ints, floats, string). */
export function node(op: string, inputs: string[], outputs: string[], attrs: Record<string, number | number[] | string | { f: number }> = {}, name = outputs[0]): Node {
  const n = new Node(name, op, inputs, outputs);
  for (const [k, v] of Object.entries(attrs)) {
    let a: Attribute;
    if (typeof v === 'string') a = { kind: 'string', value: v };
    else if (typeof v === 'number') a = { kind: 'int', value: v };
    else if (Array.isArray(v)) a = { kind: 'ints', value: v };
    else a = { kind: 'float', value: v.f };
    n.attrs.set(k, a);
  }
  return n;
}

/** A model with one float32 input "x", the given outputs, initializers and nodes. */
export function model(opts: { x: (number | string)[]; outputs: string[]; init?: Record<string, Tensor>; nodes: Node[]; opset?: number }): Model {
  const g = new Graph();
  g.opsets = new Map([['', opts.opset ?? 13]]);
  g.inputs = [{ name: 'x', dtype: 'float32', shape: opts.x.slice() }];
  g.outputs = opts.outputs.map((name) => ({ name, dtype: 'float32', shape: undefined }));
  for (const [k, v] of Object.entries(opts.init ?? {})) g.initializers.set(k, v);
  g.nodes = opts.nodes;
  g.sortTopologically();
  return new Model(g);
}

/** A copy of a model with its own graph. */
export function cloneModel(m: Model): Model {
  const c = new Model(m.graph.clone());
  c.irVersion = m.irVersion;
  return c;
}

/** Op type counts of a graph. */
export function opCounts(g: Graph): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of g.nodes) c[n.opType] = (c[n.opType] ?? 0) + 1;
  return c;
}

export interface Agreement {
  cosine: number;
  maxAbs: number;
}

/** Cosine (double precision) and max |a - b| over the concatenation of several outputs. */
export function agreement(a: ArrayLike<number>[], b: ArrayLike<number>[]): Agreement {
  let ab = 0, aa = 0, bb = 0, maxAbs = 0;
  a.forEach((x, k) => {
    const y = b[k];
    if (x.length !== y.length) throw new RangeError(`output ${k}: ${x.length} vs ${y.length} elements`);
    for (let i = 0; i < x.length; i++) {
      ab += x[i] * y[i];
      aa += x[i] * x[i];
      bb += y[i] * y[i];
      maxAbs = Math.max(maxAbs, Math.abs(x[i] - y[i]));
    }
  });
  return { cosine: aa === 0 && bb === 0 ? 1 : ab / Math.sqrt(aa * bb), maxAbs };
}

/** Runs a model in onnxruntime (no graph optimizations) on one float32 input; outputs in graph order. */
export async function runOrt(m: Model, x: Tensor): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(serializeModel(m), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 2, interOpNumThreads: 1 });
  try {
    const res = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data as Float32Array, x.shape.slice()) });
    return m.graph.outputs.map((o) => res[o.name].data as Float32Array);
  } finally {
    await s.release();
  }
}

/** Runs a model in npuquant's engine, as written unless `fuse`; outputs in graph order. */
export async function runSession(m: Model, x: Tensor, fuse = false): Promise<Float32Array[]> {
  const s = await Session.create(m, { fuse, threads: 2 });
  try {
    const res = await s.run({ [m.graph.inputs[0].name]: x });
    return m.graph.outputs.map((o) => res[o.name].data as Float32Array);
  } finally {
    s.dispose();
  }
}

/**
 * Outputs of `before` and `after` on `x`, in onnxruntime and in the Session; expects the same
 * output names and cosine > `minCos` on both; returns the worse agreement.
 */
export async function expectSameOutputs(before: Model, after: Model, x: Tensor, minCos = 0.999999, engines: ('ort' | 'session')[] = ['ort', 'session']): Promise<Agreement> {
  expect(after.graph.outputs.map((o) => o.name)).toEqual(before.graph.outputs.map((o) => o.name));
  let worst: Agreement = { cosine: 1, maxAbs: 0 };
  for (const e of engines) {
    const run = e === 'ort' ? runOrt : runSession;
    const a = agreement(await run(before, x), await run(after, x));
    expect(a.cosine).toBeGreaterThan(minCos);
    if (a.cosine < worst.cosine) worst = { ...worst, cosine: a.cosine };
    if (a.maxAbs > worst.maxAbs) worst = { ...worst, maxAbs: a.maxAbs };
  }
  return worst;
}
