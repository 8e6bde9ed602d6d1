// Direct convolution tiles (QConvDirectBlock) for RVV 1.0: the mr output channels in the int32 lanes of
// one vector (vl = mr <= 16), one accumulator per output column. Per depth pair: two strided loads
// de-interleave the mr channels' weight pairs into first and second weights (int16), then per column the
// input pair's two int16 as scalars, straight from the convolution's buffer, and two vwmacc.vx (int32 +=
// int16 scalar x int16 vector, exact). Every sum is one of the spec's (the driver guarantees no partial
// sum overflows, in any order), so results equal qconv_direct_s16s16_s32__scalar. The table picks the
// variant once from the CPU's VLEN, as conv-direct-f32-rvv.cc does:
//  qconv_direct_s16s16_s32_16x6_e32m4__rvv: VLEN 128, 16 int32 = an m4 group (the weights e16m2);
//    6 columns (24 + 4 registers).
//  qconv_direct_s16s16_s32_16x12_e32m2__rvv: VLEN >= 256, 16 int32 fit an m2 group (weights e16m1);
//    12 columns (24 + 2 registers), a tail of at most 6 columns runs the 6-column tile.
// Missing columns of a tail tile repeat a valid column (valid reads, never stored). Each column's mr
// channels go out with one strided store (ldc words apart), so nothing outside the mr x n block is
// written.
//
// Strided loads rather than vlseg2e16: the segment-load intrinsics changed signature between clang 16
// (pointer outputs) and 17 (tuple types); the strided form is the same in both.
#include <riscv_vector.h>

#include "dispatch/q-kernels.h"

namespace npuq {

namespace {

// M16 / M32: the LMUL suffixes of the int16 weights and their int32 sums (M32 = 2 * M16).
#define NPUQ_S16_RVV_LMUL(NAME, M16, M32)                                                             \
  struct NAME {                                                                                     \
    using W = vint16##M16##_t;                                                                      \
    using A = vint32##M32##_t;                                                                      \
    static A zero(size_t vl) { return __riscv_vmv_v_x_i32##M32(0, vl); }                            \
    /* lane i from p + i * bytes / 2 */                                                             \
    static W load_strided(const int16_t* p, ptrdiff_t bytes, size_t vl) {                           \
      return __riscv_vlse16_v_i16##M16(p, bytes, vl);                                               \
    }                                                                                               \
    /* acc + a * b, widened to int32 (exact) */                                                     \
    static A wmacc(A acc, int16_t a, W b, size_t vl) { return __riscv_vwmacc_vx_i32##M32(acc, a, b, vl); } \
    /* lane i to p + i * bytes / 4 */                                                               \
    static void store_strided(int32_t* p, ptrdiff_t bytes, A v, size_t vl) {                        \
      __riscv_vsse32_v_i32##M32(p, bytes, v, vl);                                                   \
    }                                                                                               \
  };

NPUQ_S16_RVV_LMUL(S16M1, m1, m2)
NPUQ_S16_RVV_LMUL(S16M2, m2, m4)
#undef NPUQ_S16_RVV_LMUL

// C columns (C <= 12) of xs, of which the first nr are stored at acc + j; vl = mr channels.
template <class T, int C>
void tile(size_t vl, size_t nr, const QConvDirectBlock& b, const int16_t* const* xs, int32_t* acc) {
  using A = typename T::A;
  using W = typename T::W;
#define NPUQ_COLS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
  // Named accumulators: RVV vectors are sizeless, so no arrays of them.
  const A z = T::zero(vl);
#define NPUQ_INIT_COL(j) A a##j = z; const int16_t* x##j = xs[C > j ? j : 0];
  NPUQ_COLS(NPUQ_INIT_COL)
#undef NPUQ_INIT_COL
  const int16_t* w = b.w;
  const uint32_t* po = b.pair_off;
  constexpr ptrdiff_t kPairBytes = 2 * sizeof(int16_t);
  // One address per column, both halves of the pair off it (lh 0 / lh 2): with x##j[o + 1] clang adds
  // o + 1 to the column origin separately, one more instruction per column and pair.
#define NPUQ_MAC_COL(j)                                    \
  if constexpr (C > j) {                                   \
    const int16_t* xp = x##j + o;                          \
    a##j = T::wmacc(a##j, xp[0], w0, vl);                  \
    a##j = T::wmacc(a##j, xp[1], w1, vl);                  \
  }
  for (size_t g = 0; g < b.pairs; ++g, w += 2 * kQConvDirectMr) {
    const size_t o = 2 * size_t(po[g]);
    const W w0 = T::load_strided(w, kPairBytes, vl);      // first weight of each channel's pair
    const W w1 = T::load_strided(w + 1, kPairBytes, vl);  // second
    NPUQ_COLS(NPUQ_MAC_COL)
  }
#undef NPUQ_MAC_COL
  const ptrdiff_t stride = static_cast<ptrdiff_t>(b.ldc * sizeof(int32_t));
#define NPUQ_STORE_COL(j) \
  if constexpr (C > j) {  \
    if (j < nr) T::store_strided(acc + j, stride, a##j, vl); \
  }
  NPUQ_COLS(NPUQ_STORE_COL)
#undef NPUQ_STORE_COL
#undef NPUQ_COLS
}

// Tiles of C columns; a tail of at most CT columns runs the CT-column tile.
template <class T, int C, int CT>
void run(size_t mr, size_t n, const QConvDirectBlock& b) {
  static_assert(CT <= C && C <= 12, "at most 12 named accumulators");
  for (size_t j0 = 0; j0 < n; j0 += C) {
    const size_t nr = n - j0 < C ? n - j0 : C;
    const int16_t* xs[C];
    for (size_t j = 0; j < C; ++j) xs[j] = b.x + 2 * size_t(b.x_off[j0 + (j < nr ? j : nr - 1)]);
    if (CT < C && nr <= CT)
      tile<T, CT>(mr, nr, b, xs, b.acc + j0);
    else
      tile<T, C>(mr, nr, b, xs, b.acc + j0);
  }
}

}  // namespace

void qconv_direct_s16s16_s32_16x6_e32m4__rvv(size_t mr, size_t n, const QConvDirectBlock& b) {
  run<S16M2, 6, 6>(mr, n, b);
}

void qconv_direct_s16s16_s32_16x12_e32m2__rvv(size_t mr, size_t n, const QConvDirectBlock& b) {
  run<S16M1, 12, 6>(mr, n, b);
}

}  // namespace npuq
