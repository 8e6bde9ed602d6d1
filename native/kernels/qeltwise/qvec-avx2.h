// AVX2 building blocks of the quantized kernels, 8 int32 / float lanes. Include only from -avx2.cc
// files. Everything has internal linkage (anonymous namespace), so no copy compiled with AVX2 can be
// the one baseline code links to; nothing here calls an inline function of a shared header.
// Each helper is the lane-wise image of a scalar formula in npuq/rounding.h (named on each).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/simd/round-up-avx2.h"
#include "npuq/qkernels.h"

namespace npuq {
namespace {

inline size_t tsize(QType t) { return t == QType::U8 || t == QType::S8 ? 1 : 2; }
inline int32_t tmin(QType t) { return t == QType::U8 || t == QType::U16 ? 0 : t == QType::S8 ? -128 : -32768; }
inline int32_t tmax(QType t) { return t == QType::U8 ? 255 : t == QType::S8 ? 127 : t == QType::U16 ? 65535 : 32767; }

// 8 values of an 8/16-bit type widened to int32.
inline __m256i load8(const void* p, QType t) {
  switch (t) {
    case QType::U8: return _mm256_cvtepu8_epi32(_mm_loadl_epi64(static_cast<const __m128i*>(p)));
    case QType::S8: return _mm256_cvtepi8_epi32(_mm_loadl_epi64(static_cast<const __m128i*>(p)));
    case QType::U16: return _mm256_cvtepu16_epi32(_mm_loadu_si128(static_cast<const __m128i*>(p)));
    default: return _mm256_cvtepi16_epi32(_mm_loadu_si128(static_cast<const __m128i*>(p)));
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

// Stores 8 int32 lanes that already lie within t's range (the saturating packs are then exact).
inline void store8(void* p, QType t, __m256i v) {
  const __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
  switch (t) {
    case QType::U8: {
      const __m128i w = _mm_packs_epi32(lo, hi);
      _mm_storel_epi64(static_cast<__m128i*>(p), _mm_packus_epi16(w, w));
      break;
    }
    case QType::S8: {
      const __m128i w = _mm_packs_epi32(lo, hi);
      _mm_storel_epi64(static_cast<__m128i*>(p), _mm_packs_epi16(w, w));
      break;
    }
    case QType::U16: _mm_storeu_si128(static_cast<__m128i*>(p), _mm_packus_epi32(lo, hi)); break;
    default: _mm_storeu_si128(static_cast<__m128i*>(p), _mm_packs_epi32(lo, hi)); break;
  }
}

inline __m256i clamp8(__m256i v, __m256i lo, __m256i hi) { return _mm256_min_epi32(_mm256_max_epi32(v, lo), hi); }


inline __m256i odd_mask(__m256i q) {
  const __m256i one = _mm256_set1_epi32(1);
  return _mm256_cmpeq_epi32(_mm256_and_si256(q, one), one);
}

// round_mode(d, m) for |d| < 2^22. HalfToEven is cvtps under the default MXCSR (round to nearest even).
// The other modes compare d with f = floor(d) and f + 0.5, both exact here (d - f would not be: for d
// in (-1, 0) it needs more bits than a float has, e.g. -0.49999997 + 1 rounds to 0.5).
inline __m256i round8(__m256 d, Round m) {
  if (m == Round::HalfToEven) return _mm256_cvtps_epi32(d);
  const __m256 f = _mm256_floor_ps(d), h = _mm256_add_ps(f, _mm256_set1_ps(0.5f));
  const __m256i fi = _mm256_cvttps_epi32(f);
  const __m256i gt = _mm256_castps_si256(_mm256_cmp_ps(d, h, _CMP_GT_OQ));
  const __m256i tie = _mm256_castps_si256(_mm256_cmp_ps(d, h, _CMP_EQ_OQ));
  const __m256i inexact = _mm256_castps_si256(_mm256_cmp_ps(d, f, _CMP_NEQ_OQ));
  const __m256i neg = _mm256_castps_si256(_mm256_cmp_ps(d, _mm256_setzero_ps(), _CMP_LT_OQ));
  return _mm256_sub_epi32(fi, up_mask(m, gt, tie, inexact, neg, odd_mask(fi)));
}

// The float tail of quantize_value / requantize(FloatScale): d is clamped to [qmin - zp, qmax - zp]
// (a NaN d becomes the low bound: MAXPS returns its second operand), rounded, + zp; lanes of `nan`
// give clamp(zp) instead. Clamping first equals clamping after: the rounding is monotone and the
// bounds are integers (exact in float for |zp| <= 2^20).
struct FloatOut {
  __m256 lo, hi;
  __m256i zp, zp_clamped;
  Round round;
};

inline FloatOut float_out(int32_t zp, int32_t qmin, int32_t qmax, Round round) {
  FloatOut o;
  o.lo = _mm256_set1_ps(float(int64_t(qmin) - zp));
  o.hi = _mm256_set1_ps(float(int64_t(qmax) - zp));
  o.zp = _mm256_set1_epi32(zp);
  o.zp_clamped = _mm256_set1_epi32(zp < qmin ? qmin : zp > qmax ? qmax : zp);
  o.round = round;
  return o;
}

inline __m256i finish8(__m256 d, __m256 nan, const FloatOut& o) {
  d = _mm256_min_ps(_mm256_max_ps(d, o.lo), o.hi);
  const __m256i q = _mm256_add_epi32(round8(d, o.round), o.zp);
  return _mm256_blendv_epi8(q, o.zp_clamped, _mm256_castps_si256(nan));
}

inline __m256 isnan8(__m256 v) { return _mm256_cmp_ps(v, v, _CMP_UNORD_Q); }

// ---- TPU-MLIR multiply-shift on int32 lanes ----

// rshift_round(v, shift, m) for lanes with |v| <= 2^31 - 1 and shift in [0, 62], all ten modes:
// q = v >> s (floor), rem = v & (2^s - 1), decided against half = 2^(s-1) by up_mask. shift 0: mask 0,
// half 1, so nothing is added. shift >= 32: v / 2^shift lies in (-1/2, 1/2), so only the sign of v
// matters; clamp(v, -1, 1) >> 31 has the same floor, the same remainder classes (0; in (0, 1/2);
// above 1/2 for v < 0) and the same parity, hence the same rounding in every mode.
struct RShift8 {
  bool big = false;  // shift >= 32
  __m128i count;
  __m256i mask, half;
};

inline RShift8 rshift8(int shift) {
  RShift8 r;
  r.big = shift >= 32;
  const int s = r.big ? 31 : shift;
  r.count = _mm_cvtsi32_si128(s);
  r.mask = _mm256_set1_epi32(int32_t((int64_t(1) << s) - 1));
  r.half = _mm256_set1_epi32(s ? int32_t(1) << (s - 1) : 1);
  return r;
}

inline __m256i rshift_round8(__m256i v, const RShift8& r, Round m) {
  const __m256i zero = _mm256_setzero_si256();
  if (r.big) v = clamp8(v, _mm256_set1_epi32(-1), _mm256_set1_epi32(1));
  const __m256i q = _mm256_sra_epi32(v, r.count);
  const __m256i rem = _mm256_and_si256(v, r.mask);  // in [0, 2^31): signed compares are exact
  const __m256i gt = _mm256_cmpgt_epi32(rem, r.half), tie = _mm256_cmpeq_epi32(rem, r.half);
  const __m256i inexact = _mm256_cmpgt_epi32(rem, zero), neg = _mm256_cmpgt_epi32(zero, v);
  return _mm256_sub_epi32(q, up_mask(m, gt, tie, inexact, neg, odd_mask(q)));
}

// ---- gemmlowp fixed point ----

// srdhm: (a*b + 2^30) >> 31 (== the nudged, truncating division), INT32_MIN * INT32_MIN -> INT32_MAX.
inline __m256i srdhm8(__m256i a, __m256i b) {
  const __m256i nudge = _mm256_set1_epi64x(int64_t(1) << 30);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(a, b), nudge);
  const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32)), nudge);
  // Bits 31..62 of each 64-bit sum: the even result in the low half, the odd one in the high half.
  const __m256i r = _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
  const __m256i min = _mm256_set1_epi32(INT32_MIN);
  const __m256i sat = _mm256_and_si256(_mm256_cmpeq_epi32(a, min), _mm256_cmpeq_epi32(b, min));
  return _mm256_blendv_epi8(r, _mm256_set1_epi32(INT32_MAX), sat);
}

// rounding_divide_by_pot, e in [0, 31].
inline __m256i rdbpot8(__m256i x, int e) {
  const int32_t m = int32_t((int64_t(1) << e) - 1);
  const __m256i mask = _mm256_set1_epi32(m);
  const __m256i rem = _mm256_and_si256(x, mask);
  const __m256i thr = _mm256_sub_epi32(_mm256_set1_epi32(m >> 1), _mm256_cmpgt_epi32(_mm256_setzero_si256(), x));
  const __m256i q = _mm256_sra_epi32(x, _mm_cvtsi32_si128(e));
  return _mm256_sub_epi32(q, _mm256_cmpgt_epi32(rem, thr));
}

// mul_by_quantized_multiplier (shift > 0: left shift first, wrapping like the scalar uint32 shift).
inline __m256i mbqm8(__m256i x, __m256i M, int shift) {
  if (shift > 0) x = _mm256_sll_epi32(x, _mm_cvtsi32_si128(shift));
  return rdbpot8(srdhm8(x, M), shift > 0 ? 0 : -shift);
}

// Saturating int32 add / subtract.
inline __m256i sat_add8(__m256i a, __m256i b) {
  const __m256i s = _mm256_add_epi32(a, b);
  const __m256i ov = _mm256_srai_epi32(_mm256_and_si256(_mm256_xor_si256(a, s), _mm256_xor_si256(b, s)), 31);
  const __m256i sat = _mm256_xor_si256(_mm256_srai_epi32(a, 31), _mm256_set1_epi32(INT32_MAX));
  return _mm256_blendv_epi8(s, sat, ov);
}

inline __m256i sat_sub8(__m256i a, __m256i b) {
  const __m256i d = _mm256_sub_epi32(a, b);
  const __m256i ov = _mm256_srai_epi32(_mm256_and_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(a, d)), 31);
  const __m256i sat = _mm256_xor_si256(_mm256_srai_epi32(a, 31), _mm256_set1_epi32(INT32_MAX));
  return _mm256_blendv_epi8(d, sat, ov);
}

}  // namespace
}  // namespace npuq
