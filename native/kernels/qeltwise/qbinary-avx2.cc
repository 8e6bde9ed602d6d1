// qbinary_8x__avx2: quantized Add/Sub/Mul, 8 int32 lanes per step, FloatScale (QDQ and onnxruntime
// MLAS), FixedPointDouble and the TPU-MLIR MultiplierShift / MultiplierShiftFloat (Mul also ShiftOnly)
// within the int32 bounds of simd_ok in qbinary.cc (the driver sends every other case to the scalar kernel).
// Inputs advance (stride 1) or broadcast (stride 0); the partial last vector goes through stack
// buffers. Lane-wise the same operations as qbinary__scalar, in the same order: no FMA except where the
// scalar kernel calls std::fma (MLAS Add, _mm256_fmadd_ps as qladd_avx2.cpp), so the results are identical.
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qvec-avx2.h"

namespace npuq {

namespace {

struct Consts {
  bool sub = false;
  __m256 sa, sb, so;
  __m256i ma, mb, mo, zo, qmin, qmax;
  int sha = 0, shb = 0, sho = 0, left = 0;
  int32_t za = 0, zb = 0;  // subtracted from the inputs before apply (0 for MLAS Add: raw inputs)
  __m256 ra, rb, fixed, fzo;  // MLAS
  FloatOut out;
  Round round = Round::HalfUp;
  RShift8 rsa, rsb, rso;  // MultiplierShift(Float)
};

// MLAS: cvtps (half to even, INT32_MIN out of range, as the scalar cvtps_epi32), then the clamp.
inline __m256i mlas_out(const Consts& c, __m256 v) { return clamp8(_mm256_cvtps_epi32(v), c.qmin, c.qmax); }

// MLAS QLinearAdd on raw inputs: fma(a, ra, fma(b, rb, fixed)); AFirst (a broadcast): fma(b, rb, fma(a, ra, fixed)).
template <bool AFirst>
struct AddMlas {
  static __m256i apply(const Consts& c, __m256i xa, __m256i xb) {
    const __m256 fa = _mm256_cvtepi32_ps(xa), fb = _mm256_cvtepi32_ps(xb);
    const __m256 v = AFirst ? _mm256_fmadd_ps(fb, c.rb, _mm256_fmadd_ps(fa, c.ra, c.fixed))
                            : _mm256_fmadd_ps(fa, c.ra, _mm256_fmadd_ps(fb, c.rb, c.fixed));
    return mlas_out(c, v);
  }
};

// MLAS QLinearMul: float(xa * xb) * r + float(zo), no fusion.
struct MulMlas {
  static __m256i apply(const Consts& c, __m256i xa, __m256i xb) {
    const __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(xa, xb)), c.so);
    return mlas_out(c, _mm256_add_ps(f, c.fzo));
  }
};

struct AddFloat {
  static __m256i apply(const Consts& c, __m256i xa, __m256i xb) {
    const __m256 ra = _mm256_mul_ps(_mm256_cvtepi32_ps(xa), c.sa);
    const __m256 rb = _mm256_mul_ps(_mm256_cvtepi32_ps(xb), c.sb);
    const __m256 real = c.sub ? _mm256_sub_ps(ra, rb) : _mm256_add_ps(ra, rb);
    return finish8(_mm256_div_ps(real, c.so), isnan8(real), c.out);
  }
};

struct AddFixed {
  static __m256i apply(const Consts& c, __m256i xa, __m256i xb) {
    const __m128i ls = _mm_cvtsi32_si128(c.left);
    const __m256i sxa = mbqm8(_mm256_sll_epi32(xa, ls), c.ma, c.sha);
    const __m256i sxb = mbqm8(_mm256_sll_epi32(xb, ls), c.mb, c.shb);
    const __m256i raw = c.sub ? sat_sub8(sxa, sxb) : sat_add8(sxa, sxb);
    return clamp8(sat_add8(mbqm8(raw, c.mo, c.sho), c.zo), c.qmin, c.qmax);
  }
};

// TPU-MLIR Add/Sub, MultiplierShift and MultiplierShiftFloat alike: within simd_ok's bounds every
// product fits int32 (so the float variant's double arithmetic is exact and equals the integer one)
// and nothing saturates. Mode: a Round, or -1 to read c.round at run time.
template <int Mode>
struct AddMS {
  static __m256i apply(const Consts& c, __m256i xa, __m256i xb) {
    const Round m = Mode < 0 ? c.round : static_cast<Round>(Mode);
    const __m256i ya = rshift_round8(_mm256_mullo_epi32(xa, c.ma), c.rsa, m);
    const __m256i yb = rshift_round8(_mm256_mullo_epi32(xb, c.mb), c.rsb, m);
    const __m256i raw = c.sub ? _mm256_sub_epi32(ya, yb) : _mm256_add_epi32(ya, yb);
    const __m256i v = rshift_round8(_mm256_mullo_epi32(raw, c.mo), c.rso, m);
    return clamp8(_mm256_add_epi32(v, c.zo), c.qmin, c.qmax);
  }
};

// TPU-MLIR Mul: the exact product xa * xb requantized by MultiplierShift, MultiplierShiftFloat or
// ShiftOnly (multiplier 1); within simd_ok's bounds xa * xb * Mo fits int32, so (as for AddMS) the float
// variant equals the integer one and nothing saturates.
template <int Mode>
struct MulMS {
  static __m256i apply(const Consts& c, __m256i xa, __m256i xb) {
    const Round m = Mode < 0 ? c.round : static_cast<Round>(Mode);
    const __m256i v = rshift_round8(_mm256_mullo_epi32(_mm256_mullo_epi32(xa, xb), c.mo), c.rso, m);
    return clamp8(_mm256_add_epi32(v, c.zo), c.qmin, c.qmax);
  }
};

struct MulFloat {
  static __m256i apply(const Consts& c, __m256i xa, __m256i xb) {
    const __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(xa, xb)), c.so);
    return finish8(f, isnan8(f), c.out);
  }
};

// The same for products beyond int32 (16-bit inputs): xa * xb exactly in double (|xa * xb| < 2^34),
// then one rounding to float (cvtpd_ps, to nearest even as the scalar float(int64) conversion).
struct MulFloatWide {
  static __m256i apply(const Consts& c, __m256i xa, __m256i xb) {
    const __m256d lo = _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(xa)),
                                     _mm256_cvtepi32_pd(_mm256_castsi256_si128(xb)));
    const __m256d hi = _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(xa, 1)),
                                     _mm256_cvtepi32_pd(_mm256_extracti128_si256(xb, 1)));
    const __m256 prod = _mm256_set_m128(_mm256_cvtpd_ps(hi), _mm256_cvtpd_ps(lo));
    const __m256 f = _mm256_mul_ps(prod, c.so);
    return finish8(f, isnan8(f), c.out);
  }
};

struct MulFixed {
  static __m256i apply(const Consts& c, __m256i xa, __m256i xb) {
    const __m256i acc = _mm256_mullo_epi32(xa, xb);
    return clamp8(sat_add8(mbqm8(acc, c.mo, c.sho), c.zo), c.qmin, c.qmax);
  }
};

// T: the one type of both inputs and the output when the caller fixed it at compile time (the 8-bit
// cases, elementwise or against a broadcast scalar: the loop then has no type switch per vector; bench_qkernels qbinary, 64K s8: Add 2.65 -> 3.36,
// Mul 3.63 -> 4.65 Gelem/s), or -1 to read the types from p.
template <class K, bool SA, bool SB, int T = -1>
void run(const QBinaryArgs& p, const Consts& c, size_t n, const char* a, const char* b, char* y) {
  const QType ta = T < 0 ? p.a_type : QType(T), tb = T < 0 ? p.b_type : QType(T), ty = T < 0 ? p.out_type : QType(T);
  const size_t ea = tsize(ta), eb = tsize(tb), ey = tsize(ty);
  const __m256i za = _mm256_set1_epi32(c.za), zb = _mm256_set1_epi32(c.zb);
  const __m256i ba = _mm256_sub_epi32(_mm256_set1_epi32(load1(a, ta)), za);
  const __m256i bb = _mm256_sub_epi32(_mm256_set1_epi32(load1(b, tb)), zb);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i xa = SA ? _mm256_sub_epi32(load8(a + i * ea, ta), za) : ba;
    const __m256i xb = SB ? _mm256_sub_epi32(load8(b + i * eb, tb), zb) : bb;
    store8(y + i * ey, ty, K::apply(c, xa, xb));
  }
  if (i < n) {
    alignas(32) char ta[16] = {0}, tb[16] = {0}, ty[16];
    const size_t r = n - i;
    if (SA) std::memcpy(ta, a + i * ea, r * ea);
    if (SB) std::memcpy(tb, b + i * eb, r * eb);
    const __m256i xa = SA ? _mm256_sub_epi32(load8(ta, p.a_type), za) : ba;
    const __m256i xb = SB ? _mm256_sub_epi32(load8(tb, p.b_type), zb) : bb;
    store8(ty, p.out_type, K::apply(c, xa, xb));
    std::memcpy(y + i * ey, ty, r * ey);
  }
}

template <class K, bool SA, bool SB>
void run_typed(const QBinaryArgs& p, const Consts& c, size_t n, const char* a, const char* b, char* y) {
  if (p.a_type == p.b_type && p.a_type == p.out_type) {
    if (p.a_type == QType::U8) return run<K, SA, SB, int(QType::U8)>(p, c, n, a, b, y);
    if (p.a_type == QType::S8) return run<K, SA, SB, int(QType::S8)>(p, c, n, a, b, y);
  }
  run<K, SA, SB>(p, c, n, a, b, y);
}

template <class K>
void run_strides(const QBinaryArgs& p, const Consts& c, size_t n, const void* a, size_t as, const void* b, size_t bs,
                 void* y) {
  const char* pa = static_cast<const char*>(a);
  const char* pb = static_cast<const char*>(b);
  char* py = static_cast<char*>(y);
  if (as && bs) return run_typed<K, true, true>(p, c, n, pa, pb, py);
  if (as) return run_typed<K, true, false>(p, c, n, pa, pb, py);
  if (bs) return run_typed<K, false, true>(p, c, n, pa, pb, py);
  return run<K, false, false>(p, c, n, pa, pb, py);
}

}  // namespace

void qbinary_8x__avx2(const QBinaryArgs& p, size_t n, const void* a, size_t as, const void* b, size_t bs, void* y) {
  if (n == 0) return;
  Consts c;
  c.sub = p.op == QBinaryOp::Sub;
  c.sa = _mm256_set1_ps(p.a_scale);
  c.sb = _mm256_set1_ps(p.b_scale);
  c.so = _mm256_set1_ps(p.out_scale);
  c.ma = _mm256_set1_epi32(p.a_mult);
  c.mb = _mm256_set1_epi32(p.b_mult);
  c.mo = _mm256_set1_epi32(p.out_mult);
  c.sha = p.a_shift;
  c.shb = p.b_shift;
  c.sho = p.out_shift;
  c.left = p.left_shift;
  c.zo = _mm256_set1_epi32(p.out_zp);
  c.qmin = _mm256_set1_epi32(p.qmin);
  c.qmax = _mm256_set1_epi32(p.qmax);
  c.out = float_out(p.out_zp, p.qmin, p.qmax, p.round);
  c.za = p.a_zp;
  c.zb = p.b_zp;
  if (p.mlas) {
    c.ra = _mm256_set1_ps(p.mlas_ra);
    c.rb = _mm256_set1_ps(p.mlas_rb);
    c.fixed = _mm256_set1_ps(p.mlas_fixed);
    c.fzo = _mm256_set1_ps(static_cast<float>(p.out_zp));
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
    c.rso = rshift8(p.out_shift);
    if (p.round == Round::HalfUp) return run_strides<MulMS<int(Round::HalfUp)>>(p, c, n, a, as, b, bs, y);
    return run_strides<MulMS<-1>>(p, c, n, a, as, b, bs, y);
  }
  if (fl) return run_strides<AddFloat>(p, c, n, a, as, b, bs, y);
  if (p.method == RequantMethod::MultiplierShift || p.method == RequantMethod::MultiplierShiftFloat) {
    c.round = p.round;
    c.rsa = rshift8(p.a_shift);
    c.rsb = rshift8(p.b_shift);
    c.rso = rshift8(p.out_shift);
    if (p.round == Round::HalfUp) return run_strides<AddMS<int(Round::HalfUp)>>(p, c, n, a, as, b, bs, y);
    return run_strides<AddMS<-1>>(p, c, n, a, as, b, bs, y);
  }
  return run_strides<AddFixed>(p, c, n, a, as, b, bs, y);
}

}  // namespace npuq
