// Float32 RVV 1.0 vectors of one register-group size (LMUL) behind one interface, so a float kernel body
// is written once as a template and instantiated per LMUL. The GEMM and direct-convolution tiles keep
// 16 floats per vector: an m4 group at VLEN 128, an m2 group from VLEN 256 up (with half the registers
// per vector, the m2 tiles hold twice the accumulators). Every vl a kernel passes here is at most 16, so
// an e32m2 kernel needs VLEN >= 256 and an e32m4 one runs at any VLEN >= 128.
// Include only from -rvv.cc files; internal linkage only (nothing here may be the copy the linker keeps
// for baseline code).
#pragma once
#include <riscv_vector.h>

#include <cstddef>

namespace npuq {
namespace {

// M: the LMUL suffix (m2, m4); B: SEW/LMUL of its mask type (vbool16_t, vbool8_t).
#define NPUQ_F32_RVV_LMUL(NAME, M, B)                                                                      \
  struct NAME {                                                                                          \
    using V = vfloat32##M##_t;                                                                           \
    static V zero(size_t vl) { return __riscv_vfmv_v_f_f32##M(0.0f, vl); }                               \
    static V load(const float* p, size_t vl) { return __riscv_vle32_v_f32##M(p, vl); }                   \
    static void store(float* p, V v, size_t vl) { __riscv_vse32_v_f32##M(p, v, vl); }                    \
    /* lane i to p + i * bytes / 4 */                                                                    \
    static void store_strided(float* p, ptrdiff_t bytes, V v, size_t vl) {                               \
      __riscv_vsse32_v_f32##M(p, bytes, v, vl);                                                          \
    }                                                                                                    \
    /* acc + a * b, fused (one rounding), as std::fma(a, b, acc) */                                      \
    static V fmacc(V acc, float a, V b, size_t vl) { return __riscv_vfmacc_vf_f32##M(acc, a, b, vl); }   \
    static V add(V a, V b, size_t vl) { return __riscv_vfadd_vv_f32##M(a, b, vl); }                      \
    static V add(V a, float b, size_t vl) { return __riscv_vfadd_vf_f32##M(a, b, vl); }                  \
    /* v = v > lo ? v : lo; v = v < hi ? v : hi, lane by lane: compare + merge, not vfmax/vfmin (which  \
       order -0 below +0 and return the other operand for a NaN). The merges take the scalar under the \
       negated mask, so no splat of lo/hi occupies a register group next to the accumulators. */         \
    static V clamp(V v, float lo, float hi, size_t vl) {                                                 \
      v = __riscv_vfmerge_vfm_f32##M(v, lo, __riscv_vmnot_m_b##B(__riscv_vmfgt_vf_f32##M##_b##B(v, lo, vl), vl), vl); \
      return __riscv_vfmerge_vfm_f32##M(v, hi, __riscv_vmnot_m_b##B(__riscv_vmflt_vf_f32##M##_b##B(v, hi, vl), vl), vl); \
    }                                                                                                    \
  };

NPUQ_F32_RVV_LMUL(F32M2, m2, 16)
NPUQ_F32_RVV_LMUL(F32M4, m4, 8)
#undef NPUQ_F32_RVV_LMUL

}  // namespace
}  // namespace npuq
