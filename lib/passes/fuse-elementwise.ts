/**
 * Fusions that remove whole elementwise passes from exported CNNs:
 * - foldConvAdd: constant Mul/Add/Sub after a Conv become its weights and bias.
 * - fuseHardSwish: Mul(x, HardSigmoid(x; 1/6, 0.5)) (PyTorch's export of HardSwish before opset 14)
 *   and Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6) (Paddle's) become one HardSwish node.
 * Both keep the name of the last node's output, so reports and requested outputs still match. The
 * HardSwish node is an engine-level rewrite: the model's opset is left alone (HardSwish is an opset-14
 * op; saving such a graph for another tool needs opset 14).
 * Results change only by float rounding (HardSwish is computed as x * clamp(x/6 + 1/2, 0, 1)).
 */
import type { Graph, Node } from '../ir/graph';
import { Node as GraphNode } from '../ir/graph';
import { Tensor } from '../ir/tensor';
import type { PassResult } from './fold-batchnorm';

function scalarOf(graph: Graph, name: string): number | undefined {
  const t = graph.initializers.get(name);
  if (!t || t.size !== 1 || t.dtype !== 'float32') return undefined;
  return (t.data as Float32Array)[0];
}

function onlyConsumer(consumers: Map<string, Node[]>, outputs: Set<string>, value: string): Node | undefined {
  const c = consumers.get(value) ?? [];
  return c.length === 1 && !outputs.has(value) ? c[0] : undefined;
}

/**
 * Folds per-channel (or scalar) constant Mul, Add and Sub that follow a Conv into its weights and
 * bias, repeatedly: conv -> mul -> add/sub (PP-OCRv4's learnable affine blocks, Paddle's separate
 * bias Adds) becomes one Conv. W'[m] = W[m] * s[m], b'[m] = b[m] * s[m] (Mul); b'[m] = b[m] +/- c[m].
 */
export function foldConvAdd(graph: Graph): PassResult {
  const changes: string[] = [];
  for (;;) {
    const consumers = graph.consumers();
    const outputs = new Set(graph.outputs.map((o) => o.name));
    let folded: Node | undefined;
    for (const conv of graph.nodes) {
      if (conv.opType !== 'Conv') continue;
      const w = graph.initializers.get(conv.inputs[1]);
      if (!w || w.dtype !== 'float32' || w.shape.length < 3) continue;
      const next = onlyConsumer(consumers, outputs, conv.outputs[0]);
      if (!next || !['Mul', 'Add', 'Sub'].includes(next.opType)) continue;
      const convFirst = next.inputs[0] === conv.outputs[0];
      const other = convFirst ? next.inputs[1] : next.inputs[1] === conv.outputs[0] ? next.inputs[0] : undefined;
      if (next.opType === 'Sub' && !convFirst) continue;  // c - conv would negate the weights; not worth it
      const c = other ? graph.initializers.get(other) : undefined;
      if (!c || c.dtype !== 'float32') continue;
      const M = w.shape[0], rank = w.shape.length, sh = c.shape;
      const ones = (from: number) => sh.slice(from).every((d) => d === 1);
      const perChannel = (sh.length === rank && sh[0] === 1 && sh[1] === M && ones(2)) || (sh.length === rank - 1 && sh[0] === M && ones(1));
      if (!perChannel && c.size !== 1) continue;
      const old = conv.inputs[2] ? graph.initializers.get(conv.inputs[2]) : undefined;
      if (conv.inputs[2] && (!old || old.dtype !== 'float32')) continue;
      const cv = c.data as Float32Array, at = (m: number) => cv[c.size === 1 ? 0 : m];
      const bias = new Float32Array(M);
      for (let m = 0; m < M; m++) bias[m] = old ? (old.data as Float32Array)[m] : 0;
      if (next.opType === 'Mul') {
        const wd = w.data as Float32Array, per = wd.length / M, nw = new Float32Array(wd.length);
        for (let m = 0; m < M; m++) for (let k = 0; k < per; k++) nw[m * per + k] = wd[m * per + k] * at(m);
        for (let m = 0; m < M; m++) bias[m] *= at(m);
        const wName = `${next.outputs[0]}__conv_weight`;
        graph.initializers.set(wName, new Tensor('float32', w.shape, nw));
        conv.inputs[1] = wName;
      } else {
        for (let m = 0; m < M; m++) bias[m] += next.opType === 'Add' ? at(m) : -at(m);
      }
      const bName = `${next.outputs[0]}__conv_bias`;
      graph.initializers.set(bName, new Tensor('float32', [M], bias));
      conv.inputs[2] = bName;
      conv.outputs[0] = next.outputs[0];
      folded = next;
      changes.push(`folded ${next.describe()} into ${conv.describe()}`);
      break;
    }
    if (!folded) break;
    graph.nodes = graph.nodes.filter((n) => n !== folded);
  }
  if (changes.length) graph.removeDeadNodes();
  return { changes };
}

export function fuseHardSwish(graph: Graph): PassResult {
  const changes: string[] = [];
  const producers = graph.producers();
  const consumers = graph.consumers();
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const remove = new Set<Node>();
  const replace = new Map<Node, Node>();
  const near = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) < 1e-6;
  for (const mul of graph.nodes) {
    if (mul.opType !== 'Mul' || remove.has(mul)) continue;
    for (const side of [0, 1]) {
      const x = mul.inputs[1 - side];
      const gate = producers.get(mul.inputs[side]);
      if (!gate || remove.has(gate) || onlyConsumer(consumers, outputs, gate.outputs[0]) !== mul) continue;
      // PyTorch: Mul(x, HardSigmoid(x, alpha=1/6, beta=0.5)).
      if (gate.opType === 'HardSigmoid' && gate.inputs[0] === x && near(gate.attrFloat('alpha', 0.2), 1 / 6) && near(gate.attrFloat('beta', 0.5), 0.5)) {
        const hs = new GraphNode(mul.name, 'HardSwish', [x], [mul.outputs[0]]);
        replace.set(mul, hs);
        remove.add(gate);
        changes.push(`fused ${gate.describe()} and ${mul.describe()} into HardSwish`);
        break;
      }
      // Paddle: Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6).
      if (gate.opType !== 'Clip' || gate.inputs.length < 3 || !near(scalarOf(graph, gate.inputs[1]), 0) || !near(scalarOf(graph, gate.inputs[2]), 6)) continue;
      const add = producers.get(gate.inputs[0]);
      if (!add || add.opType !== 'Add' || onlyConsumer(consumers, outputs, add.outputs[0]) !== gate) continue;
      const addConst = add.inputs[0] === x ? add.inputs[1] : add.inputs[1] === x ? add.inputs[0] : undefined;
      if (!addConst || !near(scalarOf(graph, addConst), 3)) continue;
      const div = onlyConsumer(consumers, outputs, mul.outputs[0]);
      if (!div || div.opType !== 'Div' || div.inputs[0] !== mul.outputs[0] || !near(scalarOf(graph, div.inputs[1]), 6)) continue;
      const hs = new GraphNode(div.name, 'HardSwish', [x], [div.outputs[0]]);
      replace.set(div, hs);
      for (const n of [add, gate, mul]) remove.add(n);
      changes.push(`fused ${add.describe()}, ${gate.describe()}, ${mul.describe()} and ${div.describe()} into HardSwish`);
      break;
    }
  }
  if (changes.length) {
    graph.nodes = graph.nodes.filter((n) => !remove.has(n)).map((n) => replace.get(n) ?? n);
    graph.removeDeadNodes();
  }
  return { changes };
}
