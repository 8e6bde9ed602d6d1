// qconv_direct_s16s16_s32_16x5__avx2: 16 output channels (two ymm of int32 lanes) x 5 output columns,
// 10 accumulators. Per depth pair: two weight loads, then per column one 32-bit broadcast of the input
// pair, straight from the convolution's buffer, and two vpmaddwd (exact: |w|, |x| <= 255, so a pair sum
// is at most 130050) added in int32. A panel of at most 8 channels computes one ymm per column. The
// tile goes out through an 8x8 transpose: one 6-word store per channel row.
#include <immintrin.h>

#include <cstring>

#include "dispatch/q-kernels.h"
#include "kernels/simd/transpose-avx2.h"

namespace npuq {

namespace {

constexpr size_t kCols = 5;

inline __m256i bcast_word(const int16_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

// H halves of 8 channels (1 or 2) x 6 columns into out[col][16].
template <int H>
inline void tile(size_t pairs, const int16_t* w, const uint32_t* po, const int16_t* const* xs, int32_t* out) {
#define NPUQ_COLS(X) X(0) X(1) X(2) X(3) X(4)
  __m256i c00, c01, c10, c11, c20, c21, c30, c31, c40, c41;
  c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = _mm256_setzero_si256();
  const int16_t *x0 = xs[0], *x1 = xs[1], *x2 = xs[2], *x3 = xs[3], *x4 = xs[4];
#define NPUQ_MADD_COL(j)                                                                   \
  {                                                                                        \
    const __m256i v = bcast_word(x##j + o);                                                \
    c##j##0 = _mm256_add_epi32(c##j##0, _mm256_madd_epi16(w0, v));                          \
    if constexpr (H == 2) c##j##1 = _mm256_add_epi32(c##j##1, _mm256_madd_epi16(w1, v));    \
  }
  for (size_t g = 0; g < pairs; ++g, w += 32) {
    const size_t o = 2 * size_t(po[g]);
    const __m256i w0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
    __m256i w1;
    if constexpr (H == 2) w1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + 16));
    NPUQ_COLS(NPUQ_MADD_COL)
  }
#undef NPUQ_MADD_COL
#define NPUQ_STORE_COL(j)                                                                               \
  _mm256_store_si256(reinterpret_cast<__m256i*>(out + j * 16), c##j##0);                                \
  if constexpr (H == 2) _mm256_store_si256(reinterpret_cast<__m256i*>(out + j * 16 + 8), c##j##1);
  NPUQ_COLS(NPUQ_STORE_COL)
#undef NPUQ_STORE_COL
#undef NPUQ_COLS
}

// The tile's nr <= 6 columns into acc rows i < mr (row stride ldc): transposed in registers, each row
// one 4-word and one 2-word store for a full tile.
inline void store_tile(const int32_t* out, size_t mr, size_t nr, int32_t* acc, size_t ldc) {
  for (size_t h = 0; h * 8 < mr; ++h) {
    __m256 r[8];
    for (size_t j = 0; j < kCols; ++j) r[j] = _mm256_load_ps(reinterpret_cast<const float*>(out + j * 16 + h * 8));
    r[5] = r[6] = r[7] = _mm256_setzero_ps();
    transpose8(r);
    const size_t rows = mr - h * 8 < 8 ? mr - h * 8 : 8;
    for (size_t i = 0; i < rows; ++i) {
      float* p = reinterpret_cast<float*>(acc + (h * 8 + i) * ldc);
      if (nr == kCols) {
        _mm_storeu_ps(p, _mm256_castps256_ps128(r[i]));
        _mm_store_ss(p + 4, _mm256_extractf128_ps(r[i], 1));
      } else {
        alignas(32) float t[8];
        _mm256_store_ps(t, r[i]);
        std::memcpy(p, t, nr * sizeof(float));
      }
    }
  }
}

}  // namespace

void qconv_direct_s16s16_s32_16x5__avx2(size_t mr, size_t n, const QConvDirectBlock& b) {
  alignas(32) int32_t out[kCols * 16];
  for (size_t j0 = 0; j0 < n; j0 += kCols) {
    const size_t nr = n - j0 < kCols ? n - j0 : kCols;
    // Missing columns of a tail tile repeat the last one (valid reads; never stored).
    const int16_t* xs[kCols];
    for (size_t j = 0; j < kCols; ++j) xs[j] = b.x + 2 * size_t(b.x_off[j0 + (j < nr ? j : nr - 1)]);
    if (mr > 8) tile<2>(b.pairs, b.w, b.pair_off, xs, out);
    else tile<1>(b.pairs, b.w, b.pair_off, xs, out);
    store_tile(out, mr, nr, b.acc + j0, b.ldc);
  }
}

}  // namespace npuq
