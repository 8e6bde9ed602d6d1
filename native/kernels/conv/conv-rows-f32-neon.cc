// conv_rows_f32_4x16__neon: 4 output channels x 4 vectors of 4 consecutive outputs of one row, 16
// accumulators. Per tap: four input vectors (shared by the 4 channels), one weight broadcast per channel,
// 16 fmla; no transposed store, since the lanes are output pixels. A row is cut into vectors at 0, 4, 8,
// ... and a last one at OW - 4, which may overlap the one before it and stores the same values again.
// Column stride 2 loads each vector with vld2q_f32 (8 floats, the even ones kept: one float past the last
// tap's, within kConvRowsSlack). vfmaq_f32 is fused (as std::fma), one lane per output and the k order of
// the scalar kernel: results are identical.
#include <arm_neon.h>

#include "dispatch/f32-kernels.h"
#include "kernels/simd/clamp-neon.h"

namespace npuq {

namespace {

// The inputs of 4 consecutive outputs at column stride S: p[0..3] (S = 1) or p[0], p[2], p[4], p[6].
template <int S>
inline float32x4_t load_cols(const float* p) {
  if constexpr (S == 1) return vld1q_f32(p);
  else return vld2q_f32(p).val[0];
}

// C channels (1..4) x V vectors (1..4) at output columns xs[0..V) of one output row. x: the row's origin in the
// input; w: the channels' K x 4 weight panel; y: channel 0's output row.
template <int S, int C, int V>
inline void tile(size_t K, const float* w, const uint32_t* row, const float* x, const size_t* xs,
                 const float* bias, const Activation& act, float* y, size_t ldy) {
  float32x4_t acc[C][V];
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c)
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) acc[c][v] = vdupq_n_f32(0.0f);
  for (size_t k = 0; k < K; ++k) {
    const size_t o = row[k];
    float32x4_t xv[V];
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) xv[v] = load_cols<S>(x + xs[v] * S + o);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      const float32x4_t wv = vld1q_dup_f32(w + 4 * k + c);
#pragma GCC unroll 4
      for (int v = 0; v < V; ++v) acc[c][v] = vfmaq_f32(acc[c][v], wv, xv[v]);
    }
  }
  const float32x4_t lo = vdupq_n_f32(act.lo), hi = vdupq_n_f32(act.hi);
  const bool clamp = act.enabled;
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) {
    const float32x4_t bv = bias ? vld1q_dup_f32(bias + c) : lo;
#pragma GCC unroll 4
    for (int v = 0; v < V; ++v) {
      float32x4_t r = acc[c][v];
      if (bias) r = vaddq_f32(r, bv);
      if (clamp) r = clamp_f32x4(r, lo, hi);
      vst1q_f32(y + c * ldy + xs[v], r);
    }
  }
}

template <int S, int C>
inline void channels(size_t oy, size_t c0, const ConvRowsBlock& b, const Activation& act) {
  const size_t OW = b.OW;
  const float* w = b.w + c0 * b.K;  // panel c0 / 4
  const float* bias = b.bias ? b.bias + c0 : nullptr;
  const float* x = b.x + oy * b.ldx;
  float* y = b.y + c0 * b.ldy + oy * OW;
  size_t ox = 0;
  for (; ox + 16 <= OW; ox += 16) {
    const size_t xs[4] = {ox, ox + 4, ox + 8, ox + 12};
    tile<S, C, 4>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  }
  const size_t rest = OW - ox;  // 0..15, and OW >= 8: the last vector starts at OW - 4 >= 0
  if (rest == 0) return;
  if (rest <= 4) {
    const size_t xs[1] = {OW - 4};
    tile<S, C, 1>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  } else if (rest <= 8) {
    const size_t xs[2] = {ox, OW - 4};
    tile<S, C, 2>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  } else if (rest <= 12) {
    const size_t xs[3] = {ox, ox + 4, OW - 4};
    tile<S, C, 3>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  } else {
    const size_t xs[4] = {ox, ox + 4, ox + 8, OW - 4};
    tile<S, C, 4>(b.K, w, b.row_off, x, xs, bias, act, y, b.ldy);
  }
}

template <int S>
void rows(size_t oy0, size_t oy1, const ConvRowsBlock& b, const Activation& act) {
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

void conv_rows_f32_4x16__neon(size_t oy0, size_t oy1, const ConvRowsBlock& b, const Activation& a) {
  const Activation act = a;  // a local copy: stores to y cannot change it
  if (b.sx == 2) rows<2>(oy0, oy1, b, act);
  else rows<1>(oy0, oy1, b, act);
}

}  // namespace npuq
