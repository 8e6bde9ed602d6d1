/**
 * Folds per-channel affine elementwise ops (Mul, Add, Sub, Div with a constant) into the Conv next to
 * them, so the Conv is the only op left for the quantizer:
 *
 * - after a Conv or ConvTranspose (`conv -> mul -> add/sub`): a[m] * conv(x) + b[m] becomes one with
 *   W'[m] = a[m] W[m], B'[m] = a[m] B[m] + b[m]. Always exact (up to float rounding).
 * - before a Conv (`add/sub -> mul -> conv`, `mul -> add/sub -> conv`): conv(a[i] x + b[i]) becomes
 *   W'[m,i] = W[m,i] a[i], B'[m] = B[m] + sum_{i,k} W[m,i,k] b[i]. The scale part is always exact; the
 *   offset part only when the Conv pads nothing (pads all 0, auto_pad VALID, or SAME with 1x1
 *   kernels): a padded Conv reads zeros at the borders, not b, so an Add/Sub before a padded Conv is
 *   left alone.
 *
 * The last Div/Mul of an exported HardSwish (see matchHardSwish) is not folded, so NPU toolchains
 * and the fuse-hardswish pass still recognize the activation.
 *
 * Constants are scalars or per-channel ([C], [C,1,1], [1,C,1,1]; right-aligned broadcasting over
 * N,C,H,W). The folded weights are computed in double and rounded once to float32. The node
 * folded after a Conv gives the Conv its output name, so names stay stable.
 */
import type { Graph, Node } from '../ir/graph';
import { Node as GraphNode } from '../ir/graph';
import { Tensor } from '../ir/tensor';
import { readWindow } from '../ir/ops/window';
import { runSteps, type Steps } from '../ir/steps';
import { matchHardSwish } from './hardswish';
import { result, type Pass, type PassContext, type PassResult } from './pass';
import { NameGen, constF32, outChannelOf, outputSet, perChannel, removeDead, tryInferSteps } from './util';

/** y = a * x + b per channel. */
interface Affine {
  a: Float64Array;
  b: Float64Array;
  /** True when b is all zero. */
  scaleOnly: boolean;
}

/**
 * The affine map of elementwise `node` applied to value `x` (its other input a constant broadcast
 * per channel over rank `rank` with C channels), or undefined.
 */
function affineOf(graph: Graph, node: Node, x: string, rank: number, C: number): Affine | undefined {
  if (node.domain !== '' || node.inputs.length !== 2 || !['Mul', 'Add', 'Sub', 'Div'].includes(node.opType)) return undefined;
  const xFirst = node.inputs[0] === x;
  if (!xFirst && node.inputs[1] !== x) return undefined;
  if (node.inputs[0] === node.inputs[1]) return undefined;
  const c = constF32(graph, xFirst ? node.inputs[1] : node.inputs[0]);
  const v = c && perChannel(c, rank, C);
  if (!v) return undefined;
  const a = new Float64Array(C).fill(1);
  const b = new Float64Array(C);
  switch (node.opType) {
    case 'Mul': a.set(v); break;
    case 'Add': b.set(v); break;
    case 'Sub': if (xFirst) for (let i = 0; i < C; i++) b[i] = -v[i]; else { a.fill(-1); b.set(v); } break;
    case 'Div': if (!xFirst || v.some((d) => d === 0)) return undefined; for (let i = 0; i < C; i++) a[i] = 1 / v[i]; break;
  }
  return { a, b, scaleOnly: b.every((d) => d === 0) };
}

/**
 * Output channels of a Conv ([M, C/g, ...] weights) or ConvTranspose ([C, M/g, ...] weights), or
 * undefined when `group` is not a positive integer (an invalid model: the pass leaves it alone).
 */
function outputChannelCount(conv: Node, w: Tensor): number | undefined {
  const group = conv.attrInt('group', 1);
  if (!Number.isInteger(group) || group < 1) return undefined;
  return conv.opType === 'Conv' ? w.shape[0] : w.shape[1] * group;
}

/** A Conv (or ConvTranspose) with constant float32 weights (and bias, if any): weights, bias as doubles. */
function convParams(graph: Graph, conv: Node, transposed = false): { w: Tensor; bias: Float64Array } | undefined {
  if ((conv.opType !== 'Conv' && !(transposed && conv.opType === 'ConvTranspose')) || conv.domain !== '') return undefined;
  const w = constF32(graph, conv.inputs[1]);
  if (!w || w.shape.length < 3) return undefined;
  const M = outputChannelCount(conv, w);
  if (M === undefined) return undefined;
  const bias = new Float64Array(M);
  if (conv.inputs[2]) {
    const b = constF32(graph, conv.inputs[2]);
    if (!b || b.size !== M) return undefined;
    bias.set(b.data as Float32Array);
  }
  return { w, bias };
}

function setConv(graph: Graph, names: NameGen, conv: Node, base: string, w: Tensor, wd: Float32Array | undefined, bias: Float64Array): void {
  if (wd) {
    const wName = names.next(`${base}__conv_weight`);
    graph.initializers.set(wName, new Tensor('float32', w.shape, wd));
    conv.inputs[1] = wName;
  }
  const bName = names.next(`${base}__conv_bias`);
  graph.initializers.set(bName, new Tensor('float32', [bias.length], Float32Array.from(bias)));
  conv.inputs[2] = bName;
}

/** True when the Conv pads nothing, so a constant added to its input reaches every tap. */
function padsNothing(conv: Node, w: Tensor): boolean {
  const win = readWindow(conv, w.shape.length - 2, w.shape.slice(2));
  if (win.autoPad === 'VALID') return true;
  if (win.autoPad === 'NOTSET') return win.pads.every((p) => p === 0);
  return win.kernel.every((k, i) => (k - 1) * win.dilations[i] === 0);
}

/** Output channel count and weight-to-channel map of a Conv or ConvTranspose with constant weights. */
function outputChannels(conv: Node, w: Tensor): { M: number; chan: (i: number) => number } | undefined {
  const M = outputChannelCount(conv, w);
  if (M === undefined) return undefined;
  const chan = outChannelOf(conv, w, M);
  return chan && { M, chan };
}

/**
 * Folds constant Mul/Add/Sub/Div after a Conv or ConvTranspose into its weights and bias, repeatedly
 * (conv -> mul -> add/sub becomes one Conv). The Conv's output must have no other reader and not be
 * a graph output.
 */
export function foldConvAdd(graph: Graph): PassResult {
  return runSteps(foldConvAddSteps(graph));
}

/** {@link foldConvAdd} as steps (one per fold), for time slices (lib/ir/steps.ts); same result. */
export function* foldConvAddSteps(graph: Graph): Steps<PassResult> {
  const changes: string[] = [];
  const names = new NameGen(graph);
  // One scan: a fold only changes its Conv (which may fold again: conv -> mul -> add) and removes the
  // folded node, whose readers are unchanged, so no other Conv's candidate changes and the consumers
  // of every Conv output stay valid. Same folds, in the same order, as rescanning after each one.
  const consumers = graph.consumers();
  const outputs = outputSet(graph);
  const folded = new Set<Node>();
  for (const conv of graph.nodes) {
    if (folded.has(conv)) continue;
    for (;;) {
      const p = convParams(graph, conv, true);
      if (!p || outputs.has(conv.outputs[0])) break;
      const readers = (consumers.get(conv.outputs[0]) ?? []).filter((r) => !folded.has(r));
      const oc = outputChannels(conv, p.w);
      if (readers.length !== 1 || !oc) break;
      const next = readers[0];
      const f = affineOf(graph, next, conv.outputs[0], p.w.shape.length, oc.M);
      if (!f) break;
      let nw: Float32Array | undefined;
      if (!f.a.every((v) => v === 1)) {
        const wd = p.w.data as Float32Array;
        nw = new Float32Array(wd.length);
        for (let i = 0; i < wd.length; i++) nw[i] = wd[i] * f.a[oc.chan(i)];
      }
      const bias = p.bias.map((v, m) => v * f.a[m] + f.b[m]);
      setConv(graph, names, conv, next.outputs[0], p.w, nw, bias);
      graph.valueInfo.delete(conv.outputs[0]);
      conv.outputs[0] = next.outputs[0];
      folded.add(next);
      changes.push(`folded ${next.describe()} into ${conv.describe()}`);
      yield;
    }
  }
  if (folded.size) graph.nodes = graph.nodes.filter((n) => !folded.has(n));
  if (changes.length) removeDead(graph);
  return result(changes);
}

/**
 * Folds constant Mul/Add/Sub/Div before Convs into their weights and bias, repeatedly. Every reader
 * of the elementwise output must be such a Conv (group any); an offset is folded only into Convs that
 * pad nothing (see the file comment).
 */
export function foldConvInputAffine(graph: Graph, ctx: PassContext = {}): PassResult {
  return runSteps(foldConvInputAffineSteps(graph, ctx));
}

/** {@link foldConvInputAffine} as steps (a node of each scan, a fold), for time slices; same result. */
export function* foldConvInputAffineSteps(graph: Graph, ctx: PassContext = {}): Steps<PassResult> {
  const changes: string[] = [];
  const notes: string[] = [];
  const names = new NameGen(graph);
  const noted = new Set<Node>();
  // Folding changes no value's shape, so one inference serves every round.
  const { types, note } = yield* tryInferSteps(graph, ctx);
  if (!types) return result([], [note]);
  // The last Div/Mul of an exported HardSwish stays, so the pattern remains recognizable.
  const hardSwish = new Set(matchHardSwish(graph).map((m) => m.nodes[m.nodes.length - 1]));
  for (;;) {
    const consumers = graph.consumers();
    const producers = graph.producers();
    const outputs = outputSet(graph);
    let folded: Node | undefined;
    let moved = false;
    for (const e of graph.nodes) {
      yield;
      const y = e.outputs[0];
      const readers = consumers.get(y) ?? [];
      if (!['Mul', 'Add', 'Sub', 'Div'].includes(e.opType) || outputs.has(y) || readers.length === 0 || hardSwish.has(e)) continue;
      const convs = readers.map((r) => ({ r, p: r.inputs[0] === y && r.inputs[1] !== y && r.inputs[2] !== y ? convParams(graph, r) : undefined }));
      if (convs.some((c) => !c.p)) continue;
      const w0 = convs[0].p!.w;
      const rank = w0.shape.length;
      const cin = w0.shape[1] * convs[0].r.attrInt('group', 1);
      const x = e.inputs.find((i) => types.get(i) !== undefined && !graph.initializers.has(i));
      const xs = x ? types.get(x)?.shape : undefined;
      if (!x || !xs || xs.length !== rank || xs[1] !== cin) continue;
      const f = affineOf(graph, e, x, rank, cin);
      if (!f) continue;
      if (!f.scaleOnly && convs.some((c) => !padsNothing(c.r, c.p!.w))) {
        // A scale just before the offset (scale -> offset -> padded Conv: PaddleOCR's learnable affine
        // block) moves past it, A x + B = A (x + B / A), and folds into the Convs on the next scan
        // (a scale is exact with padding): one elementwise layer left instead of two.
        if (moveScalePastOffset(e, x, f, producers, consumers, outputs)) {
          moved = true;
          break;
        }
        if (!noted.has(e)) notes.push(`left ${e.describe()} before a padded Conv: an offset before zero padding is not exact at the borders`);
        noted.add(e);
        continue;
      }
      for (const { r: conv, p } of convs) {
        const { w, bias } = p!;
        const [M, cg] = [w.shape[0], w.shape[1]];
        const mg = M / conv.attrInt('group', 1);
        const ks = w.size / (M * cg);
        const wd = w.data as Float32Array;
        const nw = new Float32Array(wd.length);
        for (let m = 0; m < M; m++) {
          const g = Math.floor(m / mg);
          let acc = bias[m];
          for (let j = 0; j < cg; j++) {
            const i = g * cg + j;
            for (let k = 0; k < ks; k++) {
              const idx = (m * cg + j) * ks + k;
              acc += wd[idx] * f.b[i];
              nw[idx] = wd[idx] * f.a[i];
            }
          }
          bias[m] = acc;
        }
        setConv(graph, names, conv, conv.outputs[0], w, nw, bias);
        conv.inputs[0] = x;
        changes.push(`folded ${e.describe()} into ${conv.describe()}`);
      }
      folded = e;
      break;
    }
    if (moved) continue;
    if (!folded) break;
    graph.nodes = graph.nodes.filter((n) => n !== folded);
  }
  if (changes.length) removeDead(graph);
  return result(changes, notes);

  /**
   * Rewrites `scale -> e` (e: offset-only affine `f` of x, the scale's output, read by e alone) into
   * `Add(B / A) -> Mul(A)` in place (A = f.a * scale, B = f.b per channel; every A finite and nonzero).
   * The Add takes e's name, the Mul (folded next) the scale's. Returns false when the pattern is not there.
   */
  function moveScalePastOffset(e: Node, x: string, f: Affine, producers: Map<string, Node>, consumers: Map<string, Node[]>, outputs: Set<string>): boolean {
    const m = producers.get(x);
    if (!m || m.outputs[0] !== x || hardSwish.has(m) || outputs.has(x) || (consumers.get(x) ?? []).length !== 1) return false;
    if (m.opType !== 'Mul' && m.opType !== 'Div') return false;
    const xm = m.inputs.find((i) => !graph.initializers.has(i));
    const shape = xm !== undefined ? types!.get(xm)?.shape : undefined;
    if (!xm || !shape || shape.length !== types!.get(x)?.shape?.length) return false;
    const C = f.a.length;
    const fm = affineOf(graph, m, xm, shape.length, C);
    if (!fm || !fm.scaleOnly) return false;
    const A = fm.a.map((v, i) => v * f.a[i]);
    const B = f.b.map((b, i) => b / A[i]);
    if (A.some((v) => !Number.isFinite(Math.fround(v)) || Math.fround(v) === 0) || B.some((v) => !Number.isFinite(Math.fround(v)))) return false;
    const dims = shape.map((_, i) => (i === 1 ? C : 1));
    const offset = names.next(`${e.name}__offset`), scale = names.next(`${m.name}__scale`), t = names.next(`${x}__shifted`);
    graph.initializers.set(offset, new Tensor('float32', dims, Float32Array.from(B)));
    graph.initializers.set(scale, new Tensor('float32', dims, Float32Array.from(A)));
    types!.set(t, types!.get(x)!);
    const add = new GraphNode(e.name, 'Add', [xm, offset], [t]);
    const mul = new GraphNode(m.name, 'Mul', [t, scale], [e.outputs[0]]);
    graph.nodes = graph.nodes.map((n) => (n === m ? add : n === e ? mul : n));
    changes.push(`moved ${m.describe()} past ${e.describe()} (a x + b = a (x + b / a)), to fold it into the Conv after them`);
    return true;
  }
}

export const FOLD_AFTER_CONV: Pass = {
  name: 'fold-mul-add-after-conv',
  description: 'fold constant per-channel Mul/Add/Sub/Div after a Conv or ConvTranspose into its weights and bias (conv -> mul -> add/sub)',
  run: (graph) => foldConvAdd(graph),
  steps: (graph) => foldConvAddSteps(graph),
};

export const FOLD_BEFORE_CONV: Pass = {
  name: 'fold-mul-add-before-conv',
  description: 'fold constant per-channel Mul/Add/Sub/Div before Convs into their weights and bias (add/sub -> mul -> conv, mul -> add/sub -> conv); offsets only into unpadded Convs',
  run: foldConvInputAffine,
  steps: foldConvInputAffineSteps,
};
