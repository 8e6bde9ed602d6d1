/**
 * The PTQ options of quantize() and where they run: float rewrites (CLE, SmoothQuant) on the
 * optimized float graph before calibration, plan corrections (AdaRound, then bias correction) after
 * planning. The data-driven steps share one in-memory sample of the calibration data.
 */
import type { DatasetOptions } from '../data/dataset';
import { isDataset, openFeeds, type DataSource } from '../data/feeds';
import type { Model } from '../ir/graph';
import type { ChipProfile } from '../quantize/profile';
import type { QuantPlan } from '../quantize/plan/types';
import { adaRound, type AdaRoundOptions } from './adaround';
import { correctBiases, type BiasCorrectionMode } from './bias-correction';
import { crossLayerEqualization } from './cle';
import { takeSamples, type Feeds } from './data';
import { prepareForPlanCorrections } from './replay';
import { smoothQuant, type SmoothQuantOptions } from './smoothquant';

export type PtqStep = 'cle' | 'smoothQuant' | 'prepare' | 'adaRound' | 'biasCorrection';

export interface PtqOptions {
  /** Cross-layer equalization (Nagel et al. 2019) of Conv/Gemm pairs before calibration; float-exact (lib/ptq/cle.ts). Default false. */
  cle?: boolean;
  /**
   * Bias correction after planning: `analytic` (weight error times the float input means) or
   * `empirical` (measured mean output error, layer by layer) (lib/ptq/bias-correction.ts). Default false.
   */
  biasCorrection?: false | BiasCorrectionMode;
  /**
   * SmoothQuant before calibration: per-channel migration of activation outliers into the next
   * layer's weights, `alpha` default 0.5; float-exact (lib/ptq/smoothquant.ts). `true` = `{}`. Default false.
   */
  smoothQuant?: boolean | SmoothQuantOptions;
  /**
   * AdaRound after planning: learned up/down rounding of the weights per layer (lib/ptq/adaround.ts;
   * defaults: 500 iterations per layer, 128 samples, 30 s for the model). `true` = `{}`. Default false.
   */
  adaRound?: boolean | AdaRoundOptions;
  /** Bits of the weights' integer range, 2..8 (e.g. 4: int8 containers holding [-7, 7] or [-8, 7]). Default: the profile's. */
  weightBits?: number;
  /** Calibration samples (the first ones) SmoothQuant and bias correction use. Default 256. */
  ptqSamples?: number;
  /** Called once per PTQ step that ran, with one line per change it made. Default none. */
  onPtqStep?: (step: PtqStep, details: string[]) => void;
}


/** Checks the PTQ options (TypeError/RangeError naming the option). */
export function validatePtqOptions(o: PtqOptions): void {
  if (o.cle !== undefined && typeof o.cle !== 'boolean') throw new TypeError(`Expected a boolean for options.cle but received ${typeof o.cle}`);
  if (o.biasCorrection !== undefined && o.biasCorrection !== false && o.biasCorrection !== 'analytic' && o.biasCorrection !== 'empirical') {
    throw new TypeError(`Expected false, 'analytic' or 'empirical' for options.biasCorrection but received ${JSON.stringify(o.biasCorrection)}`);
  }
  for (const k of ['smoothQuant', 'adaRound'] as const) {
    const v = o[k];
    if (v !== undefined && typeof v !== 'boolean' && (typeof v !== 'object' || v === null || Array.isArray(v))) {
      throw new TypeError(`Expected a boolean or an options object for options.${k} but received ${v === null ? 'null' : typeof v}`);
    }
  }
  const sq = typeof o.smoothQuant === 'object' ? o.smoothQuant.alpha : undefined;
  if (sq !== undefined && (typeof sq !== 'number' || !(sq >= 0 && sq <= 1))) throw new RangeError(`Expected a number in [0, 1] for options.smoothQuant.alpha but received ${String(sq)}`);
  if (o.weightBits !== undefined && (!Number.isInteger(o.weightBits) || o.weightBits < 2 || o.weightBits > 8)) {
    throw new RangeError(`Expected an integer in [2, 8] for options.weightBits but received ${String(o.weightBits)}`);
  }
  if (o.ptqSamples !== undefined && (!Number.isInteger(o.ptqSamples) || o.ptqSamples < 1)) {
    throw new RangeError(`Expected a positive integer for options.ptqSamples but received ${String(o.ptqSamples)}`);
  }
  if (o.onPtqStep !== undefined && typeof o.onPtqStep !== 'function') throw new TypeError(`Expected a function for options.onPtqStep but received ${typeof o.onPtqStep}`);
}

/** State handed from the float stage to the plan stage. */
export interface PtqState {
  /** The calibration data to use from now on (an iterable read into memory once, so it can be read again). */
  data: DataSource;
  /** The in-memory sample of the data-driven steps (empty when none runs). */
  batches: Feeds[];
}

const adaOptions = (o: PtqOptions): AdaRoundOptions | undefined => (o.adaRound ? (o.adaRound === true ? {} : o.adaRound) : undefined);

/**
 * Float stage, on the optimized float model `m` (BatchNormalization folded) in place: CLE, then
 * SmoothQuant, then the float-exact preparation AdaRound and bias correction need.
 */
export async function applyFloatPtq(
  m: Model, options: PtqOptions & DatasetOptions & { data: DataSource; batchSize?: number; threads?: number },
): Promise<PtqState> {
  validatePtqOptions(options);
  const report = (step: PtqStep, details: string[]) => options.onPtqStep?.(step, details);
  const ada = adaOptions(options);
  const wantSample = (options.smoothQuant || options.biasCorrection) ? options.ptqSamples ?? 256 : 0;
  const need = Math.max(wantSample, ada ? ada.samples ?? 128 : 0);
  let data = options.data;
  let batches: Feeds[] = [];
  if (need > 0) {
    const opened = await openFeeds(data, m.graph.inputs, options, options.batchSize ?? 16);
    const rereadable = typeof data === 'string' || Array.isArray(data) || isDataset(data);
    if (rereadable) {
      batches = await takeSamples(opened.batches, need);
    } else {
      // A caller's iterable may be readable once: keep all of it for calibration.
      const all: Feeds[] = [];
      for await (const b of opened.batches as AsyncIterable<Feeds>) all.push(b);
      data = all;
      batches = await takeSamples(all, need);
    }
  }
  if (options.cle) report('cle', crossLayerEqualization(m.graph).details);
  if (options.smoothQuant) {
    const sq = options.smoothQuant === true ? {} : options.smoothQuant;
    const sample = await takeSamples(batches, options.ptqSamples ?? 256);
    report('smoothQuant', (await smoothQuant(m.graph, sample, { ...sq, threads: options.threads })).details);
  }
  if (options.biasCorrection || ada) {
    const changes = prepareForPlanCorrections(m.graph, { zeroBiases: !!options.biasCorrection });
    if (changes.length) report('prepare', changes);
  }
  return { data, batches };
}

/** Plan stage: AdaRound, then bias correction, on `plan` in place. */
export async function applyPlanPtq(
  m: Model, profile: ChipProfile, plan: QuantPlan, state: PtqState, options: PtqOptions & { threads?: number },
): Promise<void> {
  const report = (step: PtqStep, details: string[]) => options.onPtqStep?.(step, details);
  const ada = adaOptions(options);
  if (ada) {
    const sample = await takeSamples(state.batches, ada.samples ?? 128);
    const layers = await adaRound(m, profile, plan, sample, { ...ada, threads: options.threads });
    report('adaRound', layers.map((l) => `${l.name}: ${l.steps} steps on ${l.rows} rows, loss ${l.lossNearest.toPrecision(4)} -> ` +
      `${l.lossAdaRound.toPrecision(4)}, ${(100 * l.flipped).toFixed(1)}% of weights rounded the other way, ${l.ms} ms`));
  }
  if (options.biasCorrection) {
    const sample = await takeSamples(state.batches, options.ptqSamples ?? 256);
    const layers = await correctBiases(m, profile, plan, sample, options.biasCorrection, { threads: options.threads });
    report('biasCorrection', layers.map((l) => `${l.name}: max mean error ${l.maxError.toPrecision(3)}, max shift ${l.maxShift} bias LSB`));
  }
}
