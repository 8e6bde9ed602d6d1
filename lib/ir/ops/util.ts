/**
 * Helpers shared by the operator definitions: errors naming the node, axis normalization, dims
 * arithmetic (with symbolic dims), numpy broadcasting, reading constant int inputs, and index maps
 * for data-movement kernels (strides, broadcast, transpose).
 */
import { NpuqError } from '../../errors';
import type { Dim, Node } from '../graph';
import { allocStorage, Tensor, TensorStorage } from '../tensor';
import type { InferInput, OpContext } from './types';

/** INVALID_MODEL error prefixed with the node description. */
export function invalid(node: Node, message: string): NpuqError {
  return new NpuqError('INVALID_MODEL', `${node.describe()}: ${message}`);
}

/** UNSUPPORTED error prefixed with the node description. */
export function unsupported(node: Node, message: string): NpuqError {
  return new NpuqError('UNSUPPORTED', `${node.describe()}: ${message}`);
}

/** Formats a shape for messages: `[N,3,?,640]`. */
export function fmtShape(shape: readonly Dim[] | undefined): string {
  if (shape === undefined) return '(unknown rank)';
  return `[${shape.map((d) => (d === undefined ? '?' : String(d))).join(',')}]`;
}

/** The input at `index`, throwing INVALID_MODEL when a required input is missing. */
export function requireInput(ctx: OpContext, index: number, name: string): InferInput {
  const x = ctx.inputs[index];
  if (x === undefined) {
    throw invalid(ctx.node, `is missing its required input #${index} (${name}); connect a value to it`);
  }
  return x;
}

/** The input at `index`, or undefined when it is omitted or beyond the node's input list. */
export function optionalInput(ctx: OpContext, index: number): InferInput | undefined {
  return index < ctx.inputs.length ? ctx.inputs[index] : undefined;
}

/** Normalizes a possibly negative axis against `rank`; INVALID_MODEL when out of range. */
export function normalizeAxis(node: Node, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw invalid(node, `${what} ${axis} is out of range for a tensor of rank ${rank}; use a value in [${-rank}, ${rank - 1}]`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalizes a list of axes; INVALID_MODEL on out-of-range or repeated axes. */
export function normalizeAxes(node: Node, axes: readonly number[], rank: number, what = 'axes'): number[] {
  const out = axes.map((a) => normalizeAxis(node, a, rank, what));
  if (new Set(out).size !== out.length) {
    throw invalid(node, `${what} [${axes.join(',')}] repeats an axis; list each axis once`);
  }
  return out;
}

/** True when every dim is a concrete number. */
export function isConcrete(shape: readonly Dim[] | undefined): shape is number[] {
  return shape !== undefined && shape.every((d) => typeof d === 'number');
}

/** Number of elements of a shape, or undefined when not concrete. */
export function numel(shape: readonly Dim[] | undefined): number | undefined {
  if (!isConcrete(shape)) return undefined;
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Merges two dims that must be equal (e.g. the non-concat dims of Concat): a concrete dim wins over a
 * symbolic or unknown one; two different concrete dims throw INVALID_MODEL.
 */
export function mergeDim(node: Node, a: Dim, b: Dim, what: string): Dim {
  if (typeof a === 'number' && typeof b === 'number') {
    if (a !== b) throw invalid(node, `${what}: dimensions ${a} and ${b} must be equal`);
    return a;
  }
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  if (a === b) return a;
  return a ?? b;
}

/** A product of dims kept as a numeric coefficient times a multiset of symbols. */
export interface DimProduct {
  coef: number;
  symbols: Map<string, number>;
  /** True when some factor was unknown (undefined). */
  unknown: boolean;
}

/** Product of dims, keeping symbolic factors. */
export function dimProduct(dims: readonly Dim[]): DimProduct {
  const p: DimProduct = { coef: 1, symbols: new Map(), unknown: false };
  for (const d of dims) {
    if (typeof d === 'number') p.coef *= d;
    else if (typeof d === 'string') p.symbols.set(d, (p.symbols.get(d) ?? 0) + 1);
    else p.unknown = true;
  }
  return p;
}

/** The dim a product stands for: a number, a single symbol, or undefined. */
export function productDim(p: DimProduct): Dim {
  if (p.unknown) return undefined;
  if (p.symbols.size === 0) return p.coef;
  if (p.symbols.size === 1 && p.coef === 1) {
    const [[s, n]] = [...p.symbols];
    if (n === 1) return s;
  }
  return undefined;
}

/** `num / den` with symbol cancellation; undefined when it cannot be expressed as one dim. */
export function divideProducts(num: DimProduct, den: DimProduct): Dim | null {
  if (num.unknown || den.unknown) return undefined;
  const syms = new Map(num.symbols);
  for (const [s, n] of den.symbols) {
    const have = syms.get(s) ?? 0;
    if (have < n) return undefined;
    if (have === n) syms.delete(s);
    else syms.set(s, have - n);
  }
  if (den.coef === 0) return undefined;
  if (syms.size === 0 && num.coef % den.coef !== 0) return null;
  const coef = num.coef / den.coef;
  if (!Number.isInteger(coef)) return undefined;
  return productDim({ coef, symbols: syms, unknown: false });
}

/** Product of dims as one dim (number, single symbol or undefined). */
export function multiplyDims(dims: readonly Dim[]): Dim {
  return productDim(dimProduct(dims));
}

/**
 * Numpy multidirectional broadcasting of shapes. Returns undefined when some rank is unknown;
 * a dim is concrete when any input has it concrete and > 1, symbolic when all non-1 inputs share
 * the symbol. Throws INVALID_MODEL for incompatible concrete dims.
 */
export function broadcastShapes(node: Node, shapes: readonly (readonly Dim[] | undefined)[]): Dim[] | undefined {
  if (shapes.some((s) => s === undefined)) return undefined;
  const ss = shapes as readonly (readonly Dim[])[];
  const rank = Math.max(0, ...ss.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let concrete: number | undefined;
    let symbol: string | undefined;
    let unknownOrMixed = false;
    for (const s of ss) {
      const j = s.length - rank + i;
      const d = j < 0 ? 1 : s[j];
      if (typeof d === 'number') {
        if (d === 1) continue;
        if (concrete !== undefined && concrete !== d) {
          throw invalid(node, `cannot broadcast shapes ${ss.map(fmtShape).join(' and ')}: dimension ${i} is ${concrete} in one and ${d} in another; make them equal or 1`);
        }
        concrete = d;
      } else if (typeof d === 'string') {
        if (symbol !== undefined && symbol !== d) unknownOrMixed = true;
        symbol = d;
      } else {
        unknownOrMixed = true;
      }
    }
    if (concrete !== undefined) out.push(concrete);
    else if (unknownOrMixed) out.push(undefined);
    else if (symbol !== undefined) out.push(symbol);
    else out.push(1);
  }
  return out;
}

/**
 * Checks that `b` broadcasts unidirectionally to `a` (b's dims each 1 or equal to a's); throws
 * INVALID_MODEL otherwise. Unknown ranks and non-concrete dims pass.
 */
export function checkUnidirectional(node: Node, a: readonly Dim[] | undefined, b: readonly Dim[] | undefined, what: string): void {
  if (a === undefined || b === undefined) return;
  const bad = (): NpuqError =>
    invalid(node, `${what} of shape ${fmtShape(b)} does not broadcast to ${fmtShape(a)}; each of its trailing dims must be 1 or equal`);
  if (b.length > a.length) throw bad();
  for (let i = 0; i < b.length; i++) {
    const db = b[i];
    const da = a[a.length - b.length + i];
    if (typeof db === 'number' && db !== 1 && typeof da === 'number' && da !== db) throw bad();
  }
}

/** Converts a bigint or number to a JS number. */
export function toNum(v: number | bigint): number {
  return typeof v === 'bigint' ? Number(v) : v;
}

/** Elements of an integer tensor as JS numbers (int64 via Number(); INT64_MAX becomes 2^63). */
export function tensorInts(node: Node, t: Tensor, what: string): number[] {
  const d = t.data;
  if (Array.isArray(d) || t.dtype.startsWith('float') || t.dtype === 'bfloat16') {
    throw invalid(node, `expected an integer tensor for ${what} but received ${t.dtype}`);
  }
  const out = new Array<number>(d.length);
  for (let i = 0; i < d.length; i++) out[i] = toNum(d[i]);
  return out;
}

/** The constant int values of an input, or undefined when not known at compile time. */
export function constInts(ctx: OpContext, index: number, what: string): number[] | undefined {
  const x = optionalInput(ctx, index);
  if (x?.value === undefined) return undefined;
  return tensorInts(ctx.node, x.value, what);
}

/** Row-major strides of a concrete shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/**
 * Maps each flat index of `outShape` to the flat index of the element it reads in `inShape`
 * given a per-output-dim source stride (0 for broadcast dims) and a base offset.
 */
export function strideIndexMap(outShape: readonly number[], srcStrides: readonly number[], base = 0): Int32Array {
  let n = 1;
  for (const d of outShape) n *= d;
  const map = new Int32Array(n);
  if (n === 0) return map;
  const rank = outShape.length;
  const idx = new Array<number>(rank).fill(0);
  let off = base;
  for (let i = 0; i < n; i++) {
    map[i] = off;
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      off += srcStrides[k];
      if (idx[k] < outShape[k]) break;
      off -= srcStrides[k] * outShape[k];
      idx[k] = 0;
    }
  }
  return map;
}

/** Index map reading `inShape` (right-aligned, broadcast) for every element of `outShape`. */
export function broadcastIndexMap(outShape: readonly number[], inShape: readonly number[]): Int32Array {
  const inStrides = stridesOf(inShape);
  const src = outShape.map((_, i) => {
    const j = inShape.length - outShape.length + i;
    return j < 0 || inShape[j] === 1 ? 0 : inStrides[j];
  });
  return strideIndexMap(outShape, src);
}

/** Index map of a transpose: output dim i is input dim perm[i]. */
export function transposeIndexMap(inShape: readonly number[], perm: readonly number[]): Int32Array {
  const st = stridesOf(inShape);
  return strideIndexMap(perm.map((p) => inShape[p]), perm.map((p) => st[p]));
}

/** A tensor of `dtype` and `shape` whose element i is `src.data[map[i]]` (any dtype). */
export function gatherTensor(src: Tensor, shape: readonly number[], map: ArrayLike<number>): Tensor {
  const out = allocStorage(src.dtype, map.length);
  copyIndexed(src.data, out, map);
  return new Tensor(src.dtype, shape, out);
}

/** `dst[i] = src[map[i]]` for any storage kind. */
export function copyIndexed(src: TensorStorage, dst: TensorStorage, map: ArrayLike<number>): void {
  const s = src as unknown as unknown[];
  const d = dst as unknown as unknown[];
  for (let i = 0; i < map.length; i++) d[i] = s[map[i]];
}

/** A tensor sharing `t`'s data under a new shape (same element count). */
export function reshapeTensor(t: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(t.dtype, shape, t.data);
}

/** An int64 tensor from JS numbers. */
export function int64Tensor(shape: readonly number[], values: readonly number[]): Tensor {
  const d = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) d[i] = BigInt(values[i]);
  return new Tensor('int64', shape, d);
}

/** Reads an int attribute list, or undefined when absent. */
export function attrIntsOpt(node: Node, name: string): number[] | undefined {
  return node.has(name) ? node.attrInts(name) : undefined;
}

/** Ensures a required input has a known rank equal to `rank` (when known). */
export function checkRank(node: Node, x: InferInput, rank: number, what: string): void {
  if (x.shape !== undefined && x.shape.length !== rank) {
    throw invalid(node, `expected ${what} of rank ${rank} but received shape ${fmtShape(x.shape)}`);
  }
}

/**
 * Elements of a scalar or 1-D integer input known at compile time: its constant value, else its
 * symbolic value (see ValueType.symbolic), else undefined.
 */
export function shapeValues(ctx: OpContext, index: number, what: string): Dim[] | undefined {
  const x = optionalInput(ctx, index);
  if (x === undefined) return undefined;
  if (x.value !== undefined) return tensorInts(ctx.node, x.value, what);
  return x.symbolic?.slice();
}

/** True for the integer dtypes that may carry a symbolic value. */
export function canBeSymbolic(dtype: string, shape: readonly Dim[] | undefined): boolean {
  return (dtype === 'int64' || dtype === 'int32') && shape !== undefined && shape.length <= 1;
}
