import * as path from 'path';
import { collectStatistics, type TensorStats } from '../../lib/calibrate/observe';
import { readNpy } from '../../lib/data/npy';
import { NpuqError } from '../../lib/errors';
import { Tensor } from '../../lib/ir/tensor';
import { Session } from '../../lib/runtime/session';

const MODELS = path.join(__dirname, '../fixtures/models');
const X = readNpy(path.join(__dirname, '../fixtures/digits/x.npy'));  // [500, 1, 20, 20]
const PER = 400;

function samples(from: number, to: number, scale = 1): Tensor {
  const d = (X.data as Float32Array).slice(from * PER, to * PER);
  if (scale !== 1) for (let i = 0; i < d.length; i++) d[i] = Math.fround(d[i] * scale);
  return new Tensor('float32', [to - from, 1, 20, 20], d);
}

function batchesOf(sizes: number[]): Tensor[] {
  const out: Tensor[] = [];
  let at = 0;
  for (const s of sizes) {
    out.push(samples(at, at + s));
    at += s;
  }
  return out;
}

/** Min/max over the finite values (zeros as +0, like the engine), and the non-finite count. */
function finiteRange(d: Float32Array): { min: number; max: number; bad: number } {
  let min = Infinity, max = -Infinity, bad = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!Number.isFinite(v)) bad++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return { min: min + 0, max: max + 0, bad };
}

/** |x| histogram at range m (exact in doubles: |x| * bins has <= 35 significant bits, m is a power of two). */
function jsHistogram(arrays: Float32Array[], bins: number, m: number): Float64Array {
  const h = new Float64Array(bins);
  for (const d of arrays) {
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (!Number.isFinite(v)) continue;
      h[Math.min(bins - 1, Math.floor((Math.abs(v) * bins) / m))]++;
    }
  }
  return h;
}

function expectPowerOfTwoAbove(st: TensorStats): void {
  const m = st.histogram!.max;
  const absmax = Math.max(-st.min, st.max);
  if (absmax === 0) {
    expect(m).toBe(0);
    return;
  }
  expect(Number.isInteger(Math.log2(m))).toBe(true);
  expect(m).toBeGreaterThan(absmax);
  expect(m / 2).toBeLessThanOrEqual(absmax);
}

describe('collectStatistics', () => {
  let session: Session;
  beforeAll(async () => {
    session = await Session.create(path.join(MODELS, 'digits_cnn.onnx'), { threads: 2 });
  });
  afterAll(() => session.dispose());

  it('equals min/max/count/EMA/histograms/per-channel computed in JS from the same tensors, over batches of two shapes', async () => {
    const batches = batchesOf([64, 64, 64, 40]);  // the last batch compiles a second plan
    const progress: number[] = [];
    const stats = await collectStatistics(session, batches.map((input) => ({ input })), {
      emaMomentum: 0.1, perChannel: true, onProgress: (n) => progress.push(n),
    });
    expect(progress).toEqual([64, 128, 192, 232]);
    const names = [...stats.keys()];
    // Every float32 activation, the Conv outputs too (Relu is not fused into Conv while observing).
    expect(names[0]).toBe('input');
    for (const n of session.graph.nodes) expect(names).toContain(n.outputs[0]);
    expect(names).toHaveLength(1 + session.graph.nodes.length);

    const values = new Map<string, Float32Array[]>(names.map((n) => [n, []]));
    const shapes = new Map<string, number[]>();
    const ema = new Map<string, { min: number; max: number }>();
    for (const input of batches) {
      const out = await session.run({ input }, { outputs: names });
      for (const n of names) {
        const d = out[n].data as Float32Array;
        values.get(n)!.push(d);
        shapes.set(n, out[n].shape.slice());
        const r = finiteRange(d);
        const e = ema.get(n);
        ema.set(n, e ? { min: e.min + 0.1 * (r.min - e.min), max: e.max + 0.1 * (r.max - e.max) } : { min: r.min, max: r.max });
      }
    }
    for (const n of names) {
      const st = stats.get(n)!;
      const arrays = values.get(n)!;
      const parts = arrays.map(finiteRange);
      const all = { min: Math.min(...parts.map((p) => p.min)), max: Math.max(...parts.map((p) => p.max)) };
      expect({ name: n, count: st.count, min: st.min, max: st.max, nonFinite: st.nonFinite }).toEqual({
        name: n, count: arrays.reduce((s, a) => s + a.length, 0), min: all.min, max: all.max, nonFinite: 0,
      });
      expect(st.name).toBe(n);
      expect([st.emaMin, st.emaMax]).toEqual([ema.get(n)!.min, ema.get(n)!.max]);
      expectPowerOfTwoAbove(st);
      const counts = st.histogram!.counts;
      expect(counts).toHaveLength(2048);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(st.count - st.nonFinite);
      expect(Array.from(counts)).toEqual(Array.from(jsHistogram(arrays, 2048, st.histogram!.max)));
      // Per channel (axis 1): every tensor of this model has rank >= 2.
      const shape = shapes.get(n)!;
      const C = shape[1], inner = shape.slice(2).reduce((a, b) => a * b, 1);
      const cmin = new Array<number>(C).fill(Infinity), cmax = new Array<number>(C).fill(-Infinity);
      for (const a of arrays) {
        for (let b = 0; b < a.length; b += inner) {
          const c = (b / inner) % C;
          const r = finiteRange(a.subarray(b, b + inner));
          if (r.min < cmin[c]) cmin[c] = r.min;
          if (r.max > cmax[c]) cmax[c] = r.max;
        }
      }
      expect(Array.from(st.channelMin!)).toEqual(cmin.map((v) => v + 0));
      expect(Array.from(st.channelMax!)).toEqual(cmax.map((v) => v + 0));
    }
  });

  it('grows the histogram range: a small batch then a 100x larger one equals one pass over both at the final range', async () => {
    const small = samples(0, 64, 0.01), large = samples(64, 128);
    const first = await collectStatistics(session, [{ input: small }]);
    expect(first.get('input')!.histogram!.max).toBe(1 / 64);  // max |x| 0.01 < 2^-6
    const grown = await collectStatistics(session, [{ input: small }, { input: large }]);
    const both = new Float32Array(128 * PER);
    both.set(small.data as Float32Array);
    both.set(large.data as Float32Array, 64 * PER);
    const once = await collectStatistics(session, [{ input: new Tensor('float32', [128, 1, 20, 20], both) }]);
    expect(grown.get('input')!.histogram!.max).toBe(2);  // max |x| 1
    expect(Array.from(grown.get('input')!.histogram!.counts)).toEqual(Array.from(jsHistogram([both], 2048, 2)));
    for (const [n, st] of once) {
      const g = grown.get(n)!;
      expect({ n, count: g.count, min: g.min, max: g.max, histMax: g.histogram!.max }).toEqual({
        n, count: st.count, min: st.min, max: st.max, histMax: st.histogram!.max,
      });
      expect(Array.from(g.histogram!.counts)).toEqual(Array.from(st.histogram!.counts));
    }
  });

  it('counts NaN and Inf inputs as non-finite and keeps them out of min/max and the histograms', async () => {
    const x = samples(0, 8);
    const d = x.data as Float32Array;
    d[5] = NaN;
    d[17] = Infinity;
    d[400 * 3 + 2] = -Infinity;
    d[400 * 7 + 399] = NaN;
    const stats = await collectStatistics(session, [{ input: x }]);
    const st = stats.get('input')!;
    const clean = d.filter((v) => Number.isFinite(v));
    expect(st.nonFinite).toBe(4);
    expect(st.count).toBe(8 * PER);
    expect(st.min).toBe(Math.min(...clean) + 0);
    expect(st.max).toBe(Math.max(...clean));
    for (const s of stats.values()) expect(s.histogram!.counts.reduce((a, b) => a + b, 0)).toBe(s.count - s.nonFinite);
    // The NaNs propagate: downstream tensors count theirs too.
    expect([...stats.values()].some((s) => s.name !== 'input' && s.nonFinite > 0)).toBe(true);
  });

  it('gives the same statistics with 1 or 2 threads and with the scalar kernels', async () => {
    const feeds = batchesOf([100, 100, 50]).map((input) => ({ input }));
    const scalar = await Session.create(path.join(MODELS, 'digits_cnn.onnx'), { threads: 1, maxIsa: 'scalar' });
    try {
      const a = await collectStatistics(scalar, feeds, { perChannel: true });
      const b = await collectStatistics(session, feeds, { perChannel: true });
      expect([...a.keys()]).toEqual([...b.keys()]);
      for (const [n, st] of a) expect(b.get(n)).toEqual(st);
    } finally {
      scalar.dispose();
    }
  });

  it('gives activation and reshape outputs derived from their observed inputs the statistics a scan of them gives', async () => {
    const mobile = await Session.create(path.join(MODELS, 'digits_mobilenetv2.onnx'), { threads: 2 });
    try {
      const x32 = readNpy(path.join(__dirname, '../fixtures/digits/x32.npy'));
      const feeds = [0, 1, 2].map((b) => ({ input: new Tensor('float32', [16, 1, 32, 32], (x32.data as Float32Array).slice(b * 16 * 1024, (b + 1) * 16 * 1024)) }));
      const ops = new Set(['Relu', 'Clip', 'Flatten', 'Reshape']);
      const derivable = mobile.graph.nodes.filter((n) => ops.has(n.opType)).map((n) => n.outputs[0]);
      expect(derivable.length).toBeGreaterThan(5);
      const all = await collectStatistics(mobile, feeds, { perChannel: true });
      const alone = await collectStatistics(mobile, feeds, { perChannel: true, tensors: derivable });  // inputs not observed: scanned
      for (const n of derivable) expect(all.get(n)).toEqual(alone.get(n));
    } finally {
      mobile.dispose();
    }
  });

  it('follows the options: named tensors, no histograms, no EMA, other bin counts, async batches', async () => {
    const conv = session.graph.nodes.find((n) => n.opType === 'Conv')!.outputs[0];
    async function* gen() {
      yield { input: samples(0, 10) };
      yield { input: samples(10, 30) };
    }
    const stats = await collectStatistics(session, gen(), { tensors: [conv, 'logits', conv], histogram: false, emaMomentum: 0 });
    expect([...stats.keys()]).toEqual([conv, 'logits']);
    const st = stats.get(conv)!;
    expect(st.histogram).toBeUndefined();
    expect(st.channelMin).toBeUndefined();
    expect(Number.isNaN(st.emaMin) && Number.isNaN(st.emaMax)).toBe(true);
    expect(st.count).toBe((await session.run({ input: samples(0, 30) }, { outputs: [conv] }))[conv].data.length);
    const b7 = (await collectStatistics(session, [{ input: samples(0, 10) }], { tensors: ['input'], bins: 7 })).get('input')!;
    expect(b7.histogram!.counts).toHaveLength(7);
    expect(Array.from(b7.histogram!.counts)).toEqual(Array.from(jsHistogram([samples(0, 10).data as Float32Array], 7, b7.histogram!.max)));
  });

  it('rejects bad arguments and tensors it cannot observe with messages that name them', async () => {
    const feeds = [{ input: samples(0, 2) }];
    await expect(collectStatistics(session, feeds, { bins: 0 })).rejects.toThrow(new RangeError('Expected an integer in [1, 16777216] for options.bins but received 0'));
    await expect(collectStatistics(session, feeds, { bins: '8' as unknown as number })).rejects.toThrow(TypeError);
    await expect(collectStatistics(session, feeds, { emaMomentum: 1.5 })).rejects.toThrow('Expected a number in [0, 1] for options.emaMomentum but received 1.5');
    await expect(collectStatistics(session, feeds, { histogram: 'yes' as unknown as boolean })).rejects.toThrow('Expected a boolean for options.histogram but received "yes"');
    await expect(collectStatistics(session, feeds, { tensors: 'input' as unknown as string[] })).rejects.toThrow(TypeError);
    await expect(collectStatistics(session, 42 as unknown as [])).rejects.toThrow('Expected an iterable or async iterable of feeds for batches but received 42');
    await expect(collectStatistics(session, [])).rejects.toMatchObject({ code: 'INVALID_DATA' });
    const unknown = await collectStatistics(session, feeds, { tensors: ['nope'] }).catch((e) => e);
    expect(unknown).toBeInstanceOf(NpuqError);
    expect(unknown.code).toBe('INVALID_ARGUMENT');
    expect(unknown.message).toBe('cannot observe "nope": it is not a value of the model');
    const init = [...session.graph.initializers.keys()][0];
    await expect(collectStatistics(session, feeds, { tensors: [init] })).rejects.toThrow(`cannot observe "${init}": it is an initializer`);
  });
});
