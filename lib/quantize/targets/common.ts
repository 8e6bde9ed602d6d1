/**
 * Small helpers shared by the built-in target definitions: claim constructors and op lists.
 */
import type { Claim, OpExecution } from '../profile';

/** A claim read in the cited sources. */
export function sourced(path: string, sources: string[], note?: string): Claim {
  return note === undefined ? { path, verified: 'source', sources } : { path, verified: 'source', sources, note };
}

/** A claim that is documented vendor behaviour outside the reference notes, or a best guess; note says which. */
export function inferred(path: string, note: string, sources: string[] = []): Claim {
  return { path, verified: 'inferred', sources, note };
}

/** Same execution for several op types. */
export function execAs(exec: OpExecution, ops: readonly string[]): Record<string, OpExecution> {
  return Object.fromEntries(ops.map((o) => [o, exec]));
}

/** Ops that only move or select integers (exact on quantized values with shared parameters). */
export const DATA_MOVEMENT = [
  'Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Concat', 'Split', 'Slice', 'Gather', 'Pad',
  'MaxPool', 'GlobalMaxPool', 'Resize', 'DepthToSpace', 'SpaceToDepth', 'Identity',
];

/** Arithmetic ops with integer kernels on every NPU here. */
export const INTEGER_ARITH = [
  'Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'AveragePool', 'GlobalAveragePool', 'Relu', 'Clip',
  'PRelu', 'LeakyRelu', 'ReduceMean',
];

/** Transcendental activations NPUs evaluate through a lookup table on 8-bit inputs. */
export const LUT_ACTIVATIONS = [
  'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Mish', 'Elu', 'Exp', 'Log', 'Softplus', 'Gelu', 'Erf', 'Sqrt', 'Reciprocal',
];
