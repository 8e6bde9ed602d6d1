// requant_s32__scalar: the specification of the requantization kernels (requantize_one per element).
// The SIMD tiers call it for the methods they do not vectorize and for their tails.
#include "dispatch/q-kernels.h"

namespace npuq {

namespace {

template <class T>
void run(const QRequantArgs& a, const int32_t* acc, size_t n, T* out) {
  for (size_t i = 0; i < n; ++i) {
    const size_t c = i * a.stride;
    const int64_t v = int64_t(acc[i]) + (a.bias ? int64_t(a.bias[c]) : 0);
    out[i] = static_cast<T>(requantize_one(v, a.method, a.round, a.scale ? a.scale[c] : 0.0f,
                                           a.multiplier ? a.multiplier[c] : 0, a.shift ? a.shift[c] : 0, a.zp,
                                           a.qmin, a.qmax));
  }
}

}  // namespace

void requant_s32__scalar(const QRequantArgs& a, const int32_t* acc, size_t n, void* out) {
  switch (a.out_type) {
    case QType::U8: return run(a, acc, n, static_cast<uint8_t*>(out));
    case QType::S8: return run(a, acc, n, static_cast<int8_t*>(out));
    case QType::U16: return run(a, acc, n, static_cast<uint16_t*>(out));
    case QType::S16: return run(a, acc, n, static_cast<int16_t*>(out));
    case QType::S32: return run(a, acc, n, static_cast<int32_t*>(out));
  }
}

}  // namespace npuq
