// error_stats_8x__avx2: the 8-lane body in one ymm register per sum. Same source and same operation order as every other tier
// (error-stats-impl.h), hence the same bits.
#include "kernels/stats/error-stats-impl.h"

namespace npuq {

bool error_stats_8x__avx2(const float* f, const ErrorStatsArgs& a, ErrorStatsSums* r, uint32_t* counts, float* chmax) {
  return es_dispatch<v8f>(f, a, r, counts, chmax);
}

}  // namespace npuq
