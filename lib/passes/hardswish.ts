/**
 * HardSwish fusion: Mul(x, HardSigmoid(x; 1/6, 0.5)) (PyTorch's export of HardSwish before opset 14)
 * and Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6) (Paddle's; also with Mul by 1/6 instead of Div by 6, as
 * div-to-mul leaves it) become one HardSwish node, keeping the name of the last node's output.
 * HardSwish is an opset-14 operator: as a pass ("fuse-hardswish") it only fuses at opset >= 14, unless
 * the context allows engine-level rewrites (PassContext.engine, as Session does: the opset is left
 * alone) or raising the opset (PassContext.raiseOpset, as quantize() does: a graph below 14 is first
 * upgraded to 14, lib/ir/opset-upgrade.ts); the function fuseHardSwish always fuses (an engine-level
 * rewrite).
 * Results change only by float rounding (HardSwish is computed as x * clamp(x/6 + 1/2, 0, 1)).
 */
import type { Graph, Node } from '../ir/graph';
import { Node as GraphNode } from '../ir/graph';
import { upgradeOpset } from '../ir/opset-upgrade';
import { result, type Pass, type PassContext, type PassResult } from './pass';
import { removeDead } from './util';

function scalarOf(graph: Graph, name: string): number | undefined {
  const t = graph.initializers.get(name);
  if (!t || t.size !== 1 || t.dtype !== 'float32') return undefined;
  return (t.data as Float32Array)[0];
}

function onlyConsumer(consumers: Map<string, Node[]>, outputs: Set<string>, value: string): Node | undefined {
  const c = consumers.get(value) ?? [];
  return c.length === 1 && !outputs.has(value) ? c[0] : undefined;
}

/** One exported HardSwish: the nodes it spans (last one last) and its input. */
export interface HardSwishMatch {
  nodes: Node[];
  x: string;
}

/** Clip bounds from inputs (opset >= 11) or the min/max attributes (before). */
function clipBounds(graph: Graph, clip: Node): [number | undefined, number | undefined] {
  if (graph.opset < 11) return [clip.attrFloat('min', -Infinity), clip.attrFloat('max', Infinity)];
  return [clip.inputs[1] ? scalarOf(graph, clip.inputs[1]) : undefined, clip.inputs[2] ? scalarOf(graph, clip.inputs[2]) : undefined];
}

/**
 * Finds the exported HardSwish patterns: Mul(x, HardSigmoid(x; 1/6, 0.5)) (PyTorch) and
 * Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6) or Mul(..., 1/6) (Paddle). Intermediate values must have no
 * other reader. Other passes use this to leave the patterns intact.
 */
export function matchHardSwish(graph: Graph): HardSwishMatch[] {
  const found: HardSwishMatch[] = [];
  const producers = graph.producers();
  const consumers = graph.consumers();
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const used = new Set<Node>();
  const near = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-6;
  for (const mul of graph.nodes) {
    if (mul.opType !== 'Mul' || mul.domain !== '' || used.has(mul)) continue;
    for (const side of [0, 1]) {
      const x = mul.inputs[1 - side];
      const gate = producers.get(mul.inputs[side]);
      if (!gate || used.has(gate) || onlyConsumer(consumers, outputs, gate.outputs[0]) !== mul) continue;
      // PyTorch: Mul(x, HardSigmoid(x, alpha=1/6, beta=0.5)).
      if (gate.opType === 'HardSigmoid' && gate.inputs[0] === x && near(gate.attrFloat('alpha', 0.2), 1 / 6) && near(gate.attrFloat('beta', 0.5), 0.5)) {
        found.push({ nodes: [gate, mul], x });
        used.add(gate).add(mul);
        break;
      }
      // Paddle: Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6), or Mul by 1/6 after div-to-mul.
      if (gate.opType !== 'Clip') continue;
      const [lo, hi] = clipBounds(graph, gate);
      if (!near(lo, 0) || !near(hi, 6)) continue;
      const add = producers.get(gate.inputs[0]);
      if (!add || add.opType !== 'Add' || onlyConsumer(consumers, outputs, add.outputs[0]) !== gate) continue;
      const addConst = add.inputs[0] === x ? add.inputs[1] : add.inputs[1] === x ? add.inputs[0] : undefined;
      if (!addConst || !near(scalarOf(graph, addConst), 3)) continue;
      const div = onlyConsumer(consumers, outputs, mul.outputs[0]);
      const sixth = div && div.opType === 'Mul' && (div.inputs[0] === mul.outputs[0] ? div.inputs[1] : div.inputs[0]);
      const byDiv = div && div.opType === 'Div' && div.inputs[0] === mul.outputs[0] && near(scalarOf(graph, div.inputs[1]), 6);
      if (!div || !(byDiv || (sixth && near(scalarOf(graph, sixth), 1 / 6)))) continue;
      found.push({ nodes: [add, gate, mul, div], x });
      for (const n of [add, gate, mul, div]) used.add(n);
      break;
    }
  }
  return found;
}

/** Fuses every pattern matchHardSwish finds into one HardSwish node named and output like its last node. */
export function fuseHardSwish(graph: Graph): PassResult {
  const changes: string[] = [];
  const remove = new Set<Node>();
  const replace = new Map<Node, Node>();
  for (const m of matchHardSwish(graph)) {
    const last = m.nodes[m.nodes.length - 1];
    replace.set(last, new GraphNode(last.name, 'HardSwish', [m.x], [last.outputs[0]]));
    for (const n of m.nodes.slice(0, -1)) remove.add(n);
    const names = m.nodes.map((n) => n.describe());
    changes.push(`fused ${names.slice(0, -1).join(', ')} and ${names[names.length - 1]} into HardSwish`);
  }
  if (changes.length) {
    graph.nodes = graph.nodes.filter((n) => !remove.has(n)).map((n) => replace.get(n) ?? n);
    removeDead(graph);
  }
  return result(changes);
}

/** HardSwish's first opset. */
const HARDSWISH_OPSET = 14;

function fuseHardSwishPass(graph: Graph, ctx: PassContext): PassResult {
  if (ctx.engine || graph.opset >= HARDSWISH_OPSET) return fuseHardSwish(graph);
  const found = matchHardSwish(graph).length;
  if (!found) return result([]);
  const from = graph.opset;
  if (!ctx.raiseOpset) return result([], [`left ${found} HardSwish pattern(s) alone: HardSwish needs opset ${HARDSWISH_OPSET} and the model has opset ${from} (quantize() raises it)`]);
  let up: Graph;
  try {
    up = upgradeOpset(graph, HARDSWISH_OPSET);
  } catch (err) {
    return result([], [`left ${found} HardSwish pattern(s) alone: cannot raise opset ${from} to ${HARDSWISH_OPSET}: ${(err as Error).message}`]);
  }
  graph.nodes = up.nodes;
  graph.initializers = up.initializers;
  graph.opsets = up.opsets;
  const r = fuseHardSwish(graph);
  return { changed: r.changed, details: [`raised the opset from ${from} to ${HARDSWISH_OPSET} for HardSwish`, ...r.details] };
}

export const FUSE_HARDSWISH: Pass = {
  name: 'fuse-hardswish',
  description: 'fuse exported HardSwish patterns (x * HardSigmoid(x), x * Clip(x + 3, 0, 6) / 6) into HardSwish (opset >= 14; with raiseOpset a lower opset is raised to 14)',
  run: fuseHardSwishPass,
};
