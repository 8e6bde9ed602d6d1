// Pooling kernels, NEON: MaxPool 2x2 stride 2 straight from the input rows. vld2q_f32 splits even and odd
// columns; each tap is taken as acc = v > acc ? v : acc with a compare and a bit select, as the scalar
// specification does (vmaxq_f32 would let a NaN through and vpmaxq_f32 likewise, vmaxnmq_f32 orders
// -0 below +0). Fewer than 4 outputs left in a row go through the same steps in scalar code.
#include <arm_neon.h>

#include <cmath>

#include "dispatch/f32-kernels.h"

namespace npuq {

namespace {

inline float32x4_t take(float32x4_t v, float32x4_t acc) { return vbslq_f32(vcgtq_f32(v, acc), v, acc); }

// Outputs [0, 4) of the row pair a (above) / b (below), 8 input columns each.
inline float32x4_t max2x2(const float* a, const float* b) {
  const float32x4x2_t ra = vld2q_f32(a), rb = vld2q_f32(b);
  float32x4_t acc = vdupq_n_f32(-HUGE_VALF);
  acc = take(ra.val[0], acc);
  acc = take(ra.val[1], acc);
  acc = take(rb.val[0], acc);
  return take(rb.val[1], acc);
}

}  // namespace

void maxpool2x2_f32_8x__neon(size_t rows, size_t W, size_t OW, const float* x, float* y) {
  for (size_t r = 0; r < rows; ++r, x += 2 * W, y += OW) {
    const float* x0 = x;
    const float* x1 = x + W;
    size_t ow = 0;
    for (; ow + 8 <= OW; ow += 8) {
      const float32x4_t lo = max2x2(x0 + 2 * ow, x1 + 2 * ow);
      const float32x4_t hi = max2x2(x0 + 2 * ow + 8, x1 + 2 * ow + 8);
      vst1q_f32(y + ow, lo);
      vst1q_f32(y + ow + 4, hi);
    }
    for (; ow + 4 <= OW; ow += 4) vst1q_f32(y + ow, max2x2(x0 + 2 * ow, x1 + 2 * ow));
    for (; ow < OW; ++ow) {
      float acc = -HUGE_VALF;
      acc = x0[2 * ow] > acc ? x0[2 * ow] : acc;
      acc = x0[2 * ow + 1] > acc ? x0[2 * ow + 1] : acc;
      acc = x1[2 * ow] > acc ? x1[2 * ow] : acc;
      acc = x1[2 * ow + 1] > acc ? x1[2 * ow + 1] : acc;
      y[ow] = acc;
    }
  }
}

}  // namespace npuq
