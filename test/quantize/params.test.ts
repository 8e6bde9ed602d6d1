/**
 * params.ts, requant-params.ts and rounding.ts against hand-computed values: scale and zero point per
 * profile convention, requant multipliers (QuantizeMultiplier edge cases, TPU-MLIR searches),
 * weight fitting for BM1684/CV18xx, bias quantization and fused clamps.
 */
import { NpuqError } from '../../lib/errors';
import {
  activationParams, calRightShiftNum, computeQuantParams, computeRequantParams, defineProfile, fitMultiplierWeightScale,
  fitShiftWeightScale, fusedClampRange, getProfile, integerRange, quantizeBias, quantizeMultiplier, roundMode,
  rshiftAndMultiplierFromQScale, rshiftRound, searchMultiplierShift, symmetricRanges, weightParams,
  ROUNDING_MODES, type RoleSpec,
} from '../../lib/quantize';

const f = Math.fround;

function u8(scale: Partial<RoleSpec['scale']> = {}): RoleSpec {
  return {
    dtype: 'uint8', symmetric: false, narrowRange: false, symmetricScale: 'levels',
    scale: { kind: 'float', log2Rounding: 'ceil', minScale: 0, minRange: 0, exactZero: true, ...scale },
  };
}

function expectInvalid(fn: () => unknown, message: string): void {
  expect(fn).toThrow(NpuqError);
  expect(fn).toThrow(message);
}

describe('rounding', () => {
  test('roundMode at ties, every mode', () => {
    const at = (x: number): number[] => ROUNDING_MODES.map((m) => roundMode(x, m));
    // half_away, half_up, half_down, half_even, half_odd, half_toward_zero, toward_zero, away_from_zero, ceil, floor
    expect(at(2.5)).toEqual([3, 3, 2, 2, 3, 2, 2, 3, 3, 2]);
    expect(at(-2.5)).toEqual([-3, -2, -3, -2, -3, -2, -2, -3, -2, -3]);
    expect(at(0.5).map((v) => v + 0)).toEqual([1, 1, 0, 0, 1, 0, 0, 1, 1, 0]);
    expect(at(1.25)).toEqual([1, 1, 1, 1, 1, 1, 1, 2, 2, 1]);
  });

  test('rshiftRound equals roundMode(v / 2^s) for every mode', () => {
    for (const m of ROUNDING_MODES) {
      for (let v = -33; v <= 33; v++) {
        for (const s of [1, 2, 3]) expect([m, v, s, Number(rshiftRound(BigInt(v), s, m))]).toEqual([m, v, s, roundMode(v / 2 ** s, m)]);
      }
    }
    expect(rshiftRound(3n, -2, 'floor')).toBe(12n);
  });

  test('quantizeMultiplier: m = 0.5, m close to 1, tiny m, large m', () => {
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 1610612736, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 }); // rounds to 2^31: halved, shift + 1
    expect(quantizeMultiplier(1 - 2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: 1 }); // tie at 2^31 - 0.5 rounds away
    expect(quantizeMultiplier(1 - 2 ** -31)).toEqual({ multiplier: 2 ** 31 - 1, shift: 0 });
    expect(quantizeMultiplier(0.1)).toEqual({ multiplier: 1717986918, shift: -3 });
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(1e-20)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(2 ** 31)).toEqual({ multiplier: 2 ** 31 - 1, shift: 30 });
    expectInvalid(() => quantizeMultiplier(-1), 'Expected a finite multiplier >= 0 for quantizeMultiplier but received -1');
  });
});

describe('integer ranges', () => {
  test('full, narrow and reduce_range', () => {
    expect(integerRange('int8')).toEqual({ qmin: -128, qmax: 127 });
    expect(integerRange('int8', { narrow: true })).toEqual({ qmin: -127, qmax: 127 });
    expect(integerRange('uint16')).toEqual({ qmin: 0, qmax: 65535 });
    expect(integerRange('int16', { narrow: true })).toEqual({ qmin: -32767, qmax: 32767 });
    expect(integerRange('int8', { reduceRange: true })).toEqual({ qmin: -64, qmax: 64 });
    expect(integerRange('uint8', { reduceRange: true })).toEqual({ qmin: 0, qmax: 127 });
  });
});

describe('computeQuantParams', () => {
  test('asymmetric u8 (onnxruntime): scale (max-min)/255, zp round(-min/scale), range widened to 0', () => {
    const ort = getProfile('onnxruntime');
    expect(activationParams(ort, { min: -1, max: 3 })).toEqual({ dtype: 'uint8', scale: f(4 / 255), zeroPoint: 64, qmin: 0, qmax: 255 });
    expect(activationParams(ort, { min: 2, max: 4 })).toEqual({ dtype: 'uint8', scale: f(4 / 255), zeroPoint: 0, qmin: 0, qmax: 255 });
    expect(activationParams(ort, { min: 0, max: 0 })).toEqual({ dtype: 'uint8', scale: 1, zeroPoint: 0, qmin: 0, qmax: 255 });
  });

  test('zero-point ties follow the profile rounding', () => {
    const range = { min: -63.5, max: 191.5 }; // scale exactly 1, -min/scale = 63.5
    expect(activationParams(getProfile('onnxruntime'), range).zeroPoint).toBe(64);
    expect(computeQuantParams(range, u8(), 'half_down').zeroPoint).toBe(63);
    expect(activationParams(getProfile('onnxruntime-s8'), range).zeroPoint).toBe(-64); // -128 + 63.5, half to even
    expect(activationParams(getProfile('tflite-int8'), range).zeroPoint).toBe(-65); // half away from zero
    expect(activationParams(getProfile('spacemit-k1'), range).zeroPoint).toBe(-64);
  });

  test('symmetric conventions: levels with ±127 (onnxruntime), full-range levels (PPQ/XSlim), qmax (TFLite 16x8)', () => {
    expect(weightParams(getProfile('onnxruntime'), 'Conv', [{ min: -1, max: 0.5 }, { min: -0.25, max: 2 }]))
      .toEqual([{ dtype: 'int8', scale: f(2 / 127), zeroPoint: 0, qmin: -127, qmax: 127 }]);
    expect(weightParams(getProfile('spacemit-k1'), 'Conv', symmetricRanges([2, 0.5])))
      .toEqual([
        { dtype: 'int8', scale: f(4 / 255), zeroPoint: 0, qmin: -128, qmax: 127 },
        { dtype: 'int8', scale: f(1 / 255), zeroPoint: 0, qmin: -128, qmax: 127 },
      ]);
    expect(activationParams(getProfile('tflite-16x8'), { min: -3, max: 1 }))
      .toEqual({ dtype: 'int16', scale: f(3 / 32767), zeroPoint: 0, qmin: -32768, qmax: 32767 });
    const uSym: RoleSpec = { ...u8(), symmetric: true };
    expect(computeQuantParams({ min: -1, max: 1 }, uSym)).toEqual({ dtype: 'uint8', scale: f(2 / 255), zeroPoint: 128, qmin: 0, qmax: 255 });
  });

  test('power of two, log2 rounded up (SpacemiT K1 Gemm weights, PPQ)', () => {
    const k1 = getProfile('spacemit-k1');
    expect(weightParams(k1, 'Gemm', [{ min: -1, max: 0.5 }, { min: -0.2, max: 0.9 }]))
      .toEqual([{ dtype: 'int8', scale: 2 ** -6, zeroPoint: 0, qmin: -128, qmax: 127, exponent: -6 }]); // 2/255 -> 2^-6.99 -> 2^-6
    expect(weightParams(k1, 'MatMul', symmetricRanges([127.5 / 128]))[0]).toMatchObject({ scale: 2 ** -7, exponent: -7 }); // exact power
    const floor = computeQuantParams({ min: -1, max: 1 }, { ...u8({ kind: 'power_of_two', log2Rounding: 'floor' }), dtype: 'int8', symmetric: true });
    expect(floor).toMatchObject({ scale: 2 ** -7, exponent: -7 });
  });

  test('dynamic fixed point: fl = (bits-1) - ceil(log2 absmax)', () => {
    const i8 = getProfile('rk1808-dfp-i8');
    const fl = (absmax: number): number => -(activationParams(i8, { min: -absmax, max: absmax / 2 }).exponent as number);
    expect([fl(1), fl(1.5), fl(0.25), fl(0.3), fl(100)]).toEqual([7, 6, 9, 8, 0]);
    expect(activationParams(i8, { min: 0, max: 0 })).toEqual({ dtype: 'int8', scale: 2 ** -7, zeroPoint: 0, qmin: -128, qmax: 127, exponent: -7 });
    expect(activationParams(getProfile('rk1808-dfp-i16'), { min: -3, max: 1 })).toMatchObject({ dtype: 'int16', scale: 2 ** -13, qmin: -32768 });
  });

  test('SNPE tf: minimum range 0.01 and exact zero', () => {
    const snpe = getProfile('snpe-htp');
    expect(activationParams(snpe, { min: -0.002, max: 0.003 })).toEqual({ dtype: 'uint8', scale: f(0.01 / 255), zeroPoint: 51, qmin: 0, qmax: 255 });
    expect(activationParams(snpe, { min: 0, max: 0.001 })).toEqual({ dtype: 'uint8', scale: f(0.01 / 255), zeroPoint: 0, qmin: 0, qmax: 255 });
    expect(activationParams(snpe, { min: -1, max: 3 }).scale).toBe(f(4 / 255));
  });

  test('TPU-MLIR: threshold/127 signed, threshold/255 unsigned when min >= 0', () => {
    const bm = getProfile('bm1684x');
    expect(activationParams(bm, { min: 0, max: 6 })).toEqual({ dtype: 'uint8', scale: f(6 / 255), zeroPoint: 0, qmin: 0, qmax: 255 });
    expect(activationParams(bm, { min: -1, max: 6 })).toEqual({ dtype: 'int8', scale: f(6 / 127), zeroPoint: 0, qmin: -128, qmax: 127 });
    expect(weightParams(bm, 'Conv', symmetricRanges([1e-9]))[0].scale).toBe(f(1e-5)); // max(w_max/127, 1e-5)
  });

  test('minimum scale (PPQ 1e-8), reduce_range, and the nudged zero point without exactZero', () => {
    expect(activationParams(getProfile('spacemit-k1'), { min: 0, max: 1e-12 })).toEqual({ dtype: 'int8', scale: f(1e-8), zeroPoint: -128, qmin: -128, qmax: 127 });
    const reduced = defineProfile({ name: 'ort-avx2', extends: 'onnxruntime', weights: { reduceRange: true } });
    expect(weightParams(reduced, 'Conv', symmetricRanges([2]))).toEqual([{ dtype: 'int8', scale: 2 / 64, zeroPoint: 0, qmin: -64, qmax: 64 }]);
    const noZero = u8({ exactZero: false });
    expect(computeQuantParams({ min: 2, max: 4 }, noZero)).toEqual({ dtype: 'uint8', scale: f(4 / 255), zeroPoint: 0, qmin: 0, qmax: 255 });
    expect(computeQuantParams({ min: -4, max: -2 }, noZero)).toEqual({ dtype: 'uint8', scale: f(4 / 255), zeroPoint: 255, qmin: 0, qmax: 255 });
  });

  test('invalid ranges', () => {
    expectInvalid(() => computeQuantParams({ min: 1, max: 0 }, u8()), 'Expected a finite range with min <= max but received [1, 0]');
    expectInvalid(() => computeQuantParams({ min: NaN, max: 0 }, u8()), 'Expected a finite range with min <= max but received [NaN, 0]');
  });
});

describe('requantization parameters', () => {
  test('float scale, per channel', () => {
    expect(computeRequantParams({ method: 'float_scale', multiplierBits: 32 }, 0.5, [0.25, 0.125], 0.0625))
      .toEqual({ method: 'float_scale', perChannel: true, scale: [2, 1], multiplier: [], shift: [] });
  });

  test('gemmlowp QuantizeMultiplier for fixed point', () => {
    expect(computeRequantParams(getProfile('tflite-int8').requant, 0.1, [0.02], 0.5))
      .toEqual({ method: 'fixed_point_double', perChannel: false, scale: [], multiplier: [1099511628], shift: [-7] }); // 0.004 = 0.512 * 2^-7
  });

  test('TPU-MLIR get_scale_and_shift: first n with the smallest float error', () => {
    expect(searchMultiplierShift(0.3, 8)).toEqual({ multiplier: 77, rshift: 8 }); // 0.3 * 2^9 = 153.6 exceeds 127
    expect(searchMultiplierShift(0.3, 32)).toEqual({ multiplier: 5033165, rshift: 24 }); // float(0.3) = 5033165 * 2^-24 exactly
    expect(searchMultiplierShift(0.5, 32)).toEqual({ multiplier: 1, rshift: 1 });
    expect(computeRequantParams(getProfile('bm1684x').requant, 0.3, [1, 0.5], 1))
      .toEqual({ method: 'multiplier_shift', perChannel: true, scale: [], multiplier: [5033165, 5033165], shift: [24, 25] });
  });

  test('CV18xx non-QDM multiplier: first rshift reaching the limit, multiplier truncated', () => {
    expect(rshiftAndMultiplierFromQScale(0.3, 127)).toEqual({ multiplier: 76, rshift: 8 });
    expect(rshiftAndMultiplierFromQScale(200, 127)).toEqual({ multiplier: 127, rshift: 0 });
    expect(rshiftAndMultiplierFromQScale(0, 127)).toEqual({ multiplier: 0, rshift: 0 });
    expect(computeRequantParams({ method: 'multiplier_shift_float', multiplierBits: 8 }, 0.3, [1], 1).multiplier).toEqual([76]);
  });

  test('shift only needs a power-of-two ratio', () => {
    expect(computeRequantParams({ method: 'shift_only', multiplierBits: 32 }, 0.25, [0.5], 0.5))
      .toEqual({ method: 'shift_only', perChannel: false, scale: [], multiplier: [1], shift: [2] });
    expectInvalid(() => computeRequantParams({ method: 'shift_only', multiplierBits: 32 }, 0.3, [1], 1),
      'shift_only requant needs a power-of-two ratio s_in * s_w / s_out but received 0.3');
    expectInvalid(() => computeRequantParams({ method: 'float_scale', multiplierBits: 32 }, 0.3, [1], 0),
      'Expected a positive finite outputScale for computeRequantParams but received 0');
  });

  test('BM1684: weights fitted to calRightShiftNum give an exact shift-only requant', () => {
    expect(calRightShiftNum(1, 0.02, 0.05)).toBe(8); // 0.4 doubled 9 times reaches 204.8 >= 127
    expect(calRightShiftNum(200, 1, 1)).toBe(-1);
    expect(calRightShiftNum(0, 1, 1)).toBe(0);
    expect(fitShiftWeightScale(200, 1, 1)).toBeNull();
    const fit = fitShiftWeightScale(1, 0.02, 0.05);
    expect(fit).toEqual({ rshift: 8, weightFactor: f(102.4), weightScale: 1 / f(102.4) });
    const bm = getProfile('bm1684');
    const [w] = weightParams(bm, 'Conv', [{ min: -1, max: 0.5 }], { inputScale: 0.02, outputScale: 0.05 });
    expect(w).toMatchObject({ dtype: 'int8', scale: 1 / f(102.4), fit: { rshift: 8, weightFactor: f(102.4) } });
    expect(computeRequantParams(bm.requant, 0.02, [w.scale], 0.05)).toMatchObject({ method: 'shift_only', multiplier: [1], shift: [8] });
    expectInvalid(() => weightParams(bm, 'Conv', [{ min: -1, max: 1 }]),
      'Profile bm1684 fits Conv weights to the requant (shift): pass inputScale and outputScale');
  });

  test('CV18xx: weights fitted to the QDM multiplier', () => {
    const fit = fitMultiplierWeightScale(1, 0.02, 0.05);
    const q = quantizeMultiplier(f(f(f(1) * f(127 * 0.02)) / f(127 * f(127 * 0.05))));
    expect([fit.multiplier, -fit.rshift]).toEqual([q.multiplier, q.shift]);
    expect(roundMode(1 * fit.weightFactor, 'half_to_even')).toBe(127); // max |w| lands on 127
    const effective = fit.multiplier / 2 ** (31 + fit.rshift);
    expect(Math.abs((fit.weightScale * f(127 * 0.02)) / f(127 * 0.05) / effective - 1)).toBeLessThan(1e-6);
    const [w] = weightParams(getProfile('cv18xx'), 'Conv', [{ min: -1, max: 1 }], { inputScale: 0.02, outputScale: 0.05 });
    expect(w.fit).toEqual({ rshift: fit.rshift, multiplier: fit.multiplier, weightFactor: fit.weightFactor });
  });
});

describe('bias and fused clamps', () => {
  test('quantizeBias rounds per profile and clamps to the bias type', () => {
    expect(quantizeBias([0.5, -0.25], 0.5, [0.5, 0.25], 'int32')).toEqual([2, -2]);
    expect(quantizeBias([0.375, 0.625], 1, [0.25], 'int32', 'half_to_even')).toEqual([2, 2]);
    expect(quantizeBias([0.375, 0.625], 1, [0.25], 'int32', 'half_away_from_zero')).toEqual([2, 3]);
    expect(quantizeBias([1e6, -1e6], 1, [1], 'int16')).toEqual([32767, -32768]);
    expect(quantizeBias([1e10], 1, [1], 'int64')).toEqual([1e10]);
    expectInvalid(() => quantizeBias([1, 2, 3], 1, [1, 1], 'int32'), 'Expected 1 or 3 weight scales for quantizeBias but received 2');
  });

  test('fusedClampRange narrows the requant clamp for Relu and Clip', () => {
    const q = { dtype: 'uint8' as const, scale: 0.1, zeroPoint: 10, qmin: 0, qmax: 255 };
    expect(fusedClampRange(q, { opType: 'Relu' })).toEqual({ qmin: 10, qmax: 255 });
    expect(fusedClampRange(q, { opType: 'Clip', min: 0, max: 6 })).toEqual({ qmin: 10, qmax: 70 });
    expect(fusedClampRange(q, { opType: 'Clip', min: -100, max: 100 })).toEqual({ qmin: 0, qmax: 255 });
  });
});
