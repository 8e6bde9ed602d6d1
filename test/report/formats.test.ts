import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Analysis } from '../../lib/analyze/types';
import {
  CSV_COLUMNS, REPORT_FORMATS, renderCsv, renderHtml, renderJson, renderMd, renderTxt, writeReports,
} from '../../lib/report';
import { fmtCos, fmtDb, fmtSig, oneLine, sparkline } from '../../lib/report/format';
import { makeAnalysis, NASTY } from './fixture';
import { mdTable, parseCsv, parseTxtLayers } from './parse';

const a = makeAnalysis();
const json = JSON.parse(renderJson(a)) as Analysis;

describe('analysis.json', () => {
  it('is the object as is, non-finite numbers as null, number arrays on one line', () => {
    expect(json).toEqual(JSON.parse(JSON.stringify(a)));
    const odd = makeAnalysis();
    odd.layers[0].cumulative.sqnr_db = Infinity;
    odd.layers[1].cumulative.mse = NaN;
    const text = renderJson(odd);
    const back = JSON.parse(text) as Analysis;
    expect(back.layers[0].cumulative.sqnr_db).toBeNull();
    expect(back.layers[1].cumulative.mse).toBeNull();
    expect(text).toMatch(/^ {10}"counts": \[\d+(, \d+){31}\],?$/m);
    expect(text).toContain('"shape": [2, 16, 8, 8]');
    expect(back.schema).toBe('npuquant.analysis/1');
  });
});

describe('analysis.csv', () => {
  const text = renderCsv(a);
  const rows = parseCsv(text);

  it('is RFC 4180 with a header and one row per layer', () => {
    expect(text.endsWith('\r\n')).toBe(true);
    expect(rows[0]).toEqual(CSV_COLUMNS);
    expect(rows).toHaveLength(a.layers.length + 1);
    for (const r of rows) expect(r).toHaveLength(CSV_COLUMNS.length);
    // Names with quotes, commas, pipes, backticks and a line break come back exactly.
    expect(rows.slice(1).map((r) => r[1])).toEqual(a.layers.map((l) => l.name));
    expect(text).toContain('"stem/conv<1>&""x"""');
    expect(text).toContain('"multi\nline"');
  });

  it('holds every metric at full precision, equal to analysis.json', () => {
    const col = (name: string) => CSV_COLUMNS.indexOf(name);
    json.layers.forEach((l, i) => {
      const r = rows[i + 1];
      expect(Number(r[col('index')])).toBe(l.index);
      expect(r[col('shape')]).toBe(l.shape.join('x'));
      expect(r[col('flagged')]).toBe(l.flags.length ? '1' : '0');
      expect(r[col('flags')]).toBe(l.flags.map((f) => f.code).join(';'));
      expect(r[col('inputs')]).toBe((l.inputs ?? []).join(';'));
      for (const kind of ['individual', 'cumulative'] as const) {
        const m = l[kind];
        for (const k of ['cosine', 'sqnr_db', 'noise_signal_ratio', 'mse', 'max_abs', 'euclidean'] as const) {
          const cell = r[col(`${kind}_${k}`)];
          if (m === null) expect(cell).toBe('');
          else if (m[k] === null) expect(cell).toBe('inf');
          else expect(Number(cell)).toBe(m[k]);
        }
      }
      expect(Number(r[col('cumulative_drop')])).toBe(l.cumulative_drop);
      expect(Number(r[col('quantized_max')])).toBe(l.quantized.max);
    });
    expect(rows[9][col('individual_cosine')]).toBe(''); // the float Softmax
    expect(rows[5][col('individual_sqnr_db')]).toBe('inf'); // zero noise
  });
});

describe('individual_qnt_error_analysis.txt', () => {
  const text = renderTxt(a);
  const rows = parseTxtLayers(text);

  it('is an aligned RKNN-style table that reads back to the object at the stated rounding', () => {
    expect(text).toContain('Rounding in the txt, md and html reports: cosine to 6 decimals');
    expect(rows).toHaveLength(a.layers.length);
    const csv = parseCsv(renderCsv(a));
    const col = (name: string) => CSV_COLUMNS.indexOf(name);
    rows.forEach((r, i) => {
      const l = json.layers[i];
      expect(r.index).toBe(l.index);
      expect(r.op).toBe(l.op);
      expect(r.name).toBe(oneLine(l.name));
      expect(r.output).toBe(l.output);
      expect(r.flagged).toBe(l.flags.length > 0);
      const ind = l.individual;
      expect(r.values).toEqual([
        ind ? fmtCos(ind.cosine) : '-', ind ? fmtSig(ind.euclidean) : '-', fmtCos(l.cumulative.cosine), fmtSig(l.cumulative.euclidean),
      ]);
      // The printed numbers are the csv's full-precision numbers rounded as stated.
      const full = csv[i + 1];
      expect(Math.abs(Number(r.values[2]) - Number(full[col('cumulative_cosine')]))).toBeLessThanOrEqual(5e-7);
      const euc = Number(full[col('cumulative_euclidean')]);
      expect(Math.abs(Number(r.values[3]) - euc)).toBeLessThanOrEqual(Math.abs(euc) * 5e-4);
    });
    expect(rows.filter((r) => r.flagged).map((r) => r.name)).toEqual([NASTY.dw]);
    // Every data row has its columns at the header's offsets: the '|' separators line up.
    const table = text.split('\n').filter((l) => / \| /.test(l) && !l.startsWith('#'));
    const bars = new Set(table.map((l) => l.indexOf(' | ')));
    expect(bars.size).toBe(1);
  });

  it('lists the outputs', () => {
    const tail = text.slice(text.indexOf('# outputs'));
    expect(tail).toMatch(/^logits\s+\[2,10\]\s+0\.985300\s+15\.27\s+0\.0297\s+0\.0505\s+0\.4123\s+100\.0%\s+100\.0%$/m);
    expect(tail).toMatch(/^aux\|head\s+\[2,1\]\s+0\.999900\s+inf\s+0\s+0\s+0\s+-\s+-$/m);
  });
});

describe('analysis.md', () => {
  const text = renderMd(a);
  const layers = mdTable(text, '## Layers, worst individual noise:signal first');

  it('sorts layers by individual noise:signal, worst first, with the float layer last and the flagged row marked', () => {
    expect(layers[0]).toEqual(['', 'Op', 'Var', 'SNR (noise:signal)', 'SQNR dB', 'MSE', 'Cosine', 'Q.MinMax', 'F.MinMax', 'F.Hist (32 bins)']);
    const body = layers.slice(2);
    expect(body).toHaveLength(a.layers.length);
    for (const r of body) expect(r).toHaveLength(10); // no name broke the table
    const ratios = body.filter((r) => r[3] !== '-').map((r) => Number(r[3]));
    expect(ratios).toEqual([...ratios].sort((x, y) => y - x));
    expect(body[0][0]).toBe('⚠');
    expect(body[0][1]).toBe("`block1\\|dw 'conv'` Conv");
    expect(body.filter((r) => r[0] === '⚠')).toHaveLength(1);
    expect(body[body.length - 1].slice(2, 7)).toEqual(['`prob`', '-', '-', '-', '-']);
    expect(body[1][1]).toBe('`fc/Gemm` Gemm');
    expect(text).toContain('``add_`res`*2*`` Add');
  });

  it('prints the same numbers as the other formats', () => {
    const byVar = new Map(layers.slice(2).map((r) => [r[2], r]));
    for (const l of json.layers) {
      const r = byVar.get(`\`${l.output.replace(/\|/g, '\\|')}\``);
      expect(r).toBeDefined();
      if (!r || !l.individual) continue;
      expect(r.slice(3, 7)).toEqual([fmtSig(l.individual.noise_signal_ratio), fmtDb(l.individual.sqnr_db), fmtSig(l.individual.mse), fmtCos(l.individual.cosine)]);
      expect(r[7]).toBe(`${fmtSig(l.quantized.min)} … ${fmtSig(l.quantized.max)}`);
      expect(r[9]).toBe(`\`${sparkline(l.float.histogram.counts)}\``);
      expect(sparkline(l.float.histogram.counts)).toHaveLength(32);
    }
    expect(byVar.get('`sig&out`')?.[4]).toBe('inf');
  });

  it('has outputs with top-k, weights, outliers, suggestions and the meaning of every threshold', () => {
    expect(mdTable(text, '### `logits` \\[2,10\\]')[2]).toEqual(['0.985300', '15.27', '0.0297', '0.0505', '0.4123', '100.0%', '100.0%']);
    const top = mdTable(text, 'TOP-5 of sample 0 (float vs quantized):');
    expect(top.slice(2).map((r) => r.slice(0, 5))).toEqual([
      ['1', '3', '7.25', '3', '7'], ['2', '8', '4.5', '8', '4.75'], ['3', '5', '2.125', '0', '1.5'], ['4', '0', '1.031', '5', '1.25'], ['5', '9', '-0.5', '9', '-0.25'],
    ]);
    expect(top[4][5]).toBe('≠');
    const w = mdTable(text, '## Weight statistics');
    expect(w.slice(2).map((r) => r[0])).toEqual(['', '⚠', '']);
    const o = mdTable(text, '## Outliers');
    expect(o[2]).toEqual(['⚠', '`stem_out`', '`stem/conv<1>&"x"`', '16', '25.0%', '12.5%', '6.3%', '0.0%', '6.3%']);
    expect(text).toContain("1. `block1|dw 'conv'`: individual cosine 0.962 \\< 0.99");
    const meaning = text.slice(text.indexOf('## What the numbers mean'));
    for (const term of ['Cosine', 'SQNR dB', 'SNR (noise:signal)', 'MSE', 'Max \\|error\\|', 'Euclidean', 'Cumulative drop', 'Top-1 / top-5 agreement', 'Outlier table', 'Weight statistics']) {
      expect(meaning).toContain(`**${term}**`);
    }
    for (const t of ['individual cosine \\< 0.99', 'noise:signal \\> 0.1', 'cumulative drop \\> 0.01', 'level ≥ 5 ≥ 0.05', 'ratio \\> 8']) expect(meaning).toContain(t);
    // The thresholds come from the object, not from defaults.
    const custom = renderMd(makeAnalysis({ thresholds: { individualCosine: 0.995, noiseSignal: 0.02, cumulativeDrop: 0.005, outlierShare: 0.1, weightRatio: 16 } }));
    for (const t of ['cosine \\< 0.995', 'noise:signal \\> 0.02', 'drop \\> 0.005', '≥ 0.1', 'ratio \\> 16']) expect(custom).toContain(t);
  });

  it('escapes every name: outside code spans no markup character is left bare', () => {
    const outside = text.replace(/(?<!`)(`+)(?!`)[^]*?(?<!`)\1(?!`)/g, '');
    expect(outside).not.toMatch(/(^|[^\\])[<&]/m);
    expect(text).not.toContain('\nline`');
  });
});

describe('analysis.html (static checks)', () => {
  const html = renderHtml(a);

  it('is self-contained and escapes every name', () => {
    expect(html.match(/<script>/g)).toHaveLength(2);
    expect(html).not.toMatch(/\s(src|srcset)=/);
    expect(html).not.toMatch(/href="(?!#)/);
    expect(html).not.toMatch(/url\(|@import/);
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;');
    expect(html).toContain('block1|dw &#39;conv&#39;');
    expect(html).not.toContain(NASTY.sig);
    expect(html).toContain('<body data-npuq-report="loading">');
  });

  it('draws both series of both charts and a histogram chart per flagged layer', () => {
    const svg = (id: string) => html.slice(html.indexOf(`<svg id="${id}"`), html.indexOf('</svg>', html.indexOf(`<svg id="${id}"`)));
    for (const id of ['chart-cosine', 'chart-sqnr']) {
      const s = svg(id);
      const series = (k: string) => s.slice(s.indexOf(`data-series="${k}"`), s.indexOf('</g>', s.indexOf(`data-series="${k}"`)));
      expect(series('cumulative').match(/data-layer="/g)).toHaveLength(10);
      expect(series('individual').match(/data-layer="/g)).toHaveLength(9);
    }
    expect(svg('chart-sqnr').match(/class="pt inf/g)).toHaveLength(3); // layers with zero individual noise
    expect(html.match(/<svg id="chart-hist-\d+"/g)).toEqual(['<svg id="chart-hist-2"']);
    expect(svg('chart-hist-2').match(/class="bar float"/g)).toHaveLength(33); // 32 bars + legend
    expect(svg('chart-hist-2').match(/class="bar quant"/g)).toHaveLength(33);
  });

  it('shows the same numbers in the layers table, with full precision to sort by', () => {
    const table = html.slice(html.indexOf('<table id="layers-table"'), html.indexOf('</table>', html.indexOf('<table id="layers-table"')));
    const rows = table.split('<tr').slice(2);
    expect(rows).toHaveLength(10);
    rows.forEach((r, i) => {
      const cells = [...r.matchAll(/<td[^>]*?(?: data-v="([^"]*)")?>(.*?)<\/td>/g)].map((m) => ({ v: m[1], shown: m[2] }));
      const l = json.layers[i];
      expect(cells).toHaveLength(26);
      expect(cells[14].shown).toBe(fmtCos(l.cumulative.cosine));
      expect(Number(cells[14].v)).toBe(l.cumulative.cosine);
      expect(cells[15].shown).toBe(fmtDb(l.cumulative.sqnr_db));
      expect(cells[9].shown).toBe(l.individual ? fmtDb(l.individual.sqnr_db) : '-');
    });
  });
});

describe('writeReports', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-report-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('writes every format by default, each equal to its renderer', () => {
    const dir = path.join(tmp, 'a', 'b');
    const files = writeReports(a, dir);
    expect(files.map((f) => path.basename(f))).toEqual(['analysis.json', 'individual_qnt_error_analysis.txt', 'analysis.md', 'analysis.csv', 'analysis.html']);
    const render = [renderJson, renderTxt, renderMd, renderCsv, renderHtml];
    files.forEach((f, i) => expect(fs.readFileSync(f, 'utf8')).toBe(render[i](a)));
    expect(REPORT_FORMATS).toEqual(['json', 'txt', 'md', 'csv', 'html']);
  });

  it('writes the chosen formats under a base name', () => {
    const files = writeReports(a, tmp, { formats: ['html', 'txt'], baseName: 'step1' });
    expect(files.map((f) => path.basename(f))).toEqual(['step1_individual_qnt_error_analysis.txt', 'step1.html']);
  });

  it('rejects misuse with messages naming the problem', () => {
    expect(() => writeReports({ schema: 'other/2', layers: [] } as unknown as Analysis, tmp)).toThrow('Expected an analysis object (schema "npuquant.analysis/1", from analyze()) for writeReports but received an object with schema "other/2"');
    expect(() => writeReports(a, tmp, { formats: ['pdf' as never] })).toThrow('Expected one of json, txt, md, csv, html in options.formats of writeReports but received the string "pdf"');
    expect(() => writeReports(a, tmp, { baseName: '../x' })).toThrow(RangeError);
    const file = path.join(tmp, 'plain-file');
    fs.writeFileSync(file, 'x');
    expect(() => writeReports(a, path.join(file, 'sub'))).toThrow(expect.objectContaining({ code: 'FILE_WRITE' }));
  });
});

describe('an analysis with nothing in it', () => {
  it('renders every format and says so instead of printing empty tables', () => {
    const empty = makeAnalysis({ layers: [], outputs: [], weights: [], outliers: [], suggestions: [] });
    expect(parseCsv(renderCsv(empty))).toEqual([[...CSV_COLUMNS]]);
    expect(parseTxtLayers(renderTxt(empty))).toEqual([]);
    const md = renderMd(empty);
    for (const s of ['No graph output was compared.', 'No constant weights.', 'No activation tensor was measured for outliers.', 'Nothing to suggest']) expect(md).toContain(s);
    const html = renderHtml(empty);
    expect(html).toContain('<svg id="chart-cosine"');
    expect(html).toContain('No layer crossed a threshold.');
    expect(html.replace(/<script>[^]*?<\/script>/g, '')).not.toMatch(/NaN|undefined|Infinity/);
  });
});
