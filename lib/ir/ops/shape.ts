/**
 * Shape-manipulating operators that keep the data: Shape, Size, Reshape, Flatten, Squeeze,
 * Unsqueeze, Transpose, Identity, Dropout (inference), Cast and CastLike. All fold at compile time;
 * Shape and Size carry symbolic dims (ValueType.symbolic) so shape subgraphs stay symbolic.
 */
import type { Dim } from '../graph';
import { DType, dtypeFromOnnx, Tensor } from '../tensor';
import { castTensor, elementReader, filledTensor } from './numeric';
import type { OpContext, OpDef, ValueType } from './types';
import {
  attrIntsOpt, canBeSymbolic, constInts, dimProduct, divideProducts, fmtShape, gatherTensor, invalid,
  multiplyDims, normalizeAxes, numel, optionalInput, requireInput, reshapeTensor, shapeValues,
  transposeIndexMap, unsupported,
} from './util';

function shapeRange(ctx: OpContext, rank: number): [number, number] {
  if (ctx.opset < 15) return [0, rank];
  const clamp = (v: number): number => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  const start = clamp(ctx.node.attrInt('start', 0));
  const end = ctx.node.has('end') ? clamp(ctx.node.attrInt('end')) : rank;
  return [start, Math.max(start, end)];
}

const SHAPE: OpDef = {
  opType: 'Shape',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'data');
    if (x.shape === undefined) return [{ dtype: 'int64', shape: [undefined] }];
    const [s, e] = shapeRange(ctx, x.shape.length);
    return [{ dtype: 'int64', shape: [e - s], symbolic: x.shape.slice(s, e) }];
  },
};

const SIZE: OpDef = {
  opType: 'Size',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'data');
    return [{ dtype: 'int64', shape: [], symbolic: [x.shape === undefined ? undefined : multiplyDims(x.shape)] }];
  },
};

/** Output shape of Reshape from the input shape and the requested shape values. */
function reshapeDims(ctx: OpContext, input: Dim[] | undefined, req: Dim[]): Dim[] {
  const node = ctx.node;
  const allowZero = ctx.opset >= 14 && node.attrInt('allowzero', 0) === 1;
  let inferAt = -1;
  const out: Dim[] = req.map((v, j) => {
    if (typeof v !== 'number') return v;
    if (v === -1) {
      if (inferAt >= 0) throw invalid(node, `shape [${req.join(',')}] has more than one -1; at most one dim can be inferred`);
      inferAt = j;
      return undefined;
    }
    if (v < -1) throw invalid(node, `shape [${req.join(',')}] has the invalid value ${v}; use -1 to infer a dim or a size >= 0`);
    if (v === 0 && !allowZero) {
      if (input === undefined) return undefined;
      if (j >= input.length) throw invalid(node, `shape value 0 at index ${j} copies an input dim, but the input ${fmtShape(input)} has rank ${input.length}`);
      return input[j];
    }
    return v;
  });
  if (allowZero && inferAt >= 0 && req.includes(0)) {
    throw invalid(node, 'with allowzero=1 the shape cannot contain both 0 and -1');
  }
  if (input === undefined) return out;
  const total = dimProduct(input);
  if (inferAt >= 0) {
    const rest = dimProduct(out.filter((_, j) => j !== inferAt));
    if (!rest.unknown && rest.symbols.size === 0 && rest.coef === 0) {
      throw invalid(node, `cannot infer the -1 dim of shape [${req.join(',')}] when the other dims multiply to 0`);
    }
    const d = divideProducts(total, rest);
    if (d === null) throw invalid(node, `cannot reshape ${fmtShape(input)} to [${req.join(',')}]: ${total.coef} elements do not divide by ${rest.coef}`);
    out[inferAt] = d;
  } else {
    const n = numel(input);
    const m = numel(out);
    if (n !== undefined && m !== undefined && n !== m) {
      throw invalid(node, `cannot reshape ${fmtShape(input)} (${n} elements) to ${fmtShape(out)} (${m} elements)`);
    }
  }
  return out;
}

const RESHAPE: OpDef = {
  opType: 'Reshape',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'data');
    const s = requireInput(ctx, 1, 'shape');
    if (s.dtype !== 'int64') throw invalid(ctx.node, `shape must be int64 but is ${s.dtype}`);
    if (s.shape !== undefined && s.shape.length !== 1) throw invalid(ctx.node, `shape must be 1-D but has shape ${fmtShape(s.shape)}`);
    const req = shapeValues(ctx, 1, 'shape');
    if (req === undefined) {
      const k = s.shape?.[0];
      return [{ dtype: x.dtype, shape: typeof k === 'number' ? new Array<Dim>(k).fill(undefined) : undefined }];
    }
    const out = reshapeDims(ctx, x.shape, req);
    return [{ dtype: x.dtype, shape: out, symbolic: canBeSymbolic(x.dtype, out) ? x.symbolic : undefined }];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    const req = constInts(ctx, 1, 'shape') as number[];
    return [reshapeTensor(x, reshapeDims(ctx, x.shape.slice(), req) as number[])];
  },
};

function flattenShape(ctx: OpContext, shape: readonly Dim[]): Dim[] {
  const rank = shape.length;
  const axis = ctx.node.attrInt('axis', 1);
  if (axis < -rank || axis > rank || (axis < 0 && ctx.opset < 11)) {
    throw invalid(ctx.node, `axis ${axis} is out of range for rank ${rank}; use a value in [${ctx.opset < 11 ? 0 : -rank}, ${rank}]`);
  }
  const a = axis < 0 ? axis + rank : axis;
  return [multiplyDims(shape.slice(0, a)), multiplyDims(shape.slice(a))];
}

const FLATTEN: OpDef = {
  opType: 'Flatten',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'input');
    return [{ dtype: x.dtype, shape: x.shape === undefined ? [undefined, undefined] : flattenShape(ctx, x.shape) }];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    return [reshapeTensor(x, flattenShape(ctx, x.shape) as number[])];
  },
};

/** Axes of Squeeze/Unsqueeze: attribute before opset 13, input after. undefined = absent; null = unknown. */
function squeezeAxes(ctx: OpContext): number[] | undefined | null {
  if (ctx.opset < 13) return attrIntsOpt(ctx.node, 'axes');
  if (ctx.node.has('axes')) throw invalid(ctx.node, 'takes axes as its second input from opset 13; move the axes attribute to an input');
  if (optionalInput(ctx, 1) === undefined) return undefined;
  return constInts(ctx, 1, 'axes') ?? null;
}

function squeezeShape(ctx: OpContext, shape: readonly Dim[]): Dim[] | undefined {
  const node = ctx.node;
  const axes = squeezeAxes(ctx);
  if (axes === null) {
    const k = optionalInput(ctx, 1)?.shape?.[0];
    return typeof k === 'number' ? new Array<Dim>(shape.length - k).fill(undefined) : undefined;
  }
  if (axes === undefined) {
    if (shape.some((d) => typeof d !== 'number')) return undefined;
    return shape.filter((d) => d !== 1);
  }
  const set = new Set(normalizeAxes(node, axes, shape.length));
  for (const a of set) {
    const d = shape[a];
    if (typeof d === 'number' && d !== 1) throw invalid(node, `cannot squeeze axis ${a} of ${fmtShape(shape)}: its size is ${d}, not 1`);
  }
  return shape.filter((_, i) => !set.has(i));
}

const SQUEEZE: OpDef = {
  opType: 'Squeeze',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'data');
    const shape = x.shape === undefined ? undefined : squeezeShape(ctx, x.shape);
    return [{ dtype: x.dtype, shape, symbolic: canBeSymbolic(x.dtype, shape) ? x.symbolic : undefined }];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    return [reshapeTensor(x, squeezeShape(ctx, x.shape) as number[])];
  },
};

function unsqueezeShape(ctx: OpContext, shape: readonly Dim[] | undefined): Dim[] | undefined {
  const node = ctx.node;
  const axes = squeezeAxes(ctx);
  if (axes === undefined) throw invalid(node, 'needs axes');
  if (shape === undefined) return undefined;
  if (axes === null) {
    const k = optionalInput(ctx, 1)?.shape?.[0];
    return typeof k === 'number' ? new Array<Dim>(shape.length + k).fill(undefined) : undefined;
  }
  const rank = shape.length + axes.length;
  const set = new Set(normalizeAxes(node, axes, rank));
  const out: Dim[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(set.has(i) ? 1 : shape[j++]);
  return out;
}

const UNSQUEEZE: OpDef = {
  opType: 'Unsqueeze',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'data');
    const shape = unsqueezeShape(ctx, x.shape);
    return [{ dtype: x.dtype, shape, symbolic: canBeSymbolic(x.dtype, shape) ? x.symbolic : undefined }];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    return [reshapeTensor(x, unsqueezeShape(ctx, x.shape) as number[])];
  },
};

function permOf(ctx: OpContext, rank: number): number[] {
  const node = ctx.node;
  if (!node.has('perm')) return Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const perm = node.attrInts('perm');
  if (perm.length !== rank) throw invalid(node, `perm [${perm.join(',')}] has ${perm.length} entries but the input has rank ${rank}`);
  return normalizeAxes(node, perm, rank, 'perm');
}

const TRANSPOSE: OpDef = {
  opType: 'Transpose',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'data');
    if (x.shape === undefined) {
      const p = attrIntsOpt(ctx.node, 'perm');
      return [{ dtype: x.dtype, shape: p === undefined ? undefined : new Array<Dim>(p.length).fill(undefined) }];
    }
    const shape = x.shape;
    return [{ dtype: x.dtype, shape: permOf(ctx, shape.length).map((p) => shape[p]) }];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    const perm = permOf(ctx, x.shape.length);
    return [gatherTensor(x, perm.map((p) => x.shape[p]), transposeIndexMap(x.shape, perm))];
  },
};

const IDENTITY: OpDef = {
  opType: 'Identity',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'input');
    return [{ dtype: x.dtype, shape: x.shape?.slice(), symbolic: x.symbolic }];
  },
  evaluate: (_ctx, inputs) => [inputs[0] as Tensor],
};

function dropoutMaskDtype(ctx: OpContext, x: DType): DType {
  return ctx.opset >= 10 ? 'bool' : x;
}

const DROPOUT: OpDef = {
  opType: 'Dropout',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'data');
    if (ctx.node.outputs.length > 2) throw invalid(ctx.node, `has ${ctx.node.outputs.length} outputs but allows at most 2 (output, mask)`);
    const out: ValueType[] = [{ dtype: x.dtype, shape: x.shape?.slice() }];
    if (ctx.node.outputs.length > 1) out.push({ dtype: dropoutMaskDtype(ctx, x.dtype), shape: x.shape?.slice() });
    return out;
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    if (ctx.opset >= 12 && inputs[2] !== undefined && (inputs[2].data as Uint8Array)[0]) {
      const ratio = inputs[1] === undefined ? 0.5 : elementReader(inputs[1])(0);
      if (ratio !== 0) throw unsupported(ctx.node, 'training-mode Dropout is random and is not folded');
    }
    const out = [x];
    if (ctx.node.outputs.length > 1) out.push(filledTensor(dropoutMaskDtype(ctx, x.dtype), x.shape, 1));
    return out;
  },
};

function castTarget(ctx: OpContext): DType {
  const to = ctx.node.attrInt('to');
  const dt = dtypeFromOnnx(to);
  if (dt === undefined) throw unsupported(ctx.node, `casts to ONNX data type ${to}, which npuquant does not handle`);
  return dt;
}

const CAST: OpDef = {
  opType: 'Cast',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'input');
    const to = castTarget(ctx);
    return [{ dtype: to, shape: x.shape?.slice(), symbolic: canBeSymbolic(to, x.shape) ? x.symbolic : undefined }];
  },
  evaluate: (ctx, inputs) => [castTensor(inputs[0] as Tensor, castTarget(ctx))],
};

const CAST_LIKE: OpDef = {
  opType: 'CastLike',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'input');
    const to = requireInput(ctx, 1, 'target_type').dtype;
    return [{ dtype: to, shape: x.shape?.slice(), symbolic: canBeSymbolic(to, x.shape) ? x.symbolic : undefined }];
  },
  evaluate: (_ctx, inputs) => [castTensor(inputs[0] as Tensor, (inputs[1] as Tensor).dtype)],
};

/** Shape operators keeping the data: definitions. */
export const SHAPE_OPS: readonly OpDef[] = [SHAPE, SIZE, RESHAPE, FLATTEN, SQUEEZE, UNSQUEEZE, TRANSPOSE, IDENTITY, DROPOUT, CAST, CAST_LIKE];
