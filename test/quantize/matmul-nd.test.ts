/**
 * Quantized MatMul above 2-D: a constant B with an A of rank 3 or 4 (the rows of A through the 2-D
 * QGemm, per-column requantization as 2-D), and two activations with batch dimensions, batched or
 * broadcast (exact int32 accumulators, per-tensor requantization as a 2-D QGemm). Checked against
 * the float model (cosine) and, for onnxruntime-rr, bit for bit against onnxruntime-node on the
 * exported QDQ model (which it fuses into QLinearMatMul).
 */
import * as ort from 'onnxruntime-node';
import { toQdqModel } from '../../lib/export/qdq';
import { Graph, Model, Node } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { serializeModel } from '../../lib/io/onnx';
import { quantize } from '../../lib/quantize/quantize';
import type { QuantizedModel } from '../../lib/quantize/quantized-model';
import { cosine } from '../models/helpers';

let seed = 20261123;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
const T = (shape: number[], k = 1) => new Tensor('float32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rnd() * k));

interface Case {
  label: string;
  a: number[];
  /** Shape of B; `const` makes it an initializer. */
  b: number[];
  constB: boolean;
  y: number[];
}

const CASES: Case[] = [
  { label: 'A [6,3,4] x const B [4,5]', a: [6, 3, 4], b: [4, 5], constB: true, y: [6, 3, 5] },
  { label: 'A [2,3,7,8] x const B [8,6]', a: [2, 3, 7, 8], b: [8, 6], constB: true, y: [2, 3, 7, 6] },
  { label: 'A [6,3,4] x B [6,4,5] (batched)', a: [6, 3, 4], b: [6, 4, 5], constB: false, y: [6, 3, 5] },
  { label: 'A [6,3,4] x B [4,5] (B broadcast)', a: [6, 3, 4], b: [4, 5], constB: false, y: [6, 3, 5] },
  { label: 'A [2,1,3,8] x B [3,8,4] (batch dims broadcast)', a: [2, 1, 3, 8], b: [3, 8, 4], constB: false, y: [2, 3, 3, 4] },
];

function build(c: Case, bValue: Tensor): Model {
  const g = new Graph();
  g.opsets = new Map([['', 13]]);
  g.inputs = [{ name: 'a', dtype: 'float32', shape: c.a.slice() }];
  if (c.constB) g.initializers.set('b', bValue);
  else g.inputs.push({ name: 'b', dtype: 'float32', shape: c.b.slice() });
  g.outputs = [{ name: 'y', dtype: 'float32', shape: c.y.slice() }];
  g.nodes = [new Node('mm', 'MatMul', ['a', 'b'], ['y'])];
  const m = new Model(g);
  m.irVersion = 8;
  return m;
}

/** Our output integers and onnxruntime's (from its dequantized output) on the exported QDQ model. */
async function againstOrt(qm: QuantizedModel, feeds: Record<string, Tensor>): Promise<{ ours: number[]; theirs: number[] }> {
  const ours = Array.from((await qm.run(feeds, { integer: true })).y.data as Uint8Array);
  const session = await ort.InferenceSession.create(serializeModel(toQdqModel(qm)), { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  try {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, t] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor('float32', t.data as Float32Array, t.shape.slice());
    const y = (await session.run(ortFeeds)).y;
    expect(y.dims).toEqual(qm.graph.outputs[0].shape);
    const q = qm.plan.tensors.get('y')!;
    const theirs = Array.from(y.data as Float32Array, (v) => Math.round(v / q.scale[0]) + q.zeroPoint[0]);
    return { ours, theirs };
  } finally {
    await session.release();
  }
}

describe('quantized MatMul above 2-D', () => {
  for (const c of CASES) {
    for (const perChannel of c.constB ? [false, true] : [false]) {
      test(`${c.label}${c.constB ? (perChannel ? ', per-channel' : ', per-tensor') : ''}: integer, close to float, bit-exact with onnxruntime (onnxruntime-rr)`, async () => {
        const bValue = T(c.b, 0.7);
        const feeds: Record<string, Tensor> = { a: T(c.a, 2) };
        if (!c.constB) feeds.b = bValue;
        const qm = await quantize(build(c, bValue), { target: 'onnxruntime-rr', data: [feeds], perChannel });
        try {
          expect(qm.plan.nodes.get('mm')).toMatchObject({ execution: 'integer', emulation: 'exact' });
          const ops = qm.emulationModel().graph.nodes.map((n) => n.opType);
          expect(ops).not.toContain('MatMul');
          expect(ops).toContain(c.constB ? 'QGemm' : 'MatMulInteger');
          if (c.constB) expect(qm.plan.nodes.get('mm')!.requant!.scale.length).toBe(perChannel ? c.b[1] : 1);
          const y = await qm.run(feeds);
          expect(y.y.shape).toEqual(c.y);
          const yf = (await qm.runFloat(feeds)).y;
          expect(cosine(y.y.data as Float32Array, yf.data as Float32Array)).toBeGreaterThan(0.999);
          const { ours, theirs } = await againstOrt(qm, feeds);
          expect(new Set(ours).size).toBeGreaterThan(20);  // not a comparison of saturated outputs
          let diff = 0;
          ours.forEach((v, i) => { if (v !== theirs[i]) diff++; });
          expect({ diff, n: ours.length }).toEqual({ diff: 0, n: c.y.reduce((a, b) => a * b, 1) });
        } finally {
          await qm.dispose();
        }
      });
    }
  }

  test('rk3588 (int8, per-channel B): a 3-D A through the 2-D QGemm gives the rows of the 2-D model exactly', async () => {
    const b = T([4, 5], 0.7);
    const a = T([6, 3, 4], 2);
    const c3: Case = { label: '', a: [6, 3, 4], b: [4, 5], constB: true, y: [6, 3, 5] };
    const c2: Case = { label: '', a: [18, 4], b: [4, 5], constB: true, y: [18, 5] };
    const q3 = await quantize(build(c3, b), { target: 'rk3588', data: [{ a }] });
    const a2 = new Tensor('float32', [18, 4], a.data);
    const q2 = await quantize(build(c2, b), { target: 'rk3588', data: [{ a: a2 }] });
    try {
      const y3 = Array.from((await q3.run({ a }, { integer: true })).y.data as Int8Array);
      const y2 = Array.from((await q2.run({ a: a2 }, { integer: true })).y.data as Int8Array);
      expect(q3.plan.tensors.get('y')).toEqual(q2.plan.tensors.get('y'));
      expect(y3).toEqual(y2);
      expect(new Set(y3).size).toBeGreaterThan(20);
    } finally {
      await q3.dispose();
      await q2.dispose();
    }
  });
});
