/**
 * `npuquant bench` and `npuquant export`: bench --json is one JSON object with the contract keys, for
 * the float and the quantized model; symbolic dims need --shape; export rewrites a quantized folder
 * so that `run --quantized` gives the same outputs; bad arguments exit 1 with a one-line reason.
 * Runs dist/cli/main.js (build with `npx tsc` first). No timing is asserted.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readNpy } from '../../lib/data/npy';
import { Graph, Model, Node } from '../../lib/ir/graph';
import { saveModelSync } from '../../lib/io/onnx';

const ROOT = path.join(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const MODEL = path.join(ROOT, 'examples/digits/digits_cnn.onnx');
const SAMPLE = path.join(ROOT, 'examples/digits/digits_8.npy');
const DATA = path.join(ROOT, 'test/fixtures/digits/x.npy');

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

function expectOneLineError(r: ReturnType<typeof cli>, pattern: RegExp) {
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

const KEYS = ['median_ms', 'min_ms', 'mean_ms', 'iterations', 'batch', 'isa', 'threads', 'model'];

/** A model whose input has symbolic spatial dims: x [N, 3, H, W] -> Relu -> y. */
function symbolicModel(dir: string): string {
  const g = new Graph();
  g.inputs = [{ name: 'x', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }];
  g.outputs = [{ name: 'y', dtype: 'float32', shape: ['N', 3, 'H', 'W'] }];
  g.nodes = [new Node('relu', 'Relu', ['x'], ['y'])];
  const file = path.join(dir, 'symbolic.onnx');
  saveModelSync(new Model(g), file);
  return file;
}

let tmp: string;
let qdir: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-bench-'));
  qdir = path.join(tmp, 'q');
  const r = cli('quantize', MODEL, '--target', 'rk3588', '--data', DATA, '--limit', '64', '--out', qdir);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 120000);

describe('npuquant bench', () => {
  test('--json prints one JSON object with the contract keys (float model, random inputs)', () => {
    const r = cli('bench', MODEL, '--json', '--iterations', '3', '--warmup', '1', '--batch', '4', '--threads', '1');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.stdout);
    for (const k of KEYS) expect(j).toHaveProperty(k);
    expect(j).toMatchObject({ model: MODEL, quantized: null, iterations: 3, warmup: 1, batch: 4, threads: 1, inputs: { input: [4, 1, 20, 20] } });
    expect(typeof j.isa).toBe('string');
    expect(j.min_ms).toBeGreaterThan(0);
    expect(j.min_ms).toBeLessThanOrEqual(j.median_ms);
    expect(j.median_ms).toBeLessThanOrEqual(j.max_ms);
  });

  test('--json on the quantized model, with an --input file and the scalar tier', () => {
    const r = cli('bench', MODEL, '--quantized', qdir, '--input', `input=${SAMPLE}`, '--json', '--iterations', '2', '--max-isa', 'scalar');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const k of KEYS) expect(j).toHaveProperty(k);
    expect(j).toMatchObject({ quantized: qdir, target: 'rk3588', batch: 8, isa: 'scalar', inputs: { input: [8, 1, 20, 20] } });
  });

  test('without --json: one human line', () => {
    const r = cli('bench', MODEL, '--iterations', '2', '--warmup', '0');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^.*digits_cnn\.onnx: median [\d.]+ ms, min [\d.]+ ms, mean [\d.]+ ms over 2 runs, batch 1, /);
  });

  test('symbolic dims other than the batch need --shape', () => {
    const file = symbolicModel(tmp);
    expectOneLineError(cli('bench', file, '--json'),
      /input "x" has symbolic dims \[N,3,H,W\]; give its shape with --shape x=1,3,\?,\? \(every \? a number\)/);
    const r = cli('bench', file, '--json', '--shape', 'x=2,3,8,8', '--iterations', '2');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ batch: 2, inputs: { x: [2, 3, 8, 8] } });
  });

  test('bad arguments exit 1 with a one-line reason', () => {
    expectOneLineError(cli('bench', MODEL, '--iterations', '0'), /Expected an integer in \[1, inf\] for --iterations but received "0"/);
    expectOneLineError(cli('bench', MODEL, '--batch', 'two'), /for --batch but received "two"/);
    expectOneLineError(cli('bench', MODEL, '--shape', 'nope=1,1,20,20'), /"nope" \(--shape\) is not an input of the model; its inputs are "input"/);
    expectOneLineError(cli('bench', MODEL, '--shape', 'input=1,1,20'), /--shape input=1,1,20 has 3 dims but input "input" has rank 4/);
    expectOneLineError(cli('bench', MODEL, '--input', `input=${SAMPLE}`, '--batch', '2'), /has first dim 8, not --batch 2/);
    expectOneLineError(cli('bench', MODEL, '--max-isa', 'sse9'), /for --max-isa but received "sse9"/);
    expectOneLineError(cli('bench', MODEL, '--quantized', tmp), /quant_params\.json does not exist/);
  });
});

describe('npuquant export', () => {
  test('re-exporting qdq and quant-params gives the same files, and run --quantized the same outputs', () => {
    const before = path.join(tmp, 'out-before');
    const after = path.join(tmp, 'out-after');
    expect(cli('run', MODEL, '--quantized', qdir, '--input', `input=${SAMPLE}`, '--out', before).status).toBe(0);
    const params = fs.readFileSync(path.join(qdir, 'quant_params.json'));
    const qdq = fs.readFileSync(path.join(qdir, 'model.qdq.onnx'));
    fs.rmSync(path.join(qdir, 'model.qdq.onnx'));
    for (const format of ['quant-params', 'qdq']) {
      const r = cli('export', qdir, '--format', format);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${format} -> `));
    }
    expect(fs.readFileSync(path.join(qdir, 'quant_params.json')).equals(params)).toBe(true);
    expect(fs.readFileSync(path.join(qdir, 'model.qdq.onnx')).equals(qdq)).toBe(true);
    expect(cli('run', MODEL, '--quantized', qdir, '--input', `input=${SAMPLE}`, '--out', after).status).toBe(0);
    const a = readNpy(path.join(before, 'logits.npy')).data as Float32Array;
    const b = readNpy(path.join(after, 'logits.npy')).data as Float32Array;
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  test('--out: a file name, or a directory for the default name', () => {
    const file = path.join(tmp, 'params-copy.json');
    expect(cli('export', qdir, '--format', 'quant-params', '--out', file).status).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).target).toBe('rk3588');
    const dir = fs.mkdtempSync(path.join(tmp, 'dir-'));
    expect(cli('export', qdir, '--format', 'qdq', '--out', dir).status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'model.qdq.onnx'))).toBe(true);
  });

  test('bad arguments exit 1 with a one-line reason', () => {
    expectOneLineError(cli('export', qdir, '--format', 'rknn9'), /Expected one of qdq, quant-params, npuquant, rknn2, .* for --format but received "rknn9"/);
    expectOneLineError(cli('export', path.join(tmp, 'missing'), '--format', 'qdq'), /missing is not a directory/);
    expectOneLineError(cli('export', tmp, '--format', 'qdq'), /quant_params\.json does not exist/);
    expectOneLineError(cli('export', qdir, '--format', 'qdq', '--out', path.join(tmp, 'no/such/x.onnx')), /the directory of --out .* does not exist/);
  });

  test('--help on bench and export', () => {
    for (const sub of ['bench', 'export']) {
      const r = cli(sub, '--help');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: npuquant ${sub}`));
    }
  });
});
