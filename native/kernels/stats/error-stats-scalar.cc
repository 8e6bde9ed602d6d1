// error_stats_8x__scalar: the specification: the 8-lane body compiled for the baseline, as two 4-lane
// halves (SSE2 / NEON registers; scalar code on riscv64 without V). Same source and same operation order as every other tier
// (error-stats-impl.h), hence the same bits.
#include "kernels/stats/error-stats-impl.h"

namespace npuq {

bool error_stats_8x__scalar(const float* f, const ErrorStatsArgs& a, ErrorStatsSums* r, uint32_t* counts, float* chmax) {
  return es_dispatch<F8>(f, a, r, counts, chmax);
}

}  // namespace npuq
