/**
 * TPU-MLIR eltwise styles on digits_mobilenetv2 (residual Adds): bm1684 (`multiplier_shift_bm1684`),
 * bm1684x (`multiplier_shift`) and cv18xx (`multiplier_shift_float`) quantize, emit the Adds as integer
 * QBinary nodes with the per-input multipliers of their lowering, and keep top-1 near float.
 */
import { readNpy } from '../../lib/data/npy';
import { quantize } from '../../lib/quantize/quantize';
import { bm1684AddInput, scaleAndShiftPositive8, tpuMlirAttrs } from '../../lib/quantize/plan/eltwise-tpu-mlir';
import { model, X32, top1 } from '../digits';

describe('TPU-MLIR eltwise parameters', () => {
  test('get_scale_and_shift_positive(8 bits) and BM1684 calRightShiftNumUseCblas by hand', () => {
    expect(scaleAndShiftPositive8(0.75)).toEqual({ multiplier: 3, rshift: 2 });  // the first exact n wins: 3 / 2^2
    expect(scaleAndShiftPositive8(200)).toEqual({ multiplier: 200, rshift: 0 });  // no candidate: shift stays 0
    // 127 / 0.75 = 169.3 -> floor(log2) = 7; multiplier round(2^7 * 0.75) = 96
    expect(bm1684AddInput(0.75, 1)).toEqual({ multiplier: 96, rshift: 7 });
    expect(bm1684AddInput(300, 1)).toEqual({ multiplier: 127, rshift: 0 });  // rshift clamped at 0, to_int8 saturates
  });
  test('CV18xx Add: one rshift for both inputs; Mul: QDM below 1', () => {
    const a = tpuMlirAttrs('multiplier_shift_float', 'add', 0.5, 0.25, 1);
    // max q 0.5: first rshift with 0.5 * 2^(r+1) >= 127 is 7; m = trunc(q * 2^7)
    expect([a.a_multiplier, a.b_multiplier, a.out_shift, a.a_shift, a.round]).toEqual([
      { kind: 'int', value: 64 }, { kind: 'int', value: 32 }, { kind: 'int', value: 7 }, { kind: 'int', value: 0 }, { kind: 'string', value: 'half_up' }]);
    const m = tpuMlirAttrs('multiplier_shift_float', 'mul', 2, 1, 1);  // 2 >= 1 -> 0.999999
    expect(m.method).toEqual({ kind: 'string', value: 'fixed_point_double' });
    expect(m.out_shift).toEqual({ kind: 'int', value: 0 });
  });
  test('BM1684 Mul clamps a negative shift to 0 without recomputing the multiplier; BM1684X keeps it', () => {
    // 100: n = -2 is the first exact candidate (25 * 2^2), so rshift -2 (a left shift)
    const x = tpuMlirAttrs('multiplier_shift', 'mul', 10, 10, 1);
    expect([x.out_multiplier, x.out_shift]).toEqual([{ kind: 'int', value: 25 }, { kind: 'int', value: -2 }]);
    const b = tpuMlirAttrs('multiplier_shift_bm1684', 'mul', 10, 10, 1);
    expect([b.out_multiplier, b.out_shift]).toEqual([{ kind: 'int', value: 25 }, { kind: 'int', value: 0 }]);
  });
});

describe('TPU-MLIR profiles on digits_mobilenetv2', () => {
  // bm1684's Convs run in float (int16 bias, not emulated yet) with their fused Clip after them; its
  // Adds and Muls still run as integer QBinary. cv18xx fits each channel's weights to its QDM
  // multiplier and, as TPU-MLIR's CV18xx Conv lowering does, raises the channel's qscale to the one
  // that fills int32 with the bias (getQscaleForBias): without that, channels whose weights are all
  // zero lost their bias (multiplier 0) and top-1 fell to 0.10.
  for (const [target, method] of [['bm1684', 'multiplier_shift'], ['bm1684x', 'multiplier_shift'], ['cv18xx', 'multiplier_shift_float']] as const) {
    test(`${target}: the Adds run as integer QBinary (${method}) and top-1 stays near float`, async () => {
      const qm = await quantize(model('digits_mobilenetv2'), { target, data: X32, limit: 100 });
      const x = readNpy(X32);
      const nodes = qm.model.graph.nodes.filter((n) => n.opType === 'Add' || n.opType === 'Mul');
      expect(nodes.length).toBeGreaterThan(0);
      for (const n of nodes) expect([n.name, qm.plan.nodes.get(n.name)?.execution, qm.plan.nodes.get(n.name)?.emulation]).toEqual([n.name, 'integer', 'exact']);
      const qbin = qm.emulation.graph.nodes.filter((n) => n.opType === 'QBinary');
      expect(qbin.length).toBe(nodes.length);
      const str = (n: (typeof qbin)[number], k: string) => { const a = n.attrs.get(k); return a?.kind === 'string' ? a.value : undefined; };
      const adds = qbin.filter((n) => str(n, 'op') === 'add');
      expect(adds.length).toBeGreaterThan(0);
      for (const n of adds) expect(str(n, 'method')).toBe(method);
      const f = top1((await qm.runFloat({ input: x })).logits.data as Float32Array, 500);
      const q = top1((await qm.run({ input: x })).logits.data as Float32Array, 500);
      expect(q).toBeGreaterThan(f - 0.03);
      await qm.dispose();
    }, 120000);
  }
});
