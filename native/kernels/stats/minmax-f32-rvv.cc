// minmax_f32_e32m4__rvv: vector-length agnostic. Full strips of VLMAX elements keep per-lane min/max
// accumulators (no tail lanes, so no tail policy matters); the last partial strip goes to the scalar
// kernel. A lane is finite when |x| <= FLT_MAX (vmfle: false for NaN and +-Inf); non-finite lanes become
// +inf / -inf through vfmerge before vfmin / vfmax, so no NaN reaches them; vcpop counts the finite
// lanes. min/max are exact and zeros are normalized to +0 as in the scalar kernel.
#include <riscv_vector.h>

#include <cfloat>
#include <cmath>

#include "dispatch/stats-kernels.h"

namespace npuq {

void minmax_f32_e32m4__rvv(size_t n, const float* x, MinMaxF32* out) {
  const size_t vlmax = __riscv_vsetvlmax_e32m4();
  vfloat32m4_t mn = __riscv_vfmv_v_f_f32m4(INFINITY, vlmax);
  vfloat32m4_t mx = __riscv_vfmv_v_f_f32m4(-INFINITY, vlmax);
  uint64_t finite = 0;
  size_t i = 0;
  for (; i + vlmax <= n; i += vlmax) {
    const vfloat32m4_t v = __riscv_vle32_v_f32m4(x + i, vlmax);
    const vbool8_t fin = __riscv_vmfle_vf_f32m4_b8(__riscv_vfabs_v_f32m4(v, vlmax), FLT_MAX, vlmax);
    const vbool8_t bad = __riscv_vmnot_m_b8(fin, vlmax);
    finite += __riscv_vcpop_m_b8(fin, vlmax);
    mn = __riscv_vfmin_vv_f32m4(mn, __riscv_vfmerge_vfm_f32m4(v, INFINITY, bad, vlmax), vlmax);
    mx = __riscv_vfmax_vv_f32m4(mx, __riscv_vfmerge_vfm_f32m4(v, -INFINITY, bad, vlmax), vlmax);
  }
  float fmn = __riscv_vfmv_f_s_f32m1_f32(
      __riscv_vfredmin_vs_f32m4_f32m1(mn, __riscv_vfmv_s_f_f32m1(INFINITY, 1), vlmax));
  float fmx = __riscv_vfmv_f_s_f32m1_f32(
      __riscv_vfredmax_vs_f32m4_f32m1(mx, __riscv_vfmv_s_f_f32m1(-INFINITY, 1), vlmax));
  MinMaxF32 tail;
  minmax_f32__scalar(n - i, x + i, &tail);
  fmn = tail.min < fmn ? tail.min : fmn;
  fmx = tail.max > fmx ? tail.max : fmx;
  out->min = fmn + 0.0f;
  out->max = fmx + 0.0f;
  out->nonfinite = uint64_t(i) - finite + tail.nonfinite;
}

}  // namespace npuq
