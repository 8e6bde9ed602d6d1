// minmax_f32_8x__neon: 8 elements per step in two accumulator pairs. A lane is finite when
// |x| <= FLT_MAX (false for NaN and +-Inf); non-finite lanes become +inf (min) / -inf (max) through
// vbslq before vminq / vmaxq, so no NaN reaches them. Finite lanes are counted in uint32 lanes (flushed
// every 2^24 elements). The tail (< 8) goes to the scalar kernel; zeros are normalized to +0 as there.
#include <arm_neon.h>

#include <cfloat>
#include <cmath>

#include "dispatch/stats-kernels.h"

namespace npuq {

void minmax_f32_8x__neon(size_t n, const float* x, MinMaxF32* out) {
  const float32x4_t big = vdupq_n_f32(FLT_MAX);
  const float32x4_t pinf = vdupq_n_f32(INFINITY), ninf = vdupq_n_f32(-INFINITY);
  float32x4_t mn0 = pinf, mn1 = pinf, mx0 = ninf, mx1 = ninf;
  uint64_t finite = 0;
  size_t i = 0;
  while (i + 8 <= n) {
    const size_t end = i + ((n - i) < (size_t(1) << 24) ? (n - i) : (size_t(1) << 24));
    uint32x4_t cnt = vdupq_n_u32(0);
    for (; i + 8 <= end; i += 8) {
      const float32x4_t v0 = vld1q_f32(x + i), v1 = vld1q_f32(x + i + 4);
      const uint32x4_t f0 = vcleq_f32(vabsq_f32(v0), big), f1 = vcleq_f32(vabsq_f32(v1), big);
      mn0 = vminq_f32(mn0, vbslq_f32(f0, v0, pinf));
      mx0 = vmaxq_f32(mx0, vbslq_f32(f0, v0, ninf));
      mn1 = vminq_f32(mn1, vbslq_f32(f1, v1, pinf));
      mx1 = vmaxq_f32(mx1, vbslq_f32(f1, v1, ninf));
      cnt = vsubq_u32(cnt, f0);  // finite lanes are all ones (-1)
      cnt = vsubq_u32(cnt, f1);
    }
    finite += vaddlvq_u32(cnt);
  }
  float mn = vminvq_f32(vminq_f32(mn0, mn1));
  float mx = vmaxvq_f32(vmaxq_f32(mx0, mx1));
  MinMaxF32 tail;
  minmax_f32__scalar(n - i, x + i, &tail);
  mn = tail.min < mn ? tail.min : mn;
  mx = tail.max > mx ? tail.max : mx;
  out->min = mn + 0.0f;
  out->max = mx + 0.0f;
  out->nonfinite = uint64_t(i) - finite + tail.nonfinite;
}

}  // namespace npuq
