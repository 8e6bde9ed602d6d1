// requant_s32_4x__neon: 8 accumulators (two int32x4) per step for FloatScale, FixedPointDouble,
// FixedPointSingle, MultiplierShift and ShiftOnly (every rounding mode); MultiplierShiftFloat and runs
// with a left shift go to requant_s32__scalar, tails through one padded step.
// Exactness arguments as in requant-avx2.cc; NEON specifics:
//  - FloatScale: vcvtq_f32_s32 / vmulq_f32 round to nearest even (FPCR default) like the scalar code;
//    half to even = vcvtnq, half away = vcvtaq, floor / ceil / trunc = vcvtmq / vcvtpq / vcvtq.
//  - FixedPointDouble: vqrdmulhq_s32 is gemmlowp's SaturatingRoundingDoublingHighMul exactly (saturation
//    included); RoundingDivideByPOT as (x >> e) - ((threshold - remainder) >> 31).
//  - FixedPointSingle: vmull_s32 64-bit products, + 2^(t-1), vshlq_s64 by -t (arithmetic), vqmovn_s64.
//  - MultiplierShift / ShiftOnly (M = 1): vmull_s32 exact products, q = vshlq_s64 by -r (floor), the
//    remainder's up_mask decision; HalfUp is vrshlq_s64 by -r (SRSHL adds 2^(r-1) in extended precision,
//    the TPU-MLIR half-up rounding exactly). Clamped to [qmin - zp, qmax - zp] and offset in 64 bits.
#include <arm_neon.h>

#include <cstring>

#include "dispatch/q-kernels.h"
#include "kernels/simd/round-up-neon.h"

namespace npuq {

namespace {

inline int32x4_t lane_i32(const int32_t* p, size_t i, size_t stride) {
  return stride ? vld1q_s32(p + i) : vdupq_n_s32(p[0]);
}

inline int32x4_t round_f(float32x4_t f, Round m) {
  switch (m) {
    case Round::HalfToEven: return vcvtnq_s32_f32(f);
    case Round::HalfAwayFromZero: return vcvtaq_s32_f32(f);
    case Round::Floor: return vcvtmq_s32_f32(f);
    case Round::Ceil: return vcvtpq_s32_f32(f);
    case Round::TowardZero: return vcvtq_s32_f32(f);
    default: break;
  }
  const float32x4_t fl = vrndmq_f32(f), frac = vsubq_f32(f, fl), half = vdupq_n_f32(0.5f), zero = vdupq_n_f32(0.0f);
  const int32x4_t fi = vcvtq_s32_f32(fl);
  const uint32x4_t gt = vcgtq_f32(frac, half), eq = vceqq_f32(frac, half);
  uint32x4_t inc;
  switch (m) {
    case Round::HalfUp: inc = vcgeq_f32(frac, half); break;
    case Round::HalfDown: inc = gt; break;
    case Round::HalfToOdd: inc = vorrq_u32(gt, vandq_u32(eq, vceqq_s32(vandq_s32(fi, vdupq_n_s32(1)), vdupq_n_s32(0)))); break;
    case Round::HalfTowardZero: inc = vorrq_u32(gt, vandq_u32(eq, vcltq_f32(f, zero))); break;
    case Round::AwayFromZero: inc = vandq_u32(vcgtq_f32(frac, zero), vcgeq_f32(f, zero)); break;
    default: inc = vdupq_n_u32(0); break;
  }
  return vsubq_s32(fi, vreinterpretq_s32_u32(inc));
}

inline int32x4_t fixed_double(int32x4_t x, int32x4_t m, int32x4_t s) {
  const int32x4_t zero = vdupq_n_s32(0), one = vdupq_n_s32(1);
  const int32x4_t left = vmaxq_s32(s, zero), right = vmaxq_s32(vnegq_s32(s), zero);
  const int32x4_t h = vqrdmulhq_s32(vshlq_s32(x, left), m);
  const int32x4_t mask = vsubq_s32(vshlq_s32(one, right), one);
  const int32x4_t rem = vandq_s32(h, mask);
  const int32x4_t thr =
      vaddq_s32(vshrq_n_s32(mask, 1), vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_s32(h), 31)));
  return vsubq_s32(vshlq_s32(h, vnegq_s32(right)), vshrq_n_s32(vsubq_s32(thr, rem), 31));
}

inline int64x2_t single_half(int64x2_t p, int64x2_t t) {
  const int64x2_t one = vdupq_n_s64(1);
  p = vaddq_s64(p, vshlq_s64(one, vsubq_s64(t, one)));
  return vshlq_s64(p, vnegq_s64(t));
}

inline int32x4_t fixed_single(int32x4_t x, int32x4_t m, int32x4_t s) {
  const int32x4_t t = vsubq_s32(vdupq_n_s32(31), s);
  const int64x2_t lo = single_half(vmull_s32(vget_low_s32(x), vget_low_s32(m)), vmovl_s32(vget_low_s32(t)));
  const int64x2_t hi = single_half(vmull_high_s32(x, m), vmovl_high_s32(t));
  return vcombine_s32(vqmovn_s64(lo), vqmovn_s64(hi));
}

inline int64x2_t clamp_s64(int64x2_t v, int64x2_t lo, int64x2_t hi) {
  v = vbslq_s64(vcgtq_s64(lo, v), lo, v);
  return vbslq_s64(vcgtq_s64(v, hi), hi, v);
}

// rshift_round(p, r, mode) per 64-bit lane, r in [0, 62], clamped to [lo, hi] and offset by zp.
inline int32x2_t mul_shift_half(int64x2_t p, int64x2_t r, Round mode, int64x2_t lo, int64x2_t hi, int64x2_t zp) {
  const int64x2_t nr = vnegq_s64(r);
  int64x2_t v;
  if (mode == Round::HalfUp) {
    v = vrshlq_s64(p, nr);
  } else {
    const int64x2_t one = vdupq_n_s64(1);
    const int64x2_t mask = vsubq_s64(vshlq_s64(one, r), one);
    const int64x2_t q = vshlq_s64(p, nr), rem = vandq_s64(p, mask);
    const int64x2_t half = vaddq_s64(vshrq_n_s64(mask, 1), one);  // 2^(r-1); 1 for r = 0 (rem is 0)
    const uint64x2_t gt = vcgtq_s64(rem, half), tie = vceqq_s64(rem, half), inexact = vcgtzq_s64(rem);
    const uint64x2_t neg = vcltzq_s64(p), odd = vtstq_s64(q, one);
    const uint32x4_t up = up_mask(mode, vreinterpretq_u32_u64(gt), vreinterpretq_u32_u64(tie),
                                  vreinterpretq_u32_u64(inexact), vreinterpretq_u32_u64(neg), vreinterpretq_u32_u64(odd));
    v = vsubq_s64(q, vreinterpretq_s64_u32(up));
  }
  return vmovn_s64(vaddq_s64(clamp_s64(v, lo, hi), zp));
}

inline int32x4_t mul_shift(int32x4_t x, int32x4_t m, int32x4_t s, Round mode, int64x2_t lo, int64x2_t hi, int64x2_t zp) {
  const int32x2_t l = mul_shift_half(vmull_s32(vget_low_s32(x), vget_low_s32(m)), vmovl_s32(vget_low_s32(s)), mode, lo, hi, zp);
  const int32x2_t h = mul_shift_half(vmull_high_s32(x, m), vmovl_high_s32(s), mode, lo, hi, zp);
  return vcombine_s32(l, h);
}

inline int32_t clamp32(int64_t v) { return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : int32_t(v); }

}  // namespace

void requant_s32_4x__neon(const QRequantArgs& a, const int32_t* acc, size_t n, void* out) {
  const int64_t lo64 = int64_t(a.qmin) - a.zp, hi64 = int64_t(a.qmax) - a.zp;
  const bool fs = a.method == RequantMethod::FloatScale;
  const bool ms = a.method == RequantMethod::MultiplierShift || a.method == RequantMethod::ShiftOnly;
  const bool vec = (fs && lo64 >= -(int64_t(1) << 24) && hi64 <= (int64_t(1) << 24)) ||
                   a.method == RequantMethod::FixedPointDouble || a.method == RequantMethod::FixedPointSingle ||
                   (ms && a.right_shifts);
  if (!vec) return requant_s32__scalar(a, acc, n, out);
  const int32x4_t lo = vdupq_n_s32(clamp32(lo64)), hi = vdupq_n_s32(clamp32(hi64)), zp = vdupq_n_s32(a.zp);
  const int64x2_t lo_w = vdupq_n_s64(lo64), hi_w = vdupq_n_s64(hi64), zp_w = vdupq_n_s64(a.zp);
  const float32x4_t fmax = vdupq_n_f32(16777216.0f), fmin = vdupq_n_f32(-16777216.0f);
  // 8 results from x8[0..8) and the parameters at p (p.stride 0 or 1), stored at o + i.
  auto step = [&](const int32_t* x8, const QRequantArgs& p, void* o, size_t i) {
    int32x4_t v[2];
    for (int h = 0; h < 2; ++h) {
      const size_t j = 4 * h;
      int32x4_t x = vld1q_s32(x8 + j);
      if (p.bias) x = vaddq_s32(x, lane_i32(p.bias, j, p.stride));
      int32x4_t r;
      if (fs) {
        const float32x4_t sc = p.stride ? vld1q_f32(p.scale + j) : vdupq_n_f32(p.scale[0]);
        float32x4_t f = vmulq_f32(vcvtq_f32_s32(x), sc);
        f = vminq_f32(vmaxq_f32(f, fmin), fmax);
        r = round_f(f, p.round);
      } else if (ms) {  // clamped and offset in 64 bits
        const int32x4_t m = p.multiplier ? lane_i32(p.multiplier, j, p.stride) : vdupq_n_s32(1);
        v[h] = mul_shift(x, m, lane_i32(p.shift, j, p.stride), p.round, lo_w, hi_w, zp_w);
        continue;
      } else if (p.method == RequantMethod::FixedPointDouble) {
        r = fixed_double(x, lane_i32(p.multiplier, j, p.stride), lane_i32(p.shift, j, p.stride));
      } else {
        r = fixed_single(x, lane_i32(p.multiplier, j, p.stride), lane_i32(p.shift, j, p.stride));
      }
      v[h] = vaddq_s32(vminq_s32(vmaxq_s32(r, lo), hi), zp);
    }
    const int16x8_t w = vcombine_s16(vmovn_s32(v[0]), vmovn_s32(v[1]));  // values fit the output type
    switch (p.out_type) {
      case QType::U8: vst1_u8(static_cast<uint8_t*>(o) + i, vmovn_u16(vreinterpretq_u16_s16(w))); break;
      case QType::S8: vst1_s8(static_cast<int8_t*>(o) + i, vmovn_s16(w)); break;
      case QType::U16: vst1q_u16(static_cast<uint16_t*>(o) + i, vreinterpretq_u16_s16(w)); break;
      case QType::S16: vst1q_s16(static_cast<int16_t*>(o) + i, w); break;
      case QType::S32:
        vst1q_s32(static_cast<int32_t*>(o) + i, v[0]);
        vst1q_s32(static_cast<int32_t*>(o) + i + 4, v[1]);
        break;
    }
  };
  QRequantArgs t = a;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    step(acc + i, t, out, i);
    if (a.stride) {
      if (t.scale) t.scale += 8;
      if (t.multiplier) t.multiplier += 8;
      if (t.shift) t.shift += 8;
      if (t.bias) t.bias += 8;
    }
  }
  if (i == n) return;
  // Tail: the remaining elements (and per-lane parameters) through one padded step.
  const size_t r = n - i, bytes = a.out_type == QType::U8 || a.out_type == QType::S8 ? 1 : a.out_type == QType::S32 ? 4 : 2;
  int32_t x8[8] = {0}, m8[8] = {0}, s8[8] = {0}, b8[8] = {0}, o8[8];
  float f8[8] = {0};
  for (size_t j = 0; j < r; ++j) x8[j] = acc[i + j];
  if (a.stride) {
    for (size_t j = 0; j < r; ++j) {
      if (t.scale) f8[j] = t.scale[j];
      if (t.multiplier) m8[j] = t.multiplier[j];
      if (t.shift) s8[j] = t.shift[j];
      if (t.bias) b8[j] = t.bias[j];
    }
    if (t.scale) t.scale = f8;
    if (t.multiplier) t.multiplier = m8;
    if (t.shift) t.shift = s8;
    if (t.bias) t.bias = b8;
  }
  step(x8, t, o8, 0);
  std::memcpy(static_cast<char*>(out) + i * bytes, o8, r * bytes);
}

}  // namespace npuq
