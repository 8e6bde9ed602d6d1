/**
 * Automatic mixed-precision search (TPU-MLIR `search_qtable` / `run_sensitive_layer` style): find a small
 * set of layers to raise to a higher precision so that an output metric meets a goal.
 *
 * 1. Candidates: the layers analyze() suggests (worst first), then the other layers by individual
 *    noise:signal, at most `candidates` of them, each with the next precision up the target offers.
 * 2. Gain of each candidate raised alone, measured at the output on the samples (one quantized pass each;
 *    the calibration ranges are reused, only the plan changes).
 * 3. Greedy growth: candidates by measured gain, added one at a time until the goal holds. Every step is a
 *    point of the trade-off curve, with its cost: the share of the model's MACs, and of its weight and
 *    activation bytes, that run in the higher precision.
 */
import type { Analysis } from '../analyze/types';
import { higherPrecision } from '../analyze/guidance';
import { compareValues } from '../analyze/metrics';
import { topK } from '../analyze/topk';
import type { DatasetOptions } from '../data/dataset';
import { openFeeds, type DataSource, type Feeds } from '../data/feeds';
import { NpuqError } from '../errors';
import type { Graph } from '../ir/graph';
import { inferGraph } from '../ir/infer';
import type { Tensor } from '../ir/tensor';
import { planQuantization } from '../quantize/plan/planner';
import type { Precision } from '../quantize/profile';
import { QuantizedModel } from '../quantize/quantized-model';

/** What the search must reach: mean per-sample output cosine, or top-1 agreement with float (classifier outputs). */
export interface SearchGoal {
  metric: 'cosine' | 'top1';
  value: number;
  /** Graph output measured. Default: the first. */
  output?: string;
}

export interface SearchOptions extends DatasetOptions {
  data: DataSource;
  goal: SearchGoal;
  /** Candidate layers measured one by one. Default 24. */
  candidates?: number;
  /** Samples per engine run. Default 16. */
  batchSize?: number;
  threads?: number;
  /** Called after each evaluation with (evaluations done, evaluations planned at most). */
  onProgress?: (done: number, total: number) => void;
}

export interface SearchPoint {
  /** Layers raised at this point, in the order they were added. */
  layers: string[];
  metric: number;
  /** Share of the model's multiply-accumulates in the raised layers. */
  macs_share: number;
  /** Share of the model's weight and activation elements (bytes at equal width) in the raised layers. */
  bytes_share: number;
}

export interface SearchResult {
  goal: SearchGoal;
  met: boolean;
  /** Metric of the model as quantized (no layer raised). */
  baseline: number;
  /** The chosen layers and their precisions (the smallest curve point that meets the goal, else all candidates). */
  layers: Record<string, Precision>;
  /** Each candidate raised alone: its metric and gain over the baseline. */
  single: { name: string; precision: Precision; metric: number; gain: number }[];
  curve: SearchPoint[];
  evaluations: number;
  elapsed_ms: number;
}

/** MACs and elements (weights + output) per node, for the cost estimate. */
function layerCosts(graph: Graph, inputShapes: Map<string, number[]>): Map<string, { macs: number; elems: number }> {
  const types = inferGraph(graph, { inputShapes }).types;
  const size = (t: string) => {
    const s = types.get(t)?.shape;
    return s && s.every((d) => typeof d === 'number') ? (s as number[]).reduce((a, b) => a * b, 1) : 0;
  };
  const out = new Map<string, { macs: number; elems: number }>();
  for (const n of graph.nodes) {
    const w = n.inputs[1] ? graph.initializers.get(n.inputs[1]) : undefined;
    const outElems = size(n.outputs[0]);
    let macs = 0;
    if (w && n.opType === 'Conv') macs = outElems * w.shape.slice(1).reduce((a, b) => a * b, 1);
    else if (w && (n.opType === 'Gemm' || n.opType === 'MatMul')) macs = outElems * (n.opType === 'Gemm' && n.attrInt('transB', 0) ? w.shape[1] : w.shape[0]);
    out.set(n.name, { macs, elems: outElems + (w ? w.shape.reduce((a, b) => a * b, 1) : 0) });
  }
  return out;
}

/**
 * A QuantizedModel with the same calibration ranges and plan options and these layers raised (on top
 * of the precisions `qm` already overrides). Integers learned after planning (AdaRound, bias
 * correction) are not carried over: the candidates are compared as planned.
 */
export function withPrecisions(qm: QuantizedModel, layers: Record<string, Precision>): QuantizedModel {
  const o = qm.planOptions;
  const planOptions = { ...o, overrides: { ...o.overrides, precision: { ...o.overrides?.precision, ...layers } } };
  const plan = planQuantization(qm.graph, qm.profile, qm.plan.ranges, { perChannel: qm.perChannel, ...planOptions });
  return new QuantizedModel(qm.model, qm.profile, plan, {}, { calibration: qm.calibration, planOptions, optimize: qm.optimize });
}

/** Runs the search. `analysis` is analyze() of `qm` (it ranks the candidates). */
export async function searchMixedPrecision(qm: QuantizedModel, analysis: Analysis, options: SearchOptions): Promise<SearchResult> {
  const t0 = performance.now();
  const { goal } = options;
  if (!goal || (goal.metric !== 'cosine' && goal.metric !== 'top1') || !(goal.value > 0 && goal.value <= 1)) {
    throw new TypeError(`Expected a goal { metric: 'cosine' | 'top1', value in (0, 1] } for options.goal but received ${JSON.stringify(goal)}`);
  }
  const outName = goal.output ?? qm.graph.outputs[0].name;
  if (!qm.graph.outputs.some((o) => o.name === outName)) throw new NpuqError('INVALID_ARGUMENT', `goal.output "${outName}" is not an output of the model (${qm.graph.outputs.map((o) => o.name).join(', ')})`);

  // The samples stay in memory for the repeated passes: use options.limit on large sets.
  const batches: Feeds[] = [];
  const { batches: it } = await openFeeds(options.data, qm.graph.inputs, options, options.batchSize ?? 16);
  for await (const b of it as AsyncIterable<Feeds>) batches.push(b);
  if (batches.length === 0) throw new NpuqError('INVALID_DATA', 'the data has no samples: the search needs some');
  const floats: Tensor[] = [];
  for (const b of batches) floats.push((await qm.runFloat(b, { outputs: [outName] }))[outName]);
  if (goal.metric === 'top1' && floats[0].shape.length !== 2) throw new NpuqError('INVALID_ARGUMENT', `goal top1 needs a [batch, classes] output; "${outName}" has shape [${floats[0].shape.join(', ')}]; use goal cosine`);

  const measure = async (m: QuantizedModel): Promise<number> => {
    let sum = 0, items = 0;
    try {
      for (let i = 0; i < batches.length; i++) {
        const q = (await m.run(batches[i], { outputs: [outName] }))[outName];
        const f = floats[i];
        const n = f.shape.length ? f.shape[0] : 1;
        if (goal.metric === 'cosine') {
          sum += compareValues(f.data as Float32Array, q.data as Float32Array, n).cosine * n;
        } else {
          const c = f.shape[1];
          for (let k = 0; k < n; k++) {
            const rf = (f.data as Float32Array).subarray(k * c, (k + 1) * c), rq = (q.data as Float32Array).subarray(k * c, (k + 1) * c);
            if (topK(rf, 1)[0].index === topK(rq, 1)[0].index) sum++;
          }
        }
        items += n;
      }
    } finally {
      if (m !== qm) await m.dispose();
    }
    return sum / items;
  };

  // Candidates.
  const up = (name: string) => higherPrecision(qm.profile, analysis.layers.find((l) => l.name === name)?.dtype ?? 'int8');
  const ranked = [
    ...analysis.suggestions.map((s) => s.name),
    ...analysis.layers.filter((l) => l.individual).sort((a, b) => b.individual!.noise_signal_ratio - a.individual!.noise_signal_ratio).map((l) => l.name),
  ];
  const max = options.candidates ?? 24;
  const candidates: { name: string; precision: Precision }[] = [];
  for (const name of ranked) {
    if (candidates.length >= max || candidates.some((c) => c.name === name)) continue;
    const p = up(name);
    if (p) candidates.push({ name, precision: p });
  }
  const planned = 1 + 2 * candidates.length;
  let evaluations = 0;
  const step = () => {
    evaluations++;
    options.onProgress?.(evaluations, planned);
  };

  const baseline = await measure(qm);
  step();
  const costs = layerCosts(qm.graph, new Map(Object.entries(batches[0]).map(([k, t]) => [k, t.shape.slice()])));
  let totalMacs = 0, totalElems = 0;
  for (const c of costs.values()) { totalMacs += c.macs; totalElems += c.elems; }
  const point = (names: string[], metric: number): SearchPoint => {
    // A raised layer includes the activation fused into it.
    const all = new Set(names);
    for (const n of qm.plan.nodes.values()) if (n.fusedInto && all.has(n.fusedInto)) all.add(n.name);
    let macs = 0, elems = 0;
    for (const n of all) { macs += costs.get(n)?.macs ?? 0; elems += costs.get(n)?.elems ?? 0; }
    return { layers: names.slice(), metric, macs_share: totalMacs ? macs / totalMacs : 0, bytes_share: totalElems ? elems / totalElems : 0 };
  };
  const meets = (v: number) => v >= goal.value;
  const curve: SearchPoint[] = [point([], baseline)];
  const single: SearchResult['single'] = [];
  if (!meets(baseline)) {
    for (const c of candidates) {
      const v = await measure(withPrecisions(qm, { [c.name]: c.precision }));
      step();
      single.push({ ...c, metric: v, gain: v - baseline });
    }
    const order = single.slice().sort((a, b) => b.gain - a.gain);
    const chosen: string[] = [];
    for (const c of order) {
      chosen.push(c.name);
      const layers = Object.fromEntries(chosen.map((n) => [n, candidates.find((x) => x.name === n)!.precision]));
      const v = chosen.length === 1 ? c.metric : await measure(withPrecisions(qm, layers));
      if (chosen.length > 1) step();
      curve.push(point(chosen, v));
      if (meets(v)) break;
    }
  }
  const best = curve.find((p) => meets(p.metric)) ?? curve[curve.length - 1];
  return {
    goal: { ...goal, output: outName },
    met: meets(best.metric),
    baseline,
    layers: Object.fromEntries(best.layers.map((n) => [n, candidates.find((c) => c.name === n)!.precision])),
    single, curve, evaluations,
    elapsed_ms: performance.now() - t0,
  };
}
