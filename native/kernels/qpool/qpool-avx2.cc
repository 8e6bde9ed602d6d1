// Quantized pooling, AVX2: 8 outputs of a row per step over the pre-padded int32 plane (rows have 8
// int32 of slack, so the last vector of a row may read past OW; only OW outputs are stored).
// Average: int32 sums (the driver guarantees no overflow), then div_round by the window count exactly:
// floor(num / den) via double division and floor (exact: |num| < 2^31, so the double quotient never
// crosses an integer), remainder num - q*den in int32, and the mode decided on the remainder as
// div_round does. Row sums: psadbw for bytes, pmaddwd for 16-bit, both exact.
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qvec-avx2.h"

namespace npuq {

namespace {

// Stores the first r (<= 8) lanes of v as type t.
inline void store_part(char* y, QType t, __m256i v, size_t r) {
  if (r == 8) return store8(y, t, v);
  alignas(32) char tmp[16];
  store8(tmp, t, v);
  std::memcpy(y, tmp, r * tsize(t));
}

inline __m256i floor_div8(__m256i num, __m256i den) {
  const __m256d n0 = _mm256_cvtepi32_pd(_mm256_castsi256_si128(num));
  const __m256d n1 = _mm256_cvtepi32_pd(_mm256_extracti128_si256(num, 1));
  const __m256d d0 = _mm256_cvtepi32_pd(_mm256_castsi256_si128(den));
  const __m256d d1 = _mm256_cvtepi32_pd(_mm256_extracti128_si256(den, 1));
  const __m128i q0 = _mm256_cvttpd_epi32(_mm256_floor_pd(_mm256_div_pd(n0, d0)));
  const __m128i q1 = _mm256_cvttpd_epi32(_mm256_floor_pd(_mm256_div_pd(n1, d1)));
  return _mm256_set_m128i(q1, q0);
}

// div_round(num, den, m) for den >= 1, |num| < 2^31 - den.
inline __m256i div_round8(__m256i num, __m256i den, Round m) {
  const __m256i q = floor_div8(num, den);
  const __m256i r = _mm256_sub_epi32(num, _mm256_mullo_epi32(q, den));  // in [0, den)
  const __m256i other = _mm256_sub_epi32(den, r);
  const __m256i zero = _mm256_setzero_si256();
  const __m256i gt = _mm256_cmpgt_epi32(r, other), tie = _mm256_cmpeq_epi32(r, other);
  const __m256i inexact = _mm256_xor_si256(_mm256_cmpeq_epi32(r, zero), _mm256_set1_epi32(-1));
  const __m256i neg = _mm256_cmpgt_epi32(zero, num);
  return _mm256_sub_epi32(q, up_mask(m, gt, tie, inexact, neg, odd_mask(q)));
}

}  // namespace

void qmaxpool_i32plane_8x__avx2(const QPoolWindow& w, QType type, void* y) {
  char* py = static_cast<char*>(y);
  const size_t es = tsize(type);
  for (size_t oh = 0; oh < w.OH; ++oh) {
    const int32_t* base = w.xp + oh * w.SH * w.row_stride;
    for (size_t ow = 0; ow < w.OW; ow += 8) {
      __m256i acc = _mm256_set1_epi32(INT32_MIN);
      for (size_t t = 0; t < w.taps; ++t)
        acc = _mm256_max_epi32(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + w.tap_off[t] + ow)));
      store_part(py + (oh * w.OW + ow) * es, type, acc, w.OW - ow < 8 ? w.OW - ow : 8);
    }
  }
}

void qavgpool_i32plane_8x__avx2(const QPoolWindow& w, const int32_t* hcount, const int32_t* wcount,
                                const QAvgPoolArgs& a, void* y) {
  char* py = static_cast<char*>(y);
  const size_t es = tsize(a.type);
  const __m256i zp = _mm256_set1_epi32(a.zp), lo = _mm256_set1_epi32(a.qmin), hi = _mm256_set1_epi32(a.qmax);
  for (size_t oh = 0; oh < w.OH; ++oh) {
    const int32_t* base = w.xp + oh * w.SH * w.row_stride;
    const __m256i hc = _mm256_set1_epi32(hcount[oh]);
    for (size_t ow = 0; ow < w.OW; ow += 8) {
      __m256i acc = _mm256_setzero_si256();
      for (size_t t = 0; t < w.taps; ++t)
        acc = _mm256_add_epi32(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + w.tap_off[t] + ow)));
      const __m256i den = _mm256_mullo_epi32(hc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wcount + ow)));
      const __m256i q = clamp8(_mm256_add_epi32(div_round8(acc, den, a.round), zp), lo, hi);
      store_part(py + (oh * w.OW + ow) * es, a.type, q, w.OW - ow < 8 ? w.OW - ow : 8);
    }
  }
}

namespace {

inline int64_t hsum_epi64(__m256i v) {
  alignas(32) int64_t t[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), v);
  return t[0] + t[1] + t[2] + t[3];
}

// Bytes: psadbw against zero sums 8 unsigned bytes into each 64-bit lane; s8 is biased by 0x80.
int64_t rowsum_8bit(const uint8_t* x, size_t HW, bool is_signed) {
  const __m256i bias = _mm256_set1_epi8(is_signed ? char(0x80) : 0), zero = _mm256_setzero_si256();
  __m256i acc = zero;
  size_t i = 0;
  for (; i + 32 <= HW; i += 32) {
    const __m256i v = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)), bias);
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(v, zero));
  }
  int64_t s = hsum_epi64(acc) - (is_signed ? int64_t(128) * int64_t(i) : 0);
  for (; i < HW; ++i) s += is_signed ? int64_t(int8_t(x[i])) : int64_t(x[i]);
  return s;
}

// 16-bit: pmaddwd by ones adds pairs into int32 (u16 biased to s16 by 0x8000); int32 lanes take at
// most 2 * 32768 per step, flushed to int64 every 16384 steps (< 2^31).
int64_t rowsum_16bit(const uint16_t* x, size_t HW, bool is_signed) {
  const __m256i bias = _mm256_set1_epi16(is_signed ? 0 : short(0x8000)), ones = _mm256_set1_epi16(1);
  __m256i acc64 = _mm256_setzero_si256();
  size_t i = 0;
  while (i + 16 <= HW) {
    __m256i acc32 = _mm256_setzero_si256();
    for (size_t steps = 0; steps < 16384 && i + 16 <= HW; ++steps, i += 16) {
      const __m256i v = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i)), bias);
      acc32 = _mm256_add_epi32(acc32, _mm256_madd_epi16(v, ones));
    }
    acc64 = _mm256_add_epi64(acc64, _mm256_cvtepi32_epi64(_mm256_castsi256_si128(acc32)));
    acc64 = _mm256_add_epi64(acc64, _mm256_cvtepi32_epi64(_mm256_extracti128_si256(acc32, 1)));
  }
  int64_t s = hsum_epi64(acc64) + (is_signed ? 0 : int64_t(32768) * int64_t(i));
  for (; i < HW; ++i) s += is_signed ? int64_t(int16_t(x[i])) : int64_t(x[i]);
  return s;
}

}  // namespace

void qrowsum_16x__avx2(size_t rows, size_t HW, QType type, const void* x, int64_t* sums) {
  const bool sgn = type == QType::S8 || type == QType::S16;
  for (size_t r = 0; r < rows; ++r) {
    if (tsize(type) == 1)
      sums[r] = rowsum_8bit(static_cast<const uint8_t*>(x) + r * HW, HW, sgn);
    else
      sums[r] = rowsum_16bit(static_cast<const uint16_t*>(x) + r * HW, HW, sgn);
  }
}

}  // namespace npuq
