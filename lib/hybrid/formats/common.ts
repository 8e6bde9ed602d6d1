/**
 * Helpers shared by the vendor config formats: looking names up in the graph (with "did you mean"),
 * precision vocabularies, relaxed JSON, number formatting and integer grids.
 */
import { NpuqError } from '../../errors';
import type { Graph, Node } from '../../ir/graph';
import type { QuantDType } from '../../quantize/params';
import type { Precision } from '../../quantize/profile';
import { closestNames, type TensorParams, unknownNamesError } from '../config';

/** Options every reader accepts. */
export interface ReadOptions {
  /** File name used in messages. Default: the format's name. */
  file?: string;
}

/** Options of the RKNN readers, whose step-1 files also list the toolkit's own internal tensors. */
export interface RknnReadOptions extends ReadOptions {
  /**
   * Called with each `quantize_parameters` key that names no tensor of the model (RKNN and Acuity
   * add tensors of their own, e.g. `output0-rs`, `attach_...`); the entry is then left out. Without
   * it such a key is an UNKNOWN_TENSOR error. Layer names are always checked. Default: none.
   */
  onUnknownTensor?: (name: string) => void;
}

/** Lookups over one graph. */
export interface GraphIndex {
  graph: Graph;
  nodes: Map<string, Node>;
  /** Node producing each value. */
  producer: Map<string, Node>;
  /** Nodes consuming each value. */
  consumers: Map<string, Node[]>;
  inputs: Set<string>;
  initializers: Set<string>;
  /** Graph inputs, node outputs and initializers. */
  values: Set<string>;
}

export function indexGraph(graph: Graph): GraphIndex {
  const nodes = new Map(graph.nodes.map((n) => [n.name, n] as [string, Node]));
  const inputs = new Set(graph.inputs.map((i) => i.name));
  const initializers = new Set(graph.initializers.keys());
  const producer = graph.producers();
  const values = new Set<string>([...inputs, ...producer.keys(), ...initializers]);
  return { graph, nodes, producer, consumers: graph.consumers(), inputs, initializers, values };
}

/** A BAD_CONFIG error located at `where` (a file, file:line, or entry path). */
export function badConfig(where: string, msg: string, file?: string): NpuqError {
  return new NpuqError('BAD_CONFIG', `${where}: ${msg}`, file !== undefined ? { file } : undefined);
}

/** The node named `name`, or UNKNOWN_LAYER naming the closest node names. */
export function nodeNamed(ix: GraphIndex, name: string, where: string, file?: string): Node {
  const n = ix.nodes.get(name);
  if (!n) throw unknownNamesError('UNKNOWN_LAYER', where, 'layer', [name], [...ix.nodes.keys()], file);
  return n;
}

/** `name` if it is a value of the graph, or UNKNOWN_TENSOR naming the closest value names. */
export function valueNamed(ix: GraphIndex, name: string, where: string, file?: string): string {
  if (!ix.values.has(name)) throw unknownNamesError('UNKNOWN_TENSOR', where, 'tensor', [name], [...ix.values], file);
  return name;
}

/**
 * The node producing tensor `name` (formats that name a layer by its output: RKNN-Toolkit2,
 * TPU-MLIR), else the node named `name`; UNKNOWN_LAYER naming the closest outputs and node names.
 */
export function nodeByOutputOrName(ix: GraphIndex, name: string, where: string, file?: string): Node {
  const n = ix.producer.get(name) ?? ix.nodes.get(name);
  if (n) return n;
  throw unknownNamesError('UNKNOWN_LAYER', where, 'layer', [name], [...ix.producer.keys(), ...ix.nodes.keys()], file);
}

/** The first output of a node (the name RKNN-Toolkit2 and TPU-MLIR give the layer). */
export function firstOutput(node: Node): string {
  const o = node.outputs.find((x) => x !== '');
  if (o === undefined) throw new NpuqError('INVALID_MODEL', `${node.describe()} has no output`);
  return o;
}

/**
 * The channel axis of per-channel parameters of tensor `name`: 1 for ConvTranspose weights and for
 * MatMul / Gemm(transB=0) right-hand sides (output channels are columns), else 0.
 */
export function channelAxis(ix: GraphIndex, name: string): number {
  for (const c of ix.consumers.get(name) ?? []) {
    if (c.opType === 'ConvTranspose' && c.inputs[1] === name) return 1;
    if (c.opType === 'MatMul' && c.inputs[1] === name) return 1;
    if (c.opType === 'Gemm' && c.inputs[1] === name) return c.attrInt('transB', 0) === 0 ? 1 : 0;
  }
  return 0;
}

/** BAD_CONFIG when per-channel parameters of a weight do not have one entry per channel along their axis. */
export function checkChannels(ix: GraphIndex, name: string, t: TensorParams, where: string, file?: string): void {
  const w = ix.graph.initializers.get(name);
  if (!w || t.scale.length <= 1) return;
  const axis = t.axis ?? 0;
  if (w.shape[axis] !== t.scale.length) {
    throw badConfig(where, `tensor "${name}" has ${t.scale.length} per-channel entries, but its shape [${w.shape.join(', ')}] has ${w.shape[axis]} channels along axis ${axis}`, file);
  }
}

/** One format's spelling of precisions; reading is case-insensitive. */
export class PrecisionVocabulary {
  private readonly byPrecision = new Map<Precision, string>();
  private readonly byVendor = new Map<string, Precision>();

  /**
   * @param format format name for messages
   * @param table precision -> vendor spelling written; several precisions may share a spelling
   *   (TPU-MLIR INT8 for int8 and uint8): the first listed is the one read back
   */
  constructor(private readonly format: string, table: readonly (readonly [Precision, string])[]) {
    for (const [p, v] of table) {
      this.byPrecision.set(p, v);
      if (!this.byVendor.has(v.toLowerCase())) this.byVendor.set(v.toLowerCase(), p);
    }
  }

  /** Spellings the format reads. */
  get spellings(): string[] {
    return [...new Set(this.byPrecision.values())];
  }

  /** The vendor spelling of `p`, or UNSUPPORTED_PRECISION naming what the format can express. */
  write(p: Precision, layer: string): string {
    const v = this.byPrecision.get(p);
    if (v !== undefined) return v;
    throw new NpuqError('UNSUPPORTED_PRECISION',
      `${this.format} cannot express precision ${p} (layer "${layer}"); it can express ${[...this.byPrecision.keys()].join(', ')}`);
  }

  /** The precision a vendor spelling means, or UNSUPPORTED_PRECISION naming the accepted spellings. */
  read(v: unknown, where: string, file?: string): Precision {
    const p = typeof v === 'string' ? this.byVendor.get(v.trim().toLowerCase()) : undefined;
    if (p !== undefined) return p;
    const near = typeof v === 'string' ? closestNames(v, this.spellings, 1) : [];
    throw new NpuqError('UNSUPPORTED_PRECISION',
      `${where}: ${JSON.stringify(v)} is not a ${this.format} precision${near.length ? ` (did you mean ${near[0]}?)` : ''}; `
      + `${this.format} accepts ${this.spellings.join(', ')}`, file !== undefined ? { file } : undefined);
  }
}

/** Throws BAD_CONFIG for keys of `obj` outside `allowed`, suggesting the closest allowed key. */
export function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string, file?: string): void {
  for (const k of Object.keys(obj)) {
    if (allowed.includes(k)) continue;
    const near = closestNames(k, allowed, 1);
    throw badConfig(where, `unknown key "${k}"${near.length ? ` (did you mean "${near[0]}"?)` : ''}; expected ${allowed.join(', ')}`, file);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses JSON that may hold js-style (`//`, `/* *\/`) and python-style (`#`) comments and trailing
 * commas (Pulsar2's "relaxed json"). Syntax errors are BAD_CONFIG naming `where` and the line.
 */
export function parseRelaxedJson(text: string, where: string, file?: string): unknown {
  const chars = text.replace(/^\uFEFF/, '').split('');
  // Pass 1 blanks comments (keeping newlines, so positions and lines stay), pass 2 trailing commas.
  for (const pass of [1, 2]) {
    let inString = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (pass === 1 && (c === '#' || (c === '/' && chars[i + 1] === '/'))) {
        while (i < chars.length && chars[i] !== '\n') chars[i++] = ' ';
      } else if (pass === 1 && c === '/' && chars[i + 1] === '*') {
        const start = i;
        while (i < chars.length && !(chars[i] === '*' && chars[i + 1] === '/')) i++;
        for (let j = start; j < Math.min(i + 2, chars.length); j++) if (chars[j] !== '\n') chars[j] = ' ';
        i++;
      } else if (pass === 2 && c === ',') {
        let j = i + 1;
        while (j < chars.length && /\s/.test(chars[j])) j++;
        if (chars[j] === '}' || chars[j] === ']') chars[i] = ' ';
      }
    }
  }
  const clean = chars.join('');
  try {
    return JSON.parse(clean);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? clean.slice(0, Number(pos[1])).split('\n').length : undefined;
    throw badConfig(line !== undefined ? `${where}:${line}` : where, `invalid JSON: ${msg}`, file);
  }
}

/**
 * A number as text formats write it: shortest round-trip digits, exponent without `+` (TPU-MLIR's
 * calibration-table pattern `[-0-9.e]+` rejects `+`).
 */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`Expected a finite number but received ${v}`);
  return String(v).replace('e+', 'e');
}

/** Number of bits of an integer type. */
export function bitsOf(d: QuantDType): number {
  return d.endsWith('16') ? 16 : 8;
}

/** Full integer range of a type. */
export function fullRange(d: QuantDType): { qmin: number; qmax: number } {
  const bits = bitsOf(d);
  return d.startsWith('u') ? { qmin: 0, qmax: 2 ** bits - 1 } : { qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 };
}

/** The integer type of `bits` bits, signed or not. */
export function dtypeOf(bits: number, signed: boolean, where: string, file?: string): QuantDType {
  if (bits !== 8 && bits !== 16) throw badConfig(where, `${bits}-bit integers are not supported; use 8 or 16`, file);
  return `${signed ? 'int' : 'uint'}${bits}` as QuantDType;
}

/** The float range the integer grid of per-tensor parameters covers. */
export function gridRange(t: TensorParams, i = 0): { min: number; max: number } {
  const { qmin, qmax } = fullRange(t.dtype);
  return { min: (qmin - t.zeroPoint[i]) * t.scale[i], max: (qmax - t.zeroPoint[i]) * t.scale[i] };
}

/** Precisions that keep a layer's activations in float. */
export function isFloatPrecision(p: Precision): boolean {
  return p === 'float16' || p === 'bfloat16' || p === 'float32';
}
