// dwconv_direct_f32__scalar: one depthwise output plane read in place from the unpadded input plane
// (DwDirectPlane). Each output is acc = +0; for (kh, kw) in order: acc = fma(w[t], v, acc) with v the input
// or 0 outside it (so a padding tap is an fma with 0, exactly as over a padded copy); then + bias, then
// the clamp. The specification of every dwconv_direct kernel; any stride works here.
#include <cmath>

#include "dispatch/f32-kernels.h"

namespace npuq {

void dwconv_direct_f32__scalar(const DwDirectPlane& p, const float* w, const float* bias, const Activation& act) {
  const long H = static_cast<long>(p.H), W = static_cast<long>(p.W);
  for (size_t oh = 0; oh < p.OH; ++oh) {
    float* y = p.y + oh * p.OW;
    for (size_t ow = 0; ow < p.OW; ++ow) {
      float acc = 0.0f;
      for (size_t kh = 0; kh < p.KH; ++kh) {
        const long ih = static_cast<long>(oh * p.SH + kh * p.DH) - static_cast<long>(p.PT);
        const bool row_in = ih >= 0 && ih < H;
        for (size_t kw = 0; kw < p.KW; ++kw) {
          const long iw = static_cast<long>(ow * p.SW + kw * p.DW) - static_cast<long>(p.PL);
          const float v = row_in && iw >= 0 && iw < W ? p.x[ih * W + iw] : 0.0f;
          acc = std::fma(w[kh * p.KW + kw], v, acc);
        }
      }
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
