// NEON (armv8.0) integer GEMM microkernels, exact products only.
//  qgemm_s16s16_s32_8x8__neon: 8 rows x 8 columns, int16 operands (|x| <= 255), vmlal_laneq_s16 /
//    vmlal_high_laneq_s16: int16 x int16 -> int32 widening multiply-accumulate. 16 accumulators.
//  qgemm_s32s32_s64_4x8__neon: 4 rows x 8 columns, int32 operands, vmlal(_high)_laneq_s32:
//    int32 x int32 -> int64. 16 accumulators.
#include <arm_neon.h>

#include <cstring>

#include "dispatch/q-kernels.h"

namespace npuq {

namespace {

inline void tile_8x8(size_t kc, const int16_t* a, const int16_t* b, int32_t* c, size_t ldc, bool accumulate) {
  int32x4_t c0l, c0h, c1l, c1h, c2l, c2h, c3l, c3h, c4l, c4h, c5l, c5h, c6l, c6h, c7l, c7h;
  if (accumulate) {
#define NPUQ_LOAD_ROW(r) c##r##l = vld1q_s32(c + r * ldc); c##r##h = vld1q_s32(c + r * ldc + 4);
    NPUQ_LOAD_ROW(0) NPUQ_LOAD_ROW(1) NPUQ_LOAD_ROW(2) NPUQ_LOAD_ROW(3)
    NPUQ_LOAD_ROW(4) NPUQ_LOAD_ROW(5) NPUQ_LOAD_ROW(6) NPUQ_LOAD_ROW(7)
#undef NPUQ_LOAD_ROW
  } else {
    c0l = c0h = c1l = c1h = c2l = c2h = c3l = c3h = c4l = c4h = c5l = c5h = c6l = c6h = c7l = c7h = vdupq_n_s32(0);
  }
  for (size_t k = 0; k < kc; ++k) {
    const int16x8_t av = vld1q_s16(a), bv = vld1q_s16(b);
    const int16x4_t bl = vget_low_s16(bv);
#define NPUQ_MAC_ROW(r)                               \
  c##r##l = vmlal_laneq_s16(c##r##l, bl, av, r);      \
  c##r##h = vmlal_high_laneq_s16(c##r##h, bv, av, r);
    NPUQ_MAC_ROW(0) NPUQ_MAC_ROW(1) NPUQ_MAC_ROW(2) NPUQ_MAC_ROW(3)
    NPUQ_MAC_ROW(4) NPUQ_MAC_ROW(5) NPUQ_MAC_ROW(6) NPUQ_MAC_ROW(7)
#undef NPUQ_MAC_ROW
    a += 8;
    b += 8;
  }
#define NPUQ_STORE_ROW(r) vst1q_s32(c + r * ldc, c##r##l); vst1q_s32(c + r * ldc + 4, c##r##h);
  NPUQ_STORE_ROW(0) NPUQ_STORE_ROW(1) NPUQ_STORE_ROW(2) NPUQ_STORE_ROW(3)
  NPUQ_STORE_ROW(4) NPUQ_STORE_ROW(5) NPUQ_STORE_ROW(6) NPUQ_STORE_ROW(7)
#undef NPUQ_STORE_ROW
}

inline void tile_4x8_s64(size_t kc, const int32_t* a, const int32_t* b, int64_t* c, size_t ldc, bool accumulate) {
  int64x2_t c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33;
  if (accumulate) {
#define NPUQ_LOAD_ROW(r)                                                                  \
  c##r##0 = vld1q_s64(c + r * ldc); c##r##1 = vld1q_s64(c + r * ldc + 2);                 \
  c##r##2 = vld1q_s64(c + r * ldc + 4); c##r##3 = vld1q_s64(c + r * ldc + 6);
    NPUQ_LOAD_ROW(0) NPUQ_LOAD_ROW(1) NPUQ_LOAD_ROW(2) NPUQ_LOAD_ROW(3)
#undef NPUQ_LOAD_ROW
  } else {
    c00 = c01 = c02 = c03 = c10 = c11 = c12 = c13 = c20 = c21 = c22 = c23 = c30 = c31 = c32 = c33 = vdupq_n_s64(0);
  }
  for (size_t k = 0; k < kc; ++k) {
    const int32x4_t av = vld1q_s32(a), b0 = vld1q_s32(b), b1 = vld1q_s32(b + 4);
    const int32x2_t b0l = vget_low_s32(b0), b1l = vget_low_s32(b1);
#define NPUQ_MAC_ROW(r)                                   \
  c##r##0 = vmlal_laneq_s32(c##r##0, b0l, av, r);         \
  c##r##1 = vmlal_high_laneq_s32(c##r##1, b0, av, r);     \
  c##r##2 = vmlal_laneq_s32(c##r##2, b1l, av, r);         \
  c##r##3 = vmlal_high_laneq_s32(c##r##3, b1, av, r);
    NPUQ_MAC_ROW(0) NPUQ_MAC_ROW(1) NPUQ_MAC_ROW(2) NPUQ_MAC_ROW(3)
#undef NPUQ_MAC_ROW
    a += 4;
    b += 8;
  }
#define NPUQ_STORE_ROW(r)                                                                 \
  vst1q_s64(c + r * ldc, c##r##0); vst1q_s64(c + r * ldc + 2, c##r##1);                   \
  vst1q_s64(c + r * ldc + 4, c##r##2); vst1q_s64(c + r * ldc + 6, c##r##3);
  NPUQ_STORE_ROW(0) NPUQ_STORE_ROW(1) NPUQ_STORE_ROW(2) NPUQ_STORE_ROW(3)
#undef NPUQ_STORE_ROW
}

}  // namespace

void qgemm_s16s16_s32_8x8__neon(size_t mr, size_t nr, size_t kc, const int16_t* a, const int16_t* b, int32_t* c,
                                size_t ldc, bool accumulate) {
  if (mr == 8 && nr == 8) return tile_8x8(kc, a, b, c, ldc, accumulate);
  int32_t tmp[8 * 8];
  if (accumulate)
    for (size_t i = 0; i < mr; ++i) std::memcpy(tmp + i * 8, c + i * ldc, nr * sizeof(int32_t));
  tile_8x8(kc, a, b, tmp, 8, accumulate);
  for (size_t i = 0; i < mr; ++i) std::memcpy(c + i * ldc, tmp + i * 8, nr * sizeof(int32_t));
}

void qgemm_s32s32_s64_4x8__neon(size_t mr, size_t nr, size_t kc, const int32_t* a, const int32_t* b, int64_t* c,
                                size_t ldc, bool accumulate) {
  if (mr == 4 && nr == 8) return tile_4x8_s64(kc, a, b, c, ldc, accumulate);
  int64_t tmp[4 * 8];
  if (accumulate)
    for (size_t i = 0; i < mr; ++i) std::memcpy(tmp + i * 8, c + i * ldc, nr * sizeof(int64_t));
  tile_4x8_s64(kc, a, b, tmp, 8, accumulate);
  for (size_t i = 0; i < mr; ++i) std::memcpy(c + i * ldc, tmp + i * 8, nr * sizeof(int64_t));
}

}  // namespace npuq
