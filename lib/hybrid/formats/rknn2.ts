/**
 * RKNN-Toolkit2 hybrid quantization config, `<model>.quantization.cfg`: the YAML file
 * `rknn.hybrid_quantization_step1()` writes and `hybrid_quantization_step2()` reads.
 *
 * ```yaml
 * custom_quantize_layers:
 *   FeatureExtractor/MobilenetV2/expanded_conv/depthwise/Relu6:0: float16
 * quantize_parameters:
 *   Preprocessor/sub:0:
 *     qtype: asymmetric_quantized
 *     qmethod: layer            # or channel
 *     dtype: int8
 *     min: [-1.0]
 *     max: [1.0]
 *     scale: [0.00784313725490196]
 *     zero_point: [0]
 *     ori_min: [-1.0]
 *     ori_max: [1.0]
 * ```
 *
 * Sources: the step1 tips printed by rknn-toolkit2's hybrid quantization examples ("Fill the
 * custom_quantize_layers with the output name & dtype of the custom layer ... Currently supported
 * data types are: 'int8', 'int16', 'float16'"); a published cfg excerpt for the
 * quantize_parameters fields; quantization-facts.md section 6.
 *
 * Mapping: a layer is keyed by its first output tensor when written; reading accepts an output
 * tensor name (preferred, as Toolkit2 documents) or a node name. `quantize_parameters` map to
 * `tensors` (min/max lists of one entry become `min`/`max`; per-channel entries get the channel
 * axis of their consumer, since the file does not store it). Entries whose dtype is a float type
 * carry no integer parameters and are skipped. Written entries always say
 * `qtype: asymmetric_quantized` (Toolkit2's w8a8 scheme); `ori_min`/`ori_max` are read as the
 * calibrated range when `min`/`max` are absent.
 */
import { Document, type Node as YNode, type YAMLMap } from 'yaml';
import type { QuantDType } from '../../quantize/params';
import { type HybridConfig, type HybridConfigPart, QUANT_DTYPES, type TensorParams, checkTensorParams } from '../config';
import { type RknnReadOptions, PrecisionVocabulary, channelAxis, checkChannels, firstOutput, indexGraph, nodeByOutputOrName, nodeNamed, valueNamed } from './common';
import { YamlSource, commentedMap, paramsMap } from './yaml-source';
import type { Graph } from '../../ir/graph';

/** Toolkit2 spellings: `custom_quantize_layers` values. */
export const RKNN2_PRECISIONS = new PrecisionVocabulary('RKNN-Toolkit2 quantization.cfg', [
  ['int8', 'int8'], ['int16', 'int16'], ['float16', 'float16'],
]);

const TOP_KEYS = ['custom_quantize_layers', 'quantize_parameters'];
const TENSOR_KEYS = ['qtype', 'qmethod', 'dtype', 'min', 'max', 'scale', 'zero_point', 'ori_min', 'ori_max'];

/** Options of {@link writeRknn2}. */
export interface Rknn2WriteOptions {
  /** Key layers by their first output tensor (`'output'`, as Toolkit2 documents) or by node name. Default `'output'`. */
  layerKeys?: 'output' | 'node';
}

function readTensor(src: YamlSource, name: string, node: YNode | null, axisOf: () => number): TensorParams | undefined {
  const what = `quantize_parameters "${name}"`;
  const entries = src.entries(node, what);
  src.checkKeys(entries, TENSOR_KEYS, what);
  const get = (k: string) => entries.find((e) => e.key === k)?.value;
  const dtypeNode = get('dtype');
  if (dtypeNode === undefined) src.fail(node, `${what} lacks dtype`);
  const dtype = src.string(dtypeNode, `${what} dtype`);
  if (/^(float|bfloat)/.test(dtype)) return undefined;
  if (!(QUANT_DTYPES as readonly string[]).includes(dtype)) src.fail(dtypeNode, `${what} has dtype ${dtype}; expected ${QUANT_DTYPES.join(', ')} or a float type`);
  const scale = get('scale');
  const zp = get('zero_point');
  if (scale === undefined || zp === undefined) src.fail(node, `${what} lacks scale or zero_point`);
  const t: TensorParams = { dtype: dtype as QuantDType, scale: src.numbers(scale, `${what} scale`), zeroPoint: src.numbers(zp, `${what} zero_point`) };
  const method = get('qmethod');
  const perChannel = method !== undefined ? src.string(method, `${what} qmethod`) === 'channel' : t.scale.length > 1;
  if (perChannel) t.axis = axisOf();
  return src.finishTensor(name, t, node, get('min') ?? get('ori_min'), get('max') ?? get('ori_max'), what, 'min', 'max');
}

/**
 * Reads a Toolkit2 `quantization.cfg`: `layers` from `custom_quantize_layers` (comments on an
 * entry's line become `comments`), `tensors` from `quantize_parameters`. Unknown names are
 * UNKNOWN_LAYER / UNKNOWN_TENSOR with the closest names (see `onUnknownTensor` for the toolkit's
 * own tensors in step-1 files); unknown keys BAD_CONFIG with the line.
 */
export function readRknn2(text: string, graph: Graph, opts: RknnReadOptions = {}): HybridConfigPart {
  const file = opts.file ?? 'quantization.cfg';
  const src: YamlSource = new YamlSource(text, file);
  const ix = indexGraph(graph);
  const top = src.rootEntries('the config');
  src.checkKeys(top, TOP_KEYS, 'the config');
  const part = src.layerMap(top.find((t) => t.key === 'custom_quantize_layers')?.value ?? null, 'custom_quantize_layers',
    (name, where) => nodeByOutputOrName(ix, name, where, file), RKNN2_PRECISIONS, 'data type');
  const params = top.find((t) => t.key === 'quantize_parameters');
  if (params) {
    part.tensors = {};
    for (const e of src.entries(params.value, 'quantize_parameters')) {
      if (opts.onUnknownTensor && !ix.values.has(e.key)) {
        opts.onUnknownTensor(e.key);
        continue;
      }
      valueNamed(ix, e.key, src.at(e.keyNode), file);
      const t = readTensor(src, e.key, e.value, () => channelAxis(ix, e.key));
      if (t) checkChannels(ix, e.key, t, src.at(e.keyNode), file);
      if (t) part.tensors[e.key] = t;
    }
  }
  return part;
}

/** Writes `cfg` as a Toolkit2 `quantization.cfg` (comments of `cfg.comments` on their layer's line). */
export function writeRknn2(cfg: HybridConfig | HybridConfigPart, graph: Graph, opts: Rknn2WriteOptions = {}): string {
  const ix = indexGraph(graph);
  const doc = new Document({});
  const root = doc.contents as YAMLMap;
  const layers: Record<string, string> = {};
  const keyOf = new Map<string, string>();
  for (const [name, p] of Object.entries(cfg.layers)) {
    const node = nodeNamed(ix, name, 'RKNN-Toolkit2 config');
    const key = (opts.layerKeys ?? 'output') === 'output' ? firstOutput(node) : node.name;
    layers[key] = RKNN2_PRECISIONS.write(p, name);
    keyOf.set(key, name);
  }
  const layerNode = commentedMap(doc, layers, (k) => cfg.comments?.[keyOf.get(k)!]);
  root.set('custom_quantize_layers', layerNode);
  const params: Record<string, Record<string, unknown>> = {};
  for (const [name, t] of Object.entries(cfg.tensors ?? {})) {
    valueNamed(ix, name, 'RKNN-Toolkit2 config');
    checkTensorParams(name, t, 'RKNN-Toolkit2 config');
    const e: Record<string, unknown> = { qtype: 'asymmetric_quantized', qmethod: t.scale.length > 1 || t.axis !== undefined ? 'channel' : 'layer', dtype: t.dtype };
    if (t.min !== undefined && t.max !== undefined) {
      e.min = [t.min];
      e.max = [t.max];
    }
    e.scale = t.scale;
    e.zero_point = t.zeroPoint;
    params[name] = e;
  }
  if (Object.keys(params).length > 0) {
    const node = paramsMap(doc, params);
    root.set('quantize_parameters', node);
  }
  doc.commentBefore = [
    ' RKNN-Toolkit2 hybrid quantization config written by npuquant.',
    ' custom_quantize_layers: <layer output tensor>: int8 | int16 | float16',
  ].join('\n');
  return doc.toString({ lineWidth: 0 });
}
