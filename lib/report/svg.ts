/**
 * The charts of analysis.html as inline SVG strings: a line chart of one value per layer (several
 * series, points with tooltips) and a float-vs-quantized histogram chart. No library, no script; the
 * styling comes from the page's CSS classes.
 */
import type { Histogram } from '../analyze/types';
import { escapeHtml as esc } from './format';

const W = 960;
const H = 300;
const M = { left: 64, right: 16, top: 34, bottom: 44 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

/** Round numbers (1, 2, 5 × 10^k) between lo and hi, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const n4 = (v: number) => String(Number(v.toPrecision(4)));
const px = (v: number) => v.toFixed(1);

export interface Series {
  /** Name written as `data-series` on the series group. */
  key: string;
  label: string;
  /** CSS class of the series (colour). */
  cls: string;
  /** One value per layer; undefined or NaN = no point; +Infinity is drawn at the top edge as a triangle. */
  values: (number | undefined)[];
}

export interface LineChartOptions {
  id: string;
  title: string;
  yLabel: string;
  /** Layer names (tooltips), one per x position. */
  names: string[];
  /** Layers drawn with a flag ring. */
  flagged: boolean[];
  series: Series[];
  /** Fixed top of the y axis (1 for cosine). */
  yMax?: number;
  /** Dashed horizontal reference lines. */
  refLines?: { y: number; label: string }[];
  /** Formats a value for the tooltips. */
  format: (v: number) => string;
}

function frame(id: string, title: string, body: string[], desc: string): string {
  return `<svg id="${esc(id)}" class="chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg">` +
    `<title>${esc(title)}</title><desc>${esc(desc)}</desc>` +
    `<text class="chart-title" x="${M.left}" y="20">${esc(title)}</text>${body.join('')}</svg>`;
}

function yAxis(lo: number, hi: number, y: (v: number) => number, label: string): string[] {
  const out = [`<line class="axis" x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + PH}"/>`];
  for (const t of niceTicks(lo, hi)) {
    out.push(`<line class="grid" x1="${M.left}" y1="${px(y(t))}" x2="${M.left + PW}" y2="${px(y(t))}"/>`,
      `<text class="tick" x="${M.left - 6}" y="${px(y(t) + 4)}" text-anchor="end">${esc(n4(t))}</text>`);
  }
  out.push(`<text class="axis-label" transform="translate(14 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`);
  return out;
}

/** A line chart of per-layer values along the graph (x = layer index in graph order). */
export function lineChart(o: LineChartOptions): string {
  const n = o.names.length;
  const finite = o.series.flatMap((s) => s.values).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const refs = (o.refLines ?? []).map((r) => r.y);
  let lo = Math.min(...finite, ...refs);
  let hi = o.yMax ?? Math.max(...finite, ...refs);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (o.yMax !== undefined) lo = Math.min(lo, hi - 1e-3);
  if (!(hi > lo)) [lo, hi] = [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.06;
  lo -= pad;
  if (o.yMax === undefined) hi += pad;
  const x = (i: number) => M.left + (n <= 1 ? PW / 2 : (i * PW) / (n - 1));
  const y = (v: number) => M.top + PH - ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * PH;
  const body = yAxis(lo, hi, y, o.yLabel);
  body.push(`<line class="axis" x1="${M.left}" y1="${M.top + PH}" x2="${M.left + PW}" y2="${M.top + PH}"/>`);
  const xt = n <= 1 ? [0] : niceTicks(0, n - 1, Math.min(10, n - 1)).filter((t) => Number.isInteger(t));
  for (const t of xt) body.push(`<text class="tick" x="${px(x(t))}" y="${M.top + PH + 16}" text-anchor="middle">${t}</text>`);
  body.push(`<text class="axis-label" x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">layer (graph order)</text>`);
  for (const r of o.refLines ?? []) {
    body.push(`<line class="ref" x1="${M.left}" y1="${px(y(r.y))}" x2="${M.left + PW}" y2="${px(y(r.y))}"/>`,
      `<text class="ref-label" x="${M.left + PW - 4}" y="${px(y(r.y) - 4)}" text-anchor="end">${esc(r.label)}</text>`);
  }
  o.series.forEach((s, k) => {
    let d = '';
    let pen = false;
    const pts: string[] = [];
    s.values.forEach((v, i) => {
      if (v === undefined || Number.isNaN(v)) {
        pen = false;
        return;
      }
      const cx = px(x(i));
      const cy = px(y(v));
      d += `${pen ? 'L' : 'M'}${cx} ${cy}`;
      pen = true;
      const flag = o.flagged[i] ? ' flagged' : '';
      const tip = `<title>#${i} ${esc(o.names[i])}: ${esc(s.label)} ${esc(o.format(v))}${o.flagged[i] ? ' (flagged)' : ''}</title>`;
      if (v === Infinity) {
        pts.push(`<path class="pt inf${flag}" data-layer="${i}" d="M${cx} ${px(Number(cy) - 5)}l4 7h-8z">${tip}</path>`);
      } else {
        pts.push(`<circle class="pt${flag}" data-layer="${i}" cx="${cx}" cy="${cy}" r="${o.flagged[i] ? 4.5 : 3}">${tip}</circle>`);
      }
    });
    body.push(`<g class="series ${esc(s.cls)}" data-series="${esc(s.key)}"><path class="line" d="${d}"/>${pts.join('')}</g>`);
    // Legend in the title row, right-aligned, so that it never covers the data.
    const lx = W - M.right - (o.series.length - k) * 120;
    body.push(`<g class="legend ${esc(s.cls)}"><line class="line" x1="${lx}" y1="16" x2="${lx + 18}" y2="16"/>` +
      `<circle cx="${lx + 9}" cy="16" r="3"/><text x="${lx + 24}" y="20">${esc(s.label)}</text></g>`);
  });
  const desc = `${o.series.map((s) => s.label).join(' and ')} per layer, ${n} layers; flagged layers are ringed.`;
  return frame(o.id, o.title, body, desc);
}

/** A float histogram (filled bars) and a quantized one (outlined bars) on one axis, log-scaled counts. */
export function histogramChart(id: string, title: string, float: Histogram, quant: Histogram): string {
  let lo = Math.min(float.lo, quant.lo);
  let hi = Math.max(float.hi, quant.hi);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) [lo, hi] = [0, 1];
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  const top = Math.log1p(Math.max(1, ...float.counts, ...quant.counts));
  const x = (v: number) => M.left + ((v - lo) / (hi - lo)) * PW;
  const h = (c: number) => (Math.log1p(Math.max(0, c)) / top) * PH;
  const body: string[] = [];
  const ticks = [0, 1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9].filter((c) => Math.log1p(c) <= top);
  body.push(`<line class="axis" x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + PH}"/>`);
  for (const c of ticks) {
    const ty = M.top + PH - h(c);
    body.push(`<line class="grid" x1="${M.left}" y1="${px(ty)}" x2="${M.left + PW}" y2="${px(ty)}"/>`,
      `<text class="tick" x="${M.left - 6}" y="${px(ty + 4)}" text-anchor="end">${c >= 1e3 ? c.toExponential(0).replace('e+', 'e') : c}</text>`);
  }
  body.push(`<text class="axis-label" transform="translate(14 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">count (log scale)</text>`,
    `<line class="axis" x1="${M.left}" y1="${M.top + PH}" x2="${M.left + PW}" y2="${M.top + PH}"/>`);
  for (const t of niceTicks(lo, hi, 8)) {
    body.push(`<text class="tick" x="${px(x(t))}" y="${M.top + PH + 16}" text-anchor="middle">${esc(n4(t))}</text>`);
  }
  body.push(`<text class="axis-label" x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">value</text>`);
  const bars = (hist: Histogram, cls: string, label: string) => {
    const w = (hist.hi - hist.lo) / Math.max(1, hist.counts.length);
    return hist.counts.map((c, i) => {
      const a = hist.lo + i * w;
      const bx = x(a);
      const bw = Math.max(0.5, x(a + w) - bx);
      return `<rect class="bar ${cls}" x="${px(bx)}" y="${px(M.top + PH - h(c))}" width="${px(bw)}" height="${px(h(c))}">` +
        `<title>${esc(label)} [${esc(n4(a))}, ${esc(n4(a + w))}): ${c}</title></rect>`;
    }).join('');
  };
  body.push(`<g class="hist float">${bars(float, 'float', 'float')}</g>`, `<g class="hist quant">${bars(quant, 'quant', 'quantized')}</g>`);
  body.push(`<g class="legend"><rect class="bar float" x="${W - M.right - 200}" y="11" width="12" height="10"/>` +
    `<text x="${W - M.right - 182}" y="20">float</text>` +
    `<rect class="bar quant" x="${W - M.right - 110}" y="11" width="12" height="10"/>` +
    `<text x="${W - M.right - 92}" y="20">quantized</text></g>`);
  return frame(id, title, body, `float and quantized ${float.counts.length}-bin histograms over [${n4(lo)}, ${n4(hi)}]`);
}
