// minmax_f32_16x__avx2: 16 elements per step in two independent accumulator pairs. A lane is finite
// when |x| <= FLT_MAX (false for NaN and +-Inf); non-finite lanes are replaced by +inf (for min) and
// -inf (for max) before _mm256_min_ps / _mm256_max_ps, so no NaN ever reaches them. Finite lanes are
// counted in int32 lanes (flushed every 2^24 elements). The tail (< 16) goes to the scalar kernel.
// min/max are exact, and the final + 0.0f removes the +-0 order dependence: equal to scalar bit for bit.
#include <immintrin.h>

#include <cfloat>
#include <cmath>

#include "dispatch/stats-kernels.h"

namespace npuq {

void minmax_f32_16x__avx2(size_t n, const float* x, MinMaxF32* out) {
  const __m256 absmask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
  const __m256 big = _mm256_set1_ps(FLT_MAX);
  const __m256 pinf = _mm256_set1_ps(INFINITY), ninf = _mm256_set1_ps(-INFINITY);
  __m256 mn0 = pinf, mn1 = pinf, mx0 = ninf, mx1 = ninf;
  uint64_t finite = 0;
  size_t i = 0;
  while (i + 16 <= n) {
    const size_t end = i + ((n - i) < (size_t(1) << 24) ? (n - i) : (size_t(1) << 24));
    __m256i cnt = _mm256_setzero_si256();
    for (; i + 16 <= end; i += 16) {
      const __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
      const __m256 f0 = _mm256_cmp_ps(_mm256_and_ps(v0, absmask), big, _CMP_LE_OQ);
      const __m256 f1 = _mm256_cmp_ps(_mm256_and_ps(v1, absmask), big, _CMP_LE_OQ);
      mn0 = _mm256_min_ps(mn0, _mm256_blendv_ps(pinf, v0, f0));
      mx0 = _mm256_max_ps(mx0, _mm256_blendv_ps(ninf, v0, f0));
      mn1 = _mm256_min_ps(mn1, _mm256_blendv_ps(pinf, v1, f1));
      mx1 = _mm256_max_ps(mx1, _mm256_blendv_ps(ninf, v1, f1));
      cnt = _mm256_sub_epi32(cnt, _mm256_castps_si256(f0));  // finite lanes are -1
      cnt = _mm256_sub_epi32(cnt, _mm256_castps_si256(f1));
    }
    alignas(32) uint32_t c[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(c), cnt);
    for (int k = 0; k < 8; ++k) finite += c[k];
  }
  alignas(32) float a[8], b[8];
  _mm256_store_ps(a, _mm256_min_ps(mn0, mn1));
  _mm256_store_ps(b, _mm256_max_ps(mx0, mx1));
  float mn = INFINITY, mx = -INFINITY;
  for (int k = 0; k < 8; ++k) {
    mn = a[k] < mn ? a[k] : mn;
    mx = b[k] > mx ? b[k] : mx;
  }
  MinMaxF32 tail;
  minmax_f32__scalar(n - i, x + i, &tail);
  mn = tail.min < mn ? tail.min : mn;
  mx = tail.max > mx ? tail.max : mx;
  out->min = mn + 0.0f;
  out->max = mx + 0.0f;
  out->nonfinite = uint64_t(i) - finite + tail.nonfinite;
}

}  // namespace npuq
