// The statistics kernel table (native/kernels/stats): one entry per tier naming the kernels the driver
// (native/kernels/stats/stats.cc) calls. Same rules as f32-kernels.h: kernels take raw pointers and
// validated arguments; ISA files use no inline function of a shared header and call the scalar kernels
// (ordinary functions) for the tails they do not vectorize.
//
// Every SIMD kernel returns exactly what its scalar kernel returns: min/max are exact operations (the
// +-0 ambiguity is removed by normalizing zeros to +0), and the histogram index is computed with the
// same IEEE double operations (convert, multiply, min, truncate), each correctly rounded on every tier.
#pragma once
#include <cstddef>
#include <cstdint>

#include "npuq/stats.h"

namespace npuq {

// *out = minmax of x[0, n) (see stats.h), n >= 0.
using MinMaxFn = void (*)(size_t n, const float* x, MinMaxF32* out);
// Histogram regions. For every finite x of x[0, n):
//   x < 0:             region NEG,  offset neg_offset,  range neg_max, value |x|
//   0 <= x < split:    region POS,  offset 0,           range pos_max, value x   (-0 counts here)
//   x >= split:        region HIGH, offset high_offset, range high_max, value x
//   counts[offset + min(bins - 1, trunc(double(value) * (double(bins) / range)))] += 1
// (bins / range computed once per region). abs_histogram_f32: neg_offset = 0, neg_max = pos_max,
// split = +inf; signed_histogram_f32: neg_offset = bins, and with a finite split high_offset = 2 * bins.
// 1 <= bins <= kMaxHistogramBins; every range finite > 0 with a finite bins / range (the driver checks;
// high_max too when split is +inf, e.g. 1); counts has bins + the largest offset in use entries (HIGH's
// only with a finite split).
struct HistogramArgs {
  size_t bins = 0;
  double pos_max = 1, neg_max = 1, high_max = 1;
  float split = 0;
  size_t neg_offset = 0, high_offset = 0;
};
using HistogramFn = void (*)(size_t n, const float* x, const HistogramArgs& a, uint64_t* counts);

struct StatsKernels {
  Isa isa = Isa::Scalar;
  const char* minmax_name = nullptr;
  MinMaxFn minmax = nullptr;
  const char* histogram_name = nullptr;
  HistogramFn histogram = nullptr;
};

// The kernels for `isa` if this binary has them and the CPU supports the tier (NeonDot uses the NEON
// kernels), else the scalar ones. Filled once (std::call_once). Never aborts.
const StatsKernels& stats_kernels(Isa isa);

// --- the kernels themselves (native/kernels/stats/<name>-<isa>.cc) ---
void minmax_f32__scalar(size_t, const float*, MinMaxF32*);
void histogram_f32__scalar(size_t, const float*, const HistogramArgs&, uint64_t*);

#if defined(NPUQ_HAVE_AVX2)
void minmax_f32_16x__avx2(size_t, const float*, MinMaxF32*);
void histogram_f32_8x__avx2(size_t, const float*, const HistogramArgs&, uint64_t*);
#endif

#if defined(NPUQ_HAVE_NEON)
void minmax_f32_8x__neon(size_t, const float*, MinMaxF32*);
void histogram_f32_4x__neon(size_t, const float*, const HistogramArgs&, uint64_t*);
#endif

#if defined(NPUQ_HAVE_RVV)
void minmax_f32_e32m4__rvv(size_t, const float*, MinMaxF32*);
void histogram_f32_e32m1__rvv(size_t, const float*, const HistogramArgs&, uint64_t*);
#endif

}  // namespace npuq
