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
// counts[min(bins - 1, trunc(double(|x|) * (double(bins) / hist_max)))] += 1 for the finite x of
// x[0, n); 1 <= bins <= kMaxHistogramBins, hist_max finite > 0 (the driver checks).
using AbsHistogramFn = void (*)(size_t n, const float* x, size_t bins, double hist_max, uint64_t* counts);

struct StatsKernels {
  Isa isa = Isa::Scalar;
  const char* minmax_name = nullptr;
  MinMaxFn minmax = nullptr;
  const char* histogram_name = nullptr;
  AbsHistogramFn histogram = nullptr;
};

// The kernels for `isa` if this binary has them and the CPU supports the tier (NeonDot uses the NEON
// kernels), else the scalar ones. Filled once (std::call_once). Never aborts.
const StatsKernels& stats_kernels(Isa isa);

// --- the kernels themselves (native/kernels/stats/<name>-<isa>.cc) ---
void minmax_f32__scalar(size_t, const float*, MinMaxF32*);
void abs_histogram_f32__scalar(size_t, const float*, size_t, double, uint64_t*);

#if defined(NPUQ_HAVE_AVX2)
void minmax_f32_16x__avx2(size_t, const float*, MinMaxF32*);
void abs_histogram_f32_8x__avx2(size_t, const float*, size_t, double, uint64_t*);
#endif

#if defined(NPUQ_HAVE_NEON)
void minmax_f32_8x__neon(size_t, const float*, MinMaxF32*);
void abs_histogram_f32_4x__neon(size_t, const float*, size_t, double, uint64_t*);
#endif

#if defined(NPUQ_HAVE_RVV)
void minmax_f32_e32m4__rvv(size_t, const float*, MinMaxF32*);
void abs_histogram_f32_e32m1__rvv(size_t, const float*, size_t, double, uint64_t*);
#endif

}  // namespace npuq
