/**
 * Engine attributes of QBinary (Add/Sub/Mul of two quantized tensors) per the profile's eltwise
 * style. `float`: onnxruntime QDQ semantics (`float(xa)*sa +/- float(xb)*sb`, quantized by division
 * by the output scale; Mul requantizes the exact product with `float32(sa*sb)/so`). `tflite`:
 * TFLite's fixed-point ADD/SUB/MUL with the multipliers its Prepare() derives (kernels/add.cc,
 * sub.cc, mul.cc); mirrors native qbinary_params_tflite.
 */
import type { Attribute } from '../../ir/graph';
import { quantizeMultiplier } from '../rounding';
import type { ChipProfile } from '../profile';
import type { TensorQuant } from './types';

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
  if (style === 'float') {
    return op === 'mul'
      ? { ...common, method: str('float_scale'), out_scale: float(Math.fround(Math.fround(sa * sb) / so)) }
      : { ...common, method: str('float_scale'), a_scale: float(sa), b_scale: float(sb), out_scale: float(so) };
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
