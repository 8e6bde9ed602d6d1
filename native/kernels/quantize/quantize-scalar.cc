// quantize_f32__scalar / dequantize_f32__scalar: ONNX QuantizeLinear with a chosen rounding mode and
// DequantizeLinear, the specification the SIMD tiers equal bit for bit (formulas in npuq/qkernels.h).
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qtype-io.h"

namespace npuq {

namespace {

template <typename T>
void quantize_to(size_t n, const float* x, float scale, int32_t zp, Round round, QType t, T* y) {
  const int32_t lo = qtype_min(t), hi = qtype_max(t);
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<T>(quantize_value(x[i], scale, zp, round, lo, hi));
}

template <typename T>
void dequantize_from(size_t n, const T* q, float scale, int32_t zp, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = static_cast<float>(int64_t(q[i]) - int64_t(zp)) * scale;
}

}  // namespace

void quantize_f32__scalar(size_t n, const float* x, float scale, int32_t zp, Round round, QType t, void* y) {
  switch (t) {
    case QType::U8: return quantize_to(n, x, scale, zp, round, t, static_cast<uint8_t*>(y));
    case QType::S8: return quantize_to(n, x, scale, zp, round, t, static_cast<int8_t*>(y));
    case QType::U16: return quantize_to(n, x, scale, zp, round, t, static_cast<uint16_t*>(y));
    case QType::S16: return quantize_to(n, x, scale, zp, round, t, static_cast<int16_t*>(y));
    case QType::S32: return quantize_to(n, x, scale, zp, round, t, static_cast<int32_t*>(y));
  }
}

void dequantize_f32__scalar(size_t n, const void* q, QType t, float scale, int32_t zp, float* y) {
  switch (t) {
    case QType::U8: return dequantize_from(n, static_cast<const uint8_t*>(q), scale, zp, y);
    case QType::S8: return dequantize_from(n, static_cast<const int8_t*>(q), scale, zp, y);
    case QType::U16: return dequantize_from(n, static_cast<const uint16_t*>(q), scale, zp, y);
    case QType::S16: return dequantize_from(n, static_cast<const int16_t*>(q), scale, zp, y);
    case QType::S32: return dequantize_from(n, static_cast<const int32_t*>(q), scale, zp, y);
  }
}

}  // namespace npuq
