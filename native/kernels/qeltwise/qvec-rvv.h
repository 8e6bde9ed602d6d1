// RVV 1.0 building blocks of the quantized kernels, vector-length agnostic: int32/float lanes at
// LMUL=2 (e32m2), the caller strip-mines with vl = vsetvl_e32m2(remaining). Include only from -rvv.cc
// files; internal linkage only, no inline function of a shared header is called. Each helper is the
// lane-wise image of a scalar formula in npuq/rounding.h.
//
// No fixed-point CSR is involved: SaturatingRoundingDoublingHighMul is a widening multiply, + 2^30 and
// a narrowing arithmetic shift (vnsra, which does not round), not vsmul (whose rounding is vxrm's).
// Float arithmetic and int<->float conversions with dynamic rounding use frm, which the C environment
// keeps at round-to-nearest-even, as the scalar code's float arithmetic assumes too; the rounding modes
// other than HalfToEven are built from exact comparisons around that conversion (see roundn).
#pragma once
#include <riscv_vector.h>

#include <cstdint>

#include "kernels/simd/round-up-rvv.h"
#include "npuq/qkernels.h"

namespace npuq {
namespace {

using vi32 = vint32m2_t;
using vf32 = vfloat32m2_t;

inline size_t tsize(QType t) { return t == QType::U8 || t == QType::S8 ? 1 : 2; }
inline int32_t tmin(QType t) { return t == QType::U8 || t == QType::U16 ? 0 : t == QType::S8 ? -128 : -32768; }
inline int32_t tmax(QType t) { return t == QType::U8 ? 255 : t == QType::S8 ? 127 : t == QType::U16 ? 65535 : 32767; }

// vl values of an 8/16-bit type widened to int32.
inline vi32 loadn(const void* p, QType t, size_t vl) {
  switch (t) {
    case QType::U8: {
      const vuint8mf2_t v = __riscv_vle8_v_u8mf2(static_cast<const uint8_t*>(p), vl);
      return __riscv_vreinterpret_v_u32m2_i32m2(__riscv_vzext_vf4_u32m2(v, vl));
    }
    case QType::S8: return __riscv_vsext_vf4_i32m2(__riscv_vle8_v_i8mf2(static_cast<const int8_t*>(p), vl), vl);
    case QType::U16: {
      const vuint16m1_t v = __riscv_vle16_v_u16m1(static_cast<const uint16_t*>(p), vl);
      return __riscv_vreinterpret_v_u32m2_i32m2(__riscv_vzext_vf2_u32m2(v, vl));
    }
    default: return __riscv_vsext_vf2_i32m2(__riscv_vle16_v_i16m1(static_cast<const int16_t*>(p), vl), vl);
  }
}

inline int32_t load1(const void* p, QType t) {
  switch (t) {
    case QType::U8: return *static_cast<const uint8_t*>(p);
    case QType::S8: return *static_cast<const int8_t*>(p);
    case QType::U16: return *static_cast<const uint16_t*>(p);
    default: return *static_cast<const int16_t*>(p);
  }
}

// Stores vl int32 lanes that already lie within t's range (truncating narrowing is then exact).
inline void storen(void* p, QType t, vi32 v, size_t vl) {
  const vint16m1_t h = __riscv_vncvt_x_x_w_i16m1(v, vl);
  if (tsize(t) == 1)
    __riscv_vse8_v_i8mf2(static_cast<int8_t*>(p), __riscv_vncvt_x_x_w_i8mf2(h, vl), vl);
  else
    __riscv_vse16_v_i16m1(static_cast<int16_t*>(p), h, vl);
}

inline vi32 clampn(vi32 v, int32_t lo, int32_t hi, size_t vl) {
  return __riscv_vmin_vx_i32m2(__riscv_vmax_vx_i32m2(v, lo, vl), hi, vl);
}

// q + 1 where up, else q.
inline vi32 add_up(vi32 q, vmask up, size_t vl) {
  return __riscv_vmerge_vvm_i32m2(q, __riscv_vadd_vx_i32m2(q, 1, vl), up, vl);
}


inline vmask odd_mask(vi32 q, size_t vl) { return __riscv_vmsne_vx_i32m2_b16(__riscv_vand_vx_i32m2(q, 1, vl), 0, vl); }

// round_mode(d, m) for |d| < 2^22. HalfToEven: vfcvt.x.f under frm = RNE. Otherwise floor(d) from that
// same conversion (it lands on floor(d) or ceil(d) whatever frm is; step down where d < float(n), exact
// at this size), then d compared with f and f + 0.5 (exact). vfcvt.rtz.x.f would be the obvious
// truncation, but qemu 7.x aborts translating a static-rounding vector conversion that starts a
// translation block ("decode_save_opc: Assertion `ctx->insn_start != NULL'", qemu issue #1441, fixed
// in 8.x), so this file uses dynamic-rounding conversions only.
inline vi32 roundn(vf32 d, Round m, size_t vl) {
  const vi32 n = __riscv_vfcvt_x_f_v_i32m2(d, vl);
  if (m == Round::HalfToEven) return n;
  const vmask below = __riscv_vmflt_vv_f32m2_b16(d, __riscv_vfcvt_f_x_v_f32m2(n, vl), vl);
  const vi32 fi = __riscv_vmerge_vvm_i32m2(n, __riscv_vsub_vx_i32m2(n, 1, vl), below, vl);
  const vf32 f = __riscv_vfcvt_f_x_v_f32m2(fi, vl);
  const vf32 h = __riscv_vfadd_vf_f32m2(f, 0.5f, vl);
  const vmask gt = __riscv_vmfgt_vv_f32m2_b16(d, h, vl), tie = __riscv_vmfeq_vv_f32m2_b16(d, h, vl);
  const vmask inexact = __riscv_vmfne_vv_f32m2_b16(d, f, vl), neg = __riscv_vmflt_vf_f32m2_b16(d, 0.0f, vl);
  return add_up(fi, up_mask(m, gt, tie, inexact, neg, odd_mask(fi, vl), vl), vl);
}

// The float tail of quantize_value / requantize(FloatScale), see qvec-avx2.h: clamp d to
// [qmin - zp, qmax - zp] (vfmax/vfmin return the number when d is NaN, so NaN -> the low bound),
// round, + zp; lanes of `nan` give clamp(zp).
struct FloatOut {
  float lo, hi;
  int32_t zp, zp_clamped;
  Round round;
};

inline FloatOut float_out(int32_t zp, int32_t qmin, int32_t qmax, Round round) {
  return {float(int64_t(qmin) - zp), float(int64_t(qmax) - zp), zp, zp < qmin ? qmin : zp > qmax ? qmax : zp, round};
}

inline vi32 finishn(vf32 d, vmask nan, const FloatOut& o, size_t vl) {
  d = __riscv_vfmin_vf_f32m2(__riscv_vfmax_vf_f32m2(d, o.lo, vl), o.hi, vl);
  const vi32 q = __riscv_vadd_vx_i32m2(roundn(d, o.round, vl), o.zp, vl);
  return __riscv_vmerge_vvm_i32m2(q, __riscv_vmv_v_x_i32m2(o.zp_clamped, vl), nan, vl);
}

inline vmask isnann(vf32 v, size_t vl) { return __riscv_vmfne_vv_f32m2_b16(v, v, vl); }

// ---- TPU-MLIR multiply-shift on int32 lanes ----

// rshift_round(v, shift, m) for lanes with |v| <= 2^31 - 1 and shift in [0, 62], all ten modes (see
// rshift_round8 in qvec-avx2.h: shift >= 32 works on clamp(v, -1, 1) >> 31, shift 0 adds nothing).
// Integer arithmetic only (no vxrm, no conversions).
struct RShiftN {
  bool big = false;  // shift >= 32
  int s = 0;
  int32_t mask = 0, half = 1;
};

inline RShiftN rshiftn(int shift) {
  RShiftN r;
  r.big = shift >= 32;
  r.s = r.big ? 31 : shift;
  r.mask = int32_t((int64_t(1) << r.s) - 1);
  r.half = r.s ? int32_t(1) << (r.s - 1) : 1;
  return r;
}

inline vi32 rshift_roundn(vi32 v, const RShiftN& r, Round m, size_t vl) {
  if (r.big) v = clampn(v, -1, 1, vl);
  const vi32 q = __riscv_vsra_vx_i32m2(v, r.s, vl);
  const vi32 rem = __riscv_vand_vx_i32m2(v, r.mask, vl);  // in [0, 2^31)
  const vmask gt = __riscv_vmsgt_vx_i32m2_b16(rem, r.half, vl), tie = __riscv_vmseq_vx_i32m2_b16(rem, r.half, vl);
  const vmask inexact = __riscv_vmsne_vx_i32m2_b16(rem, 0, vl), neg = __riscv_vmslt_vx_i32m2_b16(v, 0, vl);
  return add_up(q, up_mask(m, gt, tie, inexact, neg, odd_mask(q, vl), vl), vl);
}

// ---- gemmlowp fixed point ----

// srdhm: (a*M + 2^30) >> 31, INT32_MIN * INT32_MIN -> INT32_MAX.
inline vi32 srdhmn(vi32 a, int32_t M, size_t vl) {
  const vint64m4_t p = __riscv_vadd_vx_i64m4(__riscv_vwmul_vx_i64m4(a, M, vl), int64_t(1) << 30, vl);
  const vi32 r = __riscv_vnsra_wx_i32m2(p, 31, vl);
  if (M != INT32_MIN) return r;
  const vmask sat = __riscv_vmseq_vx_i32m2_b16(a, INT32_MIN, vl);
  return __riscv_vmerge_vvm_i32m2(r, __riscv_vmv_v_x_i32m2(INT32_MAX, vl), sat, vl);
}

// rounding_divide_by_pot, e in [0, 31].
inline vi32 rdbpotn(vi32 x, int e, size_t vl) {
  const int32_t m = int32_t((int64_t(1) << e) - 1);
  const vi32 rem = __riscv_vand_vx_i32m2(x, m, vl);
  const vi32 thr = __riscv_vmerge_vvm_i32m2(__riscv_vmv_v_x_i32m2(m >> 1, vl), __riscv_vmv_v_x_i32m2((m >> 1) + 1, vl),
                                            __riscv_vmslt_vx_i32m2_b16(x, 0, vl), vl);
  return add_up(__riscv_vsra_vx_i32m2(x, e, vl), __riscv_vmsgt_vv_i32m2_b16(rem, thr, vl), vl);
}

// mul_by_quantized_multiplier (shift > 0: wrapping left shift first, like the scalar uint32 shift).
inline vi32 mbqmn(vi32 x, int32_t M, int shift, size_t vl) {
  if (shift > 0) x = __riscv_vsll_vx_i32m2(x, shift, vl);
  return rdbpotn(srdhmn(x, M, vl), shift > 0 ? 0 : -shift, vl);
}

}  // namespace
}  // namespace npuq
