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

namespace {

// A full panel of MR rows, k outer: one contiguous MR-float store per k from MR row streams, instead of
// MR strided passes over the panel (which made packing 21% of a 32x1600x64 GEMM: digits_cnn's
// classifier, where four column panels share each packed A block).
// A partial last panel reads its padding rows (past h) as one zero with step 0, in a second loop of the
// same shape, instead of zero-filling them in strided passes.
template <size_t MR>
void pack_rows(const float* s, size_t lda, size_t kc, size_t h, float* d) {
  static constexpr float kZero = 0.0f;
  const float* r[MR];
  size_t step[MR];
  for (size_t i = 0; i < MR; ++i) {
    r[i] = i < h ? s + i * lda : &kZero;
    step[i] = i < h ? 1 : 0;
  }
  if (h == MR) {
    for (size_t k = 0; k < kc; ++k, d += MR)
      for (size_t i = 0; i < MR; ++i) d[i] = r[i][k];
    return;
  }
  for (size_t k = 0; k < kc; ++k, d += MR)
    for (size_t i = 0; i < MR; ++i) d[i] = r[i][k * step[i]];
}

bool pack_rows_fixed(const float* s, size_t lda, size_t kc, size_t h, size_t mr, float* d) {
  switch (mr) {
    case 4: return pack_rows<4>(s, lda, kc, h, d), true;
    case 6: return pack_rows<6>(s, lda, kc, h, d), true;
    case 8: return pack_rows<8>(s, lda, kc, h, d), true;
    default: return false;
  }
}

}  // namespace

void sgemm_pack_a_panels(const float* A, size_t lda, bool transA, size_t m0, size_t mc, size_t k0,
                         size_t kc, size_t mr, float* dst) {
  const size_t panels = (mc + mr - 1) / mr;
  for (size_t p = 0; p < panels; ++p) {
    const size_t i0 = m0 + p * mr, h = std::min(mr, mc - p * mr);
    float* d = dst + p * kc * mr;
    if (!transA) {
      const float* s = A + i0 * lda + k0;
      if (pack_rows_fixed(s, lda, kc, h, mr, d)) continue;
      for (size_t i = 0; i < mr; ++i) {
        if (i < h) {
          const float* si = s + i * lda;
          for (size_t k = 0; k < kc; ++k) d[k * mr + i] = si[k];
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
