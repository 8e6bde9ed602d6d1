// Pooling kernels, scalar (the specification). Window kernels work on padded planes (plane-window.h):
// max pads with -inf and keeps acc = x > acc ? x : acc from -inf; average pads with 0, sums in tap order
// from +0 and divides by hcount[oh] * wcount[ow]. MaxPool 2x2 stride 2 reads the unpadded input rows and
// takes its four taps the same way, in (kh, kw) order. Global pools reduce each row in index order.
#include <cmath>

#include "dispatch/f32-kernels.h"

namespace npuq {

void maxpool_f32__scalar(const PlaneWindow& p) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const float* base = p.xp + oh * p.SH * p.row_stride;
    float* y = p.y + oh * p.OW;
    for (size_t ow = 0; ow < p.OW; ++ow) {
      float acc = -HUGE_VALF;
      for (size_t t = 0; t < p.taps; ++t) {
        const float v = base[p.tap_off[t] + ow];
        acc = v > acc ? v : acc;
      }
      y[ow] = acc;
    }
  }
}

void maxpool2x2_f32__scalar(size_t rows, size_t W, size_t OW, const float* x, float* y) {
  for (size_t r = 0; r < rows; ++r, x += 2 * W, y += OW) {
    const float* x0 = x;
    const float* x1 = x + W;
    for (size_t ow = 0; ow < OW; ++ow) {
      float acc = -HUGE_VALF;
      acc = x0[2 * ow] > acc ? x0[2 * ow] : acc;
      acc = x0[2 * ow + 1] > acc ? x0[2 * ow + 1] : acc;
      acc = x1[2 * ow] > acc ? x1[2 * ow] : acc;
      acc = x1[2 * ow + 1] > acc ? x1[2 * ow + 1] : acc;
      y[ow] = acc;
    }
  }
}

void avgpool_f32__scalar(const PlaneWindow& p, const float* hcount, const float* wcount) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const float* base = p.xp + oh * p.SH * p.row_stride;
    float* y = p.y + oh * p.OW;
    for (size_t ow = 0; ow < p.OW; ++ow) {
      float acc = 0.0f;
      for (size_t t = 0; t < p.taps; ++t) acc = acc + base[p.tap_off[t] + ow];
      y[ow] = acc / (hcount[oh] * wcount[ow]);
    }
  }
}

void global_avgpool_f32__scalar(size_t rows, size_t HW, const float* x, float* y) {
  const float n = static_cast<float>(HW);
  for (size_t r = 0; r < rows; ++r, x += HW) {
    float acc = 0.0f;
    for (size_t i = 0; i < HW; ++i) acc = acc + x[i];
    y[r] = acc / n;
  }
}

void global_maxpool_f32__scalar(size_t rows, size_t HW, const float* x, float* y) {
  for (size_t r = 0; r < rows; ++r, x += HW) {
    float acc = -HUGE_VALF;
    for (size_t i = 0; i < HW; ++i) acc = x[i] > acc ? x[i] : acc;
    y[r] = acc;
  }
}

}  // namespace npuq
