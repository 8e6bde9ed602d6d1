// sgemm_ukernel_6x16__avx2: 6 rows x 16 columns, 12 ymm accumulators, A broadcast per row, B two ymm
// per k; edge tiles of fewer rows compute only those rows. A comes from a packed panel or straight from
// its rows (SgemmTile::lda: a row stream per broadcast, no packing pass). One accumulator lane per
// output and the k order of the scalar tile, so results are identical.
#include <immintrin.h>

#include <cstring>

#include "dispatch/f32-kernels.h"

namespace npuq {

namespace {

// R full rows (R <= 6) x 16 columns at c (row stride ldc). bias: R (per row) or 16 (per column)
// readable floats, or null. Named accumulators and `if constexpr` per row (an array of __m256 is
// spilled to the stack by GCC on every k step).
template <int R, bool Raw>
inline void tile_rx16(size_t kc, const float* a, const float* b, float* c, size_t ldc, const SgemmTile& t,
                      const float* bias) {
#define NPUQ_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  if (t.first) {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
  } else {
#define NPUQ_LOAD_ROW(r) \
  if constexpr (R > r) { c##r##0 = _mm256_loadu_ps(c + r * ldc); c##r##1 = _mm256_loadu_ps(c + r * ldc + 8); }
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
    NPUQ_ROWS(NPUQ_LOAD_ROW)
#undef NPUQ_LOAD_ROW
  }
  if constexpr (Raw) {
    // Row r at a + r*lda: the rows of A, one index k for all of them.
    const size_t lda = t.lda;
    const float* a0 = a;
    const float* a1 = a + lda;
    const float* a2 = a + 2 * lda;
    const float* a3 = a + 3 * lda;
    const float* a4 = a + 4 * lda;
    const float* a5 = a + 5 * lda;
#define NPUQ_FMA_ROW(r)                                   \
  if constexpr (R > r) {                                  \
    const __m256 ar = _mm256_broadcast_ss(a##r + k);      \
    c##r##0 = _mm256_fmadd_ps(ar, b0, c##r##0);           \
    c##r##1 = _mm256_fmadd_ps(ar, b1, c##r##1);           \
  }
    for (size_t k = 0; k < kc; ++k) {
      const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
      NPUQ_ROWS(NPUQ_FMA_ROW)
      b += 16;
    }
#undef NPUQ_FMA_ROW
  } else {
#define NPUQ_FMA_ROW(r)                               \
  if constexpr (R > r) {                              \
    const __m256 ar = _mm256_broadcast_ss(a + r);     \
    c##r##0 = _mm256_fmadd_ps(ar, b0, c##r##0);       \
    c##r##1 = _mm256_fmadd_ps(ar, b1, c##r##1);       \
  }
    for (size_t k = 0; k < kc; ++k) {
      const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
      NPUQ_ROWS(NPUQ_FMA_ROW)
      a += 6;  // A panels are always 6 rows wide; rows past R are padding
      b += 16;
    }
#undef NPUQ_FMA_ROW
  }
  if (t.last) {
    if (bias) {
      if (t.bias_per_column) {
        const __m256 v0 = _mm256_loadu_ps(bias), v1 = _mm256_loadu_ps(bias + 8);
#define NPUQ_BIAS_ROW(r) if constexpr (R > r) { c##r##0 = _mm256_add_ps(c##r##0, v0); c##r##1 = _mm256_add_ps(c##r##1, v1); }
        NPUQ_ROWS(NPUQ_BIAS_ROW)
#undef NPUQ_BIAS_ROW
      } else {
#define NPUQ_BIAS_ROW(r) if constexpr (R > r) { const __m256 v = _mm256_broadcast_ss(bias + r); \
          c##r##0 = _mm256_add_ps(c##r##0, v); c##r##1 = _mm256_add_ps(c##r##1, v); }
        NPUQ_ROWS(NPUQ_BIAS_ROW)
#undef NPUQ_BIAS_ROW
      }
    }
    if (t.act) {
      const __m256 lo = _mm256_set1_ps(t.lo), hi = _mm256_set1_ps(t.hi);
      // max_ps(x, lo) = x > lo ? x : lo; min_ps(x, hi) = x < hi ? x : hi (the scalar clamp).
#define NPUQ_CLAMP_ROW(r) if constexpr (R > r) { \
  c##r##0 = _mm256_min_ps(_mm256_max_ps(c##r##0, lo), hi); c##r##1 = _mm256_min_ps(_mm256_max_ps(c##r##1, lo), hi); }
      NPUQ_ROWS(NPUQ_CLAMP_ROW)
#undef NPUQ_CLAMP_ROW
    }
  }
#define NPUQ_STORE_ROW(r) \
  if constexpr (R > r) { _mm256_storeu_ps(c + r * ldc, c##r##0); _mm256_storeu_ps(c + r * ldc + 8, c##r##1); }
  NPUQ_ROWS(NPUQ_STORE_ROW)
#undef NPUQ_STORE_ROW
#undef NPUQ_ROWS
}

using TileFn = void (*)(size_t, const float*, const float*, float*, size_t, const SgemmTile&, const float*);
constexpr TileFn kTiles[7] = {nullptr, tile_rx16<1, false>, tile_rx16<2, false>, tile_rx16<3, false>,
                              tile_rx16<4, false>, tile_rx16<5, false>, tile_rx16<6, false>};
constexpr TileFn kRawTiles[7] = {nullptr, tile_rx16<1, true>, tile_rx16<2, true>, tile_rx16<3, true>,
                                 tile_rx16<4, true>, tile_rx16<5, true>, tile_rx16<6, true>};

}  // namespace

void sgemm_ukernel_6x16__avx2(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c,
                              size_t ldc, const SgemmTile& t) {
  const TileFn* tiles = t.lda ? kRawTiles : kTiles;
  if (nr == 16) {  // full width: only the rows that exist (a 32-row M is 5 x 6 + 2, not 6 x 6)
    tiles[mr](kc, a, b, c, ldc, t, t.bias);
    return;
  }
  // Narrow edge tile: compute a full tile in a local buffer, copy the valid part.
  alignas(32) float tmp[6 * 16];
  alignas(32) float bias[16] = {0};
  if (!t.first)
    for (size_t i = 0; i < mr; ++i) std::memcpy(tmp + i * 16, c + i * ldc, nr * sizeof(float));
  if (t.bias) std::memcpy(bias, t.bias, (t.bias_per_column ? nr : mr) * sizeof(float));
  // A packed panel has 6 rows (zeros past mr); raw A has only the mr rows.
  if (t.lda) tiles[mr](kc, a, b, tmp, 16, t, t.bias ? bias : nullptr);
  else tile_rx16<6, false>(kc, a, b, tmp, 16, t, t.bias ? bias : nullptr);
  for (size_t i = 0; i < mr; ++i) std::memcpy(c + i * ldc, tmp + i * 16, nr * sizeof(float));
}

}  // namespace npuq
