// conv_rows_f32__scalar: the reference of the row convolution (ConvRowsBlock). Every output is an fma
// chain over the taps in k order from +0, then + bias, then the clamp, exactly as the GEMM tile computes
// it over the im2col matrix.
#include <cmath>

#include "dispatch/f32-kernels.h"

namespace npuq {

void conv_rows_f32__scalar(size_t oy0, size_t oy1, const ConvRowsBlock& b, const Activation& act) {
  for (size_t i = 0; i < b.M; ++i) {
    const float* w = b.w + (i / kConvRowsMr) * kConvRowsMr * b.K + i % kConvRowsMr;
    for (size_t oy = oy0; oy < oy1; ++oy) {
      float* y = b.y + i * b.ldy + oy * b.OW;
      for (size_t ox = 0; ox < b.OW; ++ox) {
        const float* x = b.x + oy * b.ldx + ox * b.sx;
        float acc = 0.0f;
        for (size_t k = 0; k < b.K; ++k) acc = std::fma(w[k * kConvRowsMr], x[b.row_off[k]], acc);
        float v = acc;
        if (b.bias) v = v + b.bias[i];
        if (act.enabled) {
          v = v > act.lo ? v : act.lo;
          v = v < act.hi ? v : act.hi;
        }
        y[ox] = v;
      }
    }
  }
}

}  // namespace npuq
