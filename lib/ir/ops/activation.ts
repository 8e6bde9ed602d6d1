/**
 * Activations: shape- and dtype-preserving operators (Relu, Clip, LeakyRelu, PRelu, Sigmoid,
 * HardSigmoid, HardSwish, Tanh, Elu, Selu, Celu, Softplus, Softsign, ThresholdedRelu, Gelu) and the
 * axis-wise Softmax / LogSoftmax. All fold at compile time (computed in double precision, stored with
 * the dtype's rounding).
 */
import type { Node } from '../graph';
import { isFloatDType, isIntegerDType, Tensor } from '../tensor';
import { erf, evalUnary } from './elementwise';
import { elementReader, elementWriter } from './numeric';
import type { OpContext, OpDef, ValueType } from './types';
import { broadcastIndexMap, checkUnidirectional, invalid, normalizeAxis, optionalInput, requireInput } from './util';

function sameAsInput(ctx: OpContext, allowInt = false): ValueType[] {
  const x = requireInput(ctx, 0, 'X');
  const okInt = allowInt && (isIntegerDType(x.dtype));
  if (!isFloatDType(x.dtype) && !okInt) {
    throw invalid(ctx.node, `expected a float tensor for X but received ${x.dtype}; insert a Cast to float`);
  }
  return [{ dtype: x.dtype, shape: x.shape?.slice() }];
}

type F = (x: number, node: Node) => (v: number) => number;

function activation(opType: string, make: F, allowInt = false): OpDef {
  return {
    opType,
    infer: (ctx) => sameAsInput(ctx, allowInt),
    evaluate: (ctx, inputs) => [evalUnary(inputs[0] as Tensor, make(0, ctx.node))],
  };
}

const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

const SIMPLE: OpDef[] = [
  activation('Relu', () => (v) => (v < 0 ? 0 : v), true),
  activation('LeakyRelu', (_, n) => {
    const a = Math.fround(n.attrFloat('alpha', 0.01));
    return (v) => (v < 0 ? a * v : v);
  }),
  activation('Sigmoid', () => (v) => 1 / (1 + Math.exp(-v))),
  activation('HardSigmoid', (_, n) => {
    const a = Math.fround(n.attrFloat('alpha', 0.2));
    const b = Math.fround(n.attrFloat('beta', 0.5));
    return (v) => Math.max(0, Math.min(1, a * v + b));
  }),
  activation('HardSwish', () => (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5))),
  activation('Tanh', () => Math.tanh),
  activation('Elu', (_, n) => {
    const a = Math.fround(n.attrFloat('alpha', 1));
    return (v) => (v < 0 ? a * (Math.exp(v) - 1) : v);
  }),
  activation('Selu', (_, n) => {
    const a = Math.fround(n.attrFloat('alpha', SELU_ALPHA));
    const g = Math.fround(n.attrFloat('gamma', SELU_GAMMA));
    return (v) => (v <= 0 ? g * (a * Math.exp(v) - a) : g * v);
  }),
  activation('Celu', (_, n) => {
    const a = Math.fround(n.attrFloat('alpha', 1));
    return (v) => Math.max(0, v) + Math.min(0, a * (Math.exp(v / a) - 1));
  }),
  activation('Softplus', () => (v) => (v > 30 ? v : Math.log1p(Math.exp(v)))),
  activation('Softsign', () => (v) => v / (1 + Math.abs(v))),
  activation('ThresholdedRelu', (_, n) => {
    const a = Math.fround(n.attrFloat('alpha', 1));
    return (v) => (v > a ? v : 0);
  }),
  activation('Gelu', (_, n) => {
    const approx = n.attrString('approximate', 'none');
    if (approx === 'tanh') {
      const c = Math.sqrt(2 / Math.PI);
      return (v) => 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v * v * v)));
    }
    if (approx !== 'none') throw invalid(n, `approximate must be "none" or "tanh" but is "${approx}"`);
    return (v) => 0.5 * v * (1 + erf(v / Math.SQRT2));
  }),
];

function clipBounds(ctx: OpContext, inputs?: (Tensor | undefined)[]): [number, number] {
  if (ctx.opset < 11) {
    return [ctx.node.attrFloat('min', -3.4028234663852886e38), ctx.node.attrFloat('max', 3.4028234663852886e38)];
  }
  const read = (i: number, def: number): number => {
    const t = inputs ? inputs[i] : undefined;
    if (t === undefined) return def;
    if (t.size !== 1) throw invalid(ctx.node, `${i === 1 ? 'min' : 'max'} must be a scalar but has shape [${t.shape.join(',')}]`);
    return elementReader(t)(0);
  };
  return [read(1, -Infinity), read(2, Infinity)];
}

const CLIP: OpDef = {
  opType: 'Clip',
  infer: (ctx) => {
    const r = sameAsInput(ctx, ctx.opset >= 12);
    for (const i of [1, 2]) {
      const b = optionalInput(ctx, i);
      if (b === undefined) continue;
      if (b.dtype !== r[0].dtype) throw invalid(ctx.node, `${i === 1 ? 'min' : 'max'} must have dtype ${r[0].dtype} but has ${b.dtype}`);
      if (b.shape !== undefined && b.shape.length > 1) throw invalid(ctx.node, `${i === 1 ? 'min' : 'max'} must be a scalar`);
    }
    return r;
  },
  evaluate: (ctx, inputs) => {
    const [lo, hi] = clipBounds(ctx, inputs);
    const toBig = (v: number, def: bigint): bigint => (Number.isFinite(v) ? BigInt(Math.trunc(v)) : def);
    const bl = toBig(lo, -(2n ** 63n));
    const bh = toBig(hi, 2n ** 63n - 1n);
    const x = inputs[0] as Tensor;
    return [evalUnary(x, (v) => (Number.isNaN(v) ? v : Math.min(hi, Math.max(lo, v))), (v) => (v < bl ? bl : v > bh ? bh : v))];
  },
};

const PRELU: OpDef = {
  opType: 'PRelu',
  infer: (ctx) => {
    const r = sameAsInput(ctx, ctx.opset >= 9);
    const slope = requireInput(ctx, 1, 'slope');
    if (slope.dtype !== r[0].dtype) throw invalid(ctx.node, `slope must have dtype ${r[0].dtype} but has ${slope.dtype}`);
    checkUnidirectional(ctx.node, r[0].shape, slope.shape, 'slope');
    return r;
  },
  evaluate: (_ctx, inputs) => {
    const x = inputs[0] as Tensor;
    const s = inputs[1] as Tensor;
    const ms = broadcastIndexMap(x.shape as number[], s.shape as number[]);
    const rx = elementReader(x);
    const rs = elementReader(s);
    const w = elementWriter(x.dtype, x.size);
    for (let i = 0; i < x.size; i++) {
      const v = rx(i);
      w.set(i, v < 0 ? v * rs(ms[i]) : v);
    }
    return [new Tensor(x.dtype, x.shape, w.data)];
  },
};

/** Softmax/LogSoftmax over `[outer, n, inner]` blocks. */
function softmax(x: Tensor, outer: number, n: number, inner: number, log: boolean): Tensor {
  const r = elementReader(x);
  const w = elementWriter(x.dtype, x.size);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let max = -Infinity;
      for (let k = 0; k < n; k++) max = Math.max(max, r(base + k * inner));
      let sum = 0;
      for (let k = 0; k < n; k++) sum += Math.exp(r(base + k * inner) - max);
      for (let k = 0; k < n; k++) {
        const v = r(base + k * inner) - max;
        w.set(base + k * inner, log ? v - Math.log(sum) : Math.exp(v) / sum);
      }
    }
  }
  return new Tensor(x.dtype, x.shape, w.data);
}

function softmaxOp(opType: string, log: boolean): OpDef {
  const axisOf = (ctx: OpContext, rank: number): number =>
    normalizeAxis(ctx.node, ctx.node.attrInt('axis', ctx.opset >= 13 ? -1 : 1), rank);
  return {
    opType,
    infer: (ctx) => {
      const r = sameAsInput(ctx);
      if (r[0].shape !== undefined) axisOf(ctx, r[0].shape.length);
      return r;
    },
    evaluate: (ctx, inputs) => {
      const x = inputs[0] as Tensor;
      const axis = axisOf(ctx, x.shape.length);
      const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
      if (ctx.opset < 13) return [softmax(x, outer, x.size / Math.max(outer, 1), 1, log)];
      const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      return [softmax(x, outer, x.shape[axis], inner, log)];
    },
  };
}

/** Activation operator definitions. */
export const ACTIVATION_OPS: readonly OpDef[] = [
  ...SIMPLE,
  CLIP,
  PRELU,
  softmaxOp('Softmax', false),
  softmaxOp('LogSoftmax', true),
];
