/**
 * Test helpers for the calibration methods: a seeded random source and TensorStats built by hand from
 * samples, with the |x| histogram binned as the observer contract states.
 */
import type { TensorStats } from '../../lib/calibrate/stats';

// Globals are slow to look up inside jest's vm context: bind the ones the loops use.
const { abs, cos, floor, imul, log, max: fmax, min, sin, sqrt, PI } = Math;

/** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` standard normal samples (Box-Muller) from a seeded generator. */
export function gaussian(n: number, seed: number): Float64Array {
  const u = rng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = sqrt(-2 * log(1 - u()));
    const th = 2 * PI * u();
    out[i] = r * cos(th);
    if (i + 1 < n) out[i + 1] = r * sin(th);
  }
  return out;
}

/**
 * |x| histogram per the TensorStats contract: `bins` bins over [0, max], bin i counts |x| in
 * [i*max/n, (i+1)*max/n), the last bin closed. `max` defaults to max |x|.
 */
export function absHistogram(data: ArrayLike<number>, bins: number, max?: number): { counts: Float64Array; max: number } {
  let m = max ?? 0;
  if (max === undefined) for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i])) m = fmax(m, abs(data[i]));
  const counts = new Float64Array(bins);
  const width = m / bins;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    const a = abs(v);
    counts[width > 0 ? min(bins - 1, floor(a / width)) : 0] += 1;
  }
  return { counts, max: m };
}

/** TensorStats of `data` (min, max, ema = min/max unless given, |x| histogram with `bins` bins). */
export function statsOf(name: string, data: ArrayLike<number>, bins = 2048, extra: Partial<TensorStats> = {}): TensorStats {
  let min = Infinity;
  let max = -Infinity;
  let count = 0;
  let nonFinite = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    count++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { name, count, min, max, emaMin: min, emaMax: max, nonFinite, histogram: absHistogram(data, bins), ...extra };
}
