/**
 * AXERA Pulsar2 (AX650, AX620E) mixed precision: the `quant.layer_configs` list of a
 * `pulsar2 build --config` file.
 *
 * ```json
 * {
 *   "quant": {
 *     "layer_configs": [
 *       { "op_type": "Add", "data_type": "U16" },
 *       { "layer_names": ["conv1", "conv2"], "data_type": "U16", "weight_data_type": "S8" },
 *       { "start_tensor_names": ["a"], "end_tensor_names": ["b"], "data_type": "FP32" }
 *     ]
 *   }
 * }
 * ```
 *
 * Sources: Pulsar2 docs, "config file details" (relaxed json with js- or python-style comments;
 * `QuantConfig.layer_configs`), quantization-facts.md section 6 (selectors layer_name, layer_names,
 * op_type, op_types, start_tensor_names + end_tensor_names; data_type U8 | S8 | U16 | S16 | FP32;
 * weight_data_type).
 *
 * Reading resolves every selector to node names through the graph: op types to the nodes of that
 * type, start/end tensors to the nodes on a path from a start tensor to an end tensor. Entries
 * apply in order, a later entry overriding an earlier one for the same node [assumption: the docs
 * do not say how overlapping entries combine]. `weight_data_type` has no place in the neutral
 * config: it must be S8 for integer data types (the AX650 profile's weights) or FP32 for FP32, and
 * any other value is an error rather than silently dropped. The text may be the whole build
 * config, `{ "layer_configs": [...] }` or the bare list. Writing gives
 * `{ "quant": { "layer_configs": [...] } }` with one `layer_names` entry per precision.
 */
import type { Graph, Node } from '../../ir/graph';
import type { Precision } from '../../quantize/profile';
import { type HybridConfig, type HybridConfigPart, unknownNamesError } from '../config';
import { type ReadOptions, PrecisionVocabulary, badConfig, checkKeys, indexGraph, isRecord, nodeNamed, parseRelaxedJson } from './common';
import { resolveSubgraph } from './subgraph';

/** Pulsar2 `data_type` spellings. */
export const PULSAR2_PRECISIONS = new PrecisionVocabulary('Pulsar2 layer_configs', [
  ['uint8', 'U8'], ['int8', 'S8'], ['uint16', 'U16'], ['int16', 'S16'], ['float32', 'FP32'],
]);

const ENTRY_KEYS = ['layer_name', 'layer_names', 'op_type', 'op_types', 'start_tensor_names', 'end_tensor_names', 'data_type', 'weight_data_type'];

function strings(v: unknown, where: string, key: string, file: string): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw badConfig(where, `${key} must be a string or a list of strings`, file);
  return list;
}

/** The layer_configs list inside any of the accepted shapes. */
function configList(json: unknown, file: string): unknown[] {
  if (Array.isArray(json)) return json;
  if (isRecord(json)) {
    if (Array.isArray(json.layer_configs)) return json.layer_configs;
    if (isRecord(json.quant)) {
      if (Array.isArray(json.quant.layer_configs)) return json.quant.layer_configs;
      if (json.quant.layer_configs === undefined) return [];
    }
    if (json.layer_configs !== undefined || (isRecord(json.quant) && json.quant.layer_configs !== undefined)) {
      throw badConfig(file, 'layer_configs must be a list', file);
    }
  }
  throw badConfig(file, 'expected a Pulsar2 config with quant.layer_configs, an object with layer_configs, or a list of layer configs', file);
}

/** Reads Pulsar2 `layer_configs` into `layers`. */
export function readPulsar2(text: string, graph: Graph, opts: ReadOptions = {}): HybridConfigPart {
  const file = opts.file ?? 'pulsar2 config';
  const ix = indexGraph(graph);
  const list = configList(parseRelaxedJson(text, file, file), file);
  const opTypes = [...new Set(graph.nodes.map((n) => n.opType))];
  const part: HybridConfigPart = { layers: {} };
  list.forEach((entry, i) => {
    const where = `${file}: layer_configs[${i}]`;
    if (!isRecord(entry)) throw badConfig(where, 'each layer config must be an object', file);
    checkKeys(entry, ENTRY_KEYS, where, file);
    if (entry.data_type === undefined) throw badConfig(where, 'data_type is missing', file);
    const p = PULSAR2_PRECISIONS.read(entry.data_type, where, file);
    if (entry.weight_data_type !== undefined) {
      const want = p === 'float32' ? 'FP32' : 'S8';
      if (entry.weight_data_type !== want) {
        throw badConfig(where, `weight_data_type ${JSON.stringify(entry.weight_data_type)} is not supported with data_type ${entry.data_type}; `
          + `npuquant keeps ${want} weights for it (remove weight_data_type or set it to ${want})`, file);
      }
    }
    const nodes: Node[] = [];
    for (const key of ['layer_name', 'layer_names'] as const) {
      if (entry[key] !== undefined) for (const n of strings(entry[key], where, key, file)) nodes.push(nodeNamed(ix, n, where, file));
    }
    for (const key of ['op_type', 'op_types'] as const) {
      if (entry[key] === undefined) continue;
      for (const t of strings(entry[key], where, key, file)) {
        const matched = graph.nodes.filter((n) => n.opType === t);
        if (matched.length === 0) throw unknownNamesError('UNKNOWN_LAYER', where, 'op type', [t], opTypes, file);
        nodes.push(...matched);
      }
    }
    const starts = entry.start_tensor_names;
    const ends = entry.end_tensor_names;
    if ((starts === undefined) !== (ends === undefined)) throw badConfig(where, 'start_tensor_names and end_tensor_names go together', file);
    if (starts !== undefined) {
      nodes.push(...resolveSubgraph(ix, strings(starts, where, 'start_tensor_names', file), strings(ends, where, 'end_tensor_names', file), where, file));
    }
    if (nodes.length === 0) throw badConfig(where, 'selects no layer: give layer_name(s), op_type(s) or start_tensor_names + end_tensor_names', file);
    for (const n of nodes) part.layers[n.name] = p;
  });
  return part;
}

/** Writes `cfg.layers` as `{ "quant": { "layer_configs": [...] } }`, one `layer_names` entry per precision. */
export function writePulsar2(cfg: HybridConfig | HybridConfigPart, graph: Graph): string {
  const ix = indexGraph(graph);
  const byPrecision = new Map<Precision, string[]>();
  for (const [name, p] of Object.entries(cfg.layers)) {
    nodeNamed(ix, name, 'Pulsar2 layer_configs');
    PULSAR2_PRECISIONS.write(p, name);
    if (!byPrecision.has(p)) byPrecision.set(p, []);
    byPrecision.get(p)!.push(name);
  }
  const layerConfigs = [...byPrecision].map(([p, names]) => ({
    layer_names: names,
    data_type: PULSAR2_PRECISIONS.write(p, names[0]),
    weight_data_type: p === 'float32' ? 'FP32' : 'S8',
  }));
  return `${JSON.stringify({ quant: { layer_configs: layerConfigs } }, null, 2)}\n`;
}
