// Pooling kernels, RVV 1.0, vector-length agnostic: MaxPool 2x2 stride 2 straight from the input rows,
// vl outputs per strip. A two-field segment load (vlseg2e32) splits even and odd columns; each tap is
// taken as acc = v > acc ? v : acc with vmfgt + vmerge, as the scalar specification does (vfmax would
// order -0 below +0). The strip length covers the row tail, so no scalar code is needed.
#include <riscv_vector.h>

#include <cmath>

#include "dispatch/f32-kernels.h"

namespace npuq {

namespace {

inline vfloat32m2_t take(vfloat32m2_t v, vfloat32m2_t acc, size_t vl) {
  return __riscv_vmerge_vvm_f32m2(acc, v, __riscv_vmfgt_vv_f32m2_b16(v, acc, vl), vl);
}

// Even and odd columns of 2*vl floats at p. Intrinsics v0.11 (clang 16) return the fields through
// pointers; v0.12 and later (clang >= 17, GCC >= 14) as a tuple.
inline void load_pairs(const float* p, size_t vl, vfloat32m2_t* even, vfloat32m2_t* odd) {
#if __riscv_v_intrinsic >= 12000
  const vfloat32m2x2_t t = __riscv_vlseg2e32_v_f32m2x2(p, vl);
  *even = __riscv_vget_v_f32m2x2_f32m2(t, 0);
  *odd = __riscv_vget_v_f32m2x2_f32m2(t, 1);
#else
  __riscv_vlseg2e32_v_f32m2(even, odd, p, vl);
#endif
}

}  // namespace

void maxpool2x2_f32_e32m2__rvv(size_t rows, size_t W, size_t OW, const float* x, float* y) {
  for (size_t r = 0; r < rows; ++r, x += 2 * W, y += OW) {
    const float* x0 = x;
    const float* x1 = x + W;
    for (size_t ow = 0, vl; ow < OW; ow += vl) {
      vl = __riscv_vsetvl_e32m2(OW - ow);
      vfloat32m2_t e0, o0, e1, o1;
      load_pairs(x0 + 2 * ow, vl, &e0, &o0);
      load_pairs(x1 + 2 * ow, vl, &e1, &o1);
      vfloat32m2_t acc = __riscv_vfmv_v_f_f32m2(-HUGE_VALF, vl);
      acc = take(e0, acc, vl);
      acc = take(o0, acc, vl);
      acc = take(e1, acc, vl);
      acc = take(o1, acc, vl);
      __riscv_vse32_v_f32m2(y + ow, acc, vl);
    }
  }
}

}  // namespace npuq
