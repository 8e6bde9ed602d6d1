// SGEMM microkernels for RVV 1.0: NR = 16 columns in the lanes of one vector, one accumulator per row;
// per k one load of the 16 B values, then per row one scalar load of A and one vfmacc.vf. The table
// picks the variant once from the CPU's VLEN (gemm_mr and the packing follow it):
//  sgemm_ukernel_6x16_e32m4__rvv: VLEN 128, 16 floats = an m4 group; 6 rows (24 + 4 registers).
//  sgemm_ukernel_8x16_e32m2__rvv: VLEN >= 256, 16 floats fit an m2 group; 8 rows (16 + 2 registers).
// Edge tiles run with vl = nr (the B panel keeps its 16-float stride) and compute only the mr rows, so
// only the mr x nr valid part of C and of the bias is read or written, with no copy through a buffer.
// vfmacc is fused like std::fma, k runs in order from +0 or from the partial sum in C, and the last K
// block adds the bias and then clamps by compare + merge: the operations of sgemm_ukernel_4x8__scalar
// lane by lane, so results are identical.
#include "dispatch/f32-kernels.h"
#include "kernels/simd/f32-lmul-rvv.h"

namespace npuq {

namespace {

constexpr size_t kNr = 16;

// R rows (R <= MR <= 8) x nr columns; A panels are MR wide (rows past R are padding).
template <class T, int MR, int R>
void tile(size_t nr, size_t kc, const float* a, const float* b, float* c, size_t ldc, const SgemmTile& t) {
  using V = typename T::V;
  const size_t vl = nr;
#define NPUQ_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
  // Named accumulators: RVV vectors are sizeless, so no arrays of them.
  const V z = T::zero(vl);
#define NPUQ_INIT_ROW(r) V c##r = z; if constexpr (R > r) if (!t.first) c##r = T::load(c + r * ldc, vl);
  NPUQ_ROWS(NPUQ_INIT_ROW)
#undef NPUQ_INIT_ROW
#define NPUQ_FMA_ROW(r) if constexpr (R > r) c##r = T::fmacc(c##r, a[r], bv, vl);
  for (size_t k = 0; k < kc; ++k, a += MR, b += kNr) {
    const V bv = T::load(b, vl);
    NPUQ_ROWS(NPUQ_FMA_ROW)
  }
#undef NPUQ_FMA_ROW
  // One row at a time, so at most the column bias lives next to the accumulators.
#define NPUQ_STORE_ROW(r)                                                                       \
  if constexpr (R > r) {                                                                        \
    V v = c##r;                                                                                 \
    if (t.last) {                                                                               \
      if (t.bias) v = t.bias_per_column ? T::add(v, T::load(t.bias, vl), vl) : T::add(v, t.bias[r], vl); \
      if (t.act) v = T::clamp(v, t.lo, t.hi, vl);                                               \
    }                                                                                           \
    T::store(c + r * ldc, v, vl);                                                               \
  }
  NPUQ_ROWS(NPUQ_STORE_ROW)
#undef NPUQ_STORE_ROW
#undef NPUQ_ROWS
}

using TileFn = void (*)(size_t, size_t, const float*, const float*, float*, size_t, const SgemmTile&);

template <class T, int MR>
constexpr TileFn kTiles[9] = {nullptr,
                              tile<T, MR, 1>,
                              tile<T, MR, 2>,
                              tile<T, MR, 3>,
                              tile<T, MR, 4>,
                              tile<T, MR, 5>,
                              tile<T, MR, 6>,
                              tile<T, MR, MR < 7 ? MR : 7>,
                              tile<T, MR, MR < 8 ? MR : 8>};

}  // namespace

void sgemm_ukernel_6x16_e32m4__rvv(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c,
                                   size_t ldc, const SgemmTile& t) {
  kTiles<F32M4, 6>[mr](nr, kc, a, b, c, ldc, t);
}

void sgemm_ukernel_8x16_e32m2__rvv(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c,
                                   size_t ldc, const SgemmTile& t) {
  kTiles<F32M2, 8>[mr](nr, kc, a, b, c, ldc, t);
}

}  // namespace npuq
