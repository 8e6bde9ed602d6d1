// qdwconv_s16s16_s32_8x__neon: 8 outputs per step, vmlal_n_s16 / vmlal_high_n_s16 (int16 x int16 ->
// int32 widening multiply-accumulate, exact) over the taps.
#include <arm_neon.h>

#include <cstring>

#include "dispatch/q-kernels.h"

namespace npuq {

void qdwconv_s16s16_s32_8x__neon(const QPlaneWindow& p, const int16_t* w, int32_t* acc) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const int16_t* base = p.xp + oh * p.SH * p.row_stride;
    int32_t* out = acc + oh * p.OW;
    for (size_t ow = 0; ow < p.OW; ow += 8) {
      int32x4_t lo = vdupq_n_s32(0), hi = vdupq_n_s32(0);
      for (size_t t = 0; t < p.taps; ++t) {
        const int16x8_t x = vld1q_s16(base + p.tap_off[t] + ow);
        lo = vmlal_n_s16(lo, vget_low_s16(x), w[t]);
        hi = vmlal_high_n_s16(hi, x, w[t]);
      }
      if (ow + 8 <= p.OW) {
        vst1q_s32(out + ow, lo);
        vst1q_s32(out + ow + 4, hi);
      } else {
        int32_t tmp[8];
        vst1q_s32(tmp, lo);
        vst1q_s32(tmp + 4, hi);
        std::memcpy(out + ow, tmp, (p.OW - ow) * sizeof(int32_t));
      }
    }
  }
}

}  // namespace npuq
