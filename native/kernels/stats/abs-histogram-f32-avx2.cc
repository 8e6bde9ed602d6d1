// abs_histogram_f32_8x__avx2: the bin index of 8 elements at a time with the scalar kernel's double
// operations (cvtps_pd is exact, then _mm256_mul_pd, _mm256_min_pd with bins - 1, _mm256_cvttpd_epi32
// truncation: each IEEE-exact or correctly rounded like the scalar code, so every index is identical).
// Non-finite lanes (|x| <= FLT_MAX false) are zeroed, land in bin 0 and are taken back out of bin 0 at
// the end (uint64 arithmetic, so the intermediate wrap is harmless). The increments are scalar.
#include <immintrin.h>

#include <cfloat>

#include "dispatch/stats-kernels.h"

namespace npuq {

void abs_histogram_f32_8x__avx2(size_t n, const float* x, size_t bins, double hist_max, uint64_t* counts) {
  const double scale = double(bins) / hist_max;
  const __m256d vscale = _mm256_set1_pd(scale), vtop = _mm256_set1_pd(double(bins - 1));
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 big = _mm256_set1_ps(FLT_MAX);
  uint64_t skipped = 0;
  alignas(32) int32_t idx[8];
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 a = _mm256_and_ps(_mm256_loadu_ps(x + i), absmask);
    const __m256 fin = _mm256_cmp_ps(a, big, _CMP_LE_OQ);
    skipped += 8 - unsigned(__builtin_popcount(unsigned(_mm256_movemask_ps(fin))));
    a = _mm256_and_ps(a, fin);
    const __m256d lo = _mm256_min_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(a)), vscale), vtop);
    const __m256d hi = _mm256_min_pd(_mm256_mul_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(a, 1)), vscale), vtop);
    _mm_store_si128(reinterpret_cast<__m128i*>(idx), _mm256_cvttpd_epi32(lo));
    _mm_store_si128(reinterpret_cast<__m128i*>(idx + 4), _mm256_cvttpd_epi32(hi));
    ++counts[idx[0]];
    ++counts[idx[1]];
    ++counts[idx[2]];
    ++counts[idx[3]];
    ++counts[idx[4]];
    ++counts[idx[5]];
    ++counts[idx[6]];
    ++counts[idx[7]];
  }
  counts[0] -= skipped;
  abs_histogram_f32__scalar(n - i, x + i, bins, hist_max, counts);
}

}  // namespace npuq
