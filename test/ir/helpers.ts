/**
 * Helpers for the IR tests: build one node or a small graph by hand and run inference on it.
 */
import { Attribute, Dim, Graph, Node } from '../../lib/ir/graph';
import { getOpDef } from '../../lib/ir/ops/registry';
import type { InferInput, ValueType } from '../../lib/ir/ops/types';
import { DType, Tensor } from '../../lib/ir/tensor';

export type AttrValue = Attribute | number | number[] | string | Tensor;

/** An explicit float attribute (numbers that are integers would otherwise become ints). */
export function f(value: number): Attribute {
  return { kind: 'float', value };
}

/** An explicit float list attribute. */
export function fs(value: number[]): Attribute {
  return { kind: 'floats', value };
}

function toAttr(v: AttrValue): Attribute {
  if (v instanceof Tensor) return { kind: 'tensor', value: v };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'float', value: v };
  if (Array.isArray(v)) return v.every(Number.isInteger) ? { kind: 'ints', value: v } : { kind: 'floats', value: v };
  return v;
}

export function makeNode(opType: string, nIn: number, nOut: number, attrs: Record<string, AttrValue> = {}, omitted: number[] = []): Node {
  const n = new Node(`${opType.toLowerCase()}0`, opType, Array.from({ length: nIn }, (_, i) => (omitted.includes(i) ? '' : `in${i}`)), Array.from({ length: nOut }, (_, i) => `out${i}`));
  for (const [k, v] of Object.entries(attrs)) n.attrs.set(k, toAttr(v));
  return n;
}

/** An input description: a tensor (constant) or a type. */
export type In = Tensor | ValueType | undefined;

export function t(dtype: DType, shape: Dim[], symbolic?: Dim[]): ValueType {
  return symbolic ? { dtype, shape, symbolic } : { dtype, shape };
}

export function i64(values: number[], shape: number[] = [values.length]): Tensor {
  return Tensor.fromNumbers('int64', shape, values);
}

export function f32(values: number[], shape: number[] = [values.length]): Tensor {
  return Tensor.fromNumbers('float32', shape, values);
}

function toInput(x: In): InferInput | undefined {
  if (x === undefined) return undefined;
  if (x instanceof Tensor) return { dtype: x.dtype, shape: x.shape.slice(), value: x };
  return { ...x };
}

/** Runs `infer` of one op on the given inputs. */
export function infer(opType: string, inputs: In[], attrs: Record<string, AttrValue> = {}, opts: { opset?: number; nOut?: number } = {}): ValueType[] {
  const def = getOpDef(opType);
  if (!def) throw new Error(`no op ${opType}`);
  const omitted = inputs.map((x, i) => (x === undefined ? i : -1)).filter((i) => i >= 0);
  const node = makeNode(opType, inputs.length, opts.nOut ?? 1, attrs, omitted);
  return def.infer({ node, opset: opts.opset ?? 13, inputs: inputs.map(toInput) });
}

/** Shape of the first output of `infer`. */
export function shapeOf(opType: string, inputs: In[], attrs: Record<string, AttrValue> = {}, opts: { opset?: number; nOut?: number } = {}): Dim[] | undefined {
  return infer(opType, inputs, attrs, opts)[0].shape;
}

/** Runs `evaluate` of one op on constant inputs. */
export function evaluate(opType: string, inputs: (Tensor | undefined)[], attrs: Record<string, AttrValue> = {}, opts: { opset?: number; nOut?: number } = {}): Tensor[] {
  const def = getOpDef(opType);
  if (!def?.evaluate) throw new Error(`no evaluate for ${opType}`);
  const omitted = inputs.map((x, i) => (x === undefined ? i : -1)).filter((i) => i >= 0);
  const node = makeNode(opType, inputs.length, opts.nOut ?? 1, attrs, omitted);
  const ctx = { node, opset: opts.opset ?? 13, inputs: inputs.map(toInput) };
  def.infer(ctx);
  return def.evaluate(ctx, inputs);
}

/** Elements of a tensor as numbers (bigints converted). */
export function nums(x: Tensor): number[] {
  return x.toNumbers();
}

/** A graph with the given inputs, initializers and nodes; outputs are the last node's outputs. */
export function makeGraph(
  inputs: { name: string; dtype: DType; shape: Dim[] | undefined }[],
  nodes: Node[],
  initializers: Record<string, Tensor> = {},
  opset = 13,
): Graph {
  const g = new Graph();
  g.inputs = inputs.map((i) => ({ ...i }));
  g.nodes = nodes;
  for (const [k, v] of Object.entries(initializers)) g.initializers.set(k, v);
  g.opsets.set('', opset);
  const last = nodes[nodes.length - 1];
  g.outputs = last.outputs.map((o) => ({ name: o, dtype: undefined, shape: undefined }));
  return g;
}

/** A node with explicit input/output names. */
export function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, name?: string): Node {
  const n = new Node(name ?? `${opType}_${outputs[0]}`, opType, inputs, outputs);
  for (const [k, v] of Object.entries(attrs)) n.attrs.set(k, toAttr(v));
  return n;
}
