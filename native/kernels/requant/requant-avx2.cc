// requant_s32_8x__avx2: 8 accumulators per step for FloatScale, FixedPointDouble, FixedPointSingle,
// MultiplierShift and ShiftOnly (every rounding mode); MultiplierShiftFloat, and runs with a left shift
// (MultiplierShift / ShiftOnly shift < 0), go to requant_s32__scalar.
//
// Exactness: every result is first clamped to [qmin - zp, qmax - zp] and then offset by zp, which equals
// clamp(v + zp, qmin, qmax) without int32 overflow. Int32 results use the bounds clamped to int32; the
// 64-bit ones of MultiplierShift / ShiftOnly the exact bounds in 64-bit lanes.
//  - FloatScale: cvtepi32_ps and mul_ps round to nearest even like the scalar float(acc) * scale; the
//    product is clamped to [qmin - zp, qmax - zp] in float before rounding, which is exact when both are
//    within +-2^24 (else scalar) and equals clamping after it (the rounding modes are monotone and keep
//    integers). Rounding: cvtps (half to even), floor / ceil / trunc, or floor + exact fraction
//    (f - floor(f)) compared with 0.5 for the other modes.
//  - FixedPointDouble: SRDHM = floor((a*b + 2^30) / 2^31) on 64-bit products (equal to gemmlowp's
//    sign-dependent nudge with truncating division; INT32_MIN * INT32_MIN saturates), then
//    RoundingDivideByPOT as (x >> e) + (remainder > threshold), written (x >> e) - ((thr - rem) >> 31).
//  - FixedPointSingle: (x*M + 2^(t-1)) >> t on 64-bit lanes (arithmetic shift via the sign-flip identity
//    floor(v / 2^t) = ((v ^ 2^63) >>> t) - 2^(63-t)), clamped in 64 bits.
//  - MultiplierShift / ShiftOnly (M = 1), right shifts r in [0, 62]: the exact product p = x*M on 64-bit
//    lanes (|p| <= 2^62), q = floor(p / 2^r) by the same identity, rem = p & (2^r - 1), and up_mask's
//    decision against half = 2^(r-1) (1 when r = 0, where rem is 0 and nothing is added). HalfUp, the
//    TPU-MLIR mode, is floor((p + 2^(r-1)) / 2^r) directly (no overflow: 2^62 + 2^61 < 2^63). The
//    scalar's saturation at +-2^62 cannot bind (|q| <= |p| <= 2^62); the result is clamped in 64 bits.
//    ShiftOnly by 0 for a whole run (the int32 output of ConvInteger / MatMulInteger) is x itself.
#include <immintrin.h>

#include <cstring>

#include "dispatch/q-kernels.h"
#include "kernels/simd/round-up-avx2.h"

namespace npuq {

namespace {

inline __m256i round_ps(__m256 f, Round m) {
  switch (m) {
    case Round::HalfToEven: return _mm256_cvtps_epi32(f);
    case Round::Floor: return _mm256_cvtps_epi32(_mm256_round_ps(f, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
    case Round::Ceil: return _mm256_cvtps_epi32(_mm256_round_ps(f, _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC));
    case Round::TowardZero: return _mm256_cvttps_epi32(f);
    default: break;
  }
  const __m256 fl = _mm256_round_ps(f, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  const __m256 frac = _mm256_sub_ps(f, fl);  // exact
  const __m256i fi = _mm256_cvtps_epi32(fl);
  const __m256 half = _mm256_set1_ps(0.5f), zero = _mm256_setzero_ps();
  const __m256 gt = _mm256_cmp_ps(frac, half, _CMP_GT_OQ), eq = _mm256_cmp_ps(frac, half, _CMP_EQ_OQ);
  __m256 inc;
  switch (m) {
    case Round::HalfAwayFromZero: inc = _mm256_or_ps(gt, _mm256_and_ps(eq, _mm256_cmp_ps(f, zero, _CMP_GE_OQ))); break;
    case Round::HalfUp: inc = _mm256_cmp_ps(frac, half, _CMP_GE_OQ); break;
    case Round::HalfDown: inc = gt; break;
    case Round::HalfToOdd: {
      const __m256i even = _mm256_cmpeq_epi32(_mm256_and_si256(fi, _mm256_set1_epi32(1)), _mm256_setzero_si256());
      inc = _mm256_or_ps(gt, _mm256_and_ps(eq, _mm256_castsi256_ps(even)));
      break;
    }
    case Round::HalfTowardZero: inc = _mm256_or_ps(gt, _mm256_and_ps(eq, _mm256_cmp_ps(f, zero, _CMP_LT_OQ))); break;
    case Round::AwayFromZero:
      inc = _mm256_and_ps(_mm256_cmp_ps(frac, zero, _CMP_GT_OQ), _mm256_cmp_ps(f, zero, _CMP_GE_OQ));
      break;
    default: inc = zero; break;
  }
  return _mm256_sub_epi32(fi, _mm256_castps_si256(inc));  // inc lanes are all-ones (-1) or 0
}

inline __m256i fixed_double(__m256i x, __m256i m, __m256i s) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i left = _mm256_max_epi32(s, zero), right = _mm256_max_epi32(_mm256_sub_epi32(zero, s), zero);
  const __m256i x1 = _mm256_sllv_epi32(x, left);
  const __m256i nudge = _mm256_set1_epi64x(int64_t(1) << 30);
  __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x1, m), nudge);
  __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x1, 32), _mm256_srli_epi64(m, 32)), nudge);
  even = _mm256_srli_epi64(even, 31);  // bits 31..62 to the low half
  odd = _mm256_slli_epi64(odd, 1);     // bits 31..62 to the high half
  __m256i h = _mm256_blend_epi32(even, odd, 0xAA);
  const __m256i mn = _mm256_set1_epi32(INT32_MIN);
  h = _mm256_xor_si256(h, _mm256_and_si256(_mm256_cmpeq_epi32(x1, mn), _mm256_cmpeq_epi32(m, mn)));  // -> INT32_MAX
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), right), _mm256_set1_epi32(1));
  const __m256i rem = _mm256_and_si256(h, mask);
  const __m256i thr = _mm256_add_epi32(_mm256_srli_epi32(mask, 1), _mm256_srli_epi32(h, 31));
  return _mm256_sub_epi32(_mm256_srav_epi32(h, right), _mm256_srai_epi32(_mm256_sub_epi32(thr, rem), 31));
}

// One half (even or odd 32-bit lanes, as the low halves of 64-bit lanes) of FixedPointSingle.
inline __m256i fixed_single_half(__m256i x, __m256i m, __m256i t, __m256i lo, __m256i hi) {
  const __m256i one = _mm256_set1_epi64x(1), sign = _mm256_set1_epi64x(INT64_MIN);
  __m256i v = _mm256_add_epi64(_mm256_mul_epi32(x, m), _mm256_sllv_epi64(one, _mm256_sub_epi64(t, one)));
  v = _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_xor_si256(v, sign), t), _mm256_srlv_epi64(sign, t));
  v = _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
  return _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
}

inline __m256i fixed_single(__m256i x, __m256i m, __m256i s, __m256i lo64, __m256i hi64) {
  const __m256i t = _mm256_sub_epi32(_mm256_set1_epi32(31), s);  // total right shift, [1, 62]
  const __m256i low = _mm256_set1_epi64x(0xffffffff);
  const __m256i even = fixed_single_half(x, m, _mm256_and_si256(t, low), lo64, hi64);
  const __m256i odd = fixed_single_half(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32), _mm256_srli_epi64(t, 32),
                                        lo64, hi64);
  return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

// floor(v / 2^t) per 64-bit lane, t in [0, 63] (AVX2 has no 64-bit arithmetic shift).
inline __m256i floor_shift64(__m256i v, __m256i t) {
  const __m256i sign = _mm256_set1_epi64x(INT64_MIN);
  return _mm256_sub_epi64(_mm256_srlv_epi64(_mm256_xor_si256(v, sign), t), _mm256_srlv_epi64(sign, t));
}

inline __m256i clamp64(__m256i v, __m256i lo, __m256i hi) {
  v = _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
  return _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
}

// One half of MultiplierShift (even or odd 32-bit lanes, as the low halves of 64-bit lanes; r: the right
// shifts as 64-bit lanes), clamped to [qmin - zp, qmax - zp] = [lo, hi] in 64 bits (these results need
// not fit int32). HalfUp: the mode known at compile time.
template <bool HalfUp>
inline __m256i mul_shift_half(__m256i x, __m256i m, __m256i r, Round mode, __m256i lo, __m256i hi) {
  const __m256i one = _mm256_set1_epi64x(1), zero = _mm256_setzero_si256();
  const __m256i p = _mm256_mul_epi32(x, m);
  const __m256i mask = _mm256_sub_epi64(_mm256_sllv_epi64(one, r), one);
  if (HalfUp) return clamp64(floor_shift64(_mm256_add_epi64(p, _mm256_srli_epi64(_mm256_add_epi64(mask, one), 1)), r), lo, hi);
  const __m256i q = floor_shift64(p, r), rem = _mm256_and_si256(p, mask);
  const __m256i half = _mm256_add_epi64(_mm256_srli_epi64(mask, 1), one);
  const __m256i gt = _mm256_cmpgt_epi64(rem, half), tie = _mm256_cmpeq_epi64(rem, half);
  const __m256i inexact = _mm256_cmpgt_epi64(rem, zero), neg = _mm256_cmpgt_epi64(zero, p);
  const __m256i odd = _mm256_cmpeq_epi64(_mm256_and_si256(q, one), one);
  return clamp64(_mm256_sub_epi64(q, up_mask(mode, gt, tie, inexact, neg, odd)), lo, hi);
}

// MultiplierShift / ShiftOnly (m = 1) on 8 lanes, zero point added; s: right shifts in [0, 62].
template <bool HalfUp>
inline __m256i mul_shift(__m256i x, __m256i m, __m256i s, Round mode, __m256i lo, __m256i hi, __m256i zp) {
  const __m256i even = mul_shift_half<HalfUp>(x, m, _mm256_and_si256(s, _mm256_set1_epi64x(0xffffffff)), mode, lo, hi);
  const __m256i odd = mul_shift_half<HalfUp>(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32), _mm256_srli_epi64(s, 32),
                                             mode, lo, hi);
  return _mm256_add_epi32(_mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA), zp);
}

template <QType T>
inline void store8(void* out, size_t i, __m256i v) {
  const __m128i l = _mm256_castsi256_si128(v), h = _mm256_extracti128_si256(v, 1);
  switch (T) {
    case QType::U8:
      _mm_storel_epi64(reinterpret_cast<__m128i*>(static_cast<uint8_t*>(out) + i),
                       _mm_packus_epi16(_mm_packs_epi32(l, h), _mm_setzero_si128()));
      break;
    case QType::S8:
      _mm_storel_epi64(reinterpret_cast<__m128i*>(static_cast<int8_t*>(out) + i),
                       _mm_packs_epi16(_mm_packs_epi32(l, h), _mm_setzero_si128()));
      break;
    case QType::U16:
      _mm_storeu_si128(reinterpret_cast<__m128i*>(static_cast<uint16_t*>(out) + i), _mm_packus_epi32(l, h));
      break;
    case QType::S16:
      _mm_storeu_si128(reinterpret_cast<__m128i*>(static_cast<int16_t*>(out) + i), _mm_packs_epi32(l, h));
      break;
    case QType::S32: _mm256_storeu_si256(reinterpret_cast<__m256i*>(static_cast<int32_t*>(out) + i), v); break;
  }
}

inline int32_t clamp32(int64_t v) { return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : int32_t(v); }

enum Kind { kFloatEven, kFloatOther, kFixedDouble, kFixedSingle, kMulShift, kMulShiftHalfUp, kIdentity };

struct Ctx {
  __m256i lo, hi, lo_q, hi_q, zp, bias, mult, shift;  // the last three: broadcasts for stride 0 (mult:
                                                      // also ShiftOnly's 1)
  __m256i lo_w, hi_w;                                 // qmin - zp, qmax - zp in 64-bit lanes, unclamped
  __m256 fmin, fmax, scale;
  Round round;
};

// Requantized (clamped, zero point added) lanes i..i+8 of the run.
template <Kind K, bool PerLane>
inline __m256i body(const Ctx& c, const QRequantArgs& p, const int32_t* acc, size_t i) {
  __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(acc + i));
  if (p.bias) x = _mm256_add_epi32(x, PerLane ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.bias + i)) : c.bias);
  __m256i v;
  if (K == kFloatEven || K == kFloatOther) {
    const __m256 sc = PerLane ? _mm256_loadu_ps(p.scale + i) : c.scale;
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(x), sc);
    // Clamped in float to [qmin - zp, qmax - zp] (integers, exact in float here): every rounding mode
    // is monotone and keeps integers, so rounding the clamped value gives the clamped rounding.
    f = _mm256_min_ps(_mm256_max_ps(f, c.fmin), c.fmax);
    return _mm256_add_epi32(K == kFloatEven ? _mm256_cvtps_epi32(f) : round_ps(f, c.round), c.zp);
  } else if (K == kIdentity) {  // ShiftOnly by 0 (ConvInteger / MatMulInteger): x itself, int32
    v = x;
  } else {
    const __m256i m = PerLane && p.multiplier ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.multiplier + i)) : c.mult;
    const __m256i s = PerLane ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.shift + i)) : c.shift;
    if (K == kFixedDouble) v = fixed_double(x, m, s);
    else if (K == kFixedSingle) v = fixed_single(x, m, s, c.lo_q, c.hi_q);
    else return mul_shift<K == kMulShiftHalfUp>(x, m, s, c.round, c.lo_w, c.hi_w, c.zp);
  }
  return _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(v, c.lo), c.hi), c.zp);
}

template <Kind K, bool PerLane, QType T>
void run(const Ctx& c, const QRequantArgs& a, const int32_t* acc, size_t n, void* out) {
  size_t i = 0;
  if (T == QType::U8 || T == QType::S8) {
    // 32 results per store: two packs to int16, one to bytes, and one permute that undoes the packs'
    // 128-bit lane interleave (the values are in range already: the packs' saturation does nothing).
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (; i + 32 <= n; i += 32) {
      const __m256i ab = _mm256_packs_epi32(body<K, PerLane>(c, a, acc, i), body<K, PerLane>(c, a, acc, i + 8));
      const __m256i cd = _mm256_packs_epi32(body<K, PerLane>(c, a, acc, i + 16), body<K, PerLane>(c, a, acc, i + 24));
      const __m256i bytes = T == QType::U8 ? _mm256_packus_epi16(ab, cd) : _mm256_packs_epi16(ab, cd);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(static_cast<char*>(out) + i), _mm256_permutevar8x32_epi32(bytes, order));
    }
  }
  for (; i + 8 <= n; i += 8) store8<T>(out, i, body<K, PerLane>(c, a, acc, i));
  if (i == n) return;
  // Tail: the remaining elements (and per-lane parameters) through one padded step.
  const size_t r = n - i, bytes = T == QType::U8 || T == QType::S8 ? 1 : T == QType::S32 ? 4 : 2;
  alignas(32) int32_t x8[8] = {0}, m8[8] = {0}, s8[8] = {0}, b8[8] = {0}, o8[8];
  alignas(32) float f8[8] = {0};
  QRequantArgs t = a;
  for (size_t j = 0; j < r; ++j) {
    x8[j] = acc[i + j];
    if (PerLane) {
      if (a.scale) f8[j] = a.scale[i + j];
      if (a.multiplier) m8[j] = a.multiplier[i + j];
      if (a.shift) s8[j] = a.shift[i + j];
      if (a.bias) b8[j] = a.bias[i + j];
    }
  }
  if (PerLane) {
    if (t.scale) t.scale = f8;
    if (t.multiplier) t.multiplier = m8;
    if (t.shift) t.shift = s8;
    if (t.bias) t.bias = b8;
  }
  store8<T>(o8, 0, body<K, PerLane>(c, t, x8, 0));
  std::memcpy(static_cast<char*>(out) + i * bytes, o8, r * bytes);
}

template <Kind K, bool PerLane>
void run_type(const Ctx& c, const QRequantArgs& a, const int32_t* acc, size_t n, void* out) {
  switch (a.out_type) {
    case QType::U8: return run<K, PerLane, QType::U8>(c, a, acc, n, out);
    case QType::S8: return run<K, PerLane, QType::S8>(c, a, acc, n, out);
    case QType::U16: return run<K, PerLane, QType::U16>(c, a, acc, n, out);
    case QType::S16: return run<K, PerLane, QType::S16>(c, a, acc, n, out);
    case QType::S32: return run<K, PerLane, QType::S32>(c, a, acc, n, out);
  }
}

template <Kind K>
void run_kind(const Ctx& c, const QRequantArgs& a, const int32_t* acc, size_t n, void* out) {
  if (a.stride) return run_type<K, true>(c, a, acc, n, out);
  run_type<K, false>(c, a, acc, n, out);
}

}  // namespace

void requant_s32_8x__avx2(const QRequantArgs& a, const int32_t* acc, size_t n, void* out) {
  const int64_t lo64 = int64_t(a.qmin) - a.zp, hi64 = int64_t(a.qmax) - a.zp;
  const bool fs = a.method == RequantMethod::FloatScale;
  const bool ms = a.method == RequantMethod::MultiplierShift || a.method == RequantMethod::ShiftOnly;
  const bool vec = (fs && lo64 >= -(int64_t(1) << 24) && hi64 <= (int64_t(1) << 24)) ||
                   a.method == RequantMethod::FixedPointDouble || a.method == RequantMethod::FixedPointSingle ||
                   (ms && a.right_shifts);
  if (!vec) return requant_s32__scalar(a, acc, n, out);
  Ctx c;
  c.lo = _mm256_set1_epi32(clamp32(lo64));
  c.hi = _mm256_set1_epi32(clamp32(hi64));
  c.lo_q = _mm256_set1_epi64x(clamp32(lo64));
  c.hi_q = _mm256_set1_epi64x(clamp32(hi64));
  c.lo_w = _mm256_set1_epi64x(lo64);
  c.hi_w = _mm256_set1_epi64x(hi64);
  c.zp = _mm256_set1_epi32(a.zp);
  c.fmax = _mm256_set1_ps(float(hi64));  // |lo64|, |hi64| <= 2^24 on the float paths: exact
  c.fmin = _mm256_set1_ps(float(lo64));
  c.bias = _mm256_set1_epi32(a.bias ? a.bias[0] : 0);
  c.mult = _mm256_set1_epi32(a.multiplier ? a.multiplier[0] : 1);
  c.shift = _mm256_set1_epi32(a.shift ? a.shift[0] : 0);
  c.scale = _mm256_set1_ps(a.scale ? a.scale[0] : 0.0f);
  c.round = a.round;
  if (fs && a.round == Round::HalfToEven) return run_kind<kFloatEven>(c, a, acc, n, out);
  if (fs) return run_kind<kFloatOther>(c, a, acc, n, out);
  if (a.method == RequantMethod::FixedPointDouble) return run_kind<kFixedDouble>(c, a, acc, n, out);
  if (a.method == RequantMethod::FixedPointSingle) return run_kind<kFixedSingle>(c, a, acc, n, out);
  if (a.method == RequantMethod::ShiftOnly && !a.stride && a.shift[0] == 0) return run_kind<kIdentity>(c, a, acc, n, out);
  if (a.round == Round::HalfUp) return run_kind<kMulShiftHalfUp>(c, a, acc, n, out);
  run_kind<kMulShift>(c, a, acc, n, out);
}

}  // namespace npuq
