// conv_rows_f32_4x24__avx2: 4 output channels x 3 vectors of 8 consecutive outputs of one row, 12
// accumulators. Per tap: three unaligned loads of the input row (shared by the 4 channels), one weight
// broadcast per channel, 12 fma; no transposed store, since the lanes are output pixels. A row is cut
// into vectors at 0, 8, 16, ... and a last one at OW - 8, which may overlap the one before it and
// stores the same values again. One lane per output and the k order of the scalar kernel: results are
// identical.
#include <immintrin.h>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/conv-epilogue-avx2.h"

namespace npuq {

namespace {

// C channels (1..4) x V vectors (1..3) at columns xs[0..V) of one output row. x: the row's origin in the
// input; w: the channels' K x 4 weight panel; y: channel 0's output row.
template <int C, int V>
inline void tile(size_t K, const float* w, const uint32_t* row, const float* x, const size_t* xs,
                 const float* bias, const Avx2Epilogue* e, float* y, size_t ldy) {
  __m256 acc[C][V];
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c)
#pragma GCC unroll 3
    for (int v = 0; v < V; ++v) acc[c][v] = _mm256_setzero_ps();
  // Vector v of tap k at p + d[v], p = x + xs[0] + row[k]: one base per tap, the rest by index.
  const float* x0 = x + xs[0];
  const size_t d1 = V > 1 ? xs[1] - xs[0] : 0, d2 = V > 2 ? xs[2] - xs[0] : 0;
  for (const uint32_t* r = row; r != row + K; ++r, w += 4) {
    const float* p = x0 + *r;
    __m256 xv[3];
    xv[0] = _mm256_loadu_ps(p);
    if constexpr (V > 1) xv[1] = _mm256_loadu_ps(p + d1);
    if constexpr (V > 2) xv[2] = _mm256_loadu_ps(p + d2);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      const __m256 wv = _mm256_broadcast_ss(w + c);
#pragma GCC unroll 3
      for (int v = 0; v < V; ++v) acc[c][v] = _mm256_fmadd_ps(wv, xv[v], acc[c][v]);
    }
  }
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) {
    Avx2Epilogue ec = *e;
    if (bias) ec.bias = _mm256_broadcast_ss(bias + c);
#pragma GCC unroll 3
    for (int v = 0; v < V; ++v) _mm256_storeu_ps(y + c * ldy + xs[v], ec(acc[c][v]));
  }
}

template <int C>
inline void channels(size_t oy, size_t c0, const ConvRowsBlock& b, const Avx2Epilogue* act) {
  const size_t OW = b.OW;
  const float* w = b.w + c0 * b.K;  // panel c0 / 4
  const float* bias = b.bias ? b.bias + c0 : nullptr;
  const float* x = b.x + oy * b.ldx;
  float* y = b.y + c0 * b.ldy + oy * OW;
  size_t ox = 0;
  for (; ox + 24 <= OW; ox += 24) {
    const size_t xs[3] = {ox, ox + 8, ox + 16};
    tile<C, 3>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  }
  const size_t rest = OW - ox;  // 0..23, and OW >= 8: the last vector starts at OW - 8 >= 0
  if (rest == 0) return;
  if (rest <= 8) {
    const size_t xs[1] = {OW - 8};
    tile<C, 1>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  } else if (rest <= 16) {
    const size_t xs[2] = {ox, OW - 8};
    tile<C, 2>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  } else {
    const size_t xs[3] = {ox, ox + 8, OW - 8};
    tile<C, 3>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  }
}

}  // namespace

void conv_rows_f32_4x24__avx2(size_t oy0, size_t oy1, const ConvRowsBlock& b, const Activation& a) {
  const __m256 lo = _mm256_set1_ps(a.lo), hi = _mm256_set1_ps(a.hi);
  const Avx2Epilogue e{b.bias != nullptr, a.enabled, lo, lo, hi};  // bias set per channel
  const Avx2Epilogue* act = &e;
  // Rows outermost: a row's input window (K taps x OW floats) stays in L1 for every channel group.
  for (size_t oy = oy0; oy < oy1; ++oy) {
    size_t c = 0;
    for (; c + 4 <= b.M; c += 4) channels<4>(oy, c, b, act);
    switch (b.M - c) {
      case 1: channels<1>(oy, c, b, act); break;
      case 2: channels<2>(oy, c, b, act); break;
      case 3: channels<3>(oy, c, b, act); break;
      default: break;
    }
  }
}

}  // namespace npuq
