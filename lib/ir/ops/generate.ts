/**
 * Operators producing tensors from shapes or attributes: Constant, ConstantOfShape, Range, Expand and
 * Tile. All fold at compile time; their output shapes follow constant or symbolic shape inputs.
 */
import type { Dim } from '../graph';
import { Tensor } from '../tensor';
import { elementReader, isBigDType, tensorFromValues } from './numeric';
import type { OpContext, OpDef } from './types';
import {
  broadcastIndexMap, broadcastShapes, fmtShape, gatherTensor, invalid, requireInput, shapeValues, stridesOf,
  strideIndexMap, unsupported,
} from './util';

function constantValue(ctx: OpContext): Tensor {
  const node = ctx.node;
  const set = [...node.attrs.keys()].filter((k) => k.startsWith('value') || k === 'sparse_value');
  if (set.length !== 1) throw invalid(node, `must have exactly one of value, value_float(s), value_int(s), value_string(s) but has ${set.length ? set.join(', ') : 'none'}`);
  const a = node.attrs.get(set[0]);
  switch (set[0]) {
    case 'value': {
      const t = node.attrTensor('value');
      if (t === undefined) throw invalid(node, 'value is empty');
      return t;
    }
    case 'value_float': return Tensor.fromNumbers('float32', [], [node.attrFloat('value_float')]);
    case 'value_floats': return Tensor.fromNumbers('float32', [node.attrFloats('value_floats').length], node.attrFloats('value_floats'));
    case 'value_int': return Tensor.fromNumbers('int64', [], [node.attrInt('value_int')]);
    case 'value_ints': return Tensor.fromNumbers('int64', [node.attrInts('value_ints').length], node.attrInts('value_ints'));
    case 'value_string': return new Tensor('string', [], [node.attrString('value_string')]);
    case 'value_strings':
      if (a?.kind === 'strings') return new Tensor('string', [a.value.length], a.value.slice());
      throw invalid(node, 'value_strings must be a list of strings');
    default:
      throw unsupported(node, `${set[0]} (sparse constants) is not handled; convert it to a dense value`);
  }
}

const CONSTANT: OpDef = {
  opType: 'Constant',
  infer: (ctx) => {
    const t = constantValue(ctx);
    return [{ dtype: t.dtype, shape: t.shape.slice() }];
  },
  evaluate: (ctx) => [constantValue(ctx)],
};

/** Shape values of input `i` (1-D int64) as dims, or a shape of unknown dims when only the length is known. */
function shapeInput(ctx: OpContext, i: number, name: string): Dim[] | undefined {
  const s = requireInput(ctx, i, name);
  if (s.dtype !== 'int64') throw invalid(ctx.node, `${name} must be int64 but is ${s.dtype}`);
  if (s.shape !== undefined && s.shape.length !== 1) throw invalid(ctx.node, `${name} must be 1-D but has shape ${fmtShape(s.shape)}`);
  const v = shapeValues(ctx, i, name);
  if (v !== undefined) return v;
  const k = s.shape?.[0];
  return typeof k === 'number' ? new Array<Dim>(k).fill(undefined) : undefined;
}

function fillValue(ctx: OpContext): Tensor {
  const t = ctx.node.attrTensor('value');
  if (t === undefined) return Tensor.zeros('float32', [1]);
  if (t.size !== 1) throw invalid(ctx.node, `value must hold exactly one element but holds ${t.size}`);
  return t;
}

const CONSTANT_OF_SHAPE: OpDef = {
  opType: 'ConstantOfShape',
  infer: (ctx) => {
    const v = fillValue(ctx);
    const shape = shapeInput(ctx, 0, 'input');
    if (shape?.some((d) => typeof d === 'number' && d < 0)) throw invalid(ctx.node, `shape [${shape.join(',')}] has a negative dim`);
    return [{ dtype: v.dtype, shape }];
  },
  evaluate: (ctx, inputs) => {
    const v = fillValue(ctx);
    const shape = Array.from((inputs[0] as Tensor).data as BigInt64Array, Number);
    return [gatherTensor(v, shape, new Int32Array(shape.reduce((a, b) => a * b, 1)))];
  },
};

function rangeCount(start: number, limit: number, delta: number): number {
  return Math.max(Math.ceil((limit - start) / delta), 0);
}

const RANGE: OpDef = {
  opType: 'Range',
  infer: (ctx) => {
    const node = ctx.node;
    const xs = [0, 1, 2].map((i) => requireInput(ctx, i, ['start', 'limit', 'delta'][i]));
    const dtype = xs[0].dtype;
    if (!['float32', 'float64', 'int16', 'int32', 'int64'].includes(dtype)) throw invalid(node, `does not accept ${dtype} inputs`);
    for (const x of xs) {
      if (x.dtype !== dtype) throw invalid(node, `start, limit and delta must share one dtype but are ${xs.map((y) => y.dtype).join(', ')}`);
      if (x.shape !== undefined && x.shape.length !== 0 && !(x.shape.length === 1 && x.shape[0] === 1)) {
        throw invalid(node, `start, limit and delta must be scalars but one has shape ${fmtShape(x.shape)}`);
      }
    }
    const vals = xs.map((x, i) => (x.value !== undefined ? elementReader(x.value)(0) : shapeValues(ctx, i, 'range bound')?.[0]));
    if (vals.every((v) => typeof v === 'number')) {
      const [s, l, d] = vals as number[];
      if (d === 0) throw invalid(node, 'delta must not be 0');
      return [{ dtype, shape: [rangeCount(s, l, d)] }];
    }
    return [{ dtype, shape: [undefined] }];
  },
  evaluate: (_ctx, inputs) => {
    const [s, l, d] = inputs as Tensor[];
    if (isBigDType(s.dtype)) {
      const [bs, bl, bd] = [s, l, d].map((t) => (t.data as BigInt64Array)[0]);
      const n = rangeCount(Number(bs), Number(bl), Number(bd));
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = bs + BigInt(i) * bd;
      return [new Tensor('int64', [n], out)];
    }
    const [vs, vl, vd] = [s, l, d].map((t) => elementReader(t)(0));
    const n = rangeCount(vs, vl, vd);
    return [tensorFromValues(s.dtype, [n], Array.from({ length: n }, (_, i) => vs + i * vd))];
  },
};

const EXPAND: OpDef = {
  opType: 'Expand',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'input');
    const shape = shapeInput(ctx, 1, 'shape');
    if (shape === undefined || x.shape === undefined) return [{ dtype: x.dtype, shape: undefined }];
    if (shape.some((d) => typeof d === 'number' && d < 0)) throw invalid(ctx.node, `shape [${shape.join(',')}] has a negative dim`);
    return [{ dtype: x.dtype, shape: broadcastShapes(ctx.node, [x.shape, shape]) }];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    const req = Array.from((inputs[1] as Tensor).data as BigInt64Array, Number);
    const shape = broadcastShapes(ctx.node, [x.shape, req]) as number[];
    return [gatherTensor(x, shape, broadcastIndexMap(shape, x.shape))];
  },
};

function tileRepeats(ctx: OpContext, rank: number | undefined): Dim[] | undefined {
  const reps = shapeInput(ctx, 1, 'repeats');
  if (reps !== undefined && rank !== undefined && reps.length !== rank) {
    throw invalid(ctx.node, `repeats has ${reps.length} values but the input has rank ${rank}; give one per dim`);
  }
  if (reps?.some((r) => typeof r === 'number' && r < 0)) throw invalid(ctx.node, `repeats [${reps.join(',')}] must be >= 0`);
  return reps;
}

const TILE: OpDef = {
  opType: 'Tile',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'input');
    const reps = tileRepeats(ctx, x.shape?.length);
    if (x.shape === undefined) return [{ dtype: x.dtype, shape: reps?.map(() => undefined) }];
    const shape = x.shape;
    if (reps === undefined) return [{ dtype: x.dtype, shape: shape.map(() => undefined) }];
    return [{
      dtype: x.dtype,
      shape: shape.map((d, i) => {
        const r = reps[i];
        if (r === 1) return d;
        if (r === 0) return 0;
        return typeof d === 'number' && typeof r === 'number' ? d * r : d === 1 ? r : undefined;
      }),
    }];
  },
  evaluate: (ctx, inputs) => {
    const x = inputs[0] as Tensor;
    const reps = tileRepeats(ctx, x.shape.length) as number[];
    const shape = x.shape.map((d, i) => d * reps[i]);
    // Index map: view the output as [r0, d0, r1, d1, ...] with source strides [0, s0, 0, s1, ...].
    const st = stridesOf(x.shape);
    const split = x.shape.flatMap((d, i) => [reps[i], d]);
    const srcStrides = st.flatMap((s) => [0, s]);
    return [gatherTensor(x, shape, strideIndexMap(split, srcStrides))];
  },
};

/** Tensor-generating operator definitions. */
export const GENERATE_OPS: readonly OpDef[] = [CONSTANT, CONSTANT_OF_SHAPE, RANGE, EXPAND, TILE];
