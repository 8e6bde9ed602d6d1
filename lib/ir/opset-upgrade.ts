/**
 * Raises a graph's ai.onnx opset, rewriting every node of an operator the engine supports whose
 * form changed between the graph's opset and the new one (the ONNX operator changelog):
 *
 * - Slice (10): starts, ends, axes attributes -> inputs.
 * - Clip (11): min, max attributes -> inputs; Pad (11): pads, value attributes -> inputs.
 * - Upsample (deprecated at 10) and Resize-10 -> Resize with an empty roi, `asymmetric` coordinates
 *   and the nearest rounding onnxruntime applies to the old forms (floor when upsampling, ceil when
 *   downsampling).
 * - Dropout (12): ratio attribute -> input.
 * - BatchNormalization (9): the `spatial` attribute (1) is dropped.
 * - Squeeze, Unsqueeze, ReduceSum (13): axes attribute -> input; Split (13): split attribute -> input.
 * - Softmax, LogSoftmax (13): the old ones flatten the input to 2-D at `axis`; unless
 *   `axis` is the last axis, the node becomes Flatten -> op(axis -1) -> Reshape to the input's shape.
 *
 * Operators the engine does not run are left as they are.
 */
import { NpuqError } from '../errors';
import { Graph, Node } from './graph';
import { inferGraph } from './infer';
import type { ValueType } from './ops/types';
import { Tensor, type DType } from './tensor';

interface Ctx {
  g: Graph;
  from: number;
  types: Map<string, ValueType>;
  constants: Map<string, Tensor>;
  /** Nodes that replace the current one (the node itself by default). */
  out: Node[];
}

function uniqueName(g: Graph, base: string): string {
  let name = base;
  for (let i = 1; g.initializers.has(name); i++) name = `${base}_${i}`;
  return name;
}

/** Adds a constant input and returns its name. */
function constant(c: Ctx, node: Node, what: string, t: Tensor): string {
  const name = uniqueName(c.g, `${node.name}_${what}`);
  c.g.initializers.set(name, t);
  return name;
}

/** A scalar of the dtype of `like` (float32 when unknown). */
function scalarLike(c: Ctx, node: Node, like: string, v: number): Tensor {
  const dtype: DType = c.types.get(like)?.dtype ?? 'float32';
  if (dtype === 'float16' || dtype === 'bfloat16') {
    throw new NpuqError('UNSUPPORTED', `${node.describe()}: raising the opset of a ${dtype} ${node.opType} is not supported; convert the model to float32 first`);
  }
  return Tensor.fromNumbers(dtype, [], [v]);
}

const ints64 = (v: number[]) => Tensor.fromNumbers('int64', [v.length], v);

/** Moves an ints attribute to input `index` (inputs before it padded with ''). */
function attrToInput(c: Ctx, node: Node, attr: string, index: number): void {
  if (!node.has(attr)) return;
  const v = node.attrInts(attr);
  node.attrs.delete(attr);
  while (node.inputs.length < index) node.inputs.push('');
  node.inputs[index] = constant(c, node, attr, ints64(v));
}

function trimInputs(node: Node): void {
  while (node.inputs.length && !node.inputs[node.inputs.length - 1]) node.inputs.pop();
}

/** The nearest rounding of Upsample and Resize-10 in onnxruntime: floor up, ceil down. */
function legacyResize(c: Ctx, node: Node, scales: number[] | undefined): void {
  let mode = node.attrString('mode', 'nearest');
  if (mode === 'bilinear') mode = 'linear';
  node.attrs.set('mode', { kind: 'string', value: mode });
  node.attrs.set('coordinate_transformation_mode', { kind: 'string', value: 'asymmetric' });
  if (mode !== 'nearest') return;
  if (!scales) throw new NpuqError('UNSUPPORTED', `${node.describe()}: its scales are not known before running, so the nearest rounding of its opset-${c.from} form cannot be chosen; make them constant`);
  const down = scales.some((s) => s < 1), up = scales.some((s) => s > 1);
  if (down && up) throw new NpuqError('UNSUPPORTED', `${node.describe()}: scales ${scales.join(', ')} upsample some axes and downsample others, which Resize-11+ cannot round as the opset-${c.from} form does`);
  node.attrs.set('nearest_mode', { kind: 'string', value: down ? 'ceil' : 'floor' });
}

/** `at`: the opset whose form differs; the rule runs when raising from below `at` to `at` or above. */
type Rule = { at: number; apply: (c: Ctx, node: Node) => void };

function softmaxRule(c: Ctx, node: Node): void {
  const x = node.inputs[0];
  const rank = c.types.get(x)?.shape?.length;
  let axis = node.attrInt('axis', 1);
  if (rank !== undefined && axis < 0) axis += rank;
  if (rank !== undefined && axis === rank - 1) {
    node.attrs.set('axis', { kind: 'int', value: axis });
    return;
  }
  const y = node.outputs[0];
  const flat = `${y}_flattened`, shape = `${y}_input_shape`, soft = `${y}_2d`;
  const fl = new Node(`${node.name}_flatten`, 'Flatten', [x], [flat]);
  fl.attrs.set('axis', { kind: 'int', value: axis });
  const op = new Node(node.name, node.opType, [flat], [soft]);
  op.attrs.set('axis', { kind: 'int', value: -1 });
  const sh = new Node(`${node.name}_shape`, 'Shape', [x], [shape]);
  const re = new Node(`${node.name}_reshape`, 'Reshape', [soft, shape], [y]);
  c.out = [fl, op, sh, re];
}

const RULES: Record<string, Rule[]> = {
  Slice: [{
    at: 10,
    apply: (c, n) => {
      for (const [a, i] of [['starts', 1], ['ends', 2], ['axes', 3]] as const) attrToInput(c, n, a, i);
    },
  }],
  Clip: [{
    at: 11,
    apply: (c, n) => {
      for (const [a, i] of [['min', 1], ['max', 2]] as const) {
        if (!n.has(a)) continue;
        const v = n.attrFloat(a);
        n.attrs.delete(a);
        while (n.inputs.length < i) n.inputs.push('');
        n.inputs[i] = constant(c, n, a, scalarLike(c, n, n.inputs[0], v));
      }
    },
  }],
  Pad: [{
    at: 11,
    apply: (c, n) => {
      const value = n.attrFloat('value', 0);
      attrToInput(c, n, 'pads', 1);
      if (n.has('value')) {
        n.attrs.delete('value');
        n.inputs[2] = constant(c, n, 'value', scalarLike(c, n, n.inputs[0], value));
      }
    },
  }],
  Upsample: [{
    at: 10,
    apply: (c, n) => {
      let scales: number[] | undefined;
      let scalesIn: string;
      if (n.has('scales')) {
        scales = n.attrFloats('scales');
        n.attrs.delete('scales');
        scalesIn = constant(c, n, 'scales', Tensor.fromNumbers('float32', [scales.length], scales));
      } else {
        scalesIn = n.inputs[1];
        scales = c.constants.get(scalesIn)?.toNumbers();
      }
      n.inputs = [n.inputs[0], '', scalesIn];
      legacyResize(c, n, scales);
      n.opType = 'Resize';
    },
  }],
  Resize: [{
    at: 11,
    apply: (c, n) => {
      n.inputs = [n.inputs[0], '', n.inputs[1]];
      legacyResize(c, n, c.constants.get(n.inputs[2])?.toNumbers());
    },
  }],
  Dropout: [{
    at: 12,
    apply: (c, n) => {
      if (c.from < 10 && n.outputs[1]) throw new NpuqError('UNSUPPORTED', `${n.describe()}: its mask output changes type at opset 10; remove the Dropout (an identity in inference) first`);
      const ratio = n.attrFloat('ratio', 0.5);
      n.attrs.delete('ratio');
      n.attrs.delete('is_test');
      n.inputs[1] = constant(c, n, 'ratio', scalarLike(c, n, n.inputs[0], ratio));
    },
  }],
  BatchNormalization: [{
    at: 9,
    apply: (_c, n) => {
      if (n.attrInt('spatial', 1) !== 1) throw new NpuqError('UNSUPPORTED', `${n.describe()}: spatial=0 has no form from opset 9; fold it into the neighbouring layer first`);
      n.attrs.delete('spatial');
    },
  }],
  Squeeze: [{ at: 13, apply: (c, n) => attrToInput(c, n, 'axes', 1) }],
  Unsqueeze: [{ at: 13, apply: (c, n) => attrToInput(c, n, 'axes', 1) }],
  ReduceSum: [{ at: 13, apply: (c, n) => attrToInput(c, n, 'axes', 1) }],
  Split: [{ at: 13, apply: (c, n) => attrToInput(c, n, 'split', 1) }],
  Softmax: [{ at: 13, apply: softmaxRule }],
  LogSoftmax: [{ at: 13, apply: softmaxRule }],
};

/** ai.onnx opset -> the IR version of the ONNX release that introduced it (onnx/docs/Versioning.md). */
const IR_OF_OPSET: readonly [number, number][] = [[21, 10], [19, 9], [15, 8], [12, 7], [11, 6], [10, 5], [9, 4], [1, 3]];

/** `irVersion`, raised to the first IR version that allows ai.onnx opset `opset` if it is older. */
export function irVersionFor(opset: number, irVersion: number): number {
  const min = IR_OF_OPSET.find(([o]) => opset >= o)?.[1] ?? 3;
  return Math.max(irVersion, min);
}

/** Operator types whose nodes {@link upgradeOpset} rewrites (for some source opsets). */
export const UPGRADED_OPS: readonly string[] = Object.keys(RULES);

/**
 * A copy of `graph` at ai.onnx opset `to` (the graph itself, copied, when already there or above).
 * Tensor and node names are kept; new constants are named `<node>_<attribute>`.
 * Throws NpuqError UNSUPPORTED for a node with no equivalent at the new opset.
 */
export function upgradeOpset(graph: Graph, to: number): Graph {
  const g = graph.clone();
  const from = graph.opset;
  if (from >= to) return g;
  const { types, constants } = inferGraph(graph);
  const nodes: Node[] = [];
  for (const node of g.nodes) {
    const c: Ctx = { g, from, types, constants, out: [node] };
    if (node.domain === '' || node.domain === 'ai.onnx') {
      const rules = (RULES[node.opType] ?? []).filter((r) => from < r.at && to >= r.at);
      for (const r of rules) r.apply(c, node);
      if (rules.length) trimInputs(node);
    }
    nodes.push(...c.out);
  }
  g.nodes = nodes;
  g.opsets.delete('ai.onnx');
  g.opsets.set('', to);
  return g;
}
