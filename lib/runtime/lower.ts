/**
 * Compiles a graph for concrete input shapes into the engine's plan (typings/native.d.ts): shapes
 * and constants resolved by lib/ir/infer, constant subgraphs folded away, ops lowered (lower-ops.ts),
 * Conv/Gemm + Relu/Clip fused into one engine node, and an arena memory plan.
 */
import type { NativeNode, NativePlan, NativeTensorDesc } from '../../typings/native';
import type { Graph, Node } from '../ir/graph';
import type { ValueType } from '../ir/ops/types';
import { ONNX_DTYPE_CODE, Tensor, dtypeSize, shapeSize } from '../ir/tensor';
import { NpuqError } from '../errors';
import { LOWER, VARIADIC, type LowerCtx } from './lower-ops';
import { runSteps, type Steps } from '../ir/steps';
import { inferGraphSteps } from '../ir/infer';
import { planMemorySteps, type Lifetime } from './memory-plan';

export interface CompileOptions {
  /** Concrete shape of every runtime graph input. */
  inputShapes: Map<string, number[]>;
  /** Inputs specialized by value (shape-giving inputs). */
  inputValues: Map<string, Tensor>;
  /** Values to return (default: the graph outputs). */
  outputs: string[];
  /** Fuse Relu/Clip into the preceding Conv/Gemm (default true). */
  fuse: boolean;
  /** Engine op names (from capabilities()). */
  engineOps: ReadonlySet<string>;
}

export interface CompiledOutput {
  name: string;
  /** Plan output index, or -1 when the value is a compile-time constant. */
  index: number;
  constant?: Tensor;
  dtype: string;
  shape: number[];
}

export interface CompiledPlan {
  plan: NativePlan;
  /** Graph input name for each plan input, in order. */
  feeds: string[];
  outputs: CompiledOutput[];
  /**
   * Engine tensor id of every value the plan holds, by name: graph inputs, node outputs and constants
   * (plus internal values such as "<name>::partial1"). Values folded away or fused into another node
   * (a Conv output whose Relu was fused) are absent.
   */
  tensorIds: Map<string, number>;
}

function bytesOf(t: Tensor): Uint8Array {
  const d = t.data;
  if (Array.isArray(d)) throw new NpuqError('UNSUPPORTED', 'string tensors cannot be passed to the engine');
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

export function compilePlan(graph: Graph, opts: CompileOptions): CompiledPlan {
  return runSteps(compilePlanSteps(graph, opts));
}

/**
 * {@link compilePlan} as steps (about one per node and per tensor), for callers that compile in time
 * slices so the event loop keeps turning (Session: `runStepsSliced`, lib/ir/steps.ts).
 */
export function* compilePlanSteps(graph: Graph, opts: CompileOptions): Steps<CompiledPlan> {
  const { types, constants } = yield* inferGraphSteps(graph, { inputShapes: opts.inputShapes, inputValues: opts.inputValues });
  const concrete = (name: string, who: string): number[] => {
    const t = types.get(name);
    if (!t || !t.shape || t.shape.some((d) => typeof d !== 'number')) {
      throw new NpuqError('UNSUPPORTED', `the shape of "${name}" (${who}) could not be resolved for the given input shapes`);
    }
    return t.shape as number[];
  };
  const typeOf = (name: string): ValueType => types.get(name)!;

  // Nodes needed for the requested outputs, skipping everything already folded into constants.
  const producers = graph.producers();
  const needed = new Set<Node>();
  const stack = opts.outputs.filter((o) => !constants.has(o));
  const seen = new Set<string>();
  while (stack.length) {
    const v = stack.pop()!;
    if (seen.has(v)) continue;
    seen.add(v);
    const p = producers.get(v);
    if (!p || needed.has(p)) continue;
    needed.add(p);
    for (const i of p.inputs) if (i && !constants.has(i)) stack.push(i);
  }
  const consumers = graph.consumers();
  const requested = new Set(opts.outputs);

  const tensors: NativeTensorDesc[] = [];
  const ids = new Map<string, number>();
  const feeds: string[] = [];
  const newTensor = (name: string, t: ValueType, shape: number[], data?: Tensor): number => {
    const code = ONNX_DTYPE_CODE[t.dtype];
    if (t.dtype === 'string' || t.dtype === 'bfloat16') throw new NpuqError('UNSUPPORTED', `"${name}" has type ${t.dtype}, which the engine does not handle`);
    const id = tensors.length;
    tensors.push(data ? { dtype: code, shape, data: bytesOf(data) } : { dtype: code, shape });
    ids.set(name, id);
    return id;
  };
  const graphInputs = new Set(graph.inputs.map((i) => i.name));
  const idOf = (name: string, who: string): number => {
    if (!name) return -1;
    const known = ids.get(name);
    if (known !== undefined) return known;
    const c = constants.get(name);
    if (c) return newTensor(name, { dtype: c.dtype, shape: c.shape.slice() }, c.shape.slice(), c);
    if (graphInputs.has(name)) {
      feeds.push(name);
      return newTensor(name, typeOf(name), concrete(name, who));
    }
    throw new NpuqError('INVALID_MODEL', `${who} reads "${name}" before it is produced`);
  };

  const nodes: NativeNode[] = [];
  const fusedAway = new Set<Node>();
  const opset = graph.opset;
  for (const node of graph.nodes) {
    if (!needed.has(node) || fusedAway.has(node)) continue;
    yield;
    const who = node.describe();
    const ctx: LowerCtx = {
      node,
      opset,
      inShape: (i) => concrete(node.inputs[i], who),
      outShape: (i) => concrete(node.outputs[i], who),
      hasInput: (i) => i < node.inputs.length && node.inputs[i] !== '',
      value: (i) => (node.inputs[i] ? constants.get(node.inputs[i]) : undefined),
    };
    const outId = (name: string) => (name ? newTensor(name, typeOf(name), concrete(name, who)) : -1);

    const variadic = VARIADIC[node.opType];
    if (variadic) {
      // Chain: acc = in0 op in1; acc = acc op in2; ... (Mean divides by the count at the end).
      const ins = node.inputs.filter((x) => x);
      const outName = node.outputs[0];
      if (ins.length === 1 && node.opType !== 'Mean') {
        nodes.push({ op: 'Copy', name: node.name, inputs: [idOf(ins[0], who)], outputs: [outId(outName)], attrs: {} });
        continue;
      }
      let acc = idOf(ins[0], who);
      const steps = ins.length - 1 + (node.opType === 'Mean' ? 1 : 0);
      for (let k = 1; k <= steps; k++) {
        const last = k === steps;
        const isDiv = node.opType === 'Mean' && last;
        const rhs = isDiv
          ? newTensor(`${outName}::count`, { dtype: 'float32', shape: [] }, [], new Tensor('float32', [], new Float32Array([ins.length])))
          : idOf(ins[k], who);
        const out = last ? outId(outName) : newTensor(`${outName}::partial${k}`, typeOf(outName), concrete(outName, who));
        nodes.push({ op: isDiv ? 'Div' : variadic, name: `${node.name}${steps > 1 ? `#${k}` : ''}`, inputs: [acc, rhs], outputs: [out], attrs: {} });
        acc = out;
      }
      continue;
    }

    if (node.opType === 'Pow' && typeOf(node.inputs[1]).dtype !== typeOf(node.inputs[0]).dtype) {
      throw new NpuqError('UNSUPPORTED', `${who}: Pow with a ${typeOf(node.inputs[1]).dtype} exponent on a ${typeOf(node.inputs[0]).dtype} base is not supported`);
    }
    const lower = LOWER[node.opType];
    if (!lower) {
      throw new NpuqError('UNSUPPORTED', `${who} cannot run in the engine for these input shapes (its inputs are not all known at compile time)`);
    }
    const lowered = lower(ctx);
    if (!opts.engineOps.has(lowered.op)) throw new NpuqError('UNSUPPORTED', `${who}: the native engine of this build has no "${lowered.op}" op`);
    const inputIdx = lowered.inputs ?? node.inputs.map((_, i) => i);
    const outputIdx = lowered.outputs ?? node.outputs.map((_, i) => i);
    const inputs = inputIdx.map((i) => (i < 0 ? -1 : idOf(node.inputs[i] ?? '', who)));
    let outNames = outputIdx.map((i) => node.outputs[i]);

    // Fuse a following Relu / Clip (constant bounds) into Conv / Gemm.
    if (opts.fuse && (lowered.op === 'Conv' || lowered.op === 'Gemm') && !requested.has(outNames[0])) {
      const cons = consumers.get(outNames[0]) ?? [];
      const act = cons.length === 1 ? cons[0] : undefined;
      if (act && needed.has(act) && act.inputs[0] === outNames[0]) {
        let bounds: [number, number] | undefined;
        if (act.opType === 'Relu') bounds = [0, Infinity];
        else if (act.opType === 'Clip') {
          const l = LOWER.Clip({ ...ctx, node: act, value: (i) => (act.inputs[i] ? constants.get(act.inputs[i]) : undefined), hasInput: (i) => !!act.inputs[i] });
          if ((l.inputs ?? [0]).length === 1) bounds = [Number(l.attrs.lo ?? -Infinity), Number(l.attrs.hi ?? Infinity)];
        }
        if (bounds) {
          lowered.attrs.act_lo = bounds[0];
          lowered.attrs.act_hi = bounds[1];
          outNames = [act.outputs[0]];
          fusedAway.add(act);
        }
      }
    }
    const outputs = outNames.map((n) => outId(n));
    nodes.push({ op: lowered.op, name: node.name, inputs, outputs, attrs: lowered.attrs });
  }

  // Outputs: runtime values (plan outputs) or constants returned directly.
  const outputs: CompiledOutput[] = [];
  const planOutputs: number[] = [];
  for (const name of opts.outputs) {
    const c = constants.get(name);
    if (c) {
      outputs.push({ name, index: -1, constant: c, dtype: c.dtype, shape: c.shape.slice() });
      continue;
    }
    const id = idOf(name, `output "${name}"`);
    outputs.push({ name, index: planOutputs.length, dtype: typeOf(name).dtype, shape: tensors[id].shape.slice() });
    planOutputs.push(id);
  }

  // Memory plan over non-constant tensors. A Copy (Reshape, Flatten, Squeeze, ...) whose input is
  // in the arena shares its input's memory: the engine then skips the copy (same address).
  const root = new Map<number, number>();
  const rootOf = (id: number): number => root.get(id) ?? id;
  for (const n of nodes) {
    if (n.op === 'Copy' && n.inputs[0] >= 0 && !tensors[n.inputs[0]].data) root.set(n.outputs[0], rootOf(n.inputs[0]));
  }
  const first = new Map<number, number>(), last = new Map<number, number>();
  const touch = (id: number, step: number) => {
    const r = rootOf(id);
    last.set(r, Math.max(last.get(r) ?? -1, step));
  };
  feeds.forEach((f) => first.set(ids.get(f)!, -1));
  nodes.forEach((n, step) => {
    for (const i of n.inputs) if (i >= 0 && !tensors[i].data) touch(i, step);
    for (const o of n.outputs) {
      if (o < 0) continue;
      if (!first.has(rootOf(o))) first.set(rootOf(o), step);
      touch(o, step);
    }
  });
  for (const o of planOutputs) touch(o, Infinity);
  const lifetimes: Lifetime[] = [];
  tensors.forEach((t, id) => {
    if (t.data || rootOf(id) !== id) return;
    const bytes = shapeSize(t.shape) * dtypeSize(dtypeFromCode(t.dtype));
    lifetimes.push({ id, bytes, first: first.get(id) ?? -1, last: last.get(id) ?? first.get(id) ?? -1 });
  });
  const mem = yield* planMemorySteps(lifetimes);
  tensors.forEach((t, id) => {
    if (!t.data) t.offset = mem.offsets.get(rootOf(id)) ?? 0;
  });
  return {
    plan: { tensors, nodes, inputs: feeds.map((f) => ids.get(f)!), outputs: planOutputs, arenaBytes: mem.arenaBytes },
    feeds,
    outputs,
    tensorIds: ids,
  };
}

const DTYPE_OF_CODE = new Map(Object.entries(ONNX_DTYPE_CODE).map(([k, v]) => [v, k as keyof typeof ONNX_DTYPE_CODE]));

function dtypeFromCode(code: number) {
  const d = DTYPE_OF_CODE.get(code);
  if (d !== undefined) return d;
  throw new NpuqError('UNSUPPORTED', `unknown dtype code ${code}`);
}
