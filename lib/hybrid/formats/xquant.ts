/**
 * SpacemiT XQuant / XSlim (K1) per-subgraph settings: `quantization_parameters.custom_setting`.
 *
 * ```json
 * { "quantization_parameters": { "custom_setting": [
 *   { "input_names": ["input"], "output_names": ["input.12"], "precision_level": 2,
 *     "calibration_type": "default", "max_percentile": 0.9999 }
 * ] } }
 * ```
 *
 * Sources: XSlim doc/configuration.md (custom_setting: "a contiguous subgraph by its boundary
 * tensors ... all tensors between the boundary input operators and the boundary output operators
 * (inclusive)", input constants may be omitted; precision levels 0 full INT8, 1 partial INT8, 2
 * partial INT8 with the most operators at higher precision, 3 dynamic quantization, 4 FP16;
 * calibration_type default | kl | minmax | percentile | mse; max_percentile a fraction, e.g.
 * 0.9999), XSlim defs.py (`PrecisionLevel.LEVEL_None = 100`: no quantization), XSlim's tuning
 * guide (raise a subgraph with `precision_level: 2`), quantization-facts.md section 6.
 *
 * precision_level mapping [assumption: XSlim decides per operator inside levels 1 and 2, which a
 * per-layer config cannot express, so npuquant takes the whole subgraph as float]:
 * - read: 0 -> int8, 1 and 2 -> float32, 4 -> float16, 100 -> float32; 3 (dynamic quantization)
 *   is an error, npuquant has no dynamic quantization;
 * - write: int8 -> 0, float32 -> 2, float16 -> 4; other precisions are an error.
 *
 * Reading resolves each subgraph to the nodes on a path from an input to an output tensor (all
 * nodes upstream of the outputs when input_names is empty). Writing groups the layers of one
 * precision into connected subgraphs whose boundary tensors select exactly them again (else one
 * subgraph per layer). `calibration_type` / `max_percentile` become `calibration.perLayer`
 * (`{ [node]: { method?, percentile? } }`, percentile in percent; `default` sets no method) and are
 * written back as entries of their own. The text may be the whole XSlim config,
 * `{ "custom_setting": [...] }` or the bare list; writing gives
 * `{ "quantization_parameters": { "custom_setting": [...] } }`.
 */
import { NpuqError } from '../../errors';
import type { Graph, Node } from '../../ir/graph';
import type { Precision } from '../../quantize/profile';
import type { HybridConfig, HybridConfigPart } from '../config';
import { type ReadOptions, badConfig, checkKeys, indexGraph, isRecord, nodeNamed, parseRelaxedJson } from './common';
import { groupSubgraphs, resolveSubgraph } from './subgraph';

/** Per-layer calibration overrides, as `HybridConfig.calibration.perLayer` holds them. */
export type PerLayerCalibration = Record<string, { method?: string; percentile?: number }>;

const ENTRY_KEYS = ['input_names', 'output_names', 'precision_level', 'calibration_type', 'max_percentile'];
const CALIBRATION_TYPES = ['default', 'kl', 'minmax', 'percentile', 'mse'];
const READ_LEVELS: Readonly<Record<number, Precision>> = { 0: 'int8', 1: 'float32', 2: 'float32', 4: 'float16', 100: 'float32' };
const WRITE_LEVELS: Partial<Record<Precision, number>> = { int8: 0, float32: 2, float16: 4 };

function names(v: unknown, where: string, key: string, file: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw badConfig(where, `${key} must be a list of tensor names`, file);
  return v;
}

function settingList(json: unknown, file: string): unknown[] {
  if (Array.isArray(json)) return json;
  if (isRecord(json)) {
    const holder = isRecord(json.quantization_parameters) ? json.quantization_parameters : json;
    const list = holder.custom_setting;
    if (Array.isArray(list)) return list;
    if (list !== undefined && list !== null) throw badConfig(file, 'custom_setting must be a list', file);
    if (holder !== json) return [];
  }
  throw badConfig(file, 'expected an XSlim config with quantization_parameters.custom_setting, an object with custom_setting, or a list of settings', file);
}

/** Reads XQuant `custom_setting` into `layers` (and `calibration.perLayer`). */
export function readXquant(text: string, graph: Graph, opts: ReadOptions = {}): HybridConfigPart {
  const file = opts.file ?? 'xquant config';
  const ix = indexGraph(graph);
  const list = settingList(parseRelaxedJson(text, file, file), file);
  const part: HybridConfigPart = { layers: {} };
  const perLayer: PerLayerCalibration = {};
  list.forEach((entry, i) => {
    const where = `${file}: custom_setting[${i}]`;
    if (!isRecord(entry)) throw badConfig(where, 'each setting must be an object', file);
    checkKeys(entry, ENTRY_KEYS, where, file);
    const inputs = entry.input_names === undefined ? [] : names(entry.input_names, where, 'input_names', file);
    if (entry.output_names === undefined) throw badConfig(where, 'output_names is missing', file);
    const nodes: Node[] = resolveSubgraph(ix, inputs, names(entry.output_names, where, 'output_names', file), where, file);
    let any = false;
    if (entry.precision_level !== undefined) {
      const level = entry.precision_level;
      if (level === 3) throw new NpuqError('UNSUPPORTED_PRECISION', `${where}: precision_level 3 (dynamic quantization) has no npuquant equivalent; use 0 (int8), 2 (float32) or 4 (float16)`, { file });
      const p = typeof level === 'number' ? READ_LEVELS[level] : undefined;
      if (p === undefined) throw new NpuqError('UNSUPPORTED_PRECISION', `${where}: precision_level ${JSON.stringify(level)} is not one of 0, 1, 2, 4, 100`, { file });
      for (const n of nodes) part.layers[n.name] = p;
      any = true;
    }
    const setting: { method?: string; percentile?: number } = {};
    if (entry.calibration_type !== undefined) {
      if (typeof entry.calibration_type !== 'string' || !CALIBRATION_TYPES.includes(entry.calibration_type)) {
        throw badConfig(where, `calibration_type ${JSON.stringify(entry.calibration_type)} is not one of ${CALIBRATION_TYPES.join(', ')}`, file);
      }
      if (entry.calibration_type !== 'default') setting.method = entry.calibration_type;
      any = true;
    }
    if (entry.max_percentile !== undefined) {
      const v = entry.max_percentile;
      if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw badConfig(where, `max_percentile must be a fraction in (0, 1], e.g. 0.9999, not ${JSON.stringify(v)}`, file);
      setting.percentile = Number((v * 100).toPrecision(12));
      any = true;
    }
    if (!any) throw badConfig(where, 'sets nothing: give precision_level, calibration_type or max_percentile', file);
    if (Object.keys(setting).length > 0) {
      for (const n of nodes) perLayer[n.name] = { ...perLayer[n.name], ...setting };
    }
  });
  if (Object.keys(perLayer).length > 0) part.calibration = { perLayer };
  return part;
}

/** Writes `cfg.layers` (and `cfg.calibration.perLayer`) as XQuant `custom_setting` subgraphs. */
export function writeXquant(cfg: HybridConfig | HybridConfigPart, graph: Graph): string {
  const ix = indexGraph(graph);
  const where = 'XQuant custom_setting';
  const settings: Record<string, unknown>[] = [];
  const byLevel = new Map<number, Node[]>();
  for (const [name, p] of Object.entries(cfg.layers)) {
    const node = nodeNamed(ix, name, where);
    const level = WRITE_LEVELS[p];
    if (level === undefined) {
      throw new NpuqError('UNSUPPORTED_PRECISION', `${where} cannot express precision ${p} (layer "${name}"); it can express ${Object.keys(WRITE_LEVELS).join(', ')}`);
    }
    if (!byLevel.has(level)) byLevel.set(level, []);
    byLevel.get(level)!.push(node);
  }
  for (const [level, nodes] of byLevel) {
    for (const s of groupSubgraphs(ix, ix.graph.nodes.filter((n) => nodes.includes(n)), where)) {
      settings.push({ input_names: s.inputs, output_names: s.outputs, precision_level: level });
    }
  }
  const perLayer = cfg.calibration?.perLayer as PerLayerCalibration | undefined;
  if (perLayer !== undefined) {
    const groups = new Map<string, Node[]>();
    for (const [name, c] of Object.entries(perLayer)) {
      const node = nodeNamed(ix, name, `${where} (calibration.perLayer)`);
      if (c.method !== undefined && !CALIBRATION_TYPES.includes(c.method)) {
        throw badConfig(where, `calibration method ${c.method} of "${name}" is not one of ${CALIBRATION_TYPES.join(', ')}`);
      }
      const key = JSON.stringify([c.method ?? null, c.percentile ?? null]);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key)!.push(node);
    }
    for (const [key, nodes] of groups) {
      const [method, percentile] = JSON.parse(key) as [string | null, number | null];
      for (const s of groupSubgraphs(ix, ix.graph.nodes.filter((n) => nodes.includes(n)), where)) {
        const e: Record<string, unknown> = { input_names: s.inputs, output_names: s.outputs, calibration_type: method ?? 'default' };
        if (percentile !== null) e.max_percentile = Number((percentile / 100).toPrecision(12));
        settings.push(e);
      }
    }
  }
  return `${JSON.stringify({ quantization_parameters: { custom_setting: settings } }, null, 2)}\n`;
}
