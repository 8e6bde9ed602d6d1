// qconv_direct_s16s16_s32__scalar: the specification of the direct convolution tile (QConvDirectBlock):
// exact int32 sums of weight pair x input pair over the depth pairs. Not in the scalar tier's table
// (the scalar tier runs the GEMM path, the reference of both); the tests hold every tier's kernel to it.
#include "dispatch/q-kernels.h"

namespace npuq {

void qconv_direct_s16s16_s32__scalar(size_t mr, size_t n, const QConvDirectBlock& b) {
  constexpr size_t MR = kQConvDirectMr;
  for (size_t j = 0; j < n; ++j) {
    const int16_t* xj = b.x + 2 * size_t(b.x_off[j]);
    for (size_t i = 0; i < mr; ++i) {
      int32_t s = 0;
      for (size_t g = 0; g < b.pairs; ++g) {
        const int16_t* x = xj + 2 * size_t(b.pair_off[g]);
        const int16_t* w = b.w + (g * MR + i) * 2;
        s += int32_t(w[0]) * x[0] + int32_t(w[1]) * x[1];
      }
      b.acc[i * b.ldc + j] = s;
    }
  }
}

}  // namespace npuq
