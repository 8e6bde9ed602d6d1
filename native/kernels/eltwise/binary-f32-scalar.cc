// binary_f32__scalar and affine_f32__scalar: the specification of the elementwise binary ops.
// Max/Min propagate NaN (a's first), else a > b ? a : b (resp. <). PRelu: a > 0 ? a : a * b.
#include <cmath>

#include "dispatch/f32-kernels.h"

namespace npuq {

namespace {

template <typename F>
void zip(size_t n, const float* a, size_t as, const float* b, size_t bs, float* y, F f) {
  for (size_t i = 0; i < n; ++i) y[i] = f(a[i * as], b[i * bs]);
}

}  // namespace

void binary_f32__scalar(BinaryOp op, size_t n, const float* a, size_t as, const float* b, size_t bs, float* y) {
  switch (op) {
    case BinaryOp::Add: return zip(n, a, as, b, bs, y, [](float p, float q) { return p + q; });
    case BinaryOp::Sub: return zip(n, a, as, b, bs, y, [](float p, float q) { return p - q; });
    case BinaryOp::Mul: return zip(n, a, as, b, bs, y, [](float p, float q) { return p * q; });
    case BinaryOp::Div: return zip(n, a, as, b, bs, y, [](float p, float q) { return p / q; });
    case BinaryOp::Max:
      return zip(n, a, as, b, bs, y, [](float p, float q) { return p != p ? p : q != q ? q : p > q ? p : q; });
    case BinaryOp::Min:
      return zip(n, a, as, b, bs, y, [](float p, float q) { return p != p ? p : q != q ? q : p < q ? p : q; });
    case BinaryOp::Pow: return zip(n, a, as, b, bs, y, [](float p, float q) { return std::pow(p, q); });
    case BinaryOp::PRelu: return zip(n, a, as, b, bs, y, [](float p, float q) { return p > 0.0f ? p : p * q; });
  }
}

void affine_f32__scalar(size_t n, const float* x, float scale, float shift, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = std::fma(x[i], scale, shift);
}

}  // namespace npuq
