/**
 * What the plan-level PTQ steps (AdaRound, bias correction, low-bit weights) need from planning and
 * from saving/loading:
 * - before planning, float-exact graph edits: a zero bias for Conv/Gemm without one (so bias
 *   correction has an integer bias to correct) and a private copy of weights and biases read by more
 *   than one node (so per-layer integers cannot collide);
 * - when a saved folder is loaded, the plan is made again from model.float.onnx, which gives the
 *   nearest-rounded integers: the learned/corrected integers are read back from model.qdq.onnx
 *   (`<tensor>_quantized`, whose scales must equal the re-planned ones), and the weight bit width
 *   from the weights' qmin/qmax in quant_params.json.
 */
import { NpuqError } from '../errors';
import type { Graph, Model } from '../ir/graph';
import { Tensor } from '../ir/tensor';
import { NameGen } from '../passes/util';
import type { QuantPlan } from '../quantize/plan/types';
import { weightMatrix } from './layout';

/**
 * Gives every Conv/Gemm without a bias a zero one (Gemm: beta set to 1, exact since C was absent)
 * when `zeroBiases`, and every Conv/Gemm/MatMul its own copy of a weight or bias initializer that
 * another node also reads. Returns one line per change.
 */
export function prepareForPlanCorrections(graph: Graph, options: { zeroBiases: boolean }): string[] {
  const changes: string[] = [];
  const names = new NameGen(graph);
  const readers = new Map<string, number>();
  for (const n of graph.nodes) for (const i of n.inputs) if (i) readers.set(i, (readers.get(i) ?? 0) + 1);
  for (const node of graph.nodes) {
    const m = weightMatrix(graph, node);
    if (!m) continue;
    for (const idx of [1, 2]) {
      const t = node.inputs[idx];
      if (!t || (readers.get(t) ?? 0) < 2 || !graph.initializers.has(t)) continue;
      const copy = names.next(`${t}__${node.name}`);
      graph.initializers.set(copy, graph.initializers.get(t)!);
      node.inputs[idx] = copy;
      readers.set(t, readers.get(t)! - 1);
      changes.push(`gave ${node.describe()} its own copy of "${t}"`);
    }
    if (options.zeroBiases && m.kind !== 'MatMul' && !node.inputs[2]) {
      const b = names.next(`${node.name}__zero_bias`);
      graph.initializers.set(b, Tensor.zeros('float32', [m.cout]));
      while (node.inputs.length < 3) node.inputs.push('');
      node.inputs[2] = b;
      if (m.kind === 'Gemm') node.attrs.set('beta', { kind: 'float', value: 1 });
      changes.push(`added a zero bias to ${node.describe()}`);
    }
  }
  return changes;
}

function sameScales(t: Tensor | undefined, scales: number[]): boolean {
  if (!t || t.dtype !== 'float32' || t.size !== scales.length) return false;
  const d = t.data as Float32Array;
  return scales.every((s, i) => Math.fround(s) === d[i]);
}

/**
 * Puts the integer weights and biases stored in a saved QDQ model into a re-made plan. Throws
 * INVALID_DATA when a stored scale differs from the plan's (the folder's files do not belong together).
 * Returns the number of tensors whose integers differed from the re-made plan's.
 */
export function restoreSavedIntegers(plan: QuantPlan, qdq: Model, file: string): number {
  let changed = 0;
  const inits = qdq.graph.initializers;
  const take = (tensor: string, scales: number[], values: number[]) => {
    const q = inits.get(`${tensor}_quantized`);
    if (!q) return;
    if (!sameScales(inits.get(`${tensor}_scale`), scales) || q.size !== values.length) {
      throw new NpuqError('INVALID_DATA', `${file}: the scale or size of "${tensor}" differs from the plan made from model.float.onnx and quant_params.json; write the folder again with npuquant quantize`, { file });
    }
    const d = q.toNumbers();
    if (d.some((v, i) => v !== values[i])) changed++;
    d.forEach((v, i) => { values[i] = v; });
  };
  // A tensor read by several nodes has one `_quantized` initializer in the QDQ model: left as planned.
  const uses = new Map<string, number>();
  for (const nq of plan.nodes.values()) for (const t of [nq.weight?.tensor, nq.bias?.tensor]) if (t) uses.set(t, (uses.get(t) ?? 0) + 1);
  for (const nq of plan.nodes.values()) {
    if (nq.weight && uses.get(nq.weight.tensor) === 1) take(nq.weight.tensor, nq.weight.quant.scale, nq.weight.values);
    if (nq.bias && nq.bias.dtype === 'int32' && uses.get(nq.bias.tensor) === 1) take(nq.bias.tensor, nq.bias.scale, nq.bias.values);
  }
  return changed;
}

/**
 * The weight bit width recorded in a quant_params.json object: from the weights' [qmin, qmax] when
 * it is a narrower-than-type range of the form [-(2^(b-1)) or -(2^(b-1) - 1), 2^(b-1) - 1] (signed)
 * or [0, 2^b - 1] (unsigned), else undefined (the profile's, reduce_range's [-64, 64] included).
 */
export function weightBitsOf(json: unknown): number | undefined {
  const t = (json as { tensors?: Record<string, { role: string; dtype: string; qmin?: number; qmax?: number }> }).tensors ?? {};
  for (const w of Object.values(t)) {
    if (w.role !== 'weight' || typeof w.qmin !== 'number' || typeof w.qmax !== 'number') continue;
    const typeBits = w.dtype.endsWith('16') ? 16 : 8;
    const signed = w.qmin < 0;
    const bits = signed ? Math.log2(w.qmax + 1) + 1 : Math.log2(w.qmax + 1);
    if (!Number.isInteger(bits) || bits >= typeBits) continue;
    if (signed && w.qmin !== -w.qmax && w.qmin !== -w.qmax - 1) continue;
    return bits;
  }
  return undefined;
}
