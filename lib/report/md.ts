/**
 * analysis.md in XQuant's style: the layers sorted by individual noise:signal ratio, worst first, with
 * Op, Var, SNR (noise:signal), SQNR dB, MSE, Cosine, quantized and float min/max and a compact float
 * histogram, flagged rows marked; then the cumulative error along the graph, the outputs (top-k
 * agreement and TOP-5 printouts), weight statistics, the outlier table, suggestions and "What the
 * numbers mean".
 *
 * Names are written as code spans (any backtick run inside is fenced by a longer one) with "|"
 * escaped inside tables, so that no name can break a table or inject markup.
 */
import type { Analysis, LayerAnalysis, OutputAnalysis } from '../analyze/types';
import { byNoiseSignal, fmtCos, fmtDb, fmtPct, fmtShape, fmtSig, isFlagged, oneLine, sparkline, summaryLine } from './format';
import { allMeanings } from './meaning';

/** A name as a Markdown code span; `inTable` escapes "|" as GFM tables require. */
export function mdCode(s: string, inTable = true): string {
  const text = oneLine(s);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || (text.startsWith(' ') && text.endsWith(' ') && text.trim() !== '') ? ' ' : '';
  const body = `${fence}${pad}${text}${pad}${fence}`;
  return inTable ? body.replace(/\|/g, '\\|') : body;
}

/**
 * Plain text made inert in Markdown inside a line: a backslash before every character that can open
 * markup there (\ ` * _ [ ] < > | & ~). The text never starts a line, so # + - need no escape.
 */
export function mdText(s: string): string {
  return oneLine(s).replace(/[\\`*_[\]<>|&~]/g, (c) => `\\${c}`);
}

function table(header: string[], rows: string[][], right: ReadonlySet<number> = new Set()): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (right.has(i) ? ' ---: ' : ' --- ')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
}

const NUMERIC_LAYER_COLS = new Set([3, 4, 5, 6]);

function layerRows(layers: readonly LayerAnalysis[]): string[][] {
  return byNoiseSignal(layers).map((l) => {
    const m = l.individual;
    return [
      isFlagged(l) ? '⚠' : '',
      `${mdCode(l.name)} ${mdText(l.op)}`,
      mdCode(l.output),
      m ? fmtSig(m.noise_signal_ratio) : '-',
      m ? fmtDb(m.sqnr_db) : '-',
      m ? fmtSig(m.mse) : '-',
      m ? fmtCos(m.cosine) : '-',
      `${fmtSig(l.quantized.min)} … ${fmtSig(l.quantized.max)}`,
      `${fmtSig(l.float.min)} … ${fmtSig(l.float.max)}`,
      `\`${sparkline(l.float.histogram.counts)}\``,
    ];
  });
}

function cumulativeRows(layers: readonly LayerAnalysis[]): string[][] {
  return layers.map((l) => [
    String(l.index), `${mdCode(l.name)} ${mdText(l.op)}`, mdText(l.execution), mdText(l.dtype),
    fmtCos(l.cumulative.cosine), fmtDb(l.cumulative.sqnr_db), fmtSig(l.cumulative.noise_signal_ratio),
    fmtSig(l.cumulative_drop), l.flags.map((f) => mdText(f.code)).join(', '),
  ]);
}

function outputSection(o: OutputAnalysis): string[] {
  const out = [
    `### ${mdCode(o.name, false)} ${mdText(fmtShape(o.shape))}`, '',
    ...table(['Cosine', 'SQNR dB', 'SNR (noise:signal)', 'MSE', 'Max \\|error\\|', 'Top-1 agreement', 'Top-5 agreement'], [[
      fmtCos(o.cosine), fmtDb(o.sqnr_db), fmtSig(o.noise_signal_ratio), fmtSig(o.mse), fmtSig(o.max_abs),
      fmtPct(o.top1_agreement), fmtPct(o.top5_agreement),
    ]], new Set([0, 1, 2, 3, 4, 5, 6])),
  ];
  for (const s of o.top5 ?? []) {
    const n = Math.max(s.float.length, s.quantized.length);
    const rows: string[][] = [];
    for (let k = 0; k < n; k++) {
      const f = s.float[k];
      const q = s.quantized[k];
      rows.push([String(k + 1), f ? String(f.index) : '', f ? fmtSig(f.score) : '', q ? String(q.index) : '', q ? fmtSig(q.score) : '',
        f && q && f.index === q.index ? '' : '≠']);
    }
    out.push('', `TOP-5 of sample ${s.sample} (float vs quantized):`, '',
      ...table(['Rank', 'Float index', 'Float score', 'Quantized index', 'Quantized score', ''], rows, new Set([0, 1, 2, 3, 4])));
  }
  return out;
}

/** analysis.md's text. */
export function renderMd(analysis: Analysis): string {
  const a = analysis;
  const t = a.thresholds;
  const flagged = a.layers.filter(isFlagged);
  const out: string[] = [
    `# Quantization analysis: ${mdText(a.model)}`, '',
    `${mdText(summaryLine(a))}.`, '',
    `- Created: ${mdText(a.created)}; analysis took ${fmtSig(a.timing.analysis_ms)} ms` +
      (a.timing.float_pass_ms !== undefined ? ` (one float pass: ${fmtSig(a.timing.float_pass_ms)} ms).` : '.'),
    `- Flagged (⚠): individual cosine \\< ${t.individualCosine}, individual noise:signal \\> ${t.noiseSignal}, ` +
      `cumulative drop \\> ${t.cumulativeDrop}, outlier share ≥ ${t.outlierShare}, weight ratio \\> ${t.weightRatio}; ` +
      `${flagged.length} of ${a.layers.length} layers. Numbers are explained at the end.`,
    '',
    '## Layers, worst individual noise:signal first', '',
    ...table(['', 'Op', 'Var', 'SNR (noise:signal)', 'SQNR dB', 'MSE', 'Cosine', 'Q.MinMax', 'F.MinMax', 'F.Hist (32 bins)'],
      layerRows(a.layers), NUMERIC_LAYER_COLS),
    '',
    '## Cumulative error along the graph', '',
    ...table(['#', 'Op', 'Execution', 'Type', 'Cosine', 'SQNR dB', 'SNR (noise:signal)', 'Drop', 'Flags'],
      cumulativeRows(a.layers), new Set([0, 4, 5, 6, 7])),
    '',
    '## Outputs', '',
  ];
  if (a.outputs.length === 0) out.push('No graph output was compared.');
  for (const o of a.outputs) out.push(...outputSection(o), '');
  out.push('', '## Weight statistics', '');
  if (a.weights.length === 0) out.push('No constant weights.');
  else {
    out.push(...table(['', 'Layer', 'Tensor', 'Channels', 'Min', 'Max', 'Max channel \\|w\\|', 'Median channel \\|w\\|', 'Ratio'],
      a.weights.map((w) => [w.ratio > t.weightRatio ? '⚠' : '', mdCode(w.layer), mdCode(w.tensor), String(w.channels), fmtSig(w.min),
        fmtSig(w.max), fmtSig(w.channel_absmax_max), fmtSig(w.channel_absmax_median), fmtSig(w.ratio)]),
      new Set([3, 4, 5, 6, 7, 8])));
    out.push('', `⚠: ratio above ${t.weightRatio}; it matters with per-tensor weights (this run: ${a.calibration.perChannel ? 'per-channel' : 'per-tensor'}).`);
  }
  out.push('', '## Outliers', '');
  if (a.outliers.length === 0) out.push('No activation tensor was measured for outliers.');
  else {
    out.push(...table(['', 'Tensor', 'Layer', 'Channels', 'Level ≥ 3', 'Level ≥ 4', 'Level ≥ 5', 'Level ≥ 6', 'Sparse'],
      a.outliers.map((r) => [r.level5 >= t.outlierShare ? '⚠' : '', mdCode(r.tensor), mdCode(r.layer), String(r.channels),
        fmtPct(r.level3), fmtPct(r.level4), fmtPct(r.level5), fmtPct(r.level6), fmtPct(r.sparse)]),
      new Set([3, 4, 5, 6, 7, 8])));
  }
  out.push('', '## Suggestions', '');
  if (a.suggestions.length === 0) out.push('Nothing to suggest: no layer crossed a threshold.');
  a.suggestions.forEach((s, i) => {
    out.push(`${i + 1}. ${mdCode(s.name, false)}: ${mdText(s.reason)}; ${mdText(s.action)}` +
      (s.precision ? ` (suggested precision: ${mdText(s.precision)})` : '') + '.');
  });
  const m = allMeanings(a);
  out.push('', '## What the numbers mean', '');
  for (const e of m.metrics) out.push(`- **${mdText(e.term)}**: ${mdText(e.text)}`);
  out.push('', 'Thresholds of this analysis (a layer is flagged, with the code shown, when):', '');
  for (const e of m.thresholds) out.push(`- **${mdText(e.term)}**: ${mdText(e.text)}`);
  out.push('', mdText(m.rounding), '');
  return out.join('\n');
}
