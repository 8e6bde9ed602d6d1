import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readNpy } from '../../lib/data/npy';

const ROOT = path.join(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const MODEL = path.join(ROOT, 'examples/digits/digits_cnn.onnx');
const SAMPLE = path.join(ROOT, 'examples/digits/digits_8.npy');

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

describe('npuquant CLI', () => {
  it('inspect prints inputs, outputs and operators', () => {
    const r = cli('inspect', MODEL, '--input-shape', 'input=4,1,20,20');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/input\s+float32 \[N,1,20,20\]/);
    expect(r.stdout).toMatch(/logits\s+float32 \[4,10\]/);
    expect(r.stdout).toMatch(/Conv\s+3/);
    expect(r.stdout).toMatch(/all operators are supported/);
    const j = JSON.parse(cli('inspect', MODEL, '--json').stdout);
    expect(j.ops.BatchNormalization).toBe(3);
  });

  it('run writes each output as a float32 .npy', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-run-'));
    const r = cli('run', MODEL, '--input', `input=${SAMPLE}`, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const y = readNpy(path.join(out, 'logits.npy'));
    expect(y.dtype).toBe('float32');
    expect(y.shape).toEqual([8, 10]);
  });

  it('fails with a one-line reason and a non-zero code', () => {
    const r1 = cli('run', MODEL, '--input', `nope=${SAMPLE}`, '--out', os.tmpdir());
    expect(r1.status).not.toBe(0);
    expect(r1.stderr.trim().split('\n')).toHaveLength(1);
    expect(r1.stderr).toMatch(/"nope" is not an input/);
    const r2 = cli('inspect', path.join(ROOT, 'README.md'));
    expect(r2.status).not.toBe(0);
    expect(r2.stderr).toMatch(/INVALID_MODEL/);
    const r3 = cli('run', MODEL, '--input', 'input=/does/not/exist.npy', '--out', os.tmpdir());
    expect(r3.stderr).toMatch(/exist\.npy/);
  });

  it('has --help on every subcommand', () => {
    for (const sub of ['inspect', 'run']) {
      const r = cli(sub, '--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Usage: npuquant/);
    }
  });
});
