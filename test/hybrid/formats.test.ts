/**
 * Round trips of every hybrid config format on the bundled models: writing a config and reading it
 * back gives the same layers (and tensors, comments, calibration where the format carries them, to
 * the precision it keeps), and detectFormat recognises what each writer wrote.
 */
import type { HybridConfig, TensorParams } from '../../lib/hybrid/config';
import { readAimet, writeAimet } from '../../lib/hybrid/formats/aimet';
import { HYBRID_FORMATS, detectFormat, getFormat } from '../../lib/hybrid/formats/index';
import { readPulsar2, writePulsar2 } from '../../lib/hybrid/formats/pulsar2';
import { readRknn1, writeRknn1 } from '../../lib/hybrid/formats/rknn1';
import { readRknn2, writeRknn2 } from '../../lib/hybrid/formats/rknn2';
import { readTpuCalTable, readTpuQtable, writeTpuCalTable, writeTpuQtable } from '../../lib/hybrid/formats/tpu-mlir';
import { readXquant, writeXquant } from '../../lib/hybrid/formats/xquant';
import { readYamlConfig, writeYamlConfig } from '../../lib/hybrid/yaml-config';
import { PRECISIONS } from '../../lib/hybrid/config';
import { MODEL_NAMES, graphOf, makeConfig } from './format-helpers';

function expectTensorsClose(got: Record<string, TensorParams> | undefined, want: Record<string, TensorParams>, rel = 1e-12): void {
  expect(Object.keys(got ?? {}).sort()).toEqual(Object.keys(want).sort());
  for (const [name, w] of Object.entries(want)) {
    const g = got![name];
    const ctx = `${name}: ${JSON.stringify(g)} vs ${JSON.stringify(w)}`;
    expect({ name, dtype: g.dtype, zp: g.zeroPoint, axis: g.axis }).toEqual({ name, dtype: w.dtype, zp: w.zeroPoint, axis: w.axis });
    g.scale.forEach((s, i) => expect(Math.abs(s - w.scale[i]) <= rel * w.scale[i] ? ctx : `${ctx} scale[${i}]`).toBe(ctx));
    for (const k of ['min', 'max'] as const) {
      if (w[k] === undefined) expect(g[k]).toBeUndefined();
      else expect(Math.abs(g[k]! - w[k]!) <= rel * Math.max(1, Math.abs(w[k]!)) ? ctx : `${ctx} ${k}`).toBe(ctx);
    }
  }
}

describe.each(MODEL_NAMES)('round trip on %s', (model) => {
  const g = graphOf(model);

  test('npuquant <model>.quantization.yaml keeps everything exactly', () => {
    const cfg = makeConfig(g, {
      precisions: PRECISIONS, activationKinds: ['uint8-asym', 'int8-asym', 'int8-sym', 'int16-sym'], weights: true, comments: true,
    }, 'rk3588');
    cfg.calibration = { method: 'kl', perChannel: true, percentile: 99.99, bins: 2048 };
    const text = writeYamlConfig(cfg);
    expect(readYamlConfig(text)).toEqual(cfg);
    expect(Object.keys(cfg.layers).length).toBeGreaterThan(3);
    expect(Object.keys(cfg.comments!).length).toBeGreaterThan(1);
  });

  test('RKNN-Toolkit2 quantization.cfg: layers by output tensor, quantize_parameters, comments', () => {
    const cfg = makeConfig(g, { precisions: ['int8', 'int16', 'float16'], activationKinds: ['int8-asym', 'int8-sym', 'int16-sym'], weights: true, comments: true });
    const text = writeRknn2(cfg, g);
    const first = Object.keys(cfg.layers)[0];
    expect(text).toContain(`${g.nodes.find((n) => n.name === first)!.outputs[0]}: `);
    const part = readRknn2(text, g);
    expect(part.layers).toEqual(cfg.layers);
    expect(part.comments).toEqual(cfg.comments);
    expect(part.tensors).toEqual(cfg.tensors);
    expect(readRknn2(writeRknn2(cfg, g, { layerKeys: 'node' }), g).layers).toEqual(cfg.layers);
  });

  test('RKNN-Toolkit1 config: customized_quantize_layers and @layer:port parameters (DFP as fl)', () => {
    const cfg = makeConfig(g, { precisions: ['uint8', 'int8', 'int16', 'float32'], activationKinds: ['uint8-asym', 'int16-dfp', 'int8-asym'], weights: true, comments: true });
    const text = writeRknn1(cfg, g);
    expect(text.startsWith('%YAML 1.2\n---\n')).toBe(true);
    expect(text).toMatch(/dtype: dynamic_fixed_point\n\s+method: layer\n(\s+\w+_value: \[ [-0-9.e]+ \]\n){2}\s+fl: \[ \d+ \]/);
    const part = readRknn1(text, g);
    expect(part.layers).toEqual(cfg.layers);
    expect(part.comments).toEqual(cfg.comments);
    expect(part.tensors).toEqual(cfg.tensors);
  });

  test('TPU-MLIR qtable: op names are output tensors; INT8 reads back as int8', () => {
    const cfg = makeConfig(g, { precisions: ['int8', 'float16', 'bfloat16', 'float32'], comments: true });
    const text = writeTpuQtable(cfg, g);
    expect(text.split('\n')[1]).toBe('# op_name   quantize_mode');
    const part = readTpuQtable(text, g);
    expect(part.layers).toEqual(cfg.layers);
    expect(part.comments).toBeUndefined();  // written as comment lines before the entry, not read back
    const u8 = { layers: { [g.nodes[0].name]: 'uint8' as const } };
    expect(readTpuQtable(writeTpuQtable(u8, g), g).layers).toEqual({ [g.nodes[0].name]: 'int8' });
  });

  test('TPU-MLIR calibration table: thresholds and min/max of activation tensors', () => {
    const cfg = makeConfig(g, { precisions: [], activationKinds: ['tpu-sym'], weights: true });
    const text = writeTpuCalTable(cfg, g);
    expect(text).toContain('# op_name    threshold    min    max');
    const activations = Object.fromEntries(Object.entries(cfg.tensors!).filter(([n]) => !g.initializers.has(n)));
    const part = readTpuCalTable(text, g);
    expect(part.layers).toEqual({});
    expectTensorsClose(part.tensors, activations);
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^\S+\s+[-0-9.e]+\s+[-0-9.e]+\s+[-0-9.e]+$/);
  });

  test('Pulsar2 layer_configs: U8 | S8 | U16 | S16 | FP32 by layer_names', () => {
    const cfg = makeConfig(g, { precisions: ['uint8', 'int8', 'uint16', 'int16', 'float32'] });
    const text = writePulsar2(cfg, g);
    const json = JSON.parse(text);
    expect(json.quant.layer_configs).toHaveLength(5);
    expect(readPulsar2(text, g).layers).toEqual(cfg.layers);
  });

  test('XQuant custom_setting: subgraphs by boundary tensors, precision levels, per-layer calibration', () => {
    const cfg = makeConfig(g, { precisions: ['int8', 'float16', 'float32'], stride: 1 });
    // Contiguous runs of one precision must collapse into fewer subgraphs than layers.
    const nodes = g.nodes.map((n) => n.name);
    for (let i = 0; i < nodes.length; i++) cfg.layers[nodes[i]] = i < nodes.length / 2 ? 'float32' : i % 3 === 0 ? 'int8' : 'float16';
    cfg.calibration = { perLayer: { [nodes[1]]: { method: 'percentile', percentile: 99.99 }, [nodes[2]]: { method: 'percentile', percentile: 99.99 }, [nodes[5]]: { method: 'mse' } } };
    const text = writeXquant(cfg, g);
    const settings = JSON.parse(text).quantization_parameters.custom_setting as { precision_level?: number; max_percentile?: number }[];
    expect(settings.filter((s) => s.precision_level !== undefined).length).toBeLessThan(nodes.length);
    expect(settings.find((s) => s.max_percentile !== undefined)!.max_percentile).toBe(0.9999);
    const part = readXquant(text, g);
    expect(part.layers).toEqual(cfg.layers);
    expect(part.calibration).toEqual(cfg.calibration);
  });

  test('AIMET / QNN encodings: grids of activations and per-channel weights, 16-bit and float layers', () => {
    const cfg = makeConfig(g, {
      precisions: ['int16', 'uint16', 'float16', 'float32'], activationKinds: ['uint8-asym', 'int8-sym'], weights: true, ranges: false,
    });
    // A 16-bit activation encoding makes its producer a 16-bit layer, so only 8-bit ones stand alone here.
    for (const name of Object.keys(cfg.layers)) for (const o of g.nodes.find((n) => n.name === name)!.outputs) delete cfg.tensors![o];
    const text = writeAimet(cfg, g);
    const part = readAimet(text, g);
    expect(part.layers).toEqual(cfg.layers);
    expect(part.tensors).toEqual(cfg.tensors);
    // 8-bit layers are the baseline and not listed unless asked.
    const withInt8 = { layers: { ...cfg.layers, [g.nodes[0].name]: 'int8' as const } };
    expect(readAimet(writeAimet(withInt8, g), g).layers).toEqual(cfg.layers);
    expect(readAimet(writeAimet(withInt8, g), g, { baseline: [] }).layers).toEqual(withInt8.layers);
  });

  test('every registry format: detectFormat recognises what it wrote, and read(write(x)) keeps the layers', () => {
    const supported: Record<string, HybridConfig['layers'][string][]> = {
      npuquant: [...PRECISIONS], rknn2: ['int16', 'float16'], rknn1: ['int16', 'float32'], 'tpu-mlir-qtable': ['float16', 'float32'],
      'tpu-mlir-cali': [], pulsar2: ['uint16', 'float32'], xquant: ['float16', 'float32'], aimet: ['int16', 'float32'],
    };
    for (const f of HYBRID_FORMATS) {
      const cfg = makeConfig(g, { precisions: supported[f.name], activationKinds: f.name === 'tpu-mlir-cali' ? ['tpu-sym'] : [] }, 'rk3588');
      const text = f.write(cfg, g);
      expect([f.name, detectFormat('config', text).name]).toEqual([f.name, f.name]);
      expect(f.read(text, g, { file: 'config' }).layers).toEqual(cfg.layers);
    }
  });
});

describe('format mappings that change representation', () => {
  const g = graphOf('digits_cnn');
  const out = '/features/features.4/Conv_output_0';

  test('AIMET: a signed asymmetric tensor is written as the same grid in the unsigned type', () => {
    const part = readAimet(writeAimet({ layers: {}, tensors: { [out]: { dtype: 'int8', scale: [0.02], zeroPoint: [-20] } } }, g), g);
    expect(part.tensors![out]).toEqual({ dtype: 'uint8', scale: [0.02], zeroPoint: [108] });
  });

  test('AIMET: an int16 layer with its own int16 parameters keeps both', () => {
    const cfg = { layers: { '/features/features.4/Conv': 'int16' as const }, tensors: { [out]: { dtype: 'int16' as const, scale: [1e-4], zeroPoint: [0] } } };
    const part = readAimet(writeAimet(cfg, g), g);
    expect(part).toEqual({ layers: cfg.layers, tensors: cfg.tensors });
  });

  test('TPU-MLIR calibration table: a non-negative tensor reads as uint8 unless told otherwise', () => {
    const text = `${out} 2.54 0 2.54\n`;
    expect(readTpuCalTable(text, g).tensors![out]).toEqual({ dtype: 'uint8', scale: [2.54 / 255], zeroPoint: [0], min: 0, max: 2.54 });
    expect(readTpuCalTable(text, g, { unsignedWhenNonNegative: false }).tensors![out].dtype).toBe('int8');
  });

  test('XQuant: a group whose boundaries would pull in other nodes is written one node per subgraph', () => {
    const mg = graphOf('digits_mobilenetv2');
    const producers = mg.producers();
    const consumers = mg.consumers();
    // A residual Add and the producer of its skip input, which also feeds the block's first Conv.
    const add = mg.nodes.find((n) => n.opType === 'Add' && n.inputs.some((i) => (consumers.get(i) ?? []).length > 1 && producers.has(i)))!;
    const skip = producers.get(add.inputs.find((i) => (consumers.get(i) ?? []).length > 1)!)!;
    const layers = { [skip.name]: 'float16' as const, [add.name]: 'float16' as const };
    const settings = JSON.parse(writeXquant({ layers }, mg)).quantization_parameters.custom_setting;
    expect(settings).toHaveLength(2);
    expect(readXquant(JSON.stringify(settings), mg).layers).toEqual(layers);
  });

  test('getFormat names the closest format for a typo', () => {
    expect(() => getFormat('rknn3')).toThrow(/did you mean 'rknn2'/);
  });
});
