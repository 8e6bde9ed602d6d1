// quantize_f32_e32m2__rvv / dequantize_f32_e32m2__rvv: vector-length agnostic (vl per strip).
// Quantize: vfdiv (a true division, as the scalar x / scale), clamp with vfmax/vfmin to
// [qmin - zp, qmax - zp], round (vfcvt.x.f under frm = RNE for HalfToEven, see qvec-rvv.h), + zp,
// NaN inputs -> clamp(zp). Dequantize: float(q - zp) * scale. Types U8..S16, |zp| <= 2^20.
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qvec-rvv.h"

namespace npuq {

void quantize_f32_e32m2__rvv(size_t n, const float* x, float scale, int32_t zp, Round round, QType t, void* y) {
  const FloatOut o = float_out(zp, tmin(t), tmax(t), round);
  const size_t es = tsize(t);
  char* py = static_cast<char*>(y);
  for (size_t i = 0, vl; i < n; i += vl) {
    vl = __riscv_vsetvl_e32m2(n - i);
    const vf32 v = __riscv_vle32_v_f32m2(x + i, vl);
    storen(py + i * es, t, finishn(__riscv_vfdiv_vf_f32m2(v, scale, vl), isnann(v, vl), o, vl), vl);
  }
}

void dequantize_f32_e32m2__rvv(size_t n, const void* q, QType t, float scale, int32_t zp, float* y) {
  const size_t es = tsize(t);
  const char* pq = static_cast<const char*>(q);
  for (size_t i = 0, vl; i < n; i += vl) {
    vl = __riscv_vsetvl_e32m2(n - i);
    const vi32 v = __riscv_vsub_vx_i32m2(loadn(pq + i * es, t, vl), zp, vl);
    __riscv_vse32_v_f32m2(y + i, __riscv_vfmul_vf_f32m2(__riscv_vfcvt_f_x_v_f32m2(v, vl), scale, vl), vl);
  }
}

}  // namespace npuq
