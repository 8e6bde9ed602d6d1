/**
 * Integer Softmax of the onnxruntime profiles: onnxruntime fuses DequantizeLinear -> Softmax ->
 * QuantizeLinear (8-bit) into com.microsoft QLinearSoftmax (checked here in its optimized graph), and
 * our emulation (engine op QSoftmax, native/engine/ops/qsoftmax.cc) must give its integers bit for
 * bit on the exported QDQ model: random logits [N, K] with K from 2 to 1000, input and output ranges
 * giving several scales and zero points, uint8 and int8, and a Softmax over a middle axis.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { toQdqModel } from '../../lib/export/qdq';
import { Graph, Model, Node } from '../../lib/ir/graph';
import { Tensor } from '../../lib/ir/tensor';
import { loadModelSync, serializeModel } from '../../lib/io/onnx';
import { quantize } from '../../lib/quantize/quantize';
import type { FloatRange } from '../../lib/quantize/params';

let seed = 20261123;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

function softmaxModel(shape: number[], axis?: number): Model {
  const g = new Graph();
  g.opsets = new Map([['', 13]]);
  g.inputs = [{ name: 'x', dtype: 'float32', shape: shape.slice() }];
  g.outputs = [{ name: 'y', dtype: 'float32', shape: shape.slice() }];
  const n = new Node('softmax', 'Softmax', ['x'], ['y']);
  if (axis !== undefined) n.attrs.set('axis', { kind: 'int', value: axis });
  g.nodes = [n];
  const m = new Model(g);
  m.irVersion = 8;
  return m;
}

interface Case { target: 'onnxruntime-rr' | 'onnxruntime-s8'; shape: number[]; axis?: number; x: FloatRange; y: FloatRange }

/** Our integers and onnxruntime's for one case (theirs read back from its dequantized output). */
async function run(c: Case): Promise<{ ours: number[]; theirs: number[]; fused: boolean; distinct: number }> {
  const size = c.shape.reduce((a, b) => a * b, 1);
  const x = new Tensor('float32', c.shape, Float32Array.from({ length: size }, () => c.x.min * 1.1 + rnd() * (c.x.max - c.x.min) * 1.1));
  const qm = await quantize(softmaxModel(c.shape, c.axis), { target: c.target, data: [{ x }], overrides: { ranges: { x: c.x, y: c.y } } });
  const optimized = path.join(os.tmpdir(), `npuq-qsoftmax-${process.pid}.onnx`);
  try {
    expect(qm.plan.nodes.get('softmax')!.execution).toBe('integer');
    const ours = Array.from((await qm.run({ x }, { integer: true })).y.data as ArrayLike<number>);
    const session = await ort.InferenceSession.create(serializeModel(toQdqModel(qm)), { intraOpNumThreads: 1, optimizedModelFilePath: optimized });
    let y: Float32Array;
    try {
      y = (await session.run({ x: new ort.Tensor('float32', x.data as Float32Array, c.shape.slice()) })).y.data as Float32Array;
    } finally {
      await session.release();
    }
    const fused = loadModelSync(optimized).graph.nodes.some((n) => n.opType === 'QLinearSoftmax' && n.domain === 'com.microsoft');
    const q = qm.plan.tensors.get('y')!;
    const theirs = Array.from(y, (v) => Math.round(v / q.scale[0]) + q.zeroPoint[0]);
    return { ours, theirs, fused, distinct: new Set(theirs).size };
  } finally {
    fs.rmSync(optimized, { force: true });
    await qm.dispose();
  }
}

const KS = [2, 3, 5, 8, 15, 16, 17, 31, 33, 100, 255, 1000];

describe('integer Softmax (onnxruntime QLinearSoftmax) against onnxruntime-node', () => {
  for (const target of ['onnxruntime-rr', 'onnxruntime-s8'] as const) {
    test(`${target}: [N, K] logits, K from 2 to 1000, several scales and zero points: bit-exact`, async () => {
      let values = 0, differing = 0, distinct = 0;
      for (const [k, K] of KS.entries()) {
        for (const [xr, yr] of [[{ min: -8, max: 3 }, { min: 0, max: 1 }], [{ min: -20, max: 15 }, { min: 0, max: 0.7 }], [{ min: -2.5, max: 0 }, { min: 0, max: 0.25 }]] as const) {
          // The output range never goes below the largest probability 1/K can force.
          const y = { min: yr.min, max: Math.max(yr.max, 1.2 / K) };
          const r = await run({ target, shape: [1 + (k % 4), K], x: xr, y });
          expect(r.fused).toBe(true);
          values += r.ours.length;
          distinct += r.distinct;
          differing += r.ours.filter((v, i) => v !== r.theirs[i]).length;
        }
      }
      process.stdout.write(`${target}: ${values} Softmax outputs compared with onnxruntime, ${differing} differ\n`);
      expect(distinct).toBeGreaterThan(200);  // not a comparison between saturated outputs
      expect(differing).toBe(0);
    }, 120000);

    test(`${target}: Softmax over a middle axis ([2, 7, 3], axis 1): bit-exact`, async () => {
      const r = await run({ target, shape: [2, 7, 3], axis: 1, x: { min: -6, max: 6 }, y: { min: 0, max: 1 } });
      expect(r.fused).toBe(true);
      expect(r.ours).toEqual(r.theirs);
    });
  }
});
