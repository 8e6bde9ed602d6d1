/**
 * quantize({ optimize }): the float graph is optimized by the "optimize" pass pipeline before
 * calibration and planning (default), by a chosen list of passes, or only BatchNorm-folded ('none');
 * saved folders, hybrid configs and the CLI agree on the graph that was planned on.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { step1, step2 } from '../../lib/hybrid/steps';
import { Graph, Model, Node } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { saveModel } from '../../lib/io/onnx';
import { DEFAULT_PIPELINE } from '../../lib/passes/pipeline';
import { loadQuantized, optimizedForQuantization, optimizePasses, quantize, saveQuantized } from '../../lib/quantize/quantize';
import { parseOptimize } from '../../lib/cli/sample-options';
import { cosine } from '../models/helpers';

let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const floats = (n: number, k = 1) => Float32Array.from({ length: n }, () => rnd() * k);

/**
 * x -> Conv(3x3, pad 1) -> Mul(per-channel) -> Add(per-channel) -> Relu -> Div(by 4) -> Conv(1x1)
 * -> Flatten -> y. The default pipeline folds the Mul/Add into the first Conv and turns the Div into
 * a Mul that folds into the second Conv: 5 nodes instead of 8.
 */
function affineModel(): Model {
  const g = new Graph();
  g.opsets = new Map([['', 13]]);
  g.inputs = [{ name: 'x', dtype: 'float32', shape: ['N', 2, 6, 6] }];
  g.outputs = [{ name: 'y', dtype: 'float32', shape: ['N', 72] }];
  const init: [string, Tensor][] = [
    ['w1', new Tensor('float32', [4, 2, 3, 3], floats(72, 0.5))], ['b1', new Tensor('float32', [4], floats(4, 0.1))],
    ['m', new Tensor('float32', [1, 4, 1, 1], Float32Array.of(0.5, 2, 1.5, 0.75))],
    ['a', new Tensor('float32', [1, 4, 1, 1], Float32Array.of(0.1, -0.2, 0.3, 0))],
    ['four', new Tensor('float32', [], Float32Array.of(4))],
    ['w2', new Tensor('float32', [2, 4, 1, 1], floats(8, 0.8))], ['b2', new Tensor('float32', [2], floats(2, 0.1))],
  ];
  for (const [k, v] of init) g.initializers.set(k, v);
  const conv1 = new Node('conv1', 'Conv', ['x', 'w1', 'b1'], ['c1']);
  conv1.attrs.set('pads', { kind: 'ints', value: [1, 1, 1, 1] });
  g.nodes = [
    conv1, new Node('scale', 'Mul', ['c1', 'm'], ['s1']), new Node('shift', 'Add', ['s1', 'a'], ['a1']),
    new Node('relu', 'Relu', ['a1'], ['r1']), new Node('quarter', 'Div', ['r1', 'four'], ['d1']),
    new Node('conv2', 'Conv', ['d1', 'w2', 'b2'], ['c2']), new Node('flat', 'Flatten', ['c2'], ['y']),
  ];
  g.sortTopologically();
  const m = new Model(g);
  m.irVersion = 8;
  return m;
}

const data = [{ x: new Tensor('float32', [16, 2, 6, 6], floats(16 * 72, 2)) }];
const ops = (m: { graph: Graph }) => m.graph.nodes.map((n) => n.opType);

describe('quantize({ optimize })', () => {
  test('default: the "optimize" pipeline runs before planning; none: only BatchNorm folding', async () => {
    const float = affineModel();
    const opt = await quantize(float, { target: 'rk3588', data });
    const raw = await quantize(float, { target: 'rk3588', data, optimize: 'none' });
    try {
      expect(ops(opt)).toEqual(['Conv', 'Relu', 'Conv', 'Flatten']);
      expect(ops(raw)).toEqual(['Conv', 'Mul', 'Add', 'Relu', 'Div', 'Conv', 'Flatten']);
      expect(opt.optimize).toEqual([...DEFAULT_PIPELINE]);
      expect(raw.optimize).toEqual([]);
      expect(opt.quantParams().optimize).toEqual([...DEFAULT_PIPELINE]);
      // Fewer requantization points: the optimized plan is at least as close to the float model.
      const want = (await opt.runFloat({ x: data[0].x })).y.data as Float32Array;
      const a = cosine((await opt.run({ x: data[0].x })).y.data as Float32Array, want);
      const b = cosine((await raw.run({ x: data[0].x })).y.data as Float32Array, want);
      expect(a).toBeGreaterThan(0.999);
      expect(a).toBeGreaterThanOrEqual(b - 1e-4);
      // The input graph is not touched.
      expect(ops(float)).toHaveLength(7);
    } finally {
      await opt.dispose();
      await raw.dispose();
    }
  }, 30000);

  test('a list of passes runs those passes only; bad settings fail before any work', async () => {
    const m = optimizedForQuantization(affineModel(), ['div-to-mul']);
    expect(ops(m)).toEqual(['Conv', 'Mul', 'Add', 'Relu', 'Mul', 'Conv', 'Flatten']);
    expect(optimizePasses('none')).toEqual([]);
    expect(() => optimizePasses(['div-to-mull'])).toThrow(/unknown pass "div-to-mull"; did you mean "div-to-mul"/);
    await expect(quantize(affineModel(), { target: 'rk3588', data, optimize: ['fold-batchnorn'] })).rejects.toThrow(/did you mean "fold-batchnorm"/);
    await expect(quantize(affineModel(), { target: 'rk3588', data, optimize: 'all' as never })).rejects.toThrow(TypeError);
    await expect(quantize(affineModel(), { target: 'rk3588', data, optimize: 'all' as never })).rejects.toThrow(/Expected 'default', 'none' or an array of pass names for options.optimize but received "all"/);
  });

  test('saveQuantized / loadQuantized: the folder holds the optimized graph and its passes; the replay is identical', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-opt-'));
    const qm = await quantize(affineModel(), { target: 'rk3588', data });
    try {
      await saveQuantized(qm, dir);
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'quant_params.json'), 'utf8'));
      expect(json.optimize).toEqual([...DEFAULT_PIPELINE]);
      const back = await loadQuantized(dir);
      try {
        expect(back.optimize).toEqual([...DEFAULT_PIPELINE]);
        expect(back.graph.nodes.map((n) => n.name)).toEqual(qm.graph.nodes.map((n) => n.name));
        const a = (await qm.run({ x: data[0].x }, { integer: true })).y.data as Int8Array;
        const b = (await back.run({ x: data[0].x }, { integer: true })).y.data as Int8Array;
        expect(Array.from(b)).toEqual(Array.from(a));
      } finally {
        await back.dispose();
      }
    } finally {
      await qm.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30000);

  test('hybrid: step 1 records the optimize setting in the config and step 2 plans on the same graph', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-opt-h-'));
    try {
      for (const optimize of ['default', 'none'] as const) {
        const s1 = await step1(affineModel(), { target: 'rk3588', data, optimize, suggest: { top: 1 }, out: dir, name: optimize });
        await s1.quantized.dispose();
        const file = path.join(dir, `${optimize}.quantization.yaml`);
        expect(fs.readFileSync(file, 'utf8')).toMatch(new RegExp(`^ {2}optimize: ${optimize}$`, 'm'));
        expect(s1.config.calibration?.optimize).toBe(optimize);
        const layer = Object.keys(s1.config.layers)[0];
        expect(s1.quantized.graph.nodes.some((n) => n.name === layer)).toBe(true);
        // Step 2 without an optimize option takes the config's: its layer names resolve.
        const s2 = await step2(affineModel(), file, { data, skipAnalysis: true });
        expect(ops(s2.quantized)).toEqual(ops(s1.quantized));
        expect(s2.quantized.plan.nodes.get(layer)!.precision).toBe(s1.config.layers[layer]);
        await s2.quantized.dispose();
      }
      // Raising a layer that only the unoptimized graph has fails on the optimized graph, naming the choices.
      const none = path.join(dir, 'none.quantization.yaml');
      const doc = YAML.parse(fs.readFileSync(none, 'utf8'));
      doc.custom_quantize_layers = { shift: 'int16' };
      fs.writeFileSync(none, YAML.stringify(doc));
      await expect(step2(affineModel(), none, { data, skipAnalysis: true, optimize: 'default' })).rejects.toThrow(/shift/);
      const s2 = await step2(affineModel(), none, { data, skipAnalysis: true });
      expect(s2.quantized.plan.nodes.get('shift')!.precision).toBe('int16');
      await s2.quantized.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);

  test('CLI: --optimize default|none|a,b,c', async () => {
    expect(parseOptimize(undefined)).toBeUndefined();
    expect(parseOptimize('none')).toBe('none');
    expect(parseOptimize(' div-to-mul, constant-fold ')).toEqual(['div-to-mul', 'constant-fold']);
    expect(() => parseOptimize(',')).toThrow(/Expected default, none or comma-separated pass names for --optimize but received ","/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-opt-cli-'));
    try {
      const file = path.join(dir, 'affine.onnx');
      await saveModel(affineModel(), file);
      const npy = path.join(dir, 'x.npy');
      const { writeNpy } = await import('../../lib/data/npy');
      writeNpy(npy, data[0].x);
      const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(__dirname, '../../dist/cli/main.js'), ...args], { encoding: 'utf8' });
      const bad = cli('quantize', file, '--target', 'rk3588', '--data', npy, '--out', path.join(dir, 'q0'), '--optimize', 'div-to-mull');
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/did you mean "div-to-mul"/);
      for (const [flag, count] of [['none', 7], ['default', 4]] as const) {
        const out = path.join(dir, `q-${flag}`);
        const r = cli('quantize', file, '--target', 'rk3588', '--data', npy, '--out', out, '--optimize', flag);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(Object.keys(JSON.parse(fs.readFileSync(path.join(out, 'quant_params.json'), 'utf8')).nodes)).toHaveLength(count);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});
