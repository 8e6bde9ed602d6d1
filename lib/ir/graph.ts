/**
 * The graph IR: a model's graph with its nodes, values (edges, named as in ONNX), initializers and
 * the known type and shape of each value. Passes mutate a Graph; io/onnx converts it from and to
 * ONNX ModelProto.
 */
import { DType, Tensor } from './tensor';
import { NpuqError } from '../errors';

/** A dimension: a concrete size, or the name of a symbolic one (e.g. "batch"), or undefined (unknown). */
export type Dim = number | string | undefined;

export interface ValueInfo {
  name: string;
  dtype: DType | undefined;
  /** undefined = rank unknown. */
  shape: Dim[] | undefined;
}

export type Attribute =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }
  | { kind: 'strings'; value: string[] }
  | { kind: 'tensor'; value: Tensor }
  | { kind: 'graph'; value: Graph }
  | { kind: 'unsupported'; type: number };

export class Node {
  /** Attributes by name. */
  readonly attrs = new Map<string, Attribute>();

  constructor(
    public name: string,
    public opType: string,
    /** Input value names; '' marks an omitted optional input. */
    public inputs: string[],
    public outputs: string[],
    public domain = '',
  ) {}

  /** A description for error messages: `Conv "conv1"`. */
  describe(): string {
    return `${this.opType} "${this.name}"`;
  }

  has(name: string): boolean {
    return this.attrs.has(name);
  }

  attrInt(name: string, def?: number): number {
    const a = this.attrs.get(name);
    if (a === undefined) return this.need(name, def);
    if (a.kind !== 'int') throw this.badAttr(name, 'an int', a.kind);
    return a.value;
  }

  attrFloat(name: string, def?: number): number {
    const a = this.attrs.get(name);
    if (a === undefined) return this.need(name, def);
    if (a.kind === 'float' || a.kind === 'int') return a.value;
    throw this.badAttr(name, 'a float', a.kind);
  }

  attrString(name: string, def?: string): string {
    const a = this.attrs.get(name);
    if (a === undefined) return this.need(name, def);
    if (a.kind !== 'string') throw this.badAttr(name, 'a string', a.kind);
    return a.value;
  }

  attrInts(name: string, def?: number[]): number[] {
    const a = this.attrs.get(name);
    if (a === undefined) return this.need(name, def);
    if (a.kind !== 'ints') throw this.badAttr(name, 'a list of ints', a.kind);
    return a.value;
  }

  attrFloats(name: string, def?: number[]): number[] {
    const a = this.attrs.get(name);
    if (a === undefined) return this.need(name, def);
    if (a.kind !== 'floats') throw this.badAttr(name, 'a list of floats', a.kind);
    return a.value;
  }

  attrTensor(name: string): Tensor | undefined {
    const a = this.attrs.get(name);
    if (a === undefined) return undefined;
    if (a.kind !== 'tensor') throw this.badAttr(name, 'a tensor', a.kind);
    return a.value;
  }

  private need<T>(name: string, def: T | undefined): T {
    if (def === undefined) {
      throw new NpuqError('INVALID_MODEL', `${this.describe()} is missing its required attribute "${name}"`);
    }
    return def;
  }

  private badAttr(name: string, expected: string, got: string): NpuqError {
    return new NpuqError('INVALID_MODEL', `Expected ${expected} for attribute "${name}" of ${this.describe()} but received ${got}`);
  }
}

export class Graph {
  name = 'graph';
  /** Graph inputs that are not initializers, in model order. */
  inputs: ValueInfo[] = [];
  outputs: ValueInfo[] = [];
  nodes: Node[] = [];
  initializers = new Map<string, Tensor>();
  /** Known type/shape of values (inputs, outputs and intermediates). */
  valueInfo = new Map<string, ValueInfo>();
  /** Operator set version per domain ('' = ai.onnx). */
  opsets = new Map<string, number>([['', 13]]);

  get opset(): number {
    return this.opsets.get('') ?? this.opsets.get('ai.onnx') ?? 1;
  }

  /** Node producing each value. */
  producers(): Map<string, Node> {
    const m = new Map<string, Node>();
    for (const n of this.nodes) for (const o of n.outputs) if (o) m.set(o, n);
    return m;
  }

  /** Nodes consuming each value. */
  consumers(): Map<string, Node[]> {
    const m = new Map<string, Node[]>();
    for (const n of this.nodes) {
      for (const i of n.inputs) {
        if (!i) continue;
        let l = m.get(i);
        if (!l) m.set(i, (l = []));
        if (!l.includes(n)) l.push(n);
      }
    }
    return m;
  }

  /**
   * Sorts nodes topologically (stable: keeps the model order where it is valid). Throws
   * INVALID_MODEL naming the values involved when there is a cycle or an input nobody produces.
   */
  sortTopologically(): void {
    const available = new Set<string>(['']);
    for (const i of this.inputs) available.add(i.name);
    for (const k of this.initializers.keys()) available.add(k);
    const remaining = this.nodes.slice();
    const sorted: Node[] = [];
    while (remaining.length > 0) {
      let progressed = false;
      for (let i = 0; i < remaining.length; i++) {
        const n = remaining[i];
        if (n.inputs.every((x) => available.has(x))) {
          sorted.push(n);
          for (const o of n.outputs) if (o) available.add(o);
          remaining.splice(i, 1);
          i--;
          progressed = true;
        }
      }
      if (!progressed) {
        const produced = new Set<string>();
        for (const n of remaining) for (const o of n.outputs) produced.add(o);
        const n = remaining[0];
        const missing = n.inputs.filter((x) => !available.has(x));
        const cyclic = missing.some((x) => produced.has(x));
        throw new NpuqError(
          'INVALID_MODEL',
          cyclic
            ? `The graph has a cycle through ${n.describe()} (inputs ${missing.map((m) => `"${m}"`).join(', ')})`
            : `${n.describe()} reads ${missing.map((m) => `"${m}"`).join(', ')}, which no node, input or initializer provides`,
        );
      }
    }
    this.nodes = sorted;
  }

  /** Removes nodes whose outputs are never used by a graph output. Returns how many were removed. */
  removeDeadNodes(): number {
    const needed = new Set<string>(this.outputs.map((o) => o.name));
    const keep: Node[] = [];
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      if (n.outputs.some((o) => needed.has(o))) {
        keep.push(n);
        for (const x of n.inputs) if (x) needed.add(x);
      }
    }
    const removed = this.nodes.length - keep.length;
    this.nodes = keep.reverse();
    for (const k of [...this.initializers.keys()]) if (!needed.has(k)) this.initializers.delete(k);
    return removed;
  }

  /** A copy sharing tensors (tensors are treated as immutable) but with its own nodes and maps. */
  clone(): Graph {
    const g = new Graph();
    g.name = this.name;
    g.inputs = this.inputs.map((v) => ({ ...v, shape: v.shape?.slice() }));
    g.outputs = this.outputs.map((v) => ({ ...v, shape: v.shape?.slice() }));
    g.nodes = this.nodes.map((n) => {
      const c = new Node(n.name, n.opType, n.inputs.slice(), n.outputs.slice(), n.domain);
      for (const [k, v] of n.attrs) c.attrs.set(k, v);
      return c;
    });
    g.initializers = new Map(this.initializers);
    g.valueInfo = new Map([...this.valueInfo].map(([k, v]) => [k, { ...v, shape: v.shape?.slice() }]));
    g.opsets = new Map(this.opsets);
    return g;
  }
}

/** A loaded model: the graph plus the ModelProto fields kept for saving. */
export class Model {
  irVersion = 8;
  producerName = 'npuquant';
  producerVersion = '';
  domain = '';
  modelVersion = 0;
  docString = '';
  metadata = new Map<string, string>();
  /** File the model was loaded from, if any (for messages and external data). */
  path?: string;

  constructor(public graph: Graph) {}
}
