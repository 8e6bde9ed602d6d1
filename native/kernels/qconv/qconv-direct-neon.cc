// qconv_direct_s16s16_s32_16x5__neon: 16 output channels (four int32x4 groups, channels in lanes) x 5
// output columns, 20 accumulators. Per depth pair: two ld2 de-interleave the 16 channels' weight pairs
// into first and second weights (4 registers: channels 0-7 and 8-15 of each), then per column one 32-bit
// load of the input pair straight from the convolution's buffer (a register-offset `ldr s`) and eight
// smlal/smlal2 by element: lane 0 of the pair times the first weights, lane 1 times the second. Widening
// int16 x int16 -> int32 products are exact and every sum is one of the spec's (the driver guarantees no
// partial sum overflows in any order), so results equal the scalar tile. A panel of fewer channels
// computes only the int32x4 groups that hold them.
//
// De-interleaving the weights (rather than multiplying the interleaved pairs by a broadcast input pair and
// adding neighbouring lanes at the end) keeps one int32 lane per output: 4 accumulators per column, not 8.
// 5 columns rather than 6: 6 would fit on paper (24 accumulators + 4 weights + the pair, which smlal by
// element wants in v0-v15), but GCC 12 then keeps 3 accumulators on the stack (71 instructions per pair
// for 48 smlal); at 5 the loop is clean: 52 instructions per pair, 40 of them smlal.
#include <arm_neon.h>

#include <cstring>

#include "dispatch/q-kernels.h"
#include "kernels/simd/transpose-neon.h"

namespace npuq {

namespace {

constexpr size_t kCols = 5;

// The int16 pair at p (4-byte aligned) in lanes 0, 1 (lanes 2, 3 zero): one `ldr s`.
inline int16x4_t load_pair(const int16_t* p) {
  float v;
  std::memcpy(&v, p, 4);
  return vreinterpret_s16_f32(vset_lane_f32(v, vdup_n_f32(0.0f), 0));
}

// Channels [0, rows) of one int32x4 group over 5 consecutive columns: acc[i * ldc + 0..4] for channel i.
// Columns 0-3 by a 4x4 transpose (one 4-word store per channel), column 4 one lane store per channel.
inline void store_group_5(int32x4_t c0, int32x4_t c1, int32x4_t c2, int32x4_t c3, int32x4_t c4, int32_t* acc,
                          size_t ldc, size_t rows) {
  float32x4_t v0 = vreinterpretq_f32_s32(c0), v1 = vreinterpretq_f32_s32(c1);
  float32x4_t v2 = vreinterpretq_f32_s32(c2), v3 = vreinterpretq_f32_s32(c3);
  transpose4(v0, v1, v2, v3);
  vst1q_f32(reinterpret_cast<float*>(acc), v0);
  vst1q_lane_s32(acc + 4, c4, 0);
  if (rows > 1) {
    vst1q_f32(reinterpret_cast<float*>(acc + ldc), v1);
    vst1q_lane_s32(acc + ldc + 4, c4, 1);
  }
  if (rows > 2) {
    vst1q_f32(reinterpret_cast<float*>(acc + 2 * ldc), v2);
    vst1q_lane_s32(acc + 2 * ldc + 4, c4, 2);
  }
  if (rows > 3) {
    vst1q_f32(reinterpret_cast<float*>(acc + 3 * ldc), v3);
    vst1q_lane_s32(acc + 3 * ldc + 4, c4, 3);
  }
}

// H groups of 4 channels (1..4) x 5 columns. Named accumulators and `if constexpr` per group (GCC keeps
// them in registers; an array of int32x4_t risks stack round trips on every pair). Full tiles (`full`)
// go straight to acc rows i < mr; otherwise the tile goes to out[col][16] for the caller's copy.
template <int H>
inline void tile(size_t pairs, const int16_t* w, const uint32_t* po, const int16_t* const* xs, size_t mr,
                 bool full, int32_t* acc, size_t ldc, int32_t* out) {
#define NPUQ_COLS(X) X(0) X(1) X(2) X(3) X(4)
#define NPUQ_GROUPS(X, j) X(j, 0) X(j, 1) X(j, 2) X(j, 3)
  int32x4_t c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33, c40, c41, c42, c43;
  c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = vdupq_n_s32(0);
  c30 = c31 = c32 = c33 = c40 = c41 = c42 = c43 = vdupq_n_s32(0);
  const int16_t *x0 = xs[0], *x1 = xs[1], *x2 = xs[2], *x3 = xs[3], *x4 = xs[4];
  // Group h: channels 4h..4h+3, the low (h even) or high (h odd) half of w01 (h < 2) or w23.
#define NPUQ_MAC(j, h)                                                                   \
  if constexpr (H > h) {                                                                 \
    if constexpr (h % 2 == 0) {                                                          \
      c##j##h = vmlal_lane_s16(c##j##h, vget_low_s16((h < 2 ? w01 : w23).val[0]), v, 0); \
      c##j##h = vmlal_lane_s16(c##j##h, vget_low_s16((h < 2 ? w01 : w23).val[1]), v, 1); \
    } else {                                                                             \
      c##j##h = vmlal_high_lane_s16(c##j##h, (h < 2 ? w01 : w23).val[0], v, 0);          \
      c##j##h = vmlal_high_lane_s16(c##j##h, (h < 2 ? w01 : w23).val[1], v, 1);          \
    }                                                                                    \
  }
  // The empty asm is a compiler-only barrier (no instruction), as in conv-direct-f32-neon.cc: it keeps
  // each column's load next to its eight smlal instead of all five hoisted to the top of the pair.
#define NPUQ_MAC_COL(j)                        \
  {                                            \
    const int16x4_t v = load_pair(x##j + o);   \
    __asm__ volatile("" ::: "memory");         \
    NPUQ_GROUPS(NPUQ_MAC, j)                   \
  }
  for (const uint32_t* const po_end = po + pairs; po != po_end; ++po, w += 32) {
    const size_t o = 2 * size_t(*po);
    // w01 / w23: channels 0-7 / 8-15, val[0] their first weights, val[1] their second.
    int16x8x2_t w01, w23;
    w01 = vld2q_s16(w);
    if constexpr (H > 2) w23 = vld2q_s16(w + 16);
    NPUQ_COLS(NPUQ_MAC_COL)
  }
#undef NPUQ_MAC_COL
#undef NPUQ_MAC
  if (full) {
#define NPUQ_STORE5(h)                                                                                  \
  if constexpr (H > h) {                                                                                \
    if (mr > 4 * h) store_group_5(c0##h, c1##h, c2##h, c3##h, c4##h, acc + 4 * h * ldc, ldc, mr - 4 * h); \
  }
    NPUQ_STORE5(0) NPUQ_STORE5(1) NPUQ_STORE5(2) NPUQ_STORE5(3)
#undef NPUQ_STORE5
    return;
  }
#define NPUQ_STORE(j, h) if constexpr (H > h) vst1q_s32(out + j * 16 + 4 * h, c##j##h);
#define NPUQ_STORE_COL(j) NPUQ_GROUPS(NPUQ_STORE, j)
  NPUQ_COLS(NPUQ_STORE_COL)
#undef NPUQ_STORE_COL
#undef NPUQ_STORE
#undef NPUQ_GROUPS
#undef NPUQ_COLS
}

using TileFn = void (*)(size_t, const int16_t*, const uint32_t*, const int16_t* const*, size_t, bool, int32_t*,
                        size_t, int32_t*);
constexpr TileFn kTiles[5] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>};

}  // namespace

void qconv_direct_s16s16_s32_16x5__neon(size_t mr, size_t n, const QConvDirectBlock& b) {
  if (mr == 0) return;
  alignas(16) int32_t out[kCols * 16];
  const TileFn fn = kTiles[(mr + 3) / 4];
  for (size_t j0 = 0; j0 < n; j0 += kCols) {
    const size_t nr = n - j0 < kCols ? n - j0 : kCols;
    // Missing columns of a tail tile repeat the last one (valid reads; never stored).
    const int16_t* xs[kCols];
    for (size_t j = 0; j < kCols; ++j) xs[j] = b.x + 2 * size_t(b.x_off[j0 + (j < nr ? j : nr - 1)]);
    fn(b.pairs, b.w, b.pair_off, xs, mr, nr == kCols, b.acc + j0, b.ldc, out);
    if (nr == kCols) continue;
    for (size_t i = 0; i < mr; ++i) {
      int32_t* row = b.acc + i * b.ldc + j0;
      for (size_t j = 0; j < nr; ++j) row[j] = out[j * 16 + i];
    }
  }
}

}  // namespace npuq
