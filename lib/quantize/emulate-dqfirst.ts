/**
 * Emulation of dequantize-first integer layers (lib/quantize/dequantize-first.ts): the exact int32
 * accumulator from ConvInteger / MatMulInteger, then the float32 steps of the chip as separate
 * engine ops, each rounding to float32 as the chip does (no fused multiply-add):
 *
 *   ConvInteger|MatMulInteger → Cast(float) → Mul(dq[c]) → Add(bias[c]) → fused activation →
 *   ncnn:  Mul(r_out) → Clip(qmin - zp, qmax - zp) → QuantizeLinear(scale 1, zp, profile rounding)
 *   QDQ:   QuantizeLinear(s_out, zp, profile rounding)
 *   or, when the output stays float (ncnn: the consumer has no int8 kernel), the float value itself.
 */
import { NpuqError } from '../errors';
import type { Attribute, Graph, Node } from '../ir/graph';
import { Tensor, type DType } from '../ir/tensor';
import { dequantizeFactors, reciprocal } from './dequantize-first';
import type { ChipProfile } from './profile';
import type { NodeQuant, TensorQuant } from './plan/types';

/** What the emulation builder lends to this step. */
export interface DqFirstContext {
  src: Graph;
  profile: ChipProfile;
  emit(name: string, op: string, inputs: string[], outputs: string[], attrs?: Record<string, Attribute>, domain?: string): Node;
  init(name: string, t: Tensor): string;
  intTensor(dtype: DType, shape: number[], values: ArrayLike<number>): Tensor;
  /** Integer tensor of `t` in quantization `q`. */
  getInt(t: string, q: TensorQuant): string;
  /** Integer home name of a float tensor. */
  intName(t: string): string;
  /** Marks a float tensor's integer home as produced. */
  markInt(t: string): void;
  /** Marks a float tensor as produced in float. */
  markFloat(t: string): void;
}

const f32 = (shape: number[], v: ArrayLike<number>): Tensor => new Tensor('float32', shape, Float32Array.from(v));

/** Scalar float-domain quantization `x -> int` of a dequantize-first output (or any quantization, for reciprocal-scale chips). */
export function emitQuantize(ctx: DqFirstContext, x: string, q: TensorQuant, out: string): void {
  const { emit, init, profile } = ctx;
  const round: Attribute = { kind: 'string', value: profile.rounding.input };
  const zp = init(`${out}::zp`, ctx.intTensor(q.dtype, [], [q.zeroPoint[0]]));
  if (!profile.requant.reciprocalScales) {
    emit(`${out}::quantize`, 'QuantizeLinear', [x, init(`${out}::scale`, f32([], [q.scale[0]])), zp], [out], { round });
    return;
  }
  // ncnn: float2int8(v * r) with r = float32(1 / s); the clamp to [qmin, qmax] (±127) in float before
  // rounding is the same as after it, the bounds being integers.
  const r = init(`${out}::rscale`, f32([], [reciprocal(q.scale[0])]));
  emit(`${out}::mul`, 'Mul', [x, r], [`${out}::scaled`]);
  const lo = init(`${out}::lo`, f32([], [q.qmin - q.zeroPoint[0]])), hi = init(`${out}::hi`, f32([], [q.qmax - q.zeroPoint[0]]));
  emit(`${out}::clip`, 'Clip', [`${out}::scaled`, lo, hi], [`${out}::clipped`]);
  emit(`${out}::quantize`, 'QuantizeLinear', [`${out}::clipped`, init(`${out}::one`, f32([], [1])), zp], [out], { round });
}

/**
 * Emits one dequantize-first Conv / Gemm / MatMul (with a constant B). `inQ` is the input's
 * quantization, `outQ` the output's (undefined: the output stays float), `outName` the float name of
 * the output (the fused activation's output when there is one), `activation` the fused node.
 */
export function emitDequantizeFirst(ctx: DqFirstContext, node: Node, nq: NodeQuant, inQ: TensorQuant, outQ: TensorQuant | undefined, outName: string, activation?: Node): void {
  const { src, profile, emit, init } = ctx;
  const w = nq.weight!;
  const wShape = src.initializers.get(w.tensor)!.shape.slice();
  const channels = w.quant.scale.length;
  const base = `${node.name}::dqf`;
  const x = ctx.getInt(node.inputs[0], inQ);
  const xzp = init(`${base}::x_zp`, ctx.intTensor(inQ.dtype, [], [inQ.zeroPoint[0]]));
  const wzp = init(`${base}::w_zp`, ctx.intTensor(w.quant.dtype, channels > 1 ? [channels] : [], w.quant.zeroPoint));
  const acc = `${base}::acc`;
  let cshape: number[];  // shape of per-channel constants, broadcast against the output
  if (node.opType === 'Conv') {
    const wName = init(`${base}::w`, ctx.intTensor(w.quant.dtype, wShape, w.values));
    const attrs: Record<string, Attribute> = {};
    for (const k of ['kernel_shape', 'strides', 'pads', 'dilations', 'auto_pad', 'group']) if (node.attrs.has(k)) attrs[k] = node.attrs.get(k)!;
    emit(node.name, 'ConvInteger', [x, wName, xzp, wzp], [acc], attrs);
    cshape = [wShape[0], ...new Array(wShape.length - 2).fill(1)];
  } else {
    // MatMulInteger takes B as [K, N]: a Gemm with transB has [N, K].
    const trans = node.opType === 'Gemm' && node.attrInt('transB', 0) !== 0;
    const [K, N] = trans ? [wShape[1], wShape[0]] : wShape;
    const values = trans ? Array.from({ length: K * N }, (_, i) => w.values[(i % N) * K + Math.floor(i / N)]) : w.values;
    const wName = init(`${base}::w`, ctx.intTensor(w.quant.dtype, [K, N], values));
    emit(node.name, 'MatMulInteger', [x, wName, xzp, wzp], [acc]);
    cshape = [N];
  }
  const shape = (n: number) => (n === 1 ? [] : cshape);
  const dq = nq.bias?.dtype === 'float32' ? nq.bias.scale : dequantizeFactors(profile, inQ.scale[0], w.quant.scale);
  emit(`${base}::cast`, 'Cast', [acc], [`${base}::accf`], { to: { kind: 'int', value: 1 } });
  emit(`${base}::dequantize`, 'Mul', [`${base}::accf`, init(`${base}::dq`, f32(shape(dq.length), dq))], [`${base}::v`]);
  let v = `${base}::v`;
  if (nq.bias) {
    const b = nq.bias;
    const real = b.dtype === 'float32' ? b.values : b.values.map((q, c) => Math.fround(q * b.scale[b.scale.length > 1 ? c : 0]));
    emit(`${base}::bias`, 'Add', [v, init(`${base}::b`, f32(shape(real.length), real))], [`${base}::vb`]);
    v = `${base}::vb`;
  }
  if (activation) {
    const a = emit(`${activation.name}`, activation.opType, [v, ...activation.inputs.slice(1)], [`${base}::act`], {}, activation.domain);
    for (const [k, at] of activation.attrs) a.attrs.set(k, at);
    v = `${base}::act`;
  }
  if (!outQ) {
    emit(`${base}::out`, 'Identity', [v], [outName]);
    ctx.markFloat(outName);
    return;
  }
  if (outQ.scale.length !== 1) throw new NpuqError('UNSUPPORTED', `${node.describe()}: a per-channel output quantization is not emulated`);
  emitQuantize(ctx, v, outQ, ctx.intName(outName));
  ctx.markInt(outName);
}
