// sgemm_ukernel_8x8__neon: 8 rows x 8 columns, 16 float32x4 accumulators (two per row). Per k: A's 8
// rows in two float32x4, B's 8 columns in two, and each row's fma takes its A value by lane
// (fmla by element), so there is no broadcast instruction at all: 4 loads and 16 fmla per k. Edge tiles
// of fewer rows compute only those rows. vfmaq_laneq_f32 is fused (as std::fma), one accumulator lane
// per output and the k order of the scalar tile: results are identical.
//
// Why 8 x 8: the driver's blocks need MR | kSgemmMC (72) and NR | kSgemmNC (1024) (a prepacked B is
// indexed by whole NR-panels from each NC block), which rules out 8 x 12; and the A operand of a
// convolution is its weights, so MR = 8 divides the usual channel counts (16, 24, 32, 64, 160 ...)
// where 12 would leave part-filled edge tiles. 16 accumulators cover the fma latency of two pipes.
#include <arm_neon.h>

#include <cstring>

#include "dispatch/f32-kernels.h"
#include "kernels/simd/clamp-neon.h"

namespace npuq {

namespace {

constexpr size_t kMr = 8, kNr = 8;

// R full rows (R <= 8) x 8 columns at c (row stride ldc). bias: R (per row) or 8 (per column) readable
// floats, or null. Named accumulators and `if constexpr` per row, as in sgemm-avx2.cc.
template <int R>
inline void tile_rx8(size_t kc, const float* a, const float* b, float* c, size_t ldc, const SgemmTile& t,
                     const float* bias) {
#define NPUQ_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
  float32x4_t c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
  c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = vdupq_n_f32(0.0f);
  c40 = c41 = c50 = c51 = c60 = c61 = c70 = c71 = vdupq_n_f32(0.0f);
  if (!t.first) {
#define NPUQ_LOAD_ROW(r) \
  if constexpr (R > r) { c##r##0 = vld1q_f32(c + r * ldc); c##r##1 = vld1q_f32(c + r * ldc + 4); }
    NPUQ_ROWS(NPUQ_LOAD_ROW)
#undef NPUQ_LOAD_ROW
  }
  // Rows 0-3 take their A value from a0's lanes, rows 4-7 from a1's.
#define NPUQ_FMA_ROW(r)                                                 \
  if constexpr (R > r) {                                                \
    c##r##0 = vfmaq_laneq_f32(c##r##0, b0, r < 4 ? a0 : a1, r % 4);     \
    c##r##1 = vfmaq_laneq_f32(c##r##1, b1, r < 4 ? a0 : a1, r % 4);     \
  }
  for (const float* const b_end = b + kc * kNr; b != b_end;) {
    const float32x4_t a0 = vld1q_f32(a);
    const float32x4_t a1 = R > 4 ? vld1q_f32(a + 4) : a0;
    const float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
    NPUQ_ROWS(NPUQ_FMA_ROW)
    a += kMr;  // A panels are always 8 rows wide; rows past R are padding
    b += kNr;
  }
#undef NPUQ_FMA_ROW
  if (t.last) {
    if (bias) {
      if (t.bias_per_column) {
        const float32x4_t v0 = vld1q_f32(bias), v1 = vld1q_f32(bias + 4);
#define NPUQ_BIAS_ROW(r) if constexpr (R > r) { c##r##0 = vaddq_f32(c##r##0, v0); c##r##1 = vaddq_f32(c##r##1, v1); }
        NPUQ_ROWS(NPUQ_BIAS_ROW)
#undef NPUQ_BIAS_ROW
      } else {
#define NPUQ_BIAS_ROW(r) if constexpr (R > r) { const float32x4_t v = vdupq_n_f32(bias[r]); \
          c##r##0 = vaddq_f32(c##r##0, v); c##r##1 = vaddq_f32(c##r##1, v); }
        NPUQ_ROWS(NPUQ_BIAS_ROW)
#undef NPUQ_BIAS_ROW
      }
    }
    if (t.act) {
      const float32x4_t lo = vdupq_n_f32(t.lo), hi = vdupq_n_f32(t.hi);
#define NPUQ_CLAMP_ROW(r) if constexpr (R > r) { c##r##0 = clamp_f32x4(c##r##0, lo, hi); c##r##1 = clamp_f32x4(c##r##1, lo, hi); }
      NPUQ_ROWS(NPUQ_CLAMP_ROW)
#undef NPUQ_CLAMP_ROW
    }
  }
#define NPUQ_STORE_ROW(r) \
  if constexpr (R > r) { vst1q_f32(c + r * ldc, c##r##0); vst1q_f32(c + r * ldc + 4, c##r##1); }
  NPUQ_ROWS(NPUQ_STORE_ROW)
#undef NPUQ_STORE_ROW
#undef NPUQ_ROWS
}

using TileFn = void (*)(size_t, const float*, const float*, float*, size_t, const SgemmTile&, const float*);
constexpr TileFn kTiles[9] = {nullptr,     tile_rx8<1>, tile_rx8<2>, tile_rx8<3>, tile_rx8<4>,
                              tile_rx8<5>, tile_rx8<6>, tile_rx8<7>, tile_rx8<8>};

}  // namespace

void sgemm_ukernel_8x8__neon(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c,
                             size_t ldc, const SgemmTile& t) {
  if (nr == kNr) {  // full width: only the rows that exist
    kTiles[mr](kc, a, b, c, ldc, t, t.bias);
    return;
  }
  // Narrow edge tile: the same rows over a full-width local tile, then copy the valid part (C and a
  // per-column bias may hold only nr readable floats per row).
  alignas(16) float tmp[kMr * kNr];
  alignas(16) float bias[kNr] = {0};
  const float* tb = t.bias;
  if (!t.first)
    for (size_t i = 0; i < mr; ++i) std::memcpy(tmp + i * kNr, c + i * ldc, nr * sizeof(float));
  if (t.bias && t.bias_per_column) {
    std::memcpy(bias, t.bias, nr * sizeof(float));
    tb = bias;
  }
  kTiles[mr](kc, a, b, tmp, kNr, t, tb);
  for (size_t i = 0; i < mr; ++i) std::memcpy(c + i * ldc, tmp + i * kNr, nr * sizeof(float));
}

}  // namespace npuq
