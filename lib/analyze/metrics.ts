/**
 * Accumulation of ErrorStats probe outputs (native/engine/ops/analysis.cc) over runs, and the metrics
 * derived from the sums. Entry order of a probe output:
 *   0 items  1 elements  2 non-finite pairs  3 Σf  4 Σf²  5 Σd  6 Σd² (d = q − f)  7 max|d|
 *   8 Σ per-item cosine  9 Σ per-item ||d||  10 min f  11 max f  12 min q  13 max q  14 Σq  15 Σq²
 *   then the f histogram and the q histogram (`bins` each), then max |f| per channel (-1: none).
 */
import { ERROR_STATS_HEADER } from '../ir/ops/npuq';
import type { ErrorMetrics, ValueStats } from './types';

export class ErrorAccumulator {
  private readonly s = new Float64Array(ERROR_STATS_HEADER);
  private readonly hf: Float64Array;
  private readonly hq: Float64Array;
  private ch?: Float64Array;
  private runs = 0;

  constructor(readonly bins: number, readonly range?: { lo: number; hi: number }) {
    this.hf = new Float64Array(bins);
    this.hq = new Float64Array(bins);
    this.s[10] = this.s[12] = Infinity;
    this.s[11] = this.s[13] = -Infinity;
  }

  /** Adds one run's probe output. */
  add(v: Float64Array): void {
    const s = this.s;
    for (const k of [0, 1, 2, 3, 4, 5, 6, 8, 9, 14, 15]) s[k] += v[k];
    s[7] = Math.max(s[7], v[7]);
    s[10] = Math.min(s[10], v[10]);
    s[11] = Math.max(s[11], v[11]);
    s[12] = Math.min(s[12], v[12]);
    s[13] = Math.max(s[13], v[13]);
    const b = this.bins, h = ERROR_STATS_HEADER;
    for (let i = 0; i < b; i++) {
      this.hf[i] += v[h + i];
      this.hq[i] += v[h + b + i];
    }
    const channels = v.length - h - 2 * b;
    if (channels > 0) {
      this.ch ??= new Float64Array(channels).fill(-1);
      for (let c = 0; c < channels; c++) this.ch[c] = Math.max(this.ch[c], v[h + 2 * b + c]);
    }
    this.runs++;
  }

  get items(): number {
    return this.s[0];
  }

  /** Non-finite pairs (NaN/Inf on either side) seen; they take part in no metric. */
  get nonFinite(): number {
    return this.s[2];
  }

  metrics(): ErrorMetrics {
    const [items, n, , sf, sff, sd, sdd, maxd, cosSum, distSum] = this.s;
    const varF = n > 0 ? Math.max(0, sff / n - (sf / n) ** 2) : 0;
    const varD = n > 0 ? Math.max(0, sdd / n - (sd / n) ** 2) : 0;
    let sqnr: number | null;
    if (varD === 0) sqnr = null; // no noise: +Infinity, written as null
    else if (varF === 0) sqnr = -Infinity;
    else sqnr = 10 * Math.log10(varF / varD);
    return {
      cosine: items > 0 ? cosSum / items : 1,
      sqnr_db: sqnr,
      noise_signal_ratio: sff > 0 ? sdd / sff : sdd > 0 ? Infinity : 0,
      mse: n > 0 ? sdd / n : 0,
      max_abs: maxd,
      euclidean: items > 0 ? distSum / items : 0,
    };
  }

  private histogram(h: Float64Array): ValueStats['histogram'] {
    return { lo: this.range?.lo ?? 0, hi: this.range?.hi ?? 0, counts: Array.from(h) };
  }

  float(): ValueStats {
    return { min: this.s[10], max: this.s[11], histogram: this.histogram(this.hf) };
  }

  quantized(): ValueStats {
    return { min: this.s[12], max: this.s[13], histogram: this.histogram(this.hq) };
  }

  /** max |float| per channel (axis 1), -1 for a channel that never had a finite value; undefined when not collected. */
  channelAbsMax(): Float64Array | undefined {
    return this.ch;
  }
}

/** The probe vector of two arrays computed in JS (same layout as ErrorStats, no histograms or channels). */
export function probeVector(f: ArrayLike<number>, q: ArrayLike<number>, items = 1): Float64Array {
  if (f.length !== q.length) throw new RangeError(`Expected two arrays of the same length but received ${f.length} and ${q.length}`);
  const per = items > 0 ? f.length / items : 0;
  const v = new Float64Array(ERROR_STATS_HEADER + 2);
  v[0] = items;
  v[10] = v[12] = Infinity;
  v[11] = v[13] = -Infinity;
  for (let it = 0; it < items; it++) {
    let dot = 0, ff = 0, qq = 0, dd = 0;
    for (let k = it * per; k < (it + 1) * per; k++) {
      const a = f[k], b = q[k];
      if (!Number.isFinite(a) || !Number.isFinite(b)) { v[2]++; continue; }
      const d = b - a;
      dot += a * b; ff += a * a; qq += b * b; dd += d * d;
      v[1]++; v[3] += a; v[5] += d; v[14] += b;
      v[7] = Math.max(v[7], Math.abs(d));
      v[10] = Math.min(v[10], a); v[11] = Math.max(v[11], a);
      v[12] = Math.min(v[12], b); v[13] = Math.max(v[13], b);
    }
    v[4] += ff; v[6] += dd; v[15] += qq;
    v[8] += ff === 0 && qq === 0 ? 1 : ff === 0 || qq === 0 ? 0 : Math.min(1, Math.max(-1, dot / (Math.sqrt(ff) * Math.sqrt(qq))));
    v[9] += Math.sqrt(dd);
  }
  return v;
}

/** The metrics of two arrays (`items` samples along the first axis), computed directly in JS. */
export function compareValues(f: ArrayLike<number>, q: ArrayLike<number>, items = 1): ErrorMetrics {
  const acc = new ErrorAccumulator(1);
  acc.add(probeVector(f, q, items));
  return acc.metrics();
}
