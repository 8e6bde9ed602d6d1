/**
 * What the IR knows about one ONNX operator: how to infer its output types and shapes, and, for
 * operators that can be folded at compile time, how to compute its outputs from constant inputs.
 * One file per operator family in lib/ir/ops/; registry.ts lists them all.
 */
import type { Dim, Node } from '../graph';
import type { DType, Tensor } from '../tensor';

/** Element type and (possibly partial) shape of a value. */
export interface ValueType {
  dtype: DType;
  /** undefined = rank unknown. Dims may be symbolic (string) or unknown (undefined). */
  shape: Dim[] | undefined;
  /**
   * For a scalar or 1-D integer value computed from shapes (Shape → Gather → Concat chains): its
   * elements, each a number, a symbolic dim name or undefined. Lets Reshape, Expand, ConstantOfShape
   * and friends give symbolic output shapes before the input shapes are concrete. When every element
   * is a number, inferGraph turns the value into a constant.
   */
  symbolic?: Dim[];
}

/** What `infer` knows about one node input. */
export interface InferInput extends ValueType {
  /** The value, when it is known at compile time (initializer or folded constant). */
  value?: Tensor;
}

/** The node being inferred or evaluated, with the model's opset and its inputs. */
export interface OpContext {
  node: Node;
  /** ai.onnx opset version of the model. */
  opset: number;
  /** One entry per node input; undefined for an omitted optional input. */
  inputs: (InferInput | undefined)[];
}

/** Inference (and optional compile-time evaluation) of one operator type. */
export interface OpDef {
  opType: string;
  /**
   * Output types and shapes, one per node output. Throws NpuqError('INVALID_MODEL' | 'UNSUPPORTED')
   * naming the node (node.describe()) when the node is malformed or uses something not handled.
   */
  infer(ctx: OpContext): ValueType[];
  /**
   * Outputs computed from constant inputs (every non-omitted input has `value`). Absent when the
   * operator is not folded in TypeScript (it then runs in the native engine). May throw
   * NpuqError('UNSUPPORTED') to decline folding a particular case (e.g. a string Cast, training-mode
   * Dropout); inferGraph then leaves the outputs non-constant.
   */
  evaluate?(ctx: OpContext, inputs: (Tensor | undefined)[]): Tensor[];
}
