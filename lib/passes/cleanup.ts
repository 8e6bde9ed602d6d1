/**
 * Cleanup passes: constant folding (shape subgraphs included), dead-code elimination and removal of
 * Identity and inference-mode Dropout nodes. All are exact.
 */
import type { Graph, Node } from '../ir/graph';
import { elementReader } from '../ir/ops/numeric';
import { result, type Pass, type PassContext, type PassResult } from './pass';
import { bypass, inferTypes, outputSet, removeDead } from './util';

/** Quantization nodes are kept as they are, so a QDQ model keeps its structure. */
const NEVER_FOLD = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear']);

/**
 * Evaluates every node whose inputs are all known at compile time (initializers, Constant nodes,
 * and shapes known from the declared or `ctx.inputShapes` input shapes: Shape → Gather → Unsqueeze →
 * Concat → Reshape chains) with lib/ir/infer and replaces it by initializers. Only values read by
 * the remaining nodes (or graph outputs) become initializers; values larger than `ctx.foldLimit`
 * elements stay computed. Exact: the folded values are computed as the operators define them.
 */
export function constantFold(graph: Graph, ctx: PassContext = {}): PassResult {
  const { constants } = inferTypes(graph, ctx);
  const folded = new Set<Node>();
  for (const n of graph.nodes) {
    if (NEVER_FOLD.has(n.opType) || n.outputs.every((o) => !o)) continue;
    if (n.outputs.every((o) => !o || constants.has(o))) folded.add(n);
  }
  if (folded.size === 0) return result([]);
  const outputs = outputSet(graph);
  const needed = new Set<string>();
  for (const n of graph.nodes) if (!folded.has(n)) for (const i of n.inputs) needed.add(i);
  const changes: string[] = [];
  const materialized: string[] = [];
  for (const n of graph.nodes) {
    if (!folded.has(n)) continue;
    for (const o of n.outputs) {
      if (!o || (!needed.has(o) && !outputs.has(o))) continue;
      const t = constants.get(o)!;
      graph.initializers.set(o, t);
      graph.valueInfo.delete(o);
      materialized.push(`"${o}" [${t.shape.join(',')}]`);
    }
    changes.push(`folded ${n.describe()} into constants`);
  }
  graph.nodes = graph.nodes.filter((n) => !folded.has(n));
  removeDead(graph);
  const notes = materialized.length ? [`new initializers: ${materialized.join(', ')}`] : [];
  return result(changes, notes);
}

/** Removes nodes and initializers no graph output depends on. Exact. */
export function eliminateDeadCode(graph: Graph): PassResult {
  const { nodes, initializers } = removeDead(graph);
  return result([
    ...nodes.map((n) => `removed unused ${n.describe()}`),
    ...initializers.map((i) => `removed unused initializer "${i}"`),
  ]);
}

/** True when a Dropout is the identity: inference mode (no training_mode, or a constant false one, or ratio 0). */
function inferenceDropout(graph: Graph, n: Node, used: Set<string>): boolean {
  if (n.outputs[1] && used.has(n.outputs[1])) return false;  // the mask is read
  const tm = n.inputs[2] ? graph.initializers.get(n.inputs[2]) : undefined;
  if (n.inputs[2] && !tm) return false;
  if (tm && tm.size === 1 && Number((tm.data as Uint8Array)[0]) !== 0) {
    const ratio = n.inputs[1] ? graph.initializers.get(n.inputs[1]) : undefined;
    return ratio !== undefined && ratio.size === 1 && elementReader(ratio)(0) === 0;
  }
  return true;
}

/**
 * Removes Identity nodes and inference-mode Dropout nodes (whose mask output is unused); readers are
 * sent to the input. When the removed node produces a graph output, the producer of its input is
 * renamed to produce that output instead, so graph output names never change (an Identity from a
 * graph input or initializer to a graph output stays). Exact.
 */
export function removeIdentity(graph: Graph): PassResult {
  const changes: string[] = [];
  const used = new Set<string>(graph.outputs.map((o) => o.name));
  for (const n of graph.nodes) for (const i of n.inputs) used.add(i);
  for (const n of graph.nodes.slice()) {
    const isIdentity = n.opType === 'Identity' && n.domain === '';
    const isDropout = n.opType === 'Dropout' && n.domain === '' && inferenceDropout(graph, n, used);
    if ((!isIdentity && !isDropout) || !n.inputs[0] || !n.outputs[0]) continue;
    const what = n.describe();
    const r = bypass(graph, n, n.inputs[0], n.outputs[0]);
    if (r === 'removed') changes.push(`removed ${what}`);
    else if (r === 'identity') changes.push(`replaced ${what} by an Identity (it passes a graph input or initializer to a graph output)`);
  }
  return result(changes);
}

export const CONSTANT_FOLD: Pass = {
  name: 'constant-fold',
  description: 'evaluate nodes whose inputs are all constant (shape subgraphs included) into initializers',
  run: constantFold,
};

export const DEAD_CODE: Pass = {
  name: 'dead-code',
  description: 'remove nodes and initializers no graph output depends on',
  run: eliminateDeadCode,
};

export const REMOVE_IDENTITY: Pass = {
  name: 'remove-identity',
  description: 'remove Identity and inference-mode Dropout nodes, keeping graph output names',
  run: removeIdentity,
};
