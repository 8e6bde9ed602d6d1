// unary_f32__scalar: the specification of every elementwise unary op (see kernels.h for the list).
#include <cmath>

#include "dispatch/f32-kernels.h"
#include "kernels/eltwise/vmath-scalar.h"

namespace npuq {

namespace {

template <typename F>
void map(size_t n, const float* x, float* y, F f) {
  for (size_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

}  // namespace

void unary_f32__scalar(UnaryOp op, float alpha, float beta, size_t n, const float* x, float* y) {
  using namespace vmath;
  switch (op) {
    case UnaryOp::Relu: return map(n, x, y, [](float v) { return v < 0.0f ? 0.0f : v; });
    case UnaryOp::LeakyRelu: return map(n, x, y, [=](float v) { return v < 0.0f ? v * alpha : v; });
    case UnaryOp::Clip: return map(n, x, y, [=](float v) { return vmin(beta, vmax(alpha, v)); });
    case UnaryOp::Sigmoid: return map(n, x, y, sigmoid_f);
    case UnaryOp::HardSigmoid:
      return map(n, x, y, [=](float v) { return vmin(1.0f, vmax(0.0f, v * alpha + beta)); });
    case UnaryOp::HardSwish:
      return map(n, x, y, [](float v) { return v * vmin(1.0f, vmax(0.0f, v * (1.0f / 6.0f) + 0.5f)); });
    case UnaryOp::Tanh: return map(n, x, y, tanh_f);
    case UnaryOp::Exp: return map(n, x, y, exp_f);
    case UnaryOp::Log: return map(n, x, y, log_f);
    case UnaryOp::Sqrt: return map(n, x, y, [](float v) { return std::sqrt(v); });
    case UnaryOp::Neg: return map(n, x, y, [](float v) { return u2f(f2u(v) ^ 0x80000000u); });
    case UnaryOp::Abs: return map(n, x, y, vabs);
    case UnaryOp::Erf: return map(n, x, y, erf_f);
    case UnaryOp::Reciprocal: return map(n, x, y, [](float v) { return 1.0f / v; });
    case UnaryOp::Floor: return map(n, x, y, [](float v) { return std::floor(v); });
    case UnaryOp::Ceil: return map(n, x, y, [](float v) { return std::ceil(v); });
    case UnaryOp::Round: return map(n, x, y, [](float v) { return std::nearbyint(v); });
    case UnaryOp::Elu: return map(n, x, y, [=](float v) { return v > 0.0f ? v : alpha * expm1_f(v); });
    case UnaryOp::Selu:
      return map(n, x, y, [=](float v) { return beta * (v > 0.0f ? v : alpha * expm1_f(v)); });
    case UnaryOp::Softplus: return map(n, x, y, softplus_f);
    case UnaryOp::Gelu: return map(n, x, y, gelu_f);
    case UnaryOp::Identity: return map(n, x, y, [](float v) { return v; });
  }
}

}  // namespace npuq
