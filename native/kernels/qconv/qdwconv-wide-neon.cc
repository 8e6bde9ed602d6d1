// qdwconv_s32s32_s64_8x__neon: 8 outputs per step in four int64x2 accumulators held over all taps,
// each tap one widening multiply-accumulate per pair of outputs (vmlal_s32 / vmlal_high_s32, exact).
// The last outputs of a row go through the scalar loop.
#include <arm_neon.h>

#include "dispatch/q-kernels.h"

namespace npuq {

void qdwconv_s32s32_s64_8x__neon(const QPlaneWindow32& p, const int32_t* w, int64_t* acc) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const int32_t* base = p.xp + oh * p.SH * p.row_stride;
    int64_t* out = acc + oh * p.OW;
    size_t ow = 0;
    for (; ow + 8 <= p.OW; ow += 8) {
      int64x2_t a0 = vdupq_n_s64(0), a1 = a0, a2 = a0, a3 = a0;
      for (size_t t = 0; t < p.taps; ++t) {
        const int32_t* x = base + p.tap_off[t] + ow;
        const int32x4_t x0 = vld1q_s32(x), x1 = vld1q_s32(x + 4);
        const int32x2_t wt = vdup_n_s32(w[t]);
        a0 = vmlal_s32(a0, vget_low_s32(x0), wt);
        a1 = vmlal_high_s32(a1, x0, vcombine_s32(wt, wt));
        a2 = vmlal_s32(a2, vget_low_s32(x1), wt);
        a3 = vmlal_high_s32(a3, x1, vcombine_s32(wt, wt));
      }
      vst1q_s64(out + ow, a0);
      vst1q_s64(out + ow + 2, a1);
      vst1q_s64(out + ow + 4, a2);
      vst1q_s64(out + ow + 6, a3);
    }
    for (; ow < p.OW; ++ow) {
      int64_t s = 0;
      for (size_t t = 0; t < p.taps; ++t) s += int64_t(base[p.tap_off[t] + ow]) * w[t];
      out[ow] = s;
    }
  }
}

}  // namespace npuq
