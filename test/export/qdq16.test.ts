/**
 * onnxruntime-node runs the QDQ export of 16-bit models: int16 activations and weights are written
 * with com.microsoft QuantizeLinear/DequantizeLinear, 64-bit accumulator biases in float. onnxruntime
 * computes those layers in float on the dequantized values, so its integers may differ from our
 * exact integer emulation by one step where the real value falls next to a rounding boundary, never
 * more: every quantized tensor of digits_cnn is compared, not only the logits.
 */
import { toQdqModel } from '../../lib/export/qdq';
import { readNpy } from '../../lib/data/npy';
import { loadModel } from '../../lib/io/onnx';
import { optimizedForQuantization, quantize } from '../../lib/quantize/quantize';
import type { QuantizedModel } from '../../lib/quantize/quantized-model';
import { model, X20 } from '../digits';
import { ortGaps } from '../ort-gaps';

/** Ours vs onnxruntime, integer by integer, on every quantized activation of the exported model. */
const gaps = (qm: QuantizedModel, x: ReturnType<typeof readNpy>) => ortGaps(qm, 'input', x);

describe('16-bit QDQ export in onnxruntime-node', () => {
  const x = readNpy(X20);

  test('rk3588-w16a16i (int16 activations and weights): every tensor within one step (6% of the logits one step off)', async () => {
    const qm = await quantize(model('digits_cnn'), { target: 'rk3588-w16a16i', data: X20, limit: 200 });
    try {
      const qdq = toQdqModel(qm);
      const wide = qdq.graph.nodes.filter((n) => n.domain === 'com.microsoft' && /QuantizeLinear|DequantizeLinear/.test(n.opType));
      expect(wide.length).toBeGreaterThan(20);
      for (const q of qm.plan.tensors.values()) expect(q.dtype).toBe('int16');
      const g = await gaps(qm, x);
      expect(g).toHaveLength(8);
      expect(Math.max(...g.map((r) => r.max))).toBe(1);
      const logits = g.find((r) => r.tensor === 'logits')!;
      expect(logits.size).toBe(5000);
      // Measured: 303 of 5000 logits one step apart (onnxruntime 1.30, AVX2); the rest identical.
      expect(logits.differing).toBeGreaterThan(0);  // float vs integer arithmetic: not all identical
      expect(logits.differing / logits.size).toBeLessThan(0.1);
      for (const r of g) expect(r.differing / r.size).toBeLessThan(0.1);
      const q = (await qm.run({ input: x }, { integer: true })).logits.data as Int16Array;
      expect(new Set(q).size).toBeGreaterThan(1000);  // not saturated: 16-bit steps are compared
    } finally {
      await qm.dispose();
    }
  }, 60000);

  test('rk3588 with every layer raised to int16, per-channel: a bias beyond int32 goes after the Conv, so onnxruntime does not saturate it', async () => {
    const float = await loadModel(model('digits_cnn'));
    const names = optimizedForQuantization(float).graph.nodes.map((n) => n.name);
    const precision = Object.fromEntries(names.map((n) => [n, 'int16' as const]));
    const qm = await quantize(float, { target: 'rk3588', data: X20, limit: 200, overrides: { precision } });
    try {
      const big = [...qm.plan.nodes.values()].filter((n) => n.bias?.dtype === 'int64' && n.bias.values.some((v) => Math.abs(v) > 0x7fffffff));
      expect(big.map((n) => n.name)).toEqual(['/features/features.8/Conv']);
      const qdq = toQdqModel(qm);
      expect(qdq.graph.nodes.find((n) => n.name === '/features/features.8/Conv')!.inputs).toHaveLength(2);
      expect(qdq.graph.nodes.some((n) => n.name === '/features/features.8/Conv_bias_add' && n.opType === 'Add')).toBe(true);
      const g = await gaps(qm, x);
      // With the bias inside the Conv, channel 40 (bias -2276320768 in accumulator units) was off by 662 steps.
      expect(Math.max(...g.map((r) => r.max))).toBe(1);
      for (const r of g) expect(r.differing / r.size).toBeLessThan(0.1);
    } finally {
      await qm.dispose();
    }
  }, 60000);
});
