/**
 * KL-divergence ("entropy") calibration, TensorRT style, on a histogram of |x|.
 *
 * The algorithm is the one of NVIDIA's pytorch-quantization `_compute_amax_entropy`
 * (TensorRT/tools/pytorch-quantization, calib/histogram.py), the |x|-histogram form of the TensorRT
 * entropy calibration (Migacz, "8-bit inference with TensorRT", GTC 2017):
 *
 * 1. `h[0] = h[1]`: the first bin (|x| < one bin width, where the exact zeros of ReLU outputs and
 *    padding fall) gets the count of the second, so a spike of zeros does not steer the search.
 * 2. For every candidate `i = T, T + stride, ..., <= n` (T = target bins, n = histogram bins):
 *    - reference P = `h[0:i]`, with everything beyond (`sum h[i:]`, the clipped outliers) added to
 *      its last bin;
 *    - candidate Q: bins `0..i-1` are split into T equal-width levels (bin j belongs to level
 *      `floor(j * T / i)`; `np.digitize` over `np.linspace(0, i, T + 1)` in the reference), each level's
 *      count `sum h[j]` (without the outliers) is spread evenly over the level's non-empty bins, and
 *      empty bins stay empty;
 *    - divergence `KL(P || Q)` of the normalized distributions, natural log, `0 log 0 = 0`; a bin with
 *      P > 0 and Q = 0 (the last bin empty while values lie beyond it) makes it +Infinity. No smoothing
 *      is needed or applied: Q is zero only where P is (the MXNet / onnxruntime `smooth_distribution`
 *      is for their variant, whose Q can be zero where P is not).
 * 3. The threshold is the upper edge of the best candidate's last bin, `i * width` (pytorch-quantization
 *    `calib_bin_edges[i]`; onnxruntime `hist_edges[end_index]` and PPQ `bin_range * hist_scale` use the
 *    same edge; ncnn and TPU-MLIR's Python KLD use the bin centre convention `(i + 0.5) * width`).
 *    Among equal divergences the largest threshold wins (pytorch-quantization takes the last argmin).
 *
 * Differences from the reference, both only where it is undefined: a candidate whose Q is all zero
 * (no value below `i * width`) is +Infinity here (NaN there), and an all-+Infinity search returns the
 * largest candidate, as the reference's argmin over an all-inf array does.
 *
 * onnxruntime's `EntropyCalibrater` runs the MXNet variant on a signed histogram (slices centred on the
 * zero bin, 2i + 1 bins merged into T levels with the remainder in the last one) and cannot be computed
 * from an |x| histogram; PPQ and TPU-MLIR step the candidates by T (`klStride: T` here).
 *
 * Cost: O(candidates * T) with prefix sums (P log P and the level sums are O(1) per bin), about
 * 250k logarithms for 2048 bins and T = 128, instead of O(n^2) for the per-bin loop of the reference.
 */
import { NpuqError } from '../errors';

/**
 * KL divergence of every candidate. Element `k` is the divergence of candidate `i = targetBins + k *
 * stride` (see the file comment for P, Q and the first-bin rule).
 * @param counts |x| histogram counts (not modified).
 * @param targetBins Quantization levels T; needs `counts.length >= targetBins`.
 * @param stride Step between candidates, default 1 (every candidate).
 */
export function klDivergences(counts: Float64Array, targetBins: number, stride = 1): Float64Array {
  const n = counts.length;
  const T = targetBins;
  if (!Number.isInteger(T) || T < 2) throw new NpuqError('INVALID_ARGUMENT', `Expected an integer >= 2 for klTargetBins but received ${T}`);
  if (!Number.isInteger(stride) || stride < 1) throw new NpuqError('INVALID_ARGUMENT', `Expected an integer >= 1 for klStride but received ${stride}`);
  if (n < T) {
    throw new NpuqError('INVALID_ARGUMENT',
      `KL calibration needs at least klTargetBins = ${T} histogram bins but the histogram has ${n}: collect more bins or lower klTargetBins`);
  }
  // h with the first-bin rule; S = prefix sums of h, Z = prefix counts of non-empty bins,
  // L = prefix sums of h log h.
  const h = new Float64Array(counts);
  if (n > 1) h[0] = h[1];
  const S = new Float64Array(n + 1);
  const Z = new Float64Array(n + 1);
  const L = new Float64Array(n + 1);
  for (let j = 0; j < n; j++) {
    const v = h[j];
    S[j + 1] = S[j] + v;
    Z[j + 1] = Z[j] + (v > 0 ? 1 : 0);
    L[j + 1] = L[j] + (v > 0 ? v * Math.log(v) : 0);
  }
  const N = S[n];
  const candidates = Math.floor((n - T) / stride) + 1;
  const out = new Float64Array(candidates);
  for (let k = 0; k < candidates; k++) {
    const i = T + k * stride;
    const outliers = N - S[i];
    const qTotal = S[i];
    const last = h[i - 1];
    if (qTotal <= 0 || (outliers > 0 && last === 0)) {
      out[k] = Infinity;
      continue;
    }
    // KL = (1/N) sum_j P_j log P_j - log N + log S_i - (1/N) sum_g A_g log(G_g / c_g), where
    // A_g = sum of P over level g (= G_g, plus the outliers for the last level).
    const pLast = last + outliers;
    let acc = L[i - 1] + (pLast > 0 ? pLast * Math.log(pLast) : 0);
    let start = 0;
    for (let g = 0; g < T; g++) {
      // Level g holds bins j with floor(j * T / i) = g, i.e. j in [ceil(g*i/T), ceil((g+1)*i/T)).
      const end = g === T - 1 ? i : Math.floor(((g + 1) * i + T - 1) / T);
      const G = S[end] - S[start];
      if (G > 0) {
        const A = g === T - 1 ? G + outliers : G;
        acc -= A * Math.log(G / (Z[end] - Z[start]));
      }
      start = end;
    }
    const kl = acc / N - Math.log(N) + Math.log(qTotal);
    // Rounding can leave a tiny negative value where P = Q.
    out[k] = kl < 0 ? 0 : kl;
  }
  return out;
}

/**
 * Index of the best candidate: the last minimum of `divergences` (pytorch-quantization's tie rule);
 * the last index when all are +Infinity.
 */
export function lastArgmin(divergences: Float64Array): number {
  let best = divergences.length - 1;
  let bestValue = divergences[best];
  for (let k = divergences.length - 2; k >= 0; k--) {
    if (divergences[k] < bestValue) {
      bestValue = divergences[k];
      best = k;
    }
  }
  return best;
}

/**
 * The KL threshold of an |x| histogram: `i * width` for the best candidate `i` (see the file comment).
 * @param width Bin width (`histogram.max / n`).
 */
export function klThresholdFromHistogram(counts: Float64Array, width: number, targetBins: number, stride = 1): number {
  const div = klDivergences(counts, targetBins, stride);
  const i = targetBins + lastArgmin(div) * stride;
  return i * width;
}
