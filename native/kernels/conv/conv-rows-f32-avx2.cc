// conv_rows_f32_4x24__avx2: 4 output channels x 3 vectors of 8 consecutive outputs of one row, 12
// accumulators. Per tap: three input vectors (shared by the 4 channels), one weight broadcast per channel,
// 12 fma; no transposed store, since the lanes are output pixels. A row is cut into vectors at 0, 8, 16,
// ... and a last one at OW - 8, which may overlap the one before it and stores the same values again.
// Column stride 2 reads 15 floats per vector and keeps the even ones (two loads, one shuffle, one
// permute), never a float past the last tap's. One lane per output and the k order of the scalar
// kernel: results are identical.
#include <immintrin.h>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/conv-epilogue-avx2.h"

namespace npuq {

namespace {

// The inputs of 8 consecutive outputs at column stride S: p[0..7] (S = 1) or p[0], p[2], ..., p[14].
template <int S>
inline __m256 load_cols(const float* p) {
  if constexpr (S == 1) {
    return _mm256_loadu_ps(p);
  } else {
    // lo = p[0..7], hi = p[7..14]: (lo0 lo2 hi1 hi3 | lo4 lo6 hi5 hi7) = (p0 p2 p8 p10 | p4 p6 p12 p14),
    // then the middle 64-bit pairs swap.
    const __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 7);
    const __m256 t = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xD8));
  }
}

// C channels (1..4) x V vectors (1..3) at output columns xs[0..V) of one output row. x: the row's origin
// in the input; w: the channels' K x 4 weight panel; y: channel 0's output row.
template <int S, int C, int V>
inline void tile(size_t K, const float* w, const uint32_t* row, const float* x, const size_t* xs,
                 const float* bias, const Avx2Epilogue* e, float* y, size_t ldy) {
  __m256 acc[C][V];
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c)
#pragma GCC unroll 3
    for (int v = 0; v < V; ++v) acc[c][v] = _mm256_setzero_ps();
  // Vector v of tap k at p + d[v], p = x + xs[0]*S + row[k]: one base per tap, the rest by index.
  const float* x0 = x + xs[0] * S;
  const size_t d1 = V > 1 ? (xs[1] - xs[0]) * S : 0, d2 = V > 2 ? (xs[2] - xs[0]) * S : 0;
  for (const uint32_t* r = row; r != row + K; ++r, w += 4) {
    const float* p = x0 + *r;
    __m256 xv[3];
    xv[0] = load_cols<S>(p);
    if constexpr (V > 1) xv[1] = load_cols<S>(p + d1);
    if constexpr (V > 2) xv[2] = load_cols<S>(p + d2);
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

template <int S, int C>
inline void channels(size_t oy, size_t c0, const ConvRowsBlock& b, const Avx2Epilogue* act) {
  const size_t OW = b.OW;
  const float* w = b.w + c0 * b.K;  // panel c0 / 4
  const float* bias = b.bias ? b.bias + c0 : nullptr;
  const float* x = b.x + oy * b.ldx;
  float* y = b.y + c0 * b.ldy + oy * OW;
  size_t ox = 0;
  for (; ox + 24 <= OW; ox += 24) {
    const size_t xs[3] = {ox, ox + 8, ox + 16};
    tile<S, C, 3>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  }
  const size_t rest = OW - ox;  // 0..23, and OW >= 8: the last vector starts at OW - 8 >= 0
  if (rest == 0) return;
  if (rest <= 8) {
    const size_t xs[1] = {OW - 8};
    tile<S, C, 1>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  } else if (rest <= 16) {
    const size_t xs[2] = {ox, OW - 8};
    tile<S, C, 2>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  } else {
    const size_t xs[3] = {ox, ox + 8, OW - 8};
    tile<S, C, 3>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  }
}

template <int S>
void rows(size_t oy0, size_t oy1, const ConvRowsBlock& b, const Avx2Epilogue* act) {
  // Rows outermost: a row's input window (K taps x OW floats) stays in L1 for every channel group.
  for (size_t oy = oy0; oy < oy1; ++oy) {
    size_t c = 0;
    for (; c + 4 <= b.M; c += 4) channels<S, 4>(oy, c, b, act);
    switch (b.M - c) {
      case 1: channels<S, 1>(oy, c, b, act); break;
      case 2: channels<S, 2>(oy, c, b, act); break;
      case 3: channels<S, 3>(oy, c, b, act); break;
      default: break;
    }
  }
}

}  // namespace

void conv_rows_f32_4x24__avx2(size_t oy0, size_t oy1, const ConvRowsBlock& b, const Activation& a) {
  const __m256 lo = _mm256_set1_ps(a.lo), hi = _mm256_set1_ps(a.hi);
  const Avx2Epilogue e{b.bias != nullptr, a.enabled, lo, lo, hi};  // bias set per channel
  if (b.sx == 2) rows<2>(oy0, oy1, b, &e);
  else rows<1>(oy0, oy1, b, &e);
}

}  // namespace npuq
