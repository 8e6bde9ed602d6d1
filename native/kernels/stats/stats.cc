// minmax_f32 / abs_histogram_f32 (npuq/stats.h): argument checks, then the tier's kernel.
#include <cmath>
#include <stdexcept>
#include <string>

#include "dispatch/stats-kernels.h"

namespace npuq {

MinMaxF32 minmax_f32(Isa isa, size_t n, const float* x) {
  MinMaxF32 r;
  if (n && !x) throw std::invalid_argument("minmax_f32: null buffer");
  stats_kernels(isa).minmax(n, x, &r);
  return r;
}

void abs_histogram_f32(Isa isa, size_t n, const float* x, size_t bins, double hist_max, uint64_t* counts) {
  if (bins < 1 || bins > kMaxHistogramBins)
    throw std::invalid_argument("abs_histogram_f32: bins must be in [1, " + std::to_string(kMaxHistogramBins) + "]");
  if (!(hist_max > 0) || !std::isfinite(hist_max))
    throw std::invalid_argument("abs_histogram_f32: hist_max must be finite and > 0");
  // bins / hist_max must be finite: an infinite scale would make 0 * scale a NaN, where min() with
  // bins - 1 is not the same operation on every tier.
  if (!std::isfinite(double(bins) / hist_max))
    throw std::invalid_argument("abs_histogram_f32: hist_max is too small for this many bins");
  if (n == 0) return;
  if (!x || !counts) throw std::invalid_argument("abs_histogram_f32: null buffer");
  stats_kernels(isa).histogram(n, x, bins, hist_max, counts);
}

}  // namespace npuq
