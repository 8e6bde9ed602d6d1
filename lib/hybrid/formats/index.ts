/**
 * The registry of hybrid config formats: npuquant's own YAML and every vendor format, each read
 * into and written from the neutral {@link HybridConfig}; and `detectFormat`, which tells them
 * apart by content first, then by file name.
 */
import { NpuqError } from '../../errors';
import type { Graph } from '../../ir/graph';
import { type HybridConfig, type HybridConfigPart, closestNames, validateNames } from '../config';
import { readYamlConfig, writeYamlConfig } from '../yaml-config';
import { readAimet, writeAimet } from './aimet';
import { type ReadOptions, isRecord, parseRelaxedJson } from './common';
import { readPulsar2, writePulsar2 } from './pulsar2';
import { readRknn1, writeRknn1 } from './rknn1';
import { readRknn2, writeRknn2 } from './rknn2';
import { readTpuCalTable, readTpuQtable, writeTpuCalTable, writeTpuQtable } from './tpu-mlir';
import { readXquant, writeXquant } from './xquant';

export type { ReadOptions, RknnReadOptions } from './common';

/** One config format. */
export interface HybridFormat {
  /** Registry name (`--format`). */
  name: string;
  /** File name endings that suggest the format (lower case). */
  extensions: readonly string[];
  /** One line for listings. */
  describe: string;
  /** Parses a file's text; names are resolved against (and checked in) `graph`. */
  read(text: string, graph: Graph, opts?: ReadOptions): HybridConfigPart;
  /** Writes the parts of `cfg` the format carries. */
  write(cfg: HybridConfig | HybridConfigPart, graph: Graph): string;
}

/** Every format, npuquant's own first. */
export const HYBRID_FORMATS: readonly HybridFormat[] = [
  {
    name: 'npuquant', extensions: ['.quantization.yaml', '.quantization.yml'],
    describe: "npuquant's <model>.quantization.yaml: target, calibration, custom_quantize_layers, quantize_parameters",
    read: (text, graph, opts) => {
      const cfg = readYamlConfig(text, opts?.file);
      validateNames(cfg, graph, opts?.file ?? '<model>.quantization.yaml');
      return cfg;
    },
    write: (cfg) => {
      if (typeof cfg.target !== 'string') throw new TypeError('Expected a target in the config to write npuquant YAML but received none');
      return writeYamlConfig(cfg as HybridConfig);
    },
  },
  {
    name: 'rknn2', extensions: ['.quantization.cfg', '.cfg'],
    describe: 'RKNN-Toolkit2 quantization.cfg (custom_quantize_layers: int8 | int16 | float16, quantize_parameters)',
    read: readRknn2, write: (cfg, graph) => writeRknn2(cfg, graph),
  },
  {
    name: 'rknn1', extensions: ['.quantize'],
    describe: 'RKNN-Toolkit1 / Acuity config (customized_quantize_layers: asymmetric_affine-u8 | dynamic_fixed_point-i8/i16 | float32)',
    read: readRknn1, write: writeRknn1,
  },
  {
    name: 'tpu-mlir-qtable', extensions: ['.qtable', '_qtable'],
    describe: 'TPU-MLIR quantize table (<op_name> INT8 | F16 | BF16 | F32)',
    read: readTpuQtable, write: writeTpuQtable,
  },
  {
    name: 'tpu-mlir-cali', extensions: ['_cali_table', '.cali_table', 'cali_table'],
    describe: 'TPU-MLIR calibration table (<tensor> <threshold> <min> <max>)',
    read: readTpuCalTable, write: writeTpuCalTable,
  },
  {
    name: 'pulsar2', extensions: [],
    describe: 'Pulsar2 quant.layer_configs JSON (layer_name(s) | op_type(s) | start/end tensors, data_type U8 | S8 | U16 | S16 | FP32)',
    read: readPulsar2, write: writePulsar2,
  },
  {
    name: 'xquant', extensions: [],
    describe: 'XQuant / XSlim custom_setting JSON (input_names, output_names, precision_level)',
    read: readXquant, write: writeXquant,
  },
  {
    name: 'aimet', extensions: ['.encodings'],
    describe: 'AIMET / QNN encodings JSON (activation_encodings, param_encodings)',
    read: readAimet, write: writeAimet,
  },
];

/** The format named `name`; INVALID_ARGUMENT with the closest name otherwise. */
export function getFormat(name: string): HybridFormat {
  const f = HYBRID_FORMATS.find((x) => x.name === name);
  if (f) return f;
  const names = HYBRID_FORMATS.map((x) => x.name);
  const near = closestNames(name, names, 1);
  throw new NpuqError('INVALID_ARGUMENT', `Unknown hybrid config format '${name}'${near.length ? `; did you mean '${near[0]}'?` : ''} Formats: ${names.join(', ')}`);
}

function detectJson(json: unknown): string | undefined {
  const holder = isRecord(json) && isRecord(json.quant) ? json.quant : json;
  const qp = isRecord(json) && isRecord(json.quantization_parameters) ? json.quantization_parameters : json;
  if (isRecord(json) && ('activation_encodings' in json || 'param_encodings' in json)) return 'aimet';
  if (isRecord(holder) && 'layer_configs' in holder) return 'pulsar2';
  if (isRecord(qp) && 'custom_setting' in qp) return 'xquant';
  if (Array.isArray(json) && json.length > 0 && isRecord(json[0])) {
    if ('data_type' in json[0]) return 'pulsar2';
    if ('output_names' in json[0] || 'precision_level' in json[0]) return 'xquant';
  }
  return undefined;
}

function detectText(text: string): string | undefined {
  const body = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const comments = body.filter((l) => l.startsWith('#')).join('\n');
  if (/op_name\s+threshold\s+min\s+max/.test(comments)) return 'tpu-mlir-cali';
  if (/op_name\s+quantize_mode/.test(comments)) return 'tpu-mlir-qtable';
  const rows = body.filter((l) => !l.startsWith('#')).map((l) => l.replace(/#.*/, '').trim().split(/\s+/));
  if (rows.length === 0) return undefined;
  const num = (s: string) => /^[-+0-9.eE]+$/.test(s) && Number.isFinite(Number(s));
  if (rows.every((r) => r.length === 4 && r.slice(1).every(num))) return 'tpu-mlir-cali';
  if (rows.every((r) => r.length === 2 && /^(INT8|F16|BF16|F32|INT4|W8F16|W8BF16|W4F16|W4BF16|F8E4M3|F8E5M2)$/i.test(r[1]))) return 'tpu-mlir-qtable';
  return undefined;
}

function detectYaml(text: string): string | undefined {
  if (/^\s*customized_quantize_layers\s*:/m.test(text) || /^\s*hybrid_quantization_action\s*:/m.test(text) || /^\s*['"]?@[^\n]*:(out\d+|weight|bias)['"]?\s*:/m.test(text)) return 'rknn1';
  if (/^target\s*:/m.test(text)) return 'npuquant';
  if (/^(custom_quantize_layers|quantize_parameters)\s*:/m.test(text)) return 'rknn2';
  return undefined;
}

/**
 * The format of a config file: by content (JSON keys, YAML keys, table headers and line shapes),
 * then by file name ending. BAD_CONFIG naming the formats when neither tells.
 */
export function detectFormat(file: string, text: string): HybridFormat {
  const trimmed = text.replace(/^\uFEFF/, '').replace(/^(\s*(\/\/[^\n]*|#[^\n]*))*\s*/, '');
  let name: string | undefined;
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      name = detectJson(parseRelaxedJson(text, file));
    } catch {
      name = undefined;
    }
  }
  name ??= detectYaml(text) ?? detectText(text);
  if (name === undefined) {
    const lower = file.toLowerCase();
    name = HYBRID_FORMATS.find((f) => f.extensions.some((e) => lower.endsWith(e)))?.name;
  }
  if (name === undefined) {
    throw new NpuqError('BAD_CONFIG', `${file}: cannot tell which hybrid config format this is; give it explicitly, one of ${HYBRID_FORMATS.map((f) => f.name).join(', ')}`, { file });
  }
  return getFormat(name);
}
