/**
 * Inference on real models: with concrete input shapes every value must get a concrete shape, equal
 * to what onnxruntime-node produces (every value is made a graph output and the model is run on
 * random input); folded constants must equal onnxruntime's values. Also checks symbolic propagation
 * without input shapes.
 */
import * as fsys from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { spawnSync } from 'child_process';
import * as os from 'os';
import { loadModelSync } from '../../lib/io/onnx';
import { inferGraph } from '../../lib/ir/infer';
import { elementReader } from '../../lib/ir/ops/numeric';
import type { ValueType } from '../../lib/ir/ops/types';
import { ONNX_DTYPE_CODE } from '../../lib/ir/tensor';

const SHARED = path.join(__dirname, '..', '..', '..', 'shared', 'data', 'models');
const OCR = path.join(__dirname, '..', '..', 'node_modules', '@gutenye', 'ocr-models', 'assets');

const MODELS: { file: string; shape: number[] }[] = [
  { file: path.join(SHARED, 'digits_cnn.onnx'), shape: [2, 1, 20, 20] },
  { file: path.join(SHARED, 'digits_mobilenetv2.onnx'), shape: [2, 1, 32, 32] },
  { file: path.join(SHARED, 'digits_shufflenet.onnx'), shape: [2, 1, 32, 32] },
  { file: path.join(OCR, 'ch_PP-OCRv4_det_infer.onnx'), shape: [1, 3, 96, 128] },
  { file: path.join(OCR, 'ch_PP-OCRv4_rec_infer.onnx'), shape: [1, 3, 48, 160] },
  { file: path.join(OCR, 'ch_ppocr_mobile_v2.0_cls_infer.onnx'), shape: [1, 3, 48, 192] },
].filter((m) => fsys.existsSync(m.file));

/** Serializes the model with every node output added as a graph output. */
function withAllOutputs(file: string, types: Map<string, ValueType>): { bytes: Uint8Array; names: string[] } {
  const proto = onnx.ModelProto.decode(fsys.readFileSync(file));
  const g = proto.graph as onnx.GraphProto;
  const have = new Set(g.output.map((o) => o.name));
  const names: string[] = [];
  for (const n of g.node) {
    for (const o of n.output ?? []) {
      if (!o) continue;
      names.push(o);
      if (have.has(o)) continue;
      const t = types.get(o);
      g.output.push(onnx.ValueInfoProto.create({
        name: o,
        type: t ? { tensorType: { elemType: ONNX_DTYPE_CODE[t.dtype] } } : undefined,
      }));
    }
  }
  return { bytes: onnx.ModelProto.encode(proto).finish(), names };
}

/**
 * Runs the model in onnxruntime-node in a child process (onnxruntime creates its output typed arrays
 * in the main realm, which jest's sandbox rejects) on deterministic pseudo-random input. Returns the
 * dims of every output and the values of small ones.
 */
function runOrt(bytes: Uint8Array, input: string, shape: number[]): Record<string, { dims: number[]; data?: number[] }> {
  const dir = fsys.mkdtempSync(path.join(os.tmpdir(), 'npuq-ir-'));
  const model = path.join(dir, 'model.onnx');
  fsys.writeFileSync(model, bytes);
  const script = `
    const ort = require('onnxruntime-node');
    (async () => {
      const [model, input, shape] = [process.argv[1], process.argv[2], JSON.parse(process.argv[3])];
      const n = shape.reduce((a, b) => a * b, 1);
      const d = new Float32Array(n);
      let s = 12345;
      for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) % 2147483648; d[i] = s / 2147483648; }
      const session = await ort.InferenceSession.create(model);
      const res = await session.run({ [input]: new ort.Tensor('float32', d, shape) });
      const out = {};
      for (const [k, v] of Object.entries(res)) {
        out[k] = { dims: v.dims.map(Number), data: v.data.length <= 4096 ? Array.from(v.data, Number) : undefined };
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((e) => { console.error(e); process.exit(1); });`;
  const r = spawnSync(process.execPath, ['-e', script, model, input, JSON.stringify(shape)], {
    cwd: path.join(__dirname, '..', '..'),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  fsys.rmSync(dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`onnxruntime failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, { dims: number[]; data?: number[] }>;
}

describe.each(MODELS)('model $file', ({ file, shape }) => {
  const graph = loadModelSync(file).graph;
  const input = graph.inputs[0].name;

  it('gives every value a concrete shape equal to onnxruntime\'s, and folds constants to its values', () => {
    const { types, constants } = inferGraph(graph, { inputShapes: new Map([[input, shape]]) });
    for (const [name, t] of types) {
      expect({ name, concrete: t.shape !== undefined && t.shape.every((d) => typeof d === 'number') }).toEqual({ name, concrete: true });
    }
    const { bytes, names } = withAllOutputs(file, types);
    const result = runOrt(bytes, input, shape);
    let compared = 0;
    let folded = 0;
    for (const name of names) {
      const r = result[name];
      if (r === undefined) continue;
      const t = types.get(name) as ValueType;
      expect({ name, shape: t.shape }).toEqual({ name, shape: r.dims });
      compared++;
      const c = constants.get(name);
      if (c !== undefined && !graph.initializers.has(name) && r.data !== undefined) {
        const got = elementReader(c);
        const exp = r.data;
        const close = exp.every((e, i) => Math.abs(got(i) - e) <= 1e-5 + 1e-4 * Math.abs(e));
        expect({ name, close }).toEqual({ name, close: true });
        folded++;
      }
    }
    if (process.env.NPUQ_IR_VERBOSE) console.log(`${path.basename(file)}: ${compared} values compared with onnxruntime, ${folded} folded values checked`);
    expect(compared).toBe(names.length);
  });

  it('keeps the batch dim symbolic without input shapes', () => {
    const { types } = inferGraph(graph);
    const out = types.get(graph.outputs[0].name) as ValueType;
    expect(out.shape).toBeDefined();
    expect(out.shape?.[0]).toBe(graph.inputs[0].shape?.[0]);
  });
});
