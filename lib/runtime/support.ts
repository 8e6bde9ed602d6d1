/**
 * What a Session can run: an ONNX op is supported when the engine has a lowering for it, or when
 * it only ever computes on compile-time values (shape arithmetic: folded once input shapes and
 * shape-giving inputs are known). Other ops the IR knows (ArgMax, Mod, ...) are supported only
 * where their inputs are constants; a model that feeds them run-time data is refused at create.
 */
import type { Graph } from '../ir/graph';
import { findUnsupportedOps, type UnsupportedOp } from '../ir/infer';
import { getOpDef, supportedOpTypes } from '../ir/ops/registry';
import { LOWER, VARIADIC } from './lower-ops';

/** Ops whose outputs depend only on shapes (and on inputs the session specializes by value). */
const SHAPE_ONLY = new Set(['Shape', 'Size', 'ConstantOfShape', 'Range', 'Constant']);

/** Inputs whose values decide shapes (Reshape shape, Slice starts, ...): compiled by value. */
export const SHAPE_SLOTS: Readonly<Record<string, number[]>> = {
  Reshape: [1], Expand: [1], Tile: [1], ConstantOfShape: [0], Range: [0, 1, 2], Slice: [1, 2, 3, 4],
  Pad: [1, 2, 3], Resize: [1, 2, 3], Upsample: [1], Split: [1], Squeeze: [1], Unsqueeze: [1],
  ReduceMean: [1], ReduceSum: [1], ReduceMax: [1], ReduceMin: [1], ReduceProd: [1], ReduceSumSquare: [1],
  ReduceL1: [1], ReduceL2: [1], ReduceLogSum: [1], ReduceLogSumExp: [1], TopK: [1], OneHot: [1], Dropout: [1, 2],
};

/** ONNX op types a Session runs on run-time data or folds from shapes, sorted. */
export function claimedOps(): string[] {
  return supportedOpTypes().filter((op) => op in LOWER || op in VARIADIC || SHAPE_ONLY.has(op));
}

/** Graph inputs a session specializes by value (they feed shape slots). */
export function shapeGivingInputs(graph: Graph): Set<string> {
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const out = new Set<string>();
  for (const n of graph.nodes) {
    for (const slot of SHAPE_SLOTS[n.opType] ?? []) {
      const name = n.inputs[slot];
      if (name && inputs.has(name)) out.add(name);
    }
  }
  return out;
}

/**
 * Every op type the session cannot run, with its nodes: unknown ops, and known ops with no engine
 * lowering whose inputs are not all compile-time values.
 */
export function unsupportedForSession(graph: Graph): UnsupportedOp[] {
  const found = findUnsupportedOps(graph);
  const byKey = new Map(found.map((u) => [`${u.domain}\u0000${u.opType}`, u]));
  // Values known at compile time: initializers, shape-giving inputs, and outputs of shape-only ops
  // or of foldable ops on such values.
  const known = new Set<string>([...graph.initializers.keys(), ...shapeGivingInputs(graph)]);
  for (const n of graph.nodes) {
    const def = getOpDef(n.opType, n.domain);
    if (!def) continue;
    const inputsKnown = n.inputs.every((i) => !i || known.has(i));
    if (SHAPE_ONLY.has(n.opType) || (inputsKnown && def.evaluate)) {
      for (const o of n.outputs) if (o) known.add(o);
      continue;
    }
    if (n.opType in LOWER || n.opType in VARIADIC) continue;
    const key = `${n.domain}\u0000${n.opType}`;
    let u = byKey.get(key);
    if (!u) {
      u = { opType: n.opType, domain: n.domain, nodes: [] };
      byKey.set(key, u);
      found.push(u);
    }
    u.nodes.push(n.name);
  }
  return found;
}
