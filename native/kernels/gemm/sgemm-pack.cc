// Packing routines of the SGEMM driver (ISA-neutral: plain copies).
#include <algorithm>
#include <cstring>

#include "kernels/gemm/sgemm-internal.h"

namespace npuq {

void RowMajorBPacker::pack(size_t k0, size_t kc, size_t n0, size_t nc, size_t nr, float* dst) const {
  const size_t panels = (nc + nr - 1) / nr;
  for (size_t p = 0; p < panels; ++p) {
    const size_t j0 = n0 + p * nr, w = std::min(nr, nc - p * nr);
    float* d = dst + p * kc * nr;
    if (!trans_) {
      const float* s = B_ + k0 * ldb_ + j0;
      for (size_t k = 0; k < kc; ++k, s += ldb_, d += nr) {
        std::memcpy(d, s, w * sizeof(float));
        for (size_t j = w; j < nr; ++j) d[j] = 0.0f;
      }
    } else {  // B is [N x K]: op(B)[k][j] = B[j][k]
      for (size_t j = 0; j < nr; ++j) {
        if (j < w) {
          const float* s = B_ + (j0 + j) * ldb_ + k0;
          for (size_t k = 0; k < kc; ++k) d[k * nr + j] = s[k];
        } else {
          for (size_t k = 0; k < kc; ++k) d[k * nr + j] = 0.0f;
        }
      }
    }
  }
}

void sgemm_pack_a_panels(const float* A, size_t lda, bool transA, size_t m0, size_t mc, size_t k0,
                         size_t kc, size_t mr, float* dst) {
  const size_t panels = (mc + mr - 1) / mr;
  for (size_t p = 0; p < panels; ++p) {
    const size_t i0 = m0 + p * mr, h = std::min(mr, mc - p * mr);
    float* d = dst + p * kc * mr;
    if (!transA) {
      for (size_t i = 0; i < mr; ++i) {
        if (i < h) {
          const float* s = A + (i0 + i) * lda + k0;
          for (size_t k = 0; k < kc; ++k) d[k * mr + i] = s[k];
        } else {
          for (size_t k = 0; k < kc; ++k) d[k * mr + i] = 0.0f;
        }
      }
    } else {  // A is [K x M]: op(A)[i][k] = A[k][i]
      const float* s = A + k0 * lda + i0;
      for (size_t k = 0; k < kc; ++k, s += lda, d += mr) {
        std::memcpy(d, s, h * sizeof(float));
        for (size_t i = h; i < mr; ++i) d[i] = 0.0f;
      }
    }
  }
}

void sgemm_pack_a_full(const float* A, size_t lda, bool transA, size_t M, size_t K, size_t mr, float* dst) {
  const size_t panels = (M + mr - 1) / mr;
  for (size_t p = 0; p < panels; ++p)
    sgemm_pack_a_panels(A, lda, transA, p * mr, std::min(mr, M - p * mr), 0, K, mr, dst + p * K * mr);
}

}  // namespace npuq
