// NEON (AArch64 baseline) building blocks of the quantized kernels: 8 elements per step as two int32x4
// halves. Include only from -neon.cc files; internal linkage only, no inline function of a shared
// header is called. Each helper is the lane-wise image of a scalar formula in npuq/rounding.h.
#pragma once
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "kernels/simd/round-up-neon.h"
#include "npuq/qkernels.h"

namespace npuq {
namespace {

inline size_t tsize(QType t) { return t == QType::U8 || t == QType::S8 ? 1 : 2; }
inline int32_t tmin(QType t) { return t == QType::U8 || t == QType::U16 ? 0 : t == QType::S8 ? -128 : -32768; }
inline int32_t tmax(QType t) { return t == QType::U8 ? 255 : t == QType::S8 ? 127 : t == QType::U16 ? 65535 : 32767; }

struct V8 {
  int32x4_t lo, hi;
};

// 8 values of an 8/16-bit type widened to int32.
inline V8 load8(const void* p, QType t) {
  switch (t) {
    case QType::U8: {
      const uint16x8_t w = vmovl_u8(vld1_u8(static_cast<const uint8_t*>(p)));
      return {vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(w))), vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(w)))};
    }
    case QType::S8: {
      const int16x8_t w = vmovl_s8(vld1_s8(static_cast<const int8_t*>(p)));
      return {vmovl_s16(vget_low_s16(w)), vmovl_s16(vget_high_s16(w))};
    }
    case QType::U16: {
      const uint16x8_t w = vld1q_u16(static_cast<const uint16_t*>(p));
      return {vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(w))), vreinterpretq_s32_u32(vmovl_u16(vget_high_u16(w)))};
    }
    default: {
      const int16x8_t w = vld1q_s16(static_cast<const int16_t*>(p));
      return {vmovl_s16(vget_low_s16(w)), vmovl_s16(vget_high_s16(w))};
    }
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

// Stores 8 int32 lanes that already lie within t's range (the narrowing moves are then exact).
inline void store8(void* p, QType t, V8 v) {
  const uint16x8_t u = vcombine_u16(vmovn_u32(vreinterpretq_u32_s32(v.lo)), vmovn_u32(vreinterpretq_u32_s32(v.hi)));
  switch (t) {
    case QType::U8: vst1_u8(static_cast<uint8_t*>(p), vmovn_u16(u)); break;
    case QType::S8: vst1_s8(static_cast<int8_t*>(p), vreinterpret_s8_u8(vmovn_u16(u))); break;
    default: vst1q_u16(static_cast<uint16_t*>(p), u); break;  // the low 16 bits, for u16 and s16 alike
  }
}

inline int32x4_t clamp4(int32x4_t v, int32x4_t lo, int32x4_t hi) { return vminq_s32(vmaxq_s32(v, lo), hi); }


inline int32x4_t add_mask(int32x4_t q, uint32x4_t up) { return vsubq_s32(q, vreinterpretq_s32_u32(up)); }

// round_mode(d, m) for |d| < 2^22: the modes NEON converts to directly (vcvtn = ties to even,
// vcvta = ties away, vcvtm/vcvtp/vcvt = floor/ceil/trunc), the others from comparisons of d with
// f = floor(d) and f + 0.5 (exact; d - f would not be for d in (-1, 0)).
inline int32x4_t round4(float32x4_t d, Round m) {
  switch (m) {
    case Round::HalfToEven: return vcvtnq_s32_f32(d);
    case Round::HalfAwayFromZero: return vcvtaq_s32_f32(d);
    case Round::Floor: return vcvtmq_s32_f32(d);
    case Round::Ceil: return vcvtpq_s32_f32(d);
    case Round::TowardZero: return vcvtq_s32_f32(d);
    default: break;
  }
  const float32x4_t f = vrndmq_f32(d), h = vaddq_f32(f, vdupq_n_f32(0.5f));
  const int32x4_t fi = vcvtq_s32_f32(f);
  const uint32x4_t gt = vcgtq_f32(d, h), tie = vceqq_f32(d, h), inexact = vmvnq_u32(vceqq_f32(d, f));
  const uint32x4_t neg = vcltq_f32(d, vdupq_n_f32(0.0f)), odd = vtstq_s32(fi, vdupq_n_s32(1));
  return add_mask(fi, up_mask(m, gt, tie, inexact, neg, odd));
}

// The float tail of quantize_value / requantize(FloatScale), see qvec-avx2.h: clamp d to
// [qmin - zp, qmax - zp] (FMAXNM/FMINNM return the number when d is NaN, so NaN -> the low bound),
// round, + zp; lanes of `nan` give clamp(zp).
struct FloatOut {
  float32x4_t lo, hi;
  int32x4_t zp, zp_clamped;
  Round round;
};

inline FloatOut float_out(int32_t zp, int32_t qmin, int32_t qmax, Round round) {
  FloatOut o;
  o.lo = vdupq_n_f32(float(int64_t(qmin) - zp));
  o.hi = vdupq_n_f32(float(int64_t(qmax) - zp));
  o.zp = vdupq_n_s32(zp);
  o.zp_clamped = vdupq_n_s32(zp < qmin ? qmin : zp > qmax ? qmax : zp);
  o.round = round;
  return o;
}

inline int32x4_t finish4(float32x4_t d, uint32x4_t nan, const FloatOut& o) {
  d = vminnmq_f32(vmaxnmq_f32(d, o.lo), o.hi);
  return vbslq_s32(nan, o.zp_clamped, vaddq_s32(round4(d, o.round), o.zp));
}

inline uint32x4_t isnan4(float32x4_t v) { return vmvnq_u32(vceqq_f32(v, v)); }

// ---- TPU-MLIR multiply-shift on int32 lanes ----

// rshift_round(v, shift, m) for lanes with |v| <= 2^31 - 1 and shift in [0, 62], all ten modes (see
// rshift_round8 in qvec-avx2.h: shift >= 32 works on clamp(v, -1, 1) >> 31, shift 0 adds nothing).
struct RShift4 {
  bool big = false;  // shift >= 32
  int32x4_t neg_count, mask, half;
};

inline RShift4 rshift4(int shift) {
  RShift4 r;
  r.big = shift >= 32;
  const int s = r.big ? 31 : shift;
  r.neg_count = vdupq_n_s32(-s);
  r.mask = vdupq_n_s32(int32_t((int64_t(1) << s) - 1));
  r.half = vdupq_n_s32(s ? int32_t(1) << (s - 1) : 1);
  return r;
}

inline int32x4_t rshift_round4(int32x4_t v, const RShift4& r, Round m) {
  if (r.big) v = clamp4(v, vdupq_n_s32(-1), vdupq_n_s32(1));
  const int32x4_t q = vshlq_s32(v, r.neg_count);  // arithmetic shift right (floor)
  const int32x4_t rem = vandq_s32(v, r.mask);     // in [0, 2^31)
  const uint32x4_t gt = vcgtq_s32(rem, r.half), tie = vceqq_s32(rem, r.half);
  const uint32x4_t inexact = vtstq_s32(rem, rem), neg = vcltzq_s32(v), odd = vtstq_s32(q, vdupq_n_s32(1));
  return add_mask(q, up_mask(m, gt, tie, inexact, neg, odd));
}

// ---- gemmlowp fixed point ----
// srdhm is exactly VQRDMULH (gemmlowp's NEON path uses it).
inline int32x4_t srdhm4(int32x4_t a, int32x4_t b) { return vqrdmulhq_s32(a, b); }

// rounding_divide_by_pot, e in [0, 31].
inline int32x4_t rdbpot4(int32x4_t x, int e) {
  const int32_t m = int32_t((int64_t(1) << e) - 1);
  const int32x4_t rem = vandq_s32(x, vdupq_n_s32(m));
  const int32x4_t thr = vsubq_s32(vdupq_n_s32(m >> 1), vreinterpretq_s32_u32(vcltq_s32(x, vdupq_n_s32(0))));
  const int32x4_t q = vshlq_s32(x, vdupq_n_s32(-e));  // arithmetic shift right, truncating
  return add_mask(q, vcgtq_s32(rem, thr));
}

// mul_by_quantized_multiplier (shift > 0: wrapping left shift first, like the scalar uint32 shift).
inline int32x4_t mbqm4(int32x4_t x, int32x4_t M, int shift) {
  if (shift > 0) x = vshlq_s32(x, vdupq_n_s32(shift));
  return rdbpot4(srdhm4(x, M), shift > 0 ? 0 : -shift);
}

}  // namespace
}  // namespace npuq
