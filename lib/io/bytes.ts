/**
 * Conversions between raw bytes (any alignment, either byte order) and tensor storage. Shared by
 * the ONNX raw_data reader/writer and the .npy reader/writer.
 */
import { allocStorage, DType, dtypeSize, TensorStorage } from '../ir/tensor';

/** True on little-endian hosts (every platform Node ships prebuilt binaries for). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `size`-byte element of `bytes`, in place. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size <= 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/**
 * Copies `bytes` into new, properly aligned storage for `dtype` (bytes from files and protobuf
 * messages are often not aligned for a typed-array view). `littleEndian` gives the byte order of
 * `bytes`. bool bytes are normalised to 0/1. The caller checks that `bytes.length` is a multiple
 * of the element size; string is not handled here.
 */
export function storageFromBytes(dtype: DType, bytes: Uint8Array, littleEndian: boolean): TensorStorage {
  const size = dtypeSize(dtype);
  if (size === 0) throw new TypeError('Expected a numeric dtype for storageFromBytes but received string');
  const out = allocStorage(dtype, bytes.length / size) as Exclude<TensorStorage, string[]>;
  const view = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  view.set(bytes);
  if (littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(view, size);
  if (dtype === 'bool') {
    for (let i = 0; i < view.length; i++) if (view[i] !== 0) view[i] = 1;
  }
  return out;
}

/**
 * The bytes of numeric storage in the requested byte order: a view of the storage when no swap is
 * needed, else a swapped copy. Never modifies `data`.
 */
export function storageToBytes(data: Exclude<TensorStorage, string[]>, littleEndian: boolean): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (littleEndian === HOST_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return view;
  const copy = view.slice();
  swapBytes(copy, data.BYTES_PER_ELEMENT);
  return copy;
}

/** A short description of a JS value for "… but received …" messages. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
  if (typeof v === 'object') return `an object of type ${(v as object).constructor?.name ?? 'Object'}`;
  return `${typeof v} ${String(v)}`;
}
