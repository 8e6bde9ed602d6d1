// conv_direct_f32_16x6__avx2: 16 output channels (two ymm, channels in lanes) x 6 output columns, 12
// accumulators. Per tap: two weight loads and one broadcast per column, read straight from the input
// through the column's origin and the tap's offset, so no im2col panel is ever written. One lane per
// output and the k order of the scalar tile: results are identical. A panel of at most 8 channels
// computes one ymm per column only.
#include <immintrin.h>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/conv-epilogue-avx2.h"
#include "kernels/simd/transpose-avx2.h"

namespace npuq {

namespace {

constexpr size_t kCols = 6;

// H halves of 8 channels (1 or 2) x 6 columns; writes the result tile to out[col][16].
template <int H>
inline void tile(size_t K, const float* w, const uint32_t* row, const float* const* xs, const float* bias,
                 const Activation& act, float* out) {
#define NPUQ_COLS(X) X(0) X(1) X(2) X(3) X(4) X(5)
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = _mm256_setzero_ps();
  const float *x0 = xs[0], *x1 = xs[1], *x2 = xs[2], *x3 = xs[3], *x4 = xs[4], *x5 = xs[5];
#define NPUQ_FMA_COL(j)                                  \
  {                                                      \
    const __m256 v = _mm256_broadcast_ss(x##j + o);      \
    c##j##0 = _mm256_fmadd_ps(w0, v, c##j##0);           \
    if constexpr (H == 2) c##j##1 = _mm256_fmadd_ps(w1, v, c##j##1); \
  }
  for (size_t k = 0; k < K; ++k, w += 16) {
    const size_t o = row[k];
    const __m256 w0 = _mm256_load_ps(w);
    __m256 w1;
    if constexpr (H == 2) w1 = _mm256_load_ps(w + 8);
    NPUQ_COLS(NPUQ_FMA_COL)
  }
#undef NPUQ_FMA_COL
  const __m256 lo = _mm256_set1_ps(act.lo), hi = _mm256_set1_ps(act.hi);
  const Avx2Epilogue e0{bias != nullptr, act.enabled, bias ? _mm256_loadu_ps(bias) : lo, lo, hi};
  const Avx2Epilogue e1{bias != nullptr, act.enabled, bias ? _mm256_loadu_ps(bias + 8) : lo, lo, hi};
#define NPUQ_EPILOGUE_COL(j) c##j##0 = e0(c##j##0); if constexpr (H == 2) c##j##1 = e1(c##j##1);
  NPUQ_COLS(NPUQ_EPILOGUE_COL)
#undef NPUQ_EPILOGUE_COL
#define NPUQ_STORE_COL(j) _mm256_store_ps(out + j * 16, c##j##0); if constexpr (H == 2) _mm256_store_ps(out + j * 16 + 8, c##j##1);
  NPUQ_COLS(NPUQ_STORE_COL)
#undef NPUQ_STORE_COL
#undef NPUQ_COLS
}

// Six consecutive output columns (the common case: one image row, or rows of one image back to
// back): transpose the tile so each channel is one 6-float store instead of six scalar ones.
inline void store_6_consecutive(const float* out, size_t mr, float* y, size_t ldy) {
  for (size_t h = 0; h * 8 < mr; ++h) {
    __m256 r[8];
    for (size_t j = 0; j < kCols; ++j) r[j] = _mm256_load_ps(out + j * 16 + h * 8);
    r[6] = r[7] = _mm256_setzero_ps();
    transpose8(r);
    const size_t rows = mr - h * 8 < 8 ? mr - h * 8 : 8;
    for (size_t i = 0; i < rows; ++i) {
      float* p = y + (h * 8 + i) * ldy;
      _mm_storeu_ps(p, _mm256_castps256_ps128(r[i]));
      _mm_storel_pi(reinterpret_cast<__m64*>(p + 4), _mm256_extractf128_ps(r[i], 1));
    }
  }
}

}  // namespace

void conv_direct_f32_16x6__avx2(size_t mr, size_t n, const ConvDirectBlock& b, const Activation& act) {
  alignas(32) float out[kCols * 16];
  for (size_t j0 = 0; j0 < n; j0 += kCols) {
    const size_t nr = n - j0 < kCols ? n - j0 : kCols;
    // Missing columns of a tail tile repeat the last one (valid reads; never stored).
    const float* xs[kCols];
    for (size_t j = 0; j < kCols; ++j) xs[j] = b.x + b.x_off[j0 + (j < nr ? j : nr - 1)];
    if (mr > 8) tile<2>(b.K, b.w, b.row_off, xs, b.bias, act, out);
    else tile<1>(b.K, b.w, b.row_off, xs, b.bias, act, out);
    const uint32_t* yo = b.y_off + j0;
    if (nr == kCols && yo[1] == yo[0] + 1 && yo[2] == yo[0] + 2 && yo[3] == yo[0] + 3 && yo[4] == yo[0] + 4 &&
        yo[5] == yo[0] + 5) {
      store_6_consecutive(out, mr, b.y + yo[0], b.ldy);
      continue;
    }
    for (size_t j = 0; j < nr; ++j) {
      float* yj = b.y + b.y_off[j0 + j];
      const float* oj = out + j * 16;
      for (size_t i = 0; i < mr; ++i) yj[i * b.ldy] = oj[i];
    }
  }
}

}  // namespace npuq
