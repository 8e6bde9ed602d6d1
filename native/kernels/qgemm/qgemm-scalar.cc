// The scalar integer GEMM microkernels: the specification the SIMD tiers are tested against.
//  qgemm_s16s16_s32_4x4__scalar: 4 x 4 tile, int16 operands (q - zp of 8-bit values), int32 sums.
//  qgemm_s32s32_s64_4x4__scalar: 4 x 4 tile, int32 operands (q - zp of 16-bit values), int64 sums.
// Panels as in q-kernels.h with kp = 1: a[k * 4 + i], b[k * 4 + j].
#include "dispatch/q-kernels.h"

namespace npuq {

namespace {

template <class In, class Acc>
void tile_4x4(size_t mr, size_t nr, size_t kc, const In* a, const In* b, Acc* c, size_t ldc, bool accumulate) {
  Acc acc[4][4] = {};
  for (size_t k = 0; k < kc; ++k, a += 4, b += 4)
    for (size_t i = 0; i < 4; ++i)
      for (size_t j = 0; j < 4; ++j) acc[i][j] += Acc(a[i]) * Acc(b[j]);
  for (size_t i = 0; i < mr; ++i)
    for (size_t j = 0; j < nr; ++j) c[i * ldc + j] = (accumulate ? c[i * ldc + j] : Acc(0)) + acc[i][j];
}

}  // namespace

void qgemm_s16s16_s32_4x4__scalar(size_t mr, size_t nr, size_t kc, const int16_t* a, const int16_t* b, int32_t* c,
                                  size_t ldc, bool accumulate) {
  tile_4x4<int16_t, int32_t>(mr, nr, kc, a, b, c, ldc, accumulate);
}

void qgemm_s32s32_s64_4x4__scalar(size_t mr, size_t nr, size_t kc, const int32_t* a, const int32_t* b, int64_t* c,
                                  size_t ldc, bool accumulate) {
  tile_4x4<int32_t, int64_t>(mr, nr, kc, a, b, c, ldc, accumulate);
}

}  // namespace npuq
