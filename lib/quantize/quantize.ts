/**
 * quantize(): float model + calibration data + chip profile → QuantizedModel, the way vendor
 * toolkits' build/deploy steps do it: optimize (the "optimize" pass pipeline), one float pass over the
 * data with observers in the engine, calibration ranges per tensor, then the plan. `saveQuantized`
 * and `loadQuantized` write and read a quantized-model folder (model.qdq.onnx, quant_params.json,
 * model.float.onnx); loading replays the plan from the saved parameters without calibrating.
 */
import * as fs from 'fs';
import * as path from 'path';
import { type CalibrationMethod, type MethodOptions } from '../calibrate/methods';
import { collectStatistics, type TensorStats } from '../calibrate/observe';
import type { Dataset, DatasetOptions } from '../data/dataset';
import { openFeeds } from '../data/feeds';
import { NpuqError } from '../errors';
import { Model } from '../ir/graph';
import type { Tensor } from '../ir/tensor';
import { loadModel, saveModel } from '../io/onnx';
import { irVersionFor } from '../ir/opset-upgrade';
import { foldBatchNorm } from '../passes/fold-batchnorm';
import { DEFAULT_PIPELINE, getPass, runPassesSteps } from '../passes/pipeline';
import { runSteps, runStepsSliced, type Steps } from '../ir/steps';
import { Session } from '../runtime/session';
import { toQdqModel } from '../export/qdq';
import { calibrateModelRanges, type AutoRangeOptions } from './auto-ranges';
import { applyFloatPtq, applyPlanPtq, type PtqOptions } from '../ptq/apply';
import { restoreSavedIntegers, weightBitsOf } from '../ptq/replay';
import { parseQuantParams } from './params-json';
import { decideExecutions } from './plan/executions';
import { planQuantization, planQuantizationSteps, withGranularity, type PlanOptions } from './plan/planner';
import type { QuantOverrides } from './plan/types';
import type { ChipProfile, Precision } from './profile';
import { QuantizedModel } from './quantized-model';
import { getProfile } from './targets/index';

type Feeds = Record<string, Tensor>;

export interface QuantizeOptions extends DatasetOptions, MethodOptions, AutoRangeOptions, PtqOptions {
  /** Chip profile or its name (see listProfiles()). Required. */
  target: string | ChipProfile;
  /**
   * Calibration data: a directory of images, a list file, several list files (one per input), a
   * single .npy batch (see openDataset), an opened Dataset, or an iterable of feed batches. Required.
   */
  data: string | string[] | Dataset | Iterable<Feeds> | AsyncIterable<Feeds>;
  /** Calibration method. Default: the profile's (`ema` when it uses a moving average). */
  method?: CalibrationMethod;
  /** Methods of single tensors, by tensor name. Default: minmax for the graph outputs (ema when method is ema), `method` elsewhere. */
  perTensorMethod?: Record<string, CalibrationMethod>;
  /** Per-channel (true) or per-tensor (false) weights. Default: the profile's. */
  perChannel?: boolean;
  /** Per-layer precisions and fixed ranges (hybrid quantization). Default none. */
  overrides?: QuantOverrides;
  /** Samples per calibration run. Default 16. */
  batchSize?: number;
  /** Histogram bins of the observers. Default: the profile's calibration.bins (2048). */
  bins?: number;
  /** Engine threads. Default: min(cores, 4). */
  threads?: number;
  /**
   * Graph optimization before calibration and planning (lib/passes), as vendor toolkits optimize
   * before they quantize: `'default'` runs the "optimize" pipeline (DEFAULT_PIPELINE: constant
   * folding, fold-batchnorm, fuse-hardswish, div-to-mul, Mul/Add folding into Convs, ...) to a fixed
   * point; `'none'` only folds BatchNormalization into the Conv/Gemm before it; a list runs those
   * passes (names as `npuquant optimize --passes`; an unknown name fails naming the closest). Every
   * pipeline keeps valid ONNX; fuse-hardswish raises an opset below 14 to 14 when it fuses (the
   * operators whose form changed rewritten, lib/ir/opset-upgrade.ts). Default 'default'.
   */
  optimize?: OptimizeSetting;
  /** Called after each calibration batch with (samples done, samples total or undefined). */
  onProgress?: (done: number, total: number | undefined) => void;
}

/** Which graph passes quantize() runs before planning (see QuantizeOptions.optimize). */
export type OptimizeSetting = 'default' | 'none' | readonly string[];

/** The pass names an optimize setting stands for ('none': []); throws for a bad setting or an unknown pass. */
export function optimizePasses(optimize: OptimizeSetting = 'default'): string[] {
  if (optimize === 'default') return [...DEFAULT_PIPELINE];
  if (optimize === 'none') return [];
  if (!Array.isArray(optimize) || optimize.some((p) => typeof p !== 'string')) {
    throw new TypeError(`Expected 'default', 'none' or an array of pass names for options.optimize but received ${JSON.stringify(optimize)}`);
  }
  for (const p of optimize) getPass(p);
  return [...optimize];
}

/**
 * The float graph quantize() plans on: a copy optimized by `optimize` (default: the "optimize"
 * pipeline), with BatchNormalization folded into Conv/Gemm in any case. Hybrid configs name the layers
 * of this graph, and saveQuantized writes it as model.float.onnx.
 */
export function optimizedForQuantization(model: Model, optimize: OptimizeSetting = 'default'): Model {
  return runSteps(optimizedForQuantizationSteps(model, optimizePasses(optimize)));
}

/** optimizedForQuantization as steps (one per pass run), for quantize()'s time slices. */
function* optimizedForQuantizationSteps(model: Model, passes: string[]): Steps<Model> {
  const g = model.graph.clone();
  yield;
  // raiseOpset: an exported HardSwish below opset 14 becomes one HardSwish (the graph raised to 14), as
  // vendor toolkits quantize it: one activation instead of two to four quantized elementwise layers.
  if (passes.length) yield* runPassesSteps(g, passes, { raiseOpset: true });
  yield;
  foldBatchNorm(g);
  const m = new Model(g);
  m.irVersion = irVersionFor(g.opset, model.irVersion);  // the opset may have been raised
  return m;
}

function resolveProfile(target: unknown): ChipProfile {
  if (typeof target === 'string') return getProfile(target);
  if (typeof target === 'object' && target !== null && 'activation' in target && 'name' in target) return target as ChipProfile;
  throw new TypeError(`Expected a profile name or a ChipProfile for options.target but received ${typeof target}`);
}

/** Calibration statistics of every activation of `model` over `data` (one float pass, observers in the engine). */
export async function calibrationStatistics(model: Model, options: QuantizeOptions, profile: ChipProfile): Promise<Map<string, TensorStats>> {
  const session = await Session.create(model, { threads: options.threads, fuse: false });
  try {
    const { batches, total } = await openFeeds(options.data, model.graph.inputs, options, options.batchSize ?? 16);
    const method = options.method ?? defaultMethod(profile);
    const needsHistogram = (m: CalibrationMethod) => m !== 'minmax' && m !== 'ema';
    const histogram = needsHistogram(method) || Object.values(options.perTensorMethod ?? {}).some(needsHistogram);
    return await collectStatistics(session, batches, {
      histogram, bins: options.bins ?? profile.calibration.bins,
      emaMomentum: profile.calibration.movingAverage || 0.01,
      onProgress: options.onProgress ? (done) => options.onProgress!(done, total) : undefined,
    });
  } finally {
    session.dispose();
  }
}

function defaultMethod(profile: ChipProfile): CalibrationMethod {
  return profile.calibration.movingAverage > 0 && profile.calibration.method === 'minmax' ? 'ema' : profile.calibration.method;
}

/**
 * Quantizes a float model for a chip: returns a QuantizedModel whose `run` emulates the chip bit for
 * bit and whose parameters export to QDQ ONNX and vendor files.
 */
export async function quantize(model: Model | string, options: QuantizeOptions): Promise<QuantizedModel> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object for quantize but received ${options === null ? 'null' : typeof options}`);
  const profile = resolveProfile(options.target);
  if (options.data === undefined) throw new TypeError('Expected calibration data for options.data but received undefined');
  const float = typeof model === 'string' ? await loadModel(model) : model;
  // Graph passes and planning run in time slices: the event loop keeps turning (lib/ir/steps.ts).
  const m = await runStepsSliced(optimizedForQuantizationSteps(float, optimizePasses(options.optimize)));
  // CLE and SmoothQuant rewrite the float graph before calibration (lib/ptq).
  const ptq = await applyFloatPtq(m, options);
  if (ptq.data !== options.data) options = { ...options, data: ptq.data };
  const stats = await calibrationStatistics(m, options, profile);
  const method = options.method ?? defaultMethod(profile);
  // Graph outputs keep their whole range unless a method is given for them: a clipping method cuts
  // the top logits to one value, and then the ranking (top-1/top-5) is lost.
  const perTensor: Record<string, CalibrationMethod> = {};
  for (const o of m.graph.outputs) if (stats.has(o.name)) perTensor[o.name] = method === 'ema' ? 'ema' : 'minmax';
  // Method 'auto' plans and runs the model per candidate threshold: with the same plan options as below.
  const planOptions: PlanOptions = { perChannel: options.perChannel, overrides: options.overrides, weightBits: options.weightBits };
  const ranges = await calibrateModelRanges(stats, method, {
    ...options, perTensor: { ...perTensor, ...options.perTensorMethod }, model: m, profile,
    plan: (r) => planQuantization(m.graph, profile, r, planOptions),
  });
  const plan = await runStepsSliced(planQuantizationSteps(m.graph, profile, ranges, planOptions));
  // AdaRound and bias correction change the plan's integers (lib/ptq).
  await applyPlanPtq(m, profile, plan, ptq, options);
  return new QuantizedModel(m, profile, plan, { threads: options.threads }, { calibration: { method }, planOptions, optimize: optimizePasses(options.optimize) });
}

/** Writes model.qdq.onnx, quant_params.json and model.float.onnx into `dir`. */
export async function saveQuantized(qm: QuantizedModel, dir: string): Promise<string[]> {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new NpuqError('FILE_WRITE', `cannot create ${dir}: ${(e as Error).message}`, { file: dir, cause: e });
  }
  const files = [path.join(dir, 'model.qdq.onnx'), path.join(dir, 'quant_params.json'), path.join(dir, 'model.float.onnx')];
  await saveModel(toQdqModel(qm), files[0]);
  try {
    fs.writeFileSync(files[1], `${JSON.stringify(qm.quantParams(), null, 1)}\n`);
  } catch (e) {
    throw new NpuqError('FILE_WRITE', `cannot write ${files[1]}: ${(e as Error).message}`, { file: files[1], cause: e });
  }
  await saveModel(qm.model, files[2]);
  return files;
}

/** Reads a folder written by saveQuantized (or `npuquant quantize`) and replays its plan. */
export async function loadQuantized(dir: string, options: { threads?: number } = {}): Promise<QuantizedModel> {
  const paramsFile = path.join(dir, 'quant_params.json');
  const modelFile = path.join(dir, 'model.float.onnx');
  for (const f of [paramsFile, modelFile]) {
    if (!fs.existsSync(f)) throw new NpuqError('FILE_NOT_FOUND', `${f} does not exist; ${dir} must be a folder written by npuquant quantize`, { file: f });
  }
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(paramsFile, 'utf8'));
  } catch (e) {
    throw new NpuqError('INVALID_DATA', `${paramsFile} is not valid JSON: ${(e as Error).message}`, { file: paramsFile, cause: e });
  }
  const replay = parseQuantParams(json, paramsFile);
  const m = await loadModel(modelFile);
  const profile = getProfile(replay.target);
  // Only precisions that differ from what the profile decides by itself are overrides.
  const defaults = decideExecutions(m.graph, withGranularity(profile, undefined), () => true);
  const precision: Record<string, Precision> = {};
  for (const [name, p] of Object.entries(replay.precision)) if (defaults.get(name)?.precision !== p) precision[name] = p;
  const planOptions: PlanOptions = { overrides: { precision }, perChannel: perChannelOf(json), weightBits: weightBitsOf(json) };
  const plan = planQuantization(m.graph, profile, replay.ranges, { ...planOptions, fixedTensors: replay.tensors });
  // Integers that planning does not reproduce (AdaRound, bias correction) are read from the QDQ model.
  const qdqFile = path.join(dir, 'model.qdq.onnx');
  if (fs.existsSync(qdqFile)) restoreSavedIntegers(plan, await loadModel(qdqFile), qdqFile);
  return new QuantizedModel(m, profile, plan, options, { planOptions, optimize: replay.optimize });
}

function perChannelOf(json: unknown): boolean | undefined {
  const t = (json as { tensors?: Record<string, { role: string; axis?: number }> }).tensors ?? {};
  const weights = Object.values(t).filter((x) => x.role === 'weight');
  if (weights.length === 0) return undefined;
  return weights.some((w) => w.axis !== undefined);
}
