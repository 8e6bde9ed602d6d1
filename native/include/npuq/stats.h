// Tensor statistics kernels for calibration observers (native/engine/observer.h). The scalar kernels
// are the specification; every SIMD tier returns the same values bit for bit (test/native/test_stats.cc).
#pragma once
#include <cstddef>
#include <cmath>
#include <cstdint>

#include "npuq/isa.h"

namespace npuq {

struct MinMaxF32 {
  float min = 0, max = 0;  // over the finite elements; +inf / -inf when there is none
  uint64_t nonfinite = 0;  // NaN, +Inf and -Inf elements
};

// Min and max of the finite elements of x[0, n) (NaN and +-Inf are counted, not compared). A zero
// result is always +0 (min and max are normalized with + 0.0f, so -0 and +0 do not depend on the order
// a tier visits the elements in).
MinMaxF32 minmax_f32(Isa isa, size_t n, const float* x);

// Adds the |x| histogram of x[0, n) to counts[0, bins): for every finite x,
//   counts[min(bins - 1, floor(double(|x|) * (double(bins) / hist_max)))] += 1
// in double arithmetic (the quotient bins / hist_max is computed once); NaN and +-Inf are skipped.
// When hist_max is a power of two (what the observers use) and bins < 2^29, every step is exact, so
// the bin is exactly floor(|x| * bins / hist_max) of the real numbers.
// Requires 1 <= bins <= kMaxHistogramBins, a finite hist_max > 0 and a finite bins / hist_max;
// throws std::invalid_argument otherwise.
constexpr size_t kMaxHistogramBins = size_t(1) << 24;
void abs_histogram_f32(Isa isa, size_t n, const float* x, size_t bins, double hist_max, uint64_t* counts);

// The same with the signs apart, each at its own range: finite x >= 0 (-0 included) add to
// counts[0, bins) by x / pos_max, finite x < 0 to counts[bins, 2 * bins) by |x| / neg_max (formula as
// above). With a finite split, finite x >= split go to counts[2 * bins, 3 * bins) by x / high_max
// instead. The observers keep the regions apart so that the histogram of Relu(x) or Clip(x, 0, hi)
// follows from x's. Same requirements, for every range used.
void signed_histogram_f32(Isa isa, size_t n, const float* x, size_t bins, double pos_max, double neg_max,
                          uint64_t* counts, float split = INFINITY, double high_max = 1.0);

}  // namespace npuq
