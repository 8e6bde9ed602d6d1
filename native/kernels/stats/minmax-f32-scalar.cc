// minmax_f32__scalar: the specification. Finite elements are compared (v < min, v > max), NaN and
// +-Inf are counted; zeros in the result are normalized to +0.
#include <cfloat>
#include <cmath>

#include "dispatch/stats-kernels.h"

namespace npuq {

void minmax_f32__scalar(size_t n, const float* x, MinMaxF32* out) {
  float mn = INFINITY, mx = -INFINITY;
  uint64_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (!(std::fabs(v) <= FLT_MAX)) {
      ++bad;
      continue;
    }
    mn = v < mn ? v : mn;
    mx = v > mx ? v : mx;
  }
  out->min = mn + 0.0f;
  out->max = mx + 0.0f;
  out->nonfinite = bad;
}

}  // namespace npuq
