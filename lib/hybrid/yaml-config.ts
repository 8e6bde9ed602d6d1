/**
 * npuquant's own hybrid config, `<model>.quantization.yaml`, modelled on RKNN-Toolkit2's
 * `<model>.quantization.cfg` (custom_quantize_layers + quantize_parameters) with the target and
 * calibration settings added, so that `npuquant hybrid step2` needs nothing else:
 *
 * ```yaml
 * # npuquant hybrid quantization config ...
 * target: rk3588
 * calibration:
 *   method: kl
 * custom_quantize_layers:
 *   /features/features.8/Conv: int16 # individual cosine 0.971, cumulative 0.952: large error
 * quantize_parameters:
 *   input:
 *     dtype: int8
 *     scale: [ 0.0078125 ]
 *     zero_point: [ 0 ]
 *     min: -1
 *     max: 0.9921875
 * ```
 *
 * Layer names are node names; each `custom_quantize_layers` entry may carry a comment on its line,
 * which is read back into `HybridConfig.comments`. Parsed and written with the `yaml` package.
 */
import { Document, type Node as YNode, type YAMLMap } from 'yaml';
import type { Precision } from '../quantize/profile';
import { type HybridConfig, PRECISIONS, QUANT_DTYPES, type TensorParams, checkTensorParams, closestNames } from './config';
import { YamlSource, commentedMap, paramsMap } from './formats/yaml-source';
import type { QuantDType } from '../quantize/params';
import { NpuqError } from '../errors';

/** Top-level keys of `<model>.quantization.yaml`. */
export const YAML_CONFIG_KEYS = ['target', 'calibration', 'custom_quantize_layers', 'quantize_parameters'] as const;

/** Keys of one `quantize_parameters` entry. */
const TENSOR_KEYS = ['dtype', 'scale', 'zero_point', 'min', 'max', 'axis'];

/** Other spellings accepted for precisions (case-insensitive): vendor names users type out of habit. */
const PRECISION_ALIASES: Readonly<Record<string, Precision>> = {
  fp16: 'float16', f16: 'float16', half: 'float16',
  fp32: 'float32', f32: 'float32', float: 'float32',
  bf16: 'bfloat16',
  i8: 'int8', s8: 'int8', u8: 'uint8', i16: 'int16', s16: 'int16', u16: 'uint16',
};

/** Options of {@link writeYamlConfig}. */
export interface WriteYamlOptions {
  /** Comment lines written at the top (without `#`). Default: a short how-to naming the file's keys. */
  header?: string[];
  /** Precisions the target supports, listed in the default header. Default: not listed. */
  precisions?: readonly Precision[];
}

function defaultHeader(cfg: HybridConfig, precisions?: readonly Precision[]): string[] {
  return [
    ' npuquant hybrid quantization config.',
    ' Edit custom_quantize_layers: <node name>: <precision>, one layer per line'
      + (precisions ? ` (${cfg.target} supports ${precisions.join(', ')}).` : '.'),
    ' Unknown names and unsupported precisions are errors. Then run:',
    '   npuquant hybrid step2 MODEL --config THIS_FILE --data DATA --out QDIR',
  ];
}

/** The YAML text of a config (comments of `cfg.comments` on their layer's line). */
export function writeYamlConfig(cfg: HybridConfig, opts: WriteYamlOptions = {}): string {
  if (typeof cfg.target !== 'string' || cfg.target === '') {
    throw new TypeError(`Expected a target name for cfg.target but received ${JSON.stringify(cfg.target)}`);
  }
  for (const name of Object.keys(cfg.comments ?? {})) {
    if (!(name in cfg.layers)) {
      throw new NpuqError('BAD_CONFIG', `hybrid config: comment for "${name}", which has no layers entry; a comment is written next to its layer`);
    }
  }
  const doc = new Document({});
  const root = doc.contents as YAMLMap;
  root.set('target', cfg.target);
  if (cfg.calibration && Object.keys(cfg.calibration).length > 0) root.set('calibration', doc.createNode(cfg.calibration));
  const layers = commentedMap(doc, { ...cfg.layers }, (k) => cfg.comments?.[k]);
  root.set('custom_quantize_layers', layers);
  if (cfg.tensors && Object.keys(cfg.tensors).length > 0) {
    const params: Record<string, Record<string, unknown>> = {};
    for (const [name, t] of Object.entries(cfg.tensors)) {
      checkTensorParams(name, t, 'hybrid config');
      const e: Record<string, unknown> = { dtype: t.dtype, scale: t.scale, zero_point: t.zeroPoint };
      if (t.min !== undefined) e.min = t.min;
      if (t.max !== undefined) e.max = t.max;
      if (t.axis !== undefined) e.axis = t.axis;
      params[name] = e;
    }
    const node = paramsMap(doc, params);
    root.set('quantize_parameters', node);
  }
  doc.commentBefore = (opts.header ?? defaultHeader(cfg, opts.precisions)).join('\n');
  return doc.toString({ lineWidth: 0 });
}

function readPrecision(src: YamlSource, node: YNode | null, layer: string): Precision {
  if (node === null) src.fail(node, `layer "${layer}" has no precision; write ${layer}: <precision>`);
  const text = src.string(node, `precision of layer "${layer}"`).trim();
  const lower = text.toLowerCase();
  const p = (PRECISIONS as readonly string[]).includes(lower) ? (lower as Precision) : PRECISION_ALIASES[lower];
  if (p !== undefined) return p;
  const near = closestNames(text, PRECISIONS, 1);
  throw new NpuqError('UNSUPPORTED_PRECISION',
    `${src.at(node)}: layer "${layer}" has precision "${text}"${near.length ? ` (did you mean ${near[0]}?)` : ''}; `
    + `precisions are ${PRECISIONS.join(', ')}`, { file: src.file });
}

function readTensor(src: YamlSource, name: string, node: YNode | null): TensorParams {
  const what = `quantize_parameters "${name}"`;
  const entries = src.entries(node, what);
  src.checkKeys(entries, TENSOR_KEYS, what);
  const get = (k: string): YNode | null | undefined => entries.find((e) => e.key === k)?.value;
  for (const k of ['dtype', 'scale', 'zero_point']) if (get(k) === undefined) src.fail(node, `${what} lacks ${k}`);
  const dtype = src.string(get('dtype')!, `${what} dtype`);
  if (!(QUANT_DTYPES as readonly string[]).includes(dtype)) src.fail(get('dtype')!, `${what} has dtype ${dtype}; expected one of ${QUANT_DTYPES.join(', ')}`);
  const t: TensorParams = {
    dtype: dtype as QuantDType,
    scale: src.numbers(get('scale')!, `${what} scale`),
    zeroPoint: src.numbers(get('zero_point')!, `${what} zero_point`),
  };
  const min = get('min');
  const max = get('max');
  const axis = get('axis');
  if (min !== undefined) t.min = src.number(min, `${what} min`);
  if (max !== undefined) t.max = src.number(max, `${what} max`);
  if (axis !== undefined) t.axis = src.integer(axis, `${what} axis`);
  try {
    checkTensorParams(name, t, src.at(node));
  } catch (e) {
    if (e instanceof NpuqError) throw new NpuqError(e.code, e.message, { file: src.file });
    throw e;
  }
  return t;
}

/**
 * Parses `<model>.quantization.yaml`. Throws BAD_CONFIG naming `file` and the line for YAML syntax
 * errors, values of the wrong type and unknown keys (with the closest valid key), and
 * UNSUPPORTED_PRECISION for a precision npuquant does not know. Names are checked against a model
 * by `validateConfig`. `file` defaults to `'<model>.quantization.yaml'`.
 */
export function readYamlConfig(text: string, file = '<model>.quantization.yaml'): HybridConfig {
  if (typeof text !== 'string') throw new TypeError(`Expected a string for text but received ${typeof text}`);
  const src: YamlSource = new YamlSource(text, file);
  const top = src.rootEntries('the config');
  src.checkKeys(top, YAML_CONFIG_KEYS, 'the config');
  const get = (k: string) => top.find((e) => e.key === k);
  const target = get('target');
  if (!target) src.fail(null, 'the config lacks target: <chip profile name>');
  const cfg: HybridConfig = { target: src.string(target.value, 'target'), layers: {} };
  const cal = get('calibration');
  if (cal) {
    const entries = src.entries(cal.value, 'calibration');
    const out: NonNullable<HybridConfig['calibration']> = {};
    for (const e of entries) {
      if (e.key === 'method') out.method = src.string(e.value, 'calibration method');
      else if (e.key === 'perChannel') out.perChannel = src.boolean(e.value, 'calibration perChannel');
      else out[e.key] = src.toJs(e.value);
    }
    cfg.calibration = out;
  }
  const layers = get('custom_quantize_layers');
  if (layers) {
    for (const e of src.entries(layers.value, 'custom_quantize_layers')) {
      cfg.layers[e.key] = readPrecision(src, e.value, e.key);
      const comment = e.value?.comment ?? (e.pair.key as YNode).comment;
      if (comment && comment.trim() !== '') (cfg.comments ??= {})[e.key] = comment.trim();
    }
  }
  const params = get('quantize_parameters');
  if (params) {
    cfg.tensors = {};
    for (const e of src.entries(params.value, 'quantize_parameters')) cfg.tensors[e.key] = readTensor(src, e.key, e.value);
  }
  return cfg;
}
