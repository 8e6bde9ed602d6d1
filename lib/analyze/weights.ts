/**
 * Statistics that explain quantization loss without running anything quantized: the per-channel range
 * of constant weights (a per-tensor scale sized for the largest channel leaves the small ones a few
 * levels), and Pulsar2's outlier table of activations (channels far below the tensor's max).
 */
import type { Graph } from '../ir/graph';
import { runSteps, type Steps } from '../ir/steps';
import type { QuantPlan } from '../quantize/plan/types';
import type { OutlierRow, WeightStats } from './types';

function median(v: number[]): number {
  const s = v.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Axis of the output channels of a layer's weight: 0 for Conv / ConvTranspose-free layers, 1 for Gemm without transB and MatMul. */
function channelAxis(opType: string, transB: number): number {
  if (opType === 'Conv') return 0;
  if (opType === 'Gemm') return transB ? 0 : 1;
  return 1; // MatMul: [K, N]
}

/** Per-output-channel statistics of every Conv/Gemm/MatMul constant weight of `graph`. */
export function weightStatistics(graph: Graph, plan: QuantPlan): WeightStats[] {
  return runSteps(weightStatisticsSteps(graph, plan));
}

/** {@link weightStatistics} as steps (one per node), for time slices (lib/ir/steps.ts). */
export function* weightStatisticsSteps(graph: Graph, plan: QuantPlan): Steps<WeightStats[]> {
  const out: WeightStats[] = [];
  for (const node of graph.nodes) {
    yield;
    if (!['Conv', 'Gemm', 'MatMul'].includes(node.opType)) continue;
    const wName = node.inputs[1];
    const w = wName ? graph.initializers.get(wName) : undefined;
    if (!w || w.dtype !== 'float32' || w.shape.length < 2) continue;
    if (plan.nodes.get(node.name)?.fusedInto !== undefined) continue;
    const axis = channelAxis(node.opType, node.opType === 'Gemm' ? node.attrInt('transB', 0) : 0);
    const channels = w.shape[axis];
    const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const absmax = new Array<number>(channels).fill(0);
    const data = w.data as Float32Array;
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < min) min = v;
      if (v > max) max = v;
      const c = Math.floor(i / inner) % channels;
      const a = Math.abs(v);
      if (a > absmax[c]) absmax[c] = a;
    }
    const top = Math.max(...absmax), med = median(absmax);
    out.push({
      layer: node.name, tensor: wName, channels, min, max,
      channel_absmax_max: top, channel_absmax_median: med, ratio: med > 0 ? top / med : top > 0 ? Infinity : 1,
    });
  }
  return out;
}

/**
 * One outlier-table row from the max |x| per channel of a float activation (channels that never had
 * a finite value, marked -1, are left out). Level of channel c: log2(max over channels / max of c).
 */
export function outlierRow(tensor: string, layer: string, channelAbsMax: ArrayLike<number>): OutlierRow | undefined {
  const m = Array.from(channelAbsMax).filter((v) => v >= 0);
  if (m.length < 2) return undefined;
  const top = Math.max(...m);
  const share = (level: number) => (top > 0 ? m.filter((v) => v > 0 && Math.log2(top / v) >= level).length / m.length : 0);
  return {
    tensor, layer, channels: m.length,
    level3: share(3), level4: share(4), level5: share(5), level6: share(6),
    sparse: m.filter((v) => v === 0).length / m.length,
  };
}
