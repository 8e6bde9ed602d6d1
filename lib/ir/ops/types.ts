/**
 * What the IR knows about one ONNX operator: how to infer its output types and shapes, and, for
 * operators that can be folded at compile time, how to compute its outputs from constant inputs.
 * One file per operator family in lib/ir/ops/; registry.ts lists them all.
 */
import type { Dim, Node } from '../graph';
import type { DType, Tensor } from '../tensor';

export interface ValueType {
  dtype: DType;
  /** undefined = rank unknown. Dims may be symbolic (string) or unknown (undefined). */
  shape: Dim[] | undefined;
}

export interface InferInput extends ValueType {
  /** The value, when it is known at compile time (initializer or folded constant). */
  value?: Tensor;
}

export interface OpContext {
  node: Node;
  /** ai.onnx opset version of the model. */
  opset: number;
  /** One entry per node input; undefined for an omitted optional input. */
  inputs: (InferInput | undefined)[];
}

export interface OpDef {
  opType: string;
  /**
   * Output types and shapes, one per node output. Throws NpuqError('INVALID_MODEL' | 'UNSUPPORTED')
   * naming the node (node.describe()) when the node is malformed or uses something not handled.
   */
  infer(ctx: OpContext): ValueType[];
  /**
   * Outputs computed from constant inputs (every non-omitted input has `value`). Absent when the
   * operator is not folded in TypeScript (it then runs in the native engine).
   */
  evaluate?(ctx: OpContext, inputs: (Tensor | undefined)[]): Tensor[];
}
