// qdwconv_s16s16_s32__scalar: depthwise window sums over a pre-padded int16 plane (q - zp), int32 exact
// (the specification of the SIMD tiers' depthwise kernels).
#include "dispatch/q-kernels.h"

namespace npuq {

void qdwconv_s16s16_s32__scalar(const QPlaneWindow& p, const int16_t* w, int32_t* acc) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const int16_t* base = p.xp + oh * p.SH * p.row_stride;
    int32_t* out = acc + oh * p.OW;
    for (size_t ow = 0; ow < p.OW; ++ow) out[ow] = 0;
    for (size_t t = 0; t < p.taps; ++t) {
      const int16_t* x = base + p.tap_off[t];
      const int32_t wt = w[t];
      for (size_t ow = 0; ow < p.OW; ++ow) out[ow] += int32_t(x[ow]) * wt;
    }
  }
}

}  // namespace npuq
