/**
 * The histogram methods against independent implementations written in the test:
 * - KL: a literal port of NVIDIA pytorch-quantization `_compute_amax_entropy` (calib/histogram.py, numpy
 *   + scipy.stats.entropy semantics), O(n^2) per-bin loops, on three histograms;
 * - percentile: onnxruntime `HistogramCollector.compute_percentile` (symmetric), which returns the
 *   lower edge of the crossing bin;
 * - MSE: brute-force expected error of an exact int8 quantizer, by numerical integration of the
 *   normal density and by quantizing every sample.
 */
import { calibrateThreshold, klDivergences, percentileFromHistogram } from '../../lib/calibrate/methods';
import { spreadPointMasses } from '../../lib/calibrate/kl';
import { gaussian, rng, statsOf } from './helpers';

// Globals are slow to look up inside jest's vm context: bind the ones the long loops use.
const { abs, exp, log, max, min, round, sign } = Math;

// ---- literal port of pytorch-quantization _compute_amax_entropy -------------------------------

/** np.linspace(start, stop, num) (endpoint=True). */
function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const step = (stop - start) / div;
  const y: number[] = [];
  for (let k = 0; k < num; k++) y.push(k * step + start);
  y[num - 1] = stop;
  return y;
}

/** np.digitize(x, bins) for increasing bins, right=False: the number of edges <= x. */
function digitize(x: number, bins: number[]): number {
  let lo = 0;
  let hi = bins.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bins[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/** scipy.stats.entropy(pk, qk): normalizes both, sum of rel_entr. */
function scipyEntropy(pk: number[], qk: number[]): number {
  const sp = sum(pk);
  const sq = sum(qk);
  let s = 0;
  for (let i = 0; i < pk.length; i++) {
    const x = pk[i] / sp;
    const y = qk[i] / sq;
    if (x > 0 && y > 0) s += x * log(x / y);
    else if (x === 0 && y >= 0) s += 0;
    else s += Infinity;
  }
  return s;
}

function trtComputeAmaxEntropy(calibHist: Float64Array, calibBinEdges: number[], numBits: number, unsigned: boolean, stride = 1, startBin = 128) {
  const bins = Array.from(calibHist);
  bins[0] = bins[1];
  const totalData = sum(bins);
  const divergences: number[] = [];
  const nbins = 1 << (numBits - 1 + (unsigned ? 1 : 0));
  const starting = startBin;
  const stop = bins.length;
  const newDensityCounts = new Float64Array(nbins);
  for (let i = starting; i < stop + 1; i += stride) {
    newDensityCounts.fill(0);
    const space = linspace(0, i, nbins + 1);
    const digitizedSpace: number[] = [];
    for (let x = 0; x < i; x++) digitizedSpace.push(digitize(x, space) - 1);
    for (let idx = 0; idx < i; idx++) if (bins[idx] === 0) digitizedSpace[idx] = -1;
    digitizedSpace.forEach((d, idx) => {
      if (d !== -1) newDensityCounts[d] += bins[idx];
    });
    const counter = new Map<number, number>();
    for (const d of digitizedSpace) counter.set(d, (counter.get(d) ?? 0) + 1);
    for (const [key, val] of counter) if (key !== -1) newDensityCounts[key] = newDensityCounts[key] / val;
    const newDensity = new Array<number>(i).fill(0);
    digitizedSpace.forEach((d, idx) => {
      if (d !== -1) newDensity[idx] = newDensityCounts[d];
    });
    const totalCountsNew = sum(newDensity) + sum(bins.slice(i));
    const referenceDensity = bins.slice(0, digitizedSpace.length);
    referenceDensity[referenceDensity.length - 1] += sum(bins.slice(i));
    const totalCountsOld = sum(referenceDensity);
    if (Math.round(totalCountsNew) !== totalData || Math.round(totalCountsOld) !== totalData) {
      throw new Error(`Count mismatch! total_counts_new=${totalCountsNew}, total_counts_old=${totalCountsOld}, total_data=${totalData}`);
    }
    divergences.push(scipyEntropy(referenceDensity, newDensity));
  }
  // last_argmin = len(divergences) - 1 - np.argmin(divergences[::-1])
  const reversed = [...divergences].reverse();
  let am = 0;
  for (let k = 1; k < reversed.length; k++) if (reversed[k] < reversed[am]) am = k;
  const lastArgmin = divergences.length - 1 - am;
  return { divergences, amax: calibBinEdges[lastArgmin * stride + starting] };
}

// ---- data ----------------------------------------------------------------------------------------

function gaussianWithOutliers(): Float64Array {
  const g = gaussian(200000, 1);
  const x = new Float64Array(200020);
  x.set(g);
  for (let i = 0; i < 20; i++) x[200000 + i] = i % 2 === 0 ? 50 : -50;
  return x;
}

/** ReLU of a two-component normal mixture: half the values are exact zeros. */
function reluMixture(): Float64Array {
  const a = gaussian(60000, 11);
  const b = gaussian(60000, 12);
  const out = new Float64Array(120000);
  for (let i = 0; i < 60000; i++) {
    out[i] = max(0, 0.5 * a[i]);
    out[60000 + i] = max(0, 2 + 1.5 * b[i]);
  }
  return out;
}

/** Laplace (scale 1) samples: a heavy tail. */
function laplace(n: number, seed: number): Float64Array {
  const u = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = u() - 0.5;
    out[i] = -sign(v) * log(1 - 2 * abs(v));
  }
  return out;
}

describe('KL against a literal port of pytorch-quantization _compute_amax_entropy', () => {
  const cases: { name: string; data: Float64Array; bins: number; numBits: number; stride: number }[] = [
    { name: 'normal + 20 outliers at ±50, 2048 bins, 8 bits', data: gaussianWithOutliers(), bins: 2048, numBits: 8, stride: 1 },
    { name: 'ReLU of a normal mixture, 2048 bins, 8 bits', data: reluMixture(), bins: 2048, numBits: 8, stride: 1 },
    { name: 'Laplace, 1000 bins, 7 bits (64 levels), stride 3', data: laplace(50000, 5), bins: 1000, numBits: 7, stride: 3 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const stats = statsOf('t', c.data, c.bins);
      const h = stats.histogram!;
      const edges = linspace(0, h.max, c.bins + 1);
      const T = 1 << (c.numBits - 1);
      const ref = trtComputeAmaxEntropy(h.counts, edges, c.numBits, false, c.stride, T);
      const ours = klDivergences(h.counts, T, c.stride);
      expect(ours.length).toBe(ref.divergences.length);
      let finite = 0;
      for (let k = 0; k < ours.length; k++) {
        const r = ref.divergences[k];
        if (Number.isFinite(r)) {
          finite++;
          if (Math.abs(ours[k] - r) > 1e-9 * Math.max(1, Math.abs(r))) {
            throw new Error(`${c.name}: candidate ${T + k * c.stride}: ours ${ours[k]} reference ${r}`);
          }
        } else {
          expect(ours[k]).toBe(r);
        }
      }
      // Enough finite candidates for the comparison to mean something (the rest are +Infinity in both:
      // an empty last bin with values beyond it).
      expect(finite).toBeGreaterThanOrEqual(50);
      // No point mass to spread and no candidate clipping half the values wins, so the guarded
      // search of calibrateThreshold (kl.ts) gives the reference threshold.
      expect(spreadPointMasses(Float64Array.from(h.counts, (v, j) => (j === 0 ? h.counts[1] : v)), Math.floor(c.bins / (2 * T)))).toBe(0);
      const t = calibrateThreshold(stats, 'kl', { klTargetBins: T, klStride: c.stride });
      expect(t).toBeCloseTo(ref.amax, 12);
      // The search found an interior optimum on these heavy-tailed histograms (it clips).
      expect(t).toBeLessThan(h.max);
    });
  }
});

describe('percentile against onnxruntime compute_percentile', () => {
  test('ours lies in the bin whose lower edge onnxruntime returns', () => {
    const data = gaussianWithOutliers();
    const stats = statsOf('t', data, 2048);
    const h = stats.histogram!;
    const edges = linspace(0, h.max, 2049);
    for (const p of [50, 90, 99, 99.9, 99.99, 99.999]) {
      const total = sum(h.counts);
      let cdf = 0;
      let idx = 0;
      // np.searchsorted(cumsum(hist / total), p / 100), side left
      for (; idx < h.counts.length; idx++) {
        cdf += h.counts[idx] / total;
        if (cdf >= p / 100) break;
      }
      const ort = Math.min(edges[idx], stats.max);
      const ours = calibrateThreshold(stats, 'percentile', { percentile: p });
      expect(ours).toBeGreaterThanOrEqual(ort);
      expect(ours).toBeLessThanOrEqual(edges[idx + 1] + 1e-12);
    }
  });

  test('hand-computed interpolation', () => {
    const counts = new Float64Array([1, 1, 2]);
    expect(percentileFromHistogram(counts, 1, 50)).toBe(2);
    expect(percentileFromHistogram(counts, 1, 75)).toBe(2.5);
    expect(percentileFromHistogram(counts, 1, 100)).toBe(3);
    expect(percentileFromHistogram(counts, 1, 12.5)).toBe(0.5);
  });
});

/** Expected squared error of q(x) = clamp(round(x / d), -127, 127) * d, d = t / 127, x ~ N(0, 1). */
function int8MseNormal(t: number): number {
  const d = t / 127;
  const step = 1e-3;
  let s = 0;
  // Midpoint rule over [-10, 10]; the density beyond is < 1e-22.
  for (let x = -10 + step / 2; x < 10; x += step) {
    const q = max(-127, min(127, round(x / d))) * d;
    s += (q - x) * (q - x) * exp(-0.5 * x * x);
  }
  return (s * step) / Math.sqrt(2 * Math.PI);
}

function int8MseSamples(data: Float64Array, t: number): number {
  const d = t / 127;
  let s = 0;
  for (let i = 0; i < data.length; i++) {
    const e = max(-127, min(127, round(data[i] / d))) * d - data[i];
    s += e * e;
  }
  return s / data.length;
}

describe('MSE against brute-force quantization error', () => {
  test('N(0,1), 255 levels: the threshold is the numerically optimal clipping', () => {
    let best = 0;
    let bestErr = Infinity;
    for (let t = 2.5; t <= 5.5; t += 0.02) {
      const e = int8MseNormal(t);
      if (e < bestErr) {
        bestErr = e;
        best = t;
      }
    }
    const stats = statsOf('g', gaussian(200000, 1), 2048);
    const t = calibrateThreshold(stats, 'mse', { levels: 255 });
    // The optimum (3.92, as ACIQ gives for 8 bits) is flat: the threshold from 200k samples must be
    // near it and within 5% of the optimal error (not clipping costs 35% more).
    expect(best).toBeGreaterThan(3.8);
    expect(best).toBeLessThan(4.05);
    expect(Math.abs(t - best)).toBeLessThan(0.35);
    expect(int8MseNormal(t)).toBeLessThan(1.05 * bestErr);
    // It clips: well below the sample |x|max, and much better than not clipping at all.
    expect(t).toBeLessThan(Math.max(-stats.min, stats.max));
  });

  test('normal + outliers: near-optimal for the actual samples', () => {
    const data = gaussianWithOutliers();
    const stats = statsOf('g', data, 2048);
    const t = calibrateThreshold(stats, 'mse', { levels: 255 });
    let bestErr = Infinity;
    for (let c = 1; c <= 50; c += 0.25) bestErr = Math.min(bestErr, int8MseSamples(data, c));
    expect(int8MseSamples(data, t)).toBeLessThan(1.05 * bestErr);
  });
});
