import * as path from 'path';
import { Graph, Model, Node } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { NpuqError } from '../../lib/errors';
import { Session } from '../../lib/runtime/session';
import { capabilities } from '../../lib/capabilities';
import { loadModel } from '../../lib/io/onnx';
import { readNpy } from '../../lib/data/npy';

const EXAMPLE = path.join(__dirname, '../../examples/digits');

function tinyModel(build: (g: Graph) => void): Model {
  const g = new Graph();
  build(g);
  g.sortTopologically();
  return new Model(g);
}

describe('Session', () => {
  it('runs the bundled digits model and predicts the labels of the example batch', async () => {
    const s = await Session.create(path.join(EXAMPLE, 'digits_cnn.onnx'), { threads: 2 });
    const x = readNpy(path.join(EXAMPLE, 'digits_8.npy'));
    const { logits } = await s.run({ input: x });
    expect(logits.shape).toEqual([8, 10]);
    const l = logits.data as Float32Array;
    const pred = Array.from({ length: 8 }, (_, i) => {
      let best = 0;
      for (let k = 1; k < 10; k++) if (l[i * 10 + k] > l[i * 10 + best]) best = k;
      return best;
    });
    expect(pred).toEqual([6, 5, 2, 2, 0, 8, 1, 1]);
    s.dispose();
  });

  it('compiles one plan per input shape and gives per-sample results independent of the batch', async () => {
    const s = await Session.create(path.join(EXAMPLE, 'digits_cnn.onnx'));
    const x = readNpy(path.join(EXAMPLE, 'digits_8.npy'));
    const all = (await s.run({ input: x })).logits.data as Float32Array;
    const one = new Tensor('float32', [1, 1, 20, 20], (x.data as Float32Array).slice(400 * 3, 400 * 4));
    const r = (await s.run({ input: one })).logits.data as Float32Array;
    for (let k = 0; k < 10; k++) expect(r[k]).toBeCloseTo(all[30 + k], 4);
    s.dispose();
  });

  it('returns intermediate values on request', async () => {
    const s = await Session.create(path.join(EXAMPLE, 'digits_cnn.onnx'), { fuse: false });
    const x = readNpy(path.join(EXAMPLE, 'digits_8.npy'));
    const conv = s.graph.nodes.find((n) => n.opType === 'Conv')!;
    const out = await s.run({ input: x }, { outputs: [conv.outputs[0], 'logits'] });
    expect(out[conv.outputs[0]].shape[0]).toBe(8);
    expect(out.logits.shape).toEqual([8, 10]);
    s.dispose();
  });

  it('rejects bad feeds with clear messages', async () => {
    const s = await Session.create(path.join(EXAMPLE, 'digits_cnn.onnx'));
    await expect(s.run({})).rejects.toThrow(/missing input "input"/);
    await expect(s.run({ input: Tensor.zeros('float32', [1, 1, 20, 20]), other: Tensor.zeros('float32', [1]) })).rejects.toThrow(/"other" is not an input/);
    await expect(s.run({ input: Tensor.zeros('int32', [1, 1, 20, 20]) })).rejects.toThrow(/Expected a float32 tensor for input "input" but received int32/);
    await expect(s.run({ input: Tensor.zeros('float32', [1, 3, 20, 20]) })).rejects.toMatchObject({ code: 'SHAPE_MISMATCH' });
    s.dispose();
    await expect(s.run({ input: Tensor.zeros('float32', [1, 1, 20, 20]) })).rejects.toMatchObject({ code: 'DISPOSED' });
  });

  it('runSync gives run()\'s results on the calling thread, compiling new shapes itself', async () => {
    const s = await Session.create(path.join(EXAMPLE, 'digits_cnn.onnx'), { threads: 2 });
    const x = readNpy(path.join(EXAMPLE, 'digits_8.npy'));
    const first = s.runSync({ input: x });  // no plan yet: compiled synchronously
    const viaRun = await s.run({ input: x });  // now reuses that plan
    expect(Buffer.from((first.logits.data as Float32Array).buffer).equals(Buffer.from((viaRun.logits.data as Float32Array).buffer))).toBe(true);
    const one = new Tensor('float32', [1, 1, 20, 20], (x.data as Float32Array).slice(0, 400));
    const a = (await s.run({ input: one })).logits.data as Float32Array;
    const b = s.runSync({ input: one }).logits.data as Float32Array;
    expect(Array.from(b)).toEqual(Array.from(a));
    const conv = s.graph.nodes.find((n) => n.opType === 'Conv')!;
    expect(s.runSync({ input: one }, { outputs: [conv.outputs[0]] })[conv.outputs[0]].shape).toEqual([1, 16, 20, 20]);
    s.dispose();
  });

  it('runSync rejects bad feeds, a plan still compiling and a disposed session', async () => {
    const s = await Session.create(path.join(EXAMPLE, 'digits_cnn.onnx'));
    expect(() => s.runSync({})).toThrow(/missing input "input"/);
    expect(() => s.runSync({ input: Tensor.zeros('int32', [1, 1, 20, 20]) })).toThrow(/Expected a float32 tensor/);
    expect(() => s.runSync({ input: Tensor.zeros('float32', [1, 3, 20, 20]) })).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => s.runSync(null as never)).toThrow(/Expected an object of input tensors for runSync/);
    // (Batch 1: a larger batch first decides, asynchronously, whether it runs in chunks of rows.)
    const pending = s.run({ input: Tensor.zeros('float32', [1, 1, 20, 20]) });  // its plan compiles asynchronously
    expect(() => s.runSync({ input: Tensor.zeros('float32', [1, 1, 20, 20]) })).toThrow(/still being compiled by a run\(\) in flight/);
    await pending;
    expect(s.runSync({ input: Tensor.zeros('float32', [1, 1, 20, 20]) }).logits.shape).toEqual([1, 10]);
    // A batch whose split decision is still pending in a run() is decided and compiled by runSync.
    const pending2 = s.run({ input: Tensor.zeros('float32', [2, 1, 20, 20]) });
    expect(s.runSync({ input: Tensor.zeros('float32', [2, 1, 20, 20]) }).logits.shape).toEqual([2, 10]);
    expect((await pending2).logits.shape).toEqual([2, 10]);
    s.dispose();
    expect(() => s.runSync({ input: Tensor.zeros('float32', [1, 1, 20, 20]) })).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });

  it('lists every unsupported operator with its nodes at create time', async () => {
    const m = tinyModel((g) => {
      g.inputs = [{ name: 'x', dtype: 'float32', shape: [1, 4] }];
      g.outputs = [{ name: 'z', dtype: 'float32', shape: [1, 4] }];
      g.nodes = [new Node('a', 'FancyOp', ['x'], ['y']), new Node('b', 'OtherOp', ['y'], ['z']), new Node('c', 'FancyOp', ['x'], ['w'])];
    });
    const err = await Session.create(m).catch((e) => e);
    expect(err).toBeInstanceOf(NpuqError);
    expect(err.code).toBe('UNSUPPORTED');
    expect(err.message).toMatch(/FancyOp \(a, c\)/);
    expect(err.message).toMatch(/OtherOp \(b\)/);
  });

  it('resizes by nearest any element type, reusing repeated rows, up and down, with extrapolation', async () => {
    // asymmetric + floor: output o of an axis reads input floor(o / scale).
    const cases: [string, number[], number[]][] = [
      ['uint8', [1, 2, 3, 5], [1, 1, 2, 2]],
      ['int16', [2, 3, 4, 4], [1, 1, 0.5, 0.5]],
      ['float32', [1, 2, 4, 3], [1, 1, 3, 1.5]],
      ['int64', [1, 3, 2, 2], [1, 2, 2, 3]],
      ['int8', [1, 1, 1, 7], [1, 1, 4, 1]],
    ];
    for (const [dtype, shape, scales] of cases) {
      const out = shape.map((d, i) => Math.floor(d * scales[i]));
      const m = tinyModel((g) => {
        g.inputs = [{ name: 'x', dtype: dtype as 'uint8', shape }];
        g.outputs = [{ name: 'y', dtype: dtype as 'uint8', shape: out }];
        g.initializers.set('scales', new Tensor('float32', [4], Float32Array.from(scales)));
        const n = new Node('r', 'Resize', ['x', '', 'scales'], ['y']);
        n.attrs.set('mode', { kind: 'string', value: 'nearest' });
        n.attrs.set('coordinate_transformation_mode', { kind: 'string', value: 'asymmetric' });
        n.attrs.set('nearest_mode', { kind: 'string', value: 'floor' });
        g.nodes = [n];
      });
      const count = shape.reduce((a, b) => a * b, 1);
      const x = Tensor.zeros(dtype as 'uint8', shape);
      for (let i = 0; i < count; i++) (x.data as Uint8Array)[i] = (dtype === 'int64' ? BigInt(i * 7919 - 300) : (i * 37 + 11) % 100) as never;
      const s = await Session.create(m, { threads: 2 });
      const y = (await s.run({ x })).y;
      s.dispose();
      expect(y.shape).toEqual(out);
      const xs = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
      let k = 0;
      for (let a = 0; a < out[0]; a++) for (let b = 0; b < out[1]; b++) for (let c = 0; c < out[2]; c++) for (let d = 0; d < out[3]; d++) {
        const src = [a, b, c, d].map((o, i) => Math.min(Math.floor(o / scales[i]), shape[i] - 1));
        expect([dtype, k, y.data[k++]]).toEqual([dtype, k - 1, x.data[src.reduce((acc, v, i) => acc + v * xs[i], 0)]]);
      }
    }
    // tf_crop_and_resize: rows and columns outside the box take extrapolation_value, never a copied row.
    const crop = async (roi: number[], scales: number[], out: number[]): Promise<number[]> => {
      const m = tinyModel((g) => {
        g.inputs = [{ name: 'x', dtype: 'float32', shape: [1, 1, 2, 2] }];
        g.outputs = [{ name: 'y', dtype: 'float32', shape: out }];
        g.initializers.set('roi', new Tensor('float32', [8], Float32Array.from(roi)));
        g.initializers.set('scales', new Tensor('float32', [4], Float32Array.from(scales)));
        const n = new Node('r', 'Resize', ['x', 'roi', 'scales'], ['y']);
        n.attrs.set('mode', { kind: 'string', value: 'nearest' });
        n.attrs.set('coordinate_transformation_mode', { kind: 'string', value: 'tf_crop_and_resize' });
        n.attrs.set('extrapolation_value', { kind: 'float', value: -9 });
        g.nodes = [n];
      });
      const s = await Session.create(m);
      const y = (await s.run({ x: new Tensor('float32', [1, 1, 2, 2], Float32Array.from([1, 2, 3, 4])) })).y;
      s.dispose();
      return Array.from(y.data as Float32Array);
    };
    // The box spans input coordinates -0.5 .. 1.5 over 4 outputs: -0.5, 0.17, 0.83, 1.5.
    expect(await crop([0, 0, -0.5, -0.5, 1, 1, 1.5, 1.5], [1, 1, 2, 2], [1, 1, 4, 4])).toEqual([-9, -9, -9, -9, -9, 1, 2, -9, -9, 3, 4, -9, -9, -9, -9, -9]);
    // Rows at 0, 1.5, 3: the first reads input row 0, the next two are outside (as if reading row 0 too).
    expect(await crop([0, 0, 0, 0, 1, 1, 3, 1], [1, 1, 1.5, 1], [1, 1, 3, 2])).toEqual([1, 2, -9, -9, -9, -9]);
  });

  it('runs the scalar reference when asked and agrees with the default tier', async () => {
    const model = await loadModel(path.join(EXAMPLE, 'digits_cnn.onnx'));
    const x = readNpy(path.join(EXAMPLE, 'digits_8.npy'));
    const a = await Session.create(model);
    const b = await Session.create(model, { maxIsa: 'scalar' });
    const ya = (await a.run({ input: x })).logits.data as Float32Array;
    const yb = (await b.run({ input: x })).logits.data as Float32Array;
    for (let i = 0; i < ya.length; i++) expect(Math.abs(ya[i] - yb[i])).toBeLessThan(1e-4);
    await expect(Session.create(model, { maxIsa: 'vax' }).then((s) => s.run({ input: x }))).rejects.toThrow(/maxIsa/);
    a.dispose();
    b.dispose();
  });

  it('keeps the event loop free while a batch runs', async () => {
    const s = await Session.create(path.join(EXAMPLE, 'digits_cnn.onnx'), { threads: 1 });
    const x = new Tensor('float32', [256, 1, 20, 20], new Float32Array(256 * 400).map((_, i) => (i % 97) / 97));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const t0 = Date.now();
    await s.run({ input: x });
    await s.run({ input: x });
    const elapsed = Date.now() - t0;
    clearInterval(timer);
    // The timer kept firing during the runs (not a timing goal: only that JS was not blocked).
    if (elapsed > 20) expect(ticks).toBeGreaterThan(0);
    s.dispose();
  });

  it('reports capabilities', () => {
    const c = capabilities();
    expect(c.isas[c.isas.length - 1]).toBe('scalar');
    expect(c.isas).toContain(c.isa);
    expect(c.ops).toEqual(expect.arrayContaining(['Conv', 'Gemm', 'MatMul', 'Resize', 'Copy']));
  });
});

describe('NativeSession guards', () => {
  it('rejects malformed plans with codes instead of crashing', () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { native } = require('../../lib/native');
    const { NativeSession } = native();
    const bad = [
      [undefined, /Expected a plan object/],
      [{ tensors: 5 }, /Expected an array for plan.tensors/],
      [{ tensors: [{ dtype: 1, shape: [-1], offset: 0 }], nodes: [], inputs: [], outputs: [], arenaBytes: 0 }, /Expected an integer/],
      [{ tensors: [{ dtype: 40, shape: [1], offset: 0 }], nodes: [], inputs: [], outputs: [], arenaBytes: 64 }, /data type code 40/],
      [{ tensors: [{ dtype: 1, shape: [4], offset: 0 }], nodes: [], inputs: [0], outputs: [0], arenaBytes: 8 }, /outside the arena/],
      [{ tensors: [{ dtype: 1, shape: [4], offset: 0 }], nodes: [{ op: 'Relu', name: 'r', inputs: [3], outputs: [0], attrs: {} }], inputs: [], outputs: [0], arenaBytes: 64 }, /does not exist/],
      [{ tensors: [{ dtype: 1, shape: [4], offset: 0 }, { dtype: 1, shape: [5], offset: 64 }], nodes: [{ op: 'Relu', name: 'r', inputs: [0], outputs: [1], attrs: {} }], inputs: [0], outputs: [1], arenaBytes: 128 }, /output shape differs/],
      [{ tensors: [{ dtype: 1, shape: [4], offset: 0 }], nodes: [{ op: 'Nope', name: 'n', inputs: [0], outputs: [0], attrs: {} }], inputs: [0], outputs: [0], arenaBytes: 64 }, /no op "Nope"/],
      [{ tensors: [{ dtype: 1, shape: [4], data: new Float32Array(3) }], nodes: [], inputs: [], outputs: [0], arenaBytes: 0 }, /12 bytes instead of 16/],
    ] as const;
    for (const [plan, msg] of bad) {
      expect(() => new NativeSession(plan, { threads: 1 })).toThrow(msg);
    }
  });

  it('checks run() inputs', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { native } = require('../../lib/native');
    const { NativeSession } = native();
    const plan = { tensors: [{ dtype: 1, shape: [4], offset: 0 }, { dtype: 1, shape: [4], offset: 64 }], nodes: [{ op: 'Relu', name: 'r', inputs: [0], outputs: [1], attrs: {} }], inputs: [0], outputs: [1], arenaBytes: 128 };
    const s = new NativeSession(plan, { threads: 1 });
    expect(() => s.run([new Float32Array(3)])).toThrow(/Expected 16 bytes for input 0 but received 12/);
    expect(() => s.run('x')).toThrow(/Expected an array of inputs/);
    expect(() => s.run([{}])).toThrow(/Expected an ArrayBufferView/);
    const [y] = await s.run([new Float32Array([-1, 2, -3, 4])]);
    expect(Array.from(y as Float32Array)).toEqual([0, 2, 0, 4]);
    expect(Array.from(s.runSync([new Float32Array([5, -6, 7, -8])])[0] as Float32Array)).toEqual([5, 0, 7, 0]);
    expect(() => s.runSync([new Float32Array(3)])).toThrow(/Expected 16 bytes for input 0 but received 12/);
    expect(() => s.runSync('x')).toThrow(/Expected an array of inputs for runSync\(\)/);
    s.dispose();
    await expect(s.run([new Float32Array(4)])).rejects.toMatchObject({ code: 'DISPOSED' });
    expect(() => s.runSync([new Float32Array(4)])).toThrow(expect.objectContaining({ code: 'DISPOSED' }));
  });

  it('rounds float32 tensors to float16 and bfloat16 precision (mixed-precision emulation)', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { native } = require('../../lib/native');
    const { NativeSession } = native();
    const x = new Float32Array([1 + 1 / 2048, 1 + 3 / 2048, 65519, 65520, 5.9604644775390625e-8, 2.98023223876953125e-8, -0, NaN]);
    const run = async (op: string) => {
      const plan = { tensors: [{ dtype: 1, shape: [8], offset: 0 }, { dtype: 1, shape: [8], offset: 64 }], nodes: [{ op, name: 'r', inputs: [0], outputs: [1], attrs: {} }], inputs: [0], outputs: [1], arenaBytes: 128 };
      const s = new NativeSession(plan, { threads: 1 });
      const [y] = await s.run([x]);
      s.dispose();
      return Array.from(y as Float32Array);
    };
    const h = await run('RoundFloat16');
    expect(h.slice(0, 7)).toEqual([1, 1 + 4 / 2048, 65504, Infinity, 5.9604644775390625e-8, 0, -0]);
    expect(Number.isNaN(h[7])).toBe(true);
    const b = await run('RoundBFloat16');
    expect(b[0]).toBe(1);
    expect(b[2]).toBe(65536);
  });
});
