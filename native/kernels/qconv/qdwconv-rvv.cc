// qdwconv_s16s16_s32_v__rvv: VLMAX(e16, m2) outputs per step (vector-length agnostic), vwmacc.vx
// int32 += int16 input vector * int16 weight over the taps, exact.
#include <riscv_vector.h>

#include "dispatch/q-kernels.h"

namespace npuq {

void qdwconv_s16s16_s32_v__rvv(const QPlaneWindow& p, const int16_t* w, int32_t* acc) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const int16_t* base = p.xp + oh * p.SH * p.row_stride;
    int32_t* out = acc + oh * p.OW;
    for (size_t ow = 0; ow < p.OW;) {
      const size_t vl = __riscv_vsetvl_e16m2(p.OW - ow);
      vint32m4_t s = __riscv_vmv_v_x_i32m4(0, vl);
      for (size_t t = 0; t < p.taps; ++t)
        s = __riscv_vwmacc_vx_i32m4(s, w[t], __riscv_vle16_v_i16m2(base + p.tap_off[t] + ow, vl), vl);
      __riscv_vse32_v_i32m4(out + ow, s, vl);
      ow += vl;
    }
  }
}

}  // namespace npuq
