// sgemm_ukernel_6x16__avx2: 6 rows x 16 columns, 12 ymm accumulators, A broadcast per row, B two ymm
// per k. One accumulator lane per output and the k order of the scalar tile, so results are identical.
#include <immintrin.h>

#include <cstring>

#include "dispatch/f32-kernels.h"

namespace npuq {

namespace {

// Full 6x16 tile at c (row stride ldc). bias: 6 (per row) or 16 (per column) readable floats, or null.
inline void tile_6x16(size_t kc, const float* a, const float* b, float* c, size_t ldc, const SgemmTile& t,
                      const float* bias) {
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  if (t.first) {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
  } else {
#define NPUQ_LOAD_ROW(r) c##r##0 = _mm256_loadu_ps(c + r * ldc); c##r##1 = _mm256_loadu_ps(c + r * ldc + 8);
    NPUQ_LOAD_ROW(0) NPUQ_LOAD_ROW(1) NPUQ_LOAD_ROW(2) NPUQ_LOAD_ROW(3) NPUQ_LOAD_ROW(4) NPUQ_LOAD_ROW(5)
#undef NPUQ_LOAD_ROW
  }
#define NPUQ_FMA_ROW(r)                     \
  {                                         \
    const __m256 ar = _mm256_broadcast_ss(a + r); \
    c##r##0 = _mm256_fmadd_ps(ar, b0, c##r##0); \
    c##r##1 = _mm256_fmadd_ps(ar, b1, c##r##1); \
  }
  for (size_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    NPUQ_FMA_ROW(0) NPUQ_FMA_ROW(1) NPUQ_FMA_ROW(2) NPUQ_FMA_ROW(3) NPUQ_FMA_ROW(4) NPUQ_FMA_ROW(5)
    a += 6;
    b += 16;
  }
#undef NPUQ_FMA_ROW
  if (t.last) {
    if (bias) {
      if (t.bias_per_column) {
        const __m256 v0 = _mm256_loadu_ps(bias), v1 = _mm256_loadu_ps(bias + 8);
#define NPUQ_BIAS_ROW(r) c##r##0 = _mm256_add_ps(c##r##0, v0); c##r##1 = _mm256_add_ps(c##r##1, v1);
        NPUQ_BIAS_ROW(0) NPUQ_BIAS_ROW(1) NPUQ_BIAS_ROW(2) NPUQ_BIAS_ROW(3) NPUQ_BIAS_ROW(4) NPUQ_BIAS_ROW(5)
#undef NPUQ_BIAS_ROW
      } else {
#define NPUQ_BIAS_ROW(r) { const __m256 v = _mm256_broadcast_ss(bias + r); \
          c##r##0 = _mm256_add_ps(c##r##0, v); c##r##1 = _mm256_add_ps(c##r##1, v); }
        NPUQ_BIAS_ROW(0) NPUQ_BIAS_ROW(1) NPUQ_BIAS_ROW(2) NPUQ_BIAS_ROW(3) NPUQ_BIAS_ROW(4) NPUQ_BIAS_ROW(5)
#undef NPUQ_BIAS_ROW
      }
    }
    if (t.act) {
      const __m256 lo = _mm256_set1_ps(t.lo), hi = _mm256_set1_ps(t.hi);
      // max_ps(x, lo) = x > lo ? x : lo; min_ps(x, hi) = x < hi ? x : hi (the scalar clamp).
#define NPUQ_CLAMP_ROW(r) \
  c##r##0 = _mm256_min_ps(_mm256_max_ps(c##r##0, lo), hi); c##r##1 = _mm256_min_ps(_mm256_max_ps(c##r##1, lo), hi);
      NPUQ_CLAMP_ROW(0) NPUQ_CLAMP_ROW(1) NPUQ_CLAMP_ROW(2) NPUQ_CLAMP_ROW(3) NPUQ_CLAMP_ROW(4) NPUQ_CLAMP_ROW(5)
#undef NPUQ_CLAMP_ROW
    }
  }
#define NPUQ_STORE_ROW(r) _mm256_storeu_ps(c + r * ldc, c##r##0); _mm256_storeu_ps(c + r * ldc + 8, c##r##1);
  NPUQ_STORE_ROW(0) NPUQ_STORE_ROW(1) NPUQ_STORE_ROW(2) NPUQ_STORE_ROW(3) NPUQ_STORE_ROW(4) NPUQ_STORE_ROW(5)
#undef NPUQ_STORE_ROW
}

}  // namespace

void sgemm_ukernel_6x16__avx2(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c,
                              size_t ldc, const SgemmTile& t) {
  if (mr == 6 && nr == 16) {
    tile_6x16(kc, a, b, c, ldc, t, t.bias);
    return;
  }
  // Edge tile: compute a full tile in a local buffer, copy the valid part.
  alignas(32) float tmp[6 * 16];
  alignas(32) float bias[16] = {0};
  if (!t.first)
    for (size_t i = 0; i < mr; ++i) std::memcpy(tmp + i * 16, c + i * ldc, nr * sizeof(float));
  if (t.bias) std::memcpy(bias, t.bias, (t.bias_per_column ? nr : mr) * sizeof(float));
  tile_6x16(kc, a, b, tmp, 16, t, t.bias ? bias : nullptr);
  for (size_t i = 0; i < mr; ++i) std::memcpy(c + i * ldc, tmp + i * 16, nr * sizeof(float));
}

}  // namespace npuq
