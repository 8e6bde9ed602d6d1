/**
 * Low-bit weights (quantize()'s weightBits): the integer ranges per type and convention, the bit
 * width read back from quant_params.json, and the profiles where it cannot apply.
 */
import { computeQuantParams, integerRange } from '../../lib/quantize/params';
import { quantize } from '../../lib/quantize/quantize';
import { getProfile } from '../../lib/quantize/targets/index';
import { resolveWeightSpec } from '../../lib/quantize/define';
import { weightBitsOf } from '../../lib/ptq/replay';
import { dataPath, modelPath } from './helpers';

describe('integer ranges with bits', () => {
  test('signed, narrow, unsigned; bits replace reduce_range; never wider than the type', () => {
    expect(integerRange('int8', { bits: 4 })).toEqual({ qmin: -8, qmax: 7 });
    expect(integerRange('int8', { bits: 4, narrow: true })).toEqual({ qmin: -7, qmax: 7 });
    expect(integerRange('uint8', { bits: 4 })).toEqual({ qmin: 0, qmax: 15 });
    expect(integerRange('int8', { bits: 2, narrow: true })).toEqual({ qmin: -1, qmax: 1 });
    expect(integerRange('int8', { bits: 8, reduceRange: true })).toEqual({ qmin: -128, qmax: 127 });
    expect(integerRange('int8', { reduceRange: true })).toEqual({ qmin: -64, qmax: 64 });
    expect(integerRange('int16', { bits: 8 })).toEqual({ qmin: -128, qmax: 127 });
    expect(integerRange('int8', { bits: 12 })).toEqual({ qmin: -128, qmax: 127 });
  });

  test('symmetric 4-bit weights: scale = 2 * absmax / (qmax - qmin); dfp: fl from 4 bits', () => {
    const w = { ...resolveWeightSpec(getProfile('onnxruntime'), 'Conv'), bits: 4 };
    const q = computeQuantParams({ min: -0.7, max: 0.35 }, w);
    expect([q.qmin, q.qmax]).toEqual([-7, 7]);
    expect(q.scale).toBe(Math.fround(1.4 / 14));
    const dfp = computeQuantParams({ min: -0.7, max: 0.35 }, { ...w, scale: { ...w.scale, kind: 'dfp' } });
    expect([dfp.qmin, dfp.qmax, dfp.scale]).toEqual([-8, 7, 2 ** -3]);
  });
});

describe('weightBits in quantize()', () => {
  test('onnxruntime-rr: 4 bits replace the profile\'s reduce_range [-64, 64]', async () => {
    const qm = await quantize(modelPath('digits_cnn'), { target: 'onnxruntime-rr', data: dataPath('digits_cnn'), limit: 32, weightBits: 4 });
    const w = [...qm.plan.nodes.values()].filter((n) => n.weight).map((n) => [n.weight!.quant.qmin, n.weight!.quant.qmax]);
    expect(w).toEqual(Array(5).fill([-7, 7]));
    expect(weightBitsOf(qm.quantParams())).toBe(4);
    await qm.dispose();
  });

  test('profiles that fit weights to the requant refuse it, naming the profile', async () => {
    await expect(quantize(modelPath('digits_cnn'), { target: 'bm1684', data: dataPath('digits_cnn'), limit: 16, weightBits: 4 }))
      .rejects.toThrow(/4-bit weights are not available for profile bm1684: it fits Conv weights to the requant \(shift\)/);
  });

  test('weightBitsOf: only ranges narrower than the type, reduce_range is not a bit width', () => {
    const j = (qmin: number, qmax: number, dtype = 'int8') => ({ tensors: { w: { role: 'weight', dtype, qmin, qmax } } });
    expect(weightBitsOf(j(-7, 7))).toBe(4);
    expect(weightBitsOf(j(-8, 7))).toBe(4);
    expect(weightBitsOf(j(0, 15, 'uint8'))).toBe(4);
    expect(weightBitsOf(j(-127, 127))).toBeUndefined();
    expect(weightBitsOf(j(-64, 64))).toBeUndefined();
    expect(weightBitsOf(j(-127, 127, 'int16'))).toBe(8);
    expect(weightBitsOf({})).toBeUndefined();
  });
});
