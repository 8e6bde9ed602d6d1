// sgemm_ukernel_4x8__scalar: the reference GEMM tile. Every output is an fma chain over k in order
// from +0 (or from the partial sum stored by the previous K block), then + bias, then the clamp.
#include <cmath>

#include "dispatch/f32-kernels.h"

namespace npuq {

void sgemm_ukernel_4x8__scalar(size_t mr, size_t nr, size_t kc, const float* a, const float* b, float* c,
                               size_t ldc, const SgemmTile& t) {
  constexpr size_t MR = 4, NR = 8;
  float acc[MR][NR];
  for (size_t i = 0; i < MR; ++i)
    for (size_t j = 0; j < NR; ++j) acc[i][j] = (!t.first && i < mr && j < nr) ? c[i * ldc + j] : 0.0f;
  for (size_t k = 0; k < kc; ++k, a += MR, b += NR)
    for (size_t i = 0; i < MR; ++i)
      for (size_t j = 0; j < NR; ++j) acc[i][j] = std::fma(a[i], b[j], acc[i][j]);
  for (size_t i = 0; i < mr; ++i) {
    for (size_t j = 0; j < nr; ++j) {
      float v = acc[i][j];
      if (t.last) {
        if (t.bias) v = v + (t.bias_per_column ? t.bias[j] : t.bias[i]);
        if (t.act) {
          v = v > t.lo ? v : t.lo;
          v = v < t.hi ? v : t.hi;
        }
      }
      c[i * ldc + j] = v;
    }
  }
}

}  // namespace npuq
