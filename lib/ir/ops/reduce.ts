/**
 * Reductions: ReduceMean/Sum/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp with axes as attribute
 * or (ReduceSum from opset 13, the others from 18) as input, keepdims and noop_with_empty_axes; and
 * ArgMax/ArgMin. All fold at compile time (float sums in double, int64 in BigInt).
 */
import type { Dim } from '../graph';
import { isFloatDType, Tensor } from '../tensor';
import { elementReader, elementWriter, isBigDType } from './numeric';
import type { OpContext, OpDef, ValueType } from './types';
import { constInts, invalid, normalizeAxes, normalizeAxis, optionalInput, requireInput, stridesOf, strideIndexMap } from './util';

/** Axes to reduce: a list, 'all', 'none' (identity) or 'unknown' (non-constant input). */
type Axes = number[] | 'all' | 'none' | 'unknown';

function reduceAxes(ctx: OpContext, inputFrom: number, rank: number | undefined): Axes {
  const node = ctx.node;
  let axes: number[] | undefined;
  if (ctx.opset >= inputFrom) {
    if (node.has('axes')) throw invalid(node, `takes axes as its second input from opset ${inputFrom}; move the axes attribute to an input`);
    const a = optionalInput(ctx, 1);
    if (a !== undefined) {
      axes = constInts(ctx, 1, 'axes');
      if (axes === undefined) return 'unknown';
    }
  } else {
    if (ctx.inputs.length > 1) throw invalid(node, `takes axes as an attribute before opset ${inputFrom}, not as an input`);
    axes = node.has('axes') ? node.attrInts('axes') : undefined;
  }
  const noop = ctx.opset >= inputFrom && node.attrInt('noop_with_empty_axes', 0) === 1;
  if (axes === undefined || axes.length === 0) return noop ? 'none' : 'all';
  return rank === undefined ? axes : normalizeAxes(node, axes, rank);
}

function reducedShape(shape: readonly Dim[], axes: number[] | 'all', keep: boolean): Dim[] {
  const set = axes === 'all' ? undefined : new Set(axes);
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    const r = set === undefined || set.has(i);
    if (!r) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

function inferReduce(ctx: OpContext, inputFrom: number, outDtype?: ValueType['dtype']): ValueType[] {
  const x = requireInput(ctx, 0, 'data');
  const dtype = outDtype ?? x.dtype;
  const keep = ctx.node.attrInt('keepdims', 1) !== 0;
  const axes = reduceAxes(ctx, inputFrom, x.shape?.length);
  if (x.shape === undefined) return [{ dtype, shape: undefined }];
  if (axes === 'none') return [{ dtype, shape: x.shape.slice() }];
  if (axes === 'unknown') {
    if (keep) return [{ dtype, shape: x.shape.map((d) => (d === 1 ? 1 : undefined)) }];
    const a = optionalInput(ctx, 1);
    const k = a?.shape?.[0];
    return [{ dtype, shape: typeof k === 'number' ? new Array<Dim>(x.shape.length - k).fill(undefined) : undefined }];
  }
  return [{ dtype, shape: reducedShape(x.shape, axes, keep) }];
}

type Kind = 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'l1' | 'l2' | 'sumsq' | 'logsum' | 'logsumexp';

/** Reduces a concrete tensor over `axes` (normalized) into `outShape`-ordered groups. */
function evalReduce(x: Tensor, axes: number[] | 'all', keep: boolean, kind: Kind): Tensor {
  const set = axes === 'all' ? new Set(x.shape.map((_, i) => i)) : new Set(axes);
  const keepShape = x.shape.map((d, i) => (set.has(i) ? 1 : d));
  const ks = stridesOf(keepShape);
  const map = strideIndexMap(x.shape, x.shape.map((_, i) => (set.has(i) ? 0 : ks[i])));
  const nOut = keepShape.reduce((p, q) => p * q, 1);
  const outShape = keep ? keepShape : x.shape.filter((_, i) => !set.has(i));
  const count = x.size / Math.max(nOut, 1);
  const w = elementWriter(x.dtype, nOut);
  if (isBigDType(x.dtype) && kind !== 'l2' && kind !== 'logsum' && kind !== 'logsumexp') {
    const d = x.data as BigInt64Array;
    const init = kind === 'prod' ? 1n : kind === 'max' || kind === 'min' ? undefined : 0n;
    const acc = new Array<bigint | undefined>(nOut).fill(init);
    for (let i = 0; i < d.length; i++) {
      const o = map[i];
      const v = d[i];
      const a = acc[o];
      if (kind === 'max') acc[o] = a === undefined || v > a ? v : a;
      else if (kind === 'min') acc[o] = a === undefined || v < a ? v : a;
      else if (kind === 'prod') acc[o] = (a as bigint) * v;
      else if (kind === 'l1') acc[o] = (a as bigint) + (v < 0n ? -v : v);
      else if (kind === 'sumsq') acc[o] = (a as bigint) + v * v;
      else acc[o] = (a as bigint) + v;
    }
    for (let o = 0; o < nOut; o++) {
      const a = acc[o] ?? 0n;
      w.set(o, kind === 'mean' ? a / BigInt(count) : a);
    }
    return new Tensor(x.dtype, outShape, w.data);
  }
  const r = elementReader(x);
  const init = kind === 'prod' ? 1 : kind === 'max' || kind === 'logsumexp' ? -Infinity : kind === 'min' ? Infinity : 0;
  const acc = new Float64Array(nOut).fill(init);
  if (kind === 'logsumexp') {
    for (let i = 0; i < x.size; i++) acc[map[i]] = Math.max(acc[map[i]], r(i));
    const sums = new Float64Array(nOut);
    for (let i = 0; i < x.size; i++) sums[map[i]] += Math.exp(r(i) - acc[map[i]]);
    for (let o = 0; o < nOut; o++) w.set(o, acc[o] + Math.log(sums[o]));
    return new Tensor(x.dtype, outShape, w.data);
  }
  for (let i = 0; i < x.size; i++) {
    const o = map[i];
    const v = r(i);
    switch (kind) {
      case 'max': acc[o] = Number.isNaN(v) || v > acc[o] ? v : acc[o]; break;
      case 'min': acc[o] = Number.isNaN(v) || v < acc[o] ? v : acc[o]; break;
      case 'prod': acc[o] *= v; break;
      case 'l1': acc[o] += Math.abs(v); break;
      case 'l2': case 'sumsq': acc[o] += v * v; break;
      default: acc[o] += v;
    }
  }
  const integer = !isFloatDType(x.dtype);
  for (let o = 0; o < nOut; o++) {
    let v = acc[o];
    if (kind === 'mean') v = integer ? Math.trunc(v / count) : v / count;
    else if (kind === 'l2') v = Math.sqrt(v);
    else if (kind === 'logsum') v = Math.log(v);
    w.set(o, v);
  }
  return new Tensor(x.dtype, outShape, w.data);
}

function reduceOp(opType: string, kind: Kind, inputFrom: number): OpDef {
  return {
    opType,
    infer: (ctx) => inferReduce(ctx, inputFrom),
    evaluate: (ctx, inputs) => {
      const x = inputs[0] as Tensor;
      const axes = reduceAxes(ctx, inputFrom, x.shape.length);
      if (axes === 'none') return [x];
      if (axes === 'unknown') throw invalid(ctx.node, 'axes must be constant to fold');
      return [evalReduce(x, axes, ctx.node.attrInt('keepdims', 1) !== 0, kind)];
    },
  };
}

function argOp(opType: string, max: boolean): OpDef {
  const axisOf = (ctx: OpContext, rank: number): number => normalizeAxis(ctx.node, ctx.node.attrInt('axis', 0), rank);
  return {
    opType,
    infer: (ctx) => {
      const x = requireInput(ctx, 0, 'data');
      const keep = ctx.node.attrInt('keepdims', 1) !== 0;
      if (x.shape === undefined) return [{ dtype: 'int64', shape: undefined }];
      return [{ dtype: 'int64', shape: reducedShape(x.shape, [axisOf(ctx, x.shape.length)], keep) }];
    },
    evaluate: (ctx, inputs) => {
      const x = inputs[0] as Tensor;
      const axis = axisOf(ctx, x.shape.length);
      const keep = ctx.node.attrInt('keepdims', 1) !== 0;
      const last = ctx.node.attrInt('select_last_index', 0) === 1;
      const n = x.shape[axis];
      const inner = x.shape.slice(axis + 1).reduce((p, q) => p * q, 1);
      const outer = x.shape.slice(0, axis).reduce((p, q) => p * q, 1);
      const r = elementReader(x);
      const out = new BigInt64Array(outer * inner);
      for (let o = 0; o < outer; o++) {
        for (let i = 0; i < inner; i++) {
          let best = 0;
          let bv = r(o * n * inner + i);
          for (let k = 1; k < n; k++) {
            const v = r((o * n + k) * inner + i);
            if (max ? v > bv || (last && v === bv) : v < bv || (last && v === bv)) {
              best = k;
              bv = v;
            }
          }
          out[o * inner + i] = BigInt(best);
        }
      }
      return [new Tensor('int64', reducedShape(x.shape, [axis], keep) as number[], out)];
    },
  };
}

/** Reduction operator definitions. */
export const REDUCE_OPS: readonly OpDef[] = [
  reduceOp('ReduceSum', 'sum', 13),
  reduceOp('ReduceMean', 'mean', 18),
  reduceOp('ReduceMax', 'max', 18),
  reduceOp('ReduceMin', 'min', 18),
  reduceOp('ReduceProd', 'prod', 18),
  reduceOp('ReduceL1', 'l1', 18),
  reduceOp('ReduceL2', 'l2', 18),
  reduceOp('ReduceSumSquare', 'sumsq', 18),
  reduceOp('ReduceLogSum', 'logsum', 18),
  reduceOp('ReduceLogSumExp', 'logsumexp', 18),
  argOp('ArgMax', true),
  argOp('ArgMin', false),
];
