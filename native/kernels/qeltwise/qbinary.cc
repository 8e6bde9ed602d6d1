// QBinaryKernel and qbinary_run (qkernels.h): validate QBinaryParams, decode them into QBinaryArgs, send
// what a SIMD kernel covers to the tier's kernel and everything else to the scalar one (QBinaryKernel
// once, qbinary_run through a QBinaryKernel per call). Also the parameter builders
// qbinary_params_tflite / qbinary_params_qdq.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qtype-io.h"

namespace npuq {

namespace {

[[noreturn]] void fail(const std::string& what) { throw std::invalid_argument("qbinary: " + what); }

void check_type(QType t, int32_t zp, const char* name, bool check_zp) {
  if (!qtype_narrow(t)) fail(std::string(name) + " type must be U8, S8, U16 or S16");
  if (check_zp && (zp < qtype_min(t) || zp > qtype_max(t)))
    fail(std::string(name) + " zero point " + std::to_string(zp) + " is outside its type's range");
}

void check_shift(int32_t shift, const char* name) {
  if (shift < -31 || shift > 30) fail(std::string(name) + " shift " + std::to_string(shift) + " is outside [-31, 30]");
}

// Largest |q - zp| over the type's values.
int64_t max_abs_offset(QType t, int32_t zp) {
  return std::max<int64_t>(int64_t(qtype_max(t)) - zp, int64_t(zp) - qtype_min(t));
}

QBinaryArgs decode(const QBinaryParams& p) {
  check_type(p.a_type, p.a_zp, "input a", true);
  check_type(p.b_type, p.b_zp, "input b", true);
  check_type(p.out_type, 0, "output", false);
  const Requant& r = p.out_requant;
  if (r.qmin > r.qmax || r.qmin < qtype_min(p.out_type) || r.qmax > qtype_max(p.out_type))
    fail("out_requant clamp [" + std::to_string(r.qmin) + ", " + std::to_string(r.qmax) +
         "] must be a non-empty range within the output type");
  if (static_cast<unsigned>(r.round) >= static_cast<unsigned>(kRoundModes)) fail("unknown rounding mode");
  QBinaryArgs a;
  a.op = p.op;
  a.method = r.method;
  a.round = r.round;
  a.a_type = p.a_type;
  a.b_type = p.b_type;
  a.out_type = p.out_type;
  a.a_zp = p.a_zp;
  a.b_zp = p.b_zp;
  a.out_zp = r.zero_point;
  a.qmin = r.qmin;
  a.qmax = r.qmax;
  a.requant = &r;
  const bool fixed = r.method == RequantMethod::FixedPointDouble || r.method == RequantMethod::FixedPointSingle;
  if (r.method == RequantMethod::FloatScale) {
    if (r.scale.empty()) fail("out_requant.scale needs one entry");
    a.out_scale = r.scale[0];
  } else if (fixed) {
    if (r.multiplier.empty() || r.shift.empty()) fail("out_requant needs a multiplier and a shift");
    a.out_mult = r.multiplier[0];
    a.out_shift = r.shift[0];
    check_shift(a.out_shift, "out_requant");
  }
  if (p.mlas) {
    if (r.method != RequantMethod::FloatScale) fail("mlas needs the FloatScale method");
    if (p.op == QBinaryOp::Sub) fail("mlas applies to Add and Mul (onnxruntime has no QLinearSub)");
    if (qtype_size(p.a_type) != 1 || qtype_size(p.b_type) != 1 || qtype_size(p.out_type) != 1)
      fail("mlas needs 8-bit inputs and output");
    a.mlas = true;
  }
  if (p.op == QBinaryOp::Mul) {
    a.mul_wide = max_abs_offset(p.a_type, p.a_zp) * max_abs_offset(p.b_type, p.b_zp) > INT32_MAX;
    if (!fixed && r.method != RequantMethod::FloatScale) {  // requantize() reads these entries
      const bool shift_only = r.method == RequantMethod::ShiftOnly;
      if ((r.multiplier.empty() && !shift_only) || r.shift.empty()) fail("out_requant needs a multiplier and a shift");
      if (r.shift[0] < -62 || r.shift[0] > 62) fail("out_requant shift must lie in [-62, 62]");
      a.out_mult = shift_only ? 1 : r.multiplier[0];  // the SIMD kernels' copy (MulMS)
      a.out_shift = r.shift[0];
    }
    return a;
  }
  if (r.method == RequantMethod::FloatScale) {
    if (p.a_requant.scale.empty() || p.b_requant.scale.empty())
      fail("Add/Sub FloatScale needs a_requant.scale and b_requant.scale");
    a.a_scale = p.a_requant.scale[0];
    a.b_scale = p.b_requant.scale[0];
    if (a.mlas) {  // qladd_avx2.cpp MlasQLinearAddKernelAvx2Helper, compiled with FMA contraction
      a.mlas_ra = a.a_scale / a.out_scale;
      a.mlas_rb = a.b_scale / a.out_scale;
      const float zb_part = a.mlas_rb * static_cast<float>(a.b_zp);
      a.mlas_fixed = static_cast<float>(a.out_zp) - std::fma(a.mlas_ra, static_cast<float>(a.a_zp), zb_part);
    }
    return a;
  }
  if (r.method == RequantMethod::MultiplierShift || r.method == RequantMethod::MultiplierShiftFloat) {
    if (p.a_requant.multiplier.empty() || p.a_requant.shift.empty() || p.b_requant.multiplier.empty() ||
        p.b_requant.shift.empty() || r.multiplier.empty() || r.shift.empty())
      fail("Add/Sub multiplier-shift needs a_requant, b_requant and out_requant multiplier and shift");
    a.a_mult = p.a_requant.multiplier[0];
    a.a_shift = p.a_requant.shift[0];
    a.b_mult = p.b_requant.multiplier[0];
    a.b_shift = p.b_requant.shift[0];
    a.out_mult = r.multiplier[0];
    a.out_shift = r.shift[0];
    for (int32_t s : {a.a_shift, a.b_shift, a.out_shift})
      if (s < 0 || s > 62) fail("multiplier-shift right shift " + std::to_string(s) + " is outside [0, 62]");
    return a;
  }
  if (!fixed) fail("Add/Sub supports FloatScale, FixedPointDouble, FixedPointSingle, MultiplierShift and MultiplierShiftFloat only");
  if (p.a_requant.multiplier.empty() || p.a_requant.shift.empty() || p.b_requant.multiplier.empty() ||
      p.b_requant.shift.empty())
    fail("Add/Sub fixed point needs a_requant and b_requant multiplier and shift");
  if (p.left_shift < 0 || p.left_shift > 30) fail("left_shift " + std::to_string(p.left_shift) + " is outside [0, 30]");
  const int64_t big = std::max(max_abs_offset(p.a_type, p.a_zp), max_abs_offset(p.b_type, p.b_zp));
  if ((big << p.left_shift) > INT32_MAX)
    fail("left_shift " + std::to_string(p.left_shift) + " overflows int32 for these input types and zero points");
  a.a_mult = p.a_requant.multiplier[0];
  a.a_shift = p.a_requant.shift[0];
  a.b_mult = p.b_requant.multiplier[0];
  a.b_shift = p.b_requant.shift[0];
  check_shift(a.a_shift, "a_requant");
  check_shift(a.b_shift, "b_requant");
  a.left_shift = p.left_shift;
  return a;
}

// |v * m / 2^shift| rounded in any mode, for |v| <= bound, is at most ceil(bound * |m| / 2^shift);
// false when bound * |m| exceeds INT32_MAX (the product would not fit an int32 lane).
bool ms_bound(int64_t bound, int32_t m, int shift, int64_t* out) {
  if (bound > INT32_MAX) return false;
  const int64_t p = bound * (m < 0 ? -int64_t(m) : int64_t(m));  // < 2^62
  if (p > INT32_MAX) return false;
  *out = (p + (int64_t(1) << shift) - 1) >> shift;  // shift in [0, 62]
  return true;
}

// Add/Sub MultiplierShift(Float) in int32 lanes: xa * Ma, xb * Mb and (ya +/- yb) * Mo all within
// +-INT32_MAX, and the rounded result plus out_zp too. Then nothing the scalar kernel saturates
// (at +-2^62) is reached, and MultiplierShiftFloat's double quotient x = v * M / 2^shift is exact
// (|v * M| < 2^31), so its round_mode equals rshift_round of the integer product in every mode: x's
// fraction x - floor(x) is exact too except for x in (-2^-22, 0) with shift > 53, where it rounds
// within (1/2, 1], which every decision of round_mode treats as the exact value in (1/2, 1).
bool ms_simd_ok(const QBinaryArgs& a) {
  int64_t ya = 0, yb = 0, y = 0;
  return ms_bound(max_abs_offset(a.a_type, a.a_zp), a.a_mult, a.a_shift, &ya) &&
         ms_bound(max_abs_offset(a.b_type, a.b_zp), a.b_mult, a.b_shift, &yb) &&
         ms_bound(ya + yb, a.out_mult, a.out_shift, &y) &&
         y + (a.out_zp < 0 ? -int64_t(a.out_zp) : int64_t(a.out_zp)) <= INT32_MAX;
}

// Mul with MultiplierShift(Float) or ShiftOnly in int32 lanes: a right shift, |xa * xb| and
// |xa * xb * Mo| within INT32_MAX, the rounded result plus out_zp too (the argument of ms_simd_ok).
bool ms_mul_simd_ok(const QBinaryArgs& a) {
  int64_t y = 0;
  if (a.out_shift < 0 || a.out_shift > 62) return false;
  const int64_t xa = max_abs_offset(a.a_type, a.a_zp), xb = max_abs_offset(a.b_type, a.b_zp);
  return xa * xb <= INT32_MAX && ms_bound(xa * xb, a.out_mult, a.out_shift, &y) &&
         y + (a.out_zp < 0 ? -int64_t(a.out_zp) : int64_t(a.out_zp)) <= INT32_MAX;
}

// Whether the SIMD kernels cover these arguments (see q-eltwise.h).
bool simd_ok(const QBinaryArgs& a, size_t as, size_t bs) {
  if (as > 1 || bs > 1) return false;
  if (a.mlas) return true;  // 8-bit inputs (decode): products fit int32, zero points small
  const bool ms = a.method == RequantMethod::MultiplierShift || a.method == RequantMethod::MultiplierShiftFloat;
  if (a.op != QBinaryOp::Mul && ms) return ms_simd_ok(a);
  if (a.op == QBinaryOp::Mul && (ms || a.method == RequantMethod::ShiftOnly)) return ms_mul_simd_ok(a);
  if (a.method == RequantMethod::FloatScale) {
    if (a.out_zp < -(1 << 20) || a.out_zp > (1 << 20)) return false;
  } else if (a.method != RequantMethod::FixedPointDouble) {
    return false;
  }
  // Mul FixedPointDouble needs the int32 product; FloatScale takes wider ones through double.
  if (a.op == QBinaryOp::Mul && a.method == RequantMethod::FixedPointDouble) return !a.mul_wide;
  return true;
}

}  // namespace

struct QBinaryKernel::Impl {
  QBinaryParams p;  // args.requant points into it
  QBinaryArgs args;
  QBinaryFn fn = nullptr;
  size_t a_stride = 0, b_stride = 0;
};

QBinaryKernel::QBinaryKernel(Isa isa, const QBinaryParams& p, size_t a_stride, size_t b_stride) : impl_(new Impl) {
  Impl& k = *impl_;
  k.p = p;
  k.args = decode(k.p);
  k.fn = (simd_ok(k.args, a_stride, b_stride) ? q_eltwise_kernels(isa) : q_eltwise_scalar_kernels()).qbinary;
  k.a_stride = a_stride;
  k.b_stride = b_stride;
}

QBinaryKernel::~QBinaryKernel() = default;

void QBinaryKernel::run(size_t n, const void* a, const void* b, void* y) const {
  if (n == 0) return;
  if (!a || !b || !y) fail("null buffer");
  impl_->fn(impl_->args, n, a, impl_->a_stride, b, impl_->b_stride, y);
}

void qbinary_run(Isa isa, const QBinaryParams& p, size_t n, const void* a, size_t a_stride, const void* b,
                 size_t b_stride, void* y) {
  QBinaryKernel(isa, p, a_stride, b_stride).run(n, a, b, y);
}

namespace {

void check_scale(float s, const char* name) {
  if (!(s > 0.0f) || !std::isfinite(s)) fail(std::string(name) + " scale must be positive and finite");
}

QBinaryParams base(QBinaryOp op, QType at, float sa, int32_t za, QType bt, float sb, int32_t zb, QType ot, float so,
                   int32_t zo) {
  check_type(at, za, "input a", true);
  check_type(bt, zb, "input b", true);
  check_type(ot, zo, "output", true);
  check_scale(sa, "input a");
  check_scale(sb, "input b");
  check_scale(so, "output");
  QBinaryParams p;
  p.op = op;
  p.a_type = at;
  p.b_type = bt;
  p.out_type = ot;
  p.a_zp = za;
  p.b_zp = zb;
  p.out_requant.zero_point = zo;
  p.out_requant.qmin = qtype_min(ot);
  p.out_requant.qmax = qtype_max(ot);
  return p;
}

void set_multiplier(Requant* r, double m) {
  int32_t M = 0;
  int shift = 0;
  quantize_multiplier(m, &M, &shift);
  r->method = RequantMethod::FixedPointDouble;
  r->multiplier = {M};
  r->shift = {shift};
}

}  // namespace

QBinaryParams qbinary_params_tflite(QBinaryOp op, QType at, float sa, int32_t za, QType bt, float sb, int32_t zb,
                                    QType ot, float so, int32_t zo) {
  QBinaryParams p = base(op, at, sa, za, bt, sb, zb, ot, so, zo);
  if (op == QBinaryOp::Mul) {
    set_multiplier(&p.out_requant, double(sa) * double(sb) / double(so));
    return p;
  }
  p.left_shift = qtype_size(at) == 2 || qtype_size(bt) == 2 || qtype_size(ot) == 2 ? 15 : 20;
  const float shifted_so = float(1 << p.left_shift) * so;
  if (op == QBinaryOp::Add) {  // kernels/add.cc: ratios in double
    const double twice_max = 2 * std::max(sa, sb);
    set_multiplier(&p.a_requant, sa / twice_max);
    set_multiplier(&p.b_requant, sb / twice_max);
    set_multiplier(&p.out_requant, twice_max / shifted_so);
  } else {  // kernels/sub.cc: ratios in float32, then widened
    const float twice_max = 2 * std::max(sa, sb);
    set_multiplier(&p.a_requant, double(sa / twice_max));
    set_multiplier(&p.b_requant, double(sb / twice_max));
    set_multiplier(&p.out_requant, double(twice_max / shifted_so));
  }
  return p;
}

QBinaryParams qbinary_params_qdq(QBinaryOp op, QType at, float sa, int32_t za, QType bt, float sb, int32_t zb,
                                 QType ot, float so, int32_t zo, Round round) {
  QBinaryParams p = base(op, at, sa, za, bt, sb, zb, ot, so, zo);
  p.out_requant.method = RequantMethod::FloatScale;
  p.out_requant.round = round;
  if (op == QBinaryOp::Mul) {
    const float ab = sa * sb;
    p.out_requant.scale = {ab / so};
  } else {
    p.a_requant.scale = {sa};
    p.b_requant.scale = {sb};
    p.out_requant.scale = {so};
  }
  return p;
}

}  // namespace npuq
