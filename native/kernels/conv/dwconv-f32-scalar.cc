// dwconv_f32__scalar: one depthwise output plane over a padded, phase-split input plane (plane-window.h).
// y = fma chain over the taps in (kh, kw) order from +0, then + bias, then the clamp; padding reads 0.
#include <cmath>

#include "dispatch/f32-kernels.h"

namespace npuq {

void dwconv_f32__scalar(const PlaneWindow& p, const float* w, const float* bias, const Activation& act) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const float* base = p.xp + oh * p.SH * p.row_stride;
    float* y = p.y + oh * p.OW;
    for (size_t ow = 0; ow < p.OW; ++ow) {
      float acc = 0.0f;
      for (size_t t = 0; t < p.taps; ++t) acc = std::fma(w[t], base[p.tap_off[t] + ow], acc);
      if (bias) acc = acc + *bias;
      if (act.enabled) {
        acc = acc > act.lo ? acc : act.lo;
        acc = acc < act.hi ? acc : act.hi;
      }
      y[ow] = acc;
    }
  }
}

}  // namespace npuq
