/**
 * The neutral hybrid config: validateConfig against a model and a chip profile, and npuquant's own
 * `<model>.quantization.yaml` (errors name the file and line).
 */
import { type HybridConfig, closestNames, mergeConfig, validateConfig } from '../../lib/hybrid/config';
import { readYamlConfig, writeYamlConfig } from '../../lib/hybrid/yaml-config';
import { getProfile } from '../../lib/quantize/targets/index';
import { graphOf, thrown } from './format-helpers';

const g = graphOf('digits_cnn');
const F = '/features/features';

describe('validateConfig', () => {
  const rk3588 = getProfile('rk3588');
  const ok: HybridConfig = {
    target: 'rk3588',
    layers: { [`${F}.8/Conv`]: 'int16', '/classifier/classifier.3/Gemm': 'float16' },
    comments: { [`${F}.8/Conv`]: 'cosine 0.97' },
    tensors: {
      input: { dtype: 'int8', scale: [1 / 255], zeroPoint: [-128], min: 0, max: 1 },
      'features.0.weight': { dtype: 'int8', scale: Array(16).fill(0.01), zeroPoint: Array(16).fill(0), axis: 0 },
    },
  };

  test('accepts a config whose names and precisions exist', () => {
    expect(() => validateConfig(ok, g, rk3588)).not.toThrow();
  });

  test('unknown layers: every one listed with up to 3 closest node names', () => {
    const cfg = { ...ok, layers: { ...ok.layers, [`${F}.8/Cnov`]: 'int16' as const, '/classifier/classifier.9/Gemm': 'int16' as const } };
    const e = thrown(() => validateConfig(cfg, g, rk3588, 'm.quantization.yaml'));
    expect(e.code).toBe('UNKNOWN_LAYER');
    expect(e.message).toMatch(/^m\.quantization\.yaml: 2 layer names are not in the model/);
    expect(e.message).toContain(`layer "${F}.8/Cnov" is not in the model; did you mean "${F}.8/Conv"`);
    const line = e.message.split('\n').find((l) => l.includes('classifier.9'))!;
    expect(line.match(/"[^"]+"/g)!.length).toBe(4);  // the name and 3 suggestions
    expect(line).toContain('"/classifier/classifier.3/Gemm"');
  });

  test('unknown tensors and commented layers that are not nodes', () => {
    const e1 = thrown(() => validateConfig({ ...ok, tensors: { inptu: ok.tensors!.input } }, g, rk3588));
    expect([e1.code, e1.message]).toEqual(['UNKNOWN_TENSOR', expect.stringContaining('did you mean "input"')]);
    const e2 = thrown(() => validateConfig({ ...ok, comments: { nope: 'x' } }, g, rk3588));
    expect(e2.code).toBe('UNKNOWN_LAYER');
    const e3 = thrown(() => validateConfig({ ...ok, comments: { [`${F}.4/Conv`]: 'x' } }, g, rk3588));
    expect([e3.code, e3.message]).toEqual(['BAD_CONFIG', expect.stringContaining(`"${F}.4/Conv", which has no layers entry`)]);
  });

  test('a precision the target lacks names the ones it supports', () => {
    const rk1808 = getProfile('rk1808');
    const e = thrown(() => validateConfig({ ...ok, target: 'rk1808' }, g, rk1808));
    expect(e.code).toBe('UNSUPPORTED_PRECISION');
    expect(e.message).toContain('"/classifier/classifier.3/Gemm" is set to float16');
    expect(e.message).toContain(`target rk1808 does not support; it supports ${rk1808.hybrid.precisions.join(', ')}`);
    expect(e.message).toContain('uint8, int16, float32');
    const e2 = thrown(() => validateConfig({ ...ok, layers: { [`${F}.8/Conv`]: 'int4' as never } }, g, rk3588));
    expect([e2.code, e2.message]).toEqual(['UNSUPPORTED_PRECISION', expect.stringContaining('supports int8, int16, float16')]);
  });

  test('malformed tensor parameters and per-channel counts that do not match the weight', () => {
    const bad = (t: object) => thrown(() => validateConfig({ ...ok, tensors: { input: t as never } }, g, rk3588));
    expect(bad({ dtype: 'int4', scale: [1], zeroPoint: [0] }).message).toMatch(/dtype "int4"/);
    expect(bad({ dtype: 'int8', scale: [0], zeroPoint: [0] }).message).toMatch(/positive finite scales/);
    expect(bad({ dtype: 'int8', scale: [1, 2], zeroPoint: [0] }).message).toMatch(/one integer zero point per scale/);
    expect(bad({ dtype: 'int8', scale: [1], zeroPoint: [0], min: 2, max: 1 }).message).toMatch(/min 2 > max 1/);
    const e = thrown(() => validateConfig({ ...ok, tensors: { 'features.0.weight': { dtype: 'int8', scale: [1, 1, 1], zeroPoint: [0, 0, 0], axis: 0 } } }, g, rk3588));
    expect([e.code, e.message]).toEqual(['BAD_CONFIG', expect.stringContaining('3 per-channel scales along axis 0, but its shape is [16, 1, 3, 3]')]);
  });
});

describe('<model>.quantization.yaml', () => {
  test('reads what users write: comments, aliases, flow maps, numeric-looking names', () => {
    const cfg = readYamlConfig(`# my config
target:   rk3588
calibration:
  method: percentile
  percentile: 99.99

custom_quantize_layers:
  # the worst layers first
  ${F}.8/Conv:   int16     # cosine 0.91
  "/classifier/classifier.1/Gemm": FP16
  122: i8
quantize_parameters:
  input: {dtype: uint8, scale: [0.00392156862745098], zero_point: [0], min: 0, max: 1}
  w: { dtype: int8, scale: 0.5, zero_point: 0 }
`);
    expect(cfg).toEqual({
      target: 'rk3588',
      calibration: { method: 'percentile', percentile: 99.99 },
      layers: { [`${F}.8/Conv`]: 'int16', '/classifier/classifier.1/Gemm': 'float16', 122: 'int8' },
      comments: { [`${F}.8/Conv`]: 'cosine 0.91' },
      tensors: { input: { dtype: 'uint8', scale: [0.00392156862745098], zeroPoint: [0], min: 0, max: 1 }, w: { dtype: 'int8', scale: [0.5], zeroPoint: [0] } },
    });
    expect(Object.keys(cfg.layers)).toContain('122');
    expect(readYamlConfig('target: x\ncustom_quantize_layers:\n')).toEqual({ target: 'x', layers: {} });
  });

  test('writes names YAML would misread as quoted strings, and reads them back', () => {
    const cfg: HybridConfig = { target: 'rk3588', layers: { 122: 'int16', 'true': 'float16', '1e3': 'int8', 'a: b': 'int8', '#x': 'int8' } };
    expect(readYamlConfig(writeYamlConfig(cfg))).toEqual(cfg);
  });

  test('the default header names the supported precisions; a custom header replaces it', () => {
    const cfg: HybridConfig = { target: 'rk3588', layers: {} };
    expect(writeYamlConfig(cfg, { precisions: ['int8', 'int16', 'float16'] })).toContain('# Edit custom_quantize_layers: <node name>: <precision>, one layer per line (rk3588 supports int8, int16, float16).');
    expect(writeYamlConfig(cfg, { header: [' hello'] }).startsWith('# hello\n')).toBe(true);
    expect(writeYamlConfig(cfg)).toContain('custom_quantize_layers: {}');
  });

  test('errors name the file and the line', () => {
    const read = (text: string) => thrown(() => readYamlConfig(text, 'm.quantization.yaml'));
    const syntax = read('target: rk3588\ncustom_quantize_layers:\n  a: [int8\n  b: int16\n');
    expect([syntax.code, syntax.file]).toEqual(['BAD_CONFIG', 'm.quantization.yaml']);
    expect(syntax.message).toMatch(/^m\.quantization\.yaml:\d+:\d+: YAML syntax error/);
    expect(read('target: rk3588\ntarget: bm1684x\n').message).toMatch(/^m\.quantization\.yaml:2:\d+: YAML syntax error: Map keys must be unique/);
    expect(read('target: rk3588\ncustomized_quantize_layers: {}\n').message)
      .toBe('m.quantization.yaml:2: unknown key "customized_quantize_layers" in the config (did you mean "custom_quantize_layers"?); expected target, calibration, custom_quantize_layers, quantize_parameters');
    expect(read('custom_quantize_layers: {}\n').message).toMatch(/lacks target/);
    expect(read('target: [a]\n').message).toMatch(/^m\.quantization\.yaml:1: target must be a text value/);
    expect(read('target: x\ncustom_quantize_layers: [a, b]\n').message).toMatch(/^m\.quantization\.yaml:2: custom_quantize_layers must be a mapping/);
    const p = read('target: x\ncustom_quantize_layers:\n  a: int8\n  b: fp33\n');
    expect([p.code, p.message]).toEqual(['UNSUPPORTED_PRECISION', expect.stringMatching(/^m\.quantization\.yaml:4: layer "b" has precision "fp33"/)]);
    expect(read('target: x\ncustom_quantize_layers:\n  a:\n').message).toMatch(/layer "a" has no precision/);
    expect(read('target: x\nquantize_parameters:\n  t:\n    dtype: int8\n    scale: [abc]\n    zero_point: [0]\n').message)
      .toMatch(/^m\.quantization\.yaml:5: quantize_parameters "t" scale\[0\] must be a number, not "abc"/);
    expect(read('target: x\nquantize_parameters:\n  t: {dtype: int8, scale: [1], zero_point: [0], zero_piont: 1}\n').message).toMatch(/^m\.quantization\.yaml:3: unknown key "zero_piont".*did you mean "zero_point"/);
    expect(read('target: x\ncalibration:\n  perChannel: yes please\n').message).toMatch(/^m\.quantization\.yaml:3: calibration perChannel must be true or false/);
  });

  test('writing refuses a comment without a layer and a config without a target', () => {
    expect(thrown(() => writeYamlConfig({ target: 'x', layers: {}, comments: { a: 'c' } })).code).toBe('BAD_CONFIG');
    expect(() => writeYamlConfig({ layers: {} } as unknown as HybridConfig)).toThrow(TypeError);
  });
});

describe('helpers', () => {
  test('closestNames ranks by edit distance, case-insensitively, keeping order on ties', () => {
    expect(closestNames('conv_2', ['Conv_1', 'Conv_2', 'Relu_2', 'conv_12'])).toEqual(['Conv_2', 'Conv_1', 'conv_12']);
    expect(closestNames('a', [], 3)).toEqual([]);
  });

  test('mergeConfig lets a part override layers, tensors and comments', () => {
    const base: HybridConfig = { target: 'rk3588', layers: { a: 'int8', b: 'int16' }, calibration: { method: 'kl' } };
    expect(mergeConfig(base, { layers: { b: 'float16' }, tensors: { t: { dtype: 'int8', scale: [1], zeroPoint: [0] } }, calibration: { perChannel: true } })).toEqual({
      target: 'rk3588', layers: { a: 'int8', b: 'float16' }, calibration: { method: 'kl', perChannel: true },
      tensors: { t: { dtype: 'int8', scale: [1], zeroPoint: [0] } },
    });
  });
});
