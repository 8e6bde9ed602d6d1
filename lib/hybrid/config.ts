/**
 * The neutral hybrid (mixed-precision) quantization config: which layers (nodes) run in which
 * precision, optionally with per-tensor quantization parameters. Every vendor format in
 * `formats/` and npuquant's own `<model>.quantization.yaml` reads into and writes from this one
 * shape, so a config can move between toolchains (RKNN cfg -> TPU-MLIR qtable, ...).
 *
 * Names are never ignored silently (users of RKNN-Toolkit2 and Pulsar2 report configs whose names
 * silently do not apply, quantization-facts.md section 7): {@link validateConfig} rejects a layer or
 * tensor the graph lacks, naming the closest existing names, and a precision the target lacks,
 * naming the ones it supports.
 */
import { NpuqError } from '../errors';
import type { Graph } from '../ir/graph';
import type { QuantDType } from '../quantize/params';
import type { ChipProfile, Precision } from '../quantize/profile';
import { editDistance } from '../quantize/suggest';

/** Quantization parameters of one tensor, as config files carry them. */
export interface TensorParams {
  /** Integer type. */
  dtype: QuantDType;
  /** One scale per tensor, or one per channel along `axis`. */
  scale: number[];
  /** One zero point per scale. */
  zeroPoint: number[];
  /** Calibrated float minimum of a per-tensor range, when the file carries it. */
  min?: number;
  /** Calibrated float maximum of a per-tensor range, when the file carries it. */
  max?: number;
  /** Channel axis of per-channel parameters (absent for per-tensor ones). */
  axis?: number;
}

/** One hybrid quantization config, independent of any vendor format. */
export interface HybridConfig {
  /** Chip profile name (`npuquant --target`). */
  target: string;
  /**
   * Calibration settings: `method` (minmax, percentile, kl, mse), `perChannel`, and any other key a
   * writer keeps as is. The XQuant reader puts per-layer calibration overrides under `perLayer`
   * (`{ [node]: { method?, percentile? } }`, percentile in percent).
   */
  calibration?: { method?: string; perChannel?: boolean; [k: string]: unknown };
  /** Node name -> precision (RKNN `custom_quantize_layers`). */
  layers: Record<string, Precision>;
  /** Tensor name -> quantization parameters. */
  tensors?: Record<string, TensorParams>;
  /** Node name -> comment written next to its `layers` entry (metrics, reason). */
  comments?: Record<string, string>;
}

/**
 * What a vendor format gives back: `layers` always (possibly empty); `tensors`, `calibration`,
 * `comments` and `target` only when the format carries them. Merge parts with {@link mergeConfig}.
 */
export type HybridConfigPart = Partial<HybridConfig> & { layers: Record<string, Precision> };

/** Every precision a layer may be given, narrowest integer first. */
export const PRECISIONS: readonly Precision[] = ['int8', 'uint8', 'int16', 'uint16', 'float16', 'bfloat16', 'float32'];

/** Every integer type a tensor may have. */
export const QUANT_DTYPES: readonly QuantDType[] = ['uint8', 'int8', 'uint16', 'int16'];

/**
 * Up to `n` candidates closest to `word` by edit distance (case-insensitive), best first; ties keep
 * the candidates' order. Default `n` 3.
 */
export function closestNames(word: string, candidates: Iterable<string>, n = 3): string[] {
  const w = word.toLowerCase();
  const scored: { c: string; d: number; i: number }[] = [];
  let i = 0;
  for (const c of candidates) scored.push({ c, d: editDistance(w, c.toLowerCase()), i: i++ });
  scored.sort((a, b) => a.d - b.d || a.i - b.i);
  return scored.slice(0, n).map((s) => s.c);
}

/** `"a", "b" or "c"`. */
export function quoteList(names: readonly string[], last = 'or'): string {
  const q = names.map((s) => `"${s}"`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} ${last} ${q[q.length - 1]}`;
}

/**
 * The error for names a model lacks: one line per name with its closest candidates.
 * `what` is `layer`, `tensor`, `op type`, ...; `source` says where the names come from.
 */
export function unknownNamesError(
  code: 'UNKNOWN_LAYER' | 'UNKNOWN_TENSOR', source: string, what: string, names: readonly string[], candidates: readonly string[],
  file?: string,
): NpuqError {
  const lines = names.map((name) => {
    const near = closestNames(name, candidates);
    return `${what} "${name}" is not in the model${near.length > 0 ? `; did you mean ${quoteList(near)}?` : ''}`;
  });
  const head = names.length === 1 ? `${source}: ` : `${source}: ${names.length} ${what} names are not in the model:\n  `;
  return new NpuqError(code, head + lines.join('\n  '), file !== undefined ? { file } : undefined);
}

/** Node names of a graph, in graph order. */
export function nodeNames(graph: Graph): string[] {
  return graph.nodes.map((n) => n.name);
}

/** Every value name of a graph: graph inputs, node outputs, then initializers. */
export function valueNames(graph: Graph): string[] {
  const out = new Set<string>();
  for (const i of graph.inputs) out.add(i.name);
  for (const n of graph.nodes) for (const o of n.outputs) if (o) out.add(o);
  for (const k of graph.initializers.keys()) out.add(k);
  return [...out];
}

/**
 * Checks that every layer, comment and tensor name of `cfg` exists in `graph`. Throws
 * `UNKNOWN_LAYER` / `UNKNOWN_TENSOR` listing every missing name with its closest existing names.
 * `source` names the config in messages (default `'hybrid config'`).
 */
export function validateNames(cfg: HybridConfig | HybridConfigPart, graph: Graph, source = 'hybrid config'): void {
  const nodes = nodeNames(graph);
  const nodeSet = new Set(nodes);
  const layerNames = [...Object.keys(cfg.layers ?? {}), ...Object.keys(cfg.comments ?? {})];
  const badLayers = [...new Set(layerNames.filter((n) => !nodeSet.has(n)))];
  if (badLayers.length > 0) throw unknownNamesError('UNKNOWN_LAYER', source, 'layer', badLayers, nodes);
  const values = valueNames(graph);
  const valueSet = new Set(values);
  const badTensors = Object.keys(cfg.tensors ?? {}).filter((t) => !valueSet.has(t));
  if (badTensors.length > 0) throw unknownNamesError('UNKNOWN_TENSOR', source, 'tensor', badTensors, values);
}

function bad(source: string, msg: string): NpuqError {
  return new NpuqError('BAD_CONFIG', `${source}: ${msg}`);
}

/** Checks the values of one tensor's parameters; throws BAD_CONFIG naming the tensor. */
export function checkTensorParams(name: string, t: TensorParams, source: string): void {
  const where = `tensor "${name}"`;
  if (typeof t !== 'object' || t === null) throw bad(source, `${where} must be an object with dtype, scale and zero_point`);
  if (!QUANT_DTYPES.includes(t.dtype)) {
    throw bad(source, `${where} has dtype ${JSON.stringify(t.dtype)}; expected one of ${QUANT_DTYPES.join(', ')}`);
  }
  if (!Array.isArray(t.scale) || t.scale.length === 0 || !t.scale.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0)) {
    throw bad(source, `${where} needs a non-empty list of positive finite scales`);
  }
  if (!Array.isArray(t.zeroPoint) || t.zeroPoint.length !== t.scale.length || !t.zeroPoint.every((z) => Number.isInteger(z))) {
    throw bad(source, `${where} needs one integer zero point per scale (${t.scale.length})`);
  }
  for (const k of ['min', 'max', 'axis'] as const) {
    const v = t[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw bad(source, `${where} has a non-numeric ${k}`);
  }
  if (t.axis !== undefined && !Number.isInteger(t.axis)) throw bad(source, `${where} has a non-integer axis ${t.axis}`);
  if (t.min !== undefined && t.max !== undefined && t.min > t.max) throw bad(source, `${where} has min ${t.min} > max ${t.max}`);
}

/**
 * Validates a config against a model and a chip profile:
 * - every layer (and commented layer) is a node of `graph`, every tensor a value of it
 *   (`UNKNOWN_LAYER` / `UNKNOWN_TENSOR`, naming up to 3 closest existing names per unknown name);
 * - every precision is one the profile's hybrid quantization supports (`UNSUPPORTED_PRECISION`,
 *   naming `profile.hybrid.precisions`);
 * - tensor parameters are well formed and every comment belongs to a `layers` entry (`BAD_CONFIG`).
 * `source` names the config in messages (default `'hybrid config'`).
 */
export function validateConfig(cfg: HybridConfig, graph: Graph, profile: ChipProfile, source = 'hybrid config'): void {
  if (typeof cfg !== 'object' || cfg === null) throw bad(source, 'the config must be an object');
  if (typeof cfg.layers !== 'object' || cfg.layers === null || Array.isArray(cfg.layers)) {
    throw bad(source, 'layers (custom_quantize_layers) must be a map of node name to precision');
  }
  validateNames(cfg, graph, source);
  const supported = profile.hybrid.precisions;
  const unsupported: string[] = [];
  for (const [name, p] of Object.entries(cfg.layers)) {
    if (!PRECISIONS.includes(p)) {
      throw new NpuqError('UNSUPPORTED_PRECISION',
        `${source}: layer "${name}" has precision ${JSON.stringify(p)}, which is not a precision npuquant knows; `
        + `target ${profile.name} supports ${supported.join(', ')}`);
    }
    if (!supported.includes(p)) unsupported.push(`layer "${name}" is set to ${p}`);
  }
  if (unsupported.length > 0) {
    throw new NpuqError('UNSUPPORTED_PRECISION',
      `${source}: ${unsupported.join('; ')}, which target ${profile.name} does not support; it supports ${supported.join(', ')}`);
  }
  for (const [name, t] of Object.entries(cfg.tensors ?? {})) {
    checkTensorParams(name, t, source);
    const w = graph.initializers.get(name);
    if (w && t.scale.length > 1) {
      const axis = t.axis ?? 0;
      const rank = w.shape.length;
      const channels = axis >= -rank && axis < rank ? w.shape[(axis + rank) % rank] : undefined;
      if (channels !== t.scale.length) {
        throw bad(source, `tensor "${name}" has ${t.scale.length} per-channel scales along axis ${axis}, but its shape is [${w.shape.join(', ')}]`);
      }
    }
  }
  for (const name of Object.keys(cfg.comments ?? {})) {
    if (!(name in cfg.layers)) throw bad(source, `comment for "${name}", which has no layers entry; a comment is written next to its layer`);
  }
}

/**
 * Merges a format's part into a config: layers, tensors and comments of `part` override those of
 * `base`; calibration keys are merged; `part.target` replaces `base.target` when set.
 */
export function mergeConfig(base: HybridConfig, part: HybridConfigPart): HybridConfig {
  const out: HybridConfig = { target: part.target ?? base.target, layers: { ...base.layers, ...part.layers } };
  if (base.calibration || part.calibration) out.calibration = { ...base.calibration, ...part.calibration };
  if (base.tensors || part.tensors) out.tensors = { ...base.tensors, ...part.tensors };
  if (base.comments || part.comments) out.comments = { ...base.comments, ...part.comments };
  return out;
}
