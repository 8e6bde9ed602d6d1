// binary_f32__avx2 and affine_f32__avx2: 8 lanes per step, inputs advancing (stride 1) or broadcast
// (stride 0); the partial last vector goes through stack buffers. Same operations as the scalar ones.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "dispatch/f32-kernels.h"

namespace npuq {

namespace {

template <bool SA, bool SB, typename F>
void zip8(size_t n, const float* a, const float* b, float* y, F f) {
  const __m256 ba = _mm256_set1_ps(a[0]), bb = _mm256_set1_ps(b[0]);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 va = SA ? _mm256_loadu_ps(a + i) : ba;
    const __m256 vb = SB ? _mm256_loadu_ps(b + i) : bb;
    _mm256_storeu_ps(y + i, f(va, vb));
  }
  if (i < n) {
    alignas(32) float pa[8] = {0}, pb[8] = {0}, py[8];
    const size_t r = n - i;
    if (SA) std::memcpy(pa, a + i, r * sizeof(float));
    if (SB) std::memcpy(pb, b + i, r * sizeof(float));
    _mm256_store_ps(py, f(SA ? _mm256_load_ps(pa) : ba, SB ? _mm256_load_ps(pb) : bb));
    std::memcpy(y + i, py, r * sizeof(float));
  }
}

template <typename F>
void zip_any(size_t n, const float* a, size_t as, const float* b, size_t bs, float* y, F f) {
  if (as && bs) return zip8<true, true>(n, a, b, y, f);
  if (as) return zip8<true, false>(n, a, b, y, f);
  if (bs) return zip8<false, true>(n, a, b, y, f);
  return zip8<false, false>(n, a, b, y, f);
}

inline __m256 isnan8(__m256 v) { return _mm256_cmp_ps(v, v, _CMP_UNORD_Q); }

}  // namespace

void binary_f32__avx2(BinaryOp op, size_t n, const float* a, size_t as, const float* b, size_t bs, float* y) {
  if (n == 0) return;
  switch (op) {
    case BinaryOp::Add: return zip_any(n, a, as, b, bs, y, [](__m256 p, __m256 q) { return _mm256_add_ps(p, q); });
    case BinaryOp::Sub: return zip_any(n, a, as, b, bs, y, [](__m256 p, __m256 q) { return _mm256_sub_ps(p, q); });
    case BinaryOp::Mul: return zip_any(n, a, as, b, bs, y, [](__m256 p, __m256 q) { return _mm256_mul_ps(p, q); });
    case BinaryOp::Div: return zip_any(n, a, as, b, bs, y, [](__m256 p, __m256 q) { return _mm256_div_ps(p, q); });
    case BinaryOp::Max:
      return zip_any(n, a, as, b, bs, y, [](__m256 p, __m256 q) {
        const __m256 m = _mm256_blendv_ps(_mm256_max_ps(p, q), q, isnan8(q));
        return _mm256_blendv_ps(m, p, isnan8(p));
      });
    case BinaryOp::Min:
      return zip_any(n, a, as, b, bs, y, [](__m256 p, __m256 q) {
        const __m256 m = _mm256_blendv_ps(_mm256_min_ps(p, q), q, isnan8(q));
        return _mm256_blendv_ps(m, p, isnan8(p));
      });
    case BinaryOp::Pow:
      for (size_t i = 0; i < n; ++i) y[i] = std::pow(a[i * as], b[i * bs]);
      return;
    case BinaryOp::PRelu:
      return zip_any(n, a, as, b, bs, y, [](__m256 p, __m256 q) {
        return _mm256_blendv_ps(_mm256_mul_ps(p, q), p, _mm256_cmp_ps(p, _mm256_setzero_ps(), _CMP_GT_OQ));
      });
  }
}

void affine_f32__avx2(size_t n, const float* x, float scale, float shift, float* y) {
  const __m256 s = _mm256_set1_ps(scale), t = _mm256_set1_ps(shift);
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256 x0 = _mm256_loadu_ps(x + i), x1 = _mm256_loadu_ps(x + i + 8);
    const __m256 x2 = _mm256_loadu_ps(x + i + 16), x3 = _mm256_loadu_ps(x + i + 24);
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(x0, s, t));
    _mm256_storeu_ps(y + i + 8, _mm256_fmadd_ps(x1, s, t));
    _mm256_storeu_ps(y + i + 16, _mm256_fmadd_ps(x2, s, t));
    _mm256_storeu_ps(y + i + 24, _mm256_fmadd_ps(x3, s, t));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(_mm256_loadu_ps(x + i), s, t));
  if (i < n) {
    alignas(32) float buf[8] = {0};
    std::memcpy(buf, x + i, (n - i) * sizeof(float));
    _mm256_store_ps(buf, _mm256_fmadd_ps(_mm256_load_ps(buf), s, t));
    std::memcpy(y + i, buf, (n - i) * sizeof(float));
  }
}

}  // namespace npuq
