/**
 * analysis.csv: one row per layer in graph order, every metric of the individual and the cumulative
 * comparison at full precision (the shortest text that reads back as the same double). RFC 4180:
 * CRLF line ends, a header row, fields holding a comma, a quote or a line break quoted with the
 * quotes doubled.
 *
 * Values: an empty field where a layer has no individual metrics (it runs in float); "inf" for a null
 * or infinite SQNR (zero noise), "nan" for NaN; shapes as `1x3x224x224`; flag codes joined by ";" and
 * flag reasons joined by "; "; the layer's float input tensors joined by ";" (empty when unknown).
 */
import type { Analysis, ErrorMetrics, LayerAnalysis } from '../analyze/types';
import { fullNumber } from './format';

const METRICS: (keyof ErrorMetrics)[] = ['cosine', 'sqnr_db', 'noise_signal_ratio', 'mse', 'max_abs', 'euclidean'];

/** The csv columns, in order. */
export const CSV_COLUMNS: readonly string[] = [
  'index', 'name', 'op', 'output', 'shape', 'dtype', 'execution', 'flagged',
  ...METRICS.map((m) => `individual_${m}`),
  ...METRICS.map((m) => `cumulative_${m}`),
  'cumulative_drop', 'float_min', 'float_max', 'quantized_min', 'quantized_max', 'flags', 'flag_reasons', 'inputs',
];

/** One RFC 4180 field. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function metrics(m: ErrorMetrics | null): string[] {
  return METRICS.map((k) => (m === null ? '' : fullNumber(m[k])));
}

function row(l: LayerAnalysis): string[] {
  return [
    String(l.index), l.name, l.op, l.output, l.shape.join('x'), l.dtype, l.execution, l.flags.length > 0 ? '1' : '0',
    ...metrics(l.individual),
    ...metrics(l.cumulative),
    fullNumber(l.cumulative_drop), fullNumber(l.float.min), fullNumber(l.float.max),
    fullNumber(l.quantized.min), fullNumber(l.quantized.max),
    l.flags.map((f) => f.code).join(';'), l.flags.map((f) => f.reason).join('; '), (l.inputs ?? []).join(';'),
  ];
}

/** analysis.csv's text. */
export function renderCsv(analysis: Analysis): string {
  const lines = [CSV_COLUMNS, ...analysis.layers.map(row)].map((r) => r.map(csvField).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
