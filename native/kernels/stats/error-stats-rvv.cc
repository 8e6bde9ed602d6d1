// error_stats_8x__rvv: the 8-lane body as two 4-lane halves in RVV registers (fixed-length vectors,
// VLEN >= 128). Same source and same operation order as every other tier
// (error-stats-impl.h), hence the same bits.
#define NPUQ_ES_LANEWISE_CONVERT 1
#include "kernels/stats/error-stats-impl.h"

namespace npuq {

bool error_stats_8x__rvv(const float* f, const ErrorStatsArgs& a, ErrorStatsSums* r, uint32_t* counts, float* chmax) {
  return es_dispatch<F8>(f, a, r, counts, chmax);
}

}  // namespace npuq
