// The epilogue of the AVX2 float convolution kernels (dwconv-f32-avx2.cc, dwconv-direct-f32-avx2.cc,
// dwconv-c8-f32-avx2.cc, conv-direct-f32-avx2.cc): + bias, then the clamp. _mm256_max_ps(a, b) is a > b ? a : b and
// _mm256_min_ps(a, b) is a < b ? a : b, so with v first, max then min, the clamp is exactly the scalar
// kernels' `v = v > lo ? v : lo; v = v < hi ? v : hi`: a NaN becomes lo, and which zero comes out when
// v and a bound are zeros of opposite sign is the same. Keep that operand order.
//
// Only for files compiled with -mavx2 (names ending in -avx2.cc). Internal linkage (an anonymous
// namespace), as in error-stats-impl.h: each kernel file keeps its own copy.
#pragma once
#include <immintrin.h>

namespace npuq {
namespace {

struct Avx2Epilogue {
  bool has_bias, act;
  __m256 bias, lo, hi;
  __m256 operator()(__m256 v) const {
    if (has_bias) v = _mm256_add_ps(v, bias);
    if (act) v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
    return v;
  }
};

}  // namespace
}  // namespace npuq
