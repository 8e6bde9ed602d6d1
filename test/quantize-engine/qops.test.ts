/**
 * The profile-driven quantized engine ops (native/engine/ops/qops.cc) through the addon, against an
 * independent TypeScript model of the same arithmetic (BigInt gemmlowp fixed point, TPU-MLIR
 * multiply-shift, float scales): random cases, exact integers.
 */
import { native } from '../../lib/native';
import type { NativePlan } from '../../typings/native';
import type { RoundingMode } from '../../lib/quantize/profile';
import { roundMode, rshiftRound } from '../../lib/quantize/rounding';

const addon = native();
let seed = 77;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const rint = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
const ints = (n: number, lo: number, hi: number) => Array.from({ length: n }, () => rint(lo, hi));

const INT32_MIN = -(2 ** 31), INT32_MAX = 2 ** 31 - 1;
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n));
}
function rdbpot(x: number, e: number): number {
  const xb = BigInt(x), mask = (1n << BigInt(e)) - 1n;
  const rem = xb & mask, thr = (mask >> 1n) + (xb < 0n ? 1n : 0n);
  return Number((xb >> BigInt(e)) + (rem > thr ? 1n : 0n));
}
function mulByQuantizedMultiplier(x: number, m: number, shift: number): number {
  const left = Math.max(shift, 0), right = Math.max(-shift, 0);
  return rdbpot(srdhm(clamp(x * 2 ** left, INT32_MIN, INT32_MAX), m), right);
}

type Plan = NativePlan;
async function runPlan(plan: Plan, inputs: ArrayBufferView[]): Promise<ArrayBufferView[]> {
  const s = new addon.NativeSession(plan, { threads: 2 });
  try {
    return await s.run(inputs);
  } finally {
    s.dispose();
  }
}

function conv2dAcc(x: number[], w: number[], bias: number[], C: number, H: number, W: number, M: number, K: number, P: number, xz: number, wz: number[]) {
  const OH = H + 2 * P - K + 1, OW = W + 2 * P - K + 1;
  const acc: number[] = [];
  for (let m = 0; m < M; m++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        let s = bias[m];
        for (let c = 0; c < C; c++)
          for (let kh = 0; kh < K; kh++)
            for (let kw = 0; kw < K; kw++) {
              const ih = oh + kh - P, iw = ow + kw - P;
              const xv = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[(c * H + ih) * W + iw] - xz : 0;
              s += xv * (w[((m * C + c) * K + kh) * K + kw] - wz[wz.length === 1 ? 0 : m]);
            }
        acc.push(s);
      }
  return { acc, OH, OW };
}

describe('profile-driven quantized engine ops', () => {
  it('QConv: gemmlowp fixed point per channel, u8 -> u8 with a fused Relu range', async () => {
    for (let trial = 0; trial < 12; trial++) {
      const C = rint(1, 6), M = rint(1, 7), H = rint(3, 9), W = rint(3, 9), K = rint(1, 3) * 2 - 1, P = Math.floor(K / 2);
      const xz = rint(0, 255), oz = rint(0, 40);
      const x = ints(C * H * W, 0, 255), w = ints(M * C * K * K, -127, 127), bias = ints(M, -5000, 5000);
      const mult = ints(M, 1 << 30, INT32_MAX), shift = ints(M, -12, -6);
      const { acc, OH, OW } = conv2dAcc(x, w, bias, C, H, W, M, K, P, xz, [0]);
      const want = acc.map((a, i) => clamp(mulByQuantizedMultiplier(clamp(a, INT32_MIN, INT32_MAX), mult[Math.floor(i / (OH * OW))], shift[Math.floor(i / (OH * OW))]) + oz, oz, 255));
      const plan = {
        tensors: [
          { dtype: 2, shape: [1, C, H, W], offset: 0 },
          { dtype: 3, shape: [M, C, K, K], data: new Int8Array(w) },
          { dtype: 6, shape: [M], data: new Int32Array(bias) },
          { dtype: 6, shape: [M], data: new Int32Array(mult) },
          { dtype: 6, shape: [M], data: new Int32Array(shift) },
          { dtype: 2, shape: [1, M, OH, OW], offset: Math.ceil((C * H * W) / 64) * 64 },
        ],
        nodes: [{ op: 'QConv', name: 'c', inputs: [0, 1, 2, -1, 3, 4, -1], outputs: [5],
          attrs: { kernel: [K, K], pads: [P, P, P, P], in_zp: xz, out_zp: oz, qmin: oz, qmax: 255, method: 'fixed_point_double' } }],
        inputs: [0], outputs: [5], arenaBytes: Math.ceil((C * H * W) / 64) * 64 + M * OH * OW + 64,
      };
      const [y] = await runPlan(plan, [new Uint8Array(x)]);
      expect(Array.from(y as Uint8Array)).toEqual(want);
    }
  });

  it('QConv: TPU-MLIR multiplier + right shift, half up, s16 -> s16 with int64 accumulation', async () => {
    const C = 3, M = 4, H = 6, W = 5, K = 3, P = 1;
    const x = ints(C * H * W, -32768, 32767), w = ints(M * C * K * K, -32768, 32767), bias = ints(M, -1e9, 1e9);
    const mult = ints(M, 1, 127), shift = ints(M, 30, 36);
    const { acc, OH, OW } = conv2dAcc(x, w, bias, C, H, W, M, K, P, 0, [0]);
    const mode: RoundingMode = 'half_up';
    const want = acc.map((a, i) => {
      const m = Math.floor(i / (OH * OW));
      return clamp(Number(rshiftRound(BigInt(a) * BigInt(mult[m]), shift[m], mode)), -32768, 32767);
    });
    const plan = {
      tensors: [
        { dtype: 5, shape: [1, C, H, W], offset: 0 },
        { dtype: 5, shape: [M, C, K, K], data: new Int16Array(w) },
        { dtype: 7, shape: [M], data: new BigInt64Array(bias.map(BigInt)) },
        { dtype: 6, shape: [M], data: new Int32Array(mult) },
        { dtype: 6, shape: [M], data: new Int32Array(shift) },
        { dtype: 5, shape: [1, M, OH, OW], offset: 256 },
      ],
      nodes: [{ op: 'QConv', name: 'c', inputs: [0, 1, 2, -1, 3, 4, -1], outputs: [5],
        attrs: { kernel: [K, K], pads: [P, P, P, P], method: 'multiplier_shift', round: 'half_up' } }],
      inputs: [0], outputs: [5], arenaBytes: 512,
    };
    const [y] = await runPlan(plan, [new Int16Array(x)]);
    expect(Array.from(y as Int16Array)).toEqual(want);
  });

  it('QGemm: float scale per column, half to even, s8 -> s8', async () => {
    const Mr = 5, K = 17, N = 6;
    const a = ints(Mr * K, -128, 127), b = ints(K * N, -127, 127), az = rint(-20, 20), oz = rint(-10, 10);
    const scale = Array.from({ length: N }, () => Math.fround(0.0005 + rnd() * 0.002));
    const want: number[] = [];
    for (let i = 0; i < Mr; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += (a[i * K + k] - az) * b[k * N + j];
        want.push(clamp(roundMode(Math.fround(Math.fround(s) * scale[j]), 'half_to_even') + oz, -128, 127));
      }
    const plan = {
      tensors: [
        { dtype: 3, shape: [Mr, K], offset: 0 },
        { dtype: 3, shape: [K, N], data: new Int8Array(b) },
        { dtype: 1, shape: [N], data: new Float32Array(scale) },
        { dtype: 3, shape: [Mr, N], offset: 128 },
      ],
      nodes: [{ op: 'QGemm', name: 'g', inputs: [0, 1, -1, 2, -1, -1, -1], outputs: [3], attrs: { a_zp: az, out_zp: oz, method: 'float_scale' } }],
      inputs: [0], outputs: [3], arenaBytes: 256,
    };
    const [y] = await runPlan(plan, [new Int8Array(a)]);
    expect(Array.from(y as Int8Array)).toEqual(want);
  });

  it('QBinary add (TFLite fixed point) broadcasts a per-channel tensor', async () => {
    const a = ints(2 * 3 * 4, -128, 127), b = ints(3, -128, 127);
    const attrs = { op: 'add', method: 'fixed_point_double', a_zp: 3, b_zp: -7, out_zp: 5, left_shift: 20,
      a_multiplier: 1 << 30, a_shift: 0, b_multiplier: 1518500250, b_shift: -1, out_multiplier: 1431655765, out_shift: -18 };
    const want = a.map((av, i) => {
      const bv = b[Math.floor(i / 4) % 3];
      const sa = mulByQuantizedMultiplier((av - 3) * 2 ** 20, attrs.a_multiplier, attrs.a_shift);
      const sb = mulByQuantizedMultiplier((bv + 7) * 2 ** 20, attrs.b_multiplier, attrs.b_shift);
      return clamp(mulByQuantizedMultiplier(clamp(sa + sb, INT32_MIN, INT32_MAX), attrs.out_multiplier, attrs.out_shift) + 5, -128, 127);
    });
    const plan = {
      tensors: [
        { dtype: 3, shape: [2, 3, 4], offset: 0 },
        { dtype: 3, shape: [3, 1], offset: 64 },
        { dtype: 3, shape: [2, 3, 4], offset: 128 },
      ],
      nodes: [{ op: 'QBinary', name: 'add', inputs: [0, 1], outputs: [2], attrs }],
      inputs: [0, 1], outputs: [2], arenaBytes: 192,
    };
    const [y] = await runPlan(plan, [new Int8Array(a), new Int8Array(b)]);
    expect(Array.from(y as Int8Array)).toEqual(want);
  });

  it('Lut, QMaxPool and Requantize', async () => {
    const x = ints(16, -128, 127);
    const table = Int8Array.from({ length: 256 }, (_, i) => ((i * 37) % 256) - 128);
    const plan = {
      tensors: [
        { dtype: 3, shape: [1, 1, 4, 4], offset: 0 },
        { dtype: 3, shape: [256], data: table },
        { dtype: 3, shape: [1, 1, 4, 4], offset: 64 },
        { dtype: 3, shape: [1, 1, 2, 2], offset: 128 },
        { dtype: 1, shape: [1], data: new Float32Array([0.5]) },
        { dtype: 2, shape: [1, 1, 2, 2], offset: 192 },
      ],
      nodes: [
        { op: 'Lut', name: 'lut', inputs: [0, 1], outputs: [2], attrs: {} },
        { op: 'QMaxPool', name: 'pool', inputs: [2], outputs: [3], attrs: { kernel: [2, 2], strides: [2, 2] } },
        { op: 'Requantize', name: 'rq', inputs: [3, 4, -1, -1], outputs: [5], attrs: { method: 'float_scale', round: 'half_away_from_zero', out_zp: 128, in_zp: 0 } },
      ],
      inputs: [0], outputs: [2, 3, 5], arenaBytes: 256,
    };
    const [l, p, r] = await runPlan(plan as Plan, [new Int8Array(x)]);
    const lut = x.map((v) => table[v & 255]);
    expect(Array.from(l as Int8Array)).toEqual(lut);
    const pooled = [0, 1, 2, 3].map((o) => {
      const oh = Math.floor(o / 2), ow = o % 2;
      return Math.max(...[0, 1, 2, 3].map((t) => lut[(oh * 2 + (t >> 1)) * 4 + ow * 2 + (t & 1)]));
    });
    expect(Array.from(p as Int8Array)).toEqual(pooled);
    expect(Array.from(r as Uint8Array)).toEqual(pooled.map((v) => clamp(roundMode(v * 0.5, 'half_away_from_zero') + 128, 0, 255)));
  });

  it('rejects bad parameters with a message instead of crashing', () => {
    const base = (attrs: Record<string, unknown>) => ({
      tensors: [{ dtype: 3, shape: [4], offset: 0 }, { dtype: 3, shape: [4], offset: 64 }, { dtype: 3, shape: [4], offset: 128 }],
      nodes: [{ op: 'QBinary', name: 'q', inputs: [0, 1], outputs: [2], attrs }],
      inputs: [0, 1], outputs: [2], arenaBytes: 192,
    });
    expect(() => new addon.NativeSession(base({ op: 'add', method: 'bogus' }) as Plan, { threads: 1 })).toThrow(/unknown requant method "bogus"/);
    expect(() => new addon.NativeSession(base({ op: 'add', method: 'float_scale', round: 'sideways', out_scale: 1 }) as Plan, { threads: 1 })).toThrow(/unknown rounding mode "sideways"/);
    expect(() => new addon.NativeSession(base({ op: 'add', method: 'float_scale', out_scale: -1 }) as Plan, { threads: 1 })).toThrow(/scale/);
  });
});
