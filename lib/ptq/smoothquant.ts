/**
 * SmoothQuant (Xiao et al. 2023): activation outliers concentrated in a few channels make a
 * per-tensor activation scale coarse for every other channel. Per input channel j of a consumer,
 * s_j = max|X_j|^alpha / max|W_j|^(1 - alpha) moves the difficulty into the weights: X' = X / s,
 * W' = s * W, with max|X_j| from the calibration data and max|W_j| over every consumer reading X.
 *
 * Where 1 / s goes: always folded into the producer of X (output channels of a Conv, Gemm or MatMul
 * with constant B, or the scale and bias of a LayerNormalization over the last axis), through
 * positively homogeneous ops (Relu, LeakyRelu, Clip(0, no max), pools, Flatten -> Gemm; see
 * scaling.ts). No Mul is ever inserted: an explicit Mul would be one more quantized tensor and
 * requantization, adding its own error where the point is to remove some, so X whose producer cannot
 * absorb the scales is left alone and named in the details. Consumers: Conv with group = 1,
 * Gemm (transA = 0), MatMul with a constant 2-D B; all readers of X must be such consumers.
 * Float outputs are unchanged up to float32 rounding.
 */
import { Model, type Graph } from '../ir/graph';
import { result, type PassResult } from '../passes/pass';
import { outputSet } from '../passes/util';
import { Session } from '../runtime/session';
import { ChannelStats, forEachBatch, type Feeds } from './data';
import { ScaleBook, followChain, type ScaleChain } from './scaling';

export interface SmoothQuantOptions {
  /** Migration strength in [0, 1]: 0 leaves activations as they are, 1 moves all of their range into the weights. Default 0.5. */
  alpha?: number;
}

const PRODUCERS = new Set(['Conv', 'Gemm', 'MatMul', 'LayerNormalization']);

/** The producer -> consumers chains SmoothQuant can rescale, and the skipped ones with the reason. */
export function findSmoothQuantChains(graph: Graph): { chains: ScaleChain[]; skipped: string[] } {
  const consumers = graph.consumers();
  const outputs = outputSet(graph);
  const chains: ScaleChain[] = [];
  const skipped: string[] = [];
  for (const node of graph.nodes) {
    if (!PRODUCERS.has(node.opType)) continue;
    const c = followChain(graph, node, { single: false, consumerOk: (m) => m.groups === 1 }, consumers, outputs);
    if (typeof c === 'string') skipped.push(`skipped ${c}`);
    else if (c) chains.push(c);
  }
  return { chains, skipped };
}

/** Per-channel max |x| of each chain's end tensor (channels as the consumers read them). */
export async function smoothQuantStatistics(graph: Graph, batches: readonly Feeds[], options: { threads?: number } = {}): Promise<Map<string, Float64Array>> {
  const { chains } = findSmoothQuantChains(graph);
  const out = new Map<string, Float64Array>();
  if (chains.length === 0 || batches.length === 0) return out;
  const stats = new Map<string, ChannelStats>();
  for (const ch of chains) stats.set(ch.end, new ChannelStats(ch.consumers[0].cin, ch.consumers[0].kind !== 'Conv'));
  const session = await Session.create(new Model(graph), { threads: options.threads, fuse: false });
  try {
    await forEachBatch(session, batches, [...stats.keys()], (v) => {
      for (const [name, s] of stats) s.add(v[name]);
    });
  } finally {
    session.dispose();
  }
  for (const [name, s] of stats) out.set(name, s.absMax);
  return out;
}

/**
 * Rescales every chain of `graph` in place from per-channel activation maxima (as returned by
 * smoothQuantStatistics, keyed by the consumers' input tensor).
 */
export function applySmoothQuant(graph: Graph, absMax: Map<string, Float64Array>, options: SmoothQuantOptions = {}): PassResult {
  const alpha = options.alpha ?? 0.5;
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) throw new RangeError(`Expected a number in [0, 1] for smoothQuant alpha but received ${alpha}`);
  const { chains, skipped } = findSmoothQuantChains(graph);
  const book = new ScaleBook(graph);
  const changes: string[] = [];
  for (const ch of chains) {
    const xs = absMax.get(ch.end);
    if (!xs) continue;
    const channels = ch.consumers[0].cin / ch.spatial;
    const x = new Float64Array(channels);
    xs.forEach((v, i) => { const c = Math.floor(i / ch.spatial); x[c] = Math.max(x[c], v); });
    const w = book.inputAbsMax(ch.consumers, channels, ch.spatial);
    const s = new Float64Array(channels);
    let lo = Infinity, hi = 0;
    for (let c = 0; c < channels; c++) {
      s[c] = x[c] > 0 && w[c] > 0 ? Math.pow(x[c], alpha) / Math.pow(w[c], 1 - alpha) : 1;
      if (!(Number.isFinite(s[c]) && s[c] > 0)) s[c] = 1;
      lo = Math.min(lo, s[c]);
      hi = Math.max(hi, s[c]);
    }
    const xBefore = Math.max(...x), xAfter = Math.max(...x.map((v, c) => v / s[c]));
    book.divideOutputs(ch.producer, s);
    for (const m of ch.consumers) book.multiplyInputs(m, s, ch.spatial);
    changes.push(`smoothed "${ch.end}" (${ch.producer.describe()} -> ${ch.consumers.map((m) => m.node.describe()).join(', ')}): ` +
      `scales ${lo.toPrecision(3)}..${hi.toPrecision(3)}, max |x| ${xBefore.toPrecision(3)} -> ${xAfter.toPrecision(3)}`);
  }
  book.commit();
  return result(changes, skipped);
}

/** SmoothQuant on `graph` in place: statistics over `batches` (one float pass), then the rescaling. */
export async function smoothQuant(graph: Graph, batches: readonly Feeds[], options: SmoothQuantOptions & { threads?: number } = {}): Promise<PassResult> {
  return applySmoothQuant(graph, await smoothQuantStatistics(graph, batches, options), options);
}
