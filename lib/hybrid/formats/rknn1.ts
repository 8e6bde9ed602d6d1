/**
 * RKNN-Toolkit1 (rk1808, rv1109/rv1126, rk3399pro) hybrid quantization config, the Acuity-style
 * `<model>.quantization.cfg` that `hybrid_quantization_step1` writes:
 *
 * ```yaml
 * %YAML 1.2
 * ---
 * customized_quantize_layers:
 *     Conv_Conv_434_104: dynamic_fixed_point-i16
 * quantize_parameters:
 *     '@attach_concat_1/out0_0:out0':
 *         dtype: asymmetric_affine
 *         method: layer
 *         max_value: [10.01]
 *         min_value: [-7.53]
 *         zero_point: [110]
 *         scale: [0.0688]
 *         qtype: u8
 *     '@Conv_Conv_434_104:weight':
 *         dtype: dynamic_fixed_point
 *         method: layer
 *         max_value: [0.51]
 *         min_value: [-0.48]
 *         fl: [7]
 *         qtype: i8
 * ```
 *
 * Sources: rknn-toolkit (v1) examples/common_function_demos (hybrid_quantization
 * quantization_profile.diff, accuracy_analysis README: "customized_quantize_layers ...
 * dynamic_fixed_point-i16"; step1 tips: "The layer_name comes from quantize_parameters, please
 * strip '@' and ':xxx' ... Support quantized_type: asymmetric_affine-u8, dynamic_fixed_point-i8,
 * dynamic_fixed_point-i16, float32"), Acuity `.quantize` files (`qtype`, `quantizer`, `rounding`,
 * `max_value`, `min_value`, `scale`, `zero_point` / `fl`), quantization-facts.md sections 2 and 6.
 *
 * Mapping: layer names are node names. Toolkit1 itself names layers the Acuity way,
 * `<OpType>_<onnx name>_<n>` (`Conv_Conv_434_104` for node `Conv_434`); reading falls back to that
 * pattern when a name is not a node (an exact node name always wins). Tensor keys
 * `'@<node>:out<i>'` are the node's i-th output (a graph input is `'@<input>:out0'`),
 * `'@<node>:weight'` / `'@<node>:bias'` its inputs 1 / 2. Dynamic fixed point has
 * `scale = 2^-fl`, zero point 0. Both Toolkit1's `dtype` and Acuity's `quantizer` key name the
 * quantizer; values may be lists or single numbers. Per-channel entries (`method: channel`) get the
 * channel axis of their consumer [unverified: no Toolkit1 per-channel sample was found].
 */
import { Document, type Node as YNode, type YAMLMap } from 'yaml';
import { NpuqError } from '../../errors';
import type { Graph, Node } from '../../ir/graph';
import type { QuantDType } from '../../quantize/params';
import { type HybridConfig, type HybridConfigPart, type TensorParams, checkTensorParams, unknownNamesError } from '../config';
import { type GraphIndex, type RknnReadOptions, PrecisionVocabulary, badConfig, bitsOf, channelAxis, checkChannels, dtypeOf, indexGraph, nodeNamed } from './common';
import { YamlSource, commentedMap, paramsMap } from './yaml-source';

/** Toolkit1 spellings of `customized_quantize_layers` values. */
export const RKNN1_PRECISIONS = new PrecisionVocabulary('RKNN-Toolkit1 quantization.cfg', [
  ['uint8', 'asymmetric_affine-u8'], ['int8', 'dynamic_fixed_point-i8'], ['int16', 'dynamic_fixed_point-i16'], ['float32', 'float32'],
]);

const TOP_KEYS = ['hybrid_quantization_action', 'customized_quantize_layers', 'quantize_parameters'];
const TENSOR_KEYS = ['dtype', 'quantizer', 'method', 'qtype', 'rounding', 'max_value', 'min_value', 'zero_point', 'scale', 'fl'];
const QTYPES: Readonly<Record<string, QuantDType>> = { u8: 'uint8', i8: 'int8', u16: 'uint16', i16: 'int16' };

/** The node a Toolkit1 layer name means: the node itself, else the Acuity pattern `<OpType>_<name>_<n>`. */
function layerNode(ix: GraphIndex, name: string, where: string, file: string): Node {
  const exact = ix.nodes.get(name);
  if (exact) return exact;
  const m = /^([A-Za-z][A-Za-z0-9]*)_(.+)_\d+$/.exec(name);
  const acuity = m ? ix.nodes.get(m[2]) : undefined;
  if (acuity && acuity.opType === m![1]) return acuity;
  throw unknownNamesError('UNKNOWN_LAYER', where, 'layer', [name], [...ix.nodes.keys()], file);
}

/** The graph tensor of a `'@layer:port'` key. */
function tensorOfKey(ix: GraphIndex, key: string, where: string, file: string): string {
  const m = /^@(.+):(out\d+|weight|bias)$/.exec(key);
  if (!m) throw badConfig(where, `quantize_parameters key "${key}" is not of the form '@<layer>:out0', '@<layer>:weight' or '@<layer>:bias'`, file);
  const [, layer, port] = m;
  if (port === 'out0' && ix.inputs.has(layer) && !ix.nodes.has(layer)) return layer;
  const node = layerNode(ix, layer, where, file);
  const t = port.startsWith('out') ? node.outputs[Number(port.slice(3))] : node.inputs[port === 'weight' ? 1 : 2];
  if (!t) throw badConfig(where, `${node.describe()} has no ${port}`, file);
  return t;
}

/** The `'@layer:port'` key of a graph tensor. */
function keyOfTensor(ix: GraphIndex, tensor: string): string {
  const p = ix.producer.get(tensor);
  if (p) return `@${p.name}:out${p.outputs.indexOf(tensor)}`;
  if (ix.inputs.has(tensor)) return `@${tensor}:out0`;
  if (ix.initializers.has(tensor)) {
    for (const c of ix.consumers.get(tensor) ?? []) {
      if (c.inputs[1] === tensor) return `@${c.name}:weight`;
      if (c.inputs[2] === tensor) return `@${c.name}:bias`;
    }
  }
  throw new NpuqError('UNSUPPORTED',
    `RKNN-Toolkit1 config: tensor "${tensor}" is neither a layer output, a graph input, nor the weight or bias (input 1 or 2) of a layer, so it has no '@layer:port' key`);
}

function readTensor(src: YamlSource, key: string, node: YNode | null, axisOf: () => number): TensorParams | undefined {
  const what = `quantize_parameters '${key}'`;
  const entries = src.entries(node, what);
  src.checkKeys(entries, TENSOR_KEYS, what);
  const get = (k: string) => entries.find((e) => e.key === k)?.value;
  const qNode = get('dtype') ?? get('quantizer');
  if (qNode === undefined) src.fail(node, `${what} lacks dtype (the quantizer)`);
  const quantizer = src.string(qNode, `${what} dtype`);
  if (quantizer === 'float32' || quantizer === 'float16') return undefined;
  const qtypeNode = get('qtype');
  if (qtypeNode === undefined) src.fail(node, `${what} lacks qtype`);
  const qtype = src.string(qtypeNode, `${what} qtype`);
  const dtype = QTYPES[qtype];
  if (!dtype) src.fail(qtypeNode, `${what} has qtype ${qtype}; expected ${Object.keys(QTYPES).join(', ')}`);
  const rounding = get('rounding');
  if (rounding !== undefined && src.string(rounding, `${what} rounding`) !== 'rtne') {
    src.fail(rounding, `${what} has rounding ${src.string(rounding, 'rounding')}; only rtne (round half to even) is read, the chip profile decides rounding`);
  }
  let t: TensorParams;
  if (quantizer === 'dynamic_fixed_point') {
    const fl = get('fl');
    if (fl === undefined) src.fail(node, `${what} is dynamic_fixed_point but lacks fl`);
    const fls = src.numbers(fl, `${what} fl`);
    t = { dtype: dtypeOf(bitsOf(dtype), true, src.at(node), src.file), scale: fls.map((f) => 2 ** -f), zeroPoint: fls.map(() => 0) };
  } else if (/^(asymmetric_affine|symmetric_affine|perchannel_symmetric_affine)$/.test(quantizer)) {
    const s = get('scale');
    if (s === undefined) src.fail(node, `${what} lacks scale`);
    const scale = src.numbers(s, `${what} scale`);
    const z = get('zero_point');
    const zeroPoint = z === undefined ? scale.map(() => 0) : src.numbers(z, `${what} zero_point`);
    t = { dtype, scale, zeroPoint };
  } else {
    src.fail(qNode, `${what} has quantizer ${quantizer}; expected asymmetric_affine, symmetric_affine, perchannel_symmetric_affine, dynamic_fixed_point or float32`);
  }
  const method = get('method');
  if ((method !== undefined && src.string(method, `${what} method`) === 'channel') || t.scale.length > 1 || quantizer.startsWith('perchannel')) t.axis = axisOf();
  return src.finishTensor(key, t, node, get('min_value'), get('max_value'), what, 'min_value', 'max_value');
}

/**
 * Reads a Toolkit1 / Acuity hybrid config: `layers` from `customized_quantize_layers` (line
 * comments become `comments`), `tensors` from `quantize_parameters`. `hybrid_quantization_action`
 * is accepted and has no effect. Unknown names: UNKNOWN_LAYER / UNKNOWN_TENSOR with the closest
 * (see `onUnknownTensor` for Acuity's own layers in `quantize_parameters`).
 */
export function readRknn1(text: string, graph: Graph, opts: RknnReadOptions = {}): HybridConfigPart {
  const file = opts.file ?? 'quantization.cfg';
  const src: YamlSource = new YamlSource(text, file);
  const ix = indexGraph(graph);
  const top = src.rootEntries('the config');
  src.checkKeys(top, TOP_KEYS, 'the config');
  const part = src.layerMap(top.find((t) => t.key === 'customized_quantize_layers')?.value ?? null, 'customized_quantize_layers',
    (name, where) => layerNode(ix, name, where, file), RKNN1_PRECISIONS, 'quantized type');
  const params = top.find((t) => t.key === 'quantize_parameters');
  if (params) {
    part.tensors = {};
    for (const e of src.entries(params.value, 'quantize_parameters')) {
      let tensor: string;
      try {
        tensor = tensorOfKey(ix, e.key, src.at(e.keyNode), file);
      } catch (err) {
        const unknown = err instanceof NpuqError && (err.code === 'UNKNOWN_LAYER' || err.code === 'UNKNOWN_TENSOR');
        if (!unknown || !opts.onUnknownTensor) throw err;
        opts.onUnknownTensor(e.key);
        continue;
      }
      const t = readTensor(src, e.key, e.value, () => channelAxis(ix, tensor));
      if (t) checkChannels(ix, tensor, t, src.at(e.keyNode), file);
      if (t) part.tensors[tensor] = t;
    }
  }
  return part;
}

/** True when a tensor's parameters are dynamic fixed point: signed, zero point 0, scales powers of two. */
function isDfp(t: TensorParams): boolean {
  return t.dtype.startsWith('int') && t.zeroPoint.every((z) => z === 0) && t.scale.every((s) => Number.isInteger(Math.log2(s)));
}

/** Writes `cfg` as a Toolkit1 hybrid config (comments of `cfg.comments` on their layer's line). */
export function writeRknn1(cfg: HybridConfig | HybridConfigPart, graph: Graph): string {
  const ix = indexGraph(graph);
  const doc = new Document({});
  const root = doc.contents as YAMLMap;
  const layers: Record<string, string> = {};
  for (const [name, p] of Object.entries(cfg.layers)) layers[nodeNamed(ix, name, 'RKNN-Toolkit1 config').name] = RKNN1_PRECISIONS.write(p, name);
  const layerNode = commentedMap(doc, layers, (k) => cfg.comments?.[k]);
  root.set('customized_quantize_layers', layerNode);
  const params: Record<string, Record<string, unknown>> = {};
  for (const [name, t] of Object.entries(cfg.tensors ?? {})) {
    if (!ix.values.has(name)) throw unknownNamesError('UNKNOWN_TENSOR', 'RKNN-Toolkit1 config', 'tensor', [name], [...ix.values]);
    checkTensorParams(name, t, 'RKNN-Toolkit1 config');
    const dfp = isDfp(t);
    const e: Record<string, unknown> = {
      dtype: dfp ? 'dynamic_fixed_point' : 'asymmetric_affine',
      method: t.scale.length > 1 || t.axis !== undefined ? 'channel' : 'layer',
    };
    if (t.min !== undefined && t.max !== undefined) {
      e.max_value = [t.max];
      e.min_value = [t.min];
    }
    if (dfp) e.fl = t.scale.map((s) => -Math.log2(s));
    else {
      e.zero_point = t.zeroPoint;
      e.scale = t.scale;
    }
    e.qtype = t.dtype.replace(/^uint/, 'u').replace(/^int/, 'i');
    params[keyOfTensor(ix, name)] = e;
  }
  if (Object.keys(params).length > 0) {
    const node = paramsMap(doc, params);
    root.set('quantize_parameters', node);
  }
  doc.commentBefore = [
    ' RKNN-Toolkit1 hybrid quantization config written by npuquant.',
    ' customized_quantize_layers: <layer>: asymmetric_affine-u8 | dynamic_fixed_point-i8 | dynamic_fixed_point-i16 | float32',
  ].join('\n');
  return `%YAML 1.2\n---\n${doc.toString({ lineWidth: 0, indent: 4 })}`;
}
