/**
 * individual_qnt_error_analysis.txt in RKNN-Toolkit2's layout: one aligned fixed-width row per layer
 * in graph order with the layer (`[Op] name`), its output tensor, the individual ("single") cosine and
 * Euclidean distance and the cumulative ("entire") ones; then the graph outputs.
 *
 * Layout (what a parser may rely on): lines starting with "#" are comments; the table header's first
 * line holds the words `layer_name`, `output`, `individual_error` and `entire_error` at the columns
 * where those fields start; the second header line holds `cos` and `euc` over their columns; a line of
 * dashes; then one row per layer whose first character is "!" when the layer is flagged. Names have
 * control characters written as `\xNN`.
 */
import type { Analysis, ErrorMetrics, LayerAnalysis } from '../analyze/types';
import { fmtCos, fmtDb, fmtPct, fmtShape, fmtSig, isFlagged, oneLine, ROUNDING, summaryLine } from './format';

/** Pads every column to its widest cell; `right` lists the right-aligned columns. */
export function alignRows(rows: string[][], right: ReadonlySet<number> = new Set(), gap = '  '): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(gap).trimEnd());
}

function cosEuc(m: ErrorMetrics | null): [string, string] {
  return m === null ? ['-', '-'] : [fmtCos(m.cosine), fmtSig(m.euclidean)];
}

function layerTable(layers: readonly LayerAnalysis[]): string[] {
  const names = layers.map((l) => `[${oneLine(l.op)}] ${oneLine(l.name)}`);
  const outs = layers.map((l) => oneLine(l.output));
  const idxW = Math.max(5, ...layers.map((l) => String(l.index).length));
  const nameW = Math.max('layer_name'.length, ...names.map((n) => n.length));
  const outW = Math.max('output'.length, ...outs.map((n) => n.length));
  const cells = layers.map((l) => [...cosEuc(l.individual), ...cosEuc(l.cumulative)]);
  const cosW = Math.max(9, ...cells.flatMap((c) => [c[0].length, c[2].length]));
  const eucW = Math.max(9, ...cells.flatMap((c) => [c[1].length, c[3].length]));
  const pairW = cosW + 3 + eucW;
  const groupW = Math.max(pairW, 'individual_error'.length);
  const pair = (cos: string, euc: string) => `${cos.padEnd(cosW)} | ${euc.padEnd(eucW)}`.padEnd(groupW);
  const lead = (flag: string, idx: string, name: string, out: string) =>
    `${flag} ${idx.padStart(idxW)}  ${name.padEnd(nameW)}  ${out.padEnd(outW)}  `;
  const h1 = `${lead(' ', 'index', 'layer_name', 'output')}${'individual_error'.padEnd(groupW)}   entire_error`;
  const h2 = `${lead(' ', '', '', '')}${`${'cos'.padEnd(cosW)}   euc`.padEnd(groupW)}   cos${' '.repeat(cosW)}euc`;
  const rows = layers.map((l, i) => {
    const c = cells[i];
    return `${lead(isFlagged(l) ? '!' : ' ', String(l.index), names[i], outs[i])}${pair(c[0], c[1])}   ${pair(c[2], c[3])}`.trimEnd();
  });
  const dash = '-'.repeat(Math.max(h1.length, ...rows.map((r) => r.length)));
  return [h1.trimEnd(), h2.trimEnd(), dash, ...rows];
}

function outputTable(a: Analysis): string[] {
  const header = ['name', 'shape', 'cos', 'sqnr_db', 'noise:signal', 'mse', 'max_abs', 'top1', 'top5'];
  const rows = a.outputs.map((o) => [
    oneLine(o.name), fmtShape(o.shape), fmtCos(o.cosine), fmtDb(o.sqnr_db), fmtSig(o.noise_signal_ratio),
    fmtSig(o.mse), fmtSig(o.max_abs), fmtPct(o.top1_agreement), fmtPct(o.top5_agreement),
  ]);
  const lines = alignRows([header, ...rows]);
  return [lines[0], '-'.repeat(Math.max(...lines.map((l) => l.length))), ...lines.slice(1)];
}

/** individual_qnt_error_analysis.txt's text. */
export function renderTxt(analysis: Analysis): string {
  const a = analysis;
  const out: string[] = [
    '# npuquant individual_qnt_error_analysis.txt (RKNN-Toolkit2 layout)',
    `# ${summaryLine(a)}`,
    '# individual_error: the layer alone, fed with the float values of its inputs quantized (RKNN "single");',
    '# entire_error: the whole quantized model up to this layer, errors accumulating (RKNN "entire").',
    '# cos: cosine similarity, mean over samples (1 = identical); euc: Euclidean distance ||q - f||, mean over samples.',
    '# "!" at the start of a row: the layer is flagged (reasons and suggestions in analysis.md); "-": the layer runs in float.',
    `# ${ROUNDING}`,
    '',
    ...layerTable(a.layers),
    '',
    '# outputs: the whole quantized model against the float model',
    ...outputTable(a),
  ];
  return `${out.join('\n')}\n`;
}
