/**
 * TPU-MLIR-style threshold auto-tune: try thresholds between the KL threshold and |x|max and keep the
 * one whose quantized model output is closest to the float output. TPU-MLIR's calibration tunes 20
 * thresholds per tensor this way, scoring each by the Euclidean distance of the layer output; here
 * the caller supplies the score (it runs the quantized model), so any error measure can be used.
 */
import { NpuqError } from '../errors';
import { describeValue } from '../quantize/suggest';
import type { MethodOptions } from './options';
import { checkStats, type TensorStats } from './stats';
import { calibrateThreshold } from './threshold';

/** Options of {@link autoTuneThreshold}. */
export interface AutoTuneOptions {
  /**
   * Number of equal intervals between the KL threshold and |x|max: `steps + 1` candidates, both
   * ends included (fewer when they coincide). Default 20 (TPU-MLIR).
   */
  steps?: number;
  /**
   * Output error of the model quantized with this threshold for the tensor; lower is better. NaN
   * counts as worse than any number. Called once per candidate, one call at a time, in increasing
   * threshold order.
   */
  evaluate: (threshold: number) => Promise<number> | number;
}

/** The candidate thresholds {@link autoTuneThreshold} evaluates, in increasing order. */
export function autoTuneCandidates(low: number, high: number, steps: number): number[] {
  const out: number[] = [];
  for (let k = 0; k <= steps; k++) {
    const t = k === steps ? high : low + ((high - low) * k) / steps;
    if (out.length === 0 || t > out[out.length - 1]) out.push(t);
  }
  return out;
}

/**
 * Best threshold among `steps + 1` candidates evenly spaced from the KL threshold (computed with `opts`)
 * to `max(|min|, |max|)`: the one with the lowest `evaluate` result; ties keep the smallest threshold.
 * Calls `evaluate` at most `steps + 1` times.
 * @throws NpuqError INVALID_ARGUMENT for bad statistics or options, and when evaluate returns a non-number.
 */
export async function autoTuneThreshold(stats: TensorStats, opts: AutoTuneOptions & MethodOptions): Promise<number> {
  if (typeof opts !== 'object' || opts === null || typeof opts.evaluate !== 'function') {
    throw new NpuqError('INVALID_ARGUMENT',
      `Expected an evaluate(threshold) function for auto-tune but received ${describeValue(opts?.evaluate)}: ` +
      'it runs the model quantized with the threshold and returns the output error');
  }
  const steps = opts.steps ?? 20;
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1) {
    throw new NpuqError('INVALID_ARGUMENT', `Expected an integer >= 1 for steps but received ${describeValue(steps)}`);
  }
  const absmax = checkStats(stats);
  const kl = calibrateThreshold(stats, 'kl', opts);
  let best = NaN;
  let bestError = NaN;
  for (const t of autoTuneCandidates(kl, absmax, steps)) {
    const e = await opts.evaluate(t);
    if (typeof e !== 'number') {
      throw new NpuqError('INVALID_ARGUMENT', `Expected evaluate(${t}) to return a number but received ${describeValue(e)}`);
    }
    if (Number.isNaN(best) || (!Number.isNaN(e) && (Number.isNaN(bestError) || e < bestError))) {
      best = t;
      bestError = e;
    }
  }
  return best;
}
