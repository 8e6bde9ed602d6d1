/**
 * Samples stored as numbers: .npy files (one sample, or a batch read sample by sample at its byte
 * offset, never whole) and .raw files (one sample of little-endian elements). Shape checks against
 * the model input, dtype conversion to the input's dtype and the NaN/Inf check live here.
 */
import * as fs from 'fs';
import { NpuqError } from '../errors';
import { Dim } from '../ir/graph';
import { DType, dtypeSize, isFloatDType, isIntegerDType, shapeSize, TensorStorage } from '../ir/tensor';
import { storageFromBytes } from '../io/bytes';
import { NpyHeader, parseNpyHeader, readNpy } from './npy';
import { fmtShape } from './input-config';

/** One sample of a .npy file: the whole file, or entry `index` of its first dimension. */
export interface NpySampleRef {
  kind: 'npy';
  file: string;
  /** Appended to messages: ` (line 3 of list "a.txt")` or ''. */
  origin: string;
  header: NpyHeader;
  /** True when the file holds a batch (first dim = samples). */
  batched: boolean;
  index: number;
  /** Shape of one sample. */
  shape: number[];
}

/** A .raw file holding exactly one sample. */
export interface RawSampleRef {
  kind: 'raw';
  file: string;
  origin: string;
}

/** A sample as numbers: shape without the batch dim, and its elements. */
export interface SampleData {
  shape: number[];
  data: TensorStorage;
}

const MAX_ELEMENTS = 2 ** 31;

function ioError(err: unknown, file: string, what: string, origin: string): NpuqError {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT' || e?.code === 'ENOTDIR') {
    return new NpuqError('FILE_NOT_FOUND', `${what} "${file}"${origin} does not exist`, { file, cause: err });
  }
  return new NpuqError('FILE_READ', `Cannot read ${what} "${file}"${origin}: ${e?.message ?? String(err)}`, { file, cause: err });
}

/** Size of a regular file; FILE_NOT_FOUND / FILE_READ naming it and `origin`. */
export async function fileSize(file: string, what: string, origin: string): Promise<number> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(file);
  } catch (err) {
    throw ioError(err, file, what, origin);
  }
  if (!st.isFile()) throw new NpuqError('FILE_READ', `${what} "${file}"${origin} is not a regular file`, { file });
  return st.size;
}

/** Reads `length` bytes at `position`; INVALID_DATA when the file is shorter. */
async function readRange(file: string, position: number, length: number, what: string, origin: string): Promise<Buffer> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (err) {
    throw ioError(err, file, what, origin);
  }
  try {
    const buf = Buffer.alloc(length);
    for (let off = 0; off < length;) {
      const { bytesRead } = await fh.read(buf, off, length - off, position + off);
      if (bytesRead === 0) return buf.subarray(0, off);
      off += bytesRead;
    }
    return buf;
  } catch (err) {
    throw ioError(err, file, what, origin);
  } finally {
    await fh.close();
  }
}

/** Reads and checks the header of a .npy file (the data is not read, only its length checked). */
export async function readNpyHeaderFile(file: string, origin: string): Promise<NpyHeader> {
  const size = await fileSize(file, '.npy file', origin);
  const head = await readRange(file, 0, Math.min(size, 12), '.npy file', origin);
  let end = Math.min(size, 4096);
  if (head.length >= 12 && head[6] === 1) end = 10 + head.readUInt16LE(8);
  else if (head.length >= 12 && (head[6] === 2 || head[6] === 3)) end = 12 + head.readUInt32LE(8);
  const prefix = await readRange(file, 0, Math.min(end, size), '.npy file', origin);
  let h: NpyHeader;
  try {
    h = parseNpyHeader(prefix, file);
  } catch (err) {
    if (err instanceof NpuqError && origin !== '') throw new NpuqError(err.code, `${err.message}${origin}`, { file, cause: err });
    throw err;
  }
  const count = shapeSize(h.shape);
  if (count > MAX_ELEMENTS) {
    throw new NpuqError('UNSUPPORTED', `"${file}"${origin} has shape ${fmtShape(h.shape)} = ${count} elements, more than the 2^31 npuquant handles`, { file });
  }
  const need = count * dtypeSize(h.dtype);
  if (size - h.dataOffset < need) {
    throw new NpuqError('INVALID_DATA', `"${file}"${origin} is truncated: shape ${fmtShape(h.shape)} of ${h.dtype} needs ${need} bytes of data but only ${size - h.dataOffset} follow the header`, { file });
  }
  return h;
}

/** True when a concrete shape fits a model shape (symbolic and unknown dims accept any size). */
export function shapeFits(shape: readonly number[], model: readonly Dim[]): boolean {
  return shape.length === model.length && shape.every((d, i) => typeof model[i] !== 'number' || model[i] === d);
}

/**
 * How a .npy file of `shape` feeds an input whose per-sample shape is `sample` (the model shape
 * without its batch dim; undefined = unknown rank): one sample (same rank, or a leading 1) or a
 * batch (first dim = samples). SHAPE_MISMATCH naming the file, the input, expected and received
 * shapes otherwise.
 */
export function npyRefs(file: string, origin: string, header: NpyHeader, sample: Dim[] | undefined, input: string, modelShape: Dim[] | undefined): NpySampleRef[] {
  const shape = header.shape;
  const one = (s: number[]): NpySampleRef[] => [{ kind: 'npy', file, origin, header, batched: false, index: 0, shape: s }];
  if (sample === undefined) return one(shape);
  if (shapeFits(shape, sample)) return one(shape);
  if (shape.length === sample.length + 1 && shapeFits(shape.slice(1), sample)) {
    const refs: NpySampleRef[] = [];
    for (let i = 0; i < shape[0]; i++) refs.push({ kind: 'npy', file, origin, header, batched: true, index: i, shape: shape.slice(1) });
    return refs;
  }
  throw new NpuqError('SHAPE_MISMATCH', `"${file}"${origin} has shape ${fmtShape(shape)} but input "${input}" has shape ${fmtShape(modelShape ?? sample)}: expected one sample ${fmtShape(sample)} or a batch ${fmtShape(['n', ...sample])}`, { file });
}

/** The flat index `i` of `shape` as "[a,b,c]". */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = i % shape[k];
    i = Math.floor(i / shape[k]);
  }
  return idx;
}

function halfIsFinite(bits: number, bf16: boolean): boolean {
  return bf16 ? (bits & 0x7f80) !== 0x7f80 : (bits & 0x7c00) !== 0x7c00;
}

/**
 * INVALID_DATA naming the file and the index of the first NaN or infinite value, if any. `prefix`
 * is the index of the sample inside the file ([] when the file is one sample).
 */
export function checkFinite(data: TensorStorage, dtype: DType, shape: readonly number[], file: string, origin: string, prefix: number[]): void {
  if (!isFloatDType(dtype)) return;
  let bad = -1;
  if (dtype === 'float16' || dtype === 'bfloat16') {
    const d = data as Uint16Array;
    for (let i = 0; i < d.length; i++) if (!halfIsFinite(d[i], dtype === 'bfloat16')) { bad = i; break; }
  } else {
    const d = data as Float32Array | Float64Array;
    for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) { bad = i; break; }
  }
  if (bad < 0) return;
  const v = dtype === 'float16' || dtype === 'bfloat16' ? 'NaN or Inf' : String((data as Float32Array)[bad]);
  const index = [...prefix, ...unravel(bad, shape)];
  throw new NpuqError('INVALID_DATA', `"${file}"${origin} holds ${v} at index [${index.join(',')}] (element ${bad} of the sample); calibration data must be finite`, { file });
}

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1], uint32: [0, 2 ** 32 - 1], int64: [-(2 ** 63), 2 ** 63], uint64: [0, 2 ** 64], bool: [0, 1],
};

/**
 * Converts sample data to the dtype of the model input: float64/integers to float32 and the like
 * (values kept), integers to narrower integers when every value fits. Floats are never silently
 * truncated to integers (INVALID_DATA), and float16/bfloat16/string only pass through unchanged
 * (UNSUPPORTED otherwise).
 */
export function convertData(data: TensorStorage, from: DType, to: DType, file: string, origin: string, input: string): TensorStorage {
  if (from === to) return data;
  const hint = `convert it (numpy: .astype(np.${to === 'bool' ? 'bool_' : to})) and save it again`;
  const half = (d: DType) => d === 'float16' || d === 'bfloat16' || d === 'string';
  if (half(from) || half(to)) {
    throw new NpuqError('UNSUPPORTED', `"${file}"${origin} holds ${from} data but input "${input}" takes ${to}; ${hint}`, { file });
  }
  if ((isIntegerDType(to) || to === 'bool') && isFloatDType(from)) {
    throw new NpuqError('INVALID_DATA', `"${file}"${origin} holds ${from} data but input "${input}" takes ${to}; ${hint}`, { file });
  }
  const n = data.length;
  const src = data as unknown as ArrayLike<number | bigint>;
  if (to === 'float32' || to === 'float64') {
    const out = to === 'float32' ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(src[i]);
    return out;
  }
  const [lo, hi] = INT_RANGE[to]!;
  for (let i = 0; i < n; i++) {
    const v = Number(src[i]);
    if (v < lo || v > hi) {
      throw new NpuqError('INVALID_DATA', `"${file}"${origin} holds ${String(src[i])} at element ${i}, out of the ${to} range of input "${input}"; ${hint}`, { file });
    }
  }
  if (to === 'int64' || to === 'uint64') {
    const out = to === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
    for (let i = 0; i < n; i++) out[i] = BigInt(src[i]);
    return out;
  }
  const ctor = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, bool: Uint8Array }[to as 'int8'];
  const out = new ctor(n);
  for (let i = 0; i < n; i++) out[i] = Number(src[i]);
  return out;
}

/** Reads one .npy sample, checks it is finite and converts it to `dtype`. */
export async function loadNpySample(ref: NpySampleRef, dtype: DType, input: string): Promise<SampleData> {
  const h = ref.header;
  const count = shapeSize(ref.shape);
  let data: TensorStorage;
  if (h.fortran && h.shape.length > 1) {
    // Fortran order: a sample is not contiguous; read the file whole (rare) and take the sample.
    const all = readNpy(ref.file).data as Exclude<TensorStorage, string[]>;
    data = all.slice(ref.index * count, (ref.index + 1) * count);
  } else {
    const bytes = count * dtypeSize(h.dtype);
    const raw = await readRange(ref.file, h.dataOffset + ref.index * bytes, bytes, '.npy file', ref.origin);
    if (raw.length < bytes) throw new NpuqError('INVALID_DATA', `"${ref.file}"${ref.origin} was truncated after it was opened`, { file: ref.file });
    data = storageFromBytes(h.dtype, raw, h.littleEndian);
  }
  checkFinite(data, h.dtype, ref.shape, ref.file, ref.origin, ref.batched ? [ref.index] : []);
  return { shape: ref.shape, data: convertData(data, h.dtype, dtype, ref.file, ref.origin, input) };
}

/**
 * Checks the byte size of a .raw file against one sample of `shape` x `dtype`; INVALID_DATA
 * naming expected and received bytes.
 */
export async function checkRawFile(file: string, origin: string, shape: readonly number[], dtype: DType, input: string): Promise<void> {
  const size = await fileSize(file, '.raw file', origin);
  const need = shapeSize(shape) * dtypeSize(dtype);
  if (size !== need) {
    throw new NpuqError('INVALID_DATA', `"${file}"${origin} has ${size} bytes but one sample of input "${input}" (${fmtShape(shape)} ${dtype}, little-endian) is ${need} bytes`, { file });
  }
}

/** Reads one .raw sample (little-endian `dtype` of `shape`) and checks it is finite. */
export async function loadRawSample(ref: RawSampleRef, shape: number[], dtype: DType, input: string): Promise<SampleData> {
  await checkRawFile(ref.file, ref.origin, shape, dtype, input);
  const bytes = shapeSize(shape) * dtypeSize(dtype);
  const raw = await readRange(ref.file, 0, bytes, '.raw file', ref.origin);
  const data = storageFromBytes(dtype, raw, true);
  checkFinite(data, dtype, shape, ref.file, ref.origin, []);
  return { shape, data };
}
