// quantize_f32 / dequantize_f32 (qkernels.h): argument checks and the choice between the tier's kernel
// and the scalar one (the SIMD kernels cover 8/16-bit types with moderate zero points).
#include <stdexcept>

#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qtype-io.h"

namespace npuq {

void quantize_f32(Isa isa, size_t n, const float* x, float scale, int32_t zp, Round round, QType t, void* y) {
  if (!qtype_valid(t)) throw std::invalid_argument("quantize_f32: unknown QType");
  if (static_cast<unsigned>(round) >= static_cast<unsigned>(kRoundModes))
    throw std::invalid_argument("quantize_f32: unknown rounding mode");
  if (n == 0) return;
  if (!x || !y) throw std::invalid_argument("quantize_f32: null buffer");
  const bool simd = qtype_narrow(t) && zp >= -(1 << 20) && zp <= (1 << 20);
  (simd ? q_eltwise_kernels(isa) : q_eltwise_scalar_kernels()).quantize(n, x, scale, zp, round, t, y);
}

void dequantize_f32(Isa isa, size_t n, const void* q, QType t, float scale, int32_t zp, float* y) {
  if (!qtype_valid(t)) throw std::invalid_argument("dequantize_f32: unknown QType");
  if (n == 0) return;
  if (!q || !y) throw std::invalid_argument("dequantize_f32: null buffer");
  const bool simd = qtype_narrow(t) && zp >= -(1 << 30) && zp <= (1 << 30);
  (simd ? q_eltwise_kernels(isa) : q_eltwise_scalar_kernels()).dequantize(n, q, t, scale, zp, y);
}

}  // namespace npuq
