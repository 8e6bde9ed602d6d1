/**
 * Per-tensor calibration statistics (what the observers of one float pass over the calibration data
 * produce) and the checks the calibration methods run on them before use.
 */
import { NpuqError } from '../errors';

// The statistics the engine's observers produce (one definition, next to the code that fills it).
import type { TensorStats } from './observe';

export type { TensorStats };

/** What to call to get histograms, for error messages. */
export const HISTOGRAM_HINT = 'collect them with collectStatistics(..., { histogram: true })';

function invalid(message: string): never {
  throw new NpuqError('INVALID_ARGUMENT', message);
}

/** The tensor name for messages. */
export function tensorLabel(stats: TensorStats): string {
  return typeof stats?.name === 'string' ? `'${stats.name}'` : '(unnamed)';
}

/**
 * Checks that `stats` holds at least one finite element with a finite range; returns `max(|min|, |max|)`.
 * @throws NpuqError INVALID_ARGUMENT on empty or malformed statistics.
 */
export function checkStats(stats: TensorStats): number {
  if (typeof stats !== 'object' || stats === null) {
    invalid(`Expected a TensorStats object but received ${stats === null ? 'null' : typeof stats}`);
  }
  const label = tensorLabel(stats);
  if (!(stats.count > 0)) {
    const nf = stats.nonFinite > 0 ? ` (${stats.nonFinite} non-finite values were seen)` : '';
    invalid(`Tensor ${label} has no statistics: count is ${stats.count}${nf}. ` +
      'Run the calibration data through the model before calibrating, and check the data holds finite values');
  }
  if (!Number.isFinite(stats.min) || !Number.isFinite(stats.max) || stats.min > stats.max) {
    invalid(`Expected finite statistics with min <= max for tensor ${label} but received [${stats.min}, ${stats.max}]`);
  }
  return Math.max(Math.abs(stats.min), Math.abs(stats.max));
}

/** A checked |x| histogram: counts, bin width and total count. */
export interface CheckedHistogram {
  counts: Float64Array;
  /** Bin width `max / n`. */
  width: number;
  /** Sum of the counts. */
  total: number;
}

/**
 * The histogram of `stats`, checked: present, non-empty, non-negative finite counts with a positive
 * sum and a finite range.
 * @param method Name of the method that needs it, for the message.
 */
export function requireHistogram(stats: TensorStats, method: string): CheckedHistogram {
  const label = tensorLabel(stats);
  const h = stats.histogram;
  if (h === undefined || h === null) {
    invalid(`Tensor ${label} has no histogram, which the '${method}' calibration method needs: ${HISTOGRAM_HINT}`);
  }
  if (!(h.counts instanceof Float64Array) || h.counts.length === 0) {
    invalid(`Expected a non-empty Float64Array for the histogram counts of tensor ${label} but received ${h.counts?.constructor?.name ?? typeof h.counts}` +
      `${h.counts instanceof Float64Array ? ' of length 0' : ''}`);
  }
  if (!Number.isFinite(h.max) || h.max < 0) {
    invalid(`Expected a finite histogram range max >= 0 for tensor ${label} but received ${h.max}`);
  }
  let total = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i];
    if (!(c >= 0) || c === Infinity) invalid(`Expected finite counts >= 0 in the histogram of tensor ${label} but bin ${i} holds ${c}`);
    total += c;
  }
  if (total === 0) {
    invalid(`The histogram of tensor ${label} is empty (all counts 0): ${HISTOGRAM_HINT} and run the calibration data through the model`);
  }
  return { counts: h.counts, width: h.max / h.counts.length, total };
}
