// abs_histogram_f32__scalar: the specification. For each finite x:
//   t = double(|x|) * (double(bins) / hist_max); t = t < bins - 1 ? t : bins - 1; counts[trunc(t)] += 1
// (t >= 0, so truncation is floor; clamping before truncating equals min(floor(t), bins - 1)).
#include <cfloat>
#include <cmath>

#include "dispatch/stats-kernels.h"

namespace npuq {

void abs_histogram_f32__scalar(size_t n, const float* x, size_t bins, double hist_max, uint64_t* counts) {
  const double scale = double(bins) / hist_max;
  const double top = double(bins - 1);
  for (size_t i = 0; i < n; ++i) {
    const float a = std::fabs(x[i]);
    if (!(a <= FLT_MAX)) continue;
    double t = double(a) * scale;
    t = t < top ? t : top;
    ++counts[static_cast<size_t>(t)];
  }
}

}  // namespace npuq
