/**
 * analysis.html in a real browser: headless Chromium loads the page from file://, runs its scripts,
 * and dumps the DOM (--dump-dom). The page records any script error or blocked resource on
 * <html data-npuq-error> and sets <body data-npuq-report="ready"> when its script has run; extra
 * scripts appended by the tests click headers and write what they see into attributes.
 *
 * Without Chromium the tests are skipped with a message, except under CI=true where they fail.
 * NPUQ_CHROMIUM names the browser binary (default: chromium, chromium-browser or google-chrome on PATH).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { renderHtml } from '../../lib/report';
import { makeAnalysis, NASTY } from './fixture';

function findChromium(): string | undefined {
  const candidates = process.env.NPUQ_CHROMIUM ? [process.env.NPUQ_CHROMIUM] : ['chromium', 'chromium-browser', 'google-chrome'];
  for (const c of candidates) {
    const r = spawnSync('sh', ['-c', `command -v "${c}"`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

const CHROMIUM = findChromium();
let tmpDir: string | undefined;
const tmp = () => (tmpDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-html-')));
afterAll(() => { if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true }); });

let pages = 0;
/** Writes the page (with `extra` script appended before </body>) and returns Chromium's DOM dump. */
function dumpDom(html: string, extra?: string): string {
  const file = path.join(tmp(), `page-${++pages}`, 'analysis.html');
  fs.mkdirSync(path.dirname(file));
  fs.writeFileSync(file, extra ? html.replace('</body>', `<script>${extra}</script></body>`) : html);
  const r = spawnSync(CHROMIUM as string, [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
    `--user-data-dir=${path.join(tmp(), `profile-${pages}`)}`, '--dump-dom', pathToFileURL(file).href,
  ], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  if (r.status !== 0 || !r.stdout.includes('</html>')) {
    throw new Error(`chromium exited with ${r.status}; stderr:\n${r.stderr.slice(-2000)}`);
  }
  return r.stdout;
}

/** The value of attribute `name` on the first element matching the start tag pattern. */
function attr(dom: string, tag: RegExp, name: string): string | undefined {
  const m = tag.exec(dom);
  if (!m) return undefined;
  const a = new RegExp(`\\s${name}="([^"]*)"`).exec(m[0]);
  if (!a) return undefined;
  const ent: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&nbsp;': '\u00a0', '&amp;': '&' };
  return a[1].replace(/&(lt|gt|quot|#39|nbsp|amp);/g, (e) => ent[e]);
}

function svg(dom: string, id: string): string {
  const start = dom.indexOf(`<svg id="${id}"`);
  if (start < 0) throw new Error(`no <svg id="${id}"> in the DOM`);
  return dom.slice(start, dom.indexOf('</svg>', start));
}

const analysis = makeAnalysis();
const html = renderHtml(analysis);

if (!CHROMIUM) {
  if (process.env.CI === 'true') {
    it('needs Chromium under CI', () => {
      throw new Error('chromium is not installed, and CI=true requires the browser test: apt-get install chromium (or set NPUQ_CHROMIUM)');
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn('test/report/html-chromium.test.ts: chromium not found (apt-get install chromium, or set NPUQ_CHROMIUM); skipping the browser tests');
    it.skip('analysis.html in headless Chromium (no chromium on this machine)', () => undefined);
  }
} else {
  describe('analysis.html in headless Chromium', () => {
    it('runs its script without errors and renders both charts with a point per layer', () => {
      const dom = dumpDom(html);
      expect(attr(dom, /<body[^>]*>/, 'data-npuq-report')).toBe('ready');
      expect(attr(dom, /<html[^>]*>/, 'data-npuq-error')).toBeUndefined();
      expect(dom).toMatch(/<div id="npuq-errors" hidden="">/);
      for (const id of ['chart-cosine', 'chart-sqnr']) {
        const s = svg(dom, id);
        const series = (k: string) => {
          const at = s.indexOf(`data-series="${k}"`);
          return s.slice(at, s.indexOf('</g>', at));
        };
        expect(series('cumulative').match(/data-layer="\d+"/g)).toHaveLength(analysis.layers.length);
        expect(series('individual').match(/data-layer="\d+"/g)).toHaveLength(analysis.layers.filter((l) => l.individual).length);
      }
      expect(svg(dom, 'chart-hist-2').match(/<rect class="bar quant"/g)).toHaveLength(33);
      // The layer named like a script did not run: the title is the page's own.
      expect(dom).toMatch(/<title>npuquant analysis: tiny &lt;cls&gt;&amp;"net".onnx on rk3588<\/title>/);
      expect(dom).not.toMatch(/<script>document\.title="pwned"/);
    });

    it('sorts the layers table by a clicked header', () => {
      const probe = `
        var t = document.getElementById('layers-table');
        var th = Array.prototype.find.call(t.tHead.rows[0].cells, function (c) { return c.textContent === 'Ind. noise:signal'; });
        var first = function () { return t.tBodies[0].rows[0].cells[2].textContent; };
        var last = function () { var r = t.tBodies[0].rows; return r[r.length - 1].cells[2].textContent; };
        th.click();
        document.body.setAttribute('data-asc', first() + ' / ' + last());
        th.click();
        document.body.setAttribute('data-desc', first() + ' / ' + last() + ' / ' + th.getAttribute('aria-sort'));`;
      const dom = dumpDom(html, probe);
      expect(attr(dom, /<html[^>]*>/, 'data-npuq-error')).toBeUndefined();
      // Ascending: the zero-noise layers first; the float layer (no value) stays last either way.
      expect(attr(dom, /<body[^>]*>/, 'data-asc')).toBe(`${NASTY.sig} / multi\\x0aline`);
      expect(attr(dom, /<body[^>]*>/, 'data-desc')).toBe("block1|dw 'conv' / multi\\x0aline / descending");
    });

    it('reports a script error or a blocked external resource (the checks above can fail)', () => {
      const dom = dumpDom(html, "throw new Error('boom from the test');");
      expect(attr(dom, /<html[^>]*>/, 'data-npuq-error')).toContain('boom from the test');
      expect(dom).toMatch(/<div id="npuq-errors">Errors on this page: [^<]*boom from the test/);
      const net = dumpDom(html.replace('</body>', '<img src="https://example.invalid/x.png"></body>'));
      expect(attr(net, /<html[^>]*>/, 'data-npuq-error')).toMatch(/blocked img-src|x\.png/);
      const noScript = dumpDom(html.replace(/<script>\(function \(\) \{\n {2}function key[^]*?<\/script>/, ''));
      expect(attr(noScript, /<body[^>]*>/, 'data-npuq-report')).toBe('loading');
    });
  });
}
