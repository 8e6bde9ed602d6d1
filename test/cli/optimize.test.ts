/**
 * `npuquant optimize`: writes an optimized model that onnxruntime runs with the original's outputs,
 * prints each pass's changes, lists the passes, cuts models, and fails with a one-line reason naming
 * the closest pass for an unknown name. Runs dist/cli/main.js (build with `npx tsc` first).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { readNpy } from '../../lib/data/npy';
import { loadModel } from '../../lib/io/onnx';

const ROOT = path.join(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const MODEL = path.join(ROOT, 'examples/digits/digits_cnn.onnx');
const SAMPLE = path.join(ROOT, 'examples/digits/digits_8.npy');

function cli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

async function ortRun(file: string, x: { data: Float32Array; shape: number[] }): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'disabled' });
  try {
    const res = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) });
    return Object.fromEntries(Object.entries(res).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await s.release();
  }
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('npuquant optimize', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-optimize-'));
  const x = readNpy(SAMPLE);
  const input = { data: x.data as Float32Array, shape: x.shape.slice() };

  it('writes an optimized digits model that onnxruntime runs with equal outputs', async () => {
    const out = path.join(dir, 'digits_opt.onnx');
    const r = cli('optimize', MODEL, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^fold-batchnorm: 3 changes$/m);
    expect(r.stdout).toMatch(/^ {2}folded BatchNormalization "\/features\/features.1\/BatchNormalization" into Conv "\/features\/features.0\/Conv"$/m);
    expect(r.stdout).toMatch(/wrote .*digits_opt\.onnx: 15 -> 12 nodes/);
    const m = await loadModel(out);
    expect(m.graph.nodes.some((n) => n.opType === 'BatchNormalization')).toBe(false);
    const [want, got] = [await ortRun(MODEL, input), await ortRun(out, input)];
    expect(Object.keys(got)).toEqual(['logits']);
    expect(maxAbs(want.logits, got.logits)).toBeLessThan(1e-4);
  });

  it('leaves an exported HardSwish below opset 14 alone unless given --raise-opset', async () => {
    const mbv2 = path.join(ROOT, 'test/fixtures/models/digits_mobilenetv2.onnx');
    const kept = path.join(dir, 'mbv2_kept.onnx'), raised = path.join(dir, 'mbv2_14.onnx');
    const a = cli('optimize', mbv2, '--out', kept, '--passes', 'fuse-hardswish');
    expect(a.status).toBe(0);
    expect(a.stdout).toMatch(/^ {2}left 6 HardSwish pattern\(s\) alone: HardSwish needs opset 14 and the model has opset 13 \(quantize\(\) raises it\)$/m);
    expect((await loadModel(kept)).graph.opset).toBe(13);
    const b = cli('optimize', mbv2, '--out', raised, '--passes', 'fuse-hardswish', '--raise-opset');
    expect(b.stderr).toBe('');
    expect(b.status).toBe(0);
    expect(b.stdout).toMatch(/^fuse-hardswish: 6 changes$/m);
    expect(b.stdout).toMatch(/^ {2}raised the opset from 13 to 14 for HardSwish$/m);
    const m = await loadModel(raised);
    expect(m.graph.opset).toBe(14);
    expect(m.irVersion).toBeGreaterThanOrEqual(7);
    expect(m.graph.nodes.filter((n) => n.opType === 'HardSwish').length).toBe(6);
    const x32 = readNpy(path.join(ROOT, 'test/fixtures/digits/x32.npy'));
    const two = { data: (x32.data as Float32Array).slice(0, 2 * 32 * 32), shape: [2, 1, 32, 32] };
    const [want, got] = [await ortRun(mbv2, two), await ortRun(raised, two)];
    expect(maxAbs(want.logits, got.logits)).toBeLessThan(1e-4);
  });

  it('runs only the named passes, and cuts with --truncate', async () => {
    const out = path.join(dir, 'digits_cut.onnx');
    const at = '/features/features.6/Relu_output_0';
    const r = cli('optimize', MODEL, '--out', out, '--passes', 'dead-code', '--truncate', at);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`truncated at "${at}" (now a graph output)`);
    expect(r.stdout).not.toMatch(/fold-batchnorm/);
    const got = await ortRun(out, input);
    expect(Object.keys(got)).toEqual([at]);
    expect(got[at].length).toBe(8 * 32 * 10 * 10);
  });

  it('extracts a subgraph with --extract-inputs / --extract-outputs', async () => {
    const out = path.join(dir, 'digits_head.onnx');
    const r = cli('optimize', MODEL, '--out', out, '--extract-inputs', '/classifier/classifier.0/Flatten_output_0', '--extract-outputs', 'logits');
    expect(r.status).toBe(0);
    const m = await loadModel(out);
    expect(m.graph.inputs).toEqual([{ name: '/classifier/classifier.0/Flatten_output_0', dtype: 'float32', shape: ['N', 1600] }]);
    expect(m.graph.nodes.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'Gemm']);
    const got = await ortRun(out, { data: new Float32Array(2 * 1600).fill(0.5), shape: [2, 1600] });
    expect(got.logits.length).toBe(20);
  });

  it('fails with a one-line reason naming the closest pass or tensor', () => {
    const r = cli('optimize', MODEL, '--out', path.join(dir, 'x.onnx'), '--passes', 'constant-fold,fold-batchnrm');
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/unknown pass "fold-batchnrm"; did you mean "fold-batchnorm"\?/);
    expect(fs.existsSync(path.join(dir, 'x.onnx'))).toBe(false);
    const t = cli('optimize', MODEL, '--out', path.join(dir, 'y.onnx'), '--truncate', 'logit');
    expect(t.status).not.toBe(0);
    expect(t.stderr).toMatch(/"logit" .* the closest names are "logits"/);
    expect(cli('optimize', MODEL).stderr).toMatch(/missing --out/);
  });

  it('lists the passes and has --help', () => {
    const r = cli('optimize', '--list');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\* fold-batchnorm +fold BatchNormalization/m);
    expect(r.stdout).toMatch(/^ {2}conv-stride-to-slice /m);
    const h = cli('optimize', '--help');
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/Usage: npuquant optimize/);
  });
});
