// qdwconv_s16s16_s32__scalar / qdwconv_s32s32_s64__scalar: depthwise window sums over a pre-padded plane
// (q - zp), exact: int16 planes and weights of 8-bit operands summed in int32, int32 ones of 16-bit
// operands in int64 (the specification of the SIMD tiers' depthwise kernels).
#include "dispatch/q-kernels.h"

namespace npuq {

namespace {

template <class X, class Acc>
void window_sums(const QPlaneWindowOf<X>& p, const X* w, Acc* acc) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const X* base = p.xp + oh * p.SH * p.row_stride;
    Acc* out = acc + oh * p.OW;
    for (size_t ow = 0; ow < p.OW; ++ow) out[ow] = 0;
    for (size_t t = 0; t < p.taps; ++t) {
      const X* x = base + p.tap_off[t];
      const Acc wt = w[t];
      for (size_t ow = 0; ow < p.OW; ++ow) out[ow] += Acc(x[ow]) * wt;
    }
  }
}

}  // namespace

void qdwconv_s16s16_s32__scalar(const QPlaneWindow& p, const int16_t* w, int32_t* acc) { window_sums(p, w, acc); }

void qdwconv_s32s32_s64__scalar(const QPlaneWindow32& p, const int32_t* w, int64_t* acc) { window_sums(p, w, acc); }

}  // namespace npuq
