/**
 * TPU-MLIR INT8 (symmetric) Add/Sub/Mul parameters, as its lowering computes them and its reference
 * inference applies them (tpu::AddOp / tpu::MulOp::inference, lib/Dialect/Tpu/Interfaces/Common):
 * - BM1684X (`multiplier_shift`), BM1684X/Add.cpp, Sub.cpp: per input `get_scale_and_shift_positive(
 *   s_i / s_o, m, shift, 8)`; inference `RightShiftRound(x_i * m_i, shift_i, HALF_UP)` per input, sum,
 *   saturate. Mul.cpp: `get_scale_and_shift(s_a * s_b / s_o, m, rshift, 8)` (rshift may be negative, a
 *   left shift); inference `RightShiftRound(x_a * x_b * m, rshift, HALF_UP)`, saturate.
 * - BM1684 (`multiplier_shift_bm1684`), BM1684/Add.cpp: `rshift_i = max(0, calRightShiftNumUseCblas(1,
 *   s_i, s_o, 8))` (= min(31, floor(log2(127 * s_o / s_i)))), `m_i = to_int8(float(2^rshift_i * s_i /
 *   s_o))` half away from zero; the same inference as BM1684X. BM1684/Mul.cpp: `get_scale_and_shift(...,
 *   8)` then rshift clamped to [0, 31] without recomputing the multiplier.
 * - CV18xx (`multiplier_shift_float`), CV18xx/Add.cpp: `q_i = float(s_i / s_o)`, one rshift from
 *   `getRShiftAndMultiplierFromQScale(max q_i, qdm = false, 127)`, `m_i = uint32(q_i * 2^rshift)`;
 *   inference `to_int(float(x_a * m_a + x_b * m_b) / 2^rshift, HALF_UP)`, saturate. CV18xx/Mul.cpp: QDM,
 *   `QuantizeMultiplier(min(s_a * s_b / s_o, 0.999999))`; inference MultiplyByQuantizedMultiplier with a
 *   half-up high multiply and a half-away right shift, i.e. gemmlowp (`fixed_point_double`).
 * Constant operands: TPU-MLIR quantizes a constant Add input against the output scale (BM1684X) or its
 * own absmax; npuquant quantizes constants as activations, so their parameters differ from TPU-MLIR's.
 */
import type { Attribute } from '../../ir/graph';
import { quantizeMultiplier, roundHalfAway } from '../rounding';
import { rshiftAndMultiplierFromQScale, searchMultiplierShift, type MultiplierShift } from '../requant-params';

type Attrs = Record<string, Attribute>;
const int = (value: number): Attribute => ({ kind: 'int', value });
const str = (value: string): Attribute => ({ kind: 'string', value });

/** TPU-MLIR `get_scale_and_shift_positive(s, m, shift, 8)`; with no candidate it keeps shift 0. */
export function scaleAndShiftPositive8(s: number): MultiplierShift {
  try {
    return searchMultiplierShift(s, 8, true);
  } catch {
    return { multiplier: roundHalfAway(Math.fround(s)), rshift: 0 };
  }
}

/** BM1684 Add input: `calRightShiftNumUseCblas(1, s_in, s_out, 8)` clamped at 0, then the 8-bit multiplier. */
export function bm1684AddInput(sIn: number, sOut: number): MultiplierShift {
  const data = 127 / ((1 * sIn) / sOut);
  let rshift = Math.min(31, Math.floor(Math.log(data) / Math.log(2)));
  rshift = Math.max(0, rshift);
  const scale = Math.fround((2 ** rshift * sIn) / sOut);
  return { multiplier: Math.max(-128, Math.min(127, roundHalfAway(scale))), rshift };
}

/** QBinary attributes (method, round, multipliers, shifts) of a symmetric TPU-MLIR Add/Sub/Mul. */
export function tpuMlirAttrs(
  style: 'multiplier_shift' | 'multiplier_shift_bm1684' | 'multiplier_shift_float', op: 'add' | 'sub' | 'mul',
  sa: number, sb: number, so: number,
): Attrs {
  if (op === 'mul') {
    const s = (sa * sb) / so;
    if (style === 'multiplier_shift_float') {
      const m = quantizeMultiplier(s >= 1 ? 0.999999 : s);
      return { method: str('fixed_point_double'), out_multiplier: int(m.multiplier), out_shift: int(m.shift) };
    }
    const m = searchMultiplierShift(s, 8, false);
    const rshift = style === 'multiplier_shift_bm1684' ? Math.min(Math.max(0, m.rshift), 31) : m.rshift;
    return { method: str('multiplier_shift'), round: str('half_up'), out_multiplier: int(m.multiplier), out_shift: int(rshift) };
  }
  if (style === 'multiplier_shift_float') {
    const qa = Math.fround(sa / so), qb = Math.fround(sb / so);
    const { rshift } = rshiftAndMultiplierFromQScale(Math.max(qa, qb), 127);
    // getMultiplierI8FromQScaleAndRShift: int8_t((uint32_t)(q * (1 << rshift))), q widened to double.
    const m8 = (q: number) => ((Math.trunc(q * 2 ** rshift) >>> 0) << 24) >> 24;
    return {
      method: str('multiplier_shift_float'), round: str('half_up'),
      a_multiplier: int(m8(qa)), a_shift: int(0), b_multiplier: int(m8(qb)), b_shift: int(0),
      out_multiplier: int(1), out_shift: int(rshift),
    };
  }
  const pick = style === 'multiplier_shift_bm1684' ? bm1684AddInput : (s: number, o: number) => scaleAndShiftPositive8(s / o);
  const ma = pick(sa, so), mb = pick(sb, so);
  return {
    method: str('multiplier_shift'), round: str('half_up'),
    a_multiplier: int(ma.multiplier), a_shift: int(ma.rshift), b_multiplier: int(mb.multiplier), b_shift: int(mb.rshift),
    out_multiplier: int(1), out_shift: int(0),
  };
}
