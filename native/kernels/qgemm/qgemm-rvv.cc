// RVV 1.0 integer GEMM microkernels, vector-length agnostic: NR is the vector length, read at run time.
//  qgemm_s16s16_s32_4xv__rvv: 4 rows x VLMAX(e16, m2) columns; vwmacc.vx: int32 += int16 scalar (row
//    value) * int16 vector (columns), exact (|x| <= 255). Accumulators e32 m4.
//  qgemm_s32s32_s64_4xv__rvv: 4 rows x VLMAX(e32, m2) columns; vwmacc.vx int64 += int32 * int32.
// Edge tiles run with vl = nr; panels keep their full NR stride.
#include <riscv_vector.h>

#include "dispatch/q-kernels.h"

namespace npuq {

size_t qgemm_s16s16_s32_4xv_nr__rvv() { return __riscv_vsetvlmax_e16m2(); }
size_t qgemm_s32s32_s64_4xv_nr__rvv() { return __riscv_vsetvlmax_e32m2(); }

void qgemm_s16s16_s32_4xv__rvv(size_t mr, size_t nr, size_t kc, const int16_t* a, const int16_t* b, int32_t* c,
                               size_t ldc, bool accumulate) {
  const size_t NR = __riscv_vsetvlmax_e16m2();
  const size_t vl = __riscv_vsetvl_e16m2(nr);
  const vint32m4_t zero = __riscv_vmv_v_x_i32m4(0, vl);
  vint32m4_t c0 = zero, c1 = zero, c2 = zero, c3 = zero;
  if (accumulate) {
    c0 = __riscv_vle32_v_i32m4(c, vl);
    if (mr > 1) c1 = __riscv_vle32_v_i32m4(c + ldc, vl);
    if (mr > 2) c2 = __riscv_vle32_v_i32m4(c + 2 * ldc, vl);
    if (mr > 3) c3 = __riscv_vle32_v_i32m4(c + 3 * ldc, vl);
  }
  for (size_t k = 0; k < kc; ++k) {
    const vint16m2_t bv = __riscv_vle16_v_i16m2(b, vl);
    c0 = __riscv_vwmacc_vx_i32m4(c0, a[0], bv, vl);
    c1 = __riscv_vwmacc_vx_i32m4(c1, a[1], bv, vl);
    c2 = __riscv_vwmacc_vx_i32m4(c2, a[2], bv, vl);
    c3 = __riscv_vwmacc_vx_i32m4(c3, a[3], bv, vl);
    a += 4;
    b += NR;
  }
  __riscv_vse32_v_i32m4(c, c0, vl);
  if (mr > 1) __riscv_vse32_v_i32m4(c + ldc, c1, vl);
  if (mr > 2) __riscv_vse32_v_i32m4(c + 2 * ldc, c2, vl);
  if (mr > 3) __riscv_vse32_v_i32m4(c + 3 * ldc, c3, vl);
}

void qgemm_s32s32_s64_4xv__rvv(size_t mr, size_t nr, size_t kc, const int32_t* a, const int32_t* b, int64_t* c,
                               size_t ldc, bool accumulate) {
  const size_t NR = __riscv_vsetvlmax_e32m2();
  const size_t vl = __riscv_vsetvl_e32m2(nr);
  const vint64m4_t zero = __riscv_vmv_v_x_i64m4(0, vl);
  vint64m4_t c0 = zero, c1 = zero, c2 = zero, c3 = zero;
  if (accumulate) {
    c0 = __riscv_vle64_v_i64m4(c, vl);
    if (mr > 1) c1 = __riscv_vle64_v_i64m4(c + ldc, vl);
    if (mr > 2) c2 = __riscv_vle64_v_i64m4(c + 2 * ldc, vl);
    if (mr > 3) c3 = __riscv_vle64_v_i64m4(c + 3 * ldc, vl);
  }
  for (size_t k = 0; k < kc; ++k) {
    const vint32m2_t bv = __riscv_vle32_v_i32m2(b, vl);
    c0 = __riscv_vwmacc_vx_i64m4(c0, a[0], bv, vl);
    c1 = __riscv_vwmacc_vx_i64m4(c1, a[1], bv, vl);
    c2 = __riscv_vwmacc_vx_i64m4(c2, a[2], bv, vl);
    c3 = __riscv_vwmacc_vx_i64m4(c3, a[3], bv, vl);
    a += 4;
    b += NR;
  }
  __riscv_vse64_v_i64m4(c, c0, vl);
  if (mr > 1) __riscv_vse64_v_i64m4(c + ldc, c1, vl);
  if (mr > 2) __riscv_vse64_v_i64m4(c + 2 * ldc, c2, vl);
  if (mr > 3) __riscv_vse64_v_i64m4(c + 3 * ldc, c3, vl);
}

}  // namespace npuq
