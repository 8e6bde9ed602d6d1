// Quantized pooling kernels, scalar (the specification), over pre-padded int32 planes (qpool-plane.h):
// max keeps the largest tap (padding holds the type's minimum); average sums the taps (q - zp, padding
// 0) and divides by the count with div_round (rounding.h), + zp, clamp. qrowsum adds rows exactly.
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qtype-io.h"

namespace npuq {

void qmaxpool_i32plane__scalar(const QPoolWindow& w, QType type, void* y) {
  for (size_t oh = 0; oh < w.OH; ++oh) {
    const int32_t* base = w.xp + oh * w.SH * w.row_stride;
    for (size_t ow = 0; ow < w.OW; ++ow) {
      int32_t acc = INT32_MIN;
      for (size_t t = 0; t < w.taps; ++t) {
        const int32_t v = base[w.tap_off[t] + ow];
        acc = v > acc ? v : acc;
      }
      qstore(y, type, oh * w.OW + ow, acc);
    }
  }
}

void qavgpool_i32plane__scalar(const QPoolWindow& w, const int32_t* hcount, const int32_t* wcount,
                               const QAvgPoolArgs& a, void* y) {
  for (size_t oh = 0; oh < w.OH; ++oh) {
    const int32_t* base = w.xp + oh * w.SH * w.row_stride;
    for (size_t ow = 0; ow < w.OW; ++ow) {
      int64_t sum = 0;
      for (size_t t = 0; t < w.taps; ++t) sum += base[w.tap_off[t] + ow];
      const int64_t q = div_round(sum, int64_t(hcount[oh]) * wcount[ow], a.round) + a.zp;
      qstore(y, a.type, oh * w.OW + ow, static_cast<int32_t>(clamp_i64(q, a.qmin, a.qmax)));
    }
  }
}

void qrowsum__scalar(size_t rows, size_t HW, QType type, const void* x, int64_t* sums) {
  for (size_t r = 0; r < rows; ++r) {
    int64_t s = 0;
    for (size_t i = 0; i < HW; ++i) s += qload(x, type, r * HW + i);
    sums[r] = s;
  }
}

}  // namespace npuq
