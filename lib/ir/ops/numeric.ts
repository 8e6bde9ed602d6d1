/**
 * Element conversions for compile-time evaluation: float16/bfloat16 encoding, reading a tensor's
 * elements as numbers or bigints, building tensors from computed values with the dtype's
 * semantics (float32 rounding, integer wrap-around, bool), and Cast between numeric dtypes.
 */
import { NpuqError } from '../../errors';
import { allocStorage, DType, shapeSize, Tensor, TensorStorage } from '../tensor';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Decodes IEEE half-precision bits to a number. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Encodes a number as IEEE half-precision bits, rounding to nearest even (overflow to ±Inf). */
export function numberToHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -25) {
    // Below half the smallest subnormal: rounds to zero (exactly half also goes to zero, even).
    return sign;
  }
  if (a < 2 ** -14) {
    // Subnormal: units of 2^-24, round half to even.
    const q = a / 2 ** -24;
    return sign | roundHalfEven(q);
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const frac = a / 2 ** e - 1; // in [0, 1)
  let m = roundHalfEven(frac * 1024);
  if (m === 1024) {
    m = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | m;
}

/** Decodes bfloat16 bits to a number. */
export function bfloat16ToNumber(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

/** Encodes a number as bfloat16 bits (via float32, rounding to nearest even). */
export function numberToBfloat16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if (Number.isNaN(f32[0])) return 0x7fc0;
  const lsb = (b >> 16) & 1;
  return ((b + 0x7fff + lsb) >>> 16) & 0xffff;
}

/** Rounds half to even (numpy/ONNX Round). */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  const r = d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
  return r === 0 && x < 0 ? -0 : r;
}

/** True for dtypes stored as bigint (int64, uint64). */
export function isBigDType(dtype: DType): boolean {
  return dtype === 'int64' || dtype === 'uint64';
}

/** Element i of a numeric tensor as a JS number (float16/bfloat16 decoded, bigint via Number()). */
export function elementReader(t: Tensor): (i: number) => number {
  const d = t.data;
  if (Array.isArray(d)) throw new NpuqError('UNSUPPORTED', `Cannot compute on string tensors at compile time`);
  if (t.dtype === 'float16') return (i) => halfToNumber(d[i] as number);
  if (t.dtype === 'bfloat16') return (i) => bfloat16ToNumber(d[i] as number);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return (i) => Number(d[i]);
  const n = d as Float32Array;
  return (i) => n[i];
}

/** All elements of a numeric tensor as numbers. */
export function toFloat64(t: Tensor): Float64Array {
  const r = elementReader(t);
  const out = new Float64Array(t.size);
  for (let i = 0; i < out.length; i++) out[i] = r(i);
  return out;
}

/** Converts a finite-or-not number to a 64-bit bigint the way x86 cvttsd2si does (trunc; invalid → INT64_MIN). */
export function numberToBigInt(x: number, unsigned: boolean): bigint {
  if (!Number.isFinite(x)) return unsigned ? 0n : -(2n ** 63n);
  const b = BigInt(Math.trunc(x));
  return unsigned ? BigInt.asUintN(64, b) : BigInt.asIntN(64, b);
}

/**
 * A writer storing computed values into tensor storage with the dtype's semantics: float32 rounds,
 * float16/bfloat16 encode, integers truncate toward zero and wrap, bool is value != 0, int64/uint64
 * accept bigints (or numbers, truncated).
 */
export function elementWriter(dtype: DType, n: number): { data: TensorStorage; set: (i: number, v: number | bigint | boolean) => void } {
  const data = allocStorage(dtype, n);
  if (Array.isArray(data)) throw new NpuqError('UNSUPPORTED', `Cannot compute string tensors at compile time`);
  let set: (i: number, v: number | bigint | boolean) => void;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    const unsigned = data instanceof BigUint64Array;
    set = (i, v) => {
      data[i] = typeof v === 'bigint' ? (unsigned ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v)) : numberToBigInt(Number(v), unsigned);
    };
  } else if (dtype === 'bool') {
    set = (i, v) => {
      data[i] = typeof v === 'boolean' ? (v ? 1 : 0) : v !== 0 && v !== 0n ? 1 : 0;
    };
  } else if (dtype === 'float16') {
    set = (i, v) => {
      data[i] = numberToHalf(Number(v));
    };
  } else if (dtype === 'bfloat16') {
    set = (i, v) => {
      data[i] = numberToBfloat16(Number(v));
    };
  } else if (dtype === 'float32' || dtype === 'float64') {
    const fd = data as Float32Array;
    set = (i, v) => {
      fd[i] = Number(v);
    };
  } else {
    // Integer typed arrays: JS ToIntN truncates toward zero and wraps; NaN/Inf become 0.
    const id = data as Int32Array;
    set = (i, v) => {
      id[i] = typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : Number(v);
    };
  }
  return { data, set };
}

/** Builds a tensor from computed numbers with the dtype's storage semantics (see elementWriter). */
export function tensorFromValues(dtype: DType, shape: readonly number[], values: ArrayLike<number | bigint | boolean>): Tensor {
  const w = elementWriter(dtype, shapeSize(shape));
  for (let i = 0; i < values.length; i++) w.set(i, values[i]);
  return new Tensor(dtype, shape, w.data);
}

/** A scalar-shaped or any-shaped tensor with every element equal to `value`. */
export function filledTensor(dtype: DType, shape: readonly number[], value: number | bigint | boolean | string): Tensor {
  const n = shapeSize(shape);
  if (typeof value === 'string') return new Tensor(dtype, shape, new Array<string>(n).fill(value));
  const w = elementWriter(dtype, n);
  for (let i = 0; i < n; i++) w.set(i, value);
  return new Tensor(dtype, shape, w.data);
}

/**
 * Casts a numeric tensor to `to`: float → integer truncates toward zero (values out of range wrap, as
 * typed arrays do); anything → bool is != 0; → float16/bfloat16 rounds to nearest even; int64 ↔
 * integer conversions are exact (wrap-around). String casts throw UNSUPPORTED.
 */
export function castTensor(t: Tensor, to: DType): Tensor {
  if (t.dtype === to) return t;
  if (t.dtype === 'string' || to === 'string') {
    throw new NpuqError('UNSUPPORTED', `Cast between string and ${t.dtype === 'string' ? to : t.dtype} is not folded at compile time`);
  }
  const n = t.size;
  const src = t.data;
  const w = elementWriter(to, n);
  if (src instanceof BigInt64Array || src instanceof BigUint64Array) {
    if (isBigDType(to) || to === 'bool') {
      for (let i = 0; i < n; i++) w.set(i, src[i]);
    } else if (to.startsWith('int') || to.startsWith('uint')) {
      const bits = to.endsWith('8') ? 8 : to.endsWith('16') ? 16 : 32;
      const signed = to.startsWith('int');
      for (let i = 0; i < n; i++) {
        const v = signed ? BigInt.asIntN(bits, src[i]) : BigInt.asUintN(bits, src[i]);
        w.set(i, Number(v));
      }
    } else {
      for (let i = 0; i < n; i++) w.set(i, Number(src[i]));
    }
  } else {
    const r = elementReader(t);
    const fromFloat = t.dtype.startsWith('float') || t.dtype === 'bfloat16';
    if (fromFloat && to !== 'bool' && !to.startsWith('float') && to !== 'bfloat16') {
      for (let i = 0; i < n; i++) {
        const v = r(i);
        w.set(i, Number.isFinite(v) ? Math.trunc(v) : isBigDType(to) ? v : 0);
      }
    } else if (to === 'bool') {
      for (let i = 0; i < n; i++) {
        const v = r(i);
        w.set(i, v !== 0);
      }
    } else {
      for (let i = 0; i < n; i++) w.set(i, r(i));
    }
  }
  return new Tensor(to, t.shape, w.data);
}
