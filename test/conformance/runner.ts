/**
 * Runs the ONNX backend node tests (see testdata.ts) against npuquant's Session.
 *
 * Each test is loaded, compiled into a Session (threads: 1), run on every data set and compared with
 * the expected outputs (compare.ts, the ONNX runner's rules at rtol 1e-3, atol 1e-7). Outcome:
 *  - PASS: every output of every data set matches;
 *  - UNSUPPORTED: loading, compiling or running threw NpuqError code 'UNSUPPORTED' (an op, dtype or
 *    attribute npuquant does not claim);
 *  - FAIL: anything else — a wrong result, a missing output, or any other error.
 * quirks.ts lists the adjustments made for known defects of the 1.12 test data.
 */
import * as path from 'path';
import { NpuqError } from '../../lib/errors';
import { loadModel } from '../../lib/io/onnx';
import { MIN_OPSET } from '../../lib/io/onnx/graph-from-proto';
import { readTensorProtoFile } from '../../lib/io/onnx/tensor-proto';
import { Tensor } from '../../lib/ir/tensor';
import { Session } from '../../lib/runtime/session';
import { compareTensors, fmt } from './compare';
import {
  asDeclared, demotable, demoteModel, demoteTensor, FOLLOWS_ONNXRUNTIME, liftableOpset, relaxContradictedInputShapes,
  runOnnxruntime, withOpset,
} from './quirks';
import {
  dataSets, listNodeTests, NODE_TEST_ROOT, numberedFiles, opTypeOf, RawModelInfo, rawModelInfo, TestResult,
} from './testdata';

export * from './testdata';
export * from './compare';
export * from './report';

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const line = msg.split('\n')[0];
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function isUnsupported(err: unknown): boolean {
  return err instanceof NpuqError && err.code === 'UNSUPPORTED';
}

function describeError(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  const name = err instanceof Error ? err.name : typeof err;
  return `${name}${code !== undefined ? ` ${String(code)}` : ''}: ${firstLine(err)}`;
}

/**
 * Runs one node test. Never throws. An UNSUPPORTED test is re-run adapted (`rerun`) when that keeps
 * its meaning: a model below the loader's opset floor whose op did not change up to the floor is run
 * with its opset import raised (GlobalAveragePool's tests are opset 1); a float64 test is run with
 * float64 demoted to float32 (every ReduceLogSumExp test is float64).
 */
export async function runNodeTest(root: string, name: string, opCache?: Map<string, string>): Promise<TestResult> {
  const t0 = Date.now();
  const dir = path.join(root, name);
  const opType = opTypeOf(root, name, opCache);
  const info = rawModelInfo(path.join(dir, 'model.onnx'));
  const first = await attempt(dir, name, info, {});
  const result: TestResult = { name, opType, opset: info.opset, ...first, ms: 0 };
  const adapt: Adapt = {};
  let last = first;
  if (last.status === 'UNSUPPORTED' && last.stage === 'load' && liftableOpset(info, MIN_OPSET)) {
    adapt.opset = MIN_OPSET;
    last = await attempt(dir, name, info, adapt);
  }
  if (last.status === 'UNSUPPORTED' && last.stage === 'run' && demotable(info)) {
    adapt.demote = true;
    last = await attempt(dir, name, info, adapt);
  }
  if (last !== first) {
    const as = [adapt.demote ? 'float32' : '', adapt.opset ? `opset ${adapt.opset}` : ''].filter((x) => x).join(', ');
    result.rerun = { as, status: last.status, detail: last.detail, maxAbs: last.maxAbs };
  }
  result.ms = Date.now() - t0;
  return result;
}

type Attempt = Omit<TestResult, 'name' | 'opType' | 'opset' | 'ms'>;

/** How a test is adapted for a re-run (quirks.ts). */
interface Adapt {
  /** Demote float64 to float32. */
  demote?: boolean;
  /** Raise the ai.onnx opset import to this version. */
  opset?: number;
}

async function attempt(dir: string, name: string, info: RawModelInfo, adapt: Adapt): Promise<Attempt> {
  const demote = adapt.demote === true;
  let relaxedInputs: string[] | undefined;
  const done = (r: Attempt): Attempt => ({ ...r, ...(relaxedInputs ? { relaxedInputs } : {}) });
  let stage = 'load';
  let session: Session | undefined;
  try {
    const file = path.join(dir, 'model.onnx');
    const model = adapt.opset === undefined ? await loadModel(file) : await loadModel(withOpset(file, adapt.opset), { name: `${file} (opset ${adapt.opset})` });
    if (demote) demoteModel(model);
    stage = 'inputs';
    const sets = dataSets(dir).map((set) => {
      const feeds: Record<string, Tensor> = {};
      numberedFiles(set, 'input').forEach((f, i) => {
        const { name: pbName, tensor } = readTensorProtoFile(f);
        // The ONNX runner feeds inputs positionally; the .pb name, when it names an input, agrees.
        const k = info.inputs.includes(pbName) ? info.inputs.indexOf(pbName) : i;
        if (k >= info.inputs.length) throw new Error(`${path.basename(f)} has no matching graph input (inputs: ${info.inputs.join(', ')})`);
        const t = asDeclared(tensor, info.inputTypes[k]);
        feeds[info.inputs[k]] = demote ? demoteTensor(t) : t;
      });
      const expected = numberedFiles(set, 'output').map((f, k) => asDeclared(readTensorProtoFile(f).tensor, info.outputTypes[k]));
      return { set, feeds, expected };
    });
    const relaxed = relaxContradictedInputShapes(model, sets.map((s) => s.feeds));
    if (relaxed.length) relaxedInputs = relaxed;
    let viaOnnxruntime: string | undefined;
    stage = 'create';
    session = await Session.create(model, { threads: 1 });
    let maxAbs: number | undefined;
    for (const { set, feeds, expected } of sets) {
      stage = 'run';
      const got = await session.run(feeds);
      stage = 'compare';
      if (expected.length !== info.outputs.length) {
        return done({ status: 'FAIL', stage, detail: `test data has ${expected.length} outputs, model ${info.outputs.length}` });
      }
      for (let k = 0; k < expected.length; k++) {
        const outName = info.outputs[k];
        let actual = got[outName];
        if (demote && actual?.dtype === 'float32' && expected[k].dtype === 'float64') {
          actual = new Tensor('float64', actual.shape, Float64Array.from(actual.data as Float32Array));
        }
        if (actual === undefined) {
          return done({ status: 'FAIL', stage, maxAbs, detail: `output "${outName}" missing from run() result (has: ${Object.keys(got).join(', ')})` });
        }
        const c = compareTensors(actual, expected[k]);
        if (!Number.isNaN(c.maxAbs)) maxAbs = Math.max(maxAbs ?? 0, c.maxAbs);
        if (!c.ok && FOLLOWS_ONNXRUNTIME[name] !== undefined) {
          const [ref] = await runOnnxruntime(path.join(dir, 'model.onnx'), feeds, [outName]);
          const vsOrt = compareTensors(actual, ref);
          if (vsOrt.ok) {
            viaOnnxruntime = `differs from the ONNX reference (${c.reason}) but matches onnxruntime (max abs err ${fmt(vsOrt.maxAbs)}): ${FOLLOWS_ONNXRUNTIME[name]}`;
            continue;
          }
          return done({ status: 'FAIL', stage, maxAbs: c.maxAbs, detail: `${path.basename(set)} output ${k} "${outName}": ${c.reason}; and vs onnxruntime: ${vsOrt.reason}` });
        }
        if (!c.ok) {
          return done({ status: 'FAIL', stage, maxAbs: c.mismatches < 0 ? undefined : c.maxAbs, detail: `${path.basename(set)} output ${k} "${outName}": ${c.reason}` });
        }
      }
    }
    return done({ status: 'PASS', maxAbs, viaOnnxruntime });
  } catch (err) {
    if (isUnsupported(err)) return done({ status: 'UNSUPPORTED', stage, detail: firstLine(err) });
    return done({ status: 'FAIL', stage, detail: `${stage}: ${describeError(err)}` });
  } finally {
    try {
      session?.dispose();
    } catch {
      // disposing is best effort here; a failure would surface as a leak, not a wrong result
    }
  }
}

/** Runs every test under `root` in order (one at a time). */
export async function runAll(root = NODE_TEST_ROOT, names = listNodeTests(root) ?? [], onResult?: (r: TestResult) => void): Promise<TestResult[]> {
  const cache = new Map<string, string>();
  const out: TestResult[] = [];
  for (const n of names) {
    const r = await runNodeTest(root, n, cache);
    onResult?.(r);
    out.push(r);
  }
  return out;
}
