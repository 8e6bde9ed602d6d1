/**
 * The stylesheet and the two small scripts inlined into analysis.html. The page needs no network: a
 * Content-Security-Policy forbids every external resource.
 */

/** Blocks every fetch; only the inline style and scripts run. */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

export const CSS = `
:root { --fg: #1d2330; --muted: #5c6475; --bg: #ffffff; --panel: #f5f6f8; --line: #d8dbe2; --bad: #c62828;
  --ind: #1f6fd1; --cum: #e07b00; --ok: #2e7d32; color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { --fg: #e4e7ee; --muted: #a0a7b6; --bg: #15181e; --panel: #1e222a;
  --line: #363c48; --bad: #ff6b6b; --ind: #6aa8ff; --cum: #ffad4d; --ok: #7bd88f; } }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg);
  margin: 0 auto; padding: 16px 24px 48px; max-width: 1280px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 6px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
nav a { margin-right: 14px; color: var(--ind); }
.summary { color: var(--muted); }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 3px 7px; text-align: left; vertical-align: top; }
th { background: var(--panel); position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12.5px; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[aria-sort=ascending]::after { content: " \\25B2"; } table.sortable th[aria-sort=descending]::after { content: " \\25BC"; }
tr.flagged td { background: color-mix(in srgb, var(--bad) 10%, transparent); }
.bad { color: var(--bad); font-weight: 600; } .ok { color: var(--ok); }
.chart { width: 100%; max-width: 1232px; height: auto; background: var(--panel); border-radius: 6px; display: block; margin: 8px 0; }
.chart text { fill: var(--fg); font-size: 11px; } .chart .chart-title { font-size: 14px; font-weight: 600; }
.chart .axis { stroke: var(--muted); } .chart .grid { stroke: var(--line); stroke-width: 0.6; }
.chart .tick, .chart .axis-label { fill: var(--muted); }
.chart .ref { stroke: var(--bad); stroke-dasharray: 5 4; } .chart .ref-label { fill: var(--bad); }
.chart .line { fill: none; stroke-width: 1.6; }
.chart .individual .line { stroke: var(--ind); } .chart .individual circle, .chart .individual .pt { fill: var(--ind); }
.chart .cumulative .line { stroke: var(--cum); } .chart .cumulative circle, .chart .cumulative .pt { fill: var(--cum); }
.chart .pt.flagged { stroke: var(--bad); stroke-width: 2; }
.chart .bar.float { fill: var(--ind); opacity: 0.55; } .chart .bar.quant { fill: none; stroke: var(--cum); stroke-width: 1.4; }
#npuq-errors { border: 2px solid var(--bad); color: var(--bad); padding: 8px; white-space: pre-wrap; }
dl dt { font-weight: 600; margin-top: 8px; } dl dd { margin-left: 18px; }
.topk { display: inline-block; margin-right: 18px; vertical-align: top; }
`;

/**
 * Runs first: records any script error, unhandled rejection or blocked resource on
 * `<html data-npuq-error="...">` and in the #npuq-errors box, so that a headless browser's DOM dump
 * shows it.
 */
export const ERROR_SCRIPT = `(function () {
  var errs = [];
  function rec(m) {
    errs.push(String(m));
    document.documentElement.setAttribute('data-npuq-error', errs.join(' | '));
    var box = document.getElementById('npuq-errors');
    if (box) { box.hidden = false; box.textContent = 'Errors on this page: ' + errs.join(' | '); }
  }
  window.addEventListener('error', function (e) { rec(e.message || (e.target && e.target.outerHTML) || 'error'); }, true);
  window.addEventListener('unhandledrejection', function (e) { rec('unhandled rejection: ' + ((e.reason && e.reason.message) || e.reason)); });
  document.addEventListener('securitypolicyviolation', function (e) { rec('blocked ' + e.violatedDirective + ': ' + e.blockedURI); });
  window.npuqReportError = rec;
})();`;

/**
 * Runs last: makes every `table.sortable` sortable by clicking (or Enter on) a header, by each cell's
 * `data-v` (numbers numerically, text alphabetically, empty values last), then marks the page ready.
 */
export const SORT_SCRIPT = `(function () {
  function key(td) { var v = td.getAttribute('data-v'); return v === null ? td.textContent : v; }
  function sortBy(table, col, th) {
    var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', dir === 1 ? 'ascending' : 'descending');
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]);
      if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1;
      var nx = Number(x), ny = Number(y);
      var r = !isNaN(nx) && !isNaN(ny) ? (nx < ny ? -1 : nx > ny ? 1 : 0) : x.localeCompare(y);
      return r * dir;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.tabIndex = 0;
      th.title = 'Sort by this column';
      th.addEventListener('click', function () { sortBy(table, col, th); });
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') sortBy(table, col, th); });
    });
  });
  document.body.setAttribute('data-npuq-report', 'ready');
})();`;
