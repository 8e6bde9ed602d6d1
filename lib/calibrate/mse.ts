/**
 * MSE calibration: the clipping threshold that minimizes the expected squared error of uniform
 * quantization, evaluated on the |x| histogram.
 *
 * Model, for a candidate threshold `t = k * width` (every bin edge, k = 1..n):
 * - values are spread uniformly within their bin (as PPQ's histogram MSE observer assumes);
 * - an element of bin j >= k (|x| >= t) is clipped to t: expected error
 *   `E[(x - t)^2] = width^2 * (d^2 + d + 1/3)` with `d = j - k`;
 * - an element below t is rounded to a grid of step `delta = span / (levels - 1)`: error `delta^2 / 12`
 *   (uniform rounding noise), where `span = 2t` for a tensor with negative values (the grid covers
 *   [-t, t]) and `span = t` for a non-negative one (the range calibrateRange gives is [min, t]). For a
 *   symmetric signed grid on a non-negative tensor pass `levels: 128` (so delta is about t / 127).
 *
 * The sums over j >= k come from suffix recurrences, so the whole search is O(n). Ties keep the
 * smallest threshold.
 *
 * pytorch-quantization's `_compute_amax_mse` instead fake-quantizes the bin centres; PPQ's
 * `TorchMSEObserver` steps the scale in whole histogram bins. Both are the same objective evaluated
 * more coarsely.
 */
import { NpuqError } from '../errors';

/**
 * Expected squared error per element of every candidate: element `k - 1` is for `t = k * width`.
 * @param counts |x| histogram counts.
 * @param width Bin width.
 * @param levels Integer levels spanning the quantized range (256 for 8 bits).
 * @param oneSided The tensor has no negative values: the grid spans [0, t] instead of [-t, t].
 */
export function mseErrors(counts: Float64Array, width: number, levels: number, oneSided: boolean): Float64Array {
  if (!Number.isInteger(levels) || levels < 2) throw new NpuqError('INVALID_ARGUMENT', `Expected an integer >= 2 for levels but received ${levels}`);
  const n = counts.length;
  // Suffix sums over j >= k: H0 = sum h_j, D = sum h_j (j - k), C = sum h_j (j - k)^2.
  const H0 = new Float64Array(n + 1);
  const D = new Float64Array(n + 1);
  const C = new Float64Array(n + 1);
  for (let k = n - 1; k >= 0; k--) {
    // (j - k) = (j - (k+1)) + 1, so D_k = D_{k+1} + H0_{k+1}, C_k = C_{k+1} + 2 D_{k+1} + H0_{k+1}.
    H0[k] = H0[k + 1] + counts[k];
    D[k] = D[k + 1] + H0[k + 1];
    C[k] = C[k + 1] + 2 * D[k + 1] + H0[k + 1];
  }
  const total = H0[0];
  const out = new Float64Array(n);
  const w2 = width * width;
  const spanFactor = oneSided ? 1 : 2;
  for (let k = 1; k <= n; k++) {
    const t = k * width;
    const delta = (spanFactor * t) / (levels - 1);
    const clip = w2 * (C[k] + D[k] + H0[k] / 3);
    const round = (total - H0[k]) * (delta * delta) / 12;
    out[k - 1] = (clip + round) / total;
  }
  return out;
}

/**
 * The MSE threshold: the bin edge `k * width` with the smallest expected error (first on ties).
 */
export function mseThresholdFromHistogram(counts: Float64Array, width: number, levels: number, oneSided: boolean): number {
  const err = mseErrors(counts, width, levels, oneSided);
  let best = 0;
  for (let k = 1; k < err.length; k++) if (err[k] < err[best]) best = k;
  return (best + 1) * width;
}
