// qbinary__scalar: quantized Add/Sub/Mul, the specification every SIMD tier equals bit for bit.
// The formulas and their sources are documented on QBinaryParams in npuq/qkernels.h.
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qtype-io.h"

namespace npuq {

namespace {

// TFLite ADD/SUB, one element (reference/add.h with gemmlowp's or ruy's multiplier).
template <bool kSingle>
int32_t add_fixed(const QBinaryArgs& p, int32_t xa, int32_t xb) {
  auto mul = [](int32_t x, int32_t M, int shift) {
    return kSingle ? mul_by_quantized_multiplier_single(x, M, shift) : mul_by_quantized_multiplier(x, M, shift);
  };
  const int32_t sxa = mul(static_cast<int32_t>(int64_t(xa) * (int64_t(1) << p.left_shift)), p.a_mult, p.a_shift);
  const int32_t sxb = mul(static_cast<int32_t>(int64_t(xb) * (int64_t(1) << p.left_shift)), p.b_mult, p.b_shift);
  const int64_t raw = p.op == QBinaryOp::Sub ? int64_t(sxa) - sxb : int64_t(sxa) + sxb;
  const int32_t out = mul(saturate<int32_t>(raw), p.out_mult, p.out_shift);
  return static_cast<int32_t>(clamp_i64(int64_t(out) + p.out_zp, p.qmin, p.qmax));
}

// QDQ ADD/SUB: DequantizeLinear both inputs, add in float32, QuantizeLinear.
int32_t add_float(const QBinaryArgs& p, int32_t xa, int32_t xb) {
  const float ra = static_cast<float>(xa) * p.a_scale;
  const float rb = static_cast<float>(xb) * p.b_scale;
  const float real = p.op == QBinaryOp::Sub ? ra - rb : ra + rb;
  return quantize_value(real, p.out_scale, p.out_zp, p.round, p.qmin, p.qmax);
}

int32_t mul_any(const QBinaryArgs& p, int32_t xa, int32_t xb) {
  return requantize(int64_t(xa) * int64_t(xb), *p.requant, 0);
}

template <typename F>
void run(const QBinaryArgs& p, size_t n, const void* a, size_t as, const void* b, size_t bs, void* y, F f) {
  for (size_t i = 0; i < n; ++i) {
    const int32_t xa = qload(a, p.a_type, i * as) - p.a_zp;
    const int32_t xb = qload(b, p.b_type, i * bs) - p.b_zp;
    qstore(y, p.out_type, i, f(p, xa, xb));
  }
}

}  // namespace

void qbinary__scalar(const QBinaryArgs& p, size_t n, const void* a, size_t as, const void* b, size_t bs, void* y) {
  if (p.op == QBinaryOp::Mul) return run(p, n, a, as, b, bs, y, mul_any);
  switch (p.method) {
    case RequantMethod::FloatScale: return run(p, n, a, as, b, bs, y, add_float);
    case RequantMethod::FixedPointSingle: return run(p, n, a, as, b, bs, y, add_fixed<true>);
    default: return run(p, n, a, as, b, bs, y, add_fixed<false>);
  }
}

}  // namespace npuq
