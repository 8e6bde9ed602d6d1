// qbinary_e32m2__rvv: quantized Add/Sub/Mul, vector-length agnostic (vl = vsetvl_e32m2 per strip, so
// no tail code), FloatScale (including onnxruntime's MLAS arithmetic), FixedPointDouble and the
// TPU-MLIR Add/Sub MultiplierShift / MultiplierShiftFloat within simd_ok's int32 bounds (qbinary.cc;
// the driver sends every other case to the scalar kernel). Inputs advance (stride 1) or broadcast
// (stride 0). Lane-wise the same operations as qbinary__scalar in the same order (a fused vfmacc only
// where the scalar kernel calls std::fma, MLAS Add), so the results are identical.
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qvec-rvv.h"

namespace npuq {

namespace {

struct AddFloat {
  static vi32 apply(const QBinaryArgs& p, const FloatOut& o, vi32 xa, vi32 xb, size_t vl) {
    const vf32 ra = __riscv_vfmul_vf_f32m2(__riscv_vfcvt_f_x_v_f32m2(xa, vl), p.a_scale, vl);
    const vf32 rb = __riscv_vfmul_vf_f32m2(__riscv_vfcvt_f_x_v_f32m2(xb, vl), p.b_scale, vl);
    const vf32 real = p.op == QBinaryOp::Sub ? __riscv_vfsub_vv_f32m2(ra, rb, vl) : __riscv_vfadd_vv_f32m2(ra, rb, vl);
    return finishn(__riscv_vfdiv_vf_f32m2(real, p.out_scale, vl), isnann(real, vl), o, vl);
  }
};

struct AddFixed {
  static vi32 apply(const QBinaryArgs& p, const FloatOut&, vi32 xa, vi32 xb, size_t vl) {
    const vi32 sxa = mbqmn(__riscv_vsll_vx_i32m2(xa, p.left_shift, vl), p.a_mult, p.a_shift, vl);
    const vi32 sxb = mbqmn(__riscv_vsll_vx_i32m2(xb, p.left_shift, vl), p.b_mult, p.b_shift, vl);
    const vi32 raw = p.op == QBinaryOp::Sub ? __riscv_vssub_vv_i32m2(sxa, sxb, vl)
                                            : __riscv_vsadd_vv_i32m2(sxa, sxb, vl);
    return clampn(__riscv_vsadd_vx_i32m2(mbqmn(raw, p.out_mult, p.out_shift, vl), p.out_zp, vl), p.qmin, p.qmax, vl);
  }
};

// TPU-MLIR Add/Sub, MultiplierShift and MultiplierShiftFloat alike: within simd_ok's bounds every
// product fits int32 (so the float variant's double arithmetic is exact and equals the integer one)
// and nothing saturates. Mode: a Round, or -1 to read p.round at run time.
template <int Mode>
struct AddMS {
  static vi32 apply(const QBinaryArgs& p, const FloatOut&, vi32 xa, vi32 xb, size_t vl) {
    const Round m = Mode < 0 ? p.round : static_cast<Round>(Mode);
    const RShiftN ra = rshiftn(p.a_shift), rb = rshiftn(p.b_shift), ro = rshiftn(p.out_shift);
    const vi32 ya = rshift_roundn(__riscv_vmul_vx_i32m2(xa, p.a_mult, vl), ra, m, vl);
    const vi32 yb = rshift_roundn(__riscv_vmul_vx_i32m2(xb, p.b_mult, vl), rb, m, vl);
    const vi32 raw = p.op == QBinaryOp::Sub ? __riscv_vsub_vv_i32m2(ya, yb, vl) : __riscv_vadd_vv_i32m2(ya, yb, vl);
    const vi32 v = rshift_roundn(__riscv_vmul_vx_i32m2(raw, p.out_mult, vl), ro, m, vl);
    return clampn(__riscv_vadd_vx_i32m2(v, p.out_zp, vl), p.qmin, p.qmax, vl);
  }
};

// TPU-MLIR Mul, MultiplierShift / MultiplierShiftFloat / ShiftOnly (see qbinary-avx2.cc).
template <int Mode>
struct MulMS {
  static vi32 apply(const QBinaryArgs& p, const FloatOut&, vi32 xa, vi32 xb, size_t vl) {
    const Round m = Mode < 0 ? p.round : static_cast<Round>(Mode);
    const vi32 acc = __riscv_vmul_vv_i32m2(xa, xb, vl);
    const vi32 v = rshift_roundn(__riscv_vmul_vx_i32m2(acc, p.out_mult, vl), rshiftn(p.out_shift), m, vl);
    return clampn(__riscv_vadd_vx_i32m2(v, p.out_zp, vl), p.qmin, p.qmax, vl);
  }
};

struct MulFloat {
  static vi32 apply(const QBinaryArgs& p, const FloatOut& o, vi32 xa, vi32 xb, size_t vl) {
    const vf32 acc = __riscv_vfcvt_f_x_v_f32m2(__riscv_vmul_vv_i32m2(xa, xb, vl), vl);
    const vf32 f = __riscv_vfmul_vf_f32m2(acc, p.out_scale, vl);
    return finishn(f, isnann(f, vl), o, vl);
  }
};

// Products beyond int32 (16-bit inputs): exact in double (widening conversions and multiply), one
// rounding to float under frm = RNE (see qbinary-avx2.cc).
struct MulFloatWide {
  static vi32 apply(const QBinaryArgs& p, const FloatOut& o, vi32 xa, vi32 xb, size_t vl) {
    const vfloat64m4_t prod = __riscv_vfmul_vv_f64m4(__riscv_vfwcvt_f_x_v_f64m4(xa, vl), __riscv_vfwcvt_f_x_v_f64m4(xb, vl), vl);
    const vf32 f = __riscv_vfmul_vf_f32m2(__riscv_vfncvt_f_f_w_f32m2(prod, vl), p.out_scale, vl);
    return finishn(f, isnann(f, vl), o, vl);
  }
};

struct MulFixed {
  static vi32 apply(const QBinaryArgs& p, const FloatOut&, vi32 xa, vi32 xb, size_t vl) {
    const vi32 acc = __riscv_vmul_vv_i32m2(xa, xb, vl);
    return clampn(__riscv_vsadd_vx_i32m2(mbqmn(acc, p.out_mult, p.out_shift, vl), p.out_zp, vl), p.qmin, p.qmax, vl);
  }
};

// MLAS: x64 cvtps semantics (half to even under frm = RNE; |v| >= 2^31 or NaN gives INT32_MIN, where
// vfcvt would saturate), then the clamp.
inline vi32 mlas_out(const QBinaryArgs& p, vf32 v, size_t vl) {
  const vmask in = __riscv_vmflt_vf_f32m2_b16(__riscv_vfabs_v_f32m2(v, vl), 2147483648.0f, vl);
  const vi32 q = __riscv_vmerge_vvm_i32m2(__riscv_vmv_v_x_i32m2(INT32_MIN, vl), __riscv_vfcvt_x_f_v_i32m2(v, vl), in, vl);
  return clampn(q, p.qmin, p.qmax, vl);
}

// MLAS QLinearAdd on raw inputs: fma(a, ra, fma(b, rb, fixed)); AFirst (a broadcast): fma(b, rb, fma(a, ra, fixed)).
template <bool AFirst>
struct AddMlas {
  static vi32 apply(const QBinaryArgs& p, const FloatOut&, vi32 xa, vi32 xb, size_t vl) {
    const vf32 fa = __riscv_vfcvt_f_x_v_f32m2(xa, vl), fb = __riscv_vfcvt_f_x_v_f32m2(xb, vl);
    const vf32 fixed = __riscv_vfmv_v_f_f32m2(p.mlas_fixed, vl);
    const vf32 v = AFirst ? __riscv_vfmacc_vf_f32m2(__riscv_vfmacc_vf_f32m2(fixed, p.mlas_ra, fa, vl), p.mlas_rb, fb, vl)
                          : __riscv_vfmacc_vf_f32m2(__riscv_vfmacc_vf_f32m2(fixed, p.mlas_rb, fb, vl), p.mlas_ra, fa, vl);
    return mlas_out(p, v, vl);
  }
};

// MLAS QLinearMul: float(xa * xb) * r + float(zo), not fused.
struct MulMlas {
  static vi32 apply(const QBinaryArgs& p, const FloatOut&, vi32 xa, vi32 xb, size_t vl) {
    const vf32 f = __riscv_vfmul_vf_f32m2(__riscv_vfcvt_f_x_v_f32m2(__riscv_vmul_vv_i32m2(xa, xb, vl), vl), p.out_scale, vl);
    return mlas_out(p, __riscv_vfadd_vf_f32m2(f, static_cast<float>(p.out_zp), vl), vl);
  }
};

// Raw: the inputs go to K as loaded (MLAS Add), else minus their zero points.
template <class K, bool Raw = false>
void run(const QBinaryArgs& p, size_t n, const char* a, size_t as, const char* b, size_t bs, char* y) {
  const FloatOut o = float_out(p.out_zp, p.qmin, p.qmax, p.round);
  const size_t ea = tsize(p.a_type) * as, eb = tsize(p.b_type) * bs, ey = tsize(p.out_type);
  const int32_t za = Raw ? 0 : p.a_zp, zb = Raw ? 0 : p.b_zp;
  const int32_t ba = load1(a, p.a_type) - za, bb = load1(b, p.b_type) - zb;
  for (size_t i = 0, vl; i < n; i += vl) {
    vl = __riscv_vsetvl_e32m2(n - i);
    const vi32 xa = as ? __riscv_vsub_vx_i32m2(loadn(a + i * ea, p.a_type, vl), za, vl)
                       : __riscv_vmv_v_x_i32m2(ba, vl);
    const vi32 xb = bs ? __riscv_vsub_vx_i32m2(loadn(b + i * eb, p.b_type, vl), zb, vl)
                       : __riscv_vmv_v_x_i32m2(bb, vl);
    storen(y + i * ey, p.out_type, K::apply(p, o, xa, xb, vl), vl);
  }
}

}  // namespace

void qbinary_e32m2__rvv(const QBinaryArgs& p, size_t n, const void* a, size_t as, const void* b, size_t bs, void* y) {
  if (n == 0) return;
  const char* pa = static_cast<const char*>(a);
  const char* pb = static_cast<const char*>(b);
  char* py = static_cast<char*>(y);
  if (p.mlas) {
    if (p.op == QBinaryOp::Mul) return run<MulMlas>(p, n, pa, as, pb, bs, py);
    if (as == 0) return run<AddMlas<true>, true>(p, n, pa, as, pb, bs, py);
    return run<AddMlas<false>, true>(p, n, pa, as, pb, bs, py);
  }
  const bool fl = p.method == RequantMethod::FloatScale;
  if (p.op == QBinaryOp::Mul) {
    if (fl && !p.mul_wide) return run<MulFloat>(p, n, pa, as, pb, bs, py);
    if (fl) return run<MulFloatWide>(p, n, pa, as, pb, bs, py);
    if (p.method == RequantMethod::FixedPointDouble) return run<MulFixed>(p, n, pa, as, pb, bs, py);
    if (p.round == Round::HalfUp) return run<MulMS<int(Round::HalfUp)>>(p, n, pa, as, pb, bs, py);
    return run<MulMS<-1>>(p, n, pa, as, pb, bs, py);
  }
  if (fl) return run<AddFloat>(p, n, pa, as, pb, bs, py);
  if (p.method == RequantMethod::MultiplierShift || p.method == RequantMethod::MultiplierShiftFloat) {
    if (p.round == Round::HalfUp) return run<AddMS<int(Round::HalfUp)>>(p, n, pa, as, pb, bs, py);
    return run<AddMS<-1>>(p, n, pa, as, pb, bs, py);
  }
  return run<AddFixed>(p, n, pa, as, pb, bs, py);
}

}  // namespace npuq
