/**
 * Elementwise operators with numpy broadcasting: arithmetic (Add, Sub, Mul, Div, Pow, Mod, Max, Min,
 * Sum, Mean), comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual), logic (And, Or, Xor,
 * Not), Where, and unary math (Neg, Abs, Sqrt, Exp, Log, Erf, Reciprocal, Floor, Ceil, Round, Sign).
 * All of them fold at compile time: floats follow the dtype's rounding (float32 via Float32Array),
 * integer Div truncates toward zero like C, int64/uint64 use BigInt.
 */
import type { Dim, Node } from '../graph';
import { allocStorage, DType, isFloatDType, isIntegerDType, Tensor } from '../tensor';
import { elementReader, elementWriter, isBigDType, roundHalfEven } from './numeric';
import type { OpContext, OpDef, ValueType } from './types';
import { broadcastIndexMap, broadcastShapes, canBeSymbolic, copyIndexed, invalid, requireInput, shapeValues } from './util';

type Kind = 'numeric' | 'float' | 'bool' | 'any' | 'signed';

function checkKind(node: Node, dtype: DType, kind: Kind, what: string): void {
  const ok =
    kind === 'any' ||
    (kind === 'bool' && dtype === 'bool') ||
    (kind === 'float' && isFloatDType(dtype)) ||
    (kind === 'numeric' && (isFloatDType(dtype) || isIntegerDType(dtype))) ||
    (kind === 'signed' && (isFloatDType(dtype) || (isIntegerDType(dtype) && !dtype.startsWith('u'))));
  if (!ok) {
    const expect = { any: 'any', bool: 'a bool', float: 'a float', numeric: 'a numeric', signed: 'a signed numeric' }[kind];
    throw invalid(node, `expected ${expect} tensor for ${what} but received ${dtype}`);
  }
}

/** Infers a broadcasting op whose inputs share one dtype; output dtype is that or bool. */
function inferBroadcast(ctx: OpContext, kind: Kind, outBool: boolean, firstOnly = false): ValueType[] {
  const node = ctx.node;
  if (ctx.inputs.length === 0) throw invalid(node, 'needs at least one input');
  const xs = ctx.inputs.map((x, i) => requireInput(ctx, i, `input ${i}`));
  const dtype = xs[0].dtype;
  checkKind(node, dtype, kind, 'its inputs');
  if (!firstOnly) {
    for (const x of xs) {
      if (x.dtype !== dtype) {
        throw invalid(node, `all inputs must have the same dtype but received ${xs.map((y) => y.dtype).join(' and ')}; insert a Cast`);
      }
    }
  }
  const shape = broadcastShapes(node, xs.map((x) => x.shape));
  return [{ dtype: outBool ? 'bool' : dtype, shape }];
}

type SymFn = (a: Dim, b: Dim) => Dim;

const SYMBOLIC: Record<string, SymFn> = {
  Add: (a, b) => (typeof a === 'number' && typeof b === 'number' ? a + b : a === 0 ? b : b === 0 ? a : undefined),
  Sub: (a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : b === 0 ? a : a === b && a !== undefined ? 0 : undefined),
  Mul: (a, b) => (typeof a === 'number' && typeof b === 'number' ? a * b : a === 1 ? b : b === 1 ? a : a === 0 || b === 0 ? 0 : undefined),
  Div: (a, b) => (typeof a === 'number' && typeof b === 'number' ? (b === 0 ? undefined : Math.trunc(a / b)) : b === 1 ? a : a === b && a !== undefined ? 1 : undefined),
};

/** Adds the symbolic value of an integer Add/Sub/Mul/Div on scalar or 1-D shape values. */
function withSymbolic(ctx: OpContext, out: ValueType[]): ValueType[] {
  const f = SYMBOLIC[ctx.node.opType];
  const t = out[0];
  if (f === undefined || !canBeSymbolic(t.dtype, t.shape) || ctx.inputs.length !== 2) return out;
  if (ctx.inputs.every((x) => x?.value !== undefined)) return out;
  const a = shapeValues(ctx, 0, 'A');
  const b = shapeValues(ctx, 1, 'B');
  if (a === undefined || b === undefined) return out;
  const n = Math.max(a.length, b.length);
  if ((a.length !== 1 && a.length !== n) || (b.length !== 1 && b.length !== n)) return out;
  const sym = Array.from({ length: n }, (_, i) => f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]));
  return [{ ...t, symbolic: sym }];
}

type NumFn = (a: number, b: number) => number | boolean;
type BigFn = (a: bigint, b: bigint) => bigint | boolean;

interface BinarySpec {
  opType: string;
  kind: Kind;
  outBool?: boolean;
  /** Float (and default integer) computation. */
  f: NumFn;
  /** Integer computation for non-64-bit integer dtypes (defaults to f). */
  i?: NumFn;
  /** int64/uint64 computation (defaults to f on Number()-converted values). */
  big?: BigFn;
  /** Dtypes of inputs may differ (Pow): output takes the first input's dtype. */
  mixed?: boolean;
}

/** Evaluates a broadcasting binary op on two tensors. */
function evalBinary(node: Node, spec: BinarySpec, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(node, [a.shape, b.shape]) as number[];
  const outDtype: DType = spec.outBool ? 'bool' : a.dtype;
  const ma = broadcastIndexMap(shape, a.shape);
  const mb = broadcastIndexMap(shape, b.shape);
  const w = elementWriter(outDtype, ma.length);
  if (isBigDType(a.dtype) && isBigDType(b.dtype) && spec.big) {
    const da = a.data as BigInt64Array;
    const db = b.data as BigInt64Array;
    for (let k = 0; k < ma.length; k++) w.set(k, spec.big(da[ma[k]], db[mb[k]]));
  } else {
    const ra = elementReader(a);
    const rb = elementReader(b);
    const fn = isIntegerDType(a.dtype) && spec.i ? spec.i : spec.f;
    for (let k = 0; k < ma.length; k++) w.set(k, fn(ra(ma[k]), rb(mb[k])));
  }
  return new Tensor(outDtype, shape, w.data);
}

function binaryOp(spec: BinarySpec, variadic = false): OpDef {
  return {
    opType: spec.opType,
    infer: (ctx) => {
      if (!variadic && ctx.inputs.length !== 2) throw invalid(ctx.node, `expects 2 inputs but has ${ctx.inputs.length}`);
      return withSymbolic(ctx, inferBroadcast(ctx, spec.kind, spec.outBool ?? false, spec.mixed));
    },
    evaluate: (ctx, inputs) => {
      let acc = inputs[0] as Tensor;
      for (let k = 1; k < inputs.length; k++) acc = evalBinary(ctx.node, spec, acc, inputs[k] as Tensor);
      return [acc];
    },
  };
}

function intDiv(node: Node): NumFn {
  return (a, b) => {
    if (b === 0) throw invalid(node, 'integer division by zero in a constant expression; fix the divisor');
    return Math.trunc(a / b);
  };
}

const nanMax = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
const nanMin = (a: number, b: number): number => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));

function intPow(a: number, b: number): number {
  return b < 0 ? (a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0) : Math.pow(a, b);
}

/** int64 power with wrap-around (square and multiply, so huge exponents stay cheap). */
function bigPow(a: bigint, b: bigint): bigint {
  if (b < 0n) return a === 1n ? 1n : a === -1n ? (b % 2n === 0n ? 1n : -1n) : 0n;
  let r = 1n;
  let base = BigInt.asIntN(64, a);
  for (let e = b; e > 0n; e >>= 1n) {
    if (e & 1n) r = BigInt.asIntN(64, r * base);
    base = BigInt.asIntN(64, base * base);
  }
  return r;
}

/** Mod: fmod=1 → C fmod (sign of dividend); fmod=0 → Python % (sign of divisor, integers only). */
function modOp(): OpDef {
  return {
    opType: 'Mod',
    infer: (ctx) => {
      const r = inferBroadcast(ctx, 'numeric', false);
      const fmod = ctx.node.attrInt('fmod', 0);
      if (fmod === 0 && isFloatDType(r[0].dtype)) {
        throw invalid(ctx.node, 'fmod=0 is only valid for integer inputs; set fmod=1 for floats');
      }
      return r;
    },
    evaluate: (ctx, inputs) => {
      const fmod = ctx.node.attrInt('fmod', 0) === 1;
      const node = ctx.node;
      const zero = (): never => {
        throw invalid(node, 'integer modulo by zero in a constant expression; fix the divisor');
      };
      const spec: BinarySpec = {
        opType: 'Mod',
        kind: 'numeric',
        f: (a, b) => a % b,
        i: (a, b) => {
          if (b === 0) zero();
          const r = a % b;
          return !fmod && r !== 0 && r < 0 !== b < 0 ? r + b : r;
        },
        big: (a, b) => {
          if (b === 0n) zero();
          const r = a % b;
          return !fmod && r !== 0n && r < 0n !== b < 0n ? r + b : r;
        },
      };
      return [evalBinary(node, spec, inputs[0] as Tensor, inputs[1] as Tensor)];
    },
  };
}

const ARITH: OpDef[] = [
  binaryOp({ opType: 'Add', kind: 'numeric', f: (a, b) => a + b, big: (a, b) => a + b }),
  binaryOp({ opType: 'Sub', kind: 'numeric', f: (a, b) => a - b, big: (a, b) => a - b }),
  binaryOp({ opType: 'Mul', kind: 'numeric', f: (a, b) => a * b, i: (a, b) => Math.imul(a, b), big: (a, b) => a * b }),
  {
    opType: 'Div',
    infer: (ctx) => withSymbolic(ctx, inferBroadcast(ctx, 'numeric', false)),
    evaluate: (ctx, inputs) => {
      const node = ctx.node;
      const spec: BinarySpec = {
        opType: 'Div',
        kind: 'numeric',
        f: (a, b) => a / b,
        i: intDiv(node),
        big: (a, b) => {
          if (b === 0n) throw invalid(node, 'integer division by zero in a constant expression; fix the divisor');
          return a / b;
        },
      };
      return [evalBinary(node, spec, inputs[0] as Tensor, inputs[1] as Tensor)];
    },
  },
  binaryOp({ opType: 'Pow', kind: 'numeric', mixed: true, f: (a, b) => Math.pow(a, b), i: intPow, big: bigPow }),
  modOp(),
  binaryOp({ opType: 'Max', kind: 'numeric', f: nanMax, big: (a, b) => (a > b ? a : b) }, true),
  binaryOp({ opType: 'Min', kind: 'numeric', f: nanMin, big: (a, b) => (a < b ? a : b) }, true),
  binaryOp({ opType: 'Sum', kind: 'numeric', f: (a, b) => a + b, big: (a, b) => a + b }, true),
  {
    opType: 'Mean',
    infer: (ctx) => inferBroadcast(ctx, 'float', false),
    evaluate: (ctx, inputs) => {
      const add: BinarySpec = { opType: 'Mean', kind: 'float', f: (a, b) => a + b };
      let acc = inputs[0] as Tensor;
      for (let k = 1; k < inputs.length; k++) acc = evalBinary(ctx.node, add, acc, inputs[k] as Tensor);
      const n = inputs.length;
      const div: BinarySpec = { opType: 'Mean', kind: 'float', f: (a, b) => a / b };
      return [evalBinary(ctx.node, div, acc, Tensor.fromNumbers(acc.dtype === 'float64' ? 'float64' : 'float32', [], [n]))];
    },
  },
];

const COMPARE: OpDef[] = [
  binaryOp({ opType: 'Equal', kind: 'any', outBool: true, f: (a, b) => a === b, big: (a, b) => a === b }),
  binaryOp({ opType: 'Less', kind: 'numeric', outBool: true, f: (a, b) => a < b, big: (a, b) => a < b }),
  binaryOp({ opType: 'Greater', kind: 'numeric', outBool: true, f: (a, b) => a > b, big: (a, b) => a > b }),
  binaryOp({ opType: 'LessOrEqual', kind: 'numeric', outBool: true, f: (a, b) => a <= b, big: (a, b) => a <= b }),
  binaryOp({ opType: 'GreaterOrEqual', kind: 'numeric', outBool: true, f: (a, b) => a >= b, big: (a, b) => a >= b }),
  binaryOp({ opType: 'And', kind: 'bool', outBool: true, f: (a, b) => a !== 0 && b !== 0 }),
  binaryOp({ opType: 'Or', kind: 'bool', outBool: true, f: (a, b) => a !== 0 || b !== 0 }),
  binaryOp({ opType: 'Xor', kind: 'bool', outBool: true, f: (a, b) => (a !== 0) !== (b !== 0) }),
];

const WHERE: OpDef = {
  opType: 'Where',
  infer: (ctx) => {
    const node = ctx.node;
    if (ctx.inputs.length !== 3) throw invalid(node, `expects 3 inputs (condition, X, Y) but has ${ctx.inputs.length}`);
    const c = requireInput(ctx, 0, 'condition');
    const x = requireInput(ctx, 1, 'X');
    const y = requireInput(ctx, 2, 'Y');
    checkKind(node, c.dtype, 'bool', 'condition');
    if (x.dtype !== y.dtype) throw invalid(node, `X and Y must have the same dtype but received ${x.dtype} and ${y.dtype}`);
    return [{ dtype: x.dtype, shape: broadcastShapes(node, [c.shape, x.shape, y.shape]) }];
  },
  evaluate: (ctx, inputs) => {
    const [c, x, y] = inputs as Tensor[];
    const shape = broadcastShapes(ctx.node, [c.shape, x.shape, y.shape]) as number[];
    const mc = broadcastIndexMap(shape, c.shape);
    const mx = broadcastIndexMap(shape, x.shape);
    const my = broadcastIndexMap(shape, y.shape);
    const cd = c.data as Uint8Array;
    const tmpX = allocStorage(x.dtype, mx.length);
    copyIndexed(x.data, tmpX, mx);
    const tmpY = allocStorage(y.dtype, my.length);
    copyIndexed(y.data, tmpY, my);
    const out = tmpX as unknown as unknown[];
    const ys = tmpY as unknown as unknown[];
    for (let k = 0; k < mc.length; k++) if (!cd[mc[k]]) out[k] = ys[k];
    return [new Tensor(x.dtype, shape, tmpX)];
  },
};

type UnaryNum = (a: number) => number | boolean;

function unaryOp(opType: string, kind: Kind, f: UnaryNum, big?: (a: bigint) => bigint, intF?: UnaryNum): OpDef {
  return {
    opType,
    infer: (ctx) => {
      if (ctx.inputs.length !== 1) throw invalid(ctx.node, `expects 1 input but has ${ctx.inputs.length}`);
      return inferBroadcast(ctx, kind, false);
    },
    evaluate: (_ctx, inputs) => [evalUnary(inputs[0] as Tensor, f, big, intF)],
  };
}

/** Applies a unary function to every element, keeping the dtype. */
export function evalUnary(x: Tensor, f: UnaryNum, big?: (a: bigint) => bigint, intF?: UnaryNum, outDtype?: DType): Tensor {
  const dtype = outDtype ?? x.dtype;
  const w = elementWriter(dtype, x.size);
  if (isBigDType(x.dtype) && big) {
    const d = x.data as BigInt64Array;
    for (let k = 0; k < d.length; k++) w.set(k, big(d[k]));
  } else {
    const r = elementReader(x);
    const fn = intF && isIntegerDType(x.dtype) ? intF : f;
    for (let k = 0; k < x.size; k++) w.set(k, fn(r(k)));
  }
  return new Tensor(dtype, x.shape, w.data);
}

/** The error function, to about double precision (Maclaurin series below 2.5, continued fraction for erfc above). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 80; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  // Continued fraction for erfc.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return x < 0 ? erfc - 1 : 1 - erfc;
}

const UNARY: OpDef[] = [
  unaryOp('Neg', 'signed', (a) => -a, (a) => -a),
  unaryOp('Abs', 'numeric', Math.abs, (a) => (a < 0n ? -a : a)),
  unaryOp('Sign', 'numeric', (a) => (Number.isNaN(a) ? NaN : Math.sign(a)), (a) => (a > 0n ? 1n : a < 0n ? -1n : 0n)),
  unaryOp('Sqrt', 'float', Math.sqrt),
  unaryOp('Exp', 'float', Math.exp),
  unaryOp('Log', 'float', Math.log),
  unaryOp('Erf', 'float', erf),
  unaryOp('Reciprocal', 'float', (a) => 1 / a),
  unaryOp('Floor', 'float', Math.floor),
  unaryOp('Ceil', 'float', Math.ceil),
  unaryOp('Round', 'float', roundHalfEven),
  unaryOp('Not', 'bool', (a) => a === 0),
];

/** Elementwise operator definitions. */
export const ELEMENTWISE_OPS: readonly OpDef[] = [...ARITH, ...COMPARE, WHERE, ...UNARY];
