// dwconv_c8_f32__scalar: depthwise convolution of up to 8 channels of one image, channels interleaved
// (DwC8Block). The planes are copied into scratch as a zero-padded [Hp][Wp][8] image; each output pixel
// then runs the 8 lanes side by side: acc = +0; for (kh, kw) in order: acc = fma(w, v, acc); then
// + bias, then the clamp; exactly dwconv_direct_f32__scalar per lane (a padding tap is an fma with +0
// there too). The specification of every dwconv_c8 kernel.
#include <cmath>

#include "dispatch/f32-kernels.h"

namespace npuq {

void dwconv_c8_f32__scalar(const DwC8Block& b, const Activation& act) {
  const size_t Hp = dwconv_c8_padded(b.OH, b.KH, b.SH, b.DH), Wp = dwconv_c8_padded(b.OW, b.KW, b.SW, b.DW);
  const size_t HW = b.H * b.W, OHW = b.OH * b.OW;
  float* xp = b.scratch;
  for (size_t r = 0; r < Hp; ++r) {
    const long ih = static_cast<long>(r) - static_cast<long>(b.PT);
    for (size_t q = 0; q < Wp; ++q) {
      const long iw = static_cast<long>(q) - static_cast<long>(b.PL);
      const bool in = ih >= 0 && ih < static_cast<long>(b.H) && iw >= 0 && iw < static_cast<long>(b.W);
      float* px = xp + (r * Wp + q) * 8;
      for (size_t c = 0; c < 8; ++c) px[c] = in && c < b.channels ? b.x[c * HW + ih * b.W + iw] : 0.0f;
    }
  }
  for (size_t oh = 0; oh < b.OH; ++oh) {
    for (size_t ow = 0; ow < b.OW; ++ow) {
      float acc[8] = {};
      for (size_t kh = 0; kh < b.KH; ++kh) {
        const float* row = xp + (oh * b.SH + kh * b.DH) * Wp * 8;
        for (size_t kw = 0; kw < b.KW; ++kw) {
          const float* v = row + (ow * b.SW + kw * b.DW) * 8;
          const float* w = b.w + (kh * b.KW + kw) * 8;
          for (size_t c = 0; c < b.channels; ++c) acc[c] = std::fma(w[c], v[c], acc[c]);
        }
      }
      for (size_t c = 0; c < b.channels; ++c) {
        float a = acc[c];
        if (b.bias) a = a + b.bias[c];
        if (act.enabled) {
          a = a > act.lo ? a : act.lo;
          a = a < act.hi ? a : act.hi;
        }
        b.y[c * OHW + oh * b.OW + ow] = a;
      }
    }
  }
}

}  // namespace npuq
