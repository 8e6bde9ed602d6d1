/**
 * Operators of the `npuquant` domain: the engine's profile-driven integer ops (native/engine/ops/
 * qops.cc documents their inputs and attributes) as they appear in the emulation graph that
 * lib/quantize/emulate.ts builds from a quantized model. Shapes follow the float op each one
 * replaces (QConv = Conv, QGemm = Gemm, ...); the output type is the `out_dtype` attribute, or the
 * input's type for ops that keep it. Nothing here folds: these nodes always run in the engine.
 */
import type { Node } from '../graph';
import type { DType } from '../tensor';
import { CONV_OPS } from './conv';
import { ELEMENTWISE_OPS } from './elementwise';
import { GEMM_OPS } from './gemm';
import { POOL_OPS } from './pool';
import type { InferInput, OpContext, OpDef, ValueType } from './types';
import { invalid, requireInput } from './util';

/** Domain of the engine's integer ops in emulation graphs. */
export const NPUQ_DOMAIN = 'npuquant';

const find = (defs: readonly OpDef[], op: string): OpDef => defs.find((d) => d.opType === op)!;
const CONV = find(CONV_OPS, 'Conv');
const GEMM = find(GEMM_OPS, 'Gemm');
const MAXPOOL = find(POOL_OPS, 'MaxPool');
const AVGPOOL = find(POOL_OPS, 'AveragePool');
const GAP = find(POOL_OPS, 'GlobalAveragePool');
const ADD = find(ELEMENTWISE_OPS, 'Add');

const INTEGER_TYPES: ReadonlySet<string> = new Set(['uint8', 'int8', 'uint16', 'int16', 'int32']);

function outType(node: Node, fallback?: DType): DType {
  const t = node.has('out_dtype') ? node.attrString('out_dtype') : fallback;
  if (t === undefined || !INTEGER_TYPES.has(t)) {
    throw invalid(node, `out_dtype must be one of ${[...INTEGER_TYPES].join(', ')} but is ${String(t)}`);
  }
  return t as DType;
}

const asFloat = (x: InferInput | undefined): InferInput | undefined => (x ? { dtype: 'float32', shape: x.shape } : undefined);

/** Shape of the float op `def` on float stand-ins for `inputs`, with the integer output type. */
function like(def: OpDef, pick: (ctx: OpContext) => (InferInput | undefined)[], keepType = false): OpDef['infer'] {
  return (ctx) => {
    const x = requireInput(ctx, 0, 'x');
    if (!INTEGER_TYPES.has(x.dtype)) throw invalid(ctx.node, `expects an integer input but received ${x.dtype}`);
    const shape = def.infer({ ...ctx, inputs: pick(ctx).map(asFloat) })[0].shape;
    return [{ dtype: keepType ? x.dtype : outType(ctx.node), shape }];
  };
}

const sameShape = (keepType: boolean): OpDef['infer'] => (ctx): ValueType[] => {
  const x = requireInput(ctx, 0, 'x');
  return [{ dtype: keepType ? x.dtype : outType(ctx.node, x.dtype), shape: x.shape }];
};

/** Every op of the npuquant domain. */
export const NPUQ_OPS: readonly OpDef[] = [
  // QConv: x, w, bias, rq_scale, rq_multiplier, rq_shift, w_zp. The bias is not a float Conv bias.
  { opType: 'QConv', infer: like(CONV, (c) => [c.inputs[0], c.inputs[1]]) },
  // QGemm: a, b (transB attr), bias, rq_scale, rq_multiplier, rq_shift, b_zp.
  // The shape is Gemm's without C (its bias is separate), so Gemm's "C before opset 11" rule does not apply.
  { opType: 'QGemm', infer: (ctx) => like(GEMM, (c) => [c.inputs[0], c.inputs[1]])({ ...ctx, opset: Math.max(ctx.opset, 11) }) },
  { opType: 'QBinary', infer: like(ADD, (c) => [c.inputs[0], c.inputs[1]]) },
  { opType: 'QMaxPool', infer: like(MAXPOOL, (c) => [c.inputs[0]], true) },
  { opType: 'QAvgPool', infer: like(AVGPOOL, (c) => [c.inputs[0]], true) },
  { opType: 'QGlobalAvgPool', infer: like(GAP, (c) => [c.inputs[0]]) },
  // Lut: x, table; the output has the table's type.
  {
    opType: 'Lut',
    infer: (ctx) => {
      const x = requireInput(ctx, 0, 'x');
      const t = requireInput(ctx, 1, 'table');
      return [{ dtype: t.dtype, shape: x.shape }];
    },
  },
  // QSoftmax: x (uint8/int8) -> the same type; onnxruntime's QLinearSoftmax (native/engine/ops/qsoftmax.cc).
  { opType: 'QSoftmax', infer: sameShape(true) },
  // Requantize: x, rq_scale, rq_multiplier, rq_shift.
  { opType: 'Requantize', infer: sameShape(false) },
  // Float rounding of float32 tensors to the nearest float16 / bfloat16 value (mixed precision).
  { opType: 'RoundFloat16', infer: sameShape(true) },
  { opType: 'RoundBFloat16', infer: sameShape(true) },
  // ErrorStats: ref (float32), test (float32, or 8/16-bit integers read through the attributes scale
  // and zero_point as DequantizeLinear would) -> float64 partial sums of their difference for accuracy
  // analysis (native/engine/ops/analysis.cc; lib/analyze/metrics.ts reads them).
  {
    opType: 'ErrorStats',
    infer: (ctx) => {
      const ref = requireInput(ctx, 0, 'ref');
      const test = requireInput(ctx, 1, 'test');
      const integer = ['uint8', 'int8', 'uint16', 'int16'].includes(test.dtype);
      if (ref.dtype !== 'float32' || (test.dtype !== 'float32' && !integer)) {
        throw invalid(ctx.node, `expects a float32 reference and a float32 or 8/16-bit integer test input but received ${ref.dtype} and ${test.dtype}`);
      }
      if (integer && !(ctx.node.attrFloat('scale', NaN) > 0)) throw invalid(ctx.node, `an integer test input (${test.dtype}) needs the attribute scale > 0`);
      const bins = ctx.node.attrInt('bins', 32), channels = ctx.node.attrInt('channels', 0);
      return [{ dtype: 'float64', shape: [ERROR_STATS_HEADER + 2 * bins + channels] }];
    },
  },
];

/** Entries of an ErrorStats output before its histograms (native/engine/ops/analysis.cc). */
export const ERROR_STATS_HEADER = 16;
