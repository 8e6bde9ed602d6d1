/**
 * Operators selecting or joining parts of tensors: Slice (attributes before opset 10, inputs after;
 * negative, clamped and INT64_MAX bounds; negative steps), Gather, Concat and Split (split attribute,
 * input from opset 13, num_outputs from 18). All fold at compile time and carry symbolic values of
 * 1-D shape tensors.
 */
import type { Dim } from '../graph';
import { allocStorage, Tensor } from '../tensor';
import type { OpContext, OpDef, ValueType } from './types';
import {
  attrIntsOpt, canBeSymbolic, constInts, fmtShape, gatherTensor, invalid, mergeDim, normalizeAxes, normalizeAxis,
  optionalInput, requireInput, shapeValues, stridesOf, strideIndexMap,
} from './util';

interface SliceParams {
  starts: number[];
  ends: number[];
  axes: number[] | undefined;
  steps: number[];
}

/** Slice parameters; undefined when some of them are not constant. */
function sliceParams(ctx: OpContext): SliceParams | undefined {
  const node = ctx.node;
  let p: SliceParams;
  if (ctx.opset < 10) {
    const starts = node.attrInts('starts');
    const ends = node.attrInts('ends');
    p = { starts, ends, axes: attrIntsOpt(node, 'axes'), steps: starts.map(() => 1) };
  } else {
    requireInput(ctx, 1, 'starts');
    requireInput(ctx, 2, 'ends');
    const starts = constInts(ctx, 1, 'starts');
    const ends = constInts(ctx, 2, 'ends');
    const axes = constInts(ctx, 3, 'axes');
    const steps = constInts(ctx, 4, 'steps');
    if (starts === undefined || ends === undefined) return undefined;
    if (optionalInput(ctx, 3) !== undefined && axes === undefined) return undefined;
    if (optionalInput(ctx, 4) !== undefined && steps === undefined) return undefined;
    p = { starts, ends, axes, steps: steps ?? starts.map(() => 1) };
  }
  const n = p.starts.length;
  if (p.ends.length !== n || (p.axes !== undefined && p.axes.length !== n) || p.steps.length !== n) {
    throw invalid(node, `starts, ends, axes and steps must have the same length (${p.starts.length}, ${p.ends.length}, ${p.axes?.length ?? '-'}, ${p.steps.length})`);
  }
  if (p.steps.some((s) => s === 0)) throw invalid(node, 'steps must not contain 0');
  return p;
}

/** Effective start and output length of one sliced axis of concrete size `dim`. */
export function sliceRange(dim: number, start: number, end: number, step: number): [number, number] {
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  return [s, Math.max(0, Math.ceil((e - s) / step))];
}

/** Output shape, and per-axis (start, step) when concrete. */
function sliceShape(ctx: OpContext, shape: readonly Dim[], p: SliceParams): { shape: Dim[]; starts: number[]; steps: number[] } {
  const rank = shape.length;
  const axes = normalizeAxes(ctx.node, p.axes ?? p.starts.map((_, i) => i), rank);
  const out = shape.slice();
  const starts = new Array<number>(rank).fill(0);
  const steps = new Array<number>(rank).fill(1);
  axes.forEach((a, i) => {
    const d = shape[a];
    const [st, sp, en] = [p.starts[i], p.steps[i], p.ends[i]];
    if (typeof d === 'number') {
      const [s, len] = sliceRange(d, st, en, sp);
      out[a] = len;
      starts[a] = s;
      steps[a] = sp;
    } else {
      // Whole-axis slices keep a symbolic dim: [0, INT_MAX) forward or [-1, INT_MIN) backward.
      const whole = (st === 0 && sp === 1 && en >= 2 ** 31 - 1) || (st === -1 && sp === -1 && en <= -(2 ** 31));
      out[a] = whole ? d : undefined;
    }
  });
  return { shape: out, starts, steps };
}

const SLICE: OpDef = {
  opType: 'Slice',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'data');
    const p = sliceParams(ctx);
    if (x.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    if (p === undefined) {
      const axes = constInts(ctx, 3, 'axes');
      if (axes === undefined) return [{ dtype: x.dtype, shape: x.shape.map(() => undefined) }];
      const set = new Set(normalizeAxes(ctx.node, axes, x.shape.length));
      return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (set.has(i) ? undefined : d)) }];
    }
    const r = sliceShape(ctx, x.shape, p);
    const out: ValueType = { dtype: x.dtype, shape: r.shape };
    if (x.symbolic !== undefined && x.shape.length === 1 && typeof r.shape[0] === 'number') {
      const sym = x.symbolic;
      out.symbolic = Array.from({ length: r.shape[0] }, (_, i) => sym[r.starts[0] + i * r.steps[0]]);
    }
    return [out];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    const r = sliceShape(ctx, x.shape, sliceParams(ctx) as SliceParams);
    const st = stridesOf(x.shape);
    const base = r.starts.reduce((acc, s, i) => acc + s * st[i], 0);
    const shape = r.shape as number[];
    return [gatherTensor(x, shape, strideIndexMap(shape, st.map((s, i) => s * r.steps[i]), base))];
  },
};

function gatherIndices(ctx: OpContext, t: Tensor, n: number): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => {
    const i = Number(v);
    if (i < -n || i >= n) throw invalid(ctx.node, `index ${i} is out of range for an axis of size ${n}`);
    return i < 0 ? i + n : i;
  });
}

const GATHER: OpDef = {
  opType: 'Gather',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'data');
    const ind = requireInput(ctx, 1, 'indices');
    if (ind.dtype !== 'int64' && ind.dtype !== 'int32') throw invalid(ctx.node, `indices must be int32 or int64 but are ${ind.dtype}`);
    if (x.shape === undefined || ind.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    if (x.shape.length === 0) throw invalid(ctx.node, 'data must have rank >= 1');
    const axis = normalizeAxis(ctx.node, ctx.node.attrInt('axis', 0), x.shape.length);
    const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
    const out: ValueType = { dtype: x.dtype, shape };
    const n = x.shape[0];
    if (x.symbolic !== undefined && x.shape.length === 1 && ind.value !== undefined && typeof n === 'number') {
      const sym = x.symbolic;
      out.symbolic = gatherIndices(ctx, ind.value, n).map((i) => sym[i]);
    }
    return [out];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    const ind = inputs[1] as Tensor;
    const axis = normalizeAxis(ctx.node, ctx.node.attrInt('axis', 0), x.shape.length);
    const n = x.shape[axis];
    const idx = gatherIndices(ctx, ind, n);
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const map = new Int32Array(outer * idx.length * inner);
    let k = 0;
    for (let o = 0; o < outer; o++) for (const j of idx) for (let i = 0; i < inner; i++) map[k++] = (o * n + j) * inner + i;
    return [gatherTensor(x, [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)], map)];
  },
};

function concatAxis(ctx: OpContext, rank: number): number {
  const axis = ctx.node.attrInt('axis');
  if (axis < 0 && ctx.opset < 11) throw invalid(ctx.node, `negative axis ${axis} needs opset 11`);
  return normalizeAxis(ctx.node, axis, rank);
}

const CONCAT: OpDef = {
  opType: 'Concat',
  infer: (ctx) => {
    const node = ctx.node;
    if (ctx.inputs.length === 0) throw invalid(node, 'needs at least one input');
    const xs = ctx.inputs.map((_, i) => requireInput(ctx, i, `input ${i}`));
    const dtype = xs[0].dtype;
    for (const x of xs) if (x.dtype !== dtype) throw invalid(node, `all inputs must have the same dtype but received ${xs.map((y) => y.dtype).join(', ')}`);
    const known = xs.find((x) => x.shape !== undefined);
    if (known?.shape === undefined) return [{ dtype, shape: undefined }];
    const rank = known.shape.length;
    const axis = concatAxis(ctx, rank);
    const out: Dim[] = known.shape.slice();
    const sum: Dim[] = [];
    for (const x of xs) {
      if (x.shape === undefined) {
        sum.push(undefined);
        continue;
      }
      if (x.shape.length !== rank) throw invalid(node, `all inputs must have the same rank but received ${xs.map((y) => fmtShape(y.shape)).join(', ')}`);
      for (let i = 0; i < rank; i++) if (i !== axis) out[i] = mergeDim(node, out[i], x.shape[i], `dim ${i} of the inputs ${xs.map((y) => fmtShape(y.shape)).join(', ')}`);
      sum.push(x.shape[axis]);
    }
    const nonZero = sum.filter((d) => d !== 0);
    out[axis] = nonZero.every((d) => typeof d === 'number')
      ? (nonZero as number[]).reduce((a, b) => a + b, 0)
      : nonZero.length === 1 ? nonZero[0] : undefined;
    const res: ValueType = { dtype, shape: out };
    if (canBeSymbolic(dtype, out) && rank === 1) {
      // Parts without a known value still contribute their length as unknown elements.
      const parts = xs.map((x, i) => {
        const v = shapeValues(ctx, i, `input ${i}`);
        const n = x.shape?.[0];
        return v ?? (typeof n === 'number' ? new Array<Dim>(n).fill(undefined) : undefined);
      });
      if (parts.every((p) => p !== undefined) && (parts as Dim[][]).some((p) => p.some((d) => d !== undefined))) {
        res.symbolic = (parts as Dim[][]).flat();
      }
    }
    return [res];
  },
  evaluate: (ctx, inputs) => {
    const xs = inputs as Tensor[];
    const rank = xs[0].shape.length;
    const axis = concatAxis(ctx, rank);
    const shape = xs[0].shape.slice();
    shape[axis] = xs.reduce((a, x) => a + x.shape[axis], 0);
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const out = allocStorage(xs[0].dtype, outer * shape[axis] * inner);
    const o = out as unknown as unknown[];
    let off = 0;
    for (const x of xs) {
      const blk = x.shape[axis] * inner;
      const d = x.data as unknown as unknown[];
      for (let p = 0; p < outer; p++) {
        for (let i = 0; i < blk; i++) o[p * shape[axis] * inner + off + i] = d[p * blk + i];
      }
      off += blk;
    }
    return [new Tensor(xs[0].dtype, shape, out)];
  },
};

/** Sizes of the Split outputs along the axis (entries undefined when unknown). */
function splitSizes(ctx: OpContext, dim: Dim): Dim[] {
  const node = ctx.node;
  const n = node.outputs.length;
  let split: number[] | undefined;
  if (ctx.opset < 13) split = attrIntsOpt(node, 'split');
  else if (optionalInput(ctx, 1) !== undefined) {
    split = constInts(ctx, 1, 'split');
    if (split === undefined) return new Array<Dim>(n).fill(undefined);
  }
  if (split !== undefined) {
    if (split.length !== n) throw invalid(node, `split [${split.join(',')}] has ${split.length} sizes but the node has ${n} outputs`);
    if (split.some((s) => s < 0)) throw invalid(node, `split [${split.join(',')}] must not contain negative sizes`);
    const total = split.reduce((a, b) => a + b, 0);
    if (typeof dim === 'number' && total !== dim) throw invalid(node, `split [${split.join(',')}] sums to ${total} but the axis has size ${dim}`);
    return split;
  }
  if (ctx.opset >= 18 && node.has('num_outputs')) {
    const k = node.attrInt('num_outputs');
    if (k !== n) throw invalid(node, `num_outputs is ${k} but the node has ${n} outputs`);
    if (typeof dim !== 'number') return new Array<Dim>(n).fill(n === 1 ? dim : undefined);
    const chunk = Math.ceil(dim / n);
    return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
  }
  if (typeof dim !== 'number') return new Array<Dim>(n).fill(n === 1 ? dim : undefined);
  if (dim % n !== 0) throw invalid(node, `cannot split an axis of size ${dim} into ${n} equal parts; give split sizes`);
  return new Array<number>(n).fill(dim / n);
}

const SPLIT: OpDef = {
  opType: 'Split',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'input');
    const n = ctx.node.outputs.length;
    if (x.shape === undefined) return new Array<ValueType>(n).fill({ dtype: x.dtype, shape: undefined }).map((v) => ({ ...v }));
    const shape = x.shape;
    const axis = normalizeAxis(ctx.node, ctx.node.attrInt('axis', 0), shape.length);
    return splitSizes(ctx, shape[axis]).map((s) => {
      const out = shape.slice();
      out[axis] = s;
      return { dtype: x.dtype, shape: out };
    });
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    const axis = normalizeAxis(ctx.node, ctx.node.attrInt('axis', 0), x.shape.length);
    const sizes = splitSizes(ctx, x.shape[axis]) as number[];
    const st = stridesOf(x.shape);
    let off = 0;
    return sizes.map((s) => {
      const shape = x.shape.slice();
      shape[axis] = s;
      const t = gatherTensor(x, shape, strideIndexMap(shape, st, off * st[axis]));
      off += s;
      return t;
    });
  },
};

/** Slicing and joining operator definitions. */
export const SLICE_OPS: readonly OpDef[] = [SLICE, GATHER, CONCAT, SPLIT];
