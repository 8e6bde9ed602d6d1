// qdwconv_s32s32_s64_v__rvv: vector-length agnostic, one strip of outputs (e32 inputs at LMUL 2 widened
// into e64 accumulators at LMUL 4) per step, every tap one widening multiply-accumulate by the scalar
// weight (vwmacc.vx, exact).
#include <riscv_vector.h>

#include "dispatch/q-kernels.h"

namespace npuq {

void qdwconv_s32s32_s64_v__rvv(const QPlaneWindow32& p, const int32_t* w, int64_t* acc) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const int32_t* base = p.xp + oh * p.SH * p.row_stride;
    int64_t* out = acc + oh * p.OW;
    for (size_t ow = 0; ow < p.OW;) {
      const size_t vl = __riscv_vsetvl_e32m2(p.OW - ow);
      vint64m4_t a = __riscv_vmv_v_x_i64m4(0, vl);
      for (size_t t = 0; t < p.taps; ++t)
        a = __riscv_vwmacc_vx_i64m4(a, w[t], __riscv_vle32_v_i32m2(base + p.tap_off[t] + ow, vl), vl);
      __riscv_vse64_v_i64m4(out + ow, a, vl);
      ow += vl;
    }
  }
}

}  // namespace npuq
