/**
 * Calibration methods: from per-tensor statistics to float ranges, with one method for the whole
 * model and per-tensor overrides.
 *
 * Ranges of the threshold methods (percentile, kl, mse, auto): the method gives a symmetric |x|
 * threshold t, and the range is the observed range clipped to it, `[max(min, -t), min(max, t)]`. So a
 * non-negative tensor (ReLU output) gets `[min, t]` (often `[0, t]`) rather than `[-t, t]`, which would
 * waste half the levels of an asymmetric type; a symmetric profile still makes the range symmetric
 * when it computes the scale (computeQuantParams uses max(|min|, |max|) = t). The clipping never
 * widens the observed range: where it would be empty (all values beyond t on one side, possible only
 * with a percentile below the mass of that side) the range is the observed end nearest to zero.
 */
import { NpuqError } from '../errors';
import type { FloatRange } from '../quantize/params';
import { closest, describeValue } from '../quantize/suggest';
import { autoTuneThreshold, type AutoTuneOptions } from './autotune';
import { CALIBRATION_METHODS, checkMethod, resolveMethodOptions, type CalibrationMethod, type MethodOptions } from './options';
import { checkStats, tensorLabel, type TensorStats } from './stats';
import { calibrateThreshold } from './threshold';

export { CALIBRATION_METHODS, type CalibrationMethod, type MethodOptions, type ThresholdMethod } from './options';
export { autoTuneThreshold, autoTuneCandidates, type AutoTuneOptions } from './autotune';
export { calibrateThreshold, percentileFromHistogram } from './threshold';
export { klDivergences, klThresholdFromHistogram } from './kl';
export { mseErrors, mseThresholdFromHistogram } from './mse';
export type { TensorStats } from './stats';

/** The observed range of `stats` clipped to `[-t, t]` (see the file comment). */
export function rangeFromThreshold(stats: TensorStats, threshold: number): FloatRange {
  const lo = Math.max(stats.min, -threshold);
  const hi = Math.min(stats.max, threshold);
  if (lo <= hi) return { min: lo, max: hi };
  const v = stats.min > 0 ? stats.min : stats.max;
  return { min: v, max: v };
}

function emaRange(stats: TensorStats): FloatRange {
  const { emaMin, emaMax } = stats;
  if (!Number.isFinite(emaMin) || !Number.isFinite(emaMax) || emaMin > emaMax) {
    throw new NpuqError('INVALID_ARGUMENT',
      `Tensor ${tensorLabel(stats)} has no usable moving-average statistics (emaMin ${emaMin}, emaMax ${emaMax}): ` +
      "collect statistics with a moving-average constant (profile calibration.movingAverage, e.g. 0.01) or use method 'minmax'");
  }
  return { min: emaMin, max: emaMax };
}

/** Options of {@link calibrateRange}. */
export type RangeOptions = MethodOptions & {
  /** Required by method `auto`: the candidate evaluation (and step count). */
  auto?: AutoTuneOptions;
};

/**
 * The float range a method gives one tensor: `minmax` → [min, max]; `ema` → [emaMin, emaMax];
 * `percentile`, `kl`, `mse`, `auto` → the observed range clipped to the method's |x| threshold
 * (see the file comment). `auto` returns a promise (it awaits `opts.auto.evaluate`); the others return
 * the range directly.
 * @throws NpuqError INVALID_ARGUMENT for an unknown method, empty statistics, a missing histogram or bad options.
 */
export function calibrateRange(stats: TensorStats, method: 'auto', opts: RangeOptions): Promise<FloatRange>;
export function calibrateRange(stats: TensorStats, method: Exclude<CalibrationMethod, 'auto'>, opts?: RangeOptions): FloatRange;
export function calibrateRange(stats: TensorStats, method: CalibrationMethod, opts?: RangeOptions): FloatRange | Promise<FloatRange>;
export function calibrateRange(stats: TensorStats, method: CalibrationMethod, opts?: RangeOptions): FloatRange | Promise<FloatRange> {
  const m = checkMethod(method);
  resolveMethodOptions(opts);
  checkStats(stats);
  switch (m) {
    case 'minmax':
      return { min: stats.min, max: stats.max };
    case 'ema':
      return emaRange(stats);
    case 'auto': {
      if (opts?.auto === undefined) {
        throw new NpuqError('INVALID_ARGUMENT',
          "Method 'auto' needs opts.auto = { evaluate(threshold) } that runs the quantized model and returns its output error");
      }
      return autoTuneThreshold(stats, { ...opts, ...opts.auto }).then((t) => rangeFromThreshold(stats, t));
    }
    default:
      return rangeFromThreshold(stats, calibrateThreshold(stats, m, opts));
  }
}

/** Options of {@link calibrateRanges}. */
export type RangesOptions = MethodOptions & {
  /** Method per tensor name, overriding the global method. Default `{}`. */
  perTensor?: Record<string, CalibrationMethod>;
};

/**
 * Ranges of every tensor: the global `method`, or `opts.perTensor[name]` where given. `auto` is not
 * accepted here (it needs a model evaluation per tensor): use {@link autoTuneThreshold}, or quantize()
 * with method `auto` (lib/quantize/auto-ranges.ts), which scores candidates on the emulated model.
 * @throws NpuqError INVALID_ARGUMENT naming the closest existing tensors for unknown names in
 *   `perTensor`, and for the errors of {@link calibrateRange}.
 */
export function calibrateRanges(stats: Map<string, TensorStats>, method: CalibrationMethod, opts?: RangesOptions): Map<string, FloatRange> {
  if (!(stats instanceof Map)) throw new NpuqError('INVALID_ARGUMENT', `Expected a Map of tensor statistics but received ${describeValue(stats)}`);
  const global = checkMethod(method);
  const perTensor = opts?.perTensor ?? {};
  if (typeof perTensor !== 'object' || perTensor === null) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected an object { tensorName: method } for perTensor but received ${describeValue(perTensor)}`);
  }
  const names = [...stats.keys()];
  const unknown = Object.keys(perTensor).filter((n) => !stats.has(n));
  if (unknown.length > 0) {
    const parts = unknown.map((n) => {
      const c = closest(n, names);
      return c !== undefined ? `'${n}' (closest: '${c}')` : `'${n}'`;
    });
    throw new NpuqError('INVALID_ARGUMENT',
      `Unknown tensor name${unknown.length > 1 ? 's' : ''} in perTensor: ${parts.join(', ')}. ` +
      `Names must match the statistics (${names.length} tensors)`);
  }
  const methods = new Map<string, CalibrationMethod>();
  for (const name of names) {
    const m = Object.prototype.hasOwnProperty.call(perTensor, name) ? checkMethod(perTensor[name], `perTensor['${name}']`) : global;
    if (m === 'auto') {
      throw new NpuqError('INVALID_ARGUMENT',
        `Method 'auto' cannot be used in calibrateRanges (tensor '${name}'): it needs a model evaluation per tensor; ` +
        `call autoTuneThreshold for it, or pick one of ${CALIBRATION_METHODS.filter((x) => x !== 'auto').join(', ')}`);
    }
    methods.set(name, m);
  }
  const out = new Map<string, FloatRange>();
  for (const [name, s] of stats) out.set(name, calibrateRange(s, methods.get(name) as Exclude<CalibrationMethod, 'auto'>, opts));
  return out;
}
