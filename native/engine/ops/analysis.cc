// ErrorStats: the accuracy-analysis probe. Compares a test tensor (a quantized value) with its
// reference (the float value) inside the run that computes both, so analysis never copies activations
// to JS: each run returns, per compared pair, one small float64 vector of partial sums that the caller
// accumulates over runs (lib/analyze/metrics.ts documents the layout, kept in kErrorStatsHeader order
// below).
//
//   inputs  ref (float32), test (float32, or u8/s8/u16/s16 integers read as DequantizeLinear with the
//           attrs scale and zero_point would: the probe then needs no dequantized copy), same number
//           of elements; axis 0 is the batch axis
//   attrs   bins (>= 1, default 32), lo, hi (histogram range; NaN or lo >= hi: no histograms),
//           channels (0 or the size of axis 1: per-channel max |ref| wanted),
//           scale, zero_point (integer test only)
//   output  float64 [kErrorStatsHeader + 2 * bins + channels]:
//     0 items (size of axis 0, 1 for a scalar)    1 elements (finite pairs)    2 non-finite pairs
//     3 Σf  4 Σf²  5 Σd  6 Σd² (d = test − ref)   7 max|d|
//     8 Σ over items of cosine(f_i, q_i)          9 Σ over items of ||d_i||
//     10 min f  11 max f  12 min q  13 max q      14 Σq  15 Σq²
//     then the histogram of f, the histogram of q (bins each, values outside [lo, hi] in the end bins),
//     then max |f| per index of axis 1 (-1 for a channel with no finite value).
// A pair with a NaN or an infinity on either side is counted in entry 2 and left out of everything
// else. Each item is reduced on its own (the fast path is the per-tier kernel of
// native/kernels/stats/error-stats-impl.h, the same bits on every tier) and the items are added in
// order, so the result depends neither on the thread count nor on the CPU.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "dispatch/stats-kernels.h"
#include "engine/ops/ops.h"

namespace npuq {
namespace {

constexpr size_t kErrorStatsHeader = 16;

struct ErrorStatsOp : Op {
  int ref, test, out;
  Isa isa = Isa::Scalar;
  ErrorStatsArgs args;  // n, test_type, scale, zero_point, bins, lo, width, top, channels, inner
  size_t items;
  bool hist;
  uint16_t code_bin[256] = {};  // 8-bit test side with histograms: 8 * bin of each code's value

  // The test value k of an item as float (integers dequantized as DequantizeLinear does).
  float test_value(const void* q, size_t k) const {
    const auto dq = [&](int64_t v) { return static_cast<float>(v - int64_t(args.zero_point)) * args.scale; };
    switch (args.test_type) {
      case ErrorStatsTest::F32: return static_cast<const float*>(q)[k];
      case ErrorStatsTest::U8: return dq(static_cast<const uint8_t*>(q)[k]);
      case ErrorStatsTest::S8: return dq(static_cast<const int8_t*>(q)[k]);
      case ErrorStatsTest::U16: return dq(static_cast<const uint16_t*>(q)[k]);
      case ErrorStatsTest::S16: return dq(static_cast<const int16_t*>(q)[k]);
    }
    return NAN;
  }

  size_t bin(float v) const {
    float t = (v - args.lo) * args.width;
    t = t > 0 ? t : 0;
    t = t < args.top ? t : args.top;
    return size_t(t) * 8;
  }

  // Careful path, for an item holding a NaN or an infinity: in double, one element at a time, skipping
  // every pair with a non-finite side (sums, histograms and channel maxima alike).
  void careful(const float* f, const void* q, ErrorStatsSums& r, uint32_t* counts, float* chmax) const {
    constexpr double inf = std::numeric_limits<double>::infinity();
    r = ErrorStatsSums();
    r.fmin = r.qmin = inf;
    r.fmax = r.qmax = -inf;
    const size_t bins = args.bins;
    const size_t block = args.channels * args.inner;
    for (size_t k = 0; k < args.n; ++k) {
      const float fv = f[k], qv = test_value(q, k);
      if (!std::isfinite(fv) || !std::isfinite(qv)) { r.bad += 1; continue; }
      const double a = fv, b = qv, d = b - a;
      r.dot += a * b; r.sff += a * a; r.sqq += b * b; r.sdd += d * d;
      r.sf += a; r.sq += b; r.sd += d;
      r.maxd = std::max(r.maxd, std::fabs(d));
      r.fmin = std::min(r.fmin, a); r.fmax = std::max(r.fmax, a);
      r.qmin = std::min(r.qmin, b); r.qmax = std::max(r.qmax, b);
      r.n += 1;
      if (counts) { counts[bin(fv)] += 1; counts[8 * bins + bin(qv)] += 1; }
      if (args.channels) {
        float& m = chmax[(k % block) / args.inner];
        m = std::max(m, std::fabs(fv));
      }
    }
  }

  void run(const RunState& rs) const override {
    const float* f = rs.in<float>(ref);
    const auto* q = rs.in<uint8_t>(test);
    double* o = rs.out<double>(out);
    const size_t bins = args.bins, channels = args.channels, per_item = args.n;
    const bool by_code = args.test_type == ErrorStatsTest::U8 || args.test_type == ErrorStatsTest::S8;  // 8-bit test side
    const size_t test_size = args.test_type == ErrorStatsTest::F32 ? 4 : by_code ? 1 : 2;
    const ErrorStatsFn kernel = stats_kernels(isa).error_stats;
    std::vector<ErrorStatsSums> sums(items);
    // Sums are per item (each item's cosine needs its own); counts and channel maxima are integers and
    // maxima, whose totals do not depend on the grouping, so items share one table per range of items
    // (one range per task): no table per item to clear and add up. A range stays under 2^31 elements
    // so that no uint32 counter can wrap.
    const bool parallel = rs.pool() && items > 1 && items * per_item >= 16384;
    size_t step = parallel ? (items + 15) / 16 : items;
    if (per_item) step = std::min(step, std::max<size_t>(1, (size_t(1) << 31) / per_item));
    const size_t ranges = items ? (items + step - 1) / step : 0;
    const size_t per_counts = kErrorStatsCounts(bins);
    std::vector<uint32_t> counts(hist ? ranges * per_counts : 0, 0);
    std::vector<float> chmax(ranges * channels, -1.0f);
    auto one = [&](size_t it, uint32_t* c, float* ch) {
      if (per_item == 0) return;
      ErrorStatsArgs a = args;
      a.test = q + it * per_item * test_size;
      const float* fi = f + it * per_item;
      if (kernel(fi, a, &sums[it], c, ch)) return;
      // A NaN or an infinity: the fast pass left this item's counts in the shared table (and no channel
      // maxima). The same pass into a zeroed table gives exactly those counts to take back.
      if (c) {
        std::vector<uint32_t> mine(per_counts, 0);
        std::vector<float> scratch(channels, -1.0f);
        ErrorStatsSums unused;
        kernel(fi, a, &unused, mine.data(), scratch.data());
        for (size_t i = 0; i < per_counts; ++i) c[i] -= mine[i];
      }
      careful(fi, a.test, sums[it], c, ch);
    };
    auto range = [&](size_t r) {
      uint32_t* c = hist ? counts.data() + r * per_counts : nullptr;
      float* ch = channels ? chmax.data() + r * channels : nullptr;
      for (size_t it = r * step, end = std::min(items, it + step); it < end; ++it) one(it, c, ch);
    };
    // Ranges run in parallel once there is enough work to pay for waking the pool.
    if (parallel && ranges > 1) rs.pool()->parallel_for(ranges, range);
    else for (size_t r = 0; r < ranges; ++r) range(r);

    constexpr double inf = std::numeric_limits<double>::infinity();
    double n = 0, bad = 0, sf = 0, sff = 0, sd = 0, sdd = 0, maxd = 0, cos_sum = 0, dist_sum = 0, sq = 0, sqq = 0;
    double fmin = inf, fmax = -inf, qmin = inf, qmax = -inf;
    std::fill(o, o + kErrorStatsHeader + 2 * bins + channels, 0.0);
    double* tail = o + kErrorStatsHeader;
    for (size_t c = 0; c < channels; ++c) tail[2 * bins + c] = -1;
    for (size_t it = 0; it < items; ++it) {
      const ErrorStatsSums& r = sums[it];
      n += r.n; bad += r.bad; sf += r.sf; sff += r.sff; sd += r.sd; sdd += r.sdd; sq += r.sq; sqq += r.sqq;
      maxd = std::max(maxd, r.maxd);
      if (r.n > 0) {
        fmin = std::min(fmin, r.fmin); fmax = std::max(fmax, r.fmax);
        qmin = std::min(qmin, r.qmin); qmax = std::max(qmax, r.qmax);
      }
      // Cosine of this item: 1 when both sides are all zeros, 0 when only one is.
      // (Clamped to [-1, 1]: the float block sums can put a near-identical pair a hair above 1.)
      cos_sum += (r.sff == 0 && r.sqq == 0) ? 1.0 : (r.sff == 0 || r.sqq == 0) ? 0.0 : std::min(1.0, std::max(-1.0, r.dot / (std::sqrt(r.sff) * std::sqrt(r.sqq))));
      dist_sum += std::sqrt(r.sdd);
    }
    for (size_t r = 0; r < ranges; ++r) {
      if (hist) {
        uint32_t* c = counts.data() + r * per_counts;
        // The fast path counted 8-bit test values by code, in 8 tables: their sum per code goes to the
        // code's bin (code_bin, decided at build).
        uint32_t* codes = c + 16 * bins;
        if (by_code) {
          for (size_t t = 1; t < 8; ++t)
            for (size_t code = 0; code < 256; ++code) codes[code] += codes[256 * t + code];
          for (size_t code = 0; code < 256; ++code) c[8 * bins + code_bin[code]] += codes[code];
        }
        for (size_t i = 0; i < 2 * bins; ++i) {
          uint64_t v = 0;
          for (int l = 0; l < 8; ++l) v += c[8 * i + l];
          tail[i] += double(v);
        }
      }
      for (size_t c = 0; c < channels; ++c) tail[2 * bins + c] = std::max(tail[2 * bins + c], double(chmax[r * channels + c]));
    }
    const double head[kErrorStatsHeader] = {double(items), n, bad, sf, sff, sd, sdd, maxd, cos_sum, dist_sum, fmin, fmax, qmin, qmax, sq, sqq};
    std::copy(head, head + kErrorStatsHeader, o);
  }
};

std::unique_ptr<Op> make_error_stats(const OpBuild& b) {
  b.expect_counts(2, 2, 1, 1);
  b.expect_float(0);
  b.expect_dtype(b.out(0), DType::Float64, "output");
  const TensorDesc& r = b.in(0);
  if (b.in(1).numel != r.numel)
    b.fail("the two inputs have " + std::to_string(r.numel) + " and " + std::to_string(b.in(1).numel) + " elements; they must be the same tensor's two versions");
  auto op = std::make_unique<ErrorStatsOp>();
  ErrorStatsArgs& a = op->args;
  switch (b.in(1).dtype) {
    case DType::Float32: a.test_type = ErrorStatsTest::F32; break;
    case DType::Uint8: a.test_type = ErrorStatsTest::U8; break;
    case DType::Int8: a.test_type = ErrorStatsTest::S8; break;
    case DType::Uint16: a.test_type = ErrorStatsTest::U16; break;
    case DType::Int16: a.test_type = ErrorStatsTest::S16; break;
    default: b.fail("the test input must be float32, uint8, int8, uint16 or int16");
  }
  if (a.test_type != ErrorStatsTest::F32) {
    const double scale = b.node.attrs.num("scale", NAN);
    const int64_t zp = b.node.attrs.integer("zero_point", 0);
    if (!(std::isfinite(scale) && scale > 0) || !std::isfinite(float(scale)))
      b.fail("an integer test input needs a finite scale > 0 (attribute scale)");
    if (zp < -65536 || zp > 65535) b.fail("zero_point " + std::to_string(zp) + " is outside the integer types' range");
    a.scale = float(scale);
    a.zero_point = int32_t(zp);
  }
  op->ref = b.in_id(0);
  op->test = b.in_id(1);
  op->out = b.out_id(0);
  op->isa = b.isa;
  op->items = r.shape.empty() ? 1 : size_t(r.shape[0]);
  a.n = op->items ? r.numel / op->items : 0;
  const int64_t bins = b.node.attrs.integer("bins", 32);
  if (bins < 1 || bins > 4096) b.fail("bins must be in [1, 4096] but is " + std::to_string(bins));
  a.bins = size_t(bins);
  const double lo = b.node.attrs.num("lo", NAN), hi = b.node.attrs.num("hi", NAN);
  op->hist = std::isfinite(lo) && std::isfinite(hi) && hi > lo && std::isfinite(float(double(bins) / (hi - lo)));
  if (op->hist) {
    a.lo = float(lo);
    a.width = float(double(bins) / (hi - lo));
    a.top = float(bins - 1);
    if (a.test_type == ErrorStatsTest::U8 || a.test_type == ErrorStatsTest::S8) {
      for (size_t code = 0; code < 256; ++code) {
        const uint8_t byte = uint8_t(code);
        op->code_bin[code] = uint16_t(op->bin(op->test_value(&byte, 0)));  // < 8 * 4096
      }
    }
  }
  const int64_t channels = b.node.attrs.integer("channels", 0);
  if (channels > 0) {
    if (r.shape.size() < 2 || r.shape[1] != channels)
      b.fail("channels is " + std::to_string(channels) + " but the reference's axis 1 has a different size (rank " + std::to_string(r.shape.size()) + ")");
    a.channels = size_t(channels);
    for (size_t d = 2; d < r.shape.size(); ++d) a.inner *= size_t(r.shape[d]);
  }
  const size_t want = kErrorStatsHeader + 2 * a.bins + a.channels;
  if (b.out(0).numel != want) b.fail("the output must have " + std::to_string(want) + " elements but has " + std::to_string(b.out(0).numel));
  return op;
}

}  // namespace

void register_analysis_ops(OpTable& t) { t.emplace_back("ErrorStats", make_error_stats); }

}  // namespace npuq
