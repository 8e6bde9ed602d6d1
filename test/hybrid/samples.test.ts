/**
 * Hand-written vendor configs, as users write them (comments, odd whitespace, flow or block style),
 * on digits_cnn; misspelled names that must fail naming the closest existing ones; precisions a
 * format cannot express that must fail naming what it can.
 */
import { readAimet } from '../../lib/hybrid/formats/aimet';
import { HYBRID_FORMATS, detectFormat, getFormat } from '../../lib/hybrid/formats/index';
import { readPulsar2 } from '../../lib/hybrid/formats/pulsar2';
import { readRknn1 } from '../../lib/hybrid/formats/rknn1';
import { readRknn2 } from '../../lib/hybrid/formats/rknn2';
import { readTpuCalTable, readTpuQtable, writeTpuQtable } from '../../lib/hybrid/formats/tpu-mlir';
import { readXquant, writeXquant } from '../../lib/hybrid/formats/xquant';
import type { Precision } from '../../lib/quantize/profile';
import { graphOf, thrown } from './format-helpers';

const g = graphOf('digits_cnn');
const F = '/features/features';

describe('hand-written samples', () => {
  test('RKNN-Toolkit2: output names or node names, block or flow style, line comments', () => {
    const block = readRknn2(`
custom_quantize_layers:
    ${F}.8/Conv_output_0:   float16     # worst layer, cosine 0.91
    '/classifier/classifier.1/Gemm':  int16
quantize_parameters:
    input:
        qtype: asymmetric_quantized
        qmethod: layer
        dtype: int8
        min: [0.0]
        max: [1.0]
        scale: [0.00392156862745098]
        zero_point: [-128]
        ori_min: [0.0]
        ori_max: [1.0]
    ${F}.8/Conv_output_0:
        qtype: asymmetric_quantized
        dtype: float16
`, g, { file: 'm.quantization.cfg' });
    expect(block).toEqual({
      layers: { [`${F}.8/Conv`]: 'float16', '/classifier/classifier.1/Gemm': 'int16' },
      comments: { [`${F}.8/Conv`]: 'worst layer, cosine 0.91' },
      tensors: { input: { dtype: 'int8', scale: [0.00392156862745098], zeroPoint: [-128], min: 0, max: 1 } },
    });
    const flow = readRknn2(`custom_quantize_layers: {
        ${F}.4/Conv_output_0: float16,
        logits: float16,
    }\n`, g);
    expect(flow.layers).toEqual({ [`${F}.4/Conv`]: 'float16', '/classifier/classifier.3/Gemm': 'float16' });
    expect(readRknn2('custom_quantize_layers: {}\n', g)).toEqual({ layers: {} });
  });

  test('RKNN-Toolkit1: Acuity layer names, list-style values, hybrid_quantization_action; Acuity .quantize entries', () => {
    const part = readRknn1(`%YAML 1.2
---
# hybrid_quantization_action can be delete, add or modify, only one of these can be set at a hybrid quantization
hybrid_quantization_action: delete
customized_quantize_layers: {
    Conv_${F}.8/Conv_12: dynamic_fixed_point-i16,
    /classifier/classifier.1/Gemm: float32
}
quantize_parameters:
    '@input:out0':
        dtype: asymmetric_affine
        method: layer
        max_value:
        -   1.0
        min_value:
        -   0.0
        zero_point:
        -   0
        scale:
        -   0.00392156862745098
        qtype: u8
    '@Conv_${F}.8/Conv_12:weight':
        dtype: dynamic_fixed_point
        method: layer
        max_value:
        -   0.51
        min_value:
        -   -0.48
        fl:
        -   7
        qtype: i8
    '@${F}.4/Conv:out0':
        qtype: i8
        quantizer: asymmetric_affine
        rounding: rtne
        max_value: 3.5
        min_value: -2.0
        scale: 0.0215686
        zero_point: -35
`, g);
    expect(part.layers).toEqual({ [`${F}.8/Conv`]: 'int16', '/classifier/classifier.1/Gemm': 'float32' });
    expect(part.tensors).toEqual({
      input: { dtype: 'uint8', scale: [0.00392156862745098], zeroPoint: [0], min: 0, max: 1 },
      'features.8.weight': { dtype: 'int8', scale: [2 ** -7], zeroPoint: [0], min: -0.48, max: 0.51 },
      [`${F}.4/Conv_output_0`]: { dtype: 'int8', scale: [0.0215686], zeroPoint: [-35], min: -2, max: 3.5 },
    });
  });

  test('TPU-MLIR qtable and calibration table as the tools write them', () => {
    const q = readTpuQtable(`# qtable from search_qtable
# op_name   quantize_mode

${F}.8/Conv_output_0    F16
   logits F32
${F}.4/Conv   bf16     # a node name works too
`, g);
    expect(q).toEqual({
      layers: { [`${F}.8/Conv`]: 'float16', '/classifier/classifier.3/Gemm': 'float32', [`${F}.4/Conv`]: 'bfloat16' },
      comments: { [`${F}.4/Conv`]: 'a node name works too' },
    });
    const c = readTpuCalTable(`# genetated time: 2022-08-11 10:00:59.743675
# histogram number: 2048
# sample number: 100
# tune number: 5
###
# op_name    threshold    min    max
input 1.0000080 0.0000000 1.0000080
${F}.0/Conv_output_0 56.4281803 -102.5830231 97.6811752\r
`, g);
    expect(c.tensors).toEqual({
      input: { dtype: 'uint8', scale: [1.000008 / 255], zeroPoint: [0], min: 0, max: 1.000008 },
      [`${F}.0/Conv_output_0`]: { dtype: 'int8', scale: [56.4281803 / 127], zeroPoint: [0], min: -102.5830231, max: 97.6811752 },
    });
  });

  test('Pulsar2: relaxed JSON build config, op_type, layer_name, start/end subgraph', () => {
    const part = readPulsar2(`{
  // pulsar2 build config
  "input": "digits_cnn.onnx",
  "quant": {
    "calibration_method": "MinMax",
    "layer_configs": [
      { "op_type": "Gemm", "data_type": "U16" },   # python-style comment
      { "layer_name": "${F}.8/Conv", "data_type": "FP32", "weight_data_type": "FP32" },
      {
        "start_tensor_names": ["${F}.3/MaxPool_output_0"],
        "end_tensor_names": ["${F}.6/Relu_output_0"],
        "data_type": "S16"
      },
    ]
  }
}`, g);
    expect(part.layers).toEqual({
      '/classifier/classifier.1/Gemm': 'uint16', '/classifier/classifier.3/Gemm': 'uint16', [`${F}.8/Conv`]: 'float32',
      [`${F}.4/Conv`]: 'int16', [`${F}.5/BatchNormalization`]: 'int16', [`${F}.6/Relu`]: 'int16',
    });
    expect(readPulsar2('[{"layer_names": ["logits"], "data_type": "U16"}]'.replace('logits', '/classifier/classifier.3/Gemm'), g).layers)
      .toEqual({ '/classifier/classifier.3/Gemm': 'uint16' });
  });

  test('Pulsar2 start/end tensors select both branches of a ShuffleNet block', () => {
    const sg = graphOf('digits_shufflenet');
    const part = readPulsar2(JSON.stringify({ layer_configs: [{
      start_tensor_names: ['/stem/stem.1/MaxPool_output_0'], end_tensor_names: ['/stage2/stage2.0/Concat_output_0'], data_type: 'U16',
    }] }), sg);
    const names = Object.keys(part.layers);
    expect(names).toHaveLength(14);
    expect(names.filter((n) => n.includes('branch1'))).toHaveLength(5);
    expect(names.filter((n) => n.includes('branch2'))).toHaveLength(8);
    expect(names).toContain('/stage2/stage2.0/Concat');
    expect(names).not.toContain('/stem/stem.1/MaxPool');
  });

  test('XQuant: the XSlim config of the docs, with a calibration-only subgraph', () => {
    const part = readXquant(`{
  "model_parameters": { "onnx_model": "digits_cnn.onnx" },
  "quantization_parameters": {
    "precision_level": 0,
    "custom_setting": [
      { "input_names": ["input"], "output_names": ["${F}.2/Relu_output_0"], "precision_level": 2, "calibration_type": "default" },
      { "input_names": ["/classifier/classifier.0/Flatten_output_0"], "output_names": ["logits"],
        "calibration_type": "percentile", "max_percentile": 0.9995 }
    ]
  }
}`, g);
    expect(part.layers).toEqual({ [`${F}.0/Conv`]: 'float32', [`${F}.1/BatchNormalization`]: 'float32', [`${F}.2/Relu`]: 'float32' });
    const p = { method: 'percentile', percentile: 99.95 };
    expect(part.calibration).toEqual({ perLayer: { '/classifier/classifier.1/Gemm': p, '/classifier/classifier.2/Relu': p, '/classifier/classifier.3/Gemm': p } });
  });

  test('XQuant writes a chain of layers as one subgraph', () => {
    const layers: Record<string, Precision> = { [`${F}.4/Conv`]: 'float16', [`${F}.5/BatchNormalization`]: 'float16', [`${F}.6/Relu`]: 'float16' };
    expect(JSON.parse(writeXquant({ layers }, g)).quantization_parameters.custom_setting).toEqual([
      { input_names: [`${F}.3/MaxPool_output_0`], output_names: [`${F}.6/Relu_output_0`], precision_level: 4 },
    ]);
  });

  test('AIMET: encodings with per-channel weights, a 16-bit activation, a float output and excluded layers', () => {
    const part = readAimet(JSON.stringify({
      version: '0.6.1',
      activation_encodings: {
        input: [{ bitwidth: 8, dtype: 'int', is_symmetric: 'False', max: 1.0, min: 0.0, offset: 0, scale: 0.00392156862745098 }],
        [`${F}.8/Conv_output_0`]: [{ bitwidth: 16, dtype: 'int', is_symmetric: 'False', max: 10.0, min: -5.0, offset: -21845, scale: 15 / 65535 }],
        logits: [{ bitwidth: 32, dtype: 'float' }],
      },
      param_encodings: {
        'features.0.weight': Array.from({ length: 16 }, (_, i) => ({ bitwidth: 8, is_symmetric: 'True', max: 0.127 * (i + 1), min: -0.128 * (i + 1), offset: -128, scale: 0.001 * (i + 1) })),
      },
      excluded_layers: ['/classifier/classifier.2/Relu'],
    }, null, 4), g);
    expect(part.layers).toEqual({ [`${F}.8/Conv`]: 'uint16', '/classifier/classifier.3/Gemm': 'float32', '/classifier/classifier.2/Relu': 'float32' });
    expect(part.tensors!.input).toEqual({ dtype: 'uint8', scale: [0.00392156862745098], zeroPoint: [0] });
    expect(part.tensors![`${F}.8/Conv_output_0`]).toEqual({ dtype: 'uint16', scale: [15 / 65535], zeroPoint: [21845] });
    expect(part.tensors!['features.0.weight']).toMatchObject({ dtype: 'int8', axis: 0, zeroPoint: Array(16).fill(0) });
    const short = { activation_encodings: {}, param_encodings: { 'features.0.weight': [{ bitwidth: 8, offset: -128, scale: 1 }, { bitwidth: 8, offset: -128, scale: 1 }] } };
    expect(thrown(() => readAimet(JSON.stringify(short), g)).message).toMatch(/2 per-channel entries, but its shape \[16, 1, 3, 3\] has 16 channels along axis 0/);
  });

  test('detectFormat tells hand-written files apart, by content then by name', () => {
    expect(detectFormat('a.cfg', 'custom_quantize_layers:\n  x: int16\n').name).toBe('rknn2');
    expect(detectFormat('a.cfg', 'customized_quantize_layers: {}\n').name).toBe('rknn1');
    expect(detectFormat('a.yaml', 'target: rk3588\ncustom_quantize_layers: {}\n').name).toBe('npuquant');
    expect(detectFormat('q', 'a F16\nb INT8\n').name).toBe('tpu-mlir-qtable');
    expect(detectFormat('c', 'a 1.0 -1 1\n').name).toBe('tpu-mlir-cali');
    expect(detectFormat('x.json', '// c\n{"quant": {"layer_configs": []}}').name).toBe('pulsar2');
    expect(detectFormat('x.json', '[{"output_names": ["a"], "precision_level": 2}]').name).toBe('xquant');
    expect(detectFormat('x.json', '{"activation_encodings": {}}').name).toBe('aimet');
    expect(detectFormat('model.quantize', '').name).toBe('rknn1');
    expect(thrown(() => detectFormat('x.txt', 'hello')).code).toBe('BAD_CONFIG');
  });
});

/** Inserts an `x` after the first character: one edit away from `name`, further from its siblings. */
const typo = (name: string) => `${name[0]}x${name.slice(1)}`;

describe('misspelled names fail naming the closest existing ones', () => {
  const node = `${F}.8/Conv`;
  const out = `${F}.8/Conv_output_0`;
  const cases: { format: string; precision: Precision; name: string; code: string }[] = [
    { format: 'npuquant', precision: 'int16', name: node, code: 'UNKNOWN_LAYER' },
    { format: 'rknn2', precision: 'int16', name: out, code: 'UNKNOWN_LAYER' },
    { format: 'rknn1', precision: 'int16', name: node, code: 'UNKNOWN_LAYER' },
    { format: 'tpu-mlir-qtable', precision: 'float16', name: out, code: 'UNKNOWN_LAYER' },
    { format: 'pulsar2', precision: 'uint16', name: node, code: 'UNKNOWN_LAYER' },
    { format: 'xquant', precision: 'float16', name: out, code: 'UNKNOWN_TENSOR' },
    { format: 'aimet', precision: 'int16', name: out, code: 'UNKNOWN_TENSOR' },
  ];
  test.each(cases)('$format', ({ format, precision, name, code }) => {
    const f = getFormat(format);
    const text = f.write({ target: 'rk3588', layers: { [node]: precision } }, g);
    expect(text).toContain(name);
    const e = thrown(() => f.read(text.split(name).join(typo(name)), g, { file: 'my.cfg' }));
    expect(e.code).toBe(code);
    expect(e.message).toContain(`"${typo(name)}"`);
    expect(e.message).toMatch(new RegExp(`did you mean "${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`));
    expect(e.message).toContain('my.cfg');
  });

  test('tensor names: RKNN quantize_parameters, TPU-MLIR calibration table, Pulsar2 op types', () => {
    const e1 = thrown(() => readRknn2('quantize_parameters:\n  inptu: {dtype: int8, scale: [1], zero_point: [0]}\n', g));
    expect([e1.code, e1.message]).toEqual(['UNKNOWN_TENSOR', expect.stringContaining('did you mean "input"')]);
    const e2 = thrown(() => readTpuCalTable('# op_name    threshold    min    max\nlogit 1 -1 1\n', g, { file: 'cali' }));
    expect([e2.code, e2.message]).toEqual(['UNKNOWN_TENSOR', expect.stringMatching(/^cali:2: .*did you mean "logits"/)]);
    const e3 = thrown(() => readPulsar2('[{"op_type": "Gemn", "data_type": "U16"}]', g));
    expect([e3.code, e3.message]).toEqual(['UNKNOWN_LAYER', expect.stringContaining('did you mean "Gemm"')]);
  });

  test("RKNN step-1 files list the toolkit's own tensors: an error, or reported to onUnknownTensor", () => {
    const v2 = `custom_quantize_layers: {}
quantize_parameters:
    output0-rs: {qtype: asymmetric_quantized, dtype: int8, scale: [0.1], zero_point: [0]}
    input: {qtype: asymmetric_quantized, dtype: int8, scale: [0.1], zero_point: [0]}
`;
    expect(thrown(() => readRknn2(v2, g)).code).toBe('UNKNOWN_TENSOR');
    const seen: string[] = [];
    expect(readRknn2(v2, g, { onUnknownTensor: (n) => seen.push(n) }).tensors).toEqual({ input: { dtype: 'int8', scale: [0.1], zeroPoint: [0] } });
    expect(seen).toEqual(['output0-rs']);
    const v1 = `customized_quantize_layers: {}
quantize_parameters:
    '@attach_concat_1/out0_0:out0': {dtype: asymmetric_affine, method: layer, scale: [0.1], zero_point: [3], qtype: u8}
`;
    expect(thrown(() => readRknn1(v1, g)).code).toBe('UNKNOWN_LAYER');
    const seen1: string[] = [];
    expect(readRknn1(v1, g, { onUnknownTensor: (n) => seen1.push(n) }).tensors).toEqual({});
    expect(seen1).toEqual(['@attach_concat_1/out0_0:out0']);
    // Layer names stay strict even with the callback.
    expect(thrown(() => readRknn2('custom_quantize_layers:\n  output0-rs: float16\n', g, { onUnknownTensor: () => undefined })).code).toBe('UNKNOWN_LAYER');
  });

  test('a misspelled key is an error naming the right one, never ignored', () => {
    expect(thrown(() => readRknn2('customized_quantize_layers: {}\n', g)).message).toMatch(/unknown key "customized_quantize_layers".*did you mean "custom_quantize_layers"/);
    expect(thrown(() => readPulsar2('[{"layer_nmae": "x", "data_type": "U16"}]', g)).message).toMatch(/did you mean "layer_name"/);
    expect(thrown(() => readXquant('[{"output_names": ["logits"], "precison_level": 2}]', g)).message).toMatch(/did you mean "precision_level"/);
  });
});

describe('precisions a format cannot express fail naming what it can', () => {
  test('reading', () => {
    const e1 = thrown(() => readRknn2('custom_quantize_layers:\n  logits: float32\n', g, { file: 'm.cfg' }));
    expect([e1.code, e1.message]).toEqual(['UNSUPPORTED_PRECISION', expect.stringMatching(/^m\.cfg:2: .*accepts int8, int16, float16/)]);
    const e2 = thrown(() => readTpuQtable('logits INT16\n', g));
    expect(e2.message).toMatch(/accepts INT8, F16, BF16, F32/);
    expect(thrown(() => readPulsar2('[{"layer_name": "/classifier/classifier.3/Gemm", "data_type": "FP16"}]', g)).message).toMatch(/accepts U8, S8, U16, S16, FP32/);
    expect(thrown(() => readRknn1('customized_quantize_layers:\n  /classifier/classifier.3/Gemm: float16\n', g)).message)
      .toMatch(/accepts asymmetric_affine-u8, dynamic_fixed_point-i8, dynamic_fixed_point-i16, float32/);
    expect(thrown(() => readXquant('[{"output_names": ["logits"], "precision_level": 3}]', g)).message).toMatch(/dynamic quantization.*0 \(int8\), 2 \(float32\) or 4 \(float16\)/);
  });

  test('writing', () => {
    const layers = { '/classifier/classifier.3/Gemm': 'int16' as const };
    const e = thrown(() => writeTpuQtable({ layers }, g));
    expect([e.code, e.message]).toEqual(['UNSUPPORTED_PRECISION', expect.stringContaining('can express int8, uint8, float16, bfloat16, float32')]);
    for (const f of HYBRID_FORMATS) {
      if (f.name === 'npuquant' || f.name === 'tpu-mlir-cali') continue;
      const bf16 = { layers: { '/classifier/classifier.3/Gemm': 'bfloat16' as const } };
      if (f.name === 'tpu-mlir-qtable') expect(() => f.write(bf16, g)).not.toThrow();
      else expect(thrown(() => f.write(bf16, g)).code).toBe('UNSUPPORTED_PRECISION');
    }
  });
});
