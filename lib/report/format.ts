/**
 * Number formatting and escaping shared by every report format, so that the txt, md and html reports
 * print the same digits for the same value (the csv and json hold full precision).
 */
import type { Analysis, ErrorMetrics, LayerAnalysis } from '../analyze/types';

/** The rounding of the human-readable reports, stated in each of them. */
export const ROUNDING =
  'Rounding in the txt, md and html reports: cosine to 6 decimals; SQNR in dB to 2 decimals ("inf" when the noise is zero); ' +
  'noise:signal, MSE, max |error|, Euclidean distance, min/max and weight statistics to 4 significant digits; ' +
  'shares (top-k agreement, outlier levels) as percentages with 1 decimal. analysis.json and analysis.csv hold full precision.';

function nonFinite(x: number): string {
  return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
}

/** Cosine: 6 decimals. */
export function fmtCos(x: number): string {
  return Number.isFinite(x) ? x.toFixed(6) : nonFinite(x);
}

/** SQNR in dB: 2 decimals; null (zero noise) and +Infinity print as "inf". */
export function fmtDb(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'inf';
  return Number.isFinite(x) ? x.toFixed(2) : nonFinite(x);
}

/** 4 significant digits; exponent form below 1e-4 and from 1e6 on (`1.235e-7`). */
export function fmtSig(x: number): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a < 1e-4 || a >= 1e6) return x.toExponential(3).replace('e+', 'e');
  return String(Number(x.toPrecision(4)));
}

/** A share in [0, 1] as a percentage with 1 decimal; "-" when absent. */
export function fmtPct(x: number | undefined): string {
  if (x === undefined) return '-';
  return Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : nonFinite(x);
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Full-precision number for machine-readable output (csv, data attributes): shortest round-trip form. */
export function fullNumber(x: number | null): string {
  if (x === null) return 'inf';
  return Number.isFinite(x) ? String(x) : nonFinite(x);
}

/** Replaces control characters (newlines, tabs, ...) with `\xNN` so a name stays on one line. */
export function oneLine(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** HTML text and attribute escaping (& < > " '). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** A layer is flagged when analyze() attached at least one flag to it. */
export function isFlagged(layer: LayerAnalysis): boolean {
  return layer.flags.length > 0;
}

/**
 * Layers worst first by individual noise:signal ratio (XQuant's order); layers without individual
 * metrics (run in float) and NaN ratios come last, in graph order.
 */
export function byNoiseSignal(layers: readonly LayerAnalysis[]): LayerAnalysis[] {
  const key = (l: LayerAnalysis) => {
    const v = l.individual?.noise_signal_ratio;
    return v === undefined || Number.isNaN(v) ? -Infinity : v;
  };
  return [...layers].sort((a, b) => key(b) - key(a) || a.index - b.index);
}

/** The SQNR of a metrics block as a number for charts: null (zero noise) becomes +Infinity. */
export function sqnrValue(m: ErrorMetrics | null): number | undefined {
  if (m === null) return undefined;
  return m.sqnr_db === null ? Infinity : m.sqnr_db;
}

/** One line naming the model, target, samples and calibration. */
export function summaryLine(a: Analysis): string {
  const flagged = a.layers.filter(isFlagged).length;
  return `model ${oneLine(a.model)}, target ${oneLine(a.target)}, ${a.samples} sample${a.samples === 1 ? '' : 's'}, ` +
    `calibration ${oneLine(a.calibration.method)} (${a.calibration.perChannel ? 'per-channel' : 'per-tensor'} weights), ` +
    `${a.layers.length} layers, ${flagged} flagged`;
}

/**
 * A 32-bin histogram as one character per bin: "." for an empty bin, else one of ▁▂▃▄▅▆▇█ with the
 * height proportional to log(1 + count) (so that a spike at zero does not hide the tails).
 */
export function sparkline(counts: readonly number[]): string {
  const bars = '▁▂▃▄▅▆▇█';
  const top = Math.log1p(Math.max(0, ...counts));
  return counts.map((c) => (c > 0 && top > 0 ? bars[Math.max(0, Math.ceil((Math.log1p(c) / top) * 8) - 1)] : '.')).join('');
}
