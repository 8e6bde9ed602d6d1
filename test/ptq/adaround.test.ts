/**
 * AdaRound with 4-bit weights on digits_cnn (per-tensor and per-channel, onnxruntime profile): top-1
 * on the 500-image dev split (calibration: the first 200; AdaRound: the first 128) and output cosine
 * against the float model, round-to-nearest vs learned rounding. Then low-bit weights and the learned
 * integers through saveQuantized / loadQuantized and the CLI.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadQuantized, quantize, saveQuantized } from '../../lib/quantize/quantize';
import { dataPath, floatLogits, input, modelPath, row, score, top1, type Scores } from './helpers';

const NAME = 'digits_cnn';
const CALIBRATION = 200;

async function compare(perChannel: boolean): Promise<void> {
  const x = input(NAME);
  const ref = await floatLogits(modelPath(NAME), x);
  const run = async (extra: object): Promise<[Scores, number, string[]]> => {
    const details: string[] = [];
    const t0 = Date.now();
    const qm = await quantize(modelPath(NAME), {
      target: 'onnxruntime', data: dataPath(NAME), limit: CALIBRATION, perChannel, weightBits: 4, ...extra,
      onPtqStep: (_s, d) => details.push(...d),
    });
    const ms = Date.now() - t0;
    const s = await score(qm, x, ref, CALIBRATION);
    await qm.dispose();
    return [s, ms, details];
  };
  const [rtn, t0] = await run({});
  const [ada, t1, layers] = await run({ adaRound: { iterations: 300, samples: 128, timeLimitMs: 600000 } });
  process.stdout.write(`AdaRound, ${NAME} 4-bit ${perChannel ? 'per-channel' : 'per-tensor'} weights, uint8 activations, 500 dev images ` +
    `(float top-1 ${top1(ref).toFixed(3)}):\n  ${row('round to nearest', rtn, t0)}\n  ${row('AdaRound (300 steps, 128 samples)', ada, t1)}\n` +
    `  ${layers.join('\n  ')}\n`);
  expect(layers).toHaveLength(5);
  expect(layers.every((l) => / 300 steps /.test(l))).toBe(true);
  expect(ada.cosine).toBeGreaterThan(rtn.cosine + 0.003);
  expect(ada.top1).toBeGreaterThan(rtn.top1);
  expect(ada.heldOut).toBeGreaterThanOrEqual(rtn.heldOut);
}

describe('AdaRound, 4-bit weights', () => {
  test(`${NAME} per-tensor: better than round-to-nearest`, () => compare(false), 300000);
  test(`${NAME} per-channel: better than round-to-nearest`, () => compare(true), 300000);
});

describe('low-bit weights and learned integers are kept when saved', () => {
  test('weightBits 4: integers within [-7, 7]; saveQuantized/loadQuantized keeps AdaRound and bias-corrected integers', async () => {
    const qm = await quantize(modelPath(NAME), {
      target: 'onnxruntime', data: dataPath(NAME), limit: 64, weightBits: 4, cle: true, biasCorrection: 'analytic',
      adaRound: { iterations: 30, samples: 32 },
    });
    for (const nq of qm.plan.nodes.values()) {
      if (!nq.weight) continue;
      expect([nq.weight.quant.qmin, nq.weight.quant.qmax]).toEqual([-7, 7]);
      expect(nq.weight.values.every((v) => v >= -7 && v <= 7)).toBe(true);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-ptq-'));
    await saveQuantized(qm, dir);
    const back = await loadQuantized(dir);
    for (const [name, nq] of qm.plan.nodes) {
      const b = back.plan.nodes.get(name)!;
      expect(b.weight?.values).toEqual(nq.weight?.values);
      expect(b.bias?.values).toEqual(nq.bias?.values);
      expect(b.weight?.quant.scale).toEqual(nq.weight?.quant.scale);
    }
    const x = input(NAME);
    const a = (await qm.run({ input: x }, { integer: true })).logits.data;
    const c = (await back.run({ input: x }, { integer: true })).logits.data;
    expect(Array.from(c as Uint8Array)).toEqual(Array.from(a as Uint8Array));
    await qm.dispose();
    await back.dispose();
  }, 120000);
});

describe('npuquant quantize PTQ flags', () => {
  const CLI = path.resolve(__dirname, '../../dist/cli/main.js');
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

  test('--cle --smooth-quant --bias-correction --adaround --weight-bits run and report each step', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'npuq-ptq-cli-'));
    const r = cli('quantize', modelPath(NAME), '--target', 'onnxruntime', '--data', dataPath(NAME), '--limit', '64', '--out', out,
      '--cle', '--smooth-quant', '0.5', '--bias-correction', 'empirical', '--adaround', '20', '--weight-bits', '4');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    for (const step of ['cle', 'smoothQuant', 'adaRound', 'biasCorrection']) expect(r.stdout).toMatch(new RegExp(`^${step}:$`, 'm'));
    expect(r.stdout).toMatch(/20 steps on \d+ rows/);
    const params = JSON.parse(fs.readFileSync(path.join(out, 'quant_params.json'), 'utf8'));
    expect(Object.values(params.tensors).filter((t) => (t as { role: string }).role === 'weight').map((t) => (t as { qmax: number }).qmax)).toEqual([7, 7, 7, 7, 7]);
  }, 120000);

  test('a bad value exits non-zero with a one-line reason', () => {
    const r = cli('quantize', modelPath(NAME), '--target', 'onnxruntime', '--data', dataPath(NAME), '--out', os.tmpdir(), '--bias-correction', 'exact');
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/Expected analytic or empirical for --bias-correction but received "exact"/);
    const w = cli('quantize', modelPath(NAME), '--target', 'onnxruntime', '--data', dataPath(NAME), '--out', os.tmpdir(), '--weight-bits', '12');
    expect(w.status).not.toBe(0);
    expect(w.stderr).toMatch(/Expected an integer from 2 to 8 for --weight-bits but received "12"/);
  });
});
