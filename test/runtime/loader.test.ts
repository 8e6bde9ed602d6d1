/**
 * The addon loader (lib/native.ts) in a throw-away package root: the newer binary goes first, the
 * other is the fallback, NPUQ_ADDON is tried alone, and a failure names every binary it tried.
 * Each case runs in a child process, since a process loads the addon once.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '../..');
const BUILT = path.join(ROOT, 'build', 'Release', 'npuquant.node');
const platformArch = `${process.platform}-${process.arch}`;

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
  file?: string;
}

/** Lays out dist/ (compiled loader), build/Release and prebuilds/ as asked; returns the root. */
function packageWith(opts: { local?: 'good' | 'broken'; prebuilt?: 'good' | 'broken'; localNewer: boolean }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-loader-'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"npuquant-loader-test"}');
  fs.mkdirSync(path.join(dir, 'dist'));
  for (const f of ['native.js', 'errors.js']) fs.copyFileSync(path.join(ROOT, 'dist', f), path.join(dir, 'dist', f));
  const place = (file: string, kind: 'good' | 'broken' | undefined, time: number) => {
    if (!kind) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (kind === 'good') fs.copyFileSync(BUILT, file);
    else fs.writeFileSync(file, 'not an ELF file');
    fs.utimesSync(file, time, time);
  };
  const now = Date.now() / 1000;
  place(path.join(dir, 'build', 'Release', 'npuquant.node'), opts.local, opts.localNewer ? now : now - 100);
  place(path.join(dir, 'prebuilds', platformArch, 'npuquant.node'), opts.prebuilt, opts.localNewer ? now - 100 : now);
  return dir;
}

function load(dir: string, env: Record<string, string> = {}): Outcome {
  const script = `
    const { native } = require(${JSON.stringify(path.join(dir, 'dist', 'native.js'))});
    try {
      const addon = native();
      const file = Object.keys(require.cache).find((k) => k.endsWith('.node'));
      console.log(JSON.stringify({ ok: Object.keys(addon).length > 0, file }));
    } catch (e) {
      console.log(JSON.stringify({ ok: false, code: e.code, message: e.message }));
    }`;
  const out = execFileSync(process.execPath, ['-e', script], {
    env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), NPUQ_ADDON: '', ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as Outcome;
}

describe('addon loader', () => {
  const dirs: string[] = [];
  const make = (opts: Parameters<typeof packageWith>[0]) => {
    const d = packageWith(opts);
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('falls back to the prebuilt binary when a newer local build does not load', () => {
    const dir = make({ local: 'broken', prebuilt: 'good', localNewer: true });
    const r = load(dir);
    expect(r.ok).toBe(true);
    expect(r.file).toBe(path.join(dir, 'prebuilds', platformArch, 'npuquant.node'));
  });

  it('falls back to the local build when a newer prebuilt binary does not load', () => {
    const dir = make({ local: 'good', prebuilt: 'broken', localNewer: false });
    const r = load(dir);
    expect(r.ok).toBe(true);
    expect(r.file).toBe(path.join(dir, 'build', 'Release', 'npuquant.node'));
  });

  it('prefers the newer of two working binaries', () => {
    const dir = make({ local: 'good', prebuilt: 'good', localNewer: true });
    expect(load(dir).file).toBe(path.join(dir, 'build', 'Release', 'npuquant.node'));
  });

  it('names every binary it tried when none loads', () => {
    const dir = make({ local: 'broken', prebuilt: 'broken', localNewer: true });
    const r = load(dir);
    expect(r.ok).toBe(false);
    expect(r.code).toBe('NATIVE_LOAD');
    expect(r.message).toContain(platformArch);
    expect(r.message).toContain(path.join('prebuilds', platformArch, 'npuquant.node'));
    expect(r.message).toContain('npm rebuild npuquant');
  });

  it('loads only the binary NPUQ_ADDON names, and says so when it cannot', () => {
    const dir = make({ local: 'good', prebuilt: 'good', localNewer: true });
    const good = load(dir, { NPUQ_ADDON: BUILT });
    expect(good.file).toBe(BUILT);
    const bad = load(dir, { NPUQ_ADDON: path.join(dir, 'missing.node') });
    expect(bad.code).toBe('NATIVE_LOAD');
    expect(bad.message).toContain('NPUQ_ADDON=');
  });
});
