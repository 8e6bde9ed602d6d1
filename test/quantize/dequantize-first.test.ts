/**
 * Dequantize-first integer layers with a float32 bias (ncnn, SpacemiT K1): exact int32 accumulators,
 * then `acc * dq + bias`, the fused activation and the quantization in float32 steps. The expected
 * integers are computed here by hand from the plan's parameters, step by step as ncnn's
 * requantize.cpp / a QDQ runtime does, independently of the emulation graph.
 */
import { Graph, Model, Node } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { quantize } from '../../lib/quantize/quantize';
import type { QuantizedModel } from '../../lib/quantize/quantized-model';
import { model, X20, X32 } from '../digits';

let seed = 11;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const f = Math.fround;
const halfAway = (x: number) => Math.sign(x) * Math.floor(Math.abs(x) + 0.5) + 0;
const halfEven = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** x [N,2,5,5] -> conv1 (3x3, pad 1, 3 ch, bias) -> relu -> conv2 (1x1, 2 ch, bias) -> y. */
function chain(): Model {
  const g = new Graph();
  g.opsets = new Map([['', 13]]);
  g.inputs = [{ name: 'x', dtype: 'float32', shape: ['N', 2, 5, 5] }];
  g.outputs = [{ name: 'y', dtype: 'float32', shape: ['N', 2, 5, 5] }];
  const t = (shape: number[], k: number) => new Tensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rnd() * k));
  g.initializers.set('w1', t([3, 2, 3, 3], 0.6));
  g.initializers.set('b1', t([3], 0.3));
  g.initializers.set('w2', t([2, 3, 1, 1], 0.9));
  g.initializers.set('b2', t([2], 0.2));
  const c1 = new Node('conv1', 'Conv', ['x', 'w1', 'b1'], ['c1']);
  c1.attrs.set('pads', { kind: 'ints', value: [1, 1, 1, 1] });
  g.nodes = [c1, new Node('relu', 'Relu', ['c1'], ['r1']), new Node('conv2', 'Conv', ['r1', 'w2', 'b2'], ['y'])];
  const m = new Model(g);
  m.irVersion = 8;
  return m;
}

const x = new Tensor('float32', [8, 2, 5, 5], Float32Array.from({ length: 400 }, () => rnd() * 3));

/** The int32 accumulator of a conv (pad 1 for 3x3, none for 1x1) on integer inputs. */
function accumulate(xq: ArrayLike<number>, xzp: number, C: number, w: number[], M: number, K: number, n: number, m: number, oh: number, ow: number): number {
  let acc = 0;
  const p = (K - 1) / 2;
  for (let c = 0; c < C; c++) for (let kh = 0; kh < K; kh++) for (let kw = 0; kw < K; kw++) {
    const ih = oh + kh - p, iw = ow + kw - p;
    if (ih < 0 || iw < 0 || ih >= 5 || iw >= 5) continue;
    acc += (Number(xq[((n * C + c) * 5 + ih) * 5 + iw]) - xzp) * w[((m * C + c) * K + kh) * K + kw];
  }
  void M;
  return acc;
}

async function check(target: 'ncnn' | 'spacemit-k1'): Promise<QuantizedModel> {
  const qm = await quantize(chain(), { target, data: [{ x }], method: 'minmax' });
  const ncnn = target === 'ncnn';
  const round = ncnn ? halfAway : halfEven;
  for (const n of ['conv1', 'conv2']) expect(qm.plan.nodes.get(n)).toMatchObject({ execution: 'integer', emulation: 'exact' });
  const qx = qm.plan.tensors.get('x')!, q1 = qm.plan.tensors.get('r1')!;
  const n1 = qm.plan.nodes.get('conv1')!, n2 = qm.plan.nodes.get('conv2')!;
  expect(n1.bias!.dtype).toBe('float32');
  // Input quantization: ncnn float2int8(v * (1 / s)) clamped to ±127; QDQ round(v / s) + zp.
  const xs = x.data as Float32Array;
  const xq = Array.from(xs, (v) => Math.min(qx.qmax, Math.max(qx.qmin, ncnn ? round(f(v * f(1 / qx.scale[0]))) : round(f(v / qx.scale[0])) + qx.zeroPoint[0])));
  const ours = await qm.run({ x }, { integer: true, outputs: ['x', 'r1'] });
  expect(Array.from(ours.x.data as Int8Array)).toEqual(xq);
  // Dequantization factor per channel.
  const dq = (sIn: number, sw: number) => (ncnn ? f(1 / f(f(1 / sIn) * f(1 / sw))) : f(sIn * sw));
  const w1 = qm.plan.nodes.get('conv1')!.weight!, w2 = n2.weight!;
  const b1 = qm.graph.initializers.get(n1.bias!.tensor)!.data as Float32Array, b2 = qm.graph.initializers.get(n2.bias!.tensor)!.data as Float32Array;
  const want1: number[] = [];
  for (let n = 0; n < 8; n++) for (let m = 0; m < 3; m++) for (let oh = 0; oh < 5; oh++) for (let ow = 0; ow < 5; ow++) {
    const acc = accumulate(xq, qx.zeroPoint[0], 2, w1.values, 3, 3, n, m, oh, ow);
    const v = Math.max(0, f(f(acc * dq(qx.scale[0], w1.quant.scale[m])) + b1[m]));  // + bias, then Relu in float
    const q = ncnn ? round(f(v * f(1 / q1.scale[0]))) : round(f(v / q1.scale[0])) + q1.zeroPoint[0];
    want1.push(Math.min(q1.qmax, Math.max(q1.qmin, q)));
  }
  const got1 = Array.from(ours.r1.data as Int8Array);
  expect(got1).toEqual(want1);
  expect(new Set(got1).size).toBeGreaterThan(30);  // not a saturated or constant comparison
  // conv2: the graph output, quantized and dequantized.
  const y = (await qm.run({ x })).y.data as Float32Array;
  const qy = qm.plan.tensors.get('y');
  let k = 0;
  for (let n = 0; n < 8; n++) for (let m = 0; m < 2; m++) for (let p = 0; p < 25; p++, k++) {
    const acc = accumulate(want1, q1.zeroPoint[0], 3, w2.values, 2, 1, n, m, Math.floor(p / 5), p % 5);
    const v = f(f(acc * dq(q1.scale[0], w2.quant.scale[m])) + b2[m]);
    if (qy) {
      const q = Math.min(qy.qmax, Math.max(qy.qmin, round(f(v / qy.scale[0])) + qy.zeroPoint[0]));
      expect(y[k]).toBe(f((q - qy.zeroPoint[0]) * qy.scale[0]));
    } else {
      expect(y[k]).toBe(v);
    }
  }
  return qm;
}

describe('dequantize-first layers with a float bias', () => {
  test('ncnn: v = acc * 1/(r_in r_w) + bias, Relu in float, float2int8(v * r_out) half away, ±127', async () => {
    await (await check('ncnn')).dispose();
  });

  test('spacemit-k1: v = acc * (s_in s_w) + bias, Relu in float, round(v / s_out) half to even + zp', async () => {
    await (await check('spacemit-k1')).dispose();
  });

  for (const target of ['ncnn', 'spacemit-k1'] as const) {
    for (const [name, data, minCos] of [['digits_cnn', X20, 0.999], ['digits_mobilenetv2', X32, 0.999]] as const) {
      test(`${target} ${name}: every Conv and Gemm runs as integer (exact), close to the float model`, async () => {
        const qm = await quantize(model(name), { target, data, limit: 200 });
        try {
          const weighted = [...qm.plan.nodes.values()].filter((n) => n.opType === 'Conv' || n.opType === 'Gemm');
          expect(weighted.length).toBeGreaterThan(2);
          for (const n of weighted) expect({ name: n.name, execution: n.execution, emulation: n.emulation }).toEqual({ name: n.name, execution: 'integer', emulation: 'exact' });
          const ops = qm.emulationModel().graph.nodes.map((n) => n.opType);
          expect(ops.filter((o) => o === 'ConvInteger').length).toBe(weighted.filter((n) => n.opType === 'Conv').length);
          expect(ops).not.toContain('Conv');
          const { readNpy } = await import('../../lib/data/npy');
          const all = readNpy(data);
          const xs = new Tensor('float32', [200, ...all.shape.slice(1)], (all.data as Float32Array).slice(0, 200 * all.size / all.shape[0]));
          const q = (await qm.run({ input: xs })).logits.data as Float32Array;
          const fl = (await qm.runFloat({ input: xs })).logits.data as Float32Array;
          let ab = 0, aa = 0, bb = 0;
          for (let i = 0; i < q.length; i++) {
            ab += q[i] * fl[i];
            aa += q[i] * q[i];
            bb += fl[i] * fl[i];
          }
          expect(ab / Math.sqrt(aa * bb)).toBeGreaterThan(minCos);
        } finally {
          await qm.dispose();
        }
      }, 60000);
    }
  }
});
