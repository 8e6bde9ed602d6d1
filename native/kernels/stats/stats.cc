// minmax_f32 / abs_histogram_f32 / signed_histogram_f32 (npuq/stats.h): argument checks, then the
// tier's kernel.
#include <cmath>
#include <stdexcept>
#include <string>

#include "dispatch/stats-kernels.h"

namespace npuq {

namespace {

void check_range(const char* fn, const char* what, size_t bins, double max) {
  if (!(max > 0) || !std::isfinite(max)) throw std::invalid_argument(std::string(fn) + ": " + what + " must be finite and > 0");
  // bins / max must be finite: an infinite scale would make 0 * scale a NaN, where min() with
  // bins - 1 is not the same operation on every tier.
  if (!std::isfinite(double(bins) / max)) throw std::invalid_argument(std::string(fn) + ": " + what + " is too small for this many bins");
}

void check_bins(const char* fn, size_t bins) {
  if (bins < 1 || bins > kMaxHistogramBins)
    throw std::invalid_argument(std::string(fn) + ": bins must be in [1, " + std::to_string(kMaxHistogramBins) + "]");
}

}  // namespace

MinMaxF32 minmax_f32(Isa isa, size_t n, const float* x) {
  MinMaxF32 r;
  if (n && !x) throw std::invalid_argument("minmax_f32: null buffer");
  stats_kernels(isa).minmax(n, x, &r);
  return r;
}

void abs_histogram_f32(Isa isa, size_t n, const float* x, size_t bins, double hist_max, uint64_t* counts) {
  check_bins("abs_histogram_f32", bins);
  check_range("abs_histogram_f32", "hist_max", bins, hist_max);
  if (n == 0) return;
  if (!x || !counts) throw std::invalid_argument("abs_histogram_f32: null buffer");
  HistogramArgs a;
  a.bins = bins;
  a.pos_max = a.neg_max = hist_max;
  a.split = INFINITY;
  stats_kernels(isa).histogram(n, x, a, counts);
}

void signed_histogram_f32(Isa isa, size_t n, const float* x, size_t bins, double pos_max, double neg_max,
                          uint64_t* counts, float split, double high_max) {
  check_bins("signed_histogram_f32", bins);
  check_range("signed_histogram_f32", "pos_max", bins, pos_max);
  check_range("signed_histogram_f32", "neg_max", bins, neg_max);
  if (!(split > 0)) throw std::invalid_argument("signed_histogram_f32: split must be > 0");
  if (std::isfinite(split)) check_range("signed_histogram_f32", "high_max", bins, high_max);
  if (n == 0) return;
  if (!x || !counts) throw std::invalid_argument("signed_histogram_f32: null buffer");
  HistogramArgs a;
  a.bins = bins;
  a.pos_max = pos_max;
  a.neg_max = neg_max;
  a.split = split;
  a.high_max = std::isfinite(split) ? high_max : 1.0;
  a.neg_offset = bins;
  a.high_offset = std::isfinite(split) ? 2 * bins : 0;
  stats_kernels(isa).histogram(n, x, a, counts);
}

}  // namespace npuq
