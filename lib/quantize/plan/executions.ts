/**
 * Step 1 of planning: how each node of the float graph runs under a profile and the user's
 * per-layer precisions, and which Relu/Clip fold into their producer's clamp.
 */
import { NpuqError } from '../../errors';
import type { Graph, Node } from '../../ir/graph';
import type { ChipProfile, OpExecution, Precision } from '../profile';
import { canFuseActivation, opExecution } from '../resolve';
import { closest } from '../suggest';
import type { FusedActivation } from './types';

/** Ops that only move or select values: their outputs share the input's quantization. */
export const SHARED_PARAMS_OPS: ReadonlySet<string> = new Set([
  'Reshape', 'Transpose', 'Flatten', 'Squeeze', 'Unsqueeze', 'Split', 'Slice', 'Gather', 'Identity', 'Dropout',
  'MaxPool', 'GlobalMaxPool', 'DepthToSpace', 'SpaceToDepth', 'Pad', 'AveragePool', 'Resize', 'Upsample',
]);

/** Ops with an integer engine implementation (besides SHARED_PARAMS_OPS and lookup tables). */
const INTEGER_KERNELS: ReadonlySet<string> = new Set(['Conv', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul', 'GlobalAveragePool', 'Concat', 'Softmax']);

/** Elementwise ops on one input that an integer node evaluates through a lookup table of its input codes. */
export const UNARY_LUT_OPS: ReadonlySet<string> = new Set([
  'Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Exp', 'Log', 'Softplus', 'Elu', 'Selu',
  'Gelu', 'Erf', 'Sqrt', 'Reciprocal', 'Neg', 'Abs', 'Mish', 'Softsign', 'Floor', 'Ceil', 'Round',
]);

/** Ops that may take a fused Relu/Clip in their requantization clamp. */
const FUSING_OPS: ReadonlySet<string> = new Set(['Conv', 'Gemm', 'MatMul', 'Add', 'Sub', 'Mul']);

const FLOAT_PRECISIONS: ReadonlySet<Precision> = new Set(['float16', 'bfloat16', 'float32']);

/** Whether a precision is a float one. */
export function isFloatPrecision(p: Precision): boolean {
  return FLOAT_PRECISIONS.has(p);
}

/** Decided execution of one node. */
export interface Execution {
  execution: OpExecution;
  precision: Precision;
  activation?: FusedActivation;
  fusedInto?: string;
  /** Set when the node cannot run as the profile says and runs in float on dequantized values instead. */
  fakeQuantNote?: string;
}

/** Constant float bounds of a Clip node (opset 11+ inputs or older attributes), or undefined when not constant. */
export function clipBounds(graph: Graph, node: Node): { min?: number; max?: number } | undefined {
  if (node.opType === 'Relu') return { min: 0 };
  if (node.has('min') || node.has('max')) {
    return { min: node.has('min') ? node.attrFloat('min') : undefined, max: node.has('max') ? node.attrFloat('max') : undefined };
  }
  const read = (i: number): number | undefined | null => {
    const name = node.inputs[i];
    if (!name) return undefined;
    const t = graph.initializers.get(name);
    return t ? t.toNumbers()[0] : null;
  };
  const lo = read(1), hi = read(2);
  if (lo === null || hi === null) return undefined;
  return { min: lo, max: hi };
}

/**
 * Executions of every node.
 * @param isActivation Whether a value is a float tensor computed at run time (not a constant).
 */
export function decideExecutions(
  graph: Graph, profile: ChipProfile, isActivation: (name: string) => boolean,
  precisionOverrides: Readonly<Record<string, Precision>> = {},
): Map<string, Execution> {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  for (const [name, p] of Object.entries(precisionOverrides)) {
    if (!byName.has(name)) {
      const near = closest(name, [...byName.keys()]);
      throw new NpuqError('INVALID_ARGUMENT', `there is no layer named "${name}" in the model${near ? `; the closest is "${near}"` : ''}`);
    }
    if (!profile.hybrid.precisions.includes(p)) {
      throw new NpuqError('INVALID_ARGUMENT', `target ${profile.name} does not support precision ${p} for layer "${name}"; it supports ${profile.hybrid.precisions.join(', ')}`);
    }
  }
  const consumers = graph.consumers();
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  // A Relu / Clip that is the only reader of a raised layer follows it (unless set itself): left at the
  // default type it would re-quantize the layer's output over its whole pre-activation range, twice
  // the range of a Relu output, and lose one bit where the raised layer was meant to gain eight.
  const overrides: Record<string, Precision> = { ...precisionOverrides };
  for (const [name, p] of Object.entries(precisionOverrides)) {
    const y = byName.get(name)!.outputs[0];
    const cons = consumers.get(y) ?? [];
    if (!y || cons.length !== 1 || graphOutputs.has(y)) continue;
    const act = cons[0];
    if ((act.opType === 'Relu' || act.opType === 'Clip') && act.inputs[0] === y && overrides[act.name] === undefined) overrides[act.name] = p;
  }
  precisionOverrides = overrides;
  const out = new Map<string, Execution>();
  for (const node of graph.nodes) {
    const hasActivationInput = node.inputs.some((i) => i && isActivation(i));
    let execution: OpExecution = hasActivationInput
      ? opExecution(profile, { opType: node.opType, attributes: Object.fromEntries([...node.attrs].map(([k, a]) => [k, 'value' in a ? a.value : undefined])) })
      : 'keep_float';
    let precision: Precision = profile.activation.dtype;
    let fakeQuantNote: string | undefined;
    const wanted = precisionOverrides[node.name];
    if (wanted !== undefined) {
      if (execution === 'keep_float') {
        throw new NpuqError('INVALID_ARGUMENT', `layer "${node.name}" (${node.opType}) is not quantized by target ${profile.name}, so it cannot be set to ${wanted}`);
      }
      precision = wanted;
      if (wanted === 'float32') execution = 'float';
      else if (wanted === 'float16' || wanted === 'bfloat16') execution = wanted;
      else if (!profile.activation.allowed.includes(wanted as never)) {
        throw new NpuqError('INVALID_ARGUMENT', `target ${profile.name} has no ${wanted} activations for layer "${node.name}"; its activation types are ${profile.activation.allowed.join(', ')}`);
      }
    }
    if (execution === 'float16' || execution === 'bfloat16') precision = execution;
    if (execution === 'integer' && !SHARED_PARAMS_OPS.has(node.opType) && !INTEGER_KERNELS.has(node.opType)) {
      if (UNARY_LUT_OPS.has(node.opType)) execution = 'lut';
      else {
        execution = 'float';
        fakeQuantNote = `no integer kernel for ${node.opType}: runs in float between dequantize and quantize`;
      }
    }
    // The integer Softmax is onnxruntime's QLinearSoftmax (8-bit only); at 16 bits onnxruntime runs
    // DequantizeLinear -> Softmax -> QuantizeLinear in float, as the float execution does.
    if (execution === 'integer' && node.opType === 'Softmax' && !['uint8', 'int8'].includes(precision)) execution = 'float';
    if (execution === 'integer' && (node.opType === 'Resize' || node.opType === 'Upsample') && node.attrString('mode', 'nearest') !== 'nearest') {
      execution = 'float';
      fakeQuantNote = `${node.opType} mode ${node.attrString('mode')} interpolates: runs in float between dequantize and quantize`;
    }
    if (execution === 'lut' && !UNARY_LUT_OPS.has(node.opType)) {
      execution = 'float';
      fakeQuantNote = `no lookup table for ${node.opType}: runs in float between dequantize and quantize`;
    }
    out.set(node.name, { execution, precision, fakeQuantNote });
  }
  // Fuse Relu / Clip into the producer's clamp when it is the only consumer of an integer op.
  for (const node of graph.nodes) {
    const e = out.get(node.name)!;
    if (e.execution !== 'integer' || !FUSING_OPS.has(node.opType) || isFloatPrecision(e.precision)) continue;
    const y = node.outputs[0];
    const cons = consumers.get(y) ?? [];
    if (cons.length !== 1 || graphOutputs.has(y)) continue;
    const act = cons[0];
    if ((act.opType !== 'Relu' && act.opType !== 'Clip') || act.inputs[0] !== y) continue;
    const ae = out.get(act.name)!;
    if (ae.execution === 'keep_float' || ae.precision !== e.precision) continue;
    const bounds = clipBounds(graph, act);
    if (!bounds || !canFuseActivation(profile, { opType: act.opType, ...bounds })) continue;
    e.activation = { node: act.name, opType: act.opType, ...bounds };
    ae.fusedInto = node.name;
    ae.execution = 'integer';
  }
  return out;
}
