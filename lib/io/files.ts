/**
 * Reading whole files with npuquant's error codes: a missing file is FILE_NOT_FOUND, a directory
 * or an unreadable file is FILE_READ, a file over a size limit is UNSUPPORTED.
 */
import * as fs from 'fs';
import { NpuqError } from '../errors';
import { describeValue } from './bytes';

/** Throws INVALID_ARGUMENT unless `p` is a non-empty string. */
export function expectPath(p: unknown, what: string): asserts p is string {
  if (typeof p !== 'string' || p.length === 0) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a non-empty path string for ${what} but received ${describeValue(p)}`);
  }
}

function ioError(err: unknown, file: string, what: string): NpuqError {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT' || e?.code === 'ENOTDIR') {
    return new NpuqError('FILE_NOT_FOUND', `${what} "${file}" does not exist`, { file, cause: err });
  }
  return new NpuqError('FILE_READ', `Cannot read ${what} "${file}": ${e?.message ?? String(err)}`, { file, cause: err });
}

function checkStat(st: fs.Stats, file: string, what: string, limit: number | undefined, limitHint: string): void {
  if (st.isDirectory()) {
    throw new NpuqError('FILE_READ', `${what} "${file}" is a directory, not a file`, { file });
  }
  if (!st.isFile()) {
    // Devices and FIFOs have no size and may never end (/dev/zero): refuse rather than hang.
    throw new NpuqError('FILE_READ', `${what} "${file}" is not a regular file (a device, FIFO or socket)`, { file });
  }
  if (limit !== undefined && st.size > limit) {
    throw new NpuqError('UNSUPPORTED', `${what} "${file}" is ${st.size} bytes, larger than ${limitHint}`, { file });
  }
}

/**
 * Reads a whole file. `limit` (bytes; default: none) rejects larger files with UNSUPPORTED and the
 * message `… larger than ${limitHint}`.
 */
export function readFileSyncChecked(file: string, what: string, limit?: number, limitHint = `${limit} bytes`): Buffer {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    throw ioError(err, file, what);
  }
  checkStat(st, file, what, limit, limitHint);
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw ioError(err, file, what);
  }
}

/** Asynchronous {@link readFileSyncChecked}. */
export async function readFileChecked(file: string, what: string, limit?: number, limitHint = `${limit} bytes`): Promise<Buffer> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(file);
  } catch (err) {
    throw ioError(err, file, what);
  }
  checkStat(st, file, what, limit, limitHint);
  try {
    return await fs.promises.readFile(file);
  } catch (err) {
    throw ioError(err, file, what);
  }
}

let tempCounter = 0;
function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${++tempCounter}`;
}

/** Writes `data` to `file` through a temporary file and a rename, so readers never see half a file. */
export function writeFileAtomicSync(file: string, data: Uint8Array | readonly Uint8Array[]): void {
  const tmp = tempName(file);
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      const parts = data instanceof Uint8Array ? [data] : data;
      for (const p of parts) writeAllSync(fd, p);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* ignore */ }
    const e = err as NodeJS.ErrnoException;
    throw new NpuqError('FILE_WRITE', `Cannot write "${file}": ${e?.message ?? String(err)}`, { file, cause: err });
  }
}

/** Writes all of `bytes` to an open file descriptor at its current position. */
export function writeAllSync(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    // Chunks of at most 1 GiB: writeSync rejects buffers over 2 GiB on some platforms.
    off += fs.writeSync(fd, bytes, off, Math.min(bytes.length - off, 1 << 30));
  }
}

/** Asynchronous {@link writeFileAtomicSync}. */
export async function writeFileAtomic(file: string, data: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const tmp = tempName(file);
  try {
    const fh = await fs.promises.open(tmp, 'w');
    try {
      for (const p of data instanceof Uint8Array ? [data] : data) {
        for (let off = 0; off < p.length;) {
          const { bytesWritten } = await fh.write(p, off, Math.min(p.length - off, 1 << 30));
          off += bytesWritten;
        }
      }
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    throw new NpuqError('FILE_WRITE', `Cannot write "${file}": ${e?.message ?? String(err)}`, { file, cause: err });
  }
}
