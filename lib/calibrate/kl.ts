/**
 * KL-divergence ("entropy") calibration, TensorRT style, on a histogram of |x|.
 *
 * The divergence ({@link klDivergences}) is the one of NVIDIA's pytorch-quantization
 * `_compute_amax_entropy` (TensorRT/tools/pytorch-quantization, calib/histogram.py), the |x|-histogram
 * form of the TensorRT entropy calibration (Migacz, "8-bit inference with TensorRT", GTC 2017):
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
 * The threshold search ({@link klThresholdFromHistogram}) adds two guards to the reference, for two
 * cases where its divergence does not measure what clipping loses. Both were found on the digits
 * models (20x20 and 32x32 images, mostly constant background), where the reference clips the first
 * ReLU of digits_cnn at 0.63 of its 7.31 range (top-1 0.14 instead of 0.99):
 *
 * - **Point masses** ({@link spreadPointMasses}). The clipped mass is charged through P's last bin
 *   against Q's last bin, so the cost of clipping falls with the count of the candidate's last level.
 *   A constant input region (background, padding) puts one exact value per channel into the tensor
 *   (`relu(bias_c)`: 3.6% of the values each, in one bin); every candidate that ends just above such a
 *   spike gets a divergence far below its neighbours (0.30 against 1.5 to 2.4), whatever it clips (here
 *   62% of the non-zero values). Before the search, every bin holding at least 1/1024 of the values and
 *   more than 4 times the median of its neighbours (n / (2T) bins on each side: 8 for 2048 bins and
 *   T = 128, half a level at the full range) keeps the median, and its excess is spread evenly over
 *   that window. The mass stays within half a level of where it was, so it is still charged when it
 *   is clipped; the last non-empty bin (saturation, e.g. ReLU6 at 6) and bin 0 (step 1) are left alone.
 *   The pytorch-quantization `h[0] = h[1]` rule is the same idea for the spike at zero.
 * - **Clipping most values.** When the outliers outweigh the kept values, P and Q both collapse onto
 *   the last bin and the divergence tends to 0: a HardSigmoid gate with values in [0.19, 0.89] got
 *   t = 0.187, below every value. Candidates that clip more than half of the (step-1 and
 *   point-mass-spread) histogram are not considered; the last candidate clips nothing, so one always
 *   remains.
 *
 * On a histogram without point masses or majority clipping the threshold is the reference's (tested
 * against a literal port). Other differences, only where the reference is undefined: a candidate
 * whose Q is all zero (no value below `i * width`) is +Infinity here (NaN there), and an all-+Infinity
 * search returns the largest candidate, as the reference's argmin over an all-inf array does.
 *
 * onnxruntime's `EntropyCalibrater` runs the MXNet variant on a signed histogram (slices centred on the
 * zero bin, 2i + 1 bins merged into T levels with the remainder in the last one) and cannot be computed
 * from an |x| histogram; PPQ and TPU-MLIR step the candidates by T (`klStride: T` here).
 *
 * Cost: O(candidates * T) with prefix sums (P log P and the level sums are O(1) per bin), about
 * 250k logarithms for 2048 bins and T = 128, instead of O(n^2) for the per-bin loop of the reference.
 */
import { NpuqError } from '../errors';

/** Checks the search arguments (see {@link klDivergences}). */
function checkSearch(n: number, T: number, stride: number): void {
  if (!Number.isInteger(T) || T < 2) throw new NpuqError('INVALID_ARGUMENT', `Expected an integer >= 2 for klTargetBins but received ${T}`);
  if (!Number.isInteger(stride) || stride < 1) throw new NpuqError('INVALID_ARGUMENT', `Expected an integer >= 1 for klStride but received ${stride}`);
  if (n < T) {
    throw new NpuqError('INVALID_ARGUMENT',
      `KL calibration needs at least klTargetBins = ${T} histogram bins but the histogram has ${n}: collect more bins or lower klTargetBins`);
  }
}

/** A copy of `counts` with the first-bin rule `h[0] = h[1]` applied. */
function withFirstBinRule(counts: Float64Array): Float64Array {
  const h = new Float64Array(counts);
  if (h.length > 1) h[0] = h[1];
  return h;
}

/**
 * KL divergence of every candidate, exactly as the reference computes it (no guards). Element `k` is
 * the divergence of candidate `i = targetBins + k * stride` (see the file comment for P, Q and the
 * first-bin rule).
 * @param counts |x| histogram counts (not modified).
 * @param targetBins Quantization levels T; needs `counts.length >= targetBins`.
 * @param stride Step between candidates, default 1 (every candidate).
 */
export function klDivergences(counts: Float64Array, targetBins: number, stride = 1): Float64Array {
  checkSearch(counts.length, targetBins, stride);
  return divergencesOf(withFirstBinRule(counts), targetBins, stride);
}

/** The divergences of {@link klDivergences} on `h`, which already has the first-bin rule applied. */
function divergencesOf(h: Float64Array, targetBins: number, stride: number): Float64Array {
  const n = h.length;
  const T = targetBins;
  // S = prefix sums of h, Z = prefix counts of non-empty bins, L = prefix sums of h log h.
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

/** A bin is a point mass when it holds at least this share of the values... */
const POINT_MASS_MIN_SHARE = 1 / 1024;
/** ...and more than this many times the median of its neighbours. */
const POINT_MASS_RATIO = 4;

/**
 * Spreads the point masses of `h` in place (see the file comment): every bin `j` in `[1, last)` (`last`
 * = the last non-empty bin) holding at least 1/1024 of the total and more than 4 times the median `m`
 * of its neighbours `[max(1, j - w), min(last, j + w)]` (itself excluded; the upper median of an even
 * count) keeps `m`, and `h[j] - m` is shared evenly by every bin of that window, itself included.
 * Medians are taken on the counts as given, so the result does not depend on the scan order. The
 * total is kept (up to rounding).
 * @param window `w`, bins on each side, an integer >= 1.
 * @returns The number of bins spread.
 */
export function spreadPointMasses(h: Float64Array, window: number): number {
  if (!Number.isInteger(window) || window < 1) throw new NpuqError('INVALID_ARGUMENT', `Expected an integer >= 1 for the point-mass window but received ${window}`);
  let last = h.length - 1;
  while (last > 0 && h[last] === 0) last--;
  let total = 0;
  for (let j = 0; j <= last; j++) total += h[j];
  const minMass = total * POINT_MASS_MIN_SHARE;
  const src = new Float64Array(h);
  const around: number[] = [];
  let spread = 0;
  for (let j = 1; j < last; j++) {
    const c = src[j];
    if (!(c >= minMass) || c <= POINT_MASS_RATIO) continue;
    const lo = Math.max(1, j - window);
    const hi = Math.min(last, j + window);
    around.length = 0;
    for (let k = lo; k <= hi; k++) if (k !== j) around.push(src[k]);
    around.sort((a, b) => a - b);
    const median = around[around.length >> 1];
    if (c <= POINT_MASS_RATIO * Math.max(median, 1)) continue;
    const share = (c - median) / (hi - lo + 1);
    h[j] = median;
    for (let k = lo; k <= hi; k++) h[k] += share;
    spread++;
  }
  return spread;
}

/**
 * The KL threshold of an |x| histogram (see the file comment): `i * width` for the candidate `i` with
 * the lowest divergence (the largest among equals) after the first-bin rule and point-mass spreading,
 * among the candidates that clip at most half of the histogram.
 * @param width Bin width (`histogram.max / n`).
 */
export function klThresholdFromHistogram(counts: Float64Array, width: number, targetBins: number, stride = 1): number {
  checkSearch(counts.length, targetBins, stride);
  const h = withFirstBinRule(counts);
  spreadPointMasses(h, Math.max(1, Math.floor(h.length / (2 * targetBins))));
  const div = divergencesOf(h, targetBins, stride);
  let total = 0;
  for (let j = 0; j < h.length; j++) total += h[j];
  let kept = 0;
  let j = 0;
  for (let k = 0; k < div.length; k++) {
    const i = targetBins + k * stride;
    for (; j < i; j++) kept += h[j];
    if (total - kept > 0.5 * total) div[k] = Infinity;
  }
  const i = targetBins + lastArgmin(div) * stride;
  return i * width;
}
