/**
 * Saving models: Model -> ModelProto -> bytes, with initializers in raw_data, optionally moved to
 * an external data file so that models over protobuf's 2 GiB limit can be written.
 */
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { NpuqError } from '../../errors';
import { Graph, Model } from '../../ir/graph';
import { ONNX_DTYPE_CODE, Tensor } from '../../ir/tensor';
import { describeValue, storageToBytes } from '../bytes';
import { expectPath, writeFileAtomic, writeFileAtomicSync } from '../files';
import { attributeToProto, valueInfoToProto } from './attributes';
import { numberToLong } from './int64';
import { MAX_PROTO_BYTES } from './load';
import { tensorByteLength, tensorToProto } from './tensor-proto';

/** Options of {@link saveModel} and {@link saveModelSync}. */
export interface SaveOptions {
  /**
   * Initializers whose data is larger than this many bytes are written to an external data file
   * next to the model instead of into it. Default: undefined — everything inline, and a model
   * whose tensors exceed protobuf's 2 GiB limit fails with UNSUPPORTED.
   */
  externalDataThreshold?: number;
  /**
   * File name of the external data (used only with `externalDataThreshold`), relative to the
   * model's directory. Default: the model's file name with its extension replaced by `.data`
   * (`model.onnx` → `model.data`).
   */
  externalDataFile?: string;
}

/** Offsets of tensors in the external data file are multiples of this. */
const EXTERNAL_ALIGN = 64;

type Externalize = (name: string, t: Tensor) => onnx.ITensorProto | undefined;

/** One graph as a GraphProto; `irVersion` < 4 also lists initializers among the inputs, as those IR versions require. */
function graphToProto(g: Graph, irVersion: number, externalize?: Externalize): onnx.IGraphProto {
  const sub = (s: Graph) => graphToProto(s, irVersion);
  const nodes: onnx.INodeProto[] = g.nodes.map((n) => {
    const p: onnx.INodeProto = { name: n.name, opType: n.opType, input: n.inputs.slice(), output: n.outputs.slice() };
    if (n.domain) p.domain = n.domain;
    if (n.attrs.size > 0) p.attribute = [...n.attrs].map(([k, a]) => attributeToProto(k, a, n.describe(), sub));
    return p;
  });
  const initializer = [...g.initializers].map(([name, t]) => externalize?.(name, t) ?? tensorToProto(name, t));
  const input = g.inputs.map(valueInfoToProto);
  if (irVersion < 4) {
    for (const [name, t] of g.initializers) input.push(valueInfoToProto({ name, dtype: t.dtype, shape: t.shape.slice() }));
  }
  const io = new Set([...g.inputs, ...g.outputs].map((v) => v.name));
  const valueInfo = [...g.valueInfo.values()]
    .filter((v) => !io.has(v.name) && !g.initializers.has(v.name))
    .map(valueInfoToProto);
  return { name: g.name, node: nodes, initializer, input, output: g.outputs.map(valueInfoToProto), valueInfo };
}

function modelToProto(model: Model, externalize?: Externalize): onnx.IModelProto {
  if (!(model instanceof Model)) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a Model for the model to save but received ${describeValue(model)}`);
  }
  const opsetImport = [...model.graph.opsets].map(([domain, version]) => ({ domain, version: numberToLong(version) as unknown as number }));
  const p: onnx.IModelProto = {
    irVersion: numberToLong(model.irVersion) as unknown as number,
    opsetImport,
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    domain: model.domain,
    modelVersion: numberToLong(model.modelVersion) as unknown as number,
    docString: model.docString,
    graph: graphToProto(model.graph, model.irVersion, externalize),
  };
  if (model.metadata.size > 0) p.metadataProps = [...model.metadata].map(([key, value]) => ({ key, value }));
  return p;
}

/** Bytes of the tensors written inline (initializers not externalized and tensor attributes). */
function inlineBytes(model: Model, isExternal: (t: Tensor) => boolean): number {
  let n = 0;
  const visit = (g: Graph) => {
    for (const t of g.initializers.values()) if (!isExternal(t)) n += tensorByteLength(t);
    for (const node of g.nodes) {
      for (const a of node.attrs.values()) {
        if (a.kind === 'tensor') n += tensorByteLength(a.value);
        else if (a.kind === 'graph') visit(a.value);
      }
    }
  };
  visit(model.graph);
  return n;
}

function encode(proto: onnx.IModelProto, inline: number, what: string): Uint8Array {
  if (inline > MAX_PROTO_BYTES) {
    throw new NpuqError('UNSUPPORTED',
      `Cannot save ${what}: its tensors hold ${inline} bytes, more than protobuf's 2 GiB limit; pass externalDataThreshold (e.g. 1024) to write large tensors to an external data file`);
  }
  const bytes = onnx.ModelProto.encode(proto).finish();
  if (bytes.length > MAX_PROTO_BYTES) {
    throw new NpuqError('UNSUPPORTED', `Cannot save ${what}: it serializes to ${bytes.length} bytes, more than protobuf's 2 GiB limit; pass externalDataThreshold to move tensors out`);
  }
  return bytes;
}

/**
 * Serializes a model to ONNX bytes with every tensor inline (raw_data; string tensors in
 * string_data). Throws UNSUPPORTED when the result would exceed protobuf's 2 GiB limit (use
 * {@link saveModel} with `externalDataThreshold`) or when a node has an attribute whose content
 * was not kept at load time (subgraphs, sparse tensors, type protos).
 *
 * @param model - The model to serialize.
 */
export function serializeModel(model: Model): Uint8Array {
  const proto = modelToProto(model);
  return encode(proto, inlineBytes(model, () => false), 'the model');
}

interface Prepared {
  model: Uint8Array;
  /** Parts of the external data file, or undefined when no tensor went there. */
  data?: { file: string; parts: Uint8Array[] };
}

function prepare(model: Model, file: string, options: SaveOptions | undefined): Prepared {
  expectPath(file, 'the output path of saveModel');
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected an options object for saveModel but received ${describeValue(options)}`);
  }
  const threshold = options?.externalDataThreshold;
  if (threshold === undefined) return { model: serializeModel(model) };
  if (typeof threshold !== 'number' || !(threshold >= 0)) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a non-negative number of bytes for options.externalDataThreshold of saveModel but received ${describeValue(threshold)}`);
  }
  const location = options?.externalDataFile ?? `${path.basename(file, path.extname(file))}.data`;
  expectPath(location, 'options.externalDataFile of saveModel');
  const norm = path.posix.normalize(location.replace(/\\/g, '/'));
  if (path.isAbsolute(location) || path.win32.isAbsolute(location) || norm.startsWith('../') || norm === '..' || norm.includes('\0')) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected a file name inside the model's directory for options.externalDataFile of saveModel but received "${location}"`);
  }
  const dataFile = path.resolve(path.dirname(path.resolve(file)), norm);
  if (dataFile === path.resolve(file)) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected an external data file other than the model itself for options.externalDataFile of saveModel but received "${location}"`);
  }
  const big = (t: Tensor) => !Array.isArray(t.data) && t.data.byteLength > threshold;
  // A directory named in externalDataFile is created when the file is written.
  const parts: Uint8Array[] = [];
  let offset = 0;
  const externalize: Externalize = (name, t) => {
    if (!big(t) || Array.isArray(t.data)) return undefined;
    const pad = (EXTERNAL_ALIGN - (offset % EXTERNAL_ALIGN)) % EXTERNAL_ALIGN;
    if (pad > 0) parts.push(new Uint8Array(pad));
    offset += pad;
    const bytes = storageToBytes(t.data, true);
    parts.push(bytes);
    const entry: onnx.ITensorProto = {
      name,
      dims: t.shape.slice(),
      dataType: ONNX_DTYPE_CODE[t.dtype],
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: norm },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.length) },
      ],
    };
    offset += bytes.length;
    return entry;
  };
  const proto = modelToProto(model, externalize);
  const bytes = encode(proto, inlineBytes(model, big), `"${file}"`);
  return { model: bytes, data: parts.length > 0 ? { file: dataFile, parts } : undefined };
}

/**
 * Saves a model as an ONNX file (written to a temporary file and renamed, so readers never see a
 * partial file). With `externalDataThreshold`, initializers larger than the threshold go to one
 * external data file next to the model (see {@link SaveOptions}); this is how models over 2 GiB
 * are saved. The model object is not modified.
 *
 * Errors: INVALID_ARGUMENT for bad arguments, UNSUPPORTED as for {@link serializeModel},
 * FILE_WRITE when a file cannot be written.
 *
 * @param model - The model to save.
 * @param file - Path of the `.onnx` file to write.
 * @param options - See {@link SaveOptions}; default `{}` (everything inline).
 */
export async function saveModel(model: Model, file: string, options?: SaveOptions): Promise<void> {
  const p = prepare(model, file, options);
  if (p.data) {
    await fs.promises.mkdir(path.dirname(p.data.file), { recursive: true }).catch(() => undefined);
    await writeFileAtomic(p.data.file, p.data.parts);
  }
  await writeFileAtomic(file, p.model);
}

/**
 * Synchronous {@link saveModel}: same arguments and errors.
 *
 * @param model - The model to save.
 * @param file - Path of the `.onnx` file to write.
 * @param options - See {@link SaveOptions}; default `{}` (everything inline).
 */
export function saveModelSync(model: Model, file: string, options?: SaveOptions): void {
  const p = prepare(model, file, options);
  if (p.data) {
    try { fs.mkdirSync(path.dirname(p.data.file), { recursive: true }); } catch { /* reported by the write */ }
    writeFileAtomicSync(p.data.file, p.data.parts);
  }
  writeFileAtomicSync(file, p.model);
}
