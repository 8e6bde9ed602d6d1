// histogram_f32_4x__neon: the bin index of 4 elements at a time, bit-identical to the scalar kernel's
// t = min(double(|x|) * s, bins - 1) truncated, with the scale s = bins / range of each lane's region
// (NEG, POS, HIGH; see stats-kernels.h), selected per lane:
//  * when both scales are powers of two that are normal floats, |x| * s is exact in float too (see
//    histogram-f32-avx2.cc), so vmulq_f32, vminq_f32 and vcvtq_u32_f32 (truncation) give the same
//    indices;
//  * otherwise in double: vcvt_f64_f32 (exact), vmulq_f64, vminq_f64, vcvtq_u64_f64 (truncation),
//    each correctly rounded like the scalar code.
// The region's offset is added. Non-finite lanes (|x| <= FLT_MAX false) are zeroed and counted in POS,
// land in entry 0 and are taken back out of bin 0 at the end (uint64 arithmetic, the
// intermediate wrap is harmless). The increments are scalar.
#include <arm_neon.h>

#include <cfloat>
#include <cmath>

#include "dispatch/stats-kernels.h"

namespace npuq {

namespace {

bool float_scale(double s) {
  int e = 0;
  return std::frexp(s, &e) == 0.5 && e - 1 >= -126 && e - 1 <= 127;
}

// Lanes 0-1 / 2-3 of a 32-bit mask as 64-bit masks.
uint64x2_t mask_lo(uint32x4_t m) { return vreinterpretq_u64_s64(vmovl_s32(vreinterpret_s32_u32(vget_low_u32(m)))); }
uint64x2_t mask_hi(uint32x4_t m) { return vreinterpretq_u64_s64(vmovl_s32(vreinterpret_s32_u32(vget_high_u32(m)))); }

}  // namespace

void histogram_f32_4x__neon(size_t n, const float* x, const HistogramArgs& h, uint64_t* counts) {
  const double ps = double(h.bins) / h.pos_max, ns = double(h.bins) / h.neg_max, hs = double(h.bins) / h.high_max;
  const bool use_float = float_scale(ps) && float_scale(ns) && float_scale(hs);
  const float32x4_t fps = vdupq_n_f32(use_float ? float(ps) : 0.0f), fns = vdupq_n_f32(use_float ? float(ns) : 0.0f);
  const float32x4_t fhs = vdupq_n_f32(use_float ? float(hs) : 0.0f), ftop = vdupq_n_f32(float(h.bins - 1));
  const float64x2_t dps = vdupq_n_f64(ps), dns = vdupq_n_f64(ns), dhs = vdupq_n_f64(hs), dtop = vdupq_n_f64(double(h.bins - 1));
  const float32x4_t big = vdupq_n_f32(FLT_MAX), zero = vdupq_n_f32(0.0f), split = vdupq_n_f32(h.split);
  const uint32x4_t noff32 = vdupq_n_u32(uint32_t(h.neg_offset)), hoff32 = vdupq_n_u32(uint32_t(h.high_offset));
  const uint64x2_t noff64 = vdupq_n_u64(uint64_t(h.neg_offset)), hoff64 = vdupq_n_u64(uint64_t(h.high_offset));
  uint64_t finite = 0;
  alignas(16) uint32_t idx32[4];
  alignas(16) uint64_t idx64[4];
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(x + i);
    const float32x4_t a = vabsq_f32(v);
    const uint32x4_t fin = vcleq_f32(a, big);
    const uint32x4_t neg = vandq_u32(vcltq_f32(v, zero), fin);
    const uint32x4_t high = vandq_u32(vcgeq_f32(v, split), fin);
    finite += vaddvq_u32(vshrq_n_u32(fin, 31));
    const float32x4_t z = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), fin));
    if (use_float) {
      const float32x4_t s = vbslq_f32(high, fhs, vbslq_f32(neg, fns, fps));
      const uint32x4_t off = vorrq_u32(vandq_u32(neg, noff32), vandq_u32(high, hoff32));
      vst1q_u32(idx32, vaddq_u32(vcvtq_u32_f32(vminq_f32(vmulq_f32(z, s), ftop)), off));
      ++counts[idx32[0]];
      ++counts[idx32[1]];
      ++counts[idx32[2]];
      ++counts[idx32[3]];
    } else {
      const uint64x2_t nlo = mask_lo(neg), nhi = mask_hi(neg), hlo = mask_lo(high), hhi = mask_hi(high);
      const float64x2_t slo = vbslq_f64(hlo, dhs, vbslq_f64(nlo, dns, dps)), shi = vbslq_f64(hhi, dhs, vbslq_f64(nhi, dns, dps));
      const float64x2_t lo = vminq_f64(vmulq_f64(vcvt_f64_f32(vget_low_f32(z)), slo), dtop);
      const float64x2_t hi = vminq_f64(vmulq_f64(vcvt_high_f64_f32(z), shi), dtop);
      const uint64x2_t olo = vorrq_u64(vandq_u64(nlo, noff64), vandq_u64(hlo, hoff64));
      const uint64x2_t ohi = vorrq_u64(vandq_u64(nhi, noff64), vandq_u64(hhi, hoff64));
      vst1q_u64(idx64, vaddq_u64(vcvtq_u64_f64(lo), olo));
      vst1q_u64(idx64 + 2, vaddq_u64(vcvtq_u64_f64(hi), ohi));
      ++counts[idx64[0]];
      ++counts[idx64[1]];
      ++counts[idx64[2]];
      ++counts[idx64[3]];
    }
  }
  counts[0] -= uint64_t(i) - finite;
  histogram_f32__scalar(n - i, x + i, h, counts);
}

}  // namespace npuq
