/**
 * Symmetric |x| thresholds of one tensor from its histogram: percentile, KL, MSE.
 */
import { klThresholdFromHistogram } from './kl';
import { mseThresholdFromHistogram } from './mse';
import { checkMethod, resolveMethodOptions, type MethodOptions, type ThresholdMethod } from './options';
import { checkStats, requireHistogram, type TensorStats } from './stats';
import { NpuqError } from '../errors';
import { describeValue } from '../quantize/suggest';

/**
 * The |x| value below which `percentile`% of the histogram's elements lie, interpolated linearly
 * within the bin where the cumulative count crosses `percentile / 100 * total` (values assumed
 * uniform within a bin). Non-finite values are not in the histogram, so they are left out.
 *
 * onnxruntime's `HistogramCollector.compute_percentile` (symmetric) and pytorch-quantization's
 * `_compute_amax_percentile` return the lower edge of that bin (`hist_edges[searchsorted(cdf, p)]`),
 * up to one bin width below this value; onnxruntime's |x| histogram also starts at min|x| instead of 0.
 */
export function percentileFromHistogram(counts: Float64Array, width: number, percentile: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  const target = (percentile / 100) * total;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c === 0) continue;
    last = i;
    if (cum + c >= target) return (i + Math.min(1, Math.max(0, (target - cum) / c))) * width;
    cum += c;
  }
  // Only reached through rounding of target at 100%: the top of the last non-empty bin.
  return (last + 1) * width;
}

/**
 * Threshold `|x| <= t` of a symmetric-range method on one tensor's statistics, at most `max(|min|, |max|)`.
 * @param method `percentile`, `kl` or `mse`.
 * @throws NpuqError INVALID_ARGUMENT for empty statistics, a missing histogram, a bad option or method.
 */
export function calibrateThreshold(stats: TensorStats, method: ThresholdMethod, opts?: MethodOptions): number {
  const m = checkMethod(method);
  if (m !== 'percentile' && m !== 'kl' && m !== 'mse') {
    throw new NpuqError('INVALID_ARGUMENT',
      `Expected one of percentile, kl, mse for calibrateThreshold but received ${describeValue(method)}: use calibrateRange for ${m}`);
  }
  const o = resolveMethodOptions(opts);
  const absmax = checkStats(stats);
  const h = requireHistogram(stats, m);
  if (absmax === 0 || h.width === 0) return 0;
  let t: number;
  if (m === 'percentile') t = percentileFromHistogram(h.counts, h.width, o.percentile);
  else if (m === 'kl') t = klThresholdFromHistogram(h.counts, h.width, o.klTargetBins, o.klStride);
  else t = mseThresholdFromHistogram(h.counts, h.width, o.levels, stats.min >= 0);
  return Math.min(t, absmax);
}
