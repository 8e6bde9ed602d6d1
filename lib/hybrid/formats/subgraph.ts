/**
 * Subgraphs named by boundary tensors, as Pulsar2 (`start_tensor_names` + `end_tensor_names`) and
 * XQuant (`input_names` + `output_names`) select them: the nodes on a path from a start tensor to an
 * end tensor, i.e. the nodes downstream of some start tensor and upstream of (or producing) some
 * end tensor. With no start tensors, every node upstream of the end tensors (XQuant lets constant
 * inputs be omitted). And the inverse: boundary tensors that select exactly a given set of nodes.
 */
import type { Node } from '../../ir/graph';
import { type GraphIndex, badConfig, valueNamed } from './common';

/** Nodes upstream of (or producing) `ends`, stopping at `stops`. */
function upstream(ix: GraphIndex, ends: readonly string[], stops: ReadonlySet<string>): Set<Node> {
  const seen = new Set<Node>();
  const stack = ends.filter((t) => !stops.has(t));
  const visited = new Set<string>(stack);
  while (stack.length > 0) {
    const t = stack.pop()!;
    const p = ix.producer.get(t);
    if (!p || seen.has(p)) continue;
    seen.add(p);
    for (const i of p.inputs) {
      if (i && !visited.has(i) && !stops.has(i)) {
        visited.add(i);
        stack.push(i);
      }
    }
  }
  return seen;
}

/** Nodes downstream of `starts` (consuming them, directly or not). */
function downstream(ix: GraphIndex, starts: readonly string[]): Set<Node> {
  const seen = new Set<Node>();
  const stack = [...starts];
  const visited = new Set<string>(stack);
  while (stack.length > 0) {
    const t = stack.pop()!;
    for (const c of ix.consumers.get(t) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      for (const o of c.outputs) {
        if (o && !visited.has(o)) {
          visited.add(o);
          stack.push(o);
        }
      }
    }
  }
  return seen;
}

/**
 * The nodes of the subgraph from `starts` to `ends`, in graph order. Unknown tensor names are
 * UNKNOWN_TENSOR (closest names listed); an empty selection is BAD_CONFIG.
 */
export function resolveSubgraph(ix: GraphIndex, starts: readonly string[], ends: readonly string[], where: string, file?: string): Node[] {
  for (const t of [...starts, ...ends]) valueNamed(ix, t, where, file);
  if (ends.length === 0) throw badConfig(where, 'a subgraph needs at least one end (output) tensor', file);
  let nodes = upstream(ix, ends, new Set());
  if (starts.length > 0) {
    const down = downstream(ix, starts);
    nodes = new Set([...nodes].filter((n) => down.has(n)));
  }
  if (nodes.size === 0) {
    throw badConfig(where, `no node lies on a path from ${starts.map((s) => `"${s}"`).join(', ')} to ${ends.map((s) => `"${s}"`).join(', ')}`, file);
  }
  return ix.graph.nodes.filter((n) => nodes.has(n));
}

/** Boundary tensors of a node set: non-constant inputs from outside, outputs used outside or by the graph. */
function boundary(ix: GraphIndex, nodes: readonly Node[]): { inputs: string[]; outputs: string[] } {
  const set = new Set(nodes);
  const produced = new Set(nodes.flatMap((n) => n.outputs.filter((o) => o)));
  const graphOutputs = new Set(ix.graph.outputs.map((o) => o.name));
  const inputs: string[] = [];
  const outputs: string[] = [];
  for (const n of nodes) {
    for (const i of n.inputs) {
      if (i && !produced.has(i) && !ix.initializers.has(i) && !inputs.includes(i)) inputs.push(i);
    }
    for (const o of n.outputs) {
      if (!o) continue;
      const usedOutside = (ix.consumers.get(o) ?? []).some((c) => !set.has(c));
      const usedInside = (ix.consumers.get(o) ?? []).some((c) => set.has(c));
      if ((usedOutside || graphOutputs.has(o) || !usedInside) && !outputs.includes(o)) outputs.push(o);
    }
  }
  return { inputs, outputs };
}

/** Drops inputs that are upstream of another input (they would pull nodes between them in). */
function minimalInputs(ix: GraphIndex, inputs: string[]): string[] {
  return inputs.filter((a) => {
    const down = downstream(ix, [a]);
    return !inputs.some((b) => b !== a && ix.producer.has(b) && down.has(ix.producer.get(b)!));
  });
}

function sameNodes(a: readonly Node[], b: readonly Node[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

/** Connected components of `nodes` (linked by tensors one produces and another consumes), graph order. */
function components(ix: GraphIndex, nodes: readonly Node[]): Node[][] {
  const set = new Set(nodes);
  const comp = new Map<Node, number>();
  const out: Node[][] = [];
  for (const start of nodes) {
    if (comp.has(start)) continue;
    const id = out.length;
    const members: Node[] = [];
    const stack = [start];
    comp.set(start, id);
    while (stack.length > 0) {
      const n = stack.pop()!;
      members.push(n);
      const neighbours = [
        ...n.inputs.map((i) => ix.producer.get(i)).filter((p): p is Node => p !== undefined),
        ...n.outputs.flatMap((o) => ix.consumers.get(o) ?? []),
      ];
      for (const m of neighbours) {
        if (set.has(m) && !comp.has(m)) {
          comp.set(m, id);
          stack.push(m);
        }
      }
    }
    out.push(ix.graph.nodes.filter((n) => members.includes(n)));
  }
  return out;
}

/** A subgraph as boundary tensors. */
export interface Subgraph {
  inputs: string[];
  outputs: string[];
  nodes: Node[];
}

/**
 * Boundary tensors for `nodes`: one subgraph per connected group whose boundaries select exactly
 * that group again, else one per node (a single node's inputs minus those upstream of its other
 * inputs always select it alone).
 */
export function groupSubgraphs(ix: GraphIndex, nodes: readonly Node[], where: string): Subgraph[] {
  const out: Subgraph[] = [];
  for (const group of components(ix, nodes)) {
    const b = boundary(ix, group);
    const inputs = minimalInputs(ix, b.inputs);
    if (sameNodes(resolveSubgraph(ix, inputs, b.outputs, where), group)) {
      out.push({ inputs, outputs: b.outputs, nodes: group });
      continue;
    }
    for (const n of group) {
      const one = boundary(ix, [n]);
      const ins = minimalInputs(ix, one.inputs);
      const got = resolveSubgraph(ix, ins, one.outputs, where);
      if (!sameNodes(got, [n])) throw badConfig(where, `${n.describe()} cannot be selected alone by input and output tensors`);
      out.push({ inputs: ins, outputs: one.outputs, nodes: [n] });
    }
  }
  return out;
}
