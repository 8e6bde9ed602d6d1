// histogram_f32_8x__avx2: the bin index of 8 elements at a time, bit-identical to the scalar kernel's
// t = min(double(|x|) * s, bins - 1) truncated, with the scale s = bins / range of each lane's region
// (NEG, POS, HIGH; see stats-kernels.h), blended per lane:
//  * when every scale is a power of two that is a normal float (what the observers use with a
//    power-of-two bin count), |x| * s is exact in float too (a power-of-two scaling; a result below
//    2^-126 rounds to another value < 1, a result past FLT_MAX becomes +inf, clamped to bins - 1 like
//    the finite double), so the float path (_mm256_mul_ps, _mm256_min_ps, _mm256_cvttps_epi32) gives
//    the same indices, 8 lanes per step;
//  * otherwise the double path: cvtps_pd (exact), _mm256_mul_pd, _mm256_min_pd, _mm256_cvttpd_epi32,
//    each correctly rounded like the scalar code.
// The region's offset is added. Non-finite lanes (|x| <= FLT_MAX false) are zeroed and counted in POS,
// so they land in entry 0 and are taken back out of it at the end (uint64 arithmetic, the intermediate
// wrap is harmless).
#include <immintrin.h>

#include <cfloat>
#include <cmath>
#include <cstring>

#include "dispatch/stats-kernels.h"

namespace npuq {

namespace {

constexpr size_t kTableEntries = 6144;          // entries (bins + the largest offset) for the blocked path
constexpr size_t kBlock = 1024;                 // indices per block
constexpr size_t kFlush = size_t(1) << 30;      // elements per flush of the uint32 tables

bool float_scale(double s) {
  int e = 0;
  return std::frexp(s, &e) == 0.5 && e - 1 >= -126 && e - 1 <= 127;
}

struct Indexer {
  bool use_float;
  __m256 fps, fns, fhs, ftop, absmask, big, zero, split;
  __m256d dps, dns, dhs, dtop;
  __m256i noff, hoff;

  explicit Indexer(const HistogramArgs& h) {
    const double ps = double(h.bins) / h.pos_max, ns = double(h.bins) / h.neg_max, hs = double(h.bins) / h.high_max;
    use_float = float_scale(ps) && float_scale(ns) && float_scale(hs);
    fps = _mm256_set1_ps(use_float ? float(ps) : 0.0f);
    fns = _mm256_set1_ps(use_float ? float(ns) : 0.0f);
    fhs = _mm256_set1_ps(use_float ? float(hs) : 0.0f);
    ftop = _mm256_set1_ps(float(h.bins - 1));
    dps = _mm256_set1_pd(ps);
    dns = _mm256_set1_pd(ns);
    dhs = _mm256_set1_pd(hs);
    dtop = _mm256_set1_pd(double(h.bins - 1));
    absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    big = _mm256_set1_ps(FLT_MAX);
    zero = _mm256_setzero_ps();
    split = _mm256_set1_ps(h.split);
    noff = _mm256_set1_epi32(int32_t(h.neg_offset));
    hoff = _mm256_set1_epi32(int32_t(h.high_offset));
  }

  // Entry index of x[0, 8); adds the non-finite lanes to *skipped.
  __m256i operator()(const float* x, uint64_t* skipped) const {
    const __m256 v = _mm256_loadu_ps(x);
    __m256 a = _mm256_and_ps(v, absmask);
    const __m256 fin = _mm256_cmp_ps(a, big, _CMP_LE_OQ);
    const __m256 neg = _mm256_and_ps(_mm256_cmp_ps(v, zero, _CMP_LT_OQ), fin);
    const __m256 high = _mm256_and_ps(_mm256_cmp_ps(v, split, _CMP_GE_OQ), fin);
    *skipped += 8 - unsigned(__builtin_popcount(unsigned(_mm256_movemask_ps(fin))));
    a = _mm256_and_ps(a, fin);
    __m256i ix;
    if (use_float) {
      const __m256 s = _mm256_blendv_ps(_mm256_blendv_ps(fps, fns, neg), fhs, high);
      ix = _mm256_cvttps_epi32(_mm256_min_ps(_mm256_mul_ps(a, s), ftop));
    } else {
      const __m256i mn = _mm256_castps_si256(neg), mh = _mm256_castps_si256(high);
      auto scale = [&](__m128i n4, __m128i h4) {
        const __m256d n = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(n4)), hh = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(h4));
        return _mm256_blendv_pd(_mm256_blendv_pd(dps, dns, n), dhs, hh);
      };
      const __m256d slo = scale(_mm256_castsi256_si128(mn), _mm256_castsi256_si128(mh));
      const __m256d shi = scale(_mm256_extracti128_si256(mn, 1), _mm256_extracti128_si256(mh, 1));
      const __m256d lo = _mm256_min_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a)), slo), dtop);
      const __m256d hi = _mm256_min_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)), shi), dtop);
      ix = _mm256_set_m128i(_mm256_cvttpd_epi32(hi), _mm256_cvttpd_epi32(lo));
    }
    const __m256i off = _mm256_or_si256(_mm256_and_si256(_mm256_castps_si256(neg), noff),
                                        _mm256_and_si256(_mm256_castps_si256(high), hoff));
    return _mm256_add_epi32(ix, off);
  }
};

}  // namespace

void histogram_f32_8x__avx2(size_t n, const float* x, const HistogramArgs& h, uint64_t* counts) {
  const Indexer index(h);
  const size_t high_offset = std::isfinite(h.split) ? h.high_offset : 0;  // HIGH is empty without a split
  const size_t entries = h.bins + (h.neg_offset > high_offset ? h.neg_offset : high_offset);
  uint64_t skipped = 0;
  size_t i = 0;
  if (entries <= kTableEntries && n >= 4 * entries) {
    alignas(64) uint32_t even[kTableEntries + 8], odd[kTableEntries + 8];
    alignas(32) uint16_t buf[kBlock];
    const __m256i dummy = _mm256_add_epi32(_mm256_set1_epi32(int32_t(entries)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256i izero = _mm256_setzero_si256();
    uint64_t zeros = 0;
    while (i + 16 <= n) {
      std::memset(even, 0, (entries + 8) * sizeof(uint32_t));
      std::memset(odd, 0, (entries + 8) * sizeof(uint32_t));
      const size_t end = i + ((n - i) < kFlush ? (n - i) : kFlush);
      while (i + 16 <= end) {
        size_t m = 0;
        for (; i + 16 <= end && m < kBlock; i += 16, m += 16) {
          __m256i a = index(x + i, &skipped), b = index(x + i + 8, &skipped);
          const __m256i za = _mm256_cmpeq_epi32(a, izero), zb = _mm256_cmpeq_epi32(b, izero);
          zeros += unsigned(__builtin_popcount(unsigned(_mm256_movemask_ps(_mm256_castsi256_ps(za))))) +
                   unsigned(__builtin_popcount(unsigned(_mm256_movemask_ps(_mm256_castsi256_ps(zb)))));
          a = _mm256_blendv_epi8(a, dummy, za);
          b = _mm256_blendv_epi8(b, dummy, zb);
          // packus interleaves the 128-bit halves: a0-3 b0-3 a4-7 b4-7; the permute restores the order.
          _mm256_store_si256(reinterpret_cast<__m256i*>(buf + m), _mm256_permute4x64_epi64(_mm256_packus_epi32(a, b), 0xD8));
        }
        for (size_t j = 0; j < m; j += 4) {
          ++even[buf[j]];
          ++odd[buf[j + 1]];
          ++even[buf[j + 2]];
          ++odd[buf[j + 3]];
        }
      }
      for (size_t e = 0; e < entries; ++e) counts[e] += uint64_t(even[e]) + odd[e];
    }
    counts[0] += zeros;
  } else {
    alignas(32) int32_t idx[8];
    for (; i + 8 <= n; i += 8) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(idx), index(x + i, &skipped));
      for (int k = 0; k < 8; ++k) ++counts[idx[k]];
    }
  }
  counts[0] -= skipped;
  histogram_f32__scalar(n - i, x + i, h, counts);
}

}  // namespace npuq
