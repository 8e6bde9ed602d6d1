// AVX2 integer GEMM microkernels (exact products only: no vpmaddubsw, whose u8 x s8 pair sums saturate).
//  qgemm_s16s16_s32_6x16c2__avx2: 6 rows x 16 columns (edge tiles of fewer rows compute only those),
//    depth in pairs (kp = 2). vpmaddwd multiplies the
//    int16 pair (a(k,i), a(k+1,i)), broadcast, with the pairs (b(k,j), b(k+1,j)) of 8 columns and adds
//    both products in int32: |x| <= 255 operands give |pair sum| <= 130050, exact. 12 ymm accumulators.
//  qgemm_s16s16_s32_6x16c2_indirect__avx2: the same reading depth pair g of the right operand at b[g] + off
//    (the convolution's padded input buffer, qconv-shift.cc) instead of a packed panel.
//  qgemm_s32s32_s64_4x8__avx2: 4 rows x 8 columns, int32 operands sign-extended to 64-bit lanes,
//    vpmuldq (signed 32 x 32 -> 64) and 64-bit adds. 8 ymm accumulators.
#include <immintrin.h>

#include <cstring>

#include "dispatch/q-kernels.h"

namespace npuq {

namespace {

inline __m256i bcast_pair(const int16_t* a) {
  int32_t v;
  std::memcpy(&v, a, 4);
  return _mm256_set1_epi32(v);
}

// Depth pair g of the right operand: a packed panel (Indirect = false) or b[g] + off.
template <bool Indirect>
inline const int16_t* b_pair(const void* b, size_t g, size_t off) {
  return Indirect ? static_cast<const int16_t* const*>(b)[g] + off : static_cast<const int16_t*>(b) + g * 32;
}

// R full rows (R <= 6) x 16 columns at c (row stride ldc). Named accumulators, rows past R compiled
// out by `if constexpr` (GCC spills an array of __m256i on every depth step).
template <int R, bool Indirect>
inline void tile_rx16(size_t kc, const int16_t* a, const void* bsrc, size_t boff, int32_t* c, size_t ldc,
                      bool accumulate) {
#define NPUQ_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
  __m256i c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_si256();
  if (accumulate) {
#define NPUQ_LOAD_ROW(r)                                                              \
  if constexpr (R > r) {                                                              \
    c##r##0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + r * ldc));       \
    c##r##1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + r * ldc + 8));   \
  }
    NPUQ_ROWS(NPUQ_LOAD_ROW)
#undef NPUQ_LOAD_ROW
  }
#define NPUQ_MADD_ROW(r)                                                  \
  if constexpr (R > r) {                                                  \
    const __m256i ar = bcast_pair(a + 2 * r);                             \
    c##r##0 = _mm256_add_epi32(c##r##0, _mm256_madd_epi16(ar, b0));       \
    c##r##1 = _mm256_add_epi32(c##r##1, _mm256_madd_epi16(ar, b1));       \
  }
  for (size_t g = 0; g < kc / 2; ++g) {
    const int16_t* b = b_pair<Indirect>(bsrc, g, boff);
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + 16));
    NPUQ_ROWS(NPUQ_MADD_ROW)
    a += 12;  // A panels are always 6 rows wide; rows past R are padding
  }
#undef NPUQ_MADD_ROW
#define NPUQ_STORE_ROW(r)                                                            \
  if constexpr (R > r) {                                                             \
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * ldc), c##r##0);           \
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * ldc + 8), c##r##1);       \
  }
  NPUQ_ROWS(NPUQ_STORE_ROW)
#undef NPUQ_STORE_ROW
#undef NPUQ_ROWS
}

inline void tile_4x8_s64(size_t kc, const int32_t* a, const int32_t* b, int64_t* c, size_t ldc, bool accumulate) {
  __m256i c00, c01, c10, c11, c20, c21, c30, c31;
  if (accumulate) {
#define NPUQ_LOAD_ROW(r)                                                          \
  c##r##0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + r * ldc));     \
  c##r##1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + r * ldc + 4));
    NPUQ_LOAD_ROW(0) NPUQ_LOAD_ROW(1) NPUQ_LOAD_ROW(2) NPUQ_LOAD_ROW(3)
#undef NPUQ_LOAD_ROW
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = _mm256_setzero_si256();
  }
#define NPUQ_MUL_ROW(r)                                                \
  {                                                                    \
    const __m256i ar = _mm256_set1_epi32(a[r]);                        \
    c##r##0 = _mm256_add_epi64(c##r##0, _mm256_mul_epi32(ar, b0));     \
    c##r##1 = _mm256_add_epi64(c##r##1, _mm256_mul_epi32(ar, b1));     \
  }
  for (size_t k = 0; k < kc; ++k) {
    const __m256i b0 = _mm256_cvtepi32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
    const __m256i b1 = _mm256_cvtepi32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 4)));
    NPUQ_MUL_ROW(0) NPUQ_MUL_ROW(1) NPUQ_MUL_ROW(2) NPUQ_MUL_ROW(3)
    a += 4;
    b += 8;
  }
#undef NPUQ_MUL_ROW
#define NPUQ_STORE_ROW(r)                                                          \
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * ldc), c##r##0);           \
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + r * ldc + 4), c##r##1);
  NPUQ_STORE_ROW(0) NPUQ_STORE_ROW(1) NPUQ_STORE_ROW(2) NPUQ_STORE_ROW(3)
#undef NPUQ_STORE_ROW
}

template <bool Indirect>
void gemm_6x16(size_t mr, size_t nr, size_t kc, const int16_t* a, const void* b, size_t boff, int32_t* c, size_t ldc,
               bool accumulate) {
  if (nr == 16) {  // full width: only the rows that exist (64 rows are 10 x 6 + 4)
    switch (mr) {
      case 6: return tile_rx16<6, Indirect>(kc, a, b, boff, c, ldc, accumulate);
      case 5: return tile_rx16<5, Indirect>(kc, a, b, boff, c, ldc, accumulate);
      case 4: return tile_rx16<4, Indirect>(kc, a, b, boff, c, ldc, accumulate);
      case 3: return tile_rx16<3, Indirect>(kc, a, b, boff, c, ldc, accumulate);
      case 2: return tile_rx16<2, Indirect>(kc, a, b, boff, c, ldc, accumulate);
      default: return tile_rx16<1, Indirect>(kc, a, b, boff, c, ldc, accumulate);
    }
  }
  // Narrow edge tile: a full tile in a local buffer, the valid part copied out.
  alignas(32) int32_t tmp[6 * 16];
  if (accumulate)
    for (size_t i = 0; i < mr; ++i) std::memcpy(tmp + i * 16, c + i * ldc, nr * sizeof(int32_t));
  tile_rx16<6, Indirect>(kc, a, b, boff, tmp, 16, accumulate);
  for (size_t i = 0; i < mr; ++i) std::memcpy(c + i * ldc, tmp + i * 16, nr * sizeof(int32_t));
}

}  // namespace

void qgemm_s16s16_s32_6x16c2__avx2(size_t mr, size_t nr, size_t kc, const int16_t* a, const int16_t* b, int32_t* c,
                                   size_t ldc, bool accumulate) {
  gemm_6x16<false>(mr, nr, kc, a, b, 0, c, ldc, accumulate);
}

void qgemm_s16s16_s32_6x16c2_indirect__avx2(size_t mr, size_t nr, size_t kc, const int16_t* a, const int16_t* const* b,
                                            size_t b_off, int32_t* c, size_t ldc, bool accumulate) {
  gemm_6x16<true>(mr, nr, kc, a, b, b_off, c, ldc, accumulate);
}

void qgemm_s32s32_s64_4x8__avx2(size_t mr, size_t nr, size_t kc, const int32_t* a, const int32_t* b, int64_t* c,
                                size_t ldc, bool accumulate) {
  if (mr == 4 && nr == 8) return tile_4x8_s64(kc, a, b, c, ldc, accumulate);
  alignas(32) int64_t tmp[4 * 8];
  if (accumulate)
    for (size_t i = 0; i < mr; ++i) std::memcpy(tmp + i * 8, c + i * ldc, nr * sizeof(int64_t));
  tile_4x8_s64(kc, a, b, tmp, 8, accumulate);
  for (size_t i = 0; i < mr; ++i) std::memcpy(c + i * ldc, tmp + i * 8, nr * sizeof(int64_t));
}

}  // namespace npuq
