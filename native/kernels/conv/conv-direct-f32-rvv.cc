// Direct convolution tiles (ConvDirectBlock) for RVV 1.0: the mr channels of the weight panel in the
// lanes of one vector (vl = mr <= 16), one accumulator per output column. Per tap: one load of the mr
// weights, then per column one scalar load of the input value straight through the column's origin and
// the tap's offset, and one vfmacc.vf. The table picks the variant once from the CPU's VLEN:
//  conv_direct_f32_16x6_e32m4__rvv: VLEN 128, 16 floats = an m4 group; 6 columns (24 + 4 registers).
//  conv_direct_f32_16x12_e32m2__rvv: VLEN >= 256, 16 floats fit an m2 group; 12 columns (24 + 2
//    registers), a tail of at most 6 columns runs the 6-column tile.
// vfmacc is fused like std::fma and the taps run in k order from +0; then + bias, then the clamp as
// compare + merge: one lane per output and the operations of conv_direct_f32__scalar, so results are
// identical. Missing columns of a tail tile repeat a valid column (valid reads, never stored). Each
// column's mr channels go out with one strided store (ldy floats apart), so nothing outside the mr x n
// outputs is written.
#include "dispatch/f32-kernels.h"
#include "kernels/simd/f32-lmul-rvv.h"

namespace npuq {

namespace {

// C columns (C <= 12) of xs / yo, of which the first nr are stored; vl = mr channels.
template <class T, int C>
void tile(size_t vl, size_t nr, const ConvDirectBlock& b, const float* const* xs, const uint32_t* yo,
          const Activation& act) {
  using V = typename T::V;
#define NPUQ_COLS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
  // Named accumulators: RVV vectors are sizeless, so no arrays of them.
  const V z = T::zero(vl);
#define NPUQ_INIT_COL(j) V a##j = z; const float* x##j = xs[C > j ? j : 0];
  NPUQ_COLS(NPUQ_INIT_COL)
#undef NPUQ_INIT_COL
  const float* w = b.w;
  const uint32_t* row = b.row_off;
#define NPUQ_FMA_COL(j) if constexpr (C > j) a##j = T::fmacc(a##j, x##j[o], wv, vl);
  for (size_t k = 0; k < b.K; ++k, w += kConvDirectMr) {
    const size_t o = row[k];
    const V wv = T::load(w, vl);
    NPUQ_COLS(NPUQ_FMA_COL)
  }
#undef NPUQ_FMA_COL
  const ptrdiff_t ystride = static_cast<ptrdiff_t>(b.ldy * sizeof(float));
  // One column at a time, so at most the bias vector lives next to the accumulators.
#define NPUQ_STORE_COL(j)                                                   \
  if constexpr (C > j) {                                                    \
    if (j < nr) {                                                           \
      V v = a##j;                                                           \
      if (b.bias) v = T::add(v, T::load(b.bias, vl), vl);                   \
      if (act.enabled) v = T::clamp(v, act.lo, act.hi, vl);                 \
      T::store_strided(b.y + yo[j], ystride, v, vl);                        \
    }                                                                       \
  }
  NPUQ_COLS(NPUQ_STORE_COL)
#undef NPUQ_STORE_COL
#undef NPUQ_COLS
}

// Tiles of C columns; a tail of at most CT columns runs the CT-column tile.
template <class T, int C, int CT>
void run(size_t mr, size_t n, const ConvDirectBlock& b, const Activation& act) {
  static_assert(CT <= C && C <= 12, "at most 12 named accumulators");
  for (size_t j0 = 0; j0 < n; j0 += C) {
    const size_t nr = n - j0 < C ? n - j0 : C;
    const float* xs[C];
    for (size_t j = 0; j < C; ++j) xs[j] = b.x + b.x_off[j0 + (j < nr ? j : nr - 1)];
    if (CT < C && nr <= CT)
      tile<T, CT>(mr, nr, b, xs, b.y_off + j0, act);
    else
      tile<T, C>(mr, nr, b, xs, b.y_off + j0, act);
  }
}

}  // namespace

void conv_direct_f32_16x6_e32m4__rvv(size_t mr, size_t n, const ConvDirectBlock& b, const Activation& act) {
  run<F32M4, 6, 6>(mr, n, b, act);
}

void conv_direct_f32_16x12_e32m2__rvv(size_t mr, size_t n, const ConvDirectBlock& b, const Activation& act) {
  run<F32M2, 12, 6>(mr, n, b, act);
}

}  // namespace npuq
