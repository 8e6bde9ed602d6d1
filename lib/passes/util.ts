/**
 * Helpers shared by the passes: reading constants, per-channel broadcasting, fresh names, renaming
 * values, removing pass-through nodes while keeping graph output names, dead-code removal and
 * "did you mean" errors for tensor names.
 */
import { NpuqError } from '../errors';
import type { Graph, Node } from '../ir/graph';
import { inferGraph, inferGraphSteps, type InferResult } from '../ir/infer';
import { runSteps, type Steps } from '../ir/steps';
import { Tensor } from '../ir/tensor';
import { editDistance } from '../quantize/suggest';
import type { PassContext } from './pass';

/** A float32 initializer, or undefined. */
export function constF32(graph: Graph, name: string | undefined): Tensor | undefined {
  const t = name ? graph.initializers.get(name) : undefined;
  return t && t.dtype === 'float32' ? t : undefined;
}

/**
 * The values of `t` per channel when it broadcasts (right-aligned) against an [N, C, ...] tensor of
 * rank `rank` without changing its shape: a scalar, or ones everywhere except dim 1 holding C
 * (shapes [C,1,1], [1,C,1,1], [1], ...). Returns C values, or undefined when `t` is not like that.
 */
export function perChannel(t: Tensor, rank: number, C: number): Float64Array | undefined {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') return undefined;
  if (t.shape.length > rank) return undefined;
  const padded = [...new Array<number>(rank - t.shape.length).fill(1), ...t.shape];
  if (padded.some((d, i) => i !== 1 && d !== 1) || (padded[1] !== 1 && padded[1] !== C)) return undefined;
  const d = t.data as Float32Array | Float64Array;
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) out[c] = d[t.size === 1 ? 0 : c];
  return out;
}

/** Types and constants of every value (see inferGraph), with the context's input shapes. */
export function inferTypes(graph: Graph, ctx: PassContext): InferResult {
  return inferGraph(graph, { inputShapes: ctx.inputShapes, foldLimit: ctx.foldLimit });
}

/**
 * The types of every value (see inferTypes), or, when the graph cannot be inferred (e.g. an
 * unsupported operator), a note saying why for the pass's details.
 */
export function tryInfer(graph: Graph, ctx: PassContext): { types: InferResult['types']; note?: undefined } | { types?: undefined; note: string } {
  return runSteps(tryInferSteps(graph, ctx));
}

/** {@link tryInfer} as steps (one per node), for time slices (lib/ir/steps.ts). */
export function* tryInferSteps(graph: Graph, ctx: PassContext): Steps<{ types: InferResult['types']; note?: undefined } | { types?: undefined; note: string }> {
  try {
    return { types: (yield* inferGraphSteps(graph, { inputShapes: ctx.inputShapes, foldLimit: ctx.foldLimit })).types };
  } catch (e) {
    if (e instanceof NpuqError) return { note: `skipped: shapes could not be inferred (${e.message})` };
    throw e;
  }
}

/** Every value name of the graph: inputs, initializers, node inputs and outputs. */
export function valueNames(graph: Graph): Set<string> {
  const s = new Set<string>();
  for (const i of graph.inputs) s.add(i.name);
  for (const k of graph.initializers.keys()) s.add(k);
  for (const n of graph.nodes) {
    for (const x of n.inputs) if (x) s.add(x);
    for (const x of n.outputs) if (x) s.add(x);
  }
  return s;
}

/** Hands out value and node names not used in the graph yet: `base`, `base_1`, `base_2`, ... */
export class NameGen {
  private readonly used: Set<string>;

  constructor(graph: Graph) {
    this.used = valueNames(graph);
    for (const n of graph.nodes) this.used.add(n.name);
  }

  next(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }
}

/** Names of the graph outputs. */
export function outputSet(graph: Graph): Set<string> {
  return new Set(graph.outputs.map((o) => o.name));
}

/** Names read by nodes of subgraphs (If/Loop bodies) that they do not produce themselves. */
function outerReads(g: Graph, into: Set<string>): void {
  for (const n of g.nodes) {
    for (const a of n.attrs.values()) {
      if (a.kind !== 'graph') continue;
      const inner = new Set<string>([...a.value.inputs.map((i) => i.name), ...a.value.initializers.keys()]);
      for (const m of a.value.nodes) for (const o of m.outputs) inner.add(o);
      const reads = new Set<string>();
      for (const m of a.value.nodes) for (const i of m.inputs) reads.add(i);
      for (const o of a.value.outputs) reads.add(o.name);
      outerReads(a.value, reads);
      for (const r of reads) if (r && !inner.has(r)) into.add(r);
    }
  }
}

/** Replaces every read of value `from` by `to` (node inputs, subgraph reads and graph outputs excluded). */
export function replaceReads(graph: Graph, from: string, to: string): void {
  const visit = (g: Graph, top: boolean) => {
    for (const n of g.nodes) {
      n.inputs = n.inputs.map((x) => (x === from ? to : x));
      for (const a of n.attrs.values()) if (a.kind === 'graph') visit(a.value, false);
    }
    if (!top) for (const o of g.outputs) if (o.name === from) o.name = to;
  };
  visit(graph, true);
}

/** Renames a value everywhere: its producer, its readers, graph outputs and value_info. */
export function renameValue(graph: Graph, from: string, to: string): void {
  for (const n of graph.nodes) n.outputs = n.outputs.map((x) => (x === from ? to : x));
  replaceReads(graph, from, to);
  for (const o of graph.outputs) if (o.name === from) o.name = to;
  const vi = graph.valueInfo.get(from);
  graph.valueInfo.delete(from);
  if (vi) graph.valueInfo.set(to, { ...vi, name: to });
}

/**
 * Removes `node`, whose output `out` equals value `src`, sending its readers to `src`. When `out` is
 * a graph output, `src`'s producer is renamed to produce `out` instead (so output names stay); when
 * that is impossible (`src` is a graph input, an initializer or another graph output) the node
 * becomes an Identity ('identity'; 'kept' when it already was one).
 */
export function bypass(graph: Graph, node: Node, src: string, out: string): 'removed' | 'identity' | 'kept' {
  const outputs = outputSet(graph);
  if (!outputs.has(out)) {
    graph.nodes = graph.nodes.filter((n) => n !== node);
    replaceReads(graph, out, src);
    return 'removed';
  }
  const producer = graph.nodes.find((n) => n !== node && n.outputs.includes(src));
  if (!producer || outputs.has(src)) {
    if (node.opType === 'Identity' && node.inputs.length === 1 && node.outputs.length === 1) return 'kept';
    node.opType = 'Identity';
    node.domain = '';
    node.inputs = [src];
    node.outputs = [out];
    node.attrs.clear();
    return 'identity';
  }
  graph.nodes = graph.nodes.filter((n) => n !== node);
  graph.valueInfo.delete(out);
  renameValue(graph, src, out);
  return 'removed';
}

/**
 * Removes nodes no graph output depends on, then initializers, and value_info of values, nobody
 * uses. Returns the names of the removed nodes and initializers.
 */
export function removeDead(graph: Graph): { nodes: Node[]; initializers: string[] } {
  const needed = new Set<string>(graph.outputs.map((o) => o.name));
  outerReads(graph, needed);
  const keep: Node[] = [];
  const removed: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    if (n.outputs.some((o) => o && needed.has(o))) {
      keep.push(n);
      for (const x of n.inputs) if (x) needed.add(x);
    } else {
      removed.push(n);
    }
  }
  graph.nodes = keep.reverse();
  const initializers: string[] = [];
  for (const k of [...graph.initializers.keys()]) {
    if (!needed.has(k)) {
      graph.initializers.delete(k);
      initializers.push(k);
    }
  }
  const live = valueNames(graph);
  for (const k of [...graph.valueInfo.keys()]) if (!live.has(k)) graph.valueInfo.delete(k);
  return { nodes: removed.reverse(), initializers };
}

/**
 * Up to `k` candidates closest to `word`: edit distance (case-insensitive) less half the length of
 * the common prefix, so abbreviations ("fold-bn") find their full name ("fold-batchnorm").
 */
export function closestNames(word: string, candidates: Iterable<string>, k = 3): string[] {
  const w = word.toLowerCase();
  const score = (c: string) => {
    const l = c.toLowerCase();
    let p = 0;
    while (p < w.length && p < l.length && w[p] === l[p]) p++;
    return editDistance(w, l) - p / 2;
  };
  return [...candidates]
    .map((c) => ({ c, d: score(c) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, k)
    .map((x) => x.c);
}

/** Throws INVALID_ARGUMENT naming each of `names` that is not a value of the graph, with the closest names. */
export function checkValueNames(graph: Graph, names: readonly string[], what: string): void {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw new TypeError(`Expected an array of tensor names for ${what} but received ${typeof names}`);
  }
  const all = valueNames(graph);
  for (const name of names) {
    if (all.has(name)) continue;
    const near = closestNames(name, all);
    throw new NpuqError('INVALID_ARGUMENT', `"${name}" (in ${what}) is not a tensor of the graph; the closest names are ${near.map((n) => `"${n}"`).join(', ')}`);
  }
}

/**
 * For a Conv, ConvTranspose (any group) or Gemm with weights `w` and `C` output channels: the output
 * channel of each flat weight index, or undefined when the weights do not have C output channels.
 */
export function outChannelOf(prod: Node, w: Tensor, C: number): ((idx: number) => number) | undefined {
  if (prod.opType === 'Conv') {
    if (w.shape[0] !== C) return undefined;
    const per = w.size / C;
    return (i) => Math.floor(i / per);
  }
  if (prod.opType === 'ConvTranspose') {
    // W is [Cin, M/group, k...]; output channel = g * (M/group) + j for input channel i of group g.
    const group = prod.attrInt('group', 1);
    const [ci, cog] = [w.shape[0], w.shape[1]];
    if (cog * group !== C || ci % group !== 0) return undefined;
    const ks = w.size / (ci * cog);
    const cig = ci / group;
    return (i) => {
      const inCh = Math.floor(i / (cog * ks));
      const j = Math.floor(i / ks) % cog;
      return Math.floor(inCh / cig) * cog + j;
    };
  }
  // Gemm: Y[M,N] = alpha * A' B' + beta * C with B [K,N] or [N,K] (transB); BN over axis 1 = N.
  if (w.shape.length !== 2) return undefined;
  const transB = prod.attrInt('transB', 0) !== 0;
  const [r, c] = w.shape;
  if ((transB ? r : c) !== C) return undefined;
  return transB ? (i) => Math.floor(i / c) : (i) => i % c;
}
