// histogram_f32__scalar: the specification. For each finite x, its region (stats-kernels.h) gives an
// offset o and a range m, and with v = |x|:
//   t = double(v) * (double(bins) / m); t = t < bins - 1 ? t : bins - 1; counts[o + trunc(t)] += 1
// (t >= 0, so truncation is floor; clamping before truncating equals min(floor(t), bins - 1)).
#include <cfloat>
#include <cmath>

#include "dispatch/stats-kernels.h"

namespace npuq {

void histogram_f32__scalar(size_t n, const float* x, const HistogramArgs& a, uint64_t* counts) {
  const double ps = double(a.bins) / a.pos_max, ns = double(a.bins) / a.neg_max, hs = double(a.bins) / a.high_max;
  const double top = double(a.bins - 1);
  for (size_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float abs = std::fabs(v);
    if (!(abs <= FLT_MAX)) continue;
    const bool neg = v < 0.0f, high = v >= a.split;
    double t = double(abs) * (neg ? ns : high ? hs : ps);
    t = t < top ? t : top;
    ++counts[(neg ? a.neg_offset : high ? a.high_offset : 0) + static_cast<size_t>(t)];
  }
}

}  // namespace npuq
