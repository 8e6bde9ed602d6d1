/** `npuquant compare A.npy B.npy`: runs dist/cli/main.js (build with `npx tsc` first). */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeNpy } from '../../lib/data/npy';
import { Tensor } from '../../lib/ir/tensor';

const CLI = path.join(__dirname, '../../dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-compare-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, 'compare', ...args], { encoding: 'utf8' });
}

function npy(name: string, shape: number[], values: ArrayLike<number>, dtype: 'float32' | 'int8' = 'float32'): string {
  const file = path.join(tmp, name);
  writeNpy(file, Tensor.fromNumbers(dtype, shape, values));
  return file;
}

const ref = Array.from({ length: 24 }, (_, i) => Math.sin(i) * 3);
const A = npy('ref.npy', [2, 3, 4], ref);
const CLOSE = npy('close.npy', [2, 3, 4], ref.map((v) => v + 5e-5));
const FAR = npy('far.npy', [2, 3, 4], ref.map((v, i) => (i === 5 || i === 17 || i === 23 ? v + 0.05 : v)));

describe('npuquant compare', () => {
  it('exits 0 and prints the figures when every element is within tolerance', () => {
    const r = cli(CLOSE, A);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^cosine\s+(0\.99999\d+|1\.00000000)$/m);
    expect(r.stdout).toMatch(/^max abs error\s+0\.0000500\d*\s+at \[\d+, \d+, \d+\]$/m);
    expect(r.stdout).toMatch(/^max rel error\s+\S+/m);
    expect(r.stdout).toMatch(/^mean abs error\s+0\.0000500\d*$/m);
    expect(r.stdout).toMatch(/^failing\s+0 of 24 \(0\.0000%\) with \|a - b\| <= atol \+ rtol \* \|b\|, atol 0\.0001, rtol 0\.001$/m);
    expect(r.stdout).toMatch(/^PASS/m);
  });

  it('exits 2 and lists the failing indices when some elements fail', () => {
    const r = cli(FAR, A, '--show', '2');
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/^failing\s+3 of 24 \(12\.5000%\)/m);
    expect(r.stdout).toMatch(/^first failing \(2 of 3\):\n {2}\[0, 1, 1\]\s+a=.*\n {2}\[1, 1, 1\]\s+a=/m);
    expect(r.stdout).toMatch(/^FAIL: 3 elements out of tolerance$/m);
    // Looser tolerances pass.
    expect(cli(FAR, A, '--atol', '0.06').status).toBe(0);
    expect(cli(FAR, A, '--atol', '0', '--rtol', '0').status).toBe(2);
  });

  it('prints one JSON object with --json', () => {
    const r = cli(FAR, A, '--json');
    expect(r.status).toBe(2);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ shape: [2, 3, 4], size: 24, failing: 3, allClose: false, atol: 1e-4, rtol: 1e-3, dtypes: ['float32', 'float32'] });
    expect(j.firstFailing.map((f: { index: number[] }) => f.index)).toEqual([[0, 1, 1], [1, 1, 1], [1, 2, 3]]);
  });

  it('exits 1 with a one-line reason naming both shapes when they differ', () => {
    const other = npy('flat.npy', [24], ref);
    const r = cli(other, A);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`[SHAPE_MISMATCH] "${other}" has shape [24] but "${A}" has shape [2,3,4]`);
    expect(r.stderr).toContain('same number of elements');
    const small = npy('small.npy', [2, 3], ref.slice(0, 6));
    expect(cli(small, A).stderr).toMatch(/has shape \[2,3\] but .* has shape \[2,3,4\]; compare needs equal shapes\n$/);
  });

  it('exits 1 on a missing file or a bad tolerance, and compares integer arrays', () => {
    const missing = cli(path.join(tmp, 'nope.npy'), A);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/FILE_NOT_FOUND.*nope\.npy/);
    const bad = cli(A, A, '--atol', '-1');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('Expected a finite number >= 0 for --atol but received "-1"');
    const q = npy('q.npy', [4], [1, 2, 3, 4], 'int8');
    const f = npy('f.npy', [4], [1, 2, 3, 4.0001]);
    expect(cli(q, f).status).toBe(0);
  });

  it('explains the rule, the defaults and the exit codes in --help', () => {
    const r = cli('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: npuquant compare');
    expect(r.stdout).toContain('|a - b| <= atol + rtol * |b| (the numpy.allclose rule');
    expect(r.stdout).toContain('(default: "0.0001")');
    expect(r.stdout).toContain('(default: "0.001")');
    expect(r.stdout).toContain("Pulsar2 guide's");
    expect(r.stdout).toContain('Exit code: 0 when every element passes, 2 when some fail, 1 on error');
  });
});
