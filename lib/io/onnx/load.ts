/**
 * Loading ONNX models: file or buffer -> ModelProto (protobuf) -> Model (lib/ir). Every failure is
 * an NpuqError: FILE_NOT_FOUND / FILE_READ for the file system, INVALID_MODEL for corrupt,
 * truncated, empty or non-ONNX content, UNSUPPORTED for valid ONNX npuquant does not handle.
 */
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { NpuqError } from '../../errors';
import { Model } from '../../ir/graph';
import { describeValue } from '../bytes';
import { expectPath, readFileChecked, readFileSyncChecked } from '../files';
import { readExternal } from './external-data';
import { externalTensors, modelFromProto } from './graph-from-proto';
import { TensorContext } from './tensor-proto';

/** Protobuf cannot hold messages of 2 GiB or more. */
export const MAX_PROTO_BYTES = 2 ** 31 - 1;
const TOO_LARGE = "protobuf's 2 GiB limit; save the weights as external data (onnx.save_model(..., save_as_external_data=True), or npuquant's saveModel with externalDataThreshold)";

/** Options of {@link loadModel} and {@link loadModelSync}. */
export interface LoadOptions {
  /**
   * Directory that external-data `location`s are relative to. Default: the directory of the model
   * file; for a model given as a buffer there is none, and a model with external data then fails
   * with INVALID_ARGUMENT.
   */
  baseDir?: string;
  /** How error messages name a model given as a buffer. Default: `the model buffer`. */
  name?: string;
}

function contextFor(pathOrBuffer: unknown, options: LoadOptions | undefined): TensorContext {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected an options object for loadModel but received ${describeValue(options)}`);
  }
  if (options?.baseDir !== undefined) expectPath(options.baseDir, 'options.baseDir of loadModel');
  if (options?.name !== undefined && typeof options.name !== 'string') {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a string for options.name of loadModel but received ${describeValue(options.name)}`);
  }
  if (typeof pathOrBuffer === 'string') {
    expectPath(pathOrBuffer, 'the model path of loadModel');
    return { file: pathOrBuffer, label: `"${pathOrBuffer}"`, baseDir: options?.baseDir ?? path.dirname(path.resolve(pathOrBuffer)), code: 'INVALID_MODEL' };
  }
  if (pathOrBuffer instanceof Uint8Array) {
    return { file: undefined, label: options?.name ?? 'the model buffer', baseDir: options?.baseDir, code: 'INVALID_MODEL' };
  }
  throw new NpuqError('INVALID_ARGUMENT', `Expected a file path or a Uint8Array for the model of loadModel but received ${describeValue(pathOrBuffer)}`);
}

/** Recognises common files that are not ONNX models, to say what they are. */
function notOnnx(bytes: Uint8Array): string | undefined {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 512));
  const latin1 = head.toString('latin1');
  if (latin1.startsWith('version https://git-lfs')) return 'is a Git LFS pointer file, not the model itself; fetch the model with "git lfs pull"';
  if (latin1.startsWith('\x93NUMPY')) return 'is a NumPy .npy file, not an ONNX model';
  if (latin1.startsWith('PK\x03\x04')) return 'is a ZIP archive (a PyTorch checkpoint?), not an ONNX model';
  if (latin1.startsWith('\x89HDF')) return 'is an HDF5 file (a Keras model?), not an ONNX model';
  let text = true;
  for (const b of head) {
    if (b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) { text = false; break; }
  }
  if (text) {
    const first = head.toString('utf8').split(/\r?\n/)[0].slice(0, 60);
    return `is a text file (it starts with ${JSON.stringify(first)}), not a binary ONNX model`;
  }
  return undefined;
}

/** Decodes the bytes of a ModelProto; INVALID_MODEL / UNSUPPORTED naming the source. */
function decode(bytes: Uint8Array, ctx: TensorContext): onnx.ModelProto {
  const fail = (why: string, cause?: unknown) => new NpuqError('INVALID_MODEL', `${ctx.label} ${why}`, { file: ctx.file, cause });
  if (bytes.length === 0) throw fail('is empty (0 bytes); it is not an ONNX model');
  if (bytes.length > MAX_PROTO_BYTES) {
    throw new NpuqError('UNSUPPORTED', `${ctx.label} is ${bytes.length} bytes, larger than ${TOO_LARGE}`, { file: ctx.file });
  }
  const what = notOnnx(bytes);
  if (what !== undefined) throw fail(what);
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw fail(`is not a valid ONNX model: its protobuf data is corrupt or truncated (${(err as Error)?.message ?? String(err)})`, err);
  }
}

/** Adds the model label to errors that escaped without naming it (should not happen; a safety net). */
function guard<T>(ctx: TensorContext, f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof NpuqError) throw err;
    throw new NpuqError('INVALID_MODEL', `${ctx.label} could not be converted: ${(err as Error)?.message ?? String(err)}`, { file: ctx.file, cause: err });
  }
}

/**
 * Loads an ONNX model. Constant nodes become initializers; graph inputs that have an initializer
 * are treated as constants (not listed in `graph.inputs`); unnamed nodes get unique names
 * (`<OpType>_<index in the file>`) and repeated names a `_<k>` suffix; the domain `ai.onnx` is
 * stored as `''`; nodes are sorted topologically. Subgraph, sparse-tensor and type-proto
 * attributes load as `{ kind: 'unsupported' }`. External data is read relative to the model's
 * directory (or `options.baseDir`).
 *
 * Errors (NpuqError): FILE_NOT_FOUND, FILE_READ; INVALID_MODEL (with `file` set, message naming
 * the file) for empty, truncated, corrupt or non-ONNX content and for graphs that break the rules
 * npuquant relies on; UNSUPPORTED for opset < 7, files over 2 GiB, and content npuquant does not
 * handle (non-tensor values, complex/float8/int4 data, sparse tensors, model-local functions).
 *
 * @param pathOrBuffer - Path of a `.onnx` file, or the serialized model.
 * @param options - See {@link LoadOptions}; default `{}`.
 */
export async function loadModel(pathOrBuffer: string | Uint8Array, options?: LoadOptions): Promise<Model> {
  const ctx = contextFor(pathOrBuffer, options);
  const bytes = typeof pathOrBuffer === 'string'
    ? await readFileChecked(pathOrBuffer, 'ONNX model', MAX_PROTO_BYTES, TOO_LARGE)
    : pathOrBuffer;
  const proto = decode(bytes, ctx);
  const ext = externalTensors(proto);
  if (ext.length > 0 && ctx.baseDir !== undefined) {
    ctx.external = new Map();
    for (const t of ext) ctx.external.set(t, await readExternal(t, ctx));
  }
  return guard(ctx, () => modelFromProto(proto, ctx));
}

/**
 * Synchronous {@link loadModel}: same arguments, result and errors.
 *
 * @param pathOrBuffer - Path of a `.onnx` file, or the serialized model.
 * @param options - See {@link LoadOptions}; default `{}`.
 */
export function loadModelSync(pathOrBuffer: string | Uint8Array, options?: LoadOptions): Model {
  const ctx = contextFor(pathOrBuffer, options);
  const bytes = typeof pathOrBuffer === 'string'
    ? readFileSyncChecked(pathOrBuffer, 'ONNX model', MAX_PROTO_BYTES, TOO_LARGE)
    : pathOrBuffer;
  const proto = decode(bytes, ctx);
  return guard(ctx, () => modelFromProto(proto, ctx));
}
