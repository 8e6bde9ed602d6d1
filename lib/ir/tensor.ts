/**
 * Tensors of the graph IR: a dtype, a concrete shape and a typed array holding the elements in
 * row-major order.
 *
 * Storage per dtype: float32 Float32Array, float64 Float64Array, int8 Int8Array, uint8 Uint8Array,
 * int16 Int16Array, uint16 Uint16Array, int32 Int32Array, uint32 Uint32Array, int64 BigInt64Array,
 * uint64 BigUint64Array, bool Uint8Array (0/1), float16 and bfloat16 Uint16Array (raw bits),
 * string string[].
 */
export type DType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'bool' | 'string';

export type TensorStorage =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | string[];

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE_CODE: Readonly<Record<DType, number>> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9,
  float16: 10, float64: 11, uint32: 12, uint64: 13, bfloat16: 16,
};

const CODE_TO_DTYPE = new Map<number, DType>(
  Object.entries(ONNX_DTYPE_CODE).map(([k, v]) => [v, k as DType]),
);

/** The dtype of an ONNX data type code, or undefined when npuquant does not handle it. */
export function dtypeFromOnnx(code: number): DType | undefined {
  return CODE_TO_DTYPE.get(code);
}

/** Bytes per element (0 for string). */
export function dtypeSize(dtype: DType): number {
  switch (dtype) {
    case 'float64': case 'int64': case 'uint64': return 8;
    case 'float32': case 'int32': case 'uint32': return 4;
    case 'float16': case 'bfloat16': case 'int16': case 'uint16': return 2;
    case 'int8': case 'uint8': case 'bool': return 1;
    case 'string': return 0;
  }
}

export function isIntegerDType(dtype: DType): boolean {
  return dtype.startsWith('int') || dtype.startsWith('uint');
}

export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Allocates zero-filled storage for `n` elements of `dtype`. */
export function allocStorage(dtype: DType, n: number): TensorStorage {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint16': case 'float16': case 'bfloat16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'string': return new Array<string>(n).fill('');
  }
}

export class Tensor {
  constructor(
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly data: TensorStorage,
  ) {
    const n = shapeSize(shape);
    if (data.length !== n) {
      throw new RangeError(
        `Expected ${n} elements for a ${dtype} tensor of shape [${shape.join(',')}] but received ${data.length}`,
      );
    }
  }

  get size(): number {
    return this.data.length;
  }

  /** Zero-filled tensor. */
  static zeros(dtype: DType, shape: readonly number[]): Tensor {
    return new Tensor(dtype, shape, allocStorage(dtype, shapeSize(shape)));
  }

  /** Builds a tensor from JS numbers (bigint conversion for 64-bit integer dtypes). */
  static fromNumbers(dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor {
    const t = Tensor.zeros(dtype, shape);
    const d = t.data;
    if (d instanceof BigInt64Array || d instanceof BigUint64Array) {
      for (let i = 0; i < values.length; i++) d[i] = BigInt(Math.trunc(values[i]));
    } else if (Array.isArray(d)) {
      throw new TypeError('Expected a numeric dtype for fromNumbers but received string');
    } else {
      for (let i = 0; i < values.length; i++) (d as Float32Array)[i] = values[i];
    }
    return t;
  }

  /** Elements as JS numbers (64-bit integers converted with Number(); strings rejected). */
  toNumbers(): number[] {
    const d = this.data;
    if (Array.isArray(d)) throw new TypeError('Expected a numeric tensor but received a string tensor');
    const out = new Array<number>(d.length);
    for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
    return out;
  }
}
