/**
 * ONNX quantization operators: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, QLinearConv,
 * QLinearMatMul, ConvInteger, MatMulInteger. Shapes follow Conv / MatMul; dtypes follow the zero
 * points (uint8 when a zero point is omitted). They run in the native integer engine (no folding).
 */
import { CONV_OPS } from './conv';
import { GEMM_OPS } from './gemm';
import type { InferInput, OpContext, OpDef, ValueType } from './types';
import { invalid, optionalInput, requireInput } from './util';

const CONV = CONV_OPS.find((d) => d.opType === 'Conv')!;
const MATMUL = GEMM_OPS.find((d) => d.opType === 'MatMul')!;

/** Runs another op's inference with a subset of this node's inputs. */
function inferAs(def: OpDef, ctx: OpContext, inputs: (InferInput | undefined)[]): ValueType {
  return def.infer({ ...ctx, inputs })[0];
}

function asFloat(x: InferInput | undefined): InferInput | undefined {
  return x ? { ...x, dtype: 'float32', value: undefined } : undefined;
}

const QUANTIZE: OpDef = {
  opType: 'QuantizeLinear',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'x');
    requireInput(ctx, 1, 'y_scale');
    const zp = optionalInput(ctx, 2);
    return [{ dtype: zp?.dtype ?? 'uint8', shape: x.shape }];
  },
};

const DEQUANTIZE: OpDef = {
  opType: 'DequantizeLinear',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'x');
    const scale = requireInput(ctx, 1, 'x_scale');
    return [{ dtype: scale.dtype, shape: x.shape }];
  },
};

const DYNAMIC_QUANTIZE: OpDef = {
  opType: 'DynamicQuantizeLinear',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'x');
    if (x.dtype !== 'float32') throw invalid(ctx.node, `x must be float32 but is ${x.dtype}`);
    return [{ dtype: 'uint8', shape: x.shape }, { dtype: 'float32', shape: [] }, { dtype: 'uint8', shape: [] }];
  },
};

const QLINEAR_CONV: OpDef = {
  opType: 'QLinearConv',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'x');
    const w = requireInput(ctx, 3, 'w');
    const yzp = optionalInput(ctx, 7);
    const t = inferAs(CONV, ctx, [asFloat(x), asFloat(w), optionalInput(ctx, 8) ? { dtype: 'float32', shape: optionalInput(ctx, 8)!.shape } : undefined]);
    return [{ dtype: yzp?.dtype ?? 'uint8', shape: t.shape }];
  },
};

const CONV_INTEGER: OpDef = {
  opType: 'ConvInteger',
  infer: (ctx) => {
    const x = requireInput(ctx, 0, 'x');
    const w = requireInput(ctx, 1, 'w');
    const t = inferAs(CONV, ctx, [asFloat(x), asFloat(w)]);
    return [{ dtype: 'int32', shape: t.shape }];
  },
};

const QLINEAR_MATMUL: OpDef = {
  opType: 'QLinearMatMul',
  infer: (ctx) => {
    const a = requireInput(ctx, 0, 'a');
    const b = requireInput(ctx, 3, 'b');
    const yzp = optionalInput(ctx, 7);
    const t = inferAs(MATMUL, ctx, [asFloat(a), asFloat(b)]);
    return [{ dtype: yzp?.dtype ?? 'uint8', shape: t.shape }];
  },
};

const MATMUL_INTEGER: OpDef = {
  opType: 'MatMulInteger',
  infer: (ctx) => {
    const a = requireInput(ctx, 0, 'A');
    const b = requireInput(ctx, 1, 'B');
    const t = inferAs(MATMUL, ctx, [asFloat(a), asFloat(b)]);
    return [{ dtype: 'int32', shape: t.shape }];
  },
};

export const QUANT_OPS: readonly OpDef[] = [QUANTIZE, DEQUANTIZE, DYNAMIC_QUANTIZE, QLINEAR_CONV, CONV_INTEGER, QLINEAR_MATMUL, MATMUL_INTEGER];
