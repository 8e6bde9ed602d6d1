// The one table naming every statistics kernel per tier. Filled once, best tier first; a tier this
// binary or CPU lacks resolves to the scalar kernels.
#include "dispatch/stats-kernels.h"


namespace npuq {

namespace {

constexpr int kTiers = 5;

StatsKernels scalar_kernels() {
  StatsKernels k;
  k.isa = Isa::Scalar;
  k.minmax_name = "minmax_f32__scalar";
  k.minmax = minmax_f32__scalar;
  k.histogram_name = "histogram_f32__scalar";
  k.histogram = histogram_f32__scalar;
  k.error_stats_name = "error_stats_8x__scalar";
  k.error_stats = error_stats_8x__scalar;
  return k;
}

#if defined(NPUQ_HAVE_AVX2)
StatsKernels avx2_kernels() {
  StatsKernels k;
  k.isa = Isa::Avx2;
  k.minmax_name = "minmax_f32_16x__avx2";
  k.minmax = minmax_f32_16x__avx2;
  k.histogram_name = "histogram_f32_8x__avx2";
  k.histogram = histogram_f32_8x__avx2;
  k.error_stats_name = "error_stats_8x__avx2";
  k.error_stats = error_stats_8x__avx2;
  return k;
}
#endif

#if defined(NPUQ_HAVE_NEON)
StatsKernels neon_kernels(Isa isa) {
  StatsKernels k;
  k.isa = isa;  // Neon and NeonDot share these
  k.minmax_name = "minmax_f32_8x__neon";
  k.minmax = minmax_f32_8x__neon;
  k.histogram_name = "histogram_f32_4x__neon";
  k.histogram = histogram_f32_4x__neon;
  // The baseline build already runs the error-stats body in NEON registers (error-stats-impl.h).
  k.error_stats_name = "error_stats_8x__scalar";
  k.error_stats = error_stats_8x__scalar;
  return k;
}
#endif

#if defined(NPUQ_HAVE_RVV)
StatsKernels rvv_kernels() {
  StatsKernels k;
  k.isa = Isa::Rvv;
  k.minmax_name = "minmax_f32_e32m4__rvv";
  k.minmax = minmax_f32_e32m4__rvv;
  k.histogram_name = "histogram_f32_e32m1__rvv";
  k.histogram = histogram_f32_e32m1__rvv;
  k.error_stats_name = "error_stats_8x__rvv";
  k.error_stats = error_stats_8x__rvv;
  return k;
}
#endif

struct Table {
  StatsKernels tiers[kTiers];
};

const Table& table() {
  // A function-local static: built once, thread-safe, and read without the thread-local lookups
  // std::call_once makes on every call (this runs on every kernel dispatch).
  static const Table built = [] {
    Table t;
    for (int i = 0; i < kTiers; ++i) t.tiers[i] = scalar_kernels();
    for (Isa isa : supported_isas()) {
      StatsKernels& slot = t.tiers[static_cast<int>(isa)];
      (void)slot;
#if defined(NPUQ_HAVE_AVX2)
      if (isa == Isa::Avx2) slot = avx2_kernels();
#endif
#if defined(NPUQ_HAVE_NEON)
      if (isa == Isa::Neon || isa == Isa::NeonDot) slot = neon_kernels(isa);
#endif
#if defined(NPUQ_HAVE_RVV)
      if (isa == Isa::Rvv) slot = rvv_kernels();
#endif
    }
    return t;
  }();
  return built;
}

}  // namespace

const StatsKernels& stats_kernels(Isa isa) {
  const int i = static_cast<int>(isa);
  if (i < 0 || i >= kTiers) return table().tiers[0];
  return table().tiers[i];
}

}  // namespace npuq
