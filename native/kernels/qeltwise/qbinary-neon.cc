// qbinary_8x__neon: quantized Add/Sub/Mul, 8 elements per step (two int32x4 halves), FloatScale (QDQ
// and onnxruntime MLAS), FixedPointDouble and the TPU-MLIR Add/Sub MultiplierShift /
// MultiplierShiftFloat within simd_ok's int32 bounds (qbinary.cc; every other case runs the scalar kernel).
// Inputs advance (stride 1) or broadcast (stride 0); the partial last vector goes through stack
// buffers. Lane-wise the same operations as qbinary__scalar in the same order (vmulq then vaddq; a
// fused vfmaq_f32 only where the scalar kernel calls std::fma, MLAS Add), so results are identical.
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qvec-neon.h"

namespace npuq {

namespace {

struct Consts {
  bool sub = false;
  float32x4_t sa, sb, so;
  int32x4_t ma, mb, mo, zo, qmin, qmax;
  int sha = 0, shb = 0, sho = 0, left = 0;
  int32_t za = 0, zb = 0;  // subtracted from the inputs before apply (0 for MLAS Add: raw inputs)
  float32x4_t ra, rb, fixed, fzo;  // MLAS
  FloatOut out;
  Round round = Round::HalfUp;
  RShift4 rsa, rsb, rso;  // MultiplierShift(Float)
};

// MLAS: x64 cvtps semantics (half to even; |v| >= 2^31 or NaN gives INT32_MIN, where vcvtnq would
// saturate or give 0), then the clamp.
inline int32x4_t mlas_out(const Consts& c, float32x4_t v) {
  const uint32x4_t in = vcaltq_f32(v, vdupq_n_f32(2147483648.0f));
  return clamp4(vbslq_s32(in, vcvtnq_s32_f32(v), vdupq_n_s32(INT32_MIN)), c.qmin, c.qmax);
}

// MLAS QLinearAdd on raw inputs: fma(a, ra, fma(b, rb, fixed)); AFirst (a broadcast): fma(b, rb, fma(a, ra, fixed)).
template <bool AFirst>
struct AddMlas {
  static int32x4_t apply(const Consts& c, int32x4_t xa, int32x4_t xb) {
    const float32x4_t fa = vcvtq_f32_s32(xa), fb = vcvtq_f32_s32(xb);
    const float32x4_t v = AFirst ? vfmaq_f32(vfmaq_f32(c.fixed, fa, c.ra), fb, c.rb)
                                 : vfmaq_f32(vfmaq_f32(c.fixed, fb, c.rb), fa, c.ra);
    return mlas_out(c, v);
  }
};

// MLAS QLinearMul: float(xa * xb) * r + float(zo), not fused.
struct MulMlas {
  static int32x4_t apply(const Consts& c, int32x4_t xa, int32x4_t xb) {
    return mlas_out(c, vaddq_f32(vmulq_f32(vcvtq_f32_s32(vmulq_s32(xa, xb)), c.so), c.fzo));
  }
};

struct AddFloat {
  static int32x4_t apply(const Consts& c, int32x4_t xa, int32x4_t xb) {
    const float32x4_t ra = vmulq_f32(vcvtq_f32_s32(xa), c.sa), rb = vmulq_f32(vcvtq_f32_s32(xb), c.sb);
    const float32x4_t real = c.sub ? vsubq_f32(ra, rb) : vaddq_f32(ra, rb);
    return finish4(vdivq_f32(real, c.so), isnan4(real), c.out);
  }
};

struct AddFixed {
  static int32x4_t apply(const Consts& c, int32x4_t xa, int32x4_t xb) {
    const int32x4_t ls = vdupq_n_s32(c.left);
    const int32x4_t sxa = mbqm4(vshlq_s32(xa, ls), c.ma, c.sha), sxb = mbqm4(vshlq_s32(xb, ls), c.mb, c.shb);
    const int32x4_t raw = c.sub ? vqsubq_s32(sxa, sxb) : vqaddq_s32(sxa, sxb);
    return clamp4(vqaddq_s32(mbqm4(raw, c.mo, c.sho), c.zo), c.qmin, c.qmax);
  }
};

// TPU-MLIR Add/Sub, MultiplierShift and MultiplierShiftFloat alike: within simd_ok's bounds every
// product fits int32 (so the float variant's double arithmetic is exact and equals the integer one)
// and nothing saturates. Mode: a Round, or -1 to read c.round at run time.
template <int Mode>
struct AddMS {
  static int32x4_t apply(const Consts& c, int32x4_t xa, int32x4_t xb) {
    const Round m = Mode < 0 ? c.round : static_cast<Round>(Mode);
    const int32x4_t ya = rshift_round4(vmulq_s32(xa, c.ma), c.rsa, m);
    const int32x4_t yb = rshift_round4(vmulq_s32(xb, c.mb), c.rsb, m);
    const int32x4_t raw = c.sub ? vsubq_s32(ya, yb) : vaddq_s32(ya, yb);
    const int32x4_t v = rshift_round4(vmulq_s32(raw, c.mo), c.rso, m);
    return clamp4(vaddq_s32(v, c.zo), c.qmin, c.qmax);
  }
};

// TPU-MLIR Mul, MultiplierShift / MultiplierShiftFloat / ShiftOnly (see qbinary-avx2.cc).
template <int Mode>
struct MulMS {
  static int32x4_t apply(const Consts& c, int32x4_t xa, int32x4_t xb) {
    const Round m = Mode < 0 ? c.round : static_cast<Round>(Mode);
    const int32x4_t v = rshift_round4(vmulq_s32(vmulq_s32(xa, xb), c.mo), c.rso, m);
    return clamp4(vaddq_s32(v, c.zo), c.qmin, c.qmax);
  }
};

struct MulFloat {
  static int32x4_t apply(const Consts& c, int32x4_t xa, int32x4_t xb) {
    const float32x4_t f = vmulq_f32(vcvtq_f32_s32(vmulq_s32(xa, xb)), c.so);
    return finish4(f, isnan4(f), c.out);
  }
};

// Products beyond int32 (16-bit inputs): exact in double, one rounding to float (see qbinary-avx2.cc).
struct MulFloatWide {
  static int32x4_t apply(const Consts& c, int32x4_t xa, int32x4_t xb) {
    const float64x2_t lo = vmulq_f64(vcvtq_f64_s64(vmovl_s32(vget_low_s32(xa))), vcvtq_f64_s64(vmovl_s32(vget_low_s32(xb))));
    const float64x2_t hi = vmulq_f64(vcvtq_f64_s64(vmovl_high_s32(xa)), vcvtq_f64_s64(vmovl_high_s32(xb)));
    const float32x4_t f = vmulq_f32(vcvt_high_f32_f64(vcvt_f32_f64(lo), hi), c.so);
    return finish4(f, isnan4(f), c.out);
  }
};

struct MulFixed {
  static int32x4_t apply(const Consts& c, int32x4_t xa, int32x4_t xb) {
    return clamp4(vqaddq_s32(mbqm4(vmulq_s32(xa, xb), c.mo, c.sho), c.zo), c.qmin, c.qmax);
  }
};

template <class K>
inline V8 apply8(const Consts& c, V8 a, V8 b) {
  return {K::apply(c, a.lo, b.lo), K::apply(c, a.hi, b.hi)};
}

inline V8 sub8(V8 v, int32x4_t z) { return {vsubq_s32(v.lo, z), vsubq_s32(v.hi, z)}; }

template <class K, bool SA, bool SB>
void run(const QBinaryArgs& p, const Consts& c, size_t n, const char* a, const char* b, char* y) {
  const size_t ea = tsize(p.a_type), eb = tsize(p.b_type), ey = tsize(p.out_type);
  const int32x4_t za = vdupq_n_s32(c.za), zb = vdupq_n_s32(c.zb);
  const int32x4_t ba4 = vdupq_n_s32(load1(a, p.a_type) - c.za), bb4 = vdupq_n_s32(load1(b, p.b_type) - c.zb);
  const V8 ba = {ba4, ba4}, bb = {bb4, bb4};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const V8 xa = SA ? sub8(load8(a + i * ea, p.a_type), za) : ba;
    const V8 xb = SB ? sub8(load8(b + i * eb, p.b_type), zb) : bb;
    store8(y + i * ey, p.out_type, apply8<K>(c, xa, xb));
  }
  if (i < n) {
    alignas(16) char ta[16] = {0}, tb[16] = {0}, ty[16];
    const size_t r = n - i;
    if (SA) std::memcpy(ta, a + i * ea, r * ea);
    if (SB) std::memcpy(tb, b + i * eb, r * eb);
    const V8 xa = SA ? sub8(load8(ta, p.a_type), za) : ba;
    const V8 xb = SB ? sub8(load8(tb, p.b_type), zb) : bb;
    store8(ty, p.out_type, apply8<K>(c, xa, xb));
    std::memcpy(y + i * ey, ty, r * ey);
  }
}

template <class K>
void run_strides(const QBinaryArgs& p, const Consts& c, size_t n, const void* a, size_t as, const void* b, size_t bs,
                 void* y) {
  const char* pa = static_cast<const char*>(a);
  const char* pb = static_cast<const char*>(b);
  char* py = static_cast<char*>(y);
  if (as && bs) return run<K, true, true>(p, c, n, pa, pb, py);
  if (as) return run<K, true, false>(p, c, n, pa, pb, py);
  if (bs) return run<K, false, true>(p, c, n, pa, pb, py);
  return run<K, false, false>(p, c, n, pa, pb, py);
}

}  // namespace

void qbinary_8x__neon(const QBinaryArgs& p, size_t n, const void* a, size_t as, const void* b, size_t bs, void* y) {
  if (n == 0) return;
  Consts c;
  c.sub = p.op == QBinaryOp::Sub;
  c.sa = vdupq_n_f32(p.a_scale);
  c.sb = vdupq_n_f32(p.b_scale);
  c.so = vdupq_n_f32(p.out_scale);
  c.ma = vdupq_n_s32(p.a_mult);
  c.mb = vdupq_n_s32(p.b_mult);
  c.mo = vdupq_n_s32(p.out_mult);
  c.sha = p.a_shift;
  c.shb = p.b_shift;
  c.sho = p.out_shift;
  c.left = p.left_shift;
  c.zo = vdupq_n_s32(p.out_zp);
  c.qmin = vdupq_n_s32(p.qmin);
  c.qmax = vdupq_n_s32(p.qmax);
  c.out = float_out(p.out_zp, p.qmin, p.qmax, p.round);
  c.za = p.a_zp;
  c.zb = p.b_zp;
  if (p.mlas) {
    c.ra = vdupq_n_f32(p.mlas_ra);
    c.rb = vdupq_n_f32(p.mlas_rb);
    c.fixed = vdupq_n_f32(p.mlas_fixed);
    c.fzo = vdupq_n_f32(static_cast<float>(p.out_zp));
    if (p.op == QBinaryOp::Mul) return run_strides<MulMlas>(p, c, n, a, as, b, bs, y);
    c.za = c.zb = 0;
    if (as == 0) return run_strides<AddMlas<true>>(p, c, n, a, as, b, bs, y);
    return run_strides<AddMlas<false>>(p, c, n, a, as, b, bs, y);
  }
  const bool fl = p.method == RequantMethod::FloatScale;
  if (p.op == QBinaryOp::Mul) {
    if (fl && !p.mul_wide) return run_strides<MulFloat>(p, c, n, a, as, b, bs, y);
    if (fl) return run_strides<MulFloatWide>(p, c, n, a, as, b, bs, y);
    if (p.method == RequantMethod::FixedPointDouble) return run_strides<MulFixed>(p, c, n, a, as, b, bs, y);
    c.round = p.round;
    c.rso = rshift4(p.out_shift);
    if (p.round == Round::HalfUp) return run_strides<MulMS<int(Round::HalfUp)>>(p, c, n, a, as, b, bs, y);
    return run_strides<MulMS<-1>>(p, c, n, a, as, b, bs, y);
  }
  if (fl) return run_strides<AddFloat>(p, c, n, a, as, b, bs, y);
  if (p.method == RequantMethod::MultiplierShift || p.method == RequantMethod::MultiplierShiftFloat) {
    c.round = p.round;
    c.rsa = rshift4(p.a_shift);
    c.rsb = rshift4(p.b_shift);
    c.rso = rshift4(p.out_shift);
    if (p.round == Round::HalfUp) return run_strides<AddMS<int(Round::HalfUp)>>(p, c, n, a, as, b, bs, y);
    return run_strides<AddMS<-1>>(p, c, n, a, as, b, bs, y);
  }
  return run_strides<AddFixed>(p, c, n, a, as, b, bs, y);
}

}  // namespace npuq
