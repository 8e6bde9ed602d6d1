/**
 * The built-in profiles: each validates, carries provenance for its key fields, and states the facts
 * of shared/reference/quantization-facts.md (and the sources cited in each target file).
 */
import {
  canFuseActivation, checkProfile, getProfile, listProfiles, opExecution, resolveWeightSpec,
  type ChipProfile,
} from '../../lib/quantize';
import { profileDefaults } from '../../lib/quantize/defaults';
import { profilePaths } from '../../lib/quantize/define';
import { PROFILE_SCHEMA, type Schema } from '../../lib/quantize/schema';

const EXPECTED = [
  'onnxruntime', 'onnxruntime-s8', 'onnxruntime-rr', 'tflite-int8', 'tflite-16x8', 'ncnn',
  'rk1808', 'rk1808-dfp-i8', 'rk1808-dfp-i16', 'rv1126', 'rv1126-dfp-i8', 'rv1126-dfp-i16',
  'rk3588', 'rk3588-w8a16', 'rk3588-w16a16i', 'bm1684', 'bm1684x', 'cv18xx', 'ax650', 'spacemit-k1',
  'snpe-htp', 'snpe-htp-a16', 'snpe-htp-pc',
];

/** Fields whose provenance every built-in profile must state (own or inherited claim). */
const REQUIRED_CLAIMS = [
  'activation.dtype', 'activation.symmetric', 'weights.dtype', 'weights.symmetric', 'weights.granularity',
  'bias.dtype', 'rounding.input', 'rounding.weight', 'rounding.requant', 'requant.method', 'eltwise.style',
  'fusedActivations', 'calibration.method', 'hybrid.precisions',
];

function claim(p: ChipProfile, path: string): ChipProfile['claims'][number] | undefined {
  return p.claims.find((c) => c.path === path);
}

describe('registry', () => {
  test('lists every built-in profile, bases first', () => {
    expect(listProfiles()).toEqual(EXPECTED);
  });

  test.each(EXPECTED)('%s validates, is frozen and cites its sources', (name) => {
    const p = getProfile(name);
    expect(() => checkProfile(p)).not.toThrow();
    expect(p.name).toBe(name);
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.weights.byOp)).toBe(true);
    expect(p.sources.length).toBeGreaterThan(1);
    expect(p.description.length).toBeGreaterThan(20);
    for (const path of REQUIRED_CLAIMS) expect([name, path, claim(p, path) !== undefined]).toEqual([name, path, true]);
    for (const c of p.claims) {
      if (c.verified === 'inferred') expect(c.note?.length ?? 0).toBeGreaterThan(10);
      else expect(c.sources.length).toBeGreaterThan(0);
    }
  });

  test('getProfile returns the same frozen object each time', () => {
    expect(getProfile('rk3588')).toBe(getProfile('rk3588'));
    expect(() => { (getProfile('rk3588').weights as { dtype: string }).dtype = 'uint8'; }).toThrow(TypeError);
  });

  test('the schema and the defaults describe the same fields', () => {
    const schemaPaths: string[] = [];
    const walk = (s: Schema, prefix: string): void => {
      if (s.kind !== 'object') return;
      for (const [k, f] of Object.entries(s.fields)) {
        const at = prefix ? `${prefix}.${k}` : k;
        schemaPaths.push(at);
        walk(f, at);
      }
    };
    walk(PROFILE_SCHEMA, '');
    const defaults = { name: 'x', description: 'x', ...profileDefaults() } as ChipProfile;
    const skip = new Set(['name', 'extends', 'description', 'sources', 'claims', 'notes', 'hooks', 'base']);
    const fromSchema = schemaPaths.filter((p) => !skip.has(p.split('.')[0]) && !p.startsWith('hooks.') && !p.startsWith('claims.')).sort();
    const fromDefaults = profilePaths(defaults).filter((p) => !skip.has(p.split('.')[0])).sort();
    expect(fromSchema).toEqual(fromDefaults);
  });
});

describe('key facts per profile (quantization-facts.md §1-3)', () => {
  test('onnxruntime: u8 asymmetric activations, s8 ±127 symmetric weights, half-even, int32 bias, float requant', () => {
    const p = getProfile('onnxruntime');
    expect(p.activation).toMatchObject({ dtype: 'uint8', symmetric: false });
    expect(p.activation.allowed).toEqual(['uint8', 'int8', 'uint16', 'int16']);
    expect(p.weights).toMatchObject({ dtype: 'int8', symmetric: true, narrowRange: true, granularity: 'per_tensor' });
    expect(Object.values(p.rounding)).toEqual(Array(5).fill('half_to_even'));
    expect(p.bias.dtype).toBe('int32');
    expect(p.requant.method).toBe('float_scale');
    expect(p.calibration).toMatchObject({ method: 'minmax', percentile: 99.999, bins: 2048 });
    expect(opExecution(p, 'Sigmoid')).toBe('lut');
    expect(opExecution(p, 'HardSwish')).toBe('keep_float');
    expect(getProfile('onnxruntime-s8').activation.dtype).toBe('int8');
    expect(getProfile('onnxruntime-s8').base).toBe('onnxruntime');
  });

  test('tflite-int8: s8 asymmetric activations, per-channel ±127 weights (FC per tensor), gemmlowp requant', () => {
    const p = getProfile('tflite-int8');
    expect(p.activation).toMatchObject({ dtype: 'int8', symmetric: false });
    expect(p.weights).toMatchObject({ dtype: 'int8', symmetric: true, narrowRange: true, granularity: 'per_channel' });
    expect(resolveWeightSpec(p, 'Gemm').granularity).toBe('per_tensor');
    expect(resolveWeightSpec(p, 'Conv').granularity).toBe('per_channel');
    expect(p.requant.method).toBe('fixed_point_double');
    expect(p.rounding.requant).toBe('half_away_from_zero');
    expect(p.bias.dtype).toBe('int32');
    expect(p.eltwise).toMatchObject({ style: 'tflite', leftShift: 20 });
    expect(canFuseActivation(p, { opType: 'Relu' })).toBe(true);
    expect(canFuseActivation(p, { opType: 'Clip', min: 0, max: 6 })).toBe(true);
    expect(canFuseActivation(p, { opType: 'Clip', min: -1, max: 1 })).toBe(true);
    expect(canFuseActivation(p, { opType: 'Clip', min: 0, max: 4 })).toBe(false);
    expect(canFuseActivation(p, { opType: 'LeakyRelu' })).toBe(false);
  });

  test('tflite-16x8: s16 symmetric activations, s8 weights, int64 bias, Add left shift 15', () => {
    const p = getProfile('tflite-16x8');
    expect(p.activation).toMatchObject({ dtype: 'int16', symmetric: true, narrowRange: false });
    expect(p.weights.dtype).toBe('int8');
    expect(p.bias.dtype).toBe('int64');
    expect(p.eltwise.leftShift).toBe(15);
    expect(p.hooks.fuseActivation).toBe(getProfile('tflite-int8').hooks.fuseActivation);
  });

  test('ncnn: s8 symmetric ±127 everywhere, half away from zero, float bias, int8 Conv/Gemm only', () => {
    const p = getProfile('ncnn');
    expect(p.activation).toMatchObject({ dtype: 'int8', symmetric: true, narrowRange: true, quantizedTensors: 'integer_op_inputs' });
    expect(p.weights).toMatchObject({ dtype: 'int8', symmetric: true, narrowRange: true, granularity: 'per_channel' });
    expect(p.rounding.input).toBe('half_away_from_zero');
    expect(p.rounding.requant).toBe('half_away_from_zero');
    expect(p.bias.dtype).toBe('float32');
    expect(p.requant).toMatchObject({ method: 'float_scale', dequantizeFirst: true });
    expect([opExecution(p, 'Conv'), opExecution(p, 'Gemm'), opExecution(p, 'Add')]).toEqual(['integer', 'integer', 'keep_float']);
  });

  test('rk1808 / rv1126: asymmetric_affine-u8 for activations and weights, and DFP i8/i16 variants', () => {
    for (const name of ['rk1808', 'rv1126']) {
      const p = getProfile(name);
      expect(p.vendorDtype).toBe('asymmetric_affine-u8');
      expect(p.activation).toMatchObject({ dtype: 'uint8', symmetric: false });
      expect(p.weights).toMatchObject({ dtype: 'uint8', symmetric: false, granularity: 'per_tensor' });
      expect(p.rounding.input).toBe('half_to_even');
      expect(p.hybrid.vendorNames).toEqual({ uint8: 'asymmetric_affine-u8', int16: 'dynamic_fixed_point-i16', float32: 'float32' });
      expect(claim(p, 'requant.method')?.verified).toBe('inferred');
    }
    for (const prefix of ['rk1808', 'rv1126']) {
      const i8 = getProfile(`${prefix}-dfp-i8`);
      expect(i8.vendorDtype).toBe('dynamic_fixed_point-i8');
      expect(i8.activation).toMatchObject({ dtype: 'int8', symmetric: true, scale: { kind: 'dfp' } });
      expect(i8.weights).toMatchObject({ dtype: 'int8', scale: { kind: 'dfp' } });
      expect(i8.requant.method).toBe('shift_only');
      expect(claim(i8, 'activation.scale.kind')?.verified).toBe('inferred');
      const i16 = getProfile(`${prefix}-dfp-i16`);
      expect(i16.vendorDtype).toBe('dynamic_fixed_point-i16');
      expect([i16.activation.dtype, i16.weights.dtype, i16.bias.dtype]).toEqual(['int16', 'int16', 'int64']);
    }
    expect(getProfile('rv1126').base).toBe('rk1808');
  });

  test('rk3588: w8a8 s8 asymmetric activations and per-channel weights; w8a16 and w16a16i', () => {
    const p = getProfile('rk3588');
    expect(p.vendorDtype).toBe('w8a8');
    expect(p.activation).toMatchObject({ dtype: 'int8', symmetric: false });
    expect(p.weights).toMatchObject({ dtype: 'int8', symmetric: true, granularity: 'per_channel' });
    expect(p.hybrid.precisions).toEqual(['int8', 'int16', 'float16']);
    expect(getProfile('rk3588-w8a16')).toMatchObject({ vendorDtype: 'w8a16', activation: { dtype: 'int16' }, weights: { dtype: 'int8' } });
    expect(getProfile('rk3588-w16a16i')).toMatchObject({ vendorDtype: 'w16a16i', activation: { dtype: 'int16' }, weights: { dtype: 'int16' } });
  });

  test('bm1684: shift-only requant with power-of-two ratio, weights fitted per tensor, int16 bias, half-up', () => {
    const p = getProfile('bm1684');
    expect(p.requant.method).toBe('shift_only');
    expect(p.weights).toMatchObject({ granularity: 'per_tensor', fitToRequant: 'shift' });
    expect(p.bias.dtype).toBe('int16');
    expect(p.rounding.requant).toBe('half_up');
    expect(p.activation).toMatchObject({ dtype: 'int8', symmetric: true, symmetricScale: 'qmax', unsignedWhenNonNegative: true });
    expect(p.hybrid.precisions).not.toContain('float16');
  });

  test('bm1684x: per-channel weights, 32-bit multiplier + rshift rounded half up, 8-bit eltwise multipliers', () => {
    const p = getProfile('bm1684x');
    expect(p.requant).toMatchObject({ method: 'multiplier_shift', multiplierBits: 32 });
    expect(p.rounding.requant).toBe('half_up');
    expect(p.weights).toMatchObject({ granularity: 'per_channel', narrowRange: true, scale: { minScale: 1e-5 } });
    expect(p.eltwise).toMatchObject({ style: 'multiplier_shift', multiplierBits: 8 });
    expect(p.hybrid.vendorNames).toMatchObject({ float16: 'F16', bfloat16: 'BF16', float32: 'F32', int8: 'INT8' });
  });

  test('cv18xx: QDM (gemmlowp double rounding), weights fitted to the multiplier, half-even weights and bias', () => {
    const p = getProfile('cv18xx');
    expect(p.requant.method).toBe('fixed_point_double');
    expect(p.weights.fitToRequant).toBe('multiplier');
    expect([p.rounding.weight, p.rounding.bias]).toEqual(['half_to_even', 'half_to_even']);
    expect(p.eltwise.style).toBe('multiplier_shift_float');
    expect(p.hybrid.precisions).toEqual(['int8', 'bfloat16']);
  });

  test('ax650: U8 activations (U16/S8/S16 per layer), S8 weights; NPU arithmetic inferred', () => {
    const p = getProfile('ax650');
    expect(p.activation.dtype).toBe('uint8');
    expect(p.activation.allowed).toEqual(['uint8', 'int8', 'uint16', 'int16']);
    expect(p.weights.dtype).toBe('int8');
    expect(p.hybrid.vendorNames).toEqual({ uint8: 'U8', int8: 'S8', uint16: 'U16', int16: 'S16', float32: 'FP32' });
    expect(claim(p, 'requant.method')?.verified).toBe('inferred');
    expect(claim(p, 'activation.dtype')?.verified).toBe('source');
  });

  test('spacemit-k1: Conv per-channel, Gemm/MatMul/ConvTranspose per-tensor power-of-two, float bias, half-even', () => {
    const p = getProfile('spacemit-k1');
    expect(p.activation).toMatchObject({ dtype: 'int8', symmetric: false, scale: { minScale: 1e-8 } });
    expect(resolveWeightSpec(p, 'Conv')).toMatchObject({ granularity: 'per_channel', narrowRange: false, scale: { kind: 'float' } });
    for (const op of ['Gemm', 'MatMul', 'ConvTranspose', 'BatchMatMul']) {
      expect(resolveWeightSpec(p, op)).toMatchObject({ granularity: 'per_tensor', scale: { kind: 'power_of_two', log2Rounding: 'ceil', minScale: 1e-8 } });
    }
    expect(p.bias.dtype).toBe('float32');
    expect(Object.values(p.rounding)).toEqual(Array(5).fill('half_to_even'));
    expect(p.fusedActivations).toEqual(['Relu', 'Clip']);
    expect(opExecution(p, 'Softmax')).toBe('keep_float');
    expect(claim(p, 'weights.byOp.Gemm.scale.kind')?.verified).toBe('source');
  });

  test('snpe-htp: tf quantizer u8 with min range 0.01 and exact zero; a16 and per-channel variants', () => {
    const p = getProfile('snpe-htp');
    expect(p.activation).toMatchObject({ dtype: 'uint8', symmetric: false, scale: { minRange: 0.01, exactZero: true } });
    expect(p.weights).toMatchObject({ dtype: 'uint8', symmetric: false, granularity: 'per_tensor' });
    expect(getProfile('snpe-htp-a16').activation.dtype).toBe('uint16');
    const pc = getProfile('snpe-htp-pc');
    for (const op of ['Conv', 'ConvTranspose', 'Gemm']) {
      expect(resolveWeightSpec(pc, op)).toMatchObject({ dtype: 'int8', symmetric: true, granularity: 'per_channel' });
    }
    expect(resolveWeightSpec(pc, 'MatMul')).toMatchObject({ dtype: 'uint8', granularity: 'per_tensor' });
  });
});
