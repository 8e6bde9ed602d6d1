/**
 * Cross-layer equalization (Nagel et al. 2019, "Data-Free Quantization Through Weight Equalization
 * and Bias Correction", section 4.1): for two layers in a row, y = W2 f(W1 x + b1) with f positively
 * homogeneous, output channel i of W1 (and b1[i]) is divided by s_i and input channel i of W2
 * multiplied by it, with s_i = sqrt(r1_i / r2_i) (r1_i: max |W1[i, :]|, r2_i: max |W2[:, i]|), so
 * both channel ranges become sqrt(r1_i * r2_i). Per-tensor weight quantization then wastes far less
 * of its range on channels with small weights. Float outputs are unchanged up to float32 rounding.
 *
 * Pairs: Conv -> (Relu | LeakyRelu | Clip(0, no max) | MaxPool | AveragePool | GlobalAveragePool)* ->
 * Conv of any group (depthwise included: MobileNetV2's conv1 -> dw and dw -> conv2 pairs), Conv ->
 * ... -> Flatten -> Gemm, Gemm/MatMul -> (Relu ...) -> Gemm/MatMul, each link with a single reader.
 * Every pair is equalized in turn, and the sweep repeats until no scale moves by more than
 * `tolerance` (relative) or `maxIterations` sweeps were made: a layer in two pairs (the depthwise
 * conv) settles only when its neighbours have.
 *
 * Left out (and why):
 * - chains through a Clip with an upper bound (Relu6): clip(x / s, 0, 6) != clip(x, 0, 6) / s and
 *   ONNX Clip has no per-channel bounds, so equalizing would change the model; they are skipped and
 *   named in the pass details. (The DFQ paper replaces ReLU6 by ReLU, which changes the float model.)
 * - HardSwish / HardSigmoid / SiLU chains: not homogeneous.
 * - High-bias absorption (section 4.1.2 of the paper) is not done: it moves part of a bias through
 *   a ReLU into the next layer's bias, which is only exact when the channel never goes below the
 *   absorbed amount, i.e. it needs activation statistics and is an approximation.
 */
import type { Graph } from '../ir/graph';
import { result, type Pass, type PassResult } from '../passes/pass';
import { outputSet } from '../passes/util';
import { weightMatrix, rowAbsMax } from './layout';
import { ScaleBook, followChain, type ScaleChain } from './scaling';

// Math functions as module constants: hot loops stay fast where the global object is slow to read (jest's sandbox).
const { abs, max, min, sqrt } = Math;

export interface CleOptions {
  /** Sweeps over all pairs at most. Default 100. */
  maxIterations?: number;
  /** Stop when every scale of a sweep is within 1 ± tolerance. Default 1e-4. */
  tolerance?: number;
}

/** The Conv/Gemm/MatMul pairs CLE equalizes, and the chains it skipped with the reason. */
export function findCleChains(graph: Graph): { chains: ScaleChain[]; skipped: string[] } {
  const consumers = graph.consumers();
  const outputs = outputSet(graph);
  const chains: ScaleChain[] = [];
  const skipped: string[] = [];
  for (const node of graph.nodes) {
    if (!['Conv', 'Gemm', 'MatMul'].includes(node.opType)) continue;
    const c = followChain(graph, node, { single: true }, consumers, outputs);
    if (typeof c === 'string') skipped.push(`skipped ${c}`);
    else if (c) chains.push(c);
  }
  return { chains, skipped };
}

/**
 * Equalizes every pair of `graph` in place (see the file comment). Run it after BatchNormalization
 * folding (quantize() does, with `cle: true`).
 */
export function crossLayerEqualization(graph: Graph, options: CleOptions = {}): PassResult {
  const maxIterations = options.maxIterations ?? 100;
  const tolerance = options.tolerance ?? 1e-4;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new RangeError(`Expected a positive integer for maxIterations but received ${maxIterations}`);
  if (!(tolerance > 0)) throw new RangeError(`Expected a positive number for tolerance but received ${tolerance}`);
  const { chains, skipped } = findCleChains(graph);
  if (chains.length === 0) return result([], skipped);
  const book = new ScaleBook(graph);
  let sweeps = 0;
  let moved = Infinity;
  const spread = (r: Float64Array) => {
    let lo = Infinity, hi = 0;
    for (const v of r) if (v > 0) { lo = min(lo, v); hi = max(hi, v); }
    return hi > 0 ? hi / lo : 1;
  };
  const before = chains.map((ch) => spread(rowAbsMax(weightMatrix(graph, ch.producer)!, book.weight(ch.producer))));
  while (sweeps < maxIterations && moved > tolerance) {
    moved = 0;
    for (const ch of chains) {
      const m1 = weightMatrix(graph, ch.producer)!;
      const r1 = rowAbsMax(m1, book.weight(ch.producer));
      const r2 = book.inputAbsMax(ch.consumers, m1.cout, ch.spatial);
      const s = new Float64Array(m1.cout);
      for (let i = 0; i < s.length; i++) {
        s[i] = r1[i] > 0 && r2[i] > 0 ? sqrt(r1[i] / r2[i]) : 1;
        moved = max(moved, abs(s[i] - 1));
      }
      book.divideOutputs(ch.producer, s);
      book.multiplyInputs(ch.consumers[0], s, ch.spatial);
    }
    sweeps++;
    if (sweeps === 1 && moved <= tolerance) return result([], ['already equalized', ...skipped]);
  }
  const changes = chains.map((ch, i) => {
    const after = spread(rowAbsMax(weightMatrix(graph, ch.producer)!, book.weight(ch.producer)));
    const via = ch.through.map((t) => t.opType).join(' -> ');
    return `equalized ${ch.producer.describe()} -> ${via ? `${via} -> ` : ''}${ch.consumers[0].node.describe()} ` +
      `(output-channel range spread ${before[i].toPrecision(3)} -> ${after.toPrecision(3)})`;
  });
  book.commit();
  return result(changes, [`${sweeps} sweep(s), last largest scale change ${moved.toExponential(2)}`, ...skipped]);
}

/** Cross-layer equalization as a pass (`{ name: 'cle', run }`), for the float graph after BatchNormalization folding. */
export const CLE_PASS: Pass = {
  name: 'cle',
  description: 'cross-layer equalization of Conv/Gemm pairs through ReLU-like ops (Nagel et al. 2019), float-exact',
  run: (graph) => crossLayerEqualization(graph),
};
