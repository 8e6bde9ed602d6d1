/**
 * A parsed YAML config that remembers where each node came from, so every error names the file and
 * line: syntax errors, wrong types, unknown keys. Used by npuquant's `<model>.quantization.yaml`
 * and by the RKNN-Toolkit1/2 configs. Parsing uses the `yaml` package (eemeli/yaml).
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YNode, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { NpuqError } from '../../errors';
import type { Node } from '../../ir/graph';
import { type HybridConfigPart, type TensorParams, checkTensorParams, closestNames } from '../config';
import { type PrecisionVocabulary, badConfig } from './common';

/** One key of a YAML mapping. */
export interface YamlEntry {
  /** The key as written (plain scalars keep their source text: `122` stays "122"). */
  key: string;
  keyNode: YNode;
  /** The value node; null for an empty or null value (`key:`, `key: ~`). */
  value: YNode | null;
  pair: Pair;
}

export class YamlSource {
  readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  /**
   * Parses `text`; throws BAD_CONFIG naming `file` and the line of the first syntax error
   * (including duplicate keys).
   */
  constructor(text: string, readonly file: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    const err = this.doc.errors[0];
    if (err) {
      const at = this.lines.linePos(err.pos[0]);
      throw badConfig(`${file}:${at.line}:${at.col}`, `YAML syntax error: ${err.message.split('\n')[0]}`, file);
    }
  }

  /** `file:line` of a node (the file alone when the node has no position). */
  at(node: YNode | null | undefined): string {
    const start = node?.range?.[0];
    if (start === undefined) return this.file;
    return `${this.file}:${this.lines.linePos(start).line}`;
  }

  /** Throws BAD_CONFIG at `node`. */
  fail(node: YNode | null | undefined, msg: string): never {
    throw badConfig(this.at(node), msg, this.file);
  }

  /** The top-level mapping (an empty document gives no entries). */
  rootEntries(what: string): YamlEntry[] {
    const c = this.doc.contents;
    if (c === null || (isScalar(c) && (c.value === null || c.value === ''))) return [];
    return this.entries(c, what);
  }

  /** Entries of a mapping node; null (empty value) gives none; anything else is BAD_CONFIG. */
  entries(node: YNode | null, what: string): YamlEntry[] {
    if (node === null || (isScalar(node) && node.value === null)) return [];
    if (!isMap(node)) this.fail(node, `${what} must be a mapping (key: value lines or {...})`);
    return (node as YAMLMap).items.map((pair) => {
      const keyNode = pair.key as YNode;
      if (!isScalar(keyNode)) this.fail(keyNode, `keys of ${what} must be plain names`);
      const value = (pair.value as YNode | null) ?? null;
      const empty = value === null || (isScalar(value) && value.value === null);
      return { key: YamlSource.keyText(keyNode as Scalar), keyNode, value: empty ? null : value, pair };
    });
  }

  /** Throws BAD_CONFIG for entries outside `allowed`, suggesting the closest allowed key. */
  checkKeys(entries: readonly YamlEntry[], allowed: readonly string[], what: string): void {
    for (const e of entries) {
      if (allowed.includes(e.key)) continue;
      const near = closestNames(e.key, allowed, 1);
      this.fail(e.keyNode, `unknown key "${e.key}" in ${what}${near.length ? ` (did you mean "${near[0]}"?)` : ''}; expected ${allowed.join(', ')}`);
    }
  }

  private static keyText(s: Scalar): string {
    if (s.type === 'PLAIN' && typeof s.source === 'string') return s.source;
    return String(s.value);
  }

  /** A string scalar (plain numbers are read as their text). */
  string(node: YNode | null, what: string): string {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') this.fail(node, `${what} must be a text value`);
    const s = node as Scalar;
    return s.type === 'PLAIN' && typeof s.source === 'string' ? s.source : String(s.value);
  }

  /** A finite number. */
  number(node: YNode | null, what: string): number {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(node, `${what} must be a number, not ${this.describe(node)}`);
    return v as number;
  }

  /** An integer. */
  integer(node: YNode | null, what: string): number {
    const v = this.number(node, what);
    if (!Number.isInteger(v)) this.fail(node, `${what} must be an integer, not ${v}`);
    return v;
  }

  /** A boolean. */
  boolean(node: YNode | null, what: string): boolean {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v !== 'boolean') this.fail(node, `${what} must be true or false, not ${this.describe(node)}`);
    return v as boolean;
  }

  /** A list of numbers; a single number is read as a list of one. */
  numbers(node: YNode | null, what: string): number[] {
    if (isSeq(node)) return node.items.map((it, i) => this.number(it as YNode, `${what}[${i}]`));
    return [this.number(node, what)];
  }

  /**
   * The layers map of an RKNN-style config (`custom_quantize_layers` / `customized_quantize_layers`):
   * each key resolved to a node by `nodeOf`, each value read by `vocabulary`, line comments kept.
   * A layer given twice with different types is an error.
   */
  layerMap(node: YNode | null, key: string, nodeOf: (name: string, where: string) => Node, vocabulary: PrecisionVocabulary, typeWord: string): HybridConfigPart {
    const part: HybridConfigPart = { layers: {} };
    for (const e of this.entries(node, key)) {
      const n = nodeOf(e.key, this.at(e.keyNode));
      if (e.value === null) this.fail(e.keyNode, `layer "${e.key}" has no ${typeWord}`);
      const p = vocabulary.read(this.string(e.value, `${typeWord} of "${e.key}"`), this.at(e.value), this.file);
      if (n.name in part.layers && part.layers[n.name] !== p) this.fail(e.keyNode, `layer "${n.name}" is set twice, to ${part.layers[n.name]} and ${p}`);
      part.layers[n.name] = p;
      const comment = e.value.comment;
      if (comment && comment.trim() !== '') (part.comments ??= {})[n.name] = comment.trim();
    }
    return part;
  }

  /**
   * Finishes one tensor's parameters read from `node`: a per-tensor min/max pair when both are there
   * (per-channel lists are left out), then checkTensorParams with this file's name on its error.
   */
  finishTensor(name: string, t: TensorParams, node: YNode | null, min: YNode | null | undefined, max: YNode | null | undefined, what: string, minKey: string, maxKey: string): TensorParams {
    if (min !== undefined && max !== undefined) {
      const mins = this.numbers(min, `${what} ${minKey}`);
      const maxs = this.numbers(max, `${what} ${maxKey}`);
      if (mins.length === 1 && maxs.length === 1) {
        t.min = mins[0];
        t.max = maxs[0];
      }
    }
    try {
      checkTensorParams(name, t, this.at(node));
    } catch (e) {
      throw e instanceof NpuqError ? new NpuqError(e.code, e.message, { file: this.file }) : e;
    }
    return t;
  }

  /** The plain JS value of a node. */
  toJs(node: YNode | null): unknown {
    return node === null ? null : node.toJSON();
  }

  private describe(node: YNode | null): string {
    if (node === null) return 'an empty value';
    if (isScalar(node)) return JSON.stringify(node.value);
    return isSeq(node) ? 'a list' : 'a mapping';
  }
}

/** A mapping node of `values` in `doc`, with `commentOf(key)` (made one line) written on each entry's line. */
export function commentedMap(doc: Document, values: Record<string, string>, commentOf: (key: string) => string | undefined): YAMLMap {
  const map = doc.createNode(values) as YAMLMap;
  for (const pair of map.items as Pair<Scalar, Scalar>[]) {
    const c = commentOf(String(pair.key.value));
    if (c !== undefined && c.trim() !== '') pair.value!.comment = ` ${c.replace(/\s*\n\s*/g, '; ').trim()}`;
  }
  return map;
}

/** A mapping node of mappings (tensor name -> fields) in `doc`, lists written in flow style (`[ 1, 2 ]`). */
export function paramsMap(doc: Document, params: Record<string, Record<string, unknown>>): YAMLMap {
  const map = doc.createNode(params) as YAMLMap;
  for (const p of map.items) for (const q of (p.value as YAMLMap).items) if (isSeq(q.value)) q.value.flow = true;
  return map;
}
