// conv_direct_f32_16x6__neon: 16 output channels (four float32x4, channels in lanes) x 6 output columns,
// 24 accumulators. Per tap: four weight loads, then per column one scalar load straight from the input
// (the column's origin + the tap's offset, a register-offset `ldr s`) and four fmla by element on it, so
// no im2col panel is ever written. vfmaq_n_f32 is fused (as std::fma), one lane per output and the k
// order of the scalar tile: results are identical. A panel of fewer channels computes only the float32x4
// groups that hold them.
//
// 16 x 6 rather than more columns: 24 accumulators + 4 weights + the column scalar fill the 32 registers
// with nothing left for GCC to spill (8 channels x 12 columns would load 13 values per 24 fma, not 10).
#include <arm_neon.h>

#include "dispatch/f32-kernels.h"
#include "kernels/simd/clamp-neon.h"
#include "kernels/simd/transpose-neon.h"

namespace npuq {

namespace {

constexpr size_t kCols = 6;

// + bias, then the scalar kernels' clamp (clamp-neon.h).
struct Epilogue {
  bool has_bias, act;
  float32x4_t lo, hi;
  float32x4_t operator()(float32x4_t v, float32x4_t bias) const {
    if (has_bias) v = vaddq_f32(v, bias);
    if (act) v = clamp_f32x4(v, lo, hi);
    return v;
  }
};

// Channels [0, rows) of one float32x4 group over 6 consecutive columns: y[i * ldy + 0..5] for channel i.
// Columns 0-3 by a 4x4 transpose (one 4-float store per channel), columns 4-5 zipped into pairs.
inline void store_group_6(float32x4_t v0, float32x4_t v1, float32x4_t v2, float32x4_t v3, float32x4_t v4,
                          float32x4_t v5, float* y, size_t ldy, size_t rows) {
  transpose4(v0, v1, v2, v3);
  const float32x4_t z01 = vzip1q_f32(v4, v5), z23 = vzip2q_f32(v4, v5);  // (c4, c5) of channels 0,1 | 2,3
  vst1q_f32(y, v0);
  vst1_f32(y + 4, vget_low_f32(z01));
  if (rows > 1) {
    vst1q_f32(y + ldy, v1);
    vst1_f32(y + ldy + 4, vget_high_f32(z01));
  }
  if (rows > 2) {
    vst1q_f32(y + 2 * ldy, v2);
    vst1_f32(y + 2 * ldy + 4, vget_low_f32(z23));
  }
  if (rows > 3) {
    vst1q_f32(y + 3 * ldy, v3);
    vst1_f32(y + 3 * ldy + 4, vget_high_f32(z23));
  }
}

// H groups of 4 channels (1..4) x 6 columns. Named accumulators and `if constexpr` per group (GCC keeps
// them in registers; an array of float32x4_t risks stack round trips on every tap). With `y6` the 6
// columns are consecutive outputs at y6 (channel i at y6 + i * ldy); otherwise the tile goes to
// out[col][16] for the caller's scatter.
template <int H>
inline void tile(size_t K, const float* w, const uint32_t* row, const float* const* xs, const float* bias,
                 const Epilogue& ep, size_t mr, float* y6, size_t ldy, float* out) {
#define NPUQ_COLS(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define NPUQ_GROUPS(X, j) X(j, 0) X(j, 1) X(j, 2) X(j, 3)
  float32x4_t c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23;
  float32x4_t c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53;
  c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = vdupq_n_f32(0.0f);
  c30 = c31 = c32 = c33 = c40 = c41 = c42 = c43 = c50 = c51 = c52 = c53 = vdupq_n_f32(0.0f);
  const float *x0 = xs[0], *x1 = xs[1], *x2 = xs[2], *x3 = xs[3], *x4 = xs[4], *x5 = xs[5];
#define NPUQ_FMA(j, h) if constexpr (H > h) c##j##h = vfmaq_n_f32(c##j##h, w##h, v);
  // The empty asm is a compiler-only barrier (no instruction): without it GCC 12's pre-RA scheduler
  // hoists all six column loads to the top of the tap, 34 live vectors, and 3 accumulators go to the
  // stack and back on every tap. With it, each column load sits just ahead of its four fmla.
#define NPUQ_FMA_COL(j)                      \
  {                                          \
    const float v = x##j[o];                 \
    __asm__ volatile("" ::: "memory");       \
    NPUQ_GROUPS(NPUQ_FMA, j)                 \
  }
  for (const uint32_t* const row_end = row + K; row != row_end; ++row, w += 16) {
    const size_t o = *row;
    const float32x4_t w0 = vld1q_f32(w);
    float32x4_t w1, w2, w3;
    if constexpr (H > 1) w1 = vld1q_f32(w + 4);
    if constexpr (H > 2) w2 = vld1q_f32(w + 8);
    if constexpr (H > 3) w3 = vld1q_f32(w + 12);
    NPUQ_COLS(NPUQ_FMA_COL)
  }
#undef NPUQ_FMA_COL
#undef NPUQ_FMA
  // bias: 16 readable floats (0 past mr); without one, any vector (unused).
  float32x4_t b0 = ep.lo, b1 = ep.lo, b2 = ep.lo, b3 = ep.lo;
  if (bias) {
    b0 = vld1q_f32(bias);
    b1 = vld1q_f32(bias + 4);
    b2 = vld1q_f32(bias + 8);
    b3 = vld1q_f32(bias + 12);
  }
#define NPUQ_EPI(j, h) if constexpr (H > h) c##j##h = ep(c##j##h, b##h);
#define NPUQ_EPI_COL(j) NPUQ_GROUPS(NPUQ_EPI, j)
  NPUQ_COLS(NPUQ_EPI_COL)
#undef NPUQ_EPI_COL
#undef NPUQ_EPI
  if (y6) {
#define NPUQ_STORE6(h)                                                                                  \
  if constexpr (H > h) {                                                                                \
    if (mr > 4 * h)                                                                                     \
      store_group_6(c0##h, c1##h, c2##h, c3##h, c4##h, c5##h, y6 + 4 * h * ldy, ldy, mr - 4 * h);       \
  }
    NPUQ_STORE6(0) NPUQ_STORE6(1) NPUQ_STORE6(2) NPUQ_STORE6(3)
#undef NPUQ_STORE6
    return;
  }
#define NPUQ_STORE(j, h) if constexpr (H > h) vst1q_f32(out + j * 16 + 4 * h, c##j##h);
#define NPUQ_STORE_COL(j) NPUQ_GROUPS(NPUQ_STORE, j)
  NPUQ_COLS(NPUQ_STORE_COL)
#undef NPUQ_STORE_COL
#undef NPUQ_STORE
#undef NPUQ_GROUPS
#undef NPUQ_COLS
}

using TileFn = void (*)(size_t, const float*, const uint32_t*, const float* const*, const float*, const Epilogue&,
                        size_t, float*, size_t, float*);
constexpr TileFn kTiles[5] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>};

}  // namespace

void conv_direct_f32_16x6__neon(size_t mr, size_t n, const ConvDirectBlock& b, const Activation& act) {
  if (mr == 0) return;
  alignas(16) float out[kCols * 16];
  const Epilogue ep{b.bias != nullptr, act.enabled, vdupq_n_f32(act.lo), vdupq_n_f32(act.hi)};
  const TileFn fn = kTiles[(mr + 3) / 4];
  for (size_t j0 = 0; j0 < n; j0 += kCols) {
    const size_t nr = n - j0 < kCols ? n - j0 : kCols;
    // Missing columns of a tail tile repeat the last one (valid reads; never stored).
    const float* xs[kCols];
    for (size_t j = 0; j < kCols; ++j) xs[j] = b.x + b.x_off[j0 + (j < nr ? j : nr - 1)];
    const uint32_t* yo = b.y_off + j0;
    // Six consecutive output columns (one image row, or rows of one image back to back): transposed in
    // registers, each channel one 4-float and one 2-float store instead of six scalar ones.
    const bool consecutive = nr == kCols && yo[1] == yo[0] + 1 && yo[2] == yo[0] + 2 && yo[3] == yo[0] + 3 &&
                             yo[4] == yo[0] + 4 && yo[5] == yo[0] + 5;
    fn(b.K, b.w, b.row_off, xs, b.bias, ep, mr, consecutive ? b.y + yo[0] : nullptr, b.ldy, out);
    if (consecutive) continue;
    for (size_t j = 0; j < nr; ++j) {
      float* yj = b.y + yo[j];
      const float* oj = out + j * 16;
      for (size_t i = 0; i < mr; ++i) yj[i * b.ldy] = oj[i];
    }
  }
}

}  // namespace npuq
