/**
 * ONNX external data: tensors whose bytes live in a separate file (`data_location = EXTERNAL`,
 * `external_data` = { location, offset, length, checksum }), with `location` relative to the
 * directory of the model. Paths that leave that directory are rejected, as onnx's checker does.
 */
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { ErrorCode, NpuqError } from '../../errors';

/** Where one tensor's bytes are. */
export interface ExternalRef {
  /** Absolute path of the data file. */
  file: string;
  /** Location as written in the model (for messages). */
  location: string;
  offset: number;
  /** Byte count, or undefined = to the end of the file. */
  length: number | undefined;
}

/** What errors name and where relative paths start. */
export interface ExternalContext {
  /** The model (or .pb) file, set as the error's `file`; undefined for a buffer. */
  file: string | undefined;
  /** How messages name the model: `"path/model.onnx"` or a description of a buffer. */
  label: string;
  /** Directory `location` is relative to; undefined when unknown (a model given as a buffer). */
  baseDir: string | undefined;
  /** Error code for malformed content. */
  code: ErrorCode;
}

/** True when the tensor's data is in an external file (`data_location = EXTERNAL`). */
export function isExternal(t: onnx.ITensorProto): boolean {
  return t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
}

function parseCount(value: string, key: string, tensor: string, ctx: ExternalContext): number {
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new NpuqError(ctx.code, `Tensor "${tensor}" in ${ctx.label} has external_data ${key} = "${value}"; expected a non-negative integer`, { file: ctx.file });
  }
  return Number(value);
}

function isInside(dir: string, p: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Parses and checks a tensor's `external_data` entries; throws naming tensor and file. */
export function externalRef(t: onnx.ITensorProto, ctx: ExternalContext): ExternalRef {
  const name = t.name ?? '';
  const entries = new Map<string, string>();
  for (const e of t.externalData ?? []) entries.set(e.key ?? '', e.value ?? '');
  const location = entries.get('location');
  if (location === undefined || location === '') {
    throw new NpuqError(ctx.code, `Tensor "${name}" in ${ctx.label} is marked EXTERNAL but its external_data has no "location"`, { file: ctx.file });
  }
  if (ctx.baseDir === undefined) {
    throw new NpuqError('INVALID_ARGUMENT',
      `Tensor "${name}" in ${ctx.label} stores its data in the external file "${location}"; the model was given as a buffer, so pass options.baseDir (the directory of the model) to load it`,
      { file: ctx.file });
  }
  const base = path.resolve(ctx.baseDir);
  const escapes = () => new NpuqError(ctx.code,
    `Tensor "${name}" in ${ctx.label} has external data location "${location}", which points outside the model's directory "${base}"; external data files must be inside it`,
    { file: ctx.file });
  if (location.includes('\0') || path.isAbsolute(location) || path.win32.isAbsolute(location)) throw escapes();
  const file = path.resolve(base, location);
  if (!isInside(base, file)) throw escapes();
  // Symbolic links may also lead outside the directory.
  try {
    if (!isInside(fs.realpathSync(base), fs.realpathSync(file))) throw escapes();
  } catch (err) {
    if (err instanceof NpuqError) throw err;
    // A missing file is reported when it is read.
  }
  const offset = entries.has('offset') ? parseCount(entries.get('offset') as string, 'offset', name, ctx) : 0;
  const length = entries.has('length') ? parseCount(entries.get('length') as string, 'length', name, ctx) : undefined;
  return { file, location, offset, length };
}

function rangeOf(ref: ExternalRef, size: number, tensor: string, ctx: ExternalContext): number {
  const length = ref.length ?? Math.max(0, size - ref.offset);
  if (ref.offset + length > size) {
    throw new NpuqError(ctx.code,
      `Tensor "${tensor}" in ${ctx.label} needs bytes ${ref.offset}..${ref.offset + length} of "${ref.location}", but that file has only ${size} bytes (truncated?)`,
      { file: ctx.file });
  }
  return length;
}

function openError(err: unknown, ref: ExternalRef, tensor: string, ctx: ExternalContext): NpuqError {
  const e = err as NodeJS.ErrnoException;
  const missing = e?.code === 'ENOENT' || e?.code === 'ENOTDIR';
  return new NpuqError(missing ? 'FILE_NOT_FOUND' : 'FILE_READ',
    `Tensor "${tensor}" in ${ctx.label} stores its data in "${ref.location}", which ${missing ? 'does not exist' : `cannot be read (${e?.message ?? String(err)})`} (looked for ${ref.file})`,
    { file: ref.file, cause: err });
}

/** Reads a tensor's external bytes synchronously. */
export function readExternalSync(t: onnx.ITensorProto, ctx: ExternalContext): Uint8Array {
  const ref = externalRef(t, ctx);
  let fd: number;
  try {
    fd = fs.openSync(ref.file, 'r');
  } catch (err) {
    throw openError(err, ref, t.name ?? '', ctx);
  }
  try {
    const length = rangeOf(ref, fs.fstatSync(fd).size, t.name ?? '', ctx);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, Math.min(length - done, 1 << 30), ref.offset + done);
      if (n === 0) throw openError(new Error('unexpected end of file'), ref, t.name ?? '', ctx);
      done += n;
    }
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a tensor's external bytes asynchronously. */
export async function readExternal(t: onnx.ITensorProto, ctx: ExternalContext): Promise<Uint8Array> {
  const ref = externalRef(t, ctx);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(ref.file, 'r');
  } catch (err) {
    throw openError(err, ref, t.name ?? '', ctx);
  }
  try {
    const length = rangeOf(ref, (await fh.stat()).size, t.name ?? '', ctx);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(out, done, Math.min(length - done, 1 << 30), ref.offset + done);
      if (bytesRead === 0) throw openError(new Error('unexpected end of file'), ref, t.name ?? '', ctx);
      done += bytesRead;
    }
    return out;
  } finally {
    await fh.close();
  }
}
