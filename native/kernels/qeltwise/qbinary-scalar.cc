// qbinary__scalar: quantized Add/Sub/Mul, the specification every SIMD tier equals bit for bit.
// The formulas and their sources are documented on QBinaryParams in npuq/qkernels.h.
#include <climits>
#include <cmath>

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

// TPU-MLIR Add/Sub: each input multiplied and right-shifted on its own, then the sum requantized.
template <bool kFloat>
int32_t add_multiplier_shift(const QBinaryArgs& p, int32_t xa, int32_t xb) {
  auto ms = [&p](int64_t v, int32_t m, int shift) {
    return kFloat ? apply_multiplier_shift_float(v, m, shift, p.round) : apply_multiplier_shift(v, m, shift, p.round);
  };
  const int64_t ya = ms(xa, p.a_mult, p.a_shift);
  const int64_t yb = ms(xb, p.b_mult, p.b_shift);
  const int64_t raw = clamp_i64(p.op == QBinaryOp::Sub ? ya - yb : ya + yb, -kRoundSat, kRoundSat);
  const int64_t v = clamp_i64(ms(raw, p.out_mult, p.out_shift), -kRoundSat, kRoundSat);
  return static_cast<int32_t>(clamp_i64(v + p.out_zp, p.qmin, p.qmax));
}

// _mm256_cvtps_epi32 / _mm_cvtps_epi32: half to even; out of range (or NaN) gives INT32_MIN.
int32_t cvtps_epi32(float v) {
  if (!(std::fabs(v) < 2147483648.0f)) return INT32_MIN;
  return static_cast<int32_t>(round_mode(double(v), Round::HalfToEven));
}

// MLAS QLinearMul (qlmul.cpp, SSE2): product in int32, times the ratio, plus float(zo), then cvtps.
int32_t mul_mlas(const QBinaryArgs& p, int32_t xa, int32_t xb) {
  const float prod = static_cast<float>(xa * xb) * p.out_scale;
  const float v = prod + static_cast<float>(p.out_zp);
  return static_cast<int32_t>(clamp_i64(cvtps_epi32(v), p.qmin, p.qmax));
}

// MLAS QLinearAdd (qladd_avx2.cpp): raw inputs through two fused multiply-adds onto the fixed part.
void add_mlas(const QBinaryArgs& p, size_t n, const void* a, size_t as, const void* b, size_t bs, void* y) {
  const bool a_first = as == 0;  // MlasQLinearAddKernelAvx2Helper<IsScalarA>: a folds into the fixed part
  for (size_t i = 0; i < n; ++i) {
    const float fa = static_cast<float>(qload(a, p.a_type, i * as));
    const float fb = static_cast<float>(qload(b, p.b_type, i * bs));
    const float v = a_first ? std::fma(fb, p.mlas_rb, std::fma(fa, p.mlas_ra, p.mlas_fixed))
                            : std::fma(fa, p.mlas_ra, std::fma(fb, p.mlas_rb, p.mlas_fixed));
    qstore(y, p.out_type, i, static_cast<int32_t>(clamp_i64(cvtps_epi32(v), p.qmin, p.qmax)));
  }
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
  if (p.op == QBinaryOp::Mul) return p.mlas ? run(p, n, a, as, b, bs, y, mul_mlas) : run(p, n, a, as, b, bs, y, mul_any);
  switch (p.method) {
    case RequantMethod::FloatScale:
      return p.mlas ? add_mlas(p, n, a, as, b, bs, y) : run(p, n, a, as, b, bs, y, add_float);
    case RequantMethod::MultiplierShift: return run(p, n, a, as, b, bs, y, add_multiplier_shift<false>);
    case RequantMethod::MultiplierShiftFloat: return run(p, n, a, as, b, bs, y, add_multiplier_shift<true>);
    case RequantMethod::FixedPointSingle: return run(p, n, a, as, b, bs, y, add_fixed<true>);
    default: return run(p, n, a, as, b, bs, y, add_fixed<false>);
  }
}

}  // namespace npuq
