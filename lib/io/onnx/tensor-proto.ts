/**
 * ONNX TensorProto <-> Tensor. Reads raw_data (little-endian, copied into aligned storage), every
 * typed field (float_data, int32_data — which also carries int8/uint8/int16/uint16/bool/float16/
 * bfloat16 —, int64_data, double_data, uint64_data — which also carries uint32 —, string_data) and
 * external data; writes raw_data (string_data for strings).
 */
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { NpuqError } from '../../errors';
import { DType, dtypeFromOnnx, dtypeSize, ONNX_DTYPE_CODE, Tensor, TensorStorage } from '../../ir/tensor';
import { describeValue, storageFromBytes, storageToBytes } from '../bytes';
import { readFileSyncChecked, expectPath } from '../files';
import { ExternalContext, isExternal, readExternalSync } from './external-data';
import { LongLike, longToBigInt, longToNumber } from './int64';

/** Largest element count npuquant accepts in one tensor. */
export const MAX_ELEMENTS = 2 ** 31;

const DTYPE_NAMES = [
  'UNDEFINED', 'FLOAT', 'UINT8', 'INT8', 'UINT16', 'INT16', 'INT32', 'INT64', 'STRING', 'BOOL',
  'FLOAT16', 'DOUBLE', 'UINT32', 'UINT64', 'COMPLEX64', 'COMPLEX128', 'BFLOAT16', 'FLOAT8E4M3FN',
  'FLOAT8E4M3FNUZ', 'FLOAT8E5M2', 'FLOAT8E5M2FNUZ', 'UINT4', 'INT4', 'FLOAT4E2M1',
];

/** The ONNX name of a data type code, e.g. `FLOAT (1)`. */
export function onnxTypeName(code: number): string {
  return `${DTYPE_NAMES[code] ?? 'unknown type'} (${code})`;
}

/** Dims for messages: `[2,3]`, long lists cut to their first 8 entries. */
function fmtDims(shape: readonly number[]): string {
  return shape.length <= 8 ? `[${shape.join(',')}]` : `[${shape.slice(0, 8).join(',')},… (${shape.length} dims)]`;
}

/** What conversion errors name, and where external data is found. */
export interface TensorContext extends ExternalContext {
  /** External bytes already read (by the asynchronous loader), by TensorProto. */
  external?: Map<onnx.ITensorProto, Uint8Array>;
}

/**
 * Converts tensor dims (Long or number) to numbers, checking that each is a non-negative integer
 * and that the element count is at most 2^31. `what` names the tensor in messages.
 */
export function checkDims(dims: readonly LongLike[], what: string, ctx: TensorContext): { shape: number[]; count: number } {
  const shape = dims.map((d) => longToNumber(d));
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new NpuqError(ctx.code, `${what} in ${ctx.label} has dims ${fmtDims(shape)}: dimension ${d} is negative or not an integer`, { file: ctx.file });
    }
    count *= d;
  }
  if (count > MAX_ELEMENTS) {
    throw new NpuqError(ctx.code, `${what} in ${ctx.label} has dims ${fmtDims(shape)} = ${count} elements, more than the 2^31 npuquant handles`, { file: ctx.file });
  }
  return { shape, count };
}

function fromTypedField(dtype: DType, p: onnx.ITensorProto): { field: string; values: ArrayLike<unknown> } {
  switch (dtype) {
    case 'float32': return { field: 'float_data', values: p.floatData ?? [] };
    case 'float64': return { field: 'double_data', values: p.doubleData ?? [] };
    case 'int64': return { field: 'int64_data', values: p.int64Data ?? [] };
    case 'uint32': case 'uint64': return { field: 'uint64_data', values: p.uint64Data ?? [] };
    case 'string': return { field: 'string_data', values: p.stringData ?? [] };
    default: return { field: 'int32_data', values: p.int32Data ?? [] };
  }
}

function convertTyped(dtype: DType, values: ArrayLike<unknown>, n: number): TensorStorage {
  const num = values as ArrayLike<number>;
  switch (dtype) {
    case 'float32': return Float32Array.from(num);
    case 'float64': return Float64Array.from(num);
    case 'int32': return Int32Array.from(num);
    case 'int8': return Int8Array.from(num);
    case 'uint8': return Uint8Array.from(num);
    case 'int16': return Int16Array.from(num);
    case 'uint16': case 'float16': case 'bfloat16': return Uint16Array.from(num, (v) => v & 0xffff);
    case 'bool': return Uint8Array.from(num, (v) => (v !== 0 ? 1 : 0));
    case 'int64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = longToBigInt(values[i] as LongLike, false);
      return out;
    }
    case 'uint64': {
      const out = new BigUint64Array(n);
      for (let i = 0; i < n; i++) out[i] = longToBigInt(values[i] as LongLike, true);
      return out;
    }
    case 'uint32': return Uint32Array.from(values as ArrayLike<LongLike>, (v) => longToNumber(v));
    case 'string': {
      const dec = new TextDecoder();
      return Array.from(values as ArrayLike<Uint8Array>, (b) => dec.decode(b));
    }
  }
}

/**
 * Converts a TensorProto to a Tensor (storage per tensor.ts: 64-bit integers as bigint arrays,
 * float16/bfloat16 as raw bits). Throws `ctx.code` naming the tensor and the file for a missing
 * data type, bad dims, data that does not match the dims, or bad external data; UNSUPPORTED for
 * data types npuquant does not handle (complex, float8, int4, …) and for segmented tensors.
 * `what` names the tensor in messages (default: `Tensor "<proto name>"`).
 */
export function protoToTensor(p: onnx.ITensorProto, ctx: TensorContext, what = `Tensor "${p.name ?? ''}"`): Tensor {
  const code = p.dataType ?? 0;
  if (code === 0) {
    throw new NpuqError(ctx.code, `${what} in ${ctx.label} has no data_type (UNDEFINED)`, { file: ctx.file });
  }
  const dtype = dtypeFromOnnx(code);
  if (dtype === undefined) {
    throw new NpuqError('UNSUPPORTED', `${what} in ${ctx.label} has data type ${onnxTypeName(code)}, which npuquant does not handle`, { file: ctx.file });
  }
  if (p.segment) {
    throw new NpuqError('UNSUPPORTED', `${what} in ${ctx.label} is a segment of a larger tensor (TensorProto.segment), which npuquant does not handle`, { file: ctx.file });
  }
  const { shape, count } = checkDims(p.dims ?? [], what, ctx);
  const size = dtypeSize(dtype);

  let bytes: Uint8Array | undefined;
  let source = 'raw_data';
  if (isExternal(p)) {
    source = 'external data';
    if (dtype === 'string') {
      throw new NpuqError(ctx.code, `${what} in ${ctx.label} is a string tensor stored as external data, which ONNX does not allow`, { file: ctx.file });
    }
    bytes = ctx.external?.get(p) ?? readExternalSync(p, ctx);
  } else if (p.rawData && p.rawData.length > 0) {
    // An empty raw_data counts as absent: some writers set it next to a typed field.
    bytes = p.rawData;
    if (dtype === 'string') {
      throw new NpuqError(ctx.code, `${what} in ${ctx.label} is a string tensor with raw_data; ONNX stores strings in string_data`, { file: ctx.file });
    }
  }
  let data: TensorStorage;
  if (bytes !== undefined) {
    if (bytes.length !== count * size) {
      throw new NpuqError(ctx.code,
        `${what} in ${ctx.label} has ${bytes.length} bytes of ${source}, but dims ${fmtDims(shape)} of ${dtype} need ${count * size} (${count} elements)`,
        { file: ctx.file });
    }
    data = storageFromBytes(dtype, bytes, true);
  } else {
    const { field, values } = fromTypedField(dtype, p);
    if (values.length !== count) {
      throw new NpuqError(ctx.code,
        values.length === 0
          ? `${what} in ${ctx.label} has no data: dims ${fmtDims(shape)} need ${count} ${dtype} elements in raw_data or ${field}`
          : `${what} in ${ctx.label} has ${values.length} elements in ${field}, but dims ${fmtDims(shape)} need ${count}`,
        { file: ctx.file });
    }
    data = convertTyped(dtype, values, count);
  }
  return new Tensor(dtype, shape, data);
}

/**
 * Converts a Tensor to a TensorProto for saving: numeric data in raw_data (little-endian, a view
 * of the tensor's storage, not a copy), strings in string_data (UTF-8).
 *
 * @param name - The tensor name written into the proto (may be empty).
 * @param tensor - The tensor; its dtype must be one of tensor.ts's DTypes.
 */
export function tensorToProto(name: string, tensor: Tensor): onnx.ITensorProto {
  if (typeof name !== 'string') {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a string for the tensor name but received ${describeValue(name)}`);
  }
  if (!(tensor instanceof Tensor)) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a Tensor for tensor "${name}" but received ${describeValue(tensor)}`);
  }
  const p: onnx.ITensorProto = {
    name,
    dims: tensor.shape.slice(),
    dataType: ONNX_DTYPE_CODE[tensor.dtype],
  };
  if (Array.isArray(tensor.data)) {
    const enc = new TextEncoder();
    p.stringData = tensor.data.map((s) => enc.encode(s));
  } else {
    p.rawData = storageToBytes(tensor.data, true);
  }
  return p;
}

/** The byte size of a tensor's data as saved (strings: their UTF-8 length). */
export function tensorByteLength(t: Tensor): number {
  if (Array.isArray(t.data)) return t.data.reduce((s, x) => s + Buffer.byteLength(x), 0);
  return t.data.byteLength;
}

/**
 * Reads a file holding one serialized TensorProto, as in the ONNX test data (`input_0.pb`).
 * External data is looked up relative to the file's directory. Errors: FILE_NOT_FOUND, FILE_READ,
 * INVALID_DATA (naming the file) for anything malformed, UNSUPPORTED for unhandled data types.
 *
 * @param file - Path of the .pb file.
 * @returns The tensor's name (empty when the proto has none) and the tensor.
 */
export function readTensorProtoFile(file: string): { name: string; tensor: Tensor } {
  expectPath(file, 'the TensorProto file');
  const bytes = readFileSyncChecked(file, 'TensorProto file', 2 ** 31 - 1, "protobuf's 2 GiB limit");
  let p: onnx.TensorProto;
  try {
    p = onnx.TensorProto.decode(bytes);
  } catch (err) {
    throw new NpuqError('INVALID_DATA', `"${file}" is not a valid serialized TensorProto (${(err as Error).message}); the file may be truncated or corrupt`, { file, cause: err });
  }
  const tensor = protoToTensor(p, { file, label: `"${file}"`, baseDir: path.dirname(path.resolve(file)), code: 'INVALID_DATA' });
  return { name: p.name ?? '', tensor };
}
