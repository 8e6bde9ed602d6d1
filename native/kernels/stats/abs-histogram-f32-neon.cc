// abs_histogram_f32_4x__neon: the bin index of 4 elements at a time with the scalar kernel's double
// operations (vcvt_f64_f32 is exact, then vmulq_f64, vminq_f64 with bins - 1, vcvtq_u64_f64 truncation:
// each exact or correctly rounded like the scalar code, so every index is identical). Non-finite
// lanes (|x| <= FLT_MAX false) are zeroed, land in bin 0 and are taken back out of bin 0 at the end
// (uint64 arithmetic, the intermediate wrap is harmless). The increments are scalar.
#include <arm_neon.h>

#include <cfloat>

#include "dispatch/stats-kernels.h"

namespace npuq {

void abs_histogram_f32_4x__neon(size_t n, const float* x, size_t bins, double hist_max, uint64_t* counts) {
  const double scale = double(bins) / hist_max;
  const float64x2_t vscale = vdupq_n_f64(scale), vtop = vdupq_n_f64(double(bins - 1));
  const float32x4_t big = vdupq_n_f32(FLT_MAX);
  uint64_t finite = 0;
  alignas(16) uint64_t idx[4];
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t a = vabsq_f32(vld1q_f32(x + i));
    const uint32x4_t fin = vcleq_f32(a, big);
    finite += vaddvq_u32(vshrq_n_u32(fin, 31));
    const float32x4_t z = vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(a), fin));
    const float64x2_t lo = vminq_f64(vmulq_f64(vcvt_f64_f32(vget_low_f32(z)), vscale), vtop);
    const float64x2_t hi = vminq_f64(vmulq_f64(vcvt_high_f64_f32(z), vscale), vtop);
    vst1q_u64(idx, vcvtq_u64_f64(lo));
    vst1q_u64(idx + 2, vcvtq_u64_f64(hi));
    ++counts[idx[0]];
    ++counts[idx[1]];
    ++counts[idx[2]];
    ++counts[idx[3]];
  }
  counts[0] -= uint64_t(i) - finite;
  abs_histogram_f32__scalar(n - i, x + i, bins, hist_max, counts);
}

}  // namespace npuq
