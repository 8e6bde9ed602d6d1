// qdwconv_c8_s16s16_s32__neon: 8 channels in two int32x4 halves, vmlal_s16 / vmlal_high_s16 (int16 x
// int16 -> int32 widening multiply-accumulate, exact), 2 output pixels per step.
#include <arm_neon.h>

#include "dispatch/q-kernels.h"

namespace npuq {

void qdwconv_c8_s16s16_s32__neon(const QDwC8Window& p, const int16_t* w, int32_t* acc) {
  const size_t step = p.SW * 8;
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const int16_t* row = p.xp + oh * p.SH * p.Wp * 8;
    int32_t* out = acc + oh * p.OW * 8;
    size_t ow = 0;
    for (; ow + 2 <= p.OW; ow += 2) {
      const int16_t* base = row + ow * step;
      int32x4_t a0 = vdupq_n_s32(0), a1 = a0, b0 = a0, b1 = a0;
      for (size_t t = 0; t < p.taps; ++t) {
        const int16x8_t wt = vld1q_s16(w + t * 8);
        const int16_t* x = base + p.tap_off[t] * 8;
        const int16x8_t xa = vld1q_s16(x), xb = vld1q_s16(x + step);
        a0 = vmlal_s16(a0, vget_low_s16(xa), vget_low_s16(wt));
        a1 = vmlal_high_s16(a1, xa, wt);
        b0 = vmlal_s16(b0, vget_low_s16(xb), vget_low_s16(wt));
        b1 = vmlal_high_s16(b1, xb, wt);
      }
      int32_t* o = out + ow * 8;
      vst1q_s32(o, a0);
      vst1q_s32(o + 4, a1);
      vst1q_s32(o + 8, b0);
      vst1q_s32(o + 12, b1);
    }
    for (; ow < p.OW; ++ow) {
      const int16_t* base = row + ow * step;
      int32x4_t a0 = vdupq_n_s32(0), a1 = a0;
      for (size_t t = 0; t < p.taps; ++t) {
        const int16x8_t wt = vld1q_s16(w + t * 8), xa = vld1q_s16(base + p.tap_off[t] * 8);
        a0 = vmlal_s16(a0, vget_low_s16(xa), vget_low_s16(wt));
        a1 = vmlal_high_s16(a1, xa, wt);
      }
      vst1q_s32(out + ow * 8, a0);
      vst1q_s32(out + ow * 8 + 4, a1);
    }
  }
}

}  // namespace npuq
