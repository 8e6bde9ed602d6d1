// qgemm_s8s8_s32_8x8c4__neondot (armv8.2-a+dotprod): 8 rows x 8 columns, depth in groups of 4 (kp = 4).
// vdotq_laneq_s32 adds the dot product of 4 signed int8 of a column with the 4 int8 of a row (lane) into
// int32, exactly (|sum| <= 4 * 128 * 128). Operands are the offset values of qgemm-internal.h (u8 - 128,
// s8 as is); the driver adds the zero-point corrections from the lane sums afterwards, modulo 2^32.
#include <arm_neon.h>

#include <cstring>

#include "dispatch/q-kernels.h"

namespace npuq {

namespace {

inline void tile_8x8(size_t kc, const int8_t* a, const int8_t* b, int32_t* c, size_t ldc, bool accumulate) {
  int32x4_t c0l, c0h, c1l, c1h, c2l, c2h, c3l, c3h, c4l, c4h, c5l, c5h, c6l, c6h, c7l, c7h;
  if (accumulate) {
#define NPUQ_LOAD_ROW(r) c##r##l = vld1q_s32(c + r * ldc); c##r##h = vld1q_s32(c + r * ldc + 4);
    NPUQ_LOAD_ROW(0) NPUQ_LOAD_ROW(1) NPUQ_LOAD_ROW(2) NPUQ_LOAD_ROW(3)
    NPUQ_LOAD_ROW(4) NPUQ_LOAD_ROW(5) NPUQ_LOAD_ROW(6) NPUQ_LOAD_ROW(7)
#undef NPUQ_LOAD_ROW
  } else {
    c0l = c0h = c1l = c1h = c2l = c2h = c3l = c3h = c4l = c4h = c5l = c5h = c6l = c6h = c7l = c7h = vdupq_n_s32(0);
  }
  for (size_t k = 0; k < kc; k += 4) {
    const int8x16_t a0 = vld1q_s8(a), a1 = vld1q_s8(a + 16);  // rows 0-3, 4-7; 4 depth values each
    const int8x16_t b0 = vld1q_s8(b), b1 = vld1q_s8(b + 16);  // columns 0-3, 4-7
#define NPUQ_DOT_ROW(r, av, lane)                          \
  c##r##l = vdotq_laneq_s32(c##r##l, b0, av, lane);        \
  c##r##h = vdotq_laneq_s32(c##r##h, b1, av, lane);
    NPUQ_DOT_ROW(0, a0, 0) NPUQ_DOT_ROW(1, a0, 1) NPUQ_DOT_ROW(2, a0, 2) NPUQ_DOT_ROW(3, a0, 3)
    NPUQ_DOT_ROW(4, a1, 0) NPUQ_DOT_ROW(5, a1, 1) NPUQ_DOT_ROW(6, a1, 2) NPUQ_DOT_ROW(7, a1, 3)
#undef NPUQ_DOT_ROW
    a += 32;
    b += 32;
  }
#define NPUQ_STORE_ROW(r) vst1q_s32(c + r * ldc, c##r##l); vst1q_s32(c + r * ldc + 4, c##r##h);
  NPUQ_STORE_ROW(0) NPUQ_STORE_ROW(1) NPUQ_STORE_ROW(2) NPUQ_STORE_ROW(3)
  NPUQ_STORE_ROW(4) NPUQ_STORE_ROW(5) NPUQ_STORE_ROW(6) NPUQ_STORE_ROW(7)
#undef NPUQ_STORE_ROW
}

}  // namespace

void qgemm_s8s8_s32_8x8c4__neondot(size_t mr, size_t nr, size_t kc, const int8_t* a, const int8_t* b, int32_t* c,
                                   size_t ldc, bool accumulate) {
  if (mr == 8 && nr == 8) return tile_8x8(kc, a, b, c, ldc, accumulate);
  int32_t tmp[8 * 8];
  if (accumulate)
    for (size_t i = 0; i < mr; ++i) std::memcpy(tmp + i * 8, c + i * ldc, nr * sizeof(int32_t));
  tile_8x8(kc, a, b, tmp, 8, accumulate);
  for (size_t i = 0; i < mr; ++i) std::memcpy(c + i * ldc, tmp + i * 8, nr * sizeof(int32_t));
}

}  // namespace npuq
