/**
 * Hybrid quantization in two steps, as RKNN-Toolkit2's hybrid_quantization_step1/step2:
 *  - step 1 quantizes, analyses, and writes `<model>.quantization.yaml` with the per-tensor parameters and
 *    `custom_quantize_layers` pre-filled with the suggested layers (each commented with its metrics and
 *    the reason), plus the analysis reports;
 *  - the user edits the layers;
 *  - step 2 validates the config (a name that is not in the model or a precision the target lacks is an
 *    error naming the closest names / the supported precisions: nothing is ignored silently),
 *    re-quantizes with those layers in higher precision (conversions at their boundaries as the chip
 *    does them) and writes what `quantize` writes, plus a new analysis.
 * Configs in vendor formats (lib/hybrid/formats) are read too.
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyze } from '../analyze/analyze';
import { higherPrecision } from '../analyze/guidance';
import type { Analysis, Thresholds } from '../analyze/types';
import { NpuqError } from '../errors';
import type { Graph, Model } from '../ir/graph';
import { loadModel } from '../io/onnx';
import type { Precision } from '../quantize/profile';
import { optimizedForQuantization, quantize, saveQuantized, type OptimizeSetting, type QuantizeOptions } from '../quantize/quantize';
import { DEFAULT_PIPELINE } from '../passes/pipeline';
import type { QuantizedModel } from '../quantize/quantized-model';
import { getProfile } from '../quantize/targets/index';
import { writeReports } from '../report/index';
import { validateConfig, type HybridConfig, type TensorParams } from './config';
import { detectFormat, getFormat } from './formats/index';
import { searchMixedPrecision, type SearchGoal, type SearchResult } from './search';
import { readYamlConfig, writeYamlConfig } from './yaml-config';

/** How step 1 picks layers: the analysis' flagged layers, the N worst by individual error, or the search. */
export type SuggestStrategy = 'threshold' | { top: number } | { search: SearchGoal; candidates?: number };

export interface Step1Options extends QuantizeOptions {
  /** Default 'threshold' (the layers analyze() flags, with the precision it suggests). */
  suggest?: SuggestStrategy;
  /** Flag thresholds of the analysis. Default: DEFAULT_THRESHOLDS. */
  thresholds?: Partial<Thresholds>;
  /** Folder to write `<name>.quantization.yaml` and the reports into. Default: nothing written. */
  out?: string;
  /** Model name of the config file. Default: the model file's base name, or the graph name. */
  name?: string;
}

export interface Step1Result {
  config: HybridConfig;
  analysis: Analysis;
  /** The plain quantized model (no layer raised); dispose it when done. */
  quantized: QuantizedModel;
  search?: SearchResult;
  /** Files written (config first). */
  files: string[];
}

const fmt = (v: number | null | undefined) => (v === null || v === undefined ? 'inf' : Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2));

function baseName(model: Model | string, name?: string): string {
  if (name) return name;
  if (typeof model === 'string') return path.basename(model).replace(/\.onnx$/i, '');
  return model.graph.name || 'model';
}

/** The per-tensor parameters of a quantized model, as config files carry them. */
export function tensorParams(qm: QuantizedModel): Record<string, TensorParams> {
  const out: Record<string, TensorParams> = {};
  for (const [name, q] of qm.plan.tensors) {
    const r = qm.plan.ranges.get(name);
    out[name] = { dtype: q.dtype, scale: q.scale.slice(), zeroPoint: q.zeroPoint.slice(), ...(r ? { min: r.min, max: r.max } : {}), ...(q.axis !== undefined && q.scale.length > 1 ? { axis: q.axis } : {}) };
  }
  return out;
}

/** Step 1: quantize, analyse, suggest layers; returns the config (and writes it when `out` is set). */
export async function step1(model: Model | string, options: Step1Options): Promise<Step1Result> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object for hybrid.step1 but received ${options === null ? 'null' : typeof options}`);
  const float = typeof model === 'string' ? await loadModel(model) : model;
  const qm = await quantize(float, options);
  try {
    const analysis = await analyze(typeof model === 'string' ? model : float, qm, { ...options, data: options.data, thresholds: options.thresholds });
    const suggest = options.suggest ?? 'threshold';
    const layers: Record<string, Precision> = {};
    const comments: Record<string, string> = {};
    const byName = new Map(analysis.layers.map((l) => [l.name, l]));
    const comment = (name: string, reason: string) => {
      const l = byName.get(name)!;
      comments[name] = `individual cos ${fmt(l.individual?.cosine)} nsr ${fmt(l.individual?.noise_signal_ratio)}, cumulative cos ${fmt(l.cumulative.cosine)}; ${reason}`;
    };
    let search: SearchResult | undefined;
    if (suggest === 'threshold') {
      for (const s of analysis.suggestions) {
        if (!s.precision) continue;
        layers[s.name] = s.precision as Precision;
        comment(s.name, s.reason);
      }
    } else if (typeof suggest === 'object' && 'top' in suggest) {
      if (!Number.isInteger(suggest.top) || suggest.top < 1) throw new RangeError(`Expected a positive integer for suggest.top but received ${suggest.top}`);
      const ranked = analysis.layers.filter((l) => l.individual).sort((a, b) => b.individual!.noise_signal_ratio - a.individual!.noise_signal_ratio);
      for (const l of ranked) {
        if (Object.keys(layers).length >= suggest.top) break;
        const p = higherPrecision(qm.profile, l.dtype);
        if (!p) continue;
        layers[l.name] = p;
        comment(l.name, `top ${suggest.top} by individual noise:signal`);
      }
    } else if (typeof suggest === 'object' && 'search' in suggest) {
      search = await searchMixedPrecision(qm, analysis, { ...options, goal: suggest.search, candidates: suggest.candidates });
      for (const [name, p] of Object.entries(search.layers)) {
        layers[name] = p;
        const i = search.curve.findIndex((c) => c.layers.includes(name));
        comment(name, `search step ${i}: ${search.goal.metric} ${fmt(search.curve[i]?.metric)} (goal ${search.goal.value})`);
      }
      analysis.search = search;
    } else {
      throw new TypeError(`Expected 'threshold', { top: N } or { search: goal } for options.suggest but received ${JSON.stringify(suggest)}`);
    }
    const config: HybridConfig = {
      target: qm.profile.name,
      calibration: { method: qm.calibration?.method ?? 'minmax', perChannel: qm.perChannel, ...(qm.optimize ? { optimize: optimizeSettingOf(qm.optimize) } : {}) },
      layers, comments, tensors: tensorParams(qm),
    };
    const files: string[] = [];
    if (options.out) {
      fs.mkdirSync(options.out, { recursive: true });
      const file = path.join(options.out, `${baseName(model, options.name)}.quantization.yaml`);
      fs.writeFileSync(file, writeYamlConfig(config, { precisions: qm.profile.hybrid.precisions }));
      files.push(file, ...writeReports(analysis, options.out));
    }
    return { config, analysis, quantized: qm, search, files };
  } catch (e) {
    await qm.dispose();
    throw e;
  }
}

export interface Step2Options extends Omit<QuantizeOptions, 'target'> {
  /** Target, needed for vendor-format configs (npuquant's YAML names its own). */
  target?: string;
  /** Config format; default: detected from the file (lib/hybrid/formats detectFormat). */
  format?: string;
  /** Folder to write the quantized model (what `quantize` writes) and the new analysis into. */
  out?: string;
  thresholds?: Partial<Thresholds>;
  /** Skip the analysis of the hybrid model. Default false. */
  skipAnalysis?: boolean;
}

export interface Step2Result {
  config: HybridConfig;
  quantized: QuantizedModel;
  analysis?: Analysis;
  files: string[];
}

/**
 * Reads a config file in any supported format, names resolved against `graph`: the graph quantize()
 * plans on (`optimizedForQuantization(model, options.optimize).graph`, with the same `optimize`).
 */
export function readConfigFile(file: string, graph: Graph, options: { target?: string; format?: string } = {}): HybridConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new NpuqError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_READ', `cannot read the hybrid config ${file}: ${(e as Error).message}`, { file, cause: e });
  }
  const format = options.format ? getFormat(options.format) : detectFormat(file, text);
  const part = format.read(text, graph, { file });
  const target = part.target ?? options.target;
  if (!target) throw new NpuqError('INVALID_ARGUMENT', `${file} is a ${format.name} config, which names no target: pass the target (--target)`, { file });
  return { ...part, target, layers: part.layers ?? {} };
}

/** The optimize setting a list of passes stands for ('default' / 'none' when it is one of those). */
export function optimizeSettingOf(passes: readonly string[]): OptimizeSetting {
  if (passes.length === 0) return 'none';
  if (passes.length === DEFAULT_PIPELINE.length && passes.every((p, i) => p === DEFAULT_PIPELINE[i])) return 'default';
  return [...passes];
}

/** The optimize setting a hybrid config file records (npuquant YAML written by step 1), or undefined. */
export function configFileOptimize(file: string, options: { format?: string } = {}): OptimizeSetting | undefined {
  return configOptimize(configFileCalibration(file, options), file);
}

/** The calibration settings of a config file when it is npuquant's YAML (vendor formats carry none of quantize()'s passes). */
function configFileCalibration(file: string, options: { format?: string }): Pick<HybridConfig, 'calibration'> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return {}; // readConfigFile reports it
  }
  const format = options.format ? getFormat(options.format) : detectFormat(file, text);
  return format.name === 'npuquant' ? { calibration: readYamlConfig(text, file).calibration } : {};
}

/** The `calibration.optimize` of a config (undefined when absent); INVALID_DATA when malformed. */
function configOptimize(cfg: Pick<HybridConfig, 'calibration'>, source: string): OptimizeSetting | undefined {
  const o = cfg.calibration?.optimize;
  if (o === undefined) return undefined;
  if (o === 'default' || o === 'none' || (Array.isArray(o) && o.every((x) => typeof x === 'string'))) return o as OptimizeSetting;
  throw new NpuqError('INVALID_DATA', `${source}: calibration.optimize must be default, none or a list of pass names but is ${JSON.stringify(o)}`);
}

/**
 * Validates a config against the model (names, precisions of its target) and returns the quantize()
 * overrides it stands for: the layers' precisions and the tensors' calibrated ranges (min/max).
 */
export function configOverrides(cfg: HybridConfig, graph: Graph, source = 'hybrid config'): { precision: Record<string, Precision>; ranges: Record<string, { min: number; max: number }> } {
  validateConfig(cfg, graph, getProfile(cfg.target), source);
  const ranges: Record<string, { min: number; max: number }> = {};
  for (const [t, p] of Object.entries(cfg.tensors ?? {})) if (p.min !== undefined && p.max !== undefined) ranges[t] = { min: p.min, max: p.max };
  return { precision: { ...cfg.layers }, ranges };
}

/** Step 2: validate the config, re-quantize with its layers raised, write the result. */
export async function step2(model: Model | string, config: HybridConfig | string, options: Step2Options): Promise<Step2Result> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object for hybrid.step2 but received ${options === null ? 'null' : typeof options}`);
  const float = typeof model === 'string' ? await loadModel(model) : model;
  const source = typeof config === 'string' ? config : 'hybrid config';
  // The layer names are those of the graph the config was made on: the config's optimize setting
  // (written by step 1) unless options.optimize is given.
  const optimize = options.optimize ?? configOptimize(typeof config === 'string' ? configFileCalibration(config, options) : config, source);
  const graph = optimizedForQuantization(float, optimize).graph;
  const cfg = typeof config === 'string' ? readConfigFile(config, graph, options) : config;
  if (options.target && cfg.target !== options.target) throw new NpuqError('INVALID_ARGUMENT', `${source} is for target ${cfg.target} but ${options.target} was asked for; drop --target or edit the config`);
  const profile = getProfile(cfg.target);
  const ranges = configOverrides(cfg, graph, source).ranges;
  const qm = await quantize(float, {
    ...options,
    optimize,
    target: profile,
    method: (options.method ?? cfg.calibration?.method) as QuantizeOptions['method'],
    perChannel: options.perChannel ?? cfg.calibration?.perChannel,
    overrides: { precision: { ...cfg.layers }, ranges: { ...ranges, ...options.overrides?.ranges } },
  });
  try {
    const files: string[] = [];
    let analysis: Analysis | undefined;
    if (!options.skipAnalysis) analysis = await analyze(typeof model === 'string' ? model : float, qm, { ...options, data: options.data, thresholds: options.thresholds });
    if (options.out) {
      files.push(...(await saveQuantized(qm, options.out)));
      if (analysis) files.push(...writeReports(analysis, options.out));
    }
    return { config: cfg, quantized: qm, analysis, files };
  } catch (e) {
    await qm.dispose();
    throw e;
  }
}
