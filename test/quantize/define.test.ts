/**
 * defineProfile and getProfile: user profiles from JSON/TS objects, `extends` merging, and the exact
 * text of every validation error (DESIGN.md habit 7: "Expected ... for ... but received ...").
 */
import { NpuqError } from '../../lib/errors';
import { defineProfile, getProfile, listProfiles, profileAliases, resolveWeightSpec, type ProfileInput } from '../../lib/quantize';

const KNOWN = listProfiles().join(', ');
const TOP_KEYS = 'name, extends, description, vendor, toolkit, vendorDtype, activation, weights, bias, rounding, requant, ' +
  'eltwise, ops, fusedActivations, calibration, hybrid, sources, claims, notes, hooks';

/** Asserts that `fn` throws NpuqError('INVALID_ARGUMENT') with exactly `message`. */
function expectError(fn: () => unknown, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(NpuqError);
  expect((caught as NpuqError).code).toBe('INVALID_ARGUMENT');
  expect((caught as NpuqError).message).toBe(message);
}

/** Parses JSON typed as a profile input: what a CLI reading a user's file passes on. */
function fromJson(text: string): ProfileInput {
  return JSON.parse(text) as ProfileInput;
}

describe('getProfile', () => {
  test('chip aliases resolve to the profile of their toolkit family', () => {
    expect(getProfile('rk3568')).toBe(getProfile('rk3588'));
    expect(getProfile('rv1109')).toBe(getProfile('rv1126'));
    expect(getProfile('bm1688')).toBe(getProfile('bm1684x'));
    expect(getProfile('cv181x')).toBe(getProfile('cv18xx'));
    expect(defineProfile({ name: 'x', extends: 'rk3566' }).base).toBe('rk3588');
    for (const target of Object.values(profileAliases())) expect(listProfiles()).toContain(target);
  });

  test('unknown name: lists all names and the closest one', () => {
    expectError(() => getProfile('tflite-int9'), `Unknown profile 'tflite-int9'; did you mean 'tflite-int8'? Known profiles: ${KNOWN}`);
    expectError(() => getProfile('RK3588'), `Unknown profile 'RK3588'; did you mean 'rk3588'? Known profiles: ${KNOWN}`);
    expectError(() => getProfile('bm1864x'), `Unknown profile 'bm1864x'; did you mean 'bm1684x'? Known profiles: ${KNOWN}`);
  });
});

describe('defineProfile: building', () => {
  test('a minimal profile takes the defaults (onnxruntime conventions)', () => {
    const p = defineProfile({ name: 'plain' });
    expect(p).toMatchObject({
      name: 'plain', description: 'plain', base: '',
      activation: { dtype: 'uint8', allowed: ['uint8'], symmetric: false, scale: { kind: 'float', exactZero: true } },
      weights: { dtype: 'int8', symmetric: true, narrowRange: true, granularity: 'per_tensor' },
      bias: { dtype: 'int32' },
      requant: { method: 'float_scale', multiplierBits: 32 },
      fusedActivations: ['Relu', 'Clip'],
    });
    expect(Object.isFrozen(p)).toBe(true);
  });

  test('extends merges objects key by key, replaces arrays, inherits claims, sources and hooks', () => {
    const p = defineProfile({ name: 'my-rk', extends: 'rk3588', weights: { granularity: 'per_tensor' }, hybrid: { precisions: ['int8', 'float16'] } });
    const base = getProfile('rk3588');
    expect(p.base).toBe('rk3588');
    expect(p.description).toBe('my-rk: rk3588 with overrides');
    expect(p.weights).toMatchObject({ dtype: 'int8', symmetric: true, granularity: 'per_tensor' });
    expect(p.activation).toEqual(base.activation);
    expect(p.hybrid.precisions).toEqual(['int8', 'float16']);
    expect(p.hybrid.vendorNames).toEqual(base.hybrid.vendorNames);
    expect(p.claims).toEqual(base.claims);
    expect(p.sources).toEqual(base.sources);
    const t = defineProfile({ name: 'my-tflite', extends: 'tflite-int8', description: 'mine' });
    expect(t.hooks.fuseActivation).toBe(getProfile('tflite-int8').hooks.fuseActivation);
    expect(t.description).toBe('mine');
  });

  test('byOp overrides merge per op type', () => {
    const p = defineProfile({ name: 'k1-mm-pc', extends: 'spacemit-k1', weights: { byOp: { MatMul: { granularity: 'per_channel' } } } });
    expect(resolveWeightSpec(p, 'MatMul')).toMatchObject({ granularity: 'per_channel', scale: { kind: 'power_of_two' } });
    expect(resolveWeightSpec(p, 'Gemm')).toMatchObject({ granularity: 'per_tensor', scale: { kind: 'power_of_two' } });
  });

  test('a JSON profile with catalog source ids, own sources and claims', () => {
    const p = defineProfile(fromJson(`{
      "name": "vendor-x", "extends": "onnxruntime", "activation": { "dtype": "int8" },
      "sources": ["tflite-spec", { "id": "x-manual", "title": "Vendor X manual", "url": "https://example.invalid/x" }],
      "claims": [
        { "path": "activation.dtype", "verified": "source", "sources": ["x-manual"] },
        { "path": "requant.method", "verified": "inferred", "sources": [], "note": "not documented by vendor X" }
      ]
    }`));
    expect(p.activation.dtype).toBe('int8');
    expect(p.sources.map((s) => s.id)).toEqual([...getProfile('onnxruntime').sources.map((s) => s.id), 'tflite-spec', 'x-manual']);
    expect(p.claims.find((c) => c.path === 'activation.dtype')?.sources).toEqual(['x-manual']);
    expect(p.claims.find((c) => c.path === 'requant.method')?.verified).toBe('inferred');
  });

  test('changing the default dtype of a base adds it to the allowed types', () => {
    const p = defineProfile({ name: 'k1-16', extends: 'spacemit-k1', activation: { dtype: 'int16' }, hybrid: { precisions: ['int16', 'int8'] } });
    expect(p.activation.allowed).toEqual(['int8', 'int16']);
  });
});

describe('defineProfile: error messages', () => {
  test('wrong enum value', () => {
    expectError(() => defineProfile(fromJson('{ "name": "x", "activation": { "dtype": "u9" } }')),
      "Expected one of uint8, int8, uint16, int16 for activation.dtype but received 'u9'");
    expectError(() => defineProfile(fromJson('{ "name": "x", "rounding": { "requant": "round" } }')),
      'Expected one of half_away_from_zero, half_up, half_down, half_to_even, half_to_odd, half_toward_zero, ' +
      "toward_zero, away_from_zero, ceil, floor for rounding.requant but received 'round'");
    expectError(() => defineProfile(fromJson('{ "name": "x", "weights": { "dtype": 8 } }')),
      'Expected one of int8, uint8, int16 for weights.dtype but received 8');
  });

  test('unknown keys name the closest valid key', () => {
    expectError(() => defineProfile(fromJson('{ "name": "x", "activaton": {} }')),
      `Unknown key 'activaton' in profile; did you mean 'activation'? Valid keys: ${TOP_KEYS}`);
    expectError(() => defineProfile(fromJson('{ "name": "x", "weights": { "granularty": "per_channel" } }')),
      "Unknown key 'granularty' in weights; did you mean 'granularity'? Valid keys: dtype, allowed, symmetric, " +
      'narrowRange, symmetricScale, reduceRange, granularity, fitToRequant, scale, byOp');
    expectError(() => defineProfile(fromJson('{ "name": "x", "activation": { "scale": { "minRage": 0.01 } } }')),
      "Unknown key 'minRage' in activation.scale; did you mean 'minRange'? Valid keys: kind, log2Rounding, minScale, minRange, exactZero");
  });

  test('numbers, booleans, objects, arrays, functions', () => {
    expectError(() => defineProfile(fromJson('{ "name": "x", "requant": { "multiplierBits": 40 } }')),
      'Expected an integer between 2 and 32 for requant.multiplierBits but received 40');
    expectError(() => defineProfile(fromJson('{ "name": "x", "activation": { "scale": { "minRange": -1 } } }')),
      'Expected a number >= 0 for activation.scale.minRange but received -1');
    expectError(() => defineProfile(fromJson('{ "name": "x", "calibration": { "percentile": 0 } }')),
      'Expected a number in (0, 100] for calibration.percentile but received 0');
    expectError(() => defineProfile(fromJson('{ "name": "x", "weights": { "symmetric": "yes" } }')),
      "Expected a boolean for weights.symmetric but received 'yes'");
    expectError(() => defineProfile(fromJson('{ "name": "x", "activation": "int8" }')),
      "Expected an object for activation but received 'int8'");
    expectError(() => defineProfile(fromJson('{ "name": "x", "hybrid": { "precisions": [] } }')),
      'Expected a non-empty array for hybrid.precisions but received an empty array');
    expectError(() => defineProfile(fromJson('{ "name": "x", "hybrid": { "precisions": ["int8", "fp16"] } }')),
      "Expected one of int8, uint8, int16, uint16, float16, bfloat16, float32 for hybrid.precisions[1] but received 'fp16'");
    expectError(() => defineProfile(fromJson('{ "name": "x", "hooks": { "fuseActivation": "relu" } }')),
      "Expected a function for hooks.fuseActivation but received 'relu'");
    expectError(() => defineProfile(fromJson('{ "name": "x", "fusedActivations": ["Relu", "Relu6"] }')),
      'Expected one of Relu, Clip, LeakyRelu, PRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Mish, Elu, Gelu ' +
      "for fusedActivations[1] but received 'Relu6'");
  });

  test('op type keys', () => {
    expectError(() => defineProfile(fromJson('{ "name": "x", "ops": { "byOp": { "sigmoid": "lut" } } }')),
      "Expected an ONNX op type (PascalCase, e.g. 'Conv') as a key of ops.byOp but received 'sigmoid'; did you mean 'Sigmoid'?");
    expectError(() => defineProfile(fromJson('{ "name": "x", "weights": { "byOp": { "Gemm": { "granularity": "per_row" } } } }')),
      "Expected one of per_tensor, per_channel for weights.byOp.Gemm.granularity but received 'per_row'");
  });

  test('name and extends', () => {
    expectError(() => defineProfile(fromJson('{}')), 'Expected a non-empty string for name but received undefined');
    expectError(() => defineProfile(fromJson('{ "name": "My Chip" }')),
      "Expected a lowercase name of letters, digits, '.', '_' or '-' for name but received 'My Chip'");
    expectError(() => defineProfile(fromJson('{ "name": "x", "extends": "rk3558" }')),
      `Unknown base profile 'rk3558'; did you mean 'rk3588'? Known profiles: ${KNOWN}`);
    expectError(() => defineProfile(fromJson('[]')), 'Expected a profile object for defineProfile but received an array');
    expectError(() => defineProfile(fromJson('{ "name": "x", "extends": 3 }')), 'Expected a profile name (string) for extends but received 3');
  });

  test('cross-field rules', () => {
    expectError(() => defineProfile({ name: 'x', activation: { dtype: 'int16', allowed: ['uint8', 'int8'] }, hybrid: { precisions: ['int16'] } }),
      "Expected one of uint8, int8 (activation.allowed) for activation.dtype but received 'int16'");
    expectError(() => defineProfile({ name: 'x', requant: { method: 'fixed_point_double' } }),
      "Expected 'half_away_from_zero' for rounding.requant with requant.method 'fixed_point_double' (its rounding is fixed) " +
      "but received 'half_to_even'");
    expectError(() => defineProfile({ name: 'x', requant: { method: 'fixed_point_single' }, rounding: { requant: 'half_away_from_zero' } }),
      "Expected 'half_up' for rounding.requant with requant.method 'fixed_point_single' (its rounding is fixed) " +
      "but received 'half_away_from_zero'");
    expectError(() => defineProfile({ name: 'x', bias: { dtype: 'float32' } }),
      "bias.dtype 'float32' requires requant.dequantizeFirst true (a float bias is added after dequantization)");
    expectError(() => defineProfile({ name: 'x', requant: { method: 'shift_only' } }),
      "requant.method 'shift_only' needs power-of-two scales: set weights.fitToRequant to 'shift', or " +
      "activation.scale.kind and weights.scale.kind to 'power_of_two' or 'dfp'");
    expectError(() => defineProfile({ name: 'x', weights: { fitToRequant: 'shift' } }),
      "weights.fitToRequant 'shift' requires requant.method 'shift_only' but requant.method is 'float_scale'");
    expectError(() => defineProfile({ name: 'x', activation: { scale: { kind: 'dfp' } } }),
      "activation.scale.kind 'dfp' requires a symmetric signed type (int8 or int16) but activation is asymmetric uint8");
    expectError(() => defineProfile({ name: 'x', extends: 'onnxruntime', activation: { dtype: 'int16' }, hybrid: { precisions: ['uint8'] } }),
      "Expected hybrid.precisions to include the default activation type 'int16' but received uint8");
  });

  test('sources and claims', () => {
    expectError(() => defineProfile({ name: 'x', sources: ['tflite-specc'] }),
      "Unknown source 'tflite-specc' in sources[0]; did you mean 'tflite-spec'? Give a catalog id or { id, title, url }");
    expectError(() => defineProfile({ name: 'x', sources: ['facts'], claims: [{ path: 'weights.granularty', verified: 'source', sources: ['facts'] }] }),
      "Unknown field 'weights.granularty' in claims[0].path; did you mean 'weights.granularity'?");
    expectError(() => defineProfile({ name: 'x', sources: ['facts'], claims: [{ path: 'bias.dtype', verified: 'source', sources: ['fact'] }] }),
      "Unknown source 'fact' in claims[0].sources (bias.dtype); did you mean 'facts'? Add it to sources first");
    expectError(() => defineProfile({ name: 'x', claims: [{ path: 'bias.dtype', verified: 'inferred', sources: [] }] }),
      'claims[0] (bias.dtype) is marked inferred and needs a note saying why');
    expectError(() => defineProfile({ name: 'x', claims: [{ path: 'bias.dtype', verified: 'source', sources: [] }] }),
      'claims[0] (bias.dtype) is marked source but cites no source');
  });
});
