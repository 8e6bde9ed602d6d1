// requant_s32_v__rvv: vector-length agnostic (e32, m2) requantization for FloatScale, FixedPointDouble,
// FixedPointSingle, MultiplierShift and ShiftOnly (every rounding mode); MultiplierShiftFloat and runs
// with a left shift go to requant_s32__scalar. Exactness arguments as in requant-avx2.cc; RVV specifics:
//  - FloatScale: vfcvt.f.x, vfmul, vfadd round per frm, which is round-to-nearest-even (the process
//    default; nothing here changes it), like the scalar float(acc) * scale. The product is clamped to
//    +-2^22 (vectorized only when |qmin - zp|, |qmax - zp| <= 2^22), then rounded as described at round_f.
//  - FixedPointDouble: SRDHM from the widened product: min((x*M + 2^30) >> 31, INT32_MAX) (the only
//    overflow is INT32_MIN * INT32_MIN); RoundingDivideByPOT as (x >> e) - ((thr - rem) >> 31).
//  - FixedPointSingle: widened product + 2^(t-1), arithmetic shift by t, clamped in 64 bits.
//  - MultiplierShift / ShiftOnly (M = 1): the widened exact product (e64, m4), vsra (floor) and the
//    remainder's up_mask decision, HalfUp as (p + 2^(r-1)) >> r; clamped and offset in 64 bits.
// No vxrm-dependent instruction is used (vsmul / vnclip), so the result never depends on CSR state.
#include <riscv_vector.h>

#include "dispatch/q-kernels.h"
#include "kernels/simd/round-up-rvv.h"

namespace npuq {

namespace {

inline vint32m2_t lane_i32(const int32_t* p, size_t i, size_t stride, size_t vl) {
  return stride ? __riscv_vle32_v_i32m2(p + i, vl) : __riscv_vmv_v_x_i32m2(p[0], vl);
}

// Rounding without vector float-to-int conversions (qemu 7.2 aborts translating vfcvt.x.f.v /
// vfcvt.rtz.x.f.v, so they could not be tested; these sequences are exact anyway). |f| <= 2^22:
//  - r = (f + 1.5*2^23) - 1.5*2^23 is f rounded to nearest even (vfadd/vfsub under frm = RNE);
//  - an integral float v in [-2^22, 2^22] is bits(v + 1.5*2^23) - bits(1.5*2^23) as an integer;
//  - floor(f) = r - (r > f), frac = f - floor(f) exactly, and the other modes compare frac with 0.5.
constexpr float kMagic = 12582912.0f;        // 1.5 * 2^23
constexpr int32_t kMagicBits = 0x4B400000;   // its bit pattern

inline vint32m2_t to_int(vfloat32m2_t v, size_t vl) {
  return __riscv_vsub_vx_i32m2(__riscv_vreinterpret_v_f32m2_i32m2(__riscv_vfadd_vf_f32m2(v, kMagic, vl)), kMagicBits, vl);
}

inline vint32m2_t round_f(vfloat32m2_t f, Round m, size_t vl) {
  const vfloat32m2_t r = __riscv_vfsub_vf_f32m2(__riscv_vfadd_vf_f32m2(f, kMagic, vl), kMagic, vl);
  if (m == Round::HalfToEven) return to_int(r, vl);
  const vfloat32m2_t fl = __riscv_vmerge_vvm_f32m2(r, __riscv_vfsub_vf_f32m2(r, 1.0f, vl),
                                                   __riscv_vmfgt_vv_f32m2_b16(r, f, vl), vl);
  const vint32m2_t fi = to_int(fl, vl);
  if (m == Round::Floor) return fi;
  const vfloat32m2_t frac = __riscv_vfsub_vv_f32m2(f, fl, vl);  // exact
  const vbool16_t gt = __riscv_vmfgt_vf_f32m2_b16(frac, 0.5f, vl), eq = __riscv_vmfeq_vf_f32m2_b16(frac, 0.5f, vl);
  const vbool16_t nz = __riscv_vmfgt_vf_f32m2_b16(frac, 0.0f, vl), pos = __riscv_vmfge_vf_f32m2_b16(f, 0.0f, vl);
  vbool16_t inc;
  switch (m) {
    case Round::HalfAwayFromZero: inc = __riscv_vmor_mm_b16(gt, __riscv_vmand_mm_b16(eq, pos, vl), vl); break;
    case Round::HalfUp: inc = __riscv_vmfge_vf_f32m2_b16(frac, 0.5f, vl); break;
    case Round::HalfDown: inc = gt; break;
    case Round::HalfToOdd: {
      const vbool16_t even = __riscv_vmseq_vx_i32m2_b16(__riscv_vand_vx_i32m2(fi, 1, vl), 0, vl);
      inc = __riscv_vmor_mm_b16(gt, __riscv_vmand_mm_b16(eq, even, vl), vl);
      break;
    }
    case Round::HalfTowardZero: inc = __riscv_vmor_mm_b16(gt, __riscv_vmandn_mm_b16(eq, pos, vl), vl); break;
    case Round::AwayFromZero: inc = __riscv_vmand_mm_b16(nz, pos, vl); break;
    case Round::TowardZero: inc = __riscv_vmandn_mm_b16(nz, pos, vl); break;
    case Round::Ceil: inc = nz; break;
    default: inc = __riscv_vmfgt_vf_f32m2_b16(frac, 2.0f, vl); break;  // never true
  }
  return __riscv_vadd_vv_i32m2(fi, __riscv_vmerge_vxm_i32m2(__riscv_vmv_v_x_i32m2(0, vl), 1, inc, vl), vl);
}

inline vint32m2_t fixed_double(vint32m2_t x, vint32m2_t m, vint32m2_t s, size_t vl) {
  const vint32m2_t left = __riscv_vmax_vx_i32m2(s, 0, vl);
  const vint32m2_t right = __riscv_vmax_vx_i32m2(__riscv_vrsub_vx_i32m2(s, 0, vl), 0, vl);
  const vuint32m2_t ru = __riscv_vreinterpret_v_i32m2_u32m2(right);
  const vint32m2_t x1 = __riscv_vsll_vv_i32m2(x, __riscv_vreinterpret_v_i32m2_u32m2(left), vl);
  vint64m4_t p = __riscv_vadd_vx_i64m4(__riscv_vwmul_vv_i64m4(x1, m, vl), int64_t(1) << 30, vl);
  p = __riscv_vmin_vx_i64m4(__riscv_vsra_vx_i64m4(p, 31, vl), INT32_MAX, vl);
  const vint32m2_t h = __riscv_vncvt_x_x_w_i32m2(p, vl);
  const vint32m2_t mask = __riscv_vsub_vx_i32m2(__riscv_vsll_vv_i32m2(__riscv_vmv_v_x_i32m2(1, vl), ru, vl), 1, vl);
  const vint32m2_t rem = __riscv_vand_vv_i32m2(h, mask, vl);
  const vint32m2_t neg = __riscv_vreinterpret_v_u32m2_i32m2(
      __riscv_vsrl_vx_u32m2(__riscv_vreinterpret_v_i32m2_u32m2(h), 31, vl));
  const vint32m2_t thr = __riscv_vadd_vv_i32m2(__riscv_vsra_vx_i32m2(mask, 1, vl), neg, vl);
  return __riscv_vsub_vv_i32m2(__riscv_vsra_vv_i32m2(h, ru, vl),
                               __riscv_vsra_vx_i32m2(__riscv_vsub_vv_i32m2(thr, rem, vl), 31, vl), vl);
}

inline vint32m2_t fixed_single(vint32m2_t x, vint32m2_t m, vint32m2_t s, int64_t lo, int64_t hi, size_t vl) {
  const vint64m4_t t = __riscv_vsext_vf2_i64m4(__riscv_vrsub_vx_i32m2(s, 31, vl), vl);  // [1, 62]
  const vuint64m4_t tu = __riscv_vreinterpret_v_i64m4_u64m4(t);
  const vuint64m4_t tu1 = __riscv_vreinterpret_v_i64m4_u64m4(__riscv_vsub_vx_i64m4(t, 1, vl));
  vint64m4_t p = __riscv_vwmul_vv_i64m4(x, m, vl);
  p = __riscv_vadd_vv_i64m4(p, __riscv_vsll_vv_i64m4(__riscv_vmv_v_x_i64m4(1, vl), tu1, vl), vl);
  p = __riscv_vsra_vv_i64m4(p, tu, vl);
  p = __riscv_vmin_vx_i64m4(__riscv_vmax_vx_i64m4(p, lo, vl), hi, vl);
  return __riscv_vncvt_x_x_w_i32m2(p, vl);
}

// rshift_round(x * m, s, mode) per lane, s in [0, 62], clamped to [lo, hi] and offset by zp in 64 bits.
inline vint32m2_t mul_shift(vint32m2_t x, vint32m2_t m, vint32m2_t s, Round mode, int64_t lo, int64_t hi, int32_t zp,
                            size_t vl) {
  const vint64m4_t p = __riscv_vwmul_vv_i64m4(x, m, vl);
  const vuint64m4_t r = __riscv_vreinterpret_v_i64m4_u64m4(__riscv_vsext_vf2_i64m4(s, vl));
  const vint64m4_t mask = __riscv_vsub_vx_i64m4(__riscv_vsll_vv_i64m4(__riscv_vmv_v_x_i64m4(1, vl), r, vl), 1, vl);
  vint64m4_t v;
  if (mode == Round::HalfUp) {
    const vint64m4_t h = __riscv_vsra_vx_i64m4(__riscv_vadd_vx_i64m4(mask, 1, vl), 1, vl);  // 2^(r-1); 0 for r = 0
    v = __riscv_vsra_vv_i64m4(__riscv_vadd_vv_i64m4(p, h, vl), r, vl);
  } else {
    const vint64m4_t q = __riscv_vsra_vv_i64m4(p, r, vl), rem = __riscv_vand_vv_i64m4(p, mask, vl);
    const vint64m4_t half = __riscv_vadd_vx_i64m4(__riscv_vsra_vx_i64m4(mask, 1, vl), 1, vl);  // 1 for r = 0
    const vmask gt = __riscv_vmsgt_vv_i64m4_b16(rem, half, vl), tie = __riscv_vmseq_vv_i64m4_b16(rem, half, vl);
    const vmask inexact = __riscv_vmsne_vx_i64m4_b16(rem, 0, vl), neg = __riscv_vmslt_vx_i64m4_b16(p, 0, vl);
    const vmask odd = __riscv_vmsne_vx_i64m4_b16(__riscv_vand_vx_i64m4(q, 1, vl), 0, vl);
    const vmask up = up_mask(mode, gt, tie, inexact, neg, odd, vl);
    v = __riscv_vmerge_vvm_i64m4(q, __riscv_vadd_vx_i64m4(q, 1, vl), up, vl);
  }
  v = __riscv_vadd_vx_i64m4(__riscv_vmin_vx_i64m4(__riscv_vmax_vx_i64m4(v, lo, vl), hi, vl), zp, vl);
  return __riscv_vncvt_x_x_w_i32m2(v, vl);
}

inline int32_t clamp32(int64_t v) { return v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : int32_t(v); }

}  // namespace

void requant_s32_v__rvv(const QRequantArgs& a, const int32_t* acc, size_t n, void* out) {
  const int64_t lo64 = int64_t(a.qmin) - a.zp, hi64 = int64_t(a.qmax) - a.zp;
  const bool fs = a.method == RequantMethod::FloatScale;
  const bool ms = a.method == RequantMethod::MultiplierShift || a.method == RequantMethod::ShiftOnly;
  const bool vec = (fs && lo64 >= -(int64_t(1) << 22) && hi64 <= (int64_t(1) << 22)) ||
                   a.method == RequantMethod::FixedPointDouble || a.method == RequantMethod::FixedPointSingle ||
                   (ms && a.right_shifts);
  if (!vec) return requant_s32__scalar(a, acc, n, out);
  const int32_t lo = clamp32(lo64), hi = clamp32(hi64);
  for (size_t i = 0; i < n;) {
    const size_t vl = __riscv_vsetvl_e32m2(n - i);
    vint32m2_t x = __riscv_vle32_v_i32m2(acc + i, vl);
    if (a.bias) x = __riscv_vadd_vv_i32m2(x, lane_i32(a.bias, i, a.stride, vl), vl);
    vint32m2_t v;
    if (fs) {
      const vfloat32m2_t sc = a.stride ? __riscv_vle32_v_f32m2(a.scale + i, vl) : __riscv_vfmv_v_f_f32m2(a.scale[0], vl);
      vfloat32m2_t f = __riscv_vfmul_vv_f32m2(__riscv_vfcvt_f_x_v_f32m2(x, vl), sc, vl);
      f = __riscv_vfmin_vf_f32m2(__riscv_vfmax_vf_f32m2(f, -4194304.0f, vl), 4194304.0f, vl);  // +-2^22
      v = round_f(f, a.round, vl);
    } else if (ms) {
      const vint32m2_t m = a.multiplier ? lane_i32(a.multiplier, i, a.stride, vl) : __riscv_vmv_v_x_i32m2(1, vl);
      v = mul_shift(x, m, lane_i32(a.shift, i, a.stride, vl), a.round, lo64, hi64, a.zp, vl);
    } else if (a.method == RequantMethod::FixedPointDouble) {
      v = fixed_double(x, lane_i32(a.multiplier, i, a.stride, vl), lane_i32(a.shift, i, a.stride, vl), vl);
    } else {
      v = fixed_single(x, lane_i32(a.multiplier, i, a.stride, vl), lane_i32(a.shift, i, a.stride, vl), lo, hi, vl);
    }
    if (!ms) v = __riscv_vadd_vx_i32m2(__riscv_vmin_vx_i32m2(__riscv_vmax_vx_i32m2(v, lo, vl), hi, vl), a.zp, vl);
    switch (a.out_type) {
      case QType::U8:
      case QType::S8:
        __riscv_vse8_v_i8mf2(static_cast<int8_t*>(out) + i,
                             __riscv_vncvt_x_x_w_i8mf2(__riscv_vncvt_x_x_w_i16m1(v, vl), vl), vl);
        break;
      case QType::U16:
      case QType::S16: __riscv_vse16_v_i16m1(static_cast<int16_t*>(out) + i, __riscv_vncvt_x_x_w_i16m1(v, vl), vl); break;
      case QType::S32: __riscv_vse32_v_i32m2(static_cast<int32_t*>(out) + i, v, vl); break;
    }
    i += vl;
  }
}

}  // namespace npuq
