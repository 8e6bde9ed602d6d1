// The polynomial math library on 8 lanes (AVX2 + FMA): the same operations, in the same order, as
// vmath-scalar.h; branches there are blends here. Include only from -avx2.cc files.
#pragma once
#include <immintrin.h>

#include <cmath>

#include "kernels/eltwise/vmath-consts.h"

namespace npuq {
namespace vmath {
namespace {

inline __m256 v1(float f) { return _mm256_set1_ps(f); }
inline __m256 vbits(int u) { return _mm256_castsi256_ps(_mm256_set1_epi32(u)); }
inline __m256 v_abs(__m256 x) { return _mm256_and_ps(x, vbits(0x7fffffff)); }
inline __m256 v_copysign(__m256 mag, __m256 sgn) {
  const __m256 s = vbits(static_cast<int>(0x80000000u));
  return _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sgn));
}
// mask ? a : b
inline __m256 v_sel(__m256 mask, __m256 a, __m256 b) { return _mm256_blendv_ps(b, a, mask); }
inline __m256 v_fma(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }

inline __m256 neg8(__m256 x) { return _mm256_xor_ps(x, vbits(static_cast<int>(0x80000000u))); }

inline __m256 exp8(__m256 x) {
  x = _mm256_max_ps(v1(kExpLo), x);
  x = _mm256_min_ps(v1(kExpHi), x);
  const __m256 t = v_fma(x, v1(kLog2e), v1(kMagic));
  const __m256 n = _mm256_sub_ps(t, v1(kMagic));
  __m256 r = v_fma(n, v1(-kLn2Hi), x);
  r = v_fma(n, v1(-kLn2Lo), r);
  __m256 p = v1(kExpP0);
  p = v_fma(p, r, v1(kExpP1));
  p = v_fma(p, r, v1(kExpP2));
  p = v_fma(p, r, v1(kExpP3));
  p = v_fma(p, r, v1(kExpP4));
  p = v_fma(p, r, v1(kExpP5));
  __m256 y = v_fma(p, _mm256_mul_ps(r, r), r);
  y = _mm256_add_ps(y, v1(1.0f));
  const __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(v1(kMagic)));
  const __m256i n1 = _mm256_srai_epi32(ni, 1);
  const __m256i n2 = _mm256_sub_epi32(ni, n1);
  const __m256i bias = _mm256_set1_epi32(127);
  const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
  const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
  return _mm256_mul_ps(_mm256_mul_ps(y, s1), s2);
}

inline __m256 log8(__m256 x) {
  const __m256 den = _mm256_cmp_ps(x, v1(kMinNormal), _CMP_LT_OQ);
  const __m256 xs = v_sel(den, _mm256_mul_ps(x, v1(kTwo23)), x);
  const __m256i ix = _mm256_castps_si256(xs);
  __m256i e = _mm256_sub_epi32(_mm256_and_si256(_mm256_srli_epi32(ix, 23), _mm256_set1_epi32(0xff)),
                               _mm256_set1_epi32(126));
  e = _mm256_sub_epi32(e, _mm256_and_si256(_mm256_castps_si256(den), _mm256_set1_epi32(23)));
  __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(ix, _mm256_set1_epi32(0x007fffff)),
                                                 _mm256_set1_epi32(0x3f000000)));
  const __m256 lt = _mm256_cmp_ps(m, v1(kSqrtHalf), _CMP_LT_OQ);
  e = _mm256_add_epi32(e, _mm256_castps_si256(lt));  // lt lanes are -1
  m = v_sel(lt, _mm256_add_ps(m, m), m);
  m = _mm256_sub_ps(m, v1(1.0f));
  const __m256 z = _mm256_mul_ps(m, m);
  __m256 p = v1(kLogP0);
  p = v_fma(p, m, v1(kLogP1));
  p = v_fma(p, m, v1(kLogP2));
  p = v_fma(p, m, v1(kLogP3));
  p = v_fma(p, m, v1(kLogP4));
  p = v_fma(p, m, v1(kLogP5));
  p = v_fma(p, m, v1(kLogP6));
  p = v_fma(p, m, v1(kLogP7));
  p = v_fma(p, m, v1(kLogP8));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, m), z);
  const __m256 fe = _mm256_cvtepi32_ps(e);
  y = v_fma(fe, v1(kLn2Lo), y);
  y = v_fma(z, v1(-0.5f), y);
  __m256 r = _mm256_add_ps(m, y);
  r = v_fma(fe, v1(kLn2Hi), r);
  const __m256 inf = v1(HUGE_VALF);
  r = v_sel(_mm256_cmp_ps(x, inf, _CMP_EQ_OQ), x, r);
  r = v_sel(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_EQ_OQ), v1(-HUGE_VALF), r);
  r = v_sel(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ), vbits(0x7fc00000), r);
  return v_sel(_mm256_cmp_ps(x, x, _CMP_UNORD_Q), x, r);
}

inline __m256 tanh8(__m256 x) {
  const __m256 ax = v_abs(x);
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = v1(kTanhP0);
  p = v_fma(p, z, v1(kTanhP1));
  p = v_fma(p, z, v1(kTanhP2));
  p = v_fma(p, z, v1(kTanhP3));
  p = v_fma(p, z, v1(kTanhP4));
  const __m256 small = v_fma(_mm256_mul_ps(p, z), x, x);
  const __m256 e = exp8(_mm256_add_ps(ax, ax));
  const __m256 big = v_copysign(
      _mm256_sub_ps(v1(1.0f), _mm256_div_ps(v1(2.0f), _mm256_add_ps(e, v1(1.0f)))), x);
  return v_sel(_mm256_cmp_ps(ax, v1(kTanhSmall), _CMP_LT_OQ), small, big);
}

inline __m256 sigmoid8(__m256 x) {
  const __m256 e = exp8(neg8(v_abs(x)));
  const __m256 f = _mm256_div_ps(e, _mm256_add_ps(v1(1.0f), e));
  return v_sel(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ), _mm256_sub_ps(v1(1.0f), f), f);
}

inline __m256 erf_small8(__m256 x) {
  const __m256 z = _mm256_mul_ps(x, x);
  __m256 p = v1(kErfP0);
  p = v_fma(p, z, v1(kErfP1));
  p = v_fma(p, z, v1(kErfP2));
  p = v_fma(p, z, v1(kErfP3));
  p = v_fma(p, z, v1(kErfP4));
  p = v_fma(p, z, v1(kErfP5));
  p = v_fma(p, z, v1(kErfP6));
  return _mm256_mul_ps(x, p);
}

inline __m256 erfc_tail8(__m256 a, __m256 e) {
  const __m256 t = _mm256_div_ps(v1(1.0f), v_fma(a, v1(0.5f), v1(1.0f)));
  __m256 r = v1(kErfcR0);
  r = v_fma(r, t, v1(kErfcR1));
  r = v_fma(r, t, v1(kErfcR2));
  r = v_fma(r, t, v1(kErfcR3));
  r = v_fma(r, t, v1(kErfcR4));
  r = v_fma(r, t, v1(kErfcR5));
  r = v_fma(r, t, v1(kErfcR6));
  r = v_fma(r, t, v1(kErfcR7));
  r = v_fma(r, t, v1(kErfcR8));
  r = v_fma(r, t, v1(kErfcR9));
  return _mm256_mul_ps(e, r);
}

inline __m256 erf8(__m256 x) {
  const __m256 ax = v_abs(x);
  const __m256 a = _mm256_min_ps(v1(kErfMax), ax);
  const __m256 hi = _mm256_mul_ps(a, a);
  const __m256 lo = _mm256_fmsub_ps(a, a, hi);
  __m256 e = exp8(neg8(hi));
  e = _mm256_fnmadd_ps(e, lo, e);
  const __m256 big = v_copysign(_mm256_sub_ps(v1(1.0f), erfc_tail8(a, e)), x);
  return v_sel(_mm256_cmp_ps(ax, v1(kErfSmall), _CMP_LT_OQ), erf_small8(x), big);
}

inline __m256 gelu8(__m256 x) {
  const __m256 z = _mm256_mul_ps(x, v1(kFrac1Sqrt2));
  const __m256 hx = _mm256_mul_ps(v1(0.5f), x);
  const __m256 small = _mm256_mul_ps(hx, _mm256_add_ps(v1(1.0f), erf_small8(z)));
  const __m256 a = _mm256_min_ps(v1(kGeluMax), v_abs(x));
  const __m256 hi = _mm256_mul_ps(a, a);
  const __m256 lo = _mm256_fmsub_ps(a, a, hi);
  __m256 e = exp8(neg8(_mm256_mul_ps(v1(0.5f), hi)));
  e = _mm256_fnmadd_ps(e, _mm256_mul_ps(v1(0.5f), lo), e);
  const __m256 c = erfc_tail8(_mm256_mul_ps(a, v1(kFrac1Sqrt2)), e);
  const __m256 pos = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GT_OQ);
  const __m256 big = _mm256_mul_ps(hx, v_sel(pos, _mm256_sub_ps(v1(2.0f), c), c));
  const __m256 g = v_sel(_mm256_cmp_ps(v_abs(z), v1(kErfSmall), _CMP_LT_OQ), small, big);
  return v_sel(_mm256_cmp_ps(x, v1(kGeluZero), _CMP_LT_OQ), v1(-0.0f), g);
}

inline __m256 expm1_8(__m256 x) {
  __m256 p = v1(kExpm1P0);
  p = v_fma(p, x, v1(kExpm1P1));
  p = v_fma(p, x, v1(kExpm1P2));
  p = v_fma(p, x, v1(kExpm1P3));
  p = v_fma(p, x, v1(kExpm1P4));
  p = v_fma(p, x, v1(kExpm1P5));
  p = v_fma(p, x, v1(kExpm1P6));
  const __m256 small = v_fma(p, _mm256_mul_ps(x, x), x);
  const __m256 big = _mm256_sub_ps(exp8(x), v1(1.0f));
  return v_sel(_mm256_cmp_ps(v_abs(x), v1(kExpm1Small), _CMP_LT_OQ), small, big);
}

inline __m256 softplus8(__m256 x) {
  const __m256 zero = _mm256_setzero_ps();
  const __m256 m = v_sel(_mm256_cmp_ps(x, zero, _CMP_GT_OQ), x, zero);
  const __m256 u = exp8(neg8(v_abs(x)));
  const __m256 v = _mm256_add_ps(v1(1.0f), u);
  const __m256 l = _mm256_mul_ps(log8(v), _mm256_div_ps(u, _mm256_sub_ps(v, v1(1.0f))));
  return _mm256_add_ps(m, v_sel(_mm256_cmp_ps(v, v1(1.0f), _CMP_EQ_OQ), u, l));
}

}  // namespace
}  // namespace vmath
}  // namespace npuq
