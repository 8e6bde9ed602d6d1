/**
 * The ONNX backend node test data (onnx/backend/test/data/node, as shipped by Debian's
 * libonnx-testdata 1.12): one directory per test holding `model.onnx` and
 * `test_data_set_N/{input,output}_K.pb`. Discovery, the raw facts of each model read straight from
 * the protobuf (independent of npuquant's loader, which folds Constant nodes), and result types.
 */
import * as fs from 'fs';
import * as path from 'path';
import { onnx } from 'onnx-proto';
import { MIN_OPSET } from '../../lib/io/onnx/graph-from-proto';
import { LongLike, longToNumber } from '../../lib/io/onnx/int64';

/** Where Debian's libonnx-testdata installs the node tests; NPUQ_ONNX_NODE_TESTS overrides it. */
export const NODE_TEST_ROOT = process.env.NPUQ_ONNX_NODE_TESTS ?? '/usr/share/libonnx-testdata/data/node';

export type Status = 'PASS' | 'FAIL' | 'UNSUPPORTED';

export interface TestResult {
  name: string;
  /** The op type of the model's single node; `<Op> (expanded)` for function-expanded tests. */
  opType: string;
  status: Status;
  /** Why it failed or is unsupported (first line of the error, or the mismatch). */
  detail?: string;
  /** Stage at which it stopped: load, create, inputs, run, compare. */
  stage?: string;
  /** Largest |actual - expected| over all float outputs (undefined when nothing was compared). */
  maxAbs?: number;
  /** ai.onnx opset the model imports. */
  opset: number;
  /** For tests in FOLLOWS_ONNXRUNTIME that pass by matching onnxruntime: how they differ from the reference. */
  viaOnnxruntime?: string;
  /** Inputs whose declared shape the test data contradicts (declaration dropped), e.g. `like [3,4] vs data [1]`. */
  relaxedInputs?: string[];
  /**
   * For an UNSUPPORTED test that can be adapted without changing what it checks (quirks.ts): the
   * outcome of re-running it adapted. `as` says how: `float32` (float64 demoted to float32, compared
   * with the float64 reference at the same tolerance), `opset 7` (opset import raised to the loader's
   * floor; the op's definition did not change in between), or both.
   */
  rerun?: { as: string; status: Status; detail?: string; maxAbs?: number };
  ms: number;
}

/** Test directories (sorted by name), or undefined when the root does not exist. */
export function listNodeTests(root = NODE_TEST_ROOT): string[] | undefined {
  if (!fs.existsSync(root)) return undefined;
  return fs.readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, e.name, 'model.onnx')))
    .map((e) => e.name)
    .sort();
}

export function numberedFiles(dir: string, prefix: string): string[] {
  const re = new RegExp(`^${prefix}_(\\d+)\\.pb$`);
  return fs.readdirSync(dir)
    .map((f) => ({ f, m: re.exec(f) }))
    .filter((x) => x.m !== null)
    .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
    .map((x) => path.join(dir, x.f));
}

export function dataSets(testDir: string): string[] {
  const re = /^test_data_set_(\d+)$/;
  return fs.readdirSync(testDir)
    .filter((f) => re.test(f))
    .sort((a, b) => Number(re.exec(a)![1]) - Number(re.exec(b)![1]))
    .map((f) => path.join(testDir, f));
}

export interface RawModelInfo {
  /** Op types of the nodes in file order (domain-qualified outside ai.onnx). */
  ops: string[];
  /** Graph input names that are not initializers, in order. */
  inputs: string[];
  outputs: string[];
  /** ai.onnx opset version imported (0 when none). */
  opset: number;
  /** Declared ONNX element type code per input / output (0 when not a tensor or not given). */
  inputTypes: number[];
  outputTypes: number[];
  /** Some node has a data-type attribute (`to`, `dtype`, `output_dtype`) or a tensor attribute. */
  typedAttributes: boolean;
}

/** Reads the model proto directly (independent of the loader, which folds Constant nodes). */
export function rawModelInfo(file: string): RawModelInfo {
  const m = onnx.ModelProto.decode(fs.readFileSync(file));
  const g = m.graph!;
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const inputs = (g.input ?? []).filter((v) => !inits.has(v.name ?? ''));
  return {
    ops: (g.node ?? []).map((n) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType ?? '?')),
    inputs: inputs.map((v) => v.name ?? ''),
    outputs: (g.output ?? []).map((v) => v.name ?? ''),
    inputTypes: inputs.map((v) => v.type?.tensorType?.elemType ?? 0),
    outputTypes: (g.output ?? []).map((v) => v.type?.tensorType?.elemType ?? 0),
    typedAttributes: (g.node ?? []).some((n) => (n.attribute ?? []).some((a) =>
      a.name === 'to' || a.name === 'dtype' || a.name === 'output_dtype' || a.t != null || (a.tensors?.length ?? 0) > 0)),
    opset: longToNumber((m.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version as LongLike | undefined),
  };
}

/**
 * The op type a test exercises: the model's single node (ignoring Constant nodes when exactly one
 * other node remains); for `<base>_expanded` tests, `<op of base> (expanded)`.
 */
export function opTypeOf(root: string, name: string, cache = new Map<string, string>()): string {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let op: string;
  if (name.endsWith('_expanded')) {
    const base = name.slice(0, -'_expanded'.length);
    const baseOp = fs.existsSync(path.join(root, base, 'model.onnx')) ? opTypeOf(root, base, cache) : base;
    op = `${baseOp} (expanded)`;
  } else {
    const ops = rawModelInfo(path.join(root, name, 'model.onnx')).ops;
    const nonConst = ops.filter((o) => o !== 'Constant');
    if (ops.length === 1) op = ops[0];
    else if (nonConst.length === 1) op = nonConst[0];
    else op = `(${[...new Set(ops)].join('+') || 'no nodes'})`;
  }
  cache.set(name, op);
  return op;
}

/**
 * True when the loader refuses the test only because its model imports an ai.onnx opset below the
 * lowest one npuquant loads (a documented policy, not a gap in an op).
 */
export function belowOpsetFloor(r: TestResult): boolean {
  return r.status === 'UNSUPPORTED' && r.stage === 'load' && r.opset > 0 && r.opset < MIN_OPSET;
}
