/**
 * analyze(): per-layer accuracy analysis of a quantized model against its float model, the way RKNN's
 * accuracy_analysis, Pulsar2's precision analysis and PPQ's graphwise/layerwise analysis do it, in one
 * pass over the data: each batch runs the analysis graph (lib/analyze/graph.ts) once, which computes
 * the float model, the quantized model and every layer alone, and reduces each comparison to a few
 * sums in the engine. See lib/analyze/types.ts for what every number means.
 */
import * as path from 'path';
import type { DatasetOptions } from '../data/dataset';
import { openFeeds, type DataSource } from '../data/feeds';
import { NpuqError } from '../errors';
import { Model } from '../ir/graph';
import { inferGraphSteps } from '../ir/infer';
import { runStepsSliced, type Steps } from '../ir/steps';
import type { Tensor } from '../ir/tensor';
import { QuantizedModel } from '../quantize/quantized-model';
import { batchLanes, runInLanes } from '../runtime/lanes';
import { defaultThreads, Session } from '../runtime/session';
import { buildAnalysisGraphSteps, probeOutputs, type AnalysisGraph } from './graph';
import { flagLayers, resolveThresholds } from './guidance';
import { ErrorAccumulator, probeVector } from './metrics';
import { TopKAccumulator } from './topk';
import type { Analysis, LayerAnalysis, OutputAnalysis, Thresholds } from './types';
import { outlierRow, weightStatisticsSteps } from './weights';

export interface AnalyzeOptions extends DatasetOptions {
  /** Samples to analyse: a directory of images, list file(s), a .npy batch, a Dataset or feed batches. Required. */
  data: DataSource;
  /** Samples per engine run. Default 16. */
  batchSize?: number;
  /** Flag thresholds; each defaults to DEFAULT_THRESHOLDS (lib/analyze/guidance.ts). */
  thresholds?: Partial<Thresholds>;
  /** Samples whose top-5 lists are kept per classifier output. Default 5. */
  topKSamples?: number;
  /** Histogram bins of the float and quantized values. Default 32. */
  bins?: number;
  /**
   * Engine threads. Default: min(cores, 4). With at least two batches per thread, each thread runs
   * whole batches (one run in flight per thread, each with its own arena); otherwise one run at a
   * time uses them all. The result is the same either way.
   */
  threads?: number;
  /** Also time one plain float pass over the same data (timing.float_pass_ms). Default false. */
  measureFloatPass?: boolean;
  /** Called after each batch with (samples done, samples total or undefined). */
  onProgress?: (done: number, total: number | undefined) => void;
}

function modelName(model: Model | string | undefined, qm: QuantizedModel): string {
  if (typeof model === 'string') return path.basename(model);
  return (model ?? qm.model).graph.name || 'model';
}

/**
 * Analyses `quantized` against its float model on `options.data`. `model` (the float model or its
 * path) names the analysis; the float graph compared is the one `quantized` was planned on (BatchNorm
 * folded: the same outputs).
 */
export async function analyze(model: Model | string | undefined, quantized: QuantizedModel, options: AnalyzeOptions): Promise<Analysis> {
  if (!(quantized instanceof QuantizedModel)) throw new TypeError(`Expected a QuantizedModel (from quantize()) for quantized but received ${quantized === null ? 'null' : typeof quantized}`);
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object for analyze but received ${options === null ? 'null' : typeof options}`);
  if (options.data === undefined) throw new TypeError('Expected samples for options.data but received undefined');
  if (model instanceof Model) {
    const a = model.graph.inputs.map((i) => i.name).join(','), b = quantized.graph.inputs.map((i) => i.name).join(',');
    if (a !== b) throw new NpuqError('INVALID_ARGUMENT', `the float model's inputs (${a}) are not those of the quantized model (${b}): pass the model the QuantizedModel was made from`);
  }
  const thresholds = resolveThresholds(options.thresholds);
  const keep = options.topKSamples ?? 5;
  const t0 = performance.now();
  // Everything on this thread runs in time slices (lib/ir/steps.ts): the event loop keeps turning.
  await quantized.emulationSliced();
  const ag = await runStepsSliced(buildAnalysisGraphSteps(quantized, { bins: options.bins }));
  const analysisModel = new Model(ag.graph);
  analysisModel.irVersion = quantized.model.irVersion;
  const cum = new Map(ag.layers.map((l) => [l.name, new ErrorAccumulator(ag.bins, l.range)]));
  const ind = new Map(ag.layers.filter((l) => l.individual).map((l) => [l.name, new ErrorAccumulator(ag.bins)]));
  const outAcc = new Map(ag.outputs.map((o) => [o.name, new ErrorAccumulator(1)]));
  const topk = new Map<string, TopKAccumulator>();
  const outShape = new Map<string, number[]>();
  const layerShape = new Map<string, number[]>();
  const fetch = [...probeOutputs(ag.layers), ...ag.outputs.flatMap((o) => [o.float, o.quantized])];
  const batchSize = options.batchSize ?? 16;
  const { batches, total } = await openFeeds(options.data, quantized.graph.inputs, options, batchSize);
  const batchCount = total !== undefined ? Math.ceil(total / batchSize) : Array.isArray(options.data) ? options.data.length : undefined;
  const lanes = batchLanes(options.threads ?? defaultThreads(), batchCount);
  // Relu/Clip fuse into the float Conv/Gemm before them where nothing else reads the Conv's own output
  // (lowering keeps any value a probe or a quantizer reads), and BatchNormalization folds as in a
  // plain float pass: digits_mobilenetv2's analysis 245 -> 219 ms.
  const session = await Session.create(analysisModel, { threads: lanes > 1 ? 1 : options.threads });
  let samples = 0;
  try {
    await runInLanes(batches as AsyncIterable<Record<string, Tensor>>, lanes, async (feeds, i) => {
      if (i === 0) await shapesOf(quantized, feeds, layerShape);
      return session.run(feeds, { outputs: fetch });
    }, async (res) => {
      samples += await runStepsSliced(accumulate(res));
      options.onProgress?.(samples, total);
    });
    if (samples === 0) throw new NpuqError('INVALID_DATA', 'the data has no samples: analysis needs at least one');
  } finally {
    session.dispose();
  }
  const analysisMs = performance.now() - t0;
  let floatMs: number | undefined;
  if (options.measureFloatPass) floatMs = await timeFloatPass(quantized, options);

  const { layers, outliers, weights, outputs } = await runStepsSliced(summarize());
  const perChannel = quantized.perChannel;
  const suggestions = flagLayers(layers, outliers, weights, thresholds, quantized.profile, perChannel);
  return {
    schema: 'npuquant.analysis/1',
    model: modelName(model, quantized),
    target: quantized.profile.name,
    samples,
    calibration: { method: quantized.calibration?.method ?? 'unknown', perChannel },
    thresholds,
    layers, outputs, weights, outliers, suggestions,
    timing: { analysis_ms: analysisMs, ...(floatMs !== undefined ? { float_pass_ms: floatMs } : {}) },
    created: new Date().toISOString(),
  };

  /** Adds one batch's probe sums and outputs to the accumulators (a step per layer); returns its sample count. */
  function* accumulate(res: Record<string, Tensor>): Steps<number> {
    for (const l of ag.layers) {
      cum.get(l.name)!.add(res[l.cumulative].data as Float64Array);
      if (l.individual) ind.get(l.name)!.add(res[l.individual].data as Float64Array);
      yield;
    }
    let items = 1;
    for (const o of ag.outputs) {
      const f = res[o.float], q = res[o.quantized];
      items = f.shape.length ? f.shape[0] : 1;
      outAcc.get(o.name)!.add(probeVector(f.data as Float32Array, q.data as Float32Array, items));
      if (!outShape.has(o.name)) outShape.set(o.name, f.shape.slice());
      if (f.shape.length === 2 && f.shape[1] > 1) {
        let acc = topk.get(o.name);
        if (!acc) topk.set(o.name, (acc = new TopKAccumulator(f.shape[1], keep)));
        acc.add(f.data as Float32Array, q.data as Float32Array, items);
      }
      yield;
    }
    return items;
  }

  /** The per-layer, weight and output tables from the accumulators (a step per layer). */
  function* summarize(): Steps<{ layers: LayerAnalysis[]; outliers: Analysis['outliers']; weights: Analysis['weights']; outputs: OutputAnalysis[] }> {
    const cosineOf = new Map<string, number>();
    const layers: LayerAnalysis[] = [];
    for (const l of ag.layers) {
      yield;
      layers.push(layerRow(l));
    }
    const outliers: Analysis['outliers'] = [];
    for (const l of ag.layers) {
      yield;
      if (l.moves) continue; // the layer it moves values from has the row
      const ch = cum.get(l.name)!.channelAbsMax();
      const row = ch && outlierRow(l.output, l.name, ch);
      if (row) outliers.push(row);
    }
    const weights = yield* weightStatisticsSteps(quantized.graph, quantized.plan);
    const outputs: OutputAnalysis[] = [];
    for (const o of ag.outputs) {
      yield;
      const m = outAcc.get(o.name)!.metrics();
      const t = topk.get(o.name);
      outputs.push({
        name: o.name, shape: outShape.get(o.name) ?? [],
        cosine: m.cosine, sqnr_db: m.sqnr_db, noise_signal_ratio: m.noise_signal_ratio, mse: m.mse, max_abs: m.max_abs,
        ...(t ? { ...t.result(), top5: t.samples } : {}),
      });
    }
    return { layers, outliers, weights, outputs };

    function layerRow(l: AnalysisGraph['layers'][number]): LayerAnalysis {
      const c = cum.get(l.name)!;
      const cm = c.metrics();
      cosineOf.set(l.output, cm.cosine);
      const before = l.inputs.map((t) => cosineOf.get(t)).filter((v): v is number => v !== undefined);
      return {
        name: l.name, op: l.op, output: l.output, shape: layerShape.get(l.output) ?? [], dtype: l.dtype, execution: l.execution, index: l.index, inputs: l.inputs,
        individual: ind.get(l.name)?.metrics() ?? null,
        cumulative: cm, float: c.float(), quantized: c.quantized(),
        cumulative_drop: (before.length ? Math.min(...before) : 1) - cm.cosine,
        flags: [],
      };
    }
  }
}

/** Shapes of the float graph's tensors for the first batch (shape inference in TS, no run). */
async function shapesOf(qm: QuantizedModel, feeds: Record<string, Tensor>, into: Map<string, number[]>): Promise<void> {
  try {
    const types = (await runStepsSliced(inferGraphSteps(qm.graph, { inputShapes: new Map(Object.entries(feeds).map(([k, t]) => [k, t.shape.slice()])) }))).types;
    for (const [name, t] of types) if (t.shape && t.shape.every((d) => typeof d === 'number')) into.set(name, t.shape.slice() as number[]);
  } catch {
    // Shapes are only informative in the report; the engine run reports real shape errors.
  }
}

/** Wall time of one plain float pass over the same data (the benchmark's reference): a default session. */
async function timeFloatPass(qm: QuantizedModel, options: AnalyzeOptions): Promise<number> {
  const t0 = performance.now();
  const session = await Session.create(qm.model, { threads: options.threads });
  try {
    const { batches } = await openFeeds(options.data, qm.graph.inputs, options, options.batchSize ?? 16);
    for await (const feeds of batches as AsyncIterable<Record<string, Tensor>>) await session.run(feeds);
  } finally {
    session.dispose();
  }
  return performance.now() - t0;
}
