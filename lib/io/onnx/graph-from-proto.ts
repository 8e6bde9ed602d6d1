/**
 * ModelProto -> Model: converts and validates what the rest of npuquant relies on (unique value
 * producers, named inputs/outputs/initializers, at least one output, supported opset), turns
 * Constant nodes into initializers, names unnamed nodes and sorts the nodes topologically.
 */
import { onnx } from 'onnx-proto';
import { NpuqError } from '../../errors';
import { Graph, Model, Node } from '../../ir/graph';
import { attributeFromProto, constantValue, valueInfoFromProto } from './attributes';
import { LongLike, longToNumber } from './int64';
import { protoToTensor, TensorContext } from './tensor-proto';

/** Lowest ai.onnx opset npuquant loads. */
export const MIN_OPSET = 7;

/** '' and 'ai.onnx' both name the default operator domain; npuquant uses ''. */
export function normalizeDomain(domain: string | null | undefined): string {
  return !domain || domain === 'ai.onnx' ? '' : domain;
}

function fail(ctx: TensorContext, message: string): NpuqError {
  return new NpuqError(ctx.code, `${ctx.label}: ${message}`, { file: ctx.file });
}

function readOpsets(m: onnx.IModelProto, ctx: TensorContext): Map<string, number> {
  const opsets = new Map<string, number>();
  for (const o of m.opsetImport ?? []) {
    const domain = normalizeDomain(o.domain);
    const version = longToNumber(o.version as LongLike);
    if (opsets.has(domain)) throw fail(ctx, `opset_import lists the domain "${domain || 'ai.onnx'}" twice`);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw fail(ctx, `opset_import gives the domain "${domain || 'ai.onnx'}" version ${version}; expected a positive integer`);
    }
    opsets.set(domain, version);
  }
  return opsets;
}

function checkDefaultOpset(opsets: Map<string, number>, usesDefault: boolean, irVersion: number, ctx: TensorContext): void {
  const v = opsets.get('');
  const advice = 'npuquant supports opset 7 and newer; convert with onnx.version_converter';
  if (v === undefined) {
    if (!usesDefault) return;
    if (irVersion < 3) {
      throw new NpuqError('UNSUPPORTED', `${ctx.label} has IR version ${irVersion}, which predates opset imports (opset 1); ${advice}`, { file: ctx.file });
    }
    throw fail(ctx, 'nodes use the default (ai.onnx) domain but opset_import has no entry for it');
  }
  if (v < MIN_OPSET) {
    throw new NpuqError('UNSUPPORTED', `${ctx.label} uses ai.onnx opset ${v}; ${advice}`, { file: ctx.file });
  }
}

/** Gives every node a unique name: unnamed ones `<OpType>_<index in the file>`, repeats `<name>_<k>`. */
function nodeNamer(protos: readonly onnx.INodeProto[]): (n: onnx.INodeProto, index: number) => string {
  const explicit = new Set<string>();
  for (const n of protos) if (n.name) explicit.add(n.name);
  const used = new Set<string>();
  return (n, index) => {
    const wanted = n.name || `${n.opType || 'Node'}_${index}`;
    let name = wanted;
    // A generated name must not take a name that a later node has explicitly.
    for (let k = 1; used.has(name) || (!n.name && explicit.has(name)); k++) name = `${wanted}_${k}`;
    used.add(name);
    return name;
  };
}

function graphFromProto(gp: onnx.IGraphProto, opsets: Map<string, number>, ctx: TensorContext): Graph {
  const g = new Graph();
  g.name = gp.name || 'graph';
  g.opsets = opsets;
  if (gp.sparseInitializer?.length) {
    throw new NpuqError('UNSUPPORTED', `${ctx.label} has sparse initializers (${gp.sparseInitializer.length}), which npuquant does not handle; densify them first`, { file: ctx.file });
  }
  (gp.initializer ?? []).forEach((t, i) => {
    if (!t.name) throw fail(ctx, `initializer #${i} has no name`);
    if (g.initializers.has(t.name)) throw fail(ctx, `two initializers are named "${t.name}"`);
    g.initializers.set(t.name, protoToTensor(t, ctx, `Initializer "${t.name}"`));
  });

  const inputNames = new Set<string>();
  (gp.input ?? []).forEach((v, i) => {
    if (!v.name) throw fail(ctx, `graph input #${i} has no name`);
    if (inputNames.has(v.name)) throw fail(ctx, `two graph inputs are named "${v.name}"`);
    inputNames.add(v.name);
    // Initializers listed as inputs (required before IR 4, overridable defaults after) are constants here.
    if (g.initializers.has(v.name)) return;
    const vi = valueInfoFromProto(v, 'Graph input', ctx);
    g.inputs.push(vi);
    g.valueInfo.set(vi.name, { ...vi, shape: vi.shape?.slice() });
  });

  if (!gp.output?.length) throw fail(ctx, 'the graph has no outputs');
  gp.output.forEach((v, i) => {
    if (!v.name) throw fail(ctx, `graph output #${i} has no name`);
    if (g.outputs.some((o) => o.name === v.name)) throw fail(ctx, `two graph outputs are named "${v.name}"`);
    const vi = valueInfoFromProto(v, 'Graph output', ctx);
    g.outputs.push(vi);
    g.valueInfo.set(vi.name, { ...vi, shape: vi.shape?.slice() });
  });

  for (const v of gp.valueInfo ?? []) {
    if (!v.name) throw fail(ctx, 'a value_info entry has no name');
    if (g.valueInfo.has(v.name) || g.initializers.has(v.name)) continue;
    g.valueInfo.set(v.name, valueInfoFromProto(v, 'Value', ctx));
  }

  const producer = new Map<string, string>();
  for (const v of g.inputs) producer.set(v.name, 'a graph input');
  for (const k of g.initializers.keys()) producer.set(k, 'an initializer');
  const protos = gp.node ?? [];
  const nameOf = nodeNamer(protos);
  protos.forEach((np, index) => {
    if (!np.opType) throw fail(ctx, `node #${index}${np.name ? ` "${np.name}"` : ''} has no op_type`);
    const domain = normalizeDomain(np.domain);
    const isConstant = np.opType === 'Constant' && domain === '';
    const name = isConstant ? np.name || `Constant_${index}` : nameOf(np, index);
    const where = `${np.opType} node "${name}"`;
    const outputs = (np.output ?? []).slice();
    for (const o of outputs) {
      if (o === '') continue;
      const prev = producer.get(o);
      if (prev !== undefined) throw fail(ctx, `value "${o}" is produced by ${prev} and again by ${where}; every value must have one producer`);
      producer.set(o, where);
    }
    if (isConstant) {
      if (outputs.length !== 1 || outputs[0] === '') throw fail(ctx, `${where} must have exactly one named output`);
      g.initializers.set(outputs[0], constantValue(np, where, ctx));
      return;
    }
    const node = new Node(name, np.opType, (np.input ?? []).slice(), outputs, domain);
    for (const a of np.attribute ?? []) {
      if (!a.name) throw fail(ctx, `${where} has an attribute without a name`);
      if (node.attrs.has(a.name)) throw fail(ctx, `${where} has two attributes named "${a.name}"`);
      node.attrs.set(a.name, attributeFromProto(a, where, ctx));
    }
    g.nodes.push(node);
  });

  // Constant outputs became initializers: their tensors say everything value_info did.
  const io = new Set([...g.inputs, ...g.outputs].map((v) => v.name));
  for (const k of [...g.valueInfo.keys()]) if (g.initializers.has(k) && !io.has(k)) g.valueInfo.delete(k);

  for (const o of g.outputs) {
    if (!producer.has(o.name)) throw fail(ctx, `graph output "${o.name}" is not produced by any node, graph input or initializer`);
  }
  try {
    g.sortTopologically();
  } catch (err) {
    if (err instanceof NpuqError) throw new NpuqError(err.code, `${ctx.label}: ${err.message}`, { file: ctx.file, cause: err });
    throw err;
  }
  return g;
}

function checkFunctions(m: onnx.IModelProto, ctx: TensorContext): void {
  const fns = new Set((m.functions ?? []).map((f) => `${normalizeDomain(f.domain)}::${f.name}`));
  if (fns.size === 0) return;
  for (const n of m.graph?.node ?? []) {
    if (fns.has(`${normalizeDomain(n.domain)}::${n.opType}`)) {
      throw new NpuqError('UNSUPPORTED',
        `${ctx.label}: node "${n.name}" calls the model-local function ${n.domain ? `${n.domain}.` : ''}${n.opType}; npuquant does not handle model-local functions (inline them with onnx.inliner first)`,
        { file: ctx.file });
    }
  }
}

/** Converts and validates a decoded ModelProto. Errors name `ctx.label` and set `file`. */
export function modelFromProto(m: onnx.IModelProto, ctx: TensorContext): Model {
  if (!m.graph) throw fail(ctx, 'the file contains no graph; it is not an ONNX model, or it is truncated');
  const irVersion = longToNumber(m.irVersion as LongLike);
  if (!(irVersion > 0)) throw fail(ctx, 'the model has no ir_version; it is not an ONNX model, or it is corrupt');
  const opsets = readOpsets(m, ctx);
  const usesDefault = (m.graph.node ?? []).some((n) => normalizeDomain(n.domain) === '');
  checkDefaultOpset(opsets, usesDefault, irVersion, ctx);
  checkFunctions(m, ctx);
  const model = new Model(graphFromProto(m.graph, opsets, ctx));
  model.irVersion = irVersion;
  model.producerName = m.producerName ?? '';
  model.producerVersion = m.producerVersion ?? '';
  model.domain = m.domain ?? '';
  model.modelVersion = longToNumber(m.modelVersion as LongLike);
  model.docString = m.docString ?? '';
  for (const e of m.metadataProps ?? []) model.metadata.set(e.key ?? '', e.value ?? '');
  if (ctx.file !== undefined) model.path = ctx.file;
  return model;
}

/**
 * The TensorProtos of a model whose data is external: initializers and tensor attributes of the
 * main graph's nodes (subgraphs are not converted, so their tensors are not read).
 */
export function externalTensors(m: onnx.IModelProto): onnx.ITensorProto[] {
  const out: onnx.ITensorProto[] = [];
  const ext = (t: onnx.ITensorProto | null | undefined) => {
    if (t && t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) out.push(t);
  };
  for (const t of m.graph?.initializer ?? []) ext(t);
  for (const n of m.graph?.node ?? []) for (const a of n.attribute ?? []) ext(a.t);
  return out;
}
