/**
 * Weighted layers (Conv, Gemm, MatMul with a constant B) seen as matrices: row c holds the K weights
 * output channel c reads (per group for Conv), with the flat index of each weight in its tensor and
 * the input channel it multiplies. Shared by the PTQ techniques, which all work per output channel
 * (bias correction, AdaRound, the producer side of CLE/SmoothQuant) or per input channel (the
 * consumer side of CLE/SmoothQuant).
 */
import type { Graph, Node } from '../ir/graph';
import type { Tensor } from '../ir/tensor';

// Math functions as module constants: hot loops stay fast where the global object is slow to read (jest's sandbox).
const { abs, ceil, floor, max } = Math;

export interface WeightMatrix {
  node: Node;
  kind: 'Conv' | 'Gemm' | 'MatMul';
  /** The float32 weight initializer. */
  weight: Tensor;
  /** Output channels. */
  cout: number;
  /** Weights per output channel: (Cin / group) * kernel for Conv, K for Gemm/MatMul. */
  k: number;
  /** Conv groups (1 for Gemm/MatMul). */
  groups: number;
  /** Input channels: Cin for Conv (axis 1 of its input), K for Gemm/MatMul (last axis). */
  cin: number;
  /** Product of the spatial kernel dims (1 for Gemm/MatMul). */
  kernel: number;
  /** Flat index into the weight tensor of row c, column j. */
  index(c: number, j: number): number;
  /** Input channel that weight (c, j) multiplies. */
  inChannel(c: number, j: number): number;
}

/** A float32 initializer or undefined. */
export function floatInit(graph: Graph, name: string | undefined): Tensor | undefined {
  const t = name ? graph.initializers.get(name) : undefined;
  return t && t.dtype === 'float32' ? t : undefined;
}

/**
 * The matrix view of a Conv (1-D or 2-D), Gemm (transA = 0 when `asConsumer`) or MatMul with a
 * constant 2-D B, or undefined when the node is not one of those.
 */
export function weightMatrix(graph: Graph, node: Node, asConsumer = false): WeightMatrix | undefined {
  if (node.domain !== '') return undefined;
  const w = floatInit(graph, node.inputs[1]);
  if (!w) return undefined;
  if (node.opType === 'Conv') {
    if (w.shape.length !== 3 && w.shape.length !== 4) return undefined;
    const groups = node.attrInt('group', 1);
    const [cout, cpg] = w.shape;
    if (!Number.isInteger(groups) || groups < 1 || cout % groups !== 0) return undefined;
    const kernel = w.shape.slice(2).reduce((a, b) => a * b, 1);
    const k = cpg * kernel;
    const cog = cout / groups;
    return {
      node, kind: 'Conv', weight: w, cout, k, groups, cin: cpg * groups, kernel,
      index: (c, j) => c * k + j,
      inChannel: (c, j) => floor(c / cog) * cpg + floor(j / kernel),
    };
  }
  if (w.shape.length !== 2) return undefined;
  if (node.opType === 'Gemm') {
    if (asConsumer && node.attrInt('transA', 0) !== 0) return undefined;
    const transB = node.attrInt('transB', 0) !== 0;
    const [r, c0] = w.shape;
    const cout = transB ? r : c0, k = transB ? c0 : r;
    return {
      node, kind: 'Gemm', weight: w, cout, k, groups: 1, cin: k, kernel: 1,
      index: transB ? (c, j) => c * k + j : (c, j) => j * cout + c,
      inChannel: (_c, j) => j,
    };
  }
  if (node.opType === 'MatMul') {
    const [k, cout] = w.shape;
    return {
      node, kind: 'MatMul', weight: w, cout, k, groups: 1, cin: k, kernel: 1,
      index: (c, j) => j * cout + c, inChannel: (_c, j) => j,
    };
  }
  return undefined;
}

/** The bias as one value per output channel (zeros when absent), or undefined when it is not like that. */
export function biasValues(graph: Graph, m: WeightMatrix): Float64Array | undefined {
  const out = new Float64Array(m.cout);
  const name = m.kind === 'MatMul' ? '' : m.node.inputs[2];
  if (!name) return out;
  const b = floatInit(graph, name);
  if (!b) return undefined;
  const d = b.data as Float32Array;
  if (b.size === 1 && m.kind === 'Gemm') out.fill(d[0]);
  else if (b.size === m.cout && (m.kind === 'Conv' || b.shape.length <= 2)) out.set(d);
  else return undefined;
  return out;
}

/** Per output channel: max |w| over its row. */
export function rowAbsMax(m: WeightMatrix, w: ArrayLike<number>): Float64Array {
  const r = new Float64Array(m.cout);
  for (let c = 0; c < m.cout; c++) {
    let a = 0;
    for (let j = 0; j < m.k; j++) a = max(a, abs(w[m.index(c, j)]));
    r[c] = a;
  }
  return r;
}

/**
 * Conv geometry: spatial sizes, kernel, strides, dilations and leading pads (auto_pad resolved), for
 * an input of shape [N, C, ...spatial] (1-D convs as H = 1).
 */
export interface ConvGeometry {
  inH: number; inW: number; outH: number; outW: number;
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number; ph: number; pw: number;
}

/** Geometry of a Conv (see weightMatrix) on an input of the given shape. */
export function convGeometry(node: Node, wShape: readonly number[], inShape: readonly number[]): ConvGeometry {
  const two = wShape.length === 4;
  const ks = wShape.slice(2);
  const spatial = inShape.slice(2);
  const strides = node.attrInts('strides', ks.map(() => 1));
  const dil = node.attrInts('dilations', ks.map(() => 1));
  const pads = node.attrInts('pads', [...ks.map(() => 0), ...ks.map(() => 0)]);
  const autoPad = node.attrString('auto_pad', 'NOTSET');
  const out: number[] = [];
  const begin: number[] = [];
  ks.forEach((k, i) => {
    const ext = (k - 1) * dil[i] + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const o = ceil(spatial[i] / strides[i]);
      const total = max(0, (o - 1) * strides[i] + ext - spatial[i]);
      out.push(o);
      begin.push(autoPad === 'SAME_UPPER' ? floor(total / 2) : ceil(total / 2));
    } else if (autoPad === 'VALID') {
      out.push(floor((spatial[i] - ext) / strides[i]) + 1);
      begin.push(0);
    } else {
      out.push(floor((spatial[i] + pads[i] + pads[i + ks.length] - ext) / strides[i]) + 1);
      begin.push(pads[i]);
    }
  });
  const at = (a: number[], i: number, d: number) => (two ? a[i] : i === 0 ? d : a[0]);
  return {
    inH: two ? spatial[0] : 1, inW: two ? spatial[1] : spatial[0], outH: at(out, 0, 1), outW: at(out, 1, 1),
    kh: at(ks, 0, 1), kw: at(ks, 1, 1), sh: at(strides, 0, 1), sw: at(strides, 1, 1),
    dh: at(dil, 0, 1), dw: at(dil, 1, 1), ph: at(begin, 0, 0), pw: at(begin, 1, 0),
  };
}
