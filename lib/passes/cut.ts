/**
 * Cutting graphs: truncating a model at given tensors (XQuant's truncate_var_names: the part after
 * them is left to run in float elsewhere) and extracting the subgraph between given input and output
 * tensors (like onnx.utils.extract_model). Both rewrite the graph in place and declare the new graph
 * inputs/outputs with their inferred dtype and shape.
 */
import { NpuqError } from '../errors';
import type { Graph, Node, ValueInfo } from '../ir/graph';
import type { ValueType } from '../ir/ops/types';
import { result, type Pass, type PassContext, type PassResult } from './pass';
import { checkValueNames, removeDead, tryInfer } from './util';

function infoOf(name: string, graph: Graph, types: Map<string, ValueType> | undefined): ValueInfo {
  const t = types?.get(name);
  const vi = graph.valueInfo.get(name);
  return { name, dtype: t?.dtype ?? vi?.dtype, shape: (t?.shape ?? vi?.shape)?.slice() };
}

function checkList(names: readonly string[], what: string): void {
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string' || n === '')) {
    throw new TypeError(`Expected a non-empty array of tensor names for ${what} but received ${Array.isArray(names) ? `[${names.join(', ')}]` : typeof names}`);
  }
}

/**
 * Truncates the graph at the tensors `names`: they become graph outputs and every node that
 * (transitively) reads one of them is removed, with whatever only those nodes needed. Original graph
 * outputs that do not depend on `names` stay outputs. `names` must be produced by nodes.
 * Throws INVALID_ARGUMENT for an unknown name (naming the closest tensor names).
 */
export function truncateGraph(graph: Graph, names: readonly string[], ctx: PassContext = {}): PassResult {
  checkList(names, 'the tensors to truncate at');
  checkValueNames(graph, names, 'the tensors to truncate at');
  const producers = graph.producers();
  for (const n of names) {
    if (!producers.has(n)) throw new NpuqError('INVALID_ARGUMENT', `"${n}" is a graph input or initializer, not a tensor computed by a node; truncate at a node output`);
  }
  const types = tryInfer(graph, ctx).types;
  graph.sortTopologically();
  const after = new Set<Node>();
  const tainted = new Set<string>(names);
  for (const n of graph.nodes) {  // readers come after producers
    if (n.inputs.some((i) => tainted.has(i))) {
      after.add(n);
      for (const o of n.outputs) if (o) tainted.add(o);
    }
  }
  const keptOutputs = graph.outputs.filter((o) => !tainted.has(o.name) || names.includes(o.name));
  const isOutput = (n: string) => keptOutputs.some((o) => o.name === n);
  if (after.size === 0 && names.every(isOutput) && keptOutputs.length === graph.outputs.length) return result([]);
  const dropped = graph.outputs.filter((o) => !keptOutputs.includes(o));
  graph.nodes = graph.nodes.filter((n) => !after.has(n));
  graph.outputs = [...keptOutputs, ...names.filter((n) => !isOutput(n)).map((n) => infoOf(n, graph, types))];
  const dead = removeDead(graph);
  return result([
    ...names.filter((n) => !isOutput(n)).map((n) => `truncated at "${n}" (now a graph output)`),
    ...[...after].map((n) => `removed ${n.describe()} (after the cut)`),
    ...dead.nodes.map((n) => `removed ${n.describe()} (only needed after the cut)`),
    ...dropped.map((o) => `graph output "${o.name}" is no longer computed`),
  ]);
}

/**
 * Keeps only the subgraph computing `outputs` from `inputs` (like onnx.utils.extract_model): the
 * nodes between them, the initializers they read. `inputs` become the graph inputs (declared with
 * their inferred dtype and shape), `outputs` the graph outputs. An original graph input the outputs
 * depend on must be listed in `inputs`. Throws INVALID_ARGUMENT for unknown names (naming the closest
 * tensor names) and for outputs that need a graph input not in `inputs`.
 */
export function extractSubgraph(graph: Graph, inputs: readonly string[], outputs: readonly string[], ctx: PassContext = {}): PassResult {
  checkList(inputs, 'the inputs of the subgraph');
  checkList(outputs, 'the outputs of the subgraph');
  checkValueNames(graph, inputs, 'the inputs of the subgraph');
  checkValueNames(graph, outputs, 'the outputs of the subgraph');
  const types = tryInfer(graph, ctx).types;
  const producers = graph.producers();
  const cut = new Set(inputs);
  const keep = new Set<Node>();
  const missing: string[] = [];
  const seen = new Set<string>();
  const stack = outputs.slice();
  while (stack.length) {
    const v = stack.pop()!;
    if (!v || seen.has(v) || cut.has(v)) continue;
    seen.add(v);
    const p = producers.get(v);
    if (p) {
      if (keep.has(p)) continue;
      keep.add(p);
      stack.push(...p.inputs);
    } else if (!graph.initializers.has(v)) {
      missing.push(v);
    }
  }
  if (missing.length) {
    throw new NpuqError('INVALID_ARGUMENT', `the outputs ${outputs.map((o) => `"${o}"`).join(', ')} also depend on the graph input(s) ${missing.map((m) => `"${m}"`).join(', ')}; add them to the inputs of the subgraph`);
  }
  const before = graph.nodes.length;
  graph.nodes = graph.nodes.filter((n) => keep.has(n));
  graph.inputs = inputs.map((n) => infoOf(n, graph, types));
  graph.outputs = outputs.map((n) => infoOf(n, graph, types));
  for (const i of inputs) graph.initializers.delete(i);
  removeDead(graph);
  return result([
    `extracted ${graph.nodes.length} of ${before} nodes between ${inputs.map((i) => `"${i}"`).join(', ')} and ${outputs.map((o) => `"${o}"`).join(', ')}`,
  ]);
}

/** truncateGraph as a pass for runPasses. */
export function truncatePass(names: readonly string[]): Pass {
  return {
    name: 'truncate',
    description: `truncate the graph at ${names.map((n) => `"${n}"`).join(', ')}`,
    run: (graph, ctx) => truncateGraph(graph, names, ctx),
  };
}

/** extractSubgraph as a pass for runPasses (changes the graph only the first time it runs). */
export function extractPass(inputs: readonly string[], outputs: readonly string[]): Pass {
  return {
    name: 'extract',
    description: `extract the subgraph between ${inputs.join(', ')} and ${outputs.join(', ')}`,
    run: (graph, ctx) => {
      const same = graph.inputs.length === inputs.length && graph.inputs.every((v, i) => v.name === inputs[i])
        && graph.outputs.length === outputs.length && graph.outputs.every((v, i) => v.name === outputs[i]);
      return same ? result([]) : extractSubgraph(graph, inputs, outputs, ctx);
    },
  };
}
