import type { NativeObserver as NativeObserverType } from '../../typings/native';
import { collectStatistics } from '../../lib/calibrate/observe';
import { Graph, Model, Node } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { native } from '../../lib/native';
import { compilePlan } from '../../lib/runtime/lower';
import { Session } from '../../lib/runtime/session';

/** x [N, C, 4] -> Relu -> y; y + w (initializer) -> v; Cast(y) -> z int64. Outputs v, z. */
function tinyModel(): Model {
  const g = new Graph();
  g.inputs = [{ name: 'x', dtype: 'float32', shape: ['N', 'C', 4] }];
  g.outputs = [{ name: 'v', dtype: 'float32', shape: ['N', 'C', 4] }, { name: 'z', dtype: 'int64', shape: ['N', 'C', 4] }];
  g.initializers.set('w', new Tensor('float32', [4], new Float32Array([1, 2, 3, 4])));
  const cast = new Node('cast', 'Cast', ['y'], ['z']);
  cast.attrs.set('to', { kind: 'int', value: 7 });
  g.nodes = [new Node('relu', 'Relu', ['x'], ['y']), new Node('add', 'Add', ['y', 'w'], ['v']), cast];
  return new Model(g);
}

function compileTiny(shape: number[]) {
  const addon = native();
  const graph = tinyModel().graph;
  const compiled = compilePlan(graph, {
    inputShapes: new Map([['x', shape]]), inputValues: new Map(), outputs: ['v', 'z'], fuse: true, engineOps: new Set(addon.capabilities().ops),
  });
  return { compiled, session: new addon.NativeSession(compiled.plan, { threads: 2 }) };
}

const ramp = (n: number, f: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => f(i));

describe('NativeObserver', () => {
  const { NativeObserver } = native();

  it('validates its config with TypeError / RangeError and code INVALID_ARGUMENT', () => {
    const bad: [unknown, ErrorConstructor, string][] = [
      [undefined, TypeError, 'Expected a config object for NativeObserver but received undefined'],
      [[1], TypeError, 'Expected a config object for NativeObserver but received an array'],
      [{}, TypeError, 'Expected an array for config.tensors but received undefined'],
      [{ tensors: [1.5] }, RangeError, 'Expected an integer in [0, 1073741824] for config.tensors[0] but received 1.5'],
      [{ tensors: [-1] }, RangeError, 'for config.tensors[0] but received -1'],
      [{ tensors: [1], names: ['a', 'b'] }, RangeError, 'Expected 1 names (one per tensor) for config.names but received 2'],
      [{ tensors: [1], names: [3] }, TypeError, 'Expected a string for config.names[0] but received a number'],
      [{ tensors: [], bins: 0 }, RangeError, 'Expected an integer in [1, 16777216] for config.bins but received 0'],
      [{ tensors: [], bins: '9' }, TypeError, 'Expected a number for config.bins but received a string'],
      [{ tensors: [], histogram: 1 }, TypeError, 'Expected a boolean for config.histogram but received a number'],
      [{ tensors: [], perChannel: 'no' }, TypeError, 'Expected a boolean for config.perChannel but received a string'],
      [{ tensors: [], emaMomentum: -0.5 }, RangeError, 'Expected a number in [0, 1] for config.emaMomentum but received -0.5'],
      [{ tensors: [], emaMomentum: NaN }, RangeError, 'for config.emaMomentum but received nan'],
    ];
    for (const [cfg, type, msg] of bad) {
      let err: (Error & { code?: string }) | undefined;
      try {
        new NativeObserver(cfg as never);
      } catch (e) {
        err = e as Error;
      }
      expect(err!.name).toBe(type.name);  // the addon's errors come from the outer realm: compare names
      expect(err!.message).toContain(msg);
      expect(err!.code).toBe('INVALID_ARGUMENT');
    }
    const o = new NativeObserver({ tensors: [3, 4], bins: 16 });
    expect(o.size).toBe(2);
    expect(o.stats()[1]).toMatchObject({ id: 4, count: 0, runs: 0, min: Infinity, max: -Infinity, histMax: 0 });
    expect(o.stats()[1].histogram).toHaveLength(16);
  });

  it('refuses tensors it cannot observe, naming them, and objects that are not observers', async () => {
    const { compiled, session } = compileTiny([2, 3, 4]);
    const id = (n: string) => compiled.tensorIds.get(n)!;
    const x = ramp(24, (i) => i - 12);
    const run = (o: NativeObserverType, extra: object = {}) => session.run([x], { observer: o, ...extra });
    // Checked when run() is called: it throws before queuing the run.
    expect(() => run(new NativeObserver({ tensors: [id('z')], names: ['z'] })))
      .toThrow(`cannot observe tensor ${id('z')} ("z"): it is int64, and only float32 tensors can be observed`);
    expect(() => run(new NativeObserver({ tensors: [id('w')], names: ['w'] })))
      .toThrow(`cannot observe tensor ${id('w')} ("w"): it is a constant`);
    expect(() => run(new NativeObserver({ tensors: [999] }))).toThrow('cannot observe tensor 999: the plan has');
    const ok = new NativeObserver({ tensors: [id('y')] });
    expect(() => session.run([x], { observer: {} as NativeObserverType })).toThrow(new TypeError('Expected a NativeObserver for options.observer but received an object'));
    expect(() => session.run([x], 5 as never)).toThrow('Expected an options object for run() but received a number');
    expect(() => run(ok, { tensorIds: [1, 2] })).toThrow('Expected 1 tensor ids (one per observed tensor) for options.tensorIds but received 2');
    expect(() => run(ok, { tensorIds: [-2] })).toThrow('Expected an integer in [-1, 1073741824] for options.tensorIds[0] but received -2');
    // A slot mapped to -1 is simply not observed in this run.
    await run(ok, { tensorIds: [-1] });
    expect(ok.stats()[0].runs).toBe(0);
    session.dispose();
  });

  it('observes graph inputs and node outputs, accumulates over runs, merges concurrent runs, and resets', async () => {
    const { compiled, session } = compileTiny([2, 3, 4]);
    const ids = ['x', 'y', 'v'].map((n) => compiled.tensorIds.get(n)!);
    const o = new NativeObserver({ tensors: ids, names: ['x', 'y', 'v'], emaMomentum: 0.5, perChannel: true, bins: 8 });
    const a = ramp(24, (i) => (i - 12) / 4);       // [-3, 2.75]
    const b = ramp(24, (i) => (i % 5 === 0 ? NaN : i / 2)); // NaN or [0.5, 11.5]
    await session.run([a], { observer: o });
    await session.run([b], { observer: o });
    const [sx, sy, sv] = o.stats();
    expect(sx).toMatchObject({ count: 48, nonFinite: 5, runs: 2, min: -3, max: 11.5, emaMin: -3 + 0.5 * (0.5 + 3), emaMax: 2.75 + 0.5 * (11.5 - 2.75), histMax: 16 });
    expect(sy).toMatchObject({ count: 48, nonFinite: 5, min: 0, max: 11.5 });
    expect(sv.min).toBe(1);  // relu(x) + w, w >= 1
    // x histogram at range 16 over 8 bins (width 2): run a (|x| <= 3, range 4) widened into range 16.
    const want = new Float64Array(8);
    for (const d of [a, b]) for (const v of d) if (Number.isFinite(v)) want[Math.min(7, Math.floor(Math.abs(v) / 2))]++;
    expect(Array.from(sx.histogram!)).toEqual(Array.from(want));
    // Per channel of x [2, 3, 4]: channel c holds elements n*12 + c*4 .. + 4.
    const cmin = [0, 1, 2].map((c) => Math.min(...[a, b].flatMap((d) => [0, 1].flatMap((n) => Array.from(d.subarray(n * 12 + c * 4, n * 12 + c * 4 + 4)))).filter(Number.isFinite)));
    expect(Array.from(sx.channelMin!)).toEqual(cmin);

    // Concurrent runs on one observer give the same totals as sequential ones.
    const c = new NativeObserver({ tensors: ids, bins: 8 });
    await Promise.all([a, b, a, b].map((d) => session.run([d], { observer: c })));
    const s = new NativeObserver({ tensors: ids, bins: 8 });
    for (const d of [a, b, a, b]) await session.run([d], { observer: s });
    expect(c.stats()).toEqual(s.stats());
    // A run that cannot be merged (per-channel x with 5 channels after 3) rejects and changes nothing.
    const other = compileTiny([1, 5, 4]);
    const before = o.stats();
    const otherIds = ['x', 'y', 'v'].map((n) => other.compiled.tensorIds.get(n)!);
    await expect(other.session.run([ramp(20, (i) => i)], { observer: o, tensorIds: otherIds }))
      .rejects.toMatchObject({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('("x") has 5 channels (axis 1) in this run but had 3 before') });
    expect(o.stats()).toEqual(before);
    other.session.dispose();
    c.reset();
    expect(c.stats()[0]).toMatchObject({ count: 0, runs: 0, min: Infinity, histMax: 0 });
    expect(c.stats()[0].histogram!.every((v) => v === 0)).toBe(true);
    session.dispose();
  });
});

/** x [2, 3, 4] -> Relu -> r -> Reshape [2, 3, 2, 2] -> s; x -> Clip(0, 6) -> c. */
function activationModel(): Graph {
  const g = new Graph();
  g.inputs = [{ name: 'x', dtype: 'float32', shape: [2, 3, 4] }];
  g.outputs = [{ name: 's', dtype: 'float32', shape: [2, 3, 2, 2] }, { name: 'c', dtype: 'float32', shape: [2, 3, 4] }];
  g.initializers.set('lo', new Tensor('float32', [], new Float32Array([0])));
  g.initializers.set('hi', new Tensor('float32', [], new Float32Array([6])));
  g.initializers.set('shape', new Tensor('int64', [4], new BigInt64Array([2n, 3n, 2n, 2n])));
  g.nodes = [new Node('relu', 'Relu', ['x'], ['r']), new Node('reshape', 'Reshape', ['r', 'shape'], ['s']), new Node('clip', 'Clip', ['x', 'lo', 'hi'], ['c'])];
  return g;
}

describe('NativeObserver derived results', () => {
  it('derives Relu, Clip(0, hi) and Reshape outputs from their observed input exactly as a scan would give them', async () => {
    const addon = native();
    const compiled = compilePlan(activationModel(), {
      inputShapes: new Map([['x', [2, 3, 4]]]), inputValues: new Map(), outputs: ['s', 'c'], fuse: false, engineOps: new Set(addon.capabilities().ops),
    });
    const session = new addon.NativeSession(compiled.plan, { threads: 1 });
    const id = (n: string) => compiled.tensorIds.get(n)!;
    const cfg = { bins: 2048, emaMomentum: 0.25, perChannel: true };
    const all = new addon.NativeObserver({ tensors: ['x', 'r', 's', 'c'].map(id), ...cfg });
    const alone = ['r', 's', 'c'].map((n) => new addon.NativeObserver({ tensors: [id(n)], ...cfg }));  // input not observed: scanned
    const runs = [
      ramp(24, (i) => (i - 9) * 0.61),            // max 8.54 >= 8: x's values >= 8 kept apart (HIGH)
      ramp(24, (i) => (i - 12) * 0.3),            // max 3.3 <= 6: the Clip acts as a Relu
      ramp(24, (i) => (i % 7) - 1.25 + (i === 5 ? 4.5 : 0)),  // max 8.25: HIGH again
      ramp(24, (i) => (i === 3 ? 7.25 : (i % 5) - 2)),        // max 7.25 in [6, 8): bins from 6 up merged into 6's
      ramp(24, (i) => (i === 4 ? NaN : i - 20)),  // a NaN: both scanned
    ];
    for (const x of runs) {
      await session.run([x], { observer: all });
      for (const o of alone) await session.run([x], { observer: o });
    }
    const st = all.stats();
    ['r', 's', 'c'].forEach((n, k) => {
      const { derived, ...mine } = st[k + 1];
      const { derived: none, ...ref } = alone[k].stats()[0];
      expect(none).toBe(0);
      expect({ n, ...mine }).toEqual({ n, ...ref, id: id(n) });
    });
    expect(st[1].derived).toBe(4);  // Relu: every run but the NaN one
    expect(st[2].derived).toBe(5);  // Reshape of r keeping axes 0 and 1: always the same values
    expect(st[3].derived).toBe(4);  // Clip: every run but the NaN one
    session.dispose();
  });
});

describe('collectStatistics with plans of several shapes', () => {
  it('maps tensors per plan and refuses a per-channel tensor whose channel count changes', async () => {
    const session = await Session.create(tinyModel());
    const batch = (n: number, c: number) => ({ x: new Tensor('float32', [n, c, 4], ramp(n * c * 4, (i) => i - 7)) });
    const stats = await collectStatistics(session, [batch(2, 3), batch(5, 3)], { perChannel: true });
    expect([...stats.keys()]).toEqual(['x', 'y', 'v']);  // z is int64: not observed by default
    expect(stats.get('x')!.count).toBe(2 * 12 + 5 * 12);
    expect(stats.get('x')!.channelMin).toHaveLength(3);
    await expect(collectStatistics(session, [batch(2, 3), batch(2, 5)], { perChannel: true }))
      .rejects.toMatchObject({ code: 'SHAPE_MISMATCH', message: expect.stringContaining('("x") has 5 channels (axis 1) in this run but had 3 before') });
    // Without per-channel statistics the channel count may change.
    const mixed = await collectStatistics(session, [batch(2, 3), batch(2, 5)]);
    expect(mixed.get('y')!.count).toBe(24 + 40);
    await expect(collectStatistics(session, [batch(1, 3)], { tensors: ['z'] })).rejects.toThrow('cannot observe "z": it is not float32');
    session.dispose();
  });
});
