// qdwconv_c8_s16s16_s32__rvv: 8 channels per vector (vl = 8: e16m1 inputs, e32m2 sums; V guarantees
// VLEN >= 128), vwmacc.vv int32 += int16 x int16 over the taps, exact.
#include <riscv_vector.h>

#include "dispatch/q-kernels.h"

namespace npuq {

void qdwconv_c8_s16s16_s32__rvv(const QDwC8Window& p, const int16_t* w, int32_t* acc) {
  const size_t vl = __riscv_vsetvl_e16m1(8);
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const int16_t* row = p.xp + oh * p.SH * p.Wp * 8;
    int32_t* out = acc + oh * p.OW * 8;
    for (size_t ow = 0; ow < p.OW; ++ow) {
      const int16_t* base = row + ow * p.SW * 8;
      vint32m2_t s = __riscv_vmv_v_x_i32m2(0, vl);
      for (size_t t = 0; t < p.taps; ++t)
        s = __riscv_vwmacc_vv_i32m2(s, __riscv_vle16_v_i16m1(w + t * 8, vl),
                                    __riscv_vle16_v_i16m1(base + p.tap_off[t] * 8, vl), vl);
      __riscv_vse32_v_i32m2(out + ow * 8, s, vl);
    }
  }
}

}  // namespace npuq
