/**
 * The two guards of the KL threshold search (lib/calibrate/kl.ts) on synthetic histograms: point
 * masses are spread before the search, and candidates that clip more than half of the histogram are
 * skipped. Each case also runs the unguarded reference search (klDivergences + last argmin, which the
 * references test checks against a literal port of pytorch-quantization) to show the failure it fixes.
 */
import { calibrateThreshold } from '../../lib/calibrate/methods';
import { klDivergences, lastArgmin, spreadPointMasses } from '../../lib/calibrate/kl';
import { absHistogram, gaussian, statsOf } from './helpers';

/** Threshold of the reference search (no guards) on the histogram of `stats`. */
function referenceThreshold(counts: Float64Array, max: number, T = 128): number {
  return (T + lastArgmin(klDivergences(counts, T, 1))) * (max / counts.length);
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

/**
 * A ReLU output over images with a constant background: zeros, a wide continuous part, and seven
 * exact values (relu(bias) of the background, 8000 each = 4.3%).
 */
const MASSES = [0.07, 0.22, 0.31, 0.45, 0.63, 0.9, 1.4];

function reluWithBackground(): Float64Array {
  const g = gaussian(60000, 3);
  const out = new Float64Array(60000 + MASSES.length * 8000 + 60000);
  let k = 0;
  for (const v of g) out[k++] = Math.max(0, 2 * v + 0.5);
  for (const v of MASSES) for (let r = 0; r < 8000; r++) out[k++] = v;
  return out; // the rest are zeros
}

describe('spreadPointMasses', () => {
  test('a spike keeps the median of its neighbours and its excess is shared by the window; the total is kept', () => {
    const h = new Float64Array(64).fill(10);
    h[20] = 1000;
    h[63] = 0;
    const before = sum(h);
    expect(spreadPointMasses(h, 4)).toBe(1);
    // Window [16, 24]: 9 bins share 990.
    expect(h[20]).toBeCloseTo(10 + 990 / 9, 12);
    expect(h[16]).toBeCloseTo(10 + 110, 12);
    expect(h[15]).toBe(10);
    expect(h[25]).toBe(10);
    expect(sum(h)).toBeCloseTo(before, 9);
  });

  test('bin 0, the last non-empty bin and spikes under 1/1024 of the total are left alone', () => {
    const h = new Float64Array(2048).fill(100);
    h[0] = 1e6;
    h[1500] = 1e5; // the last non-empty bin: saturation (ReLU6 at 6)
    h.fill(0, 1501);
    h[700] = 500; // 5x its neighbours but 0.04% of the total
    const copy = new Float64Array(h);
    expect(spreadPointMasses(h, 8)).toBe(0);
    expect(h).toEqual(copy);
  });

  test('smooth histograms (normal, Laplace-like tails, sparse tails of single counts) have no point mass', () => {
    const g = gaussian(200000, 1);
    const h = statsOf('g', g).histogram!.counts;
    expect(spreadPointMasses(new Float64Array(h), 8)).toBe(0);
    const relu = statsOf('r', g.map((v) => Math.max(0, v))).histogram!.counts;
    expect(spreadPointMasses(new Float64Array(relu), 8)).toBe(0);
  });

  test('a window that is not a positive integer is refused', () => {
    expect(() => spreadPointMasses(new Float64Array(8), 0)).toThrow('Expected an integer >= 1 for the point-mass window but received 0');
  });
});

describe('KL threshold search with the guards', () => {
  test('point masses: the reference stops just above one of them; the guarded search does not', () => {
    const stats = statsOf('relu', reluWithBackground());
    const h = stats.histogram!;
    const ref = referenceThreshold(h.counts, h.max);
    const width = h.max / h.counts.length;
    // The reference threshold is the first bin edge above one of the point masses, under 10% of the range.
    expect(MASSES.some((v) => v < ref && ref <= v + width)).toBe(true);
    expect(ref / stats.max).toBeLessThan(0.1);
    const t = calibrateThreshold(stats, 'kl');
    expect(t / stats.max).toBeGreaterThan(0.5);
    // What it clips is a tail, not the bulk of the non-zero values.
    const values = reluWithBackground().filter((v) => v > 0);
    expect(values.filter((v) => v > t).length / values.length).toBeLessThan(0.01);
  });

  test('clipping most values: a gate-like tensor away from zero keeps its range instead of collapsing to its minimum', () => {
    const x = gaussian(50000, 5).map((v) => 0.5 + 0.08 * v);
    const below = (t: number) => x.filter((v) => v <= t).length / x.length;
    // The observer's range: the power of two above max|x|, [0, 1) for this tensor.
    const stats = { ...statsOf('gate', x), histogram: absHistogram(x, 2048, 1) };
    const ref = referenceThreshold(stats.histogram.counts, 1);
    expect(below(ref)).toBeLessThan(0.001);
    const t = calibrateThreshold(stats, 'kl');
    expect(below(t)).toBeGreaterThan(0.99);
  });

  test('smooth data: the guarded threshold is the reference threshold', () => {
    const g = gaussian(200000, 7);
    const stats = statsOf('g', g);
    const h = stats.histogram!;
    expect(calibrateThreshold(stats, 'kl')).toBe(Math.min(referenceThreshold(h.counts, h.max), h.max));
  });
});
