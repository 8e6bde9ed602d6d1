/** Shared helpers of the io tests: building small ONNX models and comparing graphs. */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { NpuqError } from '../../lib/errors';
import { Attribute, Graph, Model } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';

export const FIXTURES = path.join(__dirname, '..', 'fixtures');
export const DIGITS_MODELS = ['digits_cnn', 'digits_shufflenet', 'digits_mobilenetv2'].map((m) => path.join(FIXTURES, 'models', `${m}.onnx`));
export const OCR_DIR = path.join(__dirname, '..', '..', 'node_modules', '@gutenye', 'ocr-models', 'assets');
export const OCR_MODELS = fs.existsSync(OCR_DIR)
  ? fs.readdirSync(OCR_DIR).filter((f) => f.endsWith('.onnx')).map((f) => path.join(OCR_DIR, f))
  : [];

const tmpDirs: string[] = [];
/** A new temporary directory, removed after the test file's tests. */
export function tmpDir(prefix = 'npuq-io-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;

export function vi(name: string, elemType = FLOAT, dims: (number | string)[] = [1]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export interface ModelSpec {
  nodes?: onnx.INodeProto[];
  inputs?: onnx.IValueInfoProto[];
  outputs?: onnx.IValueInfoProto[];
  initializers?: onnx.ITensorProto[];
  valueInfo?: onnx.IValueInfoProto[];
  opsets?: onnx.IOperatorSetIdProto[];
  irVersion?: number;
  extra?: Partial<onnx.IModelProto>;
}

/** A ModelProto: by default one Relu from "x" to "y", opset 13, IR 8. */
export function modelProto(spec: ModelSpec = {}): onnx.IModelProto {
  return {
    irVersion: spec.irVersion ?? 8,
    opsetImport: spec.opsets ?? [{ domain: '', version: 13 }],
    producerName: 'test',
    graph: {
      name: 'g',
      node: spec.nodes ?? [{ opType: 'Relu', input: ['x'], output: ['y'] }],
      input: spec.inputs ?? [vi('x')],
      output: spec.outputs ?? [vi('y')],
      initializer: spec.initializers ?? [],
      valueInfo: spec.valueInfo ?? [],
    },
    ...spec.extra,
  };
}

export function encodeModel(spec: ModelSpec = {}): Uint8Array {
  return onnx.ModelProto.encode(modelProto(spec)).finish();
}

/** Runs `f` and returns the NpuqError it throws (fails the test if it throws anything else or nothing). */
export function catchNpuq(f: () => unknown): NpuqError {
  try {
    f();
  } catch (err) {
    if (err instanceof NpuqError) return err;
    throw new Error(`Expected an NpuqError but got ${(err as Error)?.stack ?? String(err)}`);
  }
  throw new Error('Expected an NpuqError but nothing was thrown');
}

export async function catchNpuqAsync(f: () => Promise<unknown>): Promise<NpuqError> {
  try {
    await f();
  } catch (err) {
    if (err instanceof NpuqError) return err;
    throw new Error(`Expected an NpuqError but got ${(err as Error)?.stack ?? String(err)}`);
  }
  throw new Error('Expected an NpuqError but nothing was thrown');
}

/** dtype, shape and a sha256 of the exact data bytes (fast for large weights, exact for NaNs). */
function tensorSummary(t: Tensor): unknown {
  const h = createHash('sha256');
  if (Array.isArray(t.data)) h.update(JSON.stringify(t.data));
  else h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  return { dtype: t.dtype, shape: t.shape.slice(), size: t.size, sha256: h.digest('hex') };
}

function attrSummary(a: Attribute): unknown {
  if (a.kind === 'tensor') return { kind: a.kind, value: tensorSummary(a.value) };
  if (a.kind === 'graph') return { kind: a.kind, value: graphSummary(a.value) };
  return a;
}

/** A plain, comparable description of a graph. */
export function graphSummary(g: Graph): unknown {
  return {
    name: g.name,
    inputs: g.inputs,
    outputs: g.outputs,
    opsets: [...g.opsets].sort(),
    valueInfo: [...g.valueInfo].sort(([a], [b]) => (a < b ? -1 : 1)),
    initializers: [...g.initializers].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, t]) => [k, tensorSummary(t)]),
    nodes: g.nodes.map((n) => ({
      name: n.name, opType: n.opType, domain: n.domain, inputs: n.inputs, outputs: n.outputs,
      attrs: [...n.attrs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, a]) => [k, attrSummary(a)]),
    })),
  };
}

export function modelSummary(m: Model): unknown {
  return {
    irVersion: m.irVersion, producerName: m.producerName, producerVersion: m.producerVersion,
    domain: m.domain, modelVersion: m.modelVersion, docString: m.docString,
    metadata: [...m.metadata], graph: graphSummary(m.graph),
  };
}

/** float16 bits -> number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}
