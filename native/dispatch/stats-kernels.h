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

// The analysis probe's item kernel (native/kernels/stats/error-stats-impl.h holds the one body every
// tier compiles; native/engine/ops/analysis.cc the op and its careful path for non-finite values).
// The test side is float32 or integers dequantized as DequantizeLinear does.
enum class ErrorStatsTest { F32, U8, S8, U16, S16 };
struct ErrorStatsArgs {
  size_t n = 0;                    // elements of the item (> 0)
  const void* test = nullptr;      // the item's test values
  ErrorStatsTest test_type = ErrorStatsTest::F32;
  float scale = 1;                 // integer test: value = float(int64(q) - zero_point) * scale
  int32_t zero_point = 0;
  size_t bins = 0;                 // histograms (when counts is given): bin = trunc(clamp((v - lo) * width, 0, top))
  float lo = 0, width = 0, top = 0;
  size_t channels = 0, inner = 1;  // per-channel max |f| over an item laid out [outer][channels][inner]
};
// Sums of one item (entries of the probe's header, see analysis.cc).
struct ErrorStatsSums {
  double n = 0, bad = 0, sf = 0, sff = 0, sd = 0, sdd = 0, maxd = 0, dot = 0, sq = 0, sqq = 0;
  double fmin = 0, fmax = 0, qmin = 0, qmax = 0;
};
// Fast path of one item: sums, and when counts is given the two histograms (counts: kErrorStatsCounts(bins)
// counters, added to, so that several items can count into one table: 8 * bins for f, 8 * bins for the
// test side, lane l of a vector counting at 8 * bin + l, then 2048 for 8-bit test values, which the fast
// path counts by code instead of by bin, code c of element k at 256 * (k % 8) + c: the caller adds those to the test
// side's bins), and with channels the per-channel max |f| (chmax, kept when larger). Returns false
// when a value was not finite; chmax is then untouched and counts hold this item's counts of the fast
// pass (the same ones on every call), which the caller takes back before the careful pass.
constexpr size_t kErrorStatsCounts(size_t bins) { return 16 * bins + 2048; }
using ErrorStatsFn = bool (*)(const float* f, const ErrorStatsArgs& a, ErrorStatsSums* r, uint32_t* counts, float* chmax);

struct StatsKernels {
  Isa isa = Isa::Scalar;
  const char* minmax_name = nullptr;
  MinMaxFn minmax = nullptr;
  const char* histogram_name = nullptr;
  HistogramFn histogram = nullptr;
  const char* error_stats_name = nullptr;
  ErrorStatsFn error_stats = nullptr;
};

// The kernels for `isa` if this binary has them and the CPU supports the tier (NeonDot uses the NEON
// kernels), else the scalar ones. Filled once (std::call_once). Never aborts.
const StatsKernels& stats_kernels(Isa isa);

// --- the kernels themselves (native/kernels/stats/<name>-<isa>.cc) ---
void minmax_f32__scalar(size_t, const float*, MinMaxF32*);
void histogram_f32__scalar(size_t, const float*, const HistogramArgs&, uint64_t*);
bool error_stats_8x__scalar(const float*, const ErrorStatsArgs&, ErrorStatsSums*, uint32_t*, float*);

#if defined(NPUQ_HAVE_AVX2)
void minmax_f32_16x__avx2(size_t, const float*, MinMaxF32*);
void histogram_f32_8x__avx2(size_t, const float*, const HistogramArgs&, uint64_t*);
bool error_stats_8x__avx2(const float*, const ErrorStatsArgs&, ErrorStatsSums*, uint32_t*, float*);
#endif

#if defined(NPUQ_HAVE_NEON)
void minmax_f32_8x__neon(size_t, const float*, MinMaxF32*);
void histogram_f32_4x__neon(size_t, const float*, const HistogramArgs&, uint64_t*);
#endif

#if defined(NPUQ_HAVE_RVV)
void minmax_f32_e32m4__rvv(size_t, const float*, MinMaxF32*);
void histogram_f32_e32m1__rvv(size_t, const float*, const HistogramArgs&, uint64_t*);
bool error_stats_8x__rvv(const float*, const ErrorStatsArgs&, ErrorStatsSums*, uint32_t*, float*);
#endif

}  // namespace npuq
