// abs_histogram_f32_e32m1__rvv: vector-length agnostic (vl = vsetvl per strip, at most 64 so the index
// buffer is bounded whatever VLEN is). The bin index uses the scalar kernel's double operations:
// vfwcvt (exact widening), vfmul by bins / hist_max, vfmin with bins - 1, vfncvt.rtz truncation; each
// exact or correctly rounded (round-to-nearest-even, the default frm) like the scalar code, so every
// index is identical. Non-finite lanes (vmfle |x| <= FLT_MAX false) are zeroed, land in bin 0 and are
// taken back out of bin 0 at the end (uint64 arithmetic). The increments are scalar.
#include <riscv_vector.h>

#include <cfloat>

#include "dispatch/stats-kernels.h"

namespace npuq {

void abs_histogram_f32_e32m1__rvv(size_t n, const float* x, size_t bins, double hist_max, uint64_t* counts) {
  const double scale = double(bins) / hist_max;
  const double top = double(bins - 1);
  uint32_t idx[64];
  uint64_t finite = 0;
  for (size_t i = 0, vl; i < n; i += vl) {
    vl = __riscv_vsetvl_e32m1(n - i < 64 ? n - i : 64);
    vfloat32m1_t a = __riscv_vfabs_v_f32m1(__riscv_vle32_v_f32m1(x + i, vl), vl);
    const vbool32_t fin = __riscv_vmfle_vf_f32m1_b32(a, FLT_MAX, vl);
    finite += __riscv_vcpop_m_b32(fin, vl);
    a = __riscv_vfmerge_vfm_f32m1(a, 0.0f, __riscv_vmnot_m_b32(fin, vl), vl);
    vfloat64m2_t t = __riscv_vfwcvt_f_f_v_f64m2(a, vl);
    t = __riscv_vfmin_vf_f64m2(__riscv_vfmul_vf_f64m2(t, scale, vl), top, vl);
    __riscv_vse32_v_u32m1(idx, __riscv_vfncvt_rtz_xu_f_w_u32m1(t, vl), vl);
    for (size_t j = 0; j < vl; ++j) ++counts[idx[j]];
  }
  counts[0] -= uint64_t(n) - finite;
}

}  // namespace npuq
