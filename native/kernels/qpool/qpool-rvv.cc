// Quantized pooling, RVV 1.0, vector-length agnostic: vl outputs of a row per strip over the pre-padded
// int32 plane. Average: int32 sums, then div_round by the window count exactly with the integer
// vdiv/vrem (truncating) turned into floor division, the mode decided on the remainder as div_round
// does. Row sums: widening reductions (vwredsum) into int64 per strip, exact.
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qvec-rvv.h"

namespace npuq {

namespace {

// div_round(num, den, m) for den >= 1.
inline vi32 div_roundn(vi32 num, vi32 den, Round m, size_t vl) {
  vi32 q = __riscv_vdiv_vv_i32m2(num, den, vl), r = __riscv_vrem_vv_i32m2(num, den, vl);
  const vmask fix = __riscv_vmslt_vx_i32m2_b16(r, 0, vl);  // truncated toward zero: step down to floor
  q = __riscv_vmerge_vvm_i32m2(q, __riscv_vsub_vx_i32m2(q, 1, vl), fix, vl);
  r = __riscv_vmerge_vvm_i32m2(r, __riscv_vadd_vv_i32m2(r, den, vl), fix, vl);
  const vi32 other = __riscv_vsub_vv_i32m2(den, r, vl);
  const vmask gt = __riscv_vmsgt_vv_i32m2_b16(r, other, vl), tie = __riscv_vmseq_vv_i32m2_b16(r, other, vl);
  const vmask inexact = __riscv_vmsne_vx_i32m2_b16(r, 0, vl), neg = __riscv_vmslt_vx_i32m2_b16(num, 0, vl);
  return add_up(q, up_mask(m, gt, tie, inexact, neg, odd_mask(q, vl), vl), vl);
}

}  // namespace

void qmaxpool_i32plane_e32m2__rvv(const QPoolWindow& w, QType type, void* y) {
  char* py = static_cast<char*>(y);
  const size_t es = tsize(type);
  for (size_t oh = 0; oh < w.OH; ++oh) {
    const int32_t* base = w.xp + oh * w.SH * w.row_stride;
    for (size_t ow = 0, vl; ow < w.OW; ow += vl) {
      vl = __riscv_vsetvl_e32m2(w.OW - ow);
      vi32 acc = __riscv_vmv_v_x_i32m2(INT32_MIN, vl);
      for (size_t t = 0; t < w.taps; ++t)
        acc = __riscv_vmax_vv_i32m2(acc, __riscv_vle32_v_i32m2(base + w.tap_off[t] + ow, vl), vl);
      storen(py + (oh * w.OW + ow) * es, type, acc, vl);
    }
  }
}

void qavgpool_i32plane_e32m2__rvv(const QPoolWindow& w, const int32_t* hcount, const int32_t* wcount,
                                  const QAvgPoolArgs& a, void* y) {
  char* py = static_cast<char*>(y);
  const size_t es = tsize(a.type);
  for (size_t oh = 0; oh < w.OH; ++oh) {
    const int32_t* base = w.xp + oh * w.SH * w.row_stride;
    for (size_t ow = 0, vl; ow < w.OW; ow += vl) {
      vl = __riscv_vsetvl_e32m2(w.OW - ow);
      vi32 acc = __riscv_vmv_v_x_i32m2(0, vl);
      for (size_t t = 0; t < w.taps; ++t)
        acc = __riscv_vadd_vv_i32m2(acc, __riscv_vle32_v_i32m2(base + w.tap_off[t] + ow, vl), vl);
      const vi32 den = __riscv_vmul_vx_i32m2(__riscv_vle32_v_i32m2(wcount + ow, vl), hcount[oh], vl);
      const vi32 q = __riscv_vadd_vx_i32m2(div_roundn(acc, den, a.round, vl), a.zp, vl);
      storen(py + (oh * w.OW + ow) * es, a.type, clampn(q, a.qmin, a.qmax, vl), vl);
    }
  }
}

void qrowsum_e32m2__rvv(size_t rows, size_t HW, QType type, const void* x, int64_t* sums) {
  const size_t es = tsize(type);
  const char* px = static_cast<const char*>(x);
  for (size_t r = 0; r < rows; ++r) {
    const char* row = px + r * HW * es;
    vint64m1_t acc = __riscv_vmv_s_x_i64m1(0, 1);
    for (size_t i = 0, vl; i < HW; i += vl) {
      vl = __riscv_vsetvl_e32m2(HW - i);
      acc = __riscv_vwredsum_vs_i32m2_i64m1(loadn(row + i * es, type, vl), acc, vl);
    }
    sums[r] = __riscv_vmv_x_s_i64m1_i64(acc);
  }
}

}  // namespace npuq
