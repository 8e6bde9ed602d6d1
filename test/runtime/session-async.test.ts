/**
 * Plans compiled off the event loop: time-sliced compile steps, the encoded plan, NativeSession.create
 * (built on a libuv thread), and Session's handling of plans that are still building (shared by
 * concurrent runs, disposed mid-build, evicted only when built). No timing assertions here: the
 * event-loop bound itself is checked by the reliability suite's heartbeat test.
 */
import * as path from 'path';
import type { NativePlan } from '../../typings/native';
import { readNpy } from '../../lib/data/npy';
import { loadModel } from '../../lib/io/onnx';
import { runSteps, runStepsSliced, type Steps } from '../../lib/ir/steps';
import { Tensor } from '../../lib/ir/tensor';
import { native } from '../../lib/native';
import { encodePlan } from '../../lib/runtime/encode-plan';
import { compilePlan, compilePlanSteps } from '../../lib/runtime/lower';
import { Session } from '../../lib/runtime/session';

const FIX = path.join(__dirname, '../fixtures');
const MOBILENET = path.join(FIX, 'models', 'digits_mobilenetv2.onnx');
const x32 = readNpy(path.join(FIX, 'digits', 'x32.npy'));
const rows = (start: number, n: number) => new Tensor('float32', [n, 1, 32, 32], (x32.data as Float32Array).slice(start * 1024, (start + n) * 1024));
const turn = () => new Promise<void>((r) => setImmediate(r));

function relu4(): NativePlan {
  return { tensors: [{ dtype: 1, shape: [4], offset: 0 }, { dtype: 1, shape: [4], offset: 64 }], nodes: [{ op: 'Relu', name: 'r', inputs: [0], outputs: [1], attrs: {} }], inputs: [0], outputs: [1], arenaBytes: 128 };
}

describe('time-sliced steps', () => {
  function* count(n: number, log: string[]): Steps<number> {
    for (let i = 0; i < n; i++) {
      log.push(`step ${i}`);
      yield;
    }
    return n;
  }

  it('gives the same result sliced as at once, and lets other callbacks run between slices', async () => {
    expect(runSteps(count(5, []))).toBe(5);
    const log: string[] = [];
    const done = runStepsSliced(count(4, log), 0);
    setImmediate(() => log.push('immediate'));
    expect(await done).toBe(4);
    expect(log.indexOf('immediate')).toBeGreaterThanOrEqual(0);
    expect(log.indexOf('immediate')).toBeLessThan(log.indexOf('step 3'));
  });

  it('runs one slice per turn across concurrent computations and propagates errors', async () => {
    const log: string[] = [];
    let running = true;
    const ticker = () => {
      log.push('turn');
      if (running) setImmediate(ticker);
    };
    setImmediate(ticker);
    const a = runStepsSliced(count(3, log), 0);
    const b = runStepsSliced(count(3, log), 0);
    await Promise.all([a, b]);
    running = false;
    // With a zero budget every step is a slice of its own, and one slice runs per turn of the loop.
    const steps = log.join(',').replace(/^(turn,)+|(,turn)+$/g, '').split(/(?:,turn)+,/);
    expect(steps).toEqual(['step 0', 'step 0', 'step 1', 'step 1', 'step 2', 'step 2']);
    function* failing(): Steps<number> {
      yield;
      throw new Error('step failed');
    }
    await expect(runStepsSliced(failing(), 0)).rejects.toThrow('step failed');
  });

  it('compiles the same plan sliced as at once', async () => {
    const m = await loadModel(MOBILENET);
    const opts = { inputShapes: new Map([['input', [3, 1, 32, 32]]]), inputValues: new Map(), outputs: m.graph.outputs.map((o) => o.name), fuse: true, engineOps: new Set(native().capabilities().ops) };
    const a = compilePlan(m.graph, opts);
    const b = await runStepsSliced(compilePlanSteps(m.graph, opts), 0);
    expect(b.plan.nodes).toEqual(a.plan.nodes);
    expect(b.plan.arenaBytes).toBe(a.plan.arenaBytes);
    expect(encodePlan(b.plan).meta).toEqual(encodePlan(a.plan).meta);
  });
});

describe('NativeSession.create', () => {
  const { NativeSession } = native();

  it('builds from an encoded plan on a worker thread and runs like the constructor', async () => {
    const s = await NativeSession.create(encodePlan(relu4()), { threads: 1 });
    const [y] = await s.run([new Float32Array([-1, 2, -3, 4])]);
    expect(Array.from(y as Float32Array)).toEqual([0, 2, 0, 4]);
    expect(s.isa).toBe(new NativeSession(relu4(), { threads: 1 }).isa);
    s.dispose();
    await expect(s.run([new Float32Array(4)])).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('keeps constants, strings and attributes through the encoding', async () => {
    // y = x * w + b with Gemm (string-free) and a Transpose (number-list attribute); names with non-ASCII text.
    const w = new Float32Array([1, 2, 3, 4, 5, 6]);
    const plan: NativePlan = {
      tensors: [{ dtype: 1, shape: [1, 2], offset: 0 }, { dtype: 1, shape: [2, 3], data: w }, { dtype: 1, shape: [3], data: new Float32Array([0.5, -1, 2]) }, { dtype: 1, shape: [1, 3], offset: 64 }, { dtype: 1, shape: [3, 1], offset: 128 }],
      nodes: [
        { op: 'Gemm', name: 'gemm « é »', inputs: [0, 1, 2], outputs: [3], attrs: { alpha: 1, beta: 1, transA: 0, transB: 0 } },
        { op: 'Transpose', name: 't', inputs: [3], outputs: [4], attrs: { perm: [1, 0] } },
      ],
      inputs: [0], outputs: [4], arenaBytes: 192,
    };
    const x = new Float32Array([1, -2]);
    const viaCtor = new NativeSession(plan, { threads: 1 });
    const viaCreate = await NativeSession.create(encodePlan(plan), { threads: 1 });
    const [a] = await viaCtor.run([x]);
    const [b] = await viaCreate.run([x]);
    expect(Array.from(b as Float32Array)).toEqual(Array.from(a as Float32Array));
    viaCtor.dispose();
    viaCreate.dispose();
  });

  it('throws on arguments of the wrong type and rejects invalid plans with codes', async () => {
    const bad: unknown[] = [undefined, null, 5, 'plan', []];
    for (const v of bad) expect(() => (NativeSession.create as (p: unknown) => unknown)(v)).toThrow(/Expected an encoded plan/);
    const good = encodePlan(relu4());
    expect(() => NativeSession.create({ ...good, meta: Array.from(good.meta) as unknown as Float64Array }, { threads: 1 })).toThrow(/Expected a Float64Array for plan.meta/);
    expect(() => NativeSession.create({ ...good, text: 'x' as unknown as Uint8Array }, { threads: 1 })).toThrow(/Expected a Uint8Array for plan.text/);
    expect(() => NativeSession.create({ ...good, data: [{} as ArrayBufferView] }, { threads: 1 })).toThrow(/ArrayBufferView/);
    // relu4 encodes as: header (0-5), tensors (6-10, 11-15), node (16-24: op, name, 1 input, 1 output, 0 attrs), ids (25, 26).
    const edit = (f: (m: Float64Array) => void) => {
      const m = good.meta.slice();
      f(m);
      return m;
    };
    const reject = async (meta: Float64Array, code: string, msg: RegExp) => {
      await expect(NativeSession.create({ ...good, meta }, { threads: 1 })).rejects.toMatchObject({ code, message: expect.stringMatching(msg) });
    };
    await reject(good.meta.slice(0, good.meta.length - 1), 'INVALID_PLAN', /ends inside plan.outputs\[0\]/);
    await reject(Float64Array.from([...good.meta, 0]), 'INVALID_PLAN', /numbers after its last output id/);
    expect(good.meta.length).toBe(27);
    await reject(edit((m) => { m[0] = 2; }), 'INVALID_PLAN', /format version/);
    await reject(edit((m) => { m[1] = 1e9; }), 'INVALID_PLAN', /tensor count/);
    await reject(edit((m) => { m[6] = 40; }), 'UNSUPPORTED', /data type code 40/);
    await reject(edit((m) => { m[8] = 0.5; }), 'INVALID_PLAN', /plan.tensors\[0\].shape\[0\]/);
    await reject(edit((m) => { m[9] = 3; }), 'INVALID_PLAN', /constant index/);
    await reject(edit((m) => { m[16] = 1e6; }), 'INVALID_PLAN', /plan.nodes\[0\].op/);
    await reject(edit((m) => { m[21] = 7; }), 'INVALID_PLAN', /does not exist/);
    await expect(NativeSession.create(encodePlan({ ...relu4(), nodes: [{ op: 'Nope', name: 'n', inputs: [0], outputs: [1], attrs: {} }] }), { threads: 1 })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });
});

describe('Session with plans built asynchronously', () => {
  it('shares one build between concurrent runs of a new shape', async () => {
    const s = await Session.create(MOBILENET, { threads: 2 });
    const [a, b] = await Promise.all([s.run({ input: rows(0, 4) }), s.run({ input: rows(0, 4) })]);
    expect(Array.from(Object.values(b)[0].data as Float32Array)).toEqual(Array.from(Object.values(a)[0].data as Float32Array));
    expect((s as unknown as { cache: Map<string, unknown> }).cache.size).toBe(1);
    s.dispose();
  });

  it('runs many shapes at once with a cache of one plan, each result as when run alone', async () => {
    const alone = await Session.create(MOBILENET, { threads: 2 });
    const out = (r: Record<string, Tensor>) => Array.from(Object.values(r)[0].data as Float32Array);
    const expected = [];
    for (const n of [1, 2, 3, 5]) expected.push(out(await alone.run({ input: rows(10, n) })));
    alone.dispose();
    const s = await Session.create(MOBILENET, { threads: 2, planCacheSize: 1 });
    const got = await Promise.all([1, 2, 3, 5].map(async (n) => out(await s.run({ input: rows(10, n) }))));
    expect(got).toEqual(expected);
    expect((s as unknown as { cache: Map<string, unknown> }).cache.size).toBe(1);
    s.dispose();
  });

  it('rejects runs waiting for a plan with DISPOSED when disposed at any point of the build, and frees the plan', async () => {
    const outcomes = new Set<string>();
    for (let turns = 0; turns < 40; turns += 3) {
      const s = await Session.create(MOBILENET, { threads: 2 });
      const p = s.run({ input: rows(0, 2) }).then(() => 'ran', (e) => (e as { code?: string }).code ?? String(e));
      for (let i = 0; i < turns; i++) await turn();
      s.dispose();
      const r = await p;
      outcomes.add(r);
      expect(['ran', 'DISPOSED']).toContain(r);
      expect((s as unknown as { cache: Map<string, unknown> }).cache.size).toBe(0);
      await expect(s.run({ input: rows(0, 2) })).rejects.toMatchObject({ code: 'DISPOSED' });
    }
    expect(outcomes.has('DISPOSED')).toBe(true);
  });

  it('does not cache a failed compile', async () => {
    const s = await Session.create(MOBILENET, { threads: 1 });
    await expect(s.run({ input: Tensor.zeros('float32', [1, 32, 32]) })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    expect((s as unknown as { cache: Map<string, unknown> }).cache.size).toBe(0);
    const ok = await s.run({ input: rows(0, 1) });
    expect(Object.values(ok)[0].shape[0]).toBe(1);
    s.dispose();
  });
});
