/**
 * Quirks of the ONNX 1.12 node test data, handled openly (every case shows in out/conformance.md):
 *
 * - bfloat16 tensors are stored as UINT16 TensorProtos (numpy has no bfloat16): reinterpreted.
 * - a few models declare input shapes their own data contradicts: the declaration is dropped, as the
 *   ONNX runner never checks it.
 * - tests whose reference output is disputed and where npuquant follows onnxruntime: they pass only
 *   if npuquant matches onnxruntime-node on the same inputs (checked at run time).
 * - float64-only tests: re-run with float64 demoted to float32, so ops whose every test is float64
 *   (ReduceLogSumExp) are still exercised.
 * - tests below the loader's opset floor (GlobalAveragePool, Softplus: opset 1; Elu, HardSigmoid,
 *   Selu, InstanceNormalization: opset 6): re-run with the opset import raised to the floor when no op
 *   of the model changed in between, so the model means exactly the same.
 */
import * as fs from 'fs';
import { onnx } from 'onnx-proto';
import type { Model } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import type { RawModelInfo } from './testdata';

const BFLOAT16_CODE = 16;

/**
 * The ONNX 1.12 generator stores bfloat16 test tensors as UINT16 TensorProtos holding the bfloat16
 * bits (numpy has no bfloat16), while the model declares BFLOAT16. Reinterpret them, as the bits are
 * the same.
 */
export function asDeclared(t: Tensor, declared: number | undefined): Tensor {
  if (declared === BFLOAT16_CODE && t.dtype === 'uint16') return new Tensor('bfloat16', t.shape, t.data);
  return t;
}

/**
 * Tests whose ONNX 1.12 reference output is disputed and where npuquant deliberately follows
 * onnxruntime instead. Such a test passes only if npuquant's output matches onnxruntime's on the same
 * inputs (checked at run time with onnxruntime-node, same tolerance); it is listed in the report.
 */
export const FOLLOWS_ONNXRUNTIME: Readonly<Record<string, string>> = {
  test_resize_downsample_scales_linear_align_corners:
    'align_corners with scales: the ONNX reference divides by (scale * in_len - 1) = 1.4 instead of (out_len - 1) = 1 ' +
    '(onnx/onnx#2462, "intended"); onnxruntime, PyTorch and TF use the integer output length',
  test_resize_downsample_scales_cubic_align_corners:
    'same align_corners length_resized question as test_resize_downsample_scales_linear_align_corners (onnx/onnx#2462)',
};

const ORT_TYPES: Partial<Record<string, string>> = {
  float32: 'float32', float64: 'float64', int8: 'int8', uint8: 'uint8', int16: 'int16', uint16: 'uint16',
  int32: 'int32', uint32: 'uint32', int64: 'int64', uint64: 'uint64', bool: 'bool', float16: 'float16',
};

/** Runs the test model in onnxruntime-node on the same feeds; returns its outputs as Tensors. */
export async function runOnnxruntime(modelFile: string, feeds: Record<string, Tensor>, outputs: readonly string[]): Promise<Tensor[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ort = require('onnxruntime-node') as typeof import('onnxruntime-node');
  const session = await ort.InferenceSession.create(modelFile);
  try {
    const ortFeeds: Record<string, import('onnxruntime-node').Tensor> = {};
    for (const [k, t] of Object.entries(feeds)) {
      const type = ORT_TYPES[t.dtype];
      if (type === undefined) throw new Error(`no onnxruntime type for ${t.dtype}`);
      ortFeeds[k] = new ort.Tensor(type as 'float32', t.data as Float32Array, t.shape.slice());
    }
    const res = await session.run(ortFeeds);
    return outputs.map((name) => {
      const o = res[name];
      const dtype = Object.entries(ORT_TYPES).find(([, v]) => v === o.type)?.[0] as Tensor['dtype'];
      return new Tensor(dtype, o.dims.slice(), o.data as Float32Array);
    });
  } finally {
    await session.release();
  }
}

/**
 * A few ONNX 1.12 test models declare an input shape that their own test data contradicts (e.g. the
 * bfloat16 CastLike tests declare `like` as [3,4] and feed [1]). The ONNX backend runner never checks
 * declared input shapes, so for those inputs the declaration is dropped (rank and dims unknown).
 * Returns what was relaxed, e.g. `like [3,4] vs data [1]`.
 */
export function relaxContradictedInputShapes(model: Model, feedSets: readonly Record<string, Tensor>[]): string[] {
  const out: string[] = [];
  for (const vi of model.graph.inputs) {
    const declared = vi.shape;
    if (declared === undefined) continue;
    const bad = feedSets.map((f) => f[vi.name]).find((t) => t !== undefined && (
      t.shape.length !== declared.length || declared.some((d, i) => typeof d === 'number' && d !== t.shape[i])));
    if (bad === undefined) continue;
    out.push(`${vi.name} [${declared.map((d) => d ?? '?').join(',')}] vs data [${bad.shape.join(',')}]`);
    vi.shape = undefined;
    const info = model.graph.valueInfo.get(vi.name);
    if (info) info.shape = undefined;
  }
  return out;
}

const FLOAT64_CODE = 11;

/**
 * Whether demoting float64 to float32 keeps the test meaningful: some input or output is float64,
 * and no node names a data type (Cast `to`, EyeLike `dtype`, ...) or carries a tensor attribute.
 */
export function demotable(info: RawModelInfo): boolean {
  return [...info.inputTypes, ...info.outputTypes].includes(FLOAT64_CODE) && !info.typedAttributes;
}

export function demoteTensor(t: Tensor): Tensor {
  return t.dtype === 'float64' ? new Tensor('float32', t.shape, Float32Array.from(t.data as Float64Array)) : t;
}

/** Rewrites every float64 value of the model (inputs, outputs, value infos, initializers) to float32. */
export function demoteModel(model: Model): void {
  const g = model.graph;
  for (const vi of [...g.inputs, ...g.outputs, ...g.valueInfo.values()]) if (vi.dtype === 'float64') vi.dtype = 'float32';
  for (const [k, t] of g.initializers) g.initializers.set(k, demoteTensor(t));
}

/**
 * ai.onnx ops that got a new version in opsets 2..7, by version (ONNX Changelog.md). A model at
 * opset v < 7 means the same at opset 7 when none of its ops got a new version in (v, 7].
 */
const CHANGED_AFTER: readonly [number, ReadonlySet<string>][] = [
  [2, new Set(['GlobalLpPool', 'LpPool', 'Pad', 'Split'])],
  [3, new Set(['GRU'])],
  [4, new Set(['Concat'])],
  [5, new Set(['Reshape'])],
  [6, new Set([
    'Abs', 'Add', 'BatchNormalization', 'Cast', 'Ceil', 'Clip', 'Div', 'Dropout', 'Elu', 'Exp', 'Floor', 'Gemm',
    'HardSigmoid', 'InstanceNormalization', 'LeakyRelu', 'Log', 'Max', 'Mean', 'Min', 'Mul', 'Neg', 'PRelu',
    'Reciprocal', 'Relu', 'Selu', 'Sigmoid', 'Sqrt', 'Sub', 'Sum', 'Tanh', 'Tile'])],
  [7, new Set([
    'Acos', 'Add', 'And', 'Asin', 'Atan', 'AveragePool', 'BatchNormalization', 'Cos', 'Div', 'Dropout', 'Equal',
    'Gemm', 'Greater', 'GRU', 'Less', 'LSTM', 'Mul', 'Multinomial', 'Or', 'PRelu', 'Pow', 'RNN', 'Sin', 'Sub',
    'Tan', 'Upsample', 'Xor'])],
];

/**
 * Whether the model's opset import can be raised to `floor` without changing its meaning: it is
 * below the floor, and none of its ops changed after its opset (ops that changed *at* the model's own
 * opset are fine: e.g. Elu-6 is the current Elu).
 */
export function liftableOpset(info: RawModelInfo, floor: number): boolean {
  if (!(info.opset > 0 && info.opset < floor) || floor > 7) return false;
  return info.ops.every((op) => !CHANGED_AFTER.some(([v, ops]) => v > info.opset && v <= floor && ops.has(op)));
}

/** The model file's bytes with its ai.onnx opset import set to `version`. */
export function withOpset(file: string, version: number): Uint8Array {
  const m = onnx.ModelProto.decode(fs.readFileSync(file));
  for (const o of m.opsetImport ?? []) if (!o.domain || o.domain === 'ai.onnx') o.version = version;
  return onnx.ModelProto.encode(m).finish();
}
