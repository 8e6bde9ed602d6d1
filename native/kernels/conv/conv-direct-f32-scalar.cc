// conv_direct_f32__scalar: the reference of the direct convolution tile (ConvDirectBlock). Every output
// is an fma chain over the taps in k order from +0, then + bias, then the clamp, exactly as the GEMM
// tile computes it over the im2col matrix.
#include <cmath>

#include "dispatch/f32-kernels.h"

namespace npuq {

void conv_direct_f32__scalar(size_t mr, size_t n, const ConvDirectBlock& b, const Activation& act) {
  constexpr size_t MR = kConvDirectMr;
  for (size_t j = 0; j < n; ++j) {
    const float* xj = b.x + b.x_off[j];
    float* yj = b.y + b.y_off[j];
    for (size_t i = 0; i < mr; ++i) {
      float acc = 0.0f;
      for (size_t k = 0; k < b.K; ++k) acc = std::fma(b.w[k * MR + i], xj[b.row_off[k]], acc);
      float v = acc;
      if (b.bias) v = v + b.bias[i];
      if (act.enabled) {
        v = v > act.lo ? v : act.lo;
        v = v < act.hi ? v : act.hi;
      }
      yj[i * b.ldy] = v;
    }
  }
}

}  // namespace npuq
