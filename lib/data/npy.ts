/**
 * NumPy .npy files (format versions 1.0, 2.0 and 3.0): reading into Tensors and writing them.
 * https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 *
 * Handled dtypes: <f2 <f4 <f8 |i1 |u1 <i2 <u2 <i4 <u4 <i8 <u8 |b1, in either byte order
 * (big-endian data is converted), C or Fortran order (Fortran data is transposed to C order), any
 * rank including 0-d.
 */
import { NpuqError } from '../errors';
import { DType, dtypeSize, shapeSize, Tensor, TensorStorage } from '../ir/tensor';
import { describeValue, HOST_LITTLE_ENDIAN, storageFromBytes, storageToBytes } from '../io/bytes';
import { expectPath, readFileSyncChecked, writeFileAtomicSync } from '../io/files';
import { parsePyLiteral, PyValue } from './py-literal';

const MAGIC = Buffer.from('\x93NUMPY', 'latin1');
/** numpy pads headers so that the data starts at a multiple of this. */
const ALIGN = 64;
const MAX_ELEMENTS = 2 ** 31;

const KIND_SIZE_TO_DTYPE: Record<string, DType> = {
  f2: 'float16', f4: 'float32', f8: 'float64', i1: 'int8', u1: 'uint8', i2: 'int16', u2: 'uint16',
  i4: 'int32', u4: 'uint32', i8: 'int64', u8: 'uint64', b1: 'bool',
};
const DTYPE_TO_DESCR: Partial<Record<DType, string>> = {
  float16: '<f2', float32: '<f4', float64: '<f8', int8: '|i1', uint8: '|u1', int16: '<i2',
  uint16: '<u2', int32: '<i4', uint32: '<u4', int64: '<i8', uint64: '<u8', bool: '|b1',
};
const NUMPY_KINDS: Record<string, string> = {
  c: 'complex', U: 'unicode string', S: 'byte string', a: 'byte string', O: 'Python object',
  M: 'datetime', m: 'timedelta', V: 'void/structured', f: 'floating point of this size',
  i: 'integer of this size', u: 'unsigned integer of this size', b: 'boolean of this size',
};
const SUPPORTED = Object.values(DTYPE_TO_DESCR).join(' ');

/** What a .npy header says: element type, byte order, storage order, shape, where the data starts. */
export interface NpyHeader {
  dtype: DType;
  littleEndian: boolean;
  fortran: boolean;
  shape: number[];
  dataOffset: number;
}

function parseDescr(descr: PyValue, fail: (m: string) => NpuqError, label: string, file: string | undefined): { dtype: DType; littleEndian: boolean } {
  if (Array.isArray(descr)) {
    throw new NpuqError('UNSUPPORTED', `${label} holds a structured array (descr is a list of fields); npuquant reads plain arrays of ${SUPPORTED}`, { file });
  }
  if (typeof descr !== 'string') throw fail(`its header has descr = ${describeValue(descr)}; expected a dtype string such as '<f4'`);
  const m = /^([<>|=]?)([a-zA-Z])(\d*)$/.exec(descr);
  const dtype = m ? KIND_SIZE_TO_DTYPE[`${m[2]}${m[3]}`] : undefined;
  if (!m || dtype === undefined) {
    const kind = m ? NUMPY_KINDS[m[2]] : undefined;
    if (kind !== undefined) {
      throw new NpuqError('UNSUPPORTED', `${label} has dtype '${descr}' (${kind}), which npuquant does not read; supported: ${SUPPORTED}`, { file });
    }
    throw fail(`its header has an unknown dtype '${descr}'; supported: ${SUPPORTED}`);
  }
  const order = m[1];
  const littleEndian = order === '>' ? false : order === '<' ? true : HOST_LITTLE_ENDIAN;
  return { dtype, littleEndian };
}

function parseHeader(bytes: Uint8Array, label: string, file: string | undefined, fail: (m: string) => NpuqError): NpyHeader {
  if (bytes.length < MAGIC.length || !MAGIC.equals(bytes.subarray(0, MAGIC.length))) {
    throw fail(bytes.length === 0 ? 'is empty (0 bytes)' : 'does not start with the .npy magic "\\x93NUMPY"; it is not a .npy file');
  }
  if (bytes.length < 10) throw fail('is truncated inside its header');
  const major = bytes[6];
  const minor = bytes[7];
  if (![1, 2, 3].includes(major) || minor !== 0) throw fail(`has format version ${major}.${minor}; npuquant reads 1.0, 2.0 and 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenSize = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenSize) throw fail('is truncated inside its header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenSize;
  if (start + headerLen > bytes.length) throw fail(`is truncated: its header says ${headerLen} bytes but only ${bytes.length - start} follow`);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, headerLen).toString(major === 3 ? 'utf8' : 'latin1').trim();
  let dict: PyValue;
  try {
    dict = parsePyLiteral(text);
  } catch (err) {
    throw fail(`has a header that cannot be parsed (${(err as Error).message})`);
  }
  if (!(dict instanceof Map)) throw fail(`has a header that is not a dict: ${JSON.stringify(text.slice(0, 80))}`);
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!dict.has(key)) throw fail(`has a header without the key '${key}': ${JSON.stringify(text.slice(0, 120))}`);
  }
  const { dtype, littleEndian } = parseDescr(dict.get('descr') as PyValue, fail, label, file);
  const fortran = dict.get('fortran_order');
  if (typeof fortran !== 'boolean') throw fail(`has fortran_order = ${describeValue(fortran)}; expected True or False`);
  const shape = dict.get('shape');
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw fail(`has shape = ${JSON.stringify(shape)}; expected a tuple of non-negative integers`);
  }
  return { dtype, littleEndian, fortran, shape: shape as number[], dataOffset: start + headerLen };
}

/** Reorders column-major (Fortran) storage of `shape` into row-major (C) order. */
function fortranToC<T extends Exclude<TensorStorage, string[]>>(src: T, shape: readonly number[], out: T): T {
  const rank = shape.length;
  const n = src.length;
  if (rank <= 1 || n === 0) {
    out.set(src as never);
    return out;
  }
  const fStride: number[] = [];
  let s = 1;
  for (let k = 0; k < rank; k++) {
    fStride.push(s);
    s *= shape[k];
  }
  const idx = new Array<number>(rank).fill(0);
  const o = out as unknown as { [i: number]: number | bigint };
  const i2 = src as unknown as { [i: number]: number | bigint };
  let f = 0;
  for (let i = 0; i < n; i++) {
    o[i] = i2[f];
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      f += fStride[k];
      if (idx[k] < shape[k]) break;
      f -= idx[k] * fStride[k];
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * Reads a .npy file (or its bytes) into a Tensor of the same dtype (bool → 'bool', <f2 →
 * 'float16' bits) and shape ([] for 0-d arrays), in C order.
 *
 * Errors (NpuqError, naming the file): FILE_NOT_FOUND / FILE_READ; INVALID_DATA for a bad magic,
 * an unknown format version, a header that cannot be parsed, an unknown dtype or truncated data;
 * UNSUPPORTED for numpy dtypes npuquant does not read (complex, strings, objects, structured…)
 * and arrays of more than 2^31 elements.
 *
 * @param pathOrBuffer - Path of the .npy file, or its bytes.
 */
export function readNpy(pathOrBuffer: string | Uint8Array): Tensor {
  let bytes: Uint8Array;
  let file: string | undefined;
  if (typeof pathOrBuffer === 'string') {
    expectPath(pathOrBuffer, 'the .npy path of readNpy');
    file = pathOrBuffer;
    bytes = readFileSyncChecked(file, '.npy file');
  } else if (pathOrBuffer instanceof Uint8Array) {
    bytes = pathOrBuffer;
  } else {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a file path or a Uint8Array for readNpy but received ${describeValue(pathOrBuffer)}`);
  }
  const label = file !== undefined ? `"${file}"` : 'The .npy buffer';
  const fail = (m: string) => new NpuqError('INVALID_DATA', `${label} ${m}`, { file });
  const h = parseHeader(bytes, label, file, fail);
  const count = shapeSize(h.shape);
  if (count > MAX_ELEMENTS) {
    throw new NpuqError('UNSUPPORTED', `${label} has shape (${h.shape.join(', ')}) = ${count} elements, more than the 2^31 npuquant handles`, { file });
  }
  const size = dtypeSize(h.dtype);
  const need = count * size;
  const have = bytes.length - h.dataOffset;
  if (have < need) {
    throw fail(`is truncated: shape (${h.shape.join(', ')}) of ${h.dtype} needs ${need} bytes of data but only ${have} follow the header`);
  }
  const raw = bytes.subarray(h.dataOffset, h.dataOffset + need);
  let data = storageFromBytes(h.dtype, raw, h.littleEndian) as Exclude<TensorStorage, string[]>;
  if (h.fortran) {
    // Fortran order of shape [d0..dk] is C order of the reversed shape; transposing gives C order.
    data = fortranToC(data, h.shape, data.slice());
  }
  return new Tensor(h.dtype, h.shape, data);
}

/**
 * Parses the header of a .npy file from its first bytes (the data need not follow), e.g. to learn
 * the shape of a large file without reading it. `bytes` must hold the whole header; the size of the
 * header is `10 + uint16 at offset 8` (format 1.0) or `12 + uint32 at offset 8` (2.0, 3.0).
 * Errors as {@link readNpy} (INVALID_DATA, UNSUPPORTED), naming `file` when given.
 *
 * @param bytes - The beginning of the file, at least up to the end of its header.
 * @param file - The file name for error messages.
 */
export function parseNpyHeader(bytes: Uint8Array, file?: string): NpyHeader {
  const label = file !== undefined ? `"${file}"` : 'The .npy buffer';
  return parseHeader(bytes, label, file, (m: string) => new NpuqError('INVALID_DATA', `${label} ${m}`, { file }));
}

/**
 * Encodes a tensor as .npy bytes: format 1.0 (2.0 only if the header needs it), little-endian,
 * C order, header padded so the data starts at a multiple of 64 bytes, as numpy writes it.
 * UNSUPPORTED for bfloat16 (numpy has no such dtype; convert to float32) and string tensors.
 *
 * @param tensor - The tensor to encode.
 */
export function encodeNpy(tensor: Tensor): Buffer {
  return Buffer.concat(npyParts(tensor));
}

/** The header and the data of a .npy file (the data is a view of the tensor when possible). */
function npyParts(tensor: Tensor): [Buffer, Uint8Array] {
  if (!(tensor instanceof Tensor)) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a Tensor for encodeNpy but received ${describeValue(tensor)}`);
  }
  const descr = DTYPE_TO_DESCR[tensor.dtype];
  if (descr === undefined || Array.isArray(tensor.data)) {
    throw new NpuqError('UNSUPPORTED', `Cannot write a ${tensor.dtype} tensor as .npy: numpy has no ${tensor.dtype} dtype npuquant writes (supported: ${SUPPORTED}); convert it to float32 first`);
  }
  const shape = tensor.shape.length === 1 ? `(${tensor.shape[0]},)` : `(${tensor.shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  let major = 1;
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN;
  if (total - prefix > 0xffff) {
    major = 2;
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / ALIGN) * ALIGN;
  }
  const headerLen = total - prefix;
  const header = Buffer.alloc(total, 0x20);
  MAGIC.copy(header, 0);
  header[6] = major;
  header[7] = 0;
  if (major === 1) header.writeUInt16LE(headerLen, 8);
  else header.writeUInt32LE(headerLen, 8);
  header.write(dict, prefix, 'latin1');
  header[total - 1] = 0x0a;
  return [header, storageToBytes(tensor.data, true)];
}

/**
 * Writes a tensor to a .npy file (see {@link encodeNpy}); the file is written through a temporary
 * file and renamed. Errors: INVALID_ARGUMENT, UNSUPPORTED (dtype), FILE_WRITE.
 *
 * @param file - Path of the .npy file to write.
 * @param tensor - The tensor to write.
 */
export function writeNpy(file: string, tensor: Tensor): void {
  expectPath(file, 'the .npy path of writeNpy');
  writeFileAtomicSync(file, npyParts(tensor));
}
