// unary_f32__avx2: 8 lanes per step; the last partial vector goes through a stack buffer so no scalar
// code is needed. Same operations in the same order as unary_f32__scalar.
#include <immintrin.h>

#include <cstring>

#include "dispatch/f32-kernels.h"
#include "kernels/eltwise/vmath-avx2.h"

namespace npuq {

namespace {

template <typename F>
void map8(size_t n, const float* x, float* y, F f) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, f(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float buf[8] = {0};
    std::memcpy(buf, x + i, (n - i) * sizeof(float));
    _mm256_store_ps(buf, f(_mm256_load_ps(buf)));
    std::memcpy(y + i, buf, (n - i) * sizeof(float));
  }
}

}  // namespace

void unary_f32__avx2(UnaryOp op, float alpha, float beta, size_t n, const float* x, float* y) {
  using namespace vmath;
  const __m256 zero = _mm256_setzero_ps(), one = v1(1.0f), va = v1(alpha), vb = v1(beta);
  switch (op) {
    case UnaryOp::Relu:
      return map8(n, x, y, [=](__m256 v) { return _mm256_andnot_ps(_mm256_cmp_ps(v, zero, _CMP_LT_OQ), v); });
    case UnaryOp::LeakyRelu:
      return map8(n, x, y, [=](__m256 v) {
        return v_sel(_mm256_cmp_ps(v, zero, _CMP_LT_OQ), _mm256_mul_ps(v, va), v);
      });
    case UnaryOp::Clip:
      return map8(n, x, y, [=](__m256 v) { return _mm256_min_ps(vb, _mm256_max_ps(va, v)); });
    case UnaryOp::Sigmoid: return map8(n, x, y, sigmoid8);
    case UnaryOp::HardSigmoid:
      return map8(n, x, y, [=](__m256 v) {
        return _mm256_min_ps(one, _mm256_max_ps(zero, _mm256_add_ps(_mm256_mul_ps(v, va), vb)));
      });
    case UnaryOp::HardSwish:
      return map8(n, x, y, [=](__m256 v) {
        const __m256 t = _mm256_add_ps(_mm256_mul_ps(v, v1(1.0f / 6.0f)), v1(0.5f));
        return _mm256_mul_ps(v, _mm256_min_ps(one, _mm256_max_ps(zero, t)));
      });
    case UnaryOp::Tanh: return map8(n, x, y, tanh8);
    case UnaryOp::Exp: return map8(n, x, y, exp8);
    case UnaryOp::Log: return map8(n, x, y, log8);
    case UnaryOp::Sqrt: return map8(n, x, y, [](__m256 v) { return _mm256_sqrt_ps(v); });
    case UnaryOp::Neg: return map8(n, x, y, neg8);
    case UnaryOp::Abs: return map8(n, x, y, v_abs);
    case UnaryOp::Erf: return map8(n, x, y, erf8);
    case UnaryOp::Reciprocal: return map8(n, x, y, [=](__m256 v) { return _mm256_div_ps(one, v); });
    case UnaryOp::Floor: return map8(n, x, y, [](__m256 v) { return _mm256_floor_ps(v); });
    case UnaryOp::Ceil: return map8(n, x, y, [](__m256 v) { return _mm256_ceil_ps(v); });
    case UnaryOp::Round:
      return map8(n, x, y, [](__m256 v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); });
    case UnaryOp::Elu:
      return map8(n, x, y, [=](__m256 v) {
        return v_sel(_mm256_cmp_ps(v, zero, _CMP_GT_OQ), v, _mm256_mul_ps(va, expm1_8(v)));
      });
    case UnaryOp::Selu:
      return map8(n, x, y, [=](__m256 v) {
        return _mm256_mul_ps(vb, v_sel(_mm256_cmp_ps(v, zero, _CMP_GT_OQ), v, _mm256_mul_ps(va, expm1_8(v))));
      });
    case UnaryOp::Softplus: return map8(n, x, y, softplus8);
    case UnaryOp::Gelu: return map8(n, x, y, gelu8);
    case UnaryOp::Identity:
      if (y != x) std::memmove(y, x, n * sizeof(float));
      return;
  }
}

}  // namespace npuq
