/**
 * Type/shape inference and constant folding over a whole graph: walks the (topologically sorted)
 * nodes from the graph inputs and initializers, runs each operator's `infer`, and evaluates nodes
 * whose inputs are all constant so shape subgraphs (Shape → Gather → Unsqueeze → Concat → Reshape)
 * collapse once input shapes are known.
 */
import { NpuqError } from '../errors';
import type { Dim, Graph, Node, ValueInfo } from './graph';
import { getOpDef, supportedOpTypes } from './ops/registry';
import type { InferInput, OpContext, ValueType } from './ops/types';
import { fmtShape, isConcrete, numel } from './ops/util';
import { runSteps, type Steps } from './steps';
import { Tensor } from './tensor';

/** Options of {@link inferGraph}. */
export interface InferOptions {
  /** Concrete shapes of graph inputs, overriding their declared shapes. Default: the declared shapes. */
  inputShapes?: Map<string, number[]>;
  /** Values of graph inputs known at compile time; they become constants. Default: none. */
  inputValues?: Map<string, Tensor>;
  /** Largest element count of a node output that is folded into a constant. Default: 1 << 20. */
  foldLimit?: number;
}

/** What {@link inferGraph} found. */
export interface InferResult {
  /** Type and shape of every value: graph inputs, initializers and node outputs. */
  types: Map<string, ValueType>;
  /** Values known at compile time: initializers, `inputValues` and folded node outputs. */
  constants: Map<string, Tensor>;
}

/** An operator type npuquant does not support, with the names of the nodes using it. */
export interface UnsupportedOp {
  opType: string;
  domain: string;
  nodes: string[];
}

/** Lists every unsupported operator type of the graph, in order of first use. */
export function findUnsupportedOps(graph: Graph): UnsupportedOp[] {
  const found = new Map<string, UnsupportedOp>();
  for (const n of graph.nodes) {
    if (getOpDef(n.opType, n.domain) !== undefined) continue;
    const key = `${n.domain}\u0000${n.opType}`;
    let e = found.get(key);
    if (!e) found.set(key, (e = { opType: n.opType, domain: n.domain, nodes: [] }));
    e.nodes.push(n.name);
  }
  return [...found.values()];
}

function checkInputShape(info: ValueInfo, given: readonly number[]): void {
  const declared = info.shape;
  if (declared === undefined) return;
  const ok = declared.length === given.length && declared.every((d, i) => typeof d !== 'number' || d === given[i]);
  if (!ok) {
    const hint = declared.length !== given.length
      ? `a shape of rank ${declared.length}`
      : `a shape matching the fixed dims (${declared.map((d, i) => (typeof d === 'number' ? `dim ${i} = ${d}` : '')).filter(Boolean).join(', ')})`;
    throw new NpuqError('SHAPE_MISMATCH', `Expected input "${info.name}" of shape ${fmtShape(declared)} but received [${given.join(',')}]; pass ${hint}`);
  }
}

function graphInputTypes(graph: Graph, options: InferOptions, types: Map<string, ValueType>, constants: Map<string, Tensor>): void {
  const names = new Set(graph.inputs.map((i) => i.name));
  const list = graph.inputs.map((i) => `"${i.name}"`).join(', ') || '(none)';
  for (const [what, m] of [['inputShapes', options.inputShapes], ['inputValues', options.inputValues]] as const) {
    for (const k of m?.keys() ?? []) {
      if (!names.has(k)) throw new NpuqError('INVALID_ARGUMENT', `Expected ${what} to name graph inputs but received "${k}"; the model's inputs are ${list}`);
    }
  }
  for (const info of graph.inputs) {
    if (info.dtype === undefined) {
      throw new NpuqError('INVALID_MODEL', `Graph input "${info.name}" has no element type; re-export the model with typed inputs`);
    }
    const value = options.inputValues?.get(info.name);
    const shape = options.inputShapes?.get(info.name);
    if (value !== undefined) {
      if (value.dtype !== info.dtype) {
        throw new NpuqError('SHAPE_MISMATCH', `Expected input "${info.name}" of dtype ${info.dtype} but received ${value.dtype}`);
      }
      checkInputShape(info, value.shape);
      if (shape !== undefined && (shape.length !== value.shape.length || shape.some((d, i) => d !== value.shape[i]))) {
        throw new NpuqError('SHAPE_MISMATCH', `inputShapes gives [${shape.join(',')}] for "${info.name}" but its value in inputValues has shape [${value.shape.join(',')}]`);
      }
      types.set(info.name, { dtype: value.dtype, shape: value.shape.slice() });
      constants.set(info.name, value);
    } else if (shape !== undefined) {
      if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
        throw new NpuqError('INVALID_ARGUMENT', `Expected non-negative integer dims in inputShapes for "${info.name}" but received [${shape.join(',')}]`);
      }
      checkInputShape(info, shape);
      types.set(info.name, { dtype: info.dtype, shape: shape.slice() });
    } else {
      types.set(info.name, { dtype: info.dtype, shape: info.shape?.slice() });
    }
  }
}

/** Fills unknown parts of an inferred shape from a declared value_info (symbolic dims only). */
function mergeDeclared(t: ValueType, declared: ValueInfo | undefined): ValueType {
  if (declared?.shape === undefined) return t;
  if (t.shape === undefined) return { ...t, shape: declared.shape.map((d) => (typeof d === 'string' ? d : undefined)) };
  if (t.shape.length !== declared.shape.length || t.shape.every((d) => d !== undefined)) return t;
  const shape: Dim[] = t.shape.map((d, i) => (d === undefined && typeof declared.shape?.[i] === 'string' ? declared.shape[i] : d));
  return { ...t, shape };
}

/** A constant for an output whose symbolic value is fully known. */
function symbolicConstant(t: ValueType): Tensor | undefined {
  if (t.symbolic === undefined || !isConcrete(t.shape) || !t.symbolic.every((d) => typeof d === 'number')) return undefined;
  const vals = t.symbolic as number[];
  if (numel(t.shape) !== vals.length) return undefined;
  if (t.dtype === 'int64') return new Tensor('int64', t.shape, BigInt64Array.from(vals, (v) => BigInt(v)));
  if (t.dtype === 'int32') return new Tensor('int32', t.shape, Int32Array.from(vals));
  return undefined;
}

function sameShape(a: readonly Dim[] | undefined, b: readonly number[]): boolean {
  return a === undefined || (a.length === b.length && a.every((d, i) => typeof d !== 'number' || d === b[i]));
}

/** Evaluates a node; undefined when the operator declines (UNSUPPORTED). */
function fold(node: Node, ctx: OpContext, out: ValueType[], values: (Tensor | undefined)[]): Tensor[] | undefined {
  const def = getOpDef(node.opType, node.domain);
  if (def?.evaluate === undefined) return undefined;
  let res: Tensor[];
  try {
    res = def.evaluate(ctx, values);
  } catch (e) {
    if (e instanceof NpuqError && e.code === 'UNSUPPORTED') return undefined;
    throw e;
  }
  for (let i = 0; i < node.outputs.length; i++) {
    if (!node.outputs[i]) continue;
    const r = res[i];
    if (r === undefined || r.dtype !== out[i].dtype || !sameShape(out[i].shape, r.shape)) {
      throw new Error(`Internal error: ${node.describe()} evaluated output ${i} as ${r?.dtype} ${r ? fmtShape(r.shape) : 'nothing'} but inferred ${out[i].dtype} ${fmtShape(out[i].shape)}`);
    }
  }
  return res;
}

/**
 * Infers the type and shape of every value of `graph` and folds constant subgraphs.
 * Throws NpuqError: SHAPE_MISMATCH when `inputShapes`/`inputValues` contradict the declared inputs,
 * INVALID_ARGUMENT for names that are not graph inputs, UNSUPPORTED for an unknown operator (see
 * findUnsupportedOps to list them all) and INVALID_MODEL for malformed nodes.
 */
export function inferGraph(graph: Graph, options: InferOptions = {}): InferResult {
  return runSteps(inferGraphSteps(graph, options));
}

/**
 * {@link inferGraph} as steps (one per node), for callers that run it in time slices (see
 * lib/ir/steps.ts); `runStepsSliced(inferGraphSteps(g, o))` gives the same result as inferGraph.
 */
export function* inferGraphSteps(graph: Graph, options: InferOptions = {}): Steps<InferResult> {
  const foldLimit = options.foldLimit ?? 1 << 20;
  const types = new Map<string, ValueType>();
  const constants = new Map<string, Tensor>();
  for (const [name, t] of graph.initializers) {
    types.set(name, { dtype: t.dtype, shape: t.shape.slice() });
    constants.set(name, t);
  }
  graphInputTypes(graph, options, types, constants);
  const opset = graph.opset;
  for (const node of graph.nodes) {
    const def = getOpDef(node.opType, node.domain);
    if (def === undefined) {
      const dom = node.domain && node.domain !== 'ai.onnx' ? ` of domain "${node.domain}"` : '';
      throw new NpuqError('UNSUPPORTED', `Operator ${node.opType}${dom} (node "${node.name}") is not supported; supported operators are ${supportedOpTypes().join(', ')}`);
    }
    const inputs: (InferInput | undefined)[] = node.inputs.map((name) => {
      if (!name) return undefined;
      const t = types.get(name);
      if (t === undefined) throw new NpuqError('INVALID_MODEL', `${node.describe()} reads "${name}", which no earlier node, input or initializer provides`);
      const v = constants.get(name);
      return v === undefined ? { ...t } : { ...t, value: v };
    });
    const ctx: OpContext = { node, opset, inputs };
    let out: ValueType[];
    try {
      out = def.infer(ctx);
    } catch (e) {
      if (e instanceof NpuqError) throw e;
      throw new Error(`${node.describe()}: ${(e as Error).message}`, { cause: e });
    }
    if (out.length < node.outputs.length) {
      throw new NpuqError('INVALID_MODEL', `${node.describe()} has ${node.outputs.length} outputs but ${node.opType} produces ${out.length}`);
    }
    const allConst = inputs.every((x) => x === undefined || x.value !== undefined);
    const small = out.every((t, i) => !node.outputs[i] || (numel(t.shape) ?? Infinity) <= foldLimit);
    const values = allConst && small ? fold(node, ctx, out, inputs.map((x) => x?.value)) : undefined;
    node.outputs.forEach((name, i) => {
      if (!name) return;
      if (types.has(name)) throw new NpuqError('INVALID_MODEL', `Value "${name}" is produced twice (again by ${node.describe()}); rename one of them`);
      const v = values?.[i] ?? symbolicConstant(out[i]);
      if (v !== undefined) {
        types.set(name, { dtype: v.dtype, shape: v.shape.slice() });
        constants.set(name, v);
      } else {
        types.set(name, mergeDeclared(out[i], graph.valueInfo.get(name)));
      }
    });
    yield;
  }
  return { types, constants };
}
