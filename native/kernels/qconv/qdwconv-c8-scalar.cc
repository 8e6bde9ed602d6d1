// qdwconv_c8_s16s16_s32__scalar: depthwise window sums of 8 interleaved channels (QDwC8Window), int32
// exact: the specification of the SIMD tiers' c8 kernels; and c8_planar_s32__scalar, the sums back to
// channel planes.
#include "dispatch/q-kernels.h"

namespace npuq {

void qdwconv_c8_s16s16_s32__scalar(const QDwC8Window& p, const int16_t* w, int32_t* acc) {
  for (size_t oh = 0; oh < p.OH; ++oh)
    for (size_t ow = 0; ow < p.OW; ++ow) {
      const int16_t* base = p.xp + (oh * p.SH * p.Wp + ow * p.SW) * 8;
      int32_t* out = acc + (oh * p.OW + ow) * 8;
      for (size_t c = 0; c < 8; ++c) out[c] = 0;
      for (size_t t = 0; t < p.taps; ++t) {
        const int16_t* x = base + p.tap_off[t] * 8;
        for (size_t c = 0; c < 8; ++c) out[c] += int32_t(x[c]) * int32_t(w[t * 8 + c]);
      }
    }
}

void c8_planar_s32__scalar(const int32_t* acc, size_t n, int32_t* planar) {
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < 8; ++c) planar[c * n + i] = acc[i * 8 + c];
}

}  // namespace npuq
