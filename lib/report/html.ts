/**
 * analysis.html: one self-contained page (inline CSS, inline SVG charts, two small inline scripts; a
 * Content-Security-Policy forbids any external resource), readable from file://.
 *
 * For tests and tools: `<body data-npuq-report="ready">` once the page's script has run (it starts as
 * "loading"); `<html data-npuq-error="...">` and a visible #npuq-errors box when any script error or
 * blocked resource happened. Charts: #chart-cosine and #chart-sqnr (one `g.series[data-series=individual]`
 * and one `[data-series=cumulative]` each, one point `[data-layer=i]` per layer that has the value) and
 * #chart-hist-<layer index> for every flagged layer (32 `rect.bar.float` and 32 `rect.bar.quant`).
 * Tables: #layers-table (sortable), #outliers-table, #weights-table, #outputs-table.
 */
import type { Analysis, ErrorMetrics, LayerAnalysis, OutputAnalysis } from '../analyze/types';
import {
  byNoiseSignal, escapeHtml as esc, fmtCos, fmtDb, fmtPct, fmtShape, fmtSig, isFlagged, oneLine, sqnrValue, summaryLine,
} from './format';
import { CSP, CSS, ERROR_SCRIPT, SORT_SCRIPT } from './html-assets';
import { allMeanings } from './meaning';
import { histogramChart, lineChart } from './svg';

/** A table cell: text shown, value sorted by, numeric alignment. */
interface Cell {
  html: string;
  v?: string;
  num?: boolean;
}

const txt = (s: string): Cell => ({ html: esc(s), v: s });
const code = (s: string): Cell => ({ html: `<code>${esc(oneLine(s))}</code>`, v: s });
const num = (shown: string, value: number | null | undefined): Cell =>
  ({ html: esc(shown), v: value === undefined ? '' : value === null ? 'Infinity' : String(value), num: true });

function table(id: string | undefined, header: string[], rows: { cells: Cell[]; cls?: string }[], sortable = false): string {
  const head = `<thead><tr>${header.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead>`;
  const body = rows.map((r) => `<tr${r.cls ? ` class="${r.cls}"` : ''}>${r.cells.map((c) =>
    `<td${c.num ? ' class="num"' : ''}${c.v !== undefined ? ` data-v="${esc(c.v)}"` : ''}>${c.html}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table${id ? ` id="${id}"` : ''}${sortable ? ' class="sortable"' : ''}>${head}<tbody>\n${body}\n</tbody></table></div>`;
}

function metricCells(m: ErrorMetrics | null): Cell[] {
  if (m === null) return [0, 1, 2, 3, 4, 5].map(() => ({ html: '-', v: '', num: true }));
  return [
    num(fmtCos(m.cosine), m.cosine), num(fmtDb(m.sqnr_db), m.sqnr_db), num(fmtSig(m.noise_signal_ratio), m.noise_signal_ratio),
    num(fmtSig(m.mse), m.mse), num(fmtSig(m.max_abs), m.max_abs), num(fmtSig(m.euclidean), m.euclidean),
  ];
}

function layersTable(layers: readonly LayerAnalysis[]): string {
  const header = ['#', 'Flag', 'Layer', 'Op', 'Output', 'Shape', 'Type', 'Execution',
    'Ind. cosine', 'Ind. SQNR dB', 'Ind. noise:signal', 'Ind. MSE', 'Ind. max |err|', 'Ind. euclidean',
    'Cum. cosine', 'Cum. SQNR dB', 'Cum. noise:signal', 'Cum. MSE', 'Cum. max |err|', 'Cum. euclidean',
    'Cum. drop', 'F min', 'F max', 'Q min', 'Q max', 'Flags'];
  const rows = layers.map((l) => ({
    cls: isFlagged(l) ? 'flagged' : undefined,
    cells: [
      num(String(l.index), l.index), { html: isFlagged(l) ? '<span class="bad">⚠</span>' : '', v: isFlagged(l) ? '1' : '0' },
      code(l.name), txt(l.op), code(l.output), txt(fmtShape(l.shape)), txt(l.dtype), txt(l.execution),
      ...metricCells(l.individual), ...metricCells(l.cumulative),
      num(fmtSig(l.cumulative_drop), l.cumulative_drop), num(fmtSig(l.float.min), l.float.min), num(fmtSig(l.float.max), l.float.max),
      num(fmtSig(l.quantized.min), l.quantized.min), num(fmtSig(l.quantized.max), l.quantized.max),
      txt(l.flags.map((f) => f.code).join(', ')),
    ],
  }));
  return table('layers-table', header, rows, true);
}

function outputsSection(outputs: readonly OutputAnalysis[]): string {
  if (outputs.length === 0) return '<p>No graph output was compared.</p>';
  const rows = outputs.map((o) => ({
    cells: [code(o.name), txt(fmtShape(o.shape)), num(fmtCos(o.cosine), o.cosine), num(fmtDb(o.sqnr_db), o.sqnr_db),
      num(fmtSig(o.noise_signal_ratio), o.noise_signal_ratio), num(fmtSig(o.mse), o.mse), num(fmtSig(o.max_abs), o.max_abs),
      num(fmtPct(o.top1_agreement), o.top1_agreement), num(fmtPct(o.top5_agreement), o.top5_agreement)],
  }));
  const parts = [table('outputs-table', ['Output', 'Shape', 'Cosine', 'SQNR dB', 'Noise:signal', 'MSE', 'Max |err|', 'Top-1 agreement', 'Top-5 agreement'], rows, true)];
  for (const o of outputs) {
    if (!o.top5?.length) continue;
    parts.push(`<h3>TOP-5 of <code>${esc(oneLine(o.name))}</code>, float vs quantized</h3>`);
    for (const s of o.top5) {
      const n = Math.max(s.float.length, s.quantized.length);
      const rows5 = Array.from({ length: n }, (_, k) => {
        const f = s.float[k];
        const q = s.quantized[k];
        const same = f !== undefined && q !== undefined && f.index === q.index;
        return {
          cls: same ? undefined : 'flagged',
          cells: [num(String(k + 1), k + 1), num(f ? String(f.index) : '', f?.index), num(f ? fmtSig(f.score) : '', f?.score),
            num(q ? String(q.index) : '', q?.index), num(q ? fmtSig(q.score) : '', q?.score)],
        };
      });
      parts.push(`<div class="topk"><div>sample ${s.sample}</div>${table(undefined, ['Rank', 'Float index', 'Float score', 'Quant. index', 'Quant. score'], rows5)}</div>`);
    }
  }
  return parts.join('\n');
}

function flaggedSection(a: Analysis): string {
  const flagged = byNoiseSignal(a.layers.filter(isFlagged));
  if (flagged.length === 0) return '<p class="ok">No layer crossed a threshold.</p>';
  return flagged.map((l) => {
    const reasons = l.flags.map((f) => `<li><code>${esc(f.code)}</code>: ${esc(f.reason)}; ${esc(f.action)}</li>`).join('');
    const chart = histogramChart(`chart-hist-${l.index}`, `#${l.index} ${oneLine(l.name)} (${l.op}): float vs quantized histogram`,
      l.float.histogram, l.quantized.histogram);
    return `<section class="flagged-layer"><h3>#${l.index} <code>${esc(oneLine(l.name))}</code> ${esc(l.op)} → <code>${esc(oneLine(l.output))}</code></h3>` +
      `<ul>${reasons}</ul>${chart}</section>`;
  }).join('\n');
}

function weightsSection(a: Analysis): string {
  if (a.weights.length === 0) return '<p>No constant weights.</p>';
  const t = a.thresholds.weightRatio;
  return table('weights-table', ['Layer', 'Tensor', 'Channels', 'Min', 'Max', 'Max channel |w|', 'Median channel |w|', 'Ratio'],
    a.weights.map((w) => ({
      cls: w.ratio > t ? 'flagged' : undefined,
      cells: [code(w.layer), code(w.tensor), num(String(w.channels), w.channels), num(fmtSig(w.min), w.min), num(fmtSig(w.max), w.max),
        num(fmtSig(w.channel_absmax_max), w.channel_absmax_max), num(fmtSig(w.channel_absmax_median), w.channel_absmax_median),
        num(fmtSig(w.ratio), w.ratio)],
    })), true) +
    `<p class="summary">Highlighted: ratio above ${t}; it matters with per-tensor weights (this run: ${a.calibration.perChannel ? 'per-channel' : 'per-tensor'}).</p>`;
}

function outliersSection(a: Analysis): string {
  if (a.outliers.length === 0) return '<p>No activation tensor was measured for outliers.</p>';
  const t = a.thresholds.outlierShare;
  return table('outliers-table', ['Tensor', 'Layer', 'Channels', 'Level ≥ 3', 'Level ≥ 4', 'Level ≥ 5', 'Level ≥ 6', 'Sparse'],
    a.outliers.map((r) => ({
      cls: r.level5 >= t ? 'flagged' : undefined,
      cells: [code(r.tensor), code(r.layer), num(String(r.channels), r.channels), num(fmtPct(r.level3), r.level3), num(fmtPct(r.level4), r.level4),
        num(fmtPct(r.level5), r.level5), num(fmtPct(r.level6), r.level6), num(fmtPct(r.sparse), r.sparse)],
    })), true);
}

function suggestionsSection(a: Analysis): string {
  if (a.suggestions.length === 0) return '<p class="ok">Nothing to suggest: no layer crossed a threshold.</p>';
  return `<ol id="suggestions-list">${a.suggestions.map((s) => `<li><code>${esc(oneLine(s.name))}</code>: ${esc(s.reason)}; ${esc(s.action)}` +
    `${s.precision ? ` (suggested precision: <b>${esc(s.precision)}</b>)` : ''}</li>`).join('')}</ol>`;
}

function meaningSection(a: Analysis): string {
  const m = allMeanings(a);
  const dl = (entries: { term: string; text: string }[]) => `<dl>${entries.map((e) => `<dt>${esc(e.term)}</dt><dd>${esc(e.text)}</dd>`).join('')}</dl>`;
  return `${dl(m.metrics)}<h3>Thresholds of this analysis</h3><p>A layer is flagged, with the code shown, when:</p>${dl(m.thresholds)}<p>${esc(m.rounding)}</p>`;
}

/** analysis.html's text. */
export function renderHtml(analysis: Analysis): string {
  const a = analysis;
  const names = a.layers.map((l) => oneLine(l.name));
  const flagged = a.layers.map(isFlagged);
  const cosine = lineChart({
    id: 'chart-cosine', title: 'Cosine per layer (individual and cumulative)', yLabel: 'cosine', names, flagged, yMax: 1,
    series: [
      { key: 'individual', label: 'individual', cls: 'individual', values: a.layers.map((l) => l.individual?.cosine) },
      { key: 'cumulative', label: 'cumulative', cls: 'cumulative', values: a.layers.map((l) => l.cumulative.cosine) },
    ],
    refLines: [{ y: a.thresholds.individualCosine, label: `individual cosine threshold ${a.thresholds.individualCosine}` }],
    format: fmtCos,
  });
  const nsDb = 10 * Math.log10(1 / a.thresholds.noiseSignal);
  const sqnr = lineChart({
    id: 'chart-sqnr', title: 'SQNR per layer in dB (individual and cumulative; ▲ = no noise)', yLabel: 'SQNR dB', names, flagged,
    series: [
      { key: 'individual', label: 'individual', cls: 'individual', values: a.layers.map((l) => sqnrValue(l.individual)) },
      { key: 'cumulative', label: 'cumulative', cls: 'cumulative', values: a.layers.map((l) => sqnrValue(l.cumulative)) },
    ],
    refLines: Number.isFinite(nsDb) ? [{ y: nsDb, label: `≈ noise:signal threshold ${a.thresholds.noiseSignal}` }] : [],
    format: (v) => fmtDb(v),
  });
  const title = `npuquant analysis: ${a.model} on ${a.target}`;
  const timing = `analysis ${fmtSig(a.timing.analysis_ms)} ms${a.timing.float_pass_ms !== undefined ? `, one float pass ${fmtSig(a.timing.float_pass_ms)} ms` : ''}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="npuquant (${esc(a.schema)})">
<title>${esc(title)}</title>
<style>${CSS}</style>
<script>${ERROR_SCRIPT}</script>
</head>
<body data-npuq-report="loading">
<div id="npuq-errors" hidden></div>
<h1>${esc(title)}</h1>
<p class="summary">${esc(summaryLine(a))}. Created ${esc(a.created)}; ${esc(timing)}.</p>
<nav><a href="#along-the-graph">Along the graph</a><a href="#flagged">Flagged layers</a><a href="#outputs">Outputs</a><a href="#layers">Layers</a><a href="#weights">Weights</a><a href="#outliers">Outliers</a><a href="#suggestions">Suggestions</a><a href="#meaning">What the numbers mean</a></nav>
<h2 id="along-the-graph">Along the graph</h2>
${cosine}
${sqnr}
<h2 id="flagged">Flagged layers</h2>
${flaggedSection(a)}
<h2 id="outputs">Outputs</h2>
${outputsSection(a.outputs)}
<h2 id="layers">Layers</h2>
<p class="summary">Graph order; click a header to sort. Individual: the layer alone on quantized float inputs; cumulative: the whole quantized model up to the layer.</p>
${layersTable(a.layers)}
<h2 id="weights">Weight statistics</h2>
${weightsSection(a)}
<h2 id="outliers">Outliers</h2>
${outliersSection(a)}
<h2 id="suggestions">Suggestions</h2>
${suggestionsSection(a)}
<h2 id="meaning">What the numbers mean</h2>
${meaningSection(a)}
<script>${SORT_SCRIPT}</script>
</body>
</html>
`;
}
