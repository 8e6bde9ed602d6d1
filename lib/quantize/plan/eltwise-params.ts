/**
 * Engine attributes of QBinary (Add/Sub/Mul of two quantized tensors) per the profile's eltwise
 * style. `float`: onnxruntime QDQ semantics (`float(xa)*sa +/- float(xb)*sb`, quantized by division
 * by the output scale; Mul requantizes the exact product with `float32(sa*sb)/so`). `tflite`:
 * TFLite's fixed-point ADD/SUB/MUL with the multipliers its Prepare() derives (kernels/add.cc,
 * sub.cc, mul.cc); mirrors native qbinary_params_tflite.
 */
import { quantizeMultiplier } from '../rounding';
import type { ChipProfile } from '../profile';
import type { TensorQuant } from './types';

type Attrs = Record<string, number | string>;

/** QBinary attributes, or undefined when the profile's style has no emulation. */
export function qbinaryAttrs(
  profile: ChipProfile, op: 'add' | 'sub' | 'mul', a: TensorQuant, b: TensorQuant, out: TensorQuant,
): Attrs | undefined {
  const sa = a.scale[0], sb = b.scale[0], so = out.scale[0];
  const common: Attrs = { op, a_zp: a.zeroPoint[0], b_zp: b.zeroPoint[0], out_zp: out.zeroPoint[0], round: profile.rounding.requant };
  const style = profile.eltwise.style;
  if (style === 'float') {
    return op === 'mul'
      ? { ...common, method: 'float_scale', out_scale: Math.fround(Math.fround(sa * sb) / so) }
      : { ...common, method: 'float_scale', a_scale: sa, b_scale: sb, out_scale: so };
  }
  if (style !== 'tflite') return undefined;
  if (op === 'mul') {
    const m = quantizeMultiplier((sa * sb) / so);
    return { ...common, method: 'fixed_point_double', out_multiplier: m.multiplier, out_shift: m.shift };
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
    ...common, method: 'fixed_point_double', left_shift: leftShift,
    a_multiplier: ma.multiplier, a_shift: ma.shift, b_multiplier: mb.multiplier, b_shift: mb.shift,
    out_multiplier: mo.multiplier, out_shift: mo.shift,
  };
}
