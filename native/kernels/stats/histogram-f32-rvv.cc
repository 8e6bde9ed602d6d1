// histogram_f32_e32m1__rvv: vector-length agnostic (vl = vsetvl per strip, at most 64 so the index
// buffer is bounded whatever VLEN is). The bin index uses the scalar kernel's double operations:
// vfwcvt (exact widening), vfmul by the scale of the lane's region (bins / range; NEG, POS, HIGH, see
// stats-kernels.h),
// vfmin with bins - 1, each exact or correctly rounded (frm = round-to-nearest-even, as the C
// environment keeps it) like the scalar code; then the truncation: vfncvt.xu.f.w rounds to nearest,
// and lanes where that came out above t (compared exactly after vfwcvt back) step down by one. (The
// static-rounding vfncvt.rtz would be shorter, but qemu 7.x aborts translating it, qemu issue #1441,
// so it could not be tested; see qvec-rvv.h.) The region's offset is added. Non-finite lanes (vmfle
// |x| <= FLT_MAX false) are zeroed and counted in POS, land in entry 0 and are taken back out of it at
// the end (uint64 arithmetic). The increments are scalar.
#include <riscv_vector.h>

#include <cfloat>

#include "dispatch/stats-kernels.h"

namespace npuq {

void histogram_f32_e32m1__rvv(size_t n, const float* x, const HistogramArgs& h, uint64_t* counts) {
  const double ps = double(h.bins) / h.pos_max, ns = double(h.bins) / h.neg_max, hs = double(h.bins) / h.high_max;
  const double top = double(h.bins - 1);
  uint32_t idx[64];
  uint64_t finite = 0;
  for (size_t i = 0, vl; i < n; i += vl) {
    vl = __riscv_vsetvl_e32m1(n - i < 64 ? n - i : 64);
    const vfloat32m1_t v = __riscv_vle32_v_f32m1(x + i, vl);
    vfloat32m1_t a = __riscv_vfabs_v_f32m1(v, vl);
    const vbool32_t fin = __riscv_vmfle_vf_f32m1_b32(a, FLT_MAX, vl);
    const vbool32_t neg = __riscv_vmand_mm_b32(__riscv_vmflt_vf_f32m1_b32(v, 0.0f, vl), fin, vl);
    const vbool32_t high = __riscv_vmand_mm_b32(__riscv_vmfge_vf_f32m1_b32(v, h.split, vl), fin, vl);
    finite += __riscv_vcpop_m_b32(fin, vl);
    a = __riscv_vfmerge_vfm_f32m1(a, 0.0f, __riscv_vmnot_m_b32(fin, vl), vl);
    vfloat64m2_t scale = __riscv_vfmerge_vfm_f64m2(__riscv_vfmv_v_f_f64m2(ps, vl), ns, neg, vl);
    scale = __riscv_vfmerge_vfm_f64m2(scale, hs, high, vl);
    const vfloat64m2_t t = __riscv_vfmin_vf_f64m2(__riscv_vfmul_vv_f64m2(__riscv_vfwcvt_f_f_v_f64m2(a, vl), scale, vl), top, vl);
    vuint32m1_t q = __riscv_vfncvt_xu_f_w_u32m1(t, vl);
    const vbool32_t above = __riscv_vmflt_vv_f64m2_b32(t, __riscv_vfwcvt_f_xu_v_f64m2(q, vl), vl);
    q = __riscv_vmerge_vvm_u32m1(q, __riscv_vsub_vx_u32m1(q, 1, vl), above, vl);
    vuint32m1_t off = __riscv_vmerge_vxm_u32m1(__riscv_vmv_v_x_u32m1(0, vl), uint32_t(h.neg_offset), neg, vl);
    off = __riscv_vmerge_vxm_u32m1(off, uint32_t(h.high_offset), high, vl);
    __riscv_vse32_v_u32m1(idx, __riscv_vadd_vv_u32m1(q, off, vl), vl);
    for (size_t j = 0; j < vl; ++j) ++counts[idx[j]];
  }
  counts[0] -= uint64_t(n) - finite;
}

}  // namespace npuq
