/**
 * Engine attributes of QBinary (Add/Sub/Mul of two quantized tensors) per the profile's eltwise
 * style; mirrors the formulas on npuq::QBinaryParams (native/include/npuq/qkernels.h).
 * - `float`: onnxruntime QDQ semantics (`float(xa)*sa +/- float(xb)*sb`, quantized by division by the
 *   output scale; Mul requantizes the exact product with `float32(sa*sb)/so`).
 * - `mlas`: onnxruntime's fused QLinearAdd / QLinearMul on x64 (MLAS qladd_avx2.cpp, qlmul.cpp): the
 *   `float` parameters plus `mlas = 1`; Sub has no QLinear kernel and keeps the QDQ float path.
 * - `tflite`: TFLite's fixed-point ADD/SUB/MUL with the multipliers its Prepare() derives (kernels/add.cc,
 *   sub.cc, mul.cc); mirrors native qbinary_params_tflite.
 * - `multiplier_shift` / `multiplier_shift_bm1684` / `multiplier_shift_float`: TPU-MLIR INT8 lowering
 *   for BM1684X / BM1684 / CV18xx (see `tpuMlirAttrs`).
 */
import type { Attribute } from '../../ir/graph';
import { quantizeMultiplier } from '../rounding';
import type { ChipProfile } from '../profile';
import type { TensorQuant } from './types';
import { tpuMlirAttrs } from './eltwise-tpu-mlir';

type Attrs = Record<string, Attribute>;
const int = (value: number): Attribute => ({ kind: 'int', value });
const float = (value: number): Attribute => ({ kind: 'float', value });
const str = (value: string): Attribute => ({ kind: 'string', value });

/** QBinary attributes (as node attributes), or undefined when the profile's style has no emulation. */
export function qbinaryAttrs(
  profile: ChipProfile, op: 'add' | 'sub' | 'mul', a: TensorQuant, b: TensorQuant, out: TensorQuant,
): Attrs | undefined {
  const sa = a.scale[0], sb = b.scale[0], so = out.scale[0];
  const common: Attrs = { op: str(op), a_zp: int(a.zeroPoint[0]), b_zp: int(b.zeroPoint[0]), out_zp: int(out.zeroPoint[0]), round: str(profile.rounding.requant) };
  const style = profile.eltwise.style;
  const floatAttrs = (): Attrs => (op === 'mul'
    ? { ...common, method: str('float_scale'), out_scale: float(Math.fround(Math.fround(sa * sb) / so)) }
    : { ...common, method: str('float_scale'), a_scale: float(sa), b_scale: float(sb), out_scale: float(so) });
  if (style === 'float') return floatAttrs();
  if (style === 'mlas') {
    const eight = [a, b, out].every((q) => q.dtype === 'int8' || q.dtype === 'uint8');
    return op === 'sub' || !eight ? floatAttrs() : { ...floatAttrs(), mlas: int(1) };
  }
  if (style === 'multiplier_shift' || style === 'multiplier_shift_bm1684' || style === 'multiplier_shift_float') {
    const symmetric = [a, b, out].every((q) => q.zeroPoint[0] === 0);
    // TPU-MLIR lowers asymmetric Add/Sub/Mul to F32: float maths, then the cast quantizes the output.
    if (!symmetric) return { ...floatAttrs(), round: str(profile.rounding.input) };
    return { ...common, ...tpuMlirAttrs(style, op, sa, sb, so) };
  }
  if (style !== 'tflite') return undefined;
  if (op === 'mul') {
    const m = quantizeMultiplier((sa * sb) / so);
    return { ...common, method: str('fixed_point_double'), out_multiplier: int(m.multiplier), out_shift: int(m.shift) };
  }
  const wide = [a, b, out].some((q) => q.dtype.endsWith('16'));
  const leftShift = wide ? 15 : 20;
  let ra: number, rb: number, ro: number;
  if (op === 'add') {
    const twiceMax = 2 * Math.max(sa, sb);
    ra = sa / twiceMax;
    rb = sb / twiceMax;
    ro = twiceMax / (2 ** leftShift * so);
  } else {
    const twiceMax = Math.fround(2 * Math.max(sa, sb));
    ra = Math.fround(sa / twiceMax);
    rb = Math.fround(sb / twiceMax);
    ro = Math.fround(twiceMax / Math.fround(2 ** leftShift * so));
  }
  const ma = quantizeMultiplier(ra), mb = quantizeMultiplier(rb), mo = quantizeMultiplier(ro);
  return {
    ...common, method: str('fixed_point_double'), left_shift: int(leftShift),
    a_multiplier: int(ma.multiplier), a_shift: int(ma.shift), b_multiplier: int(mb.multiplier), b_shift: int(mb.shift),
    out_multiplier: int(mo.multiplier), out_shift: int(mo.shift),
  };
}
