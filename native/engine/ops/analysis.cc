// ErrorStats: the accuracy-analysis probe. Compares a test tensor (a quantized value, dequantized)
// with its reference (the float value) inside the run that computes both, so analysis never copies
// activations to JS: each run returns, per compared pair, one small float64 vector of partial sums
// that the caller accumulates over runs (lib/analyze/metrics.ts documents the layout, kept in
// kErrorStatsHeader order below).
//
//   inputs  ref, test (float32, same number of elements; axis 0 is the batch axis)
//   attrs   bins (>= 1, default 32), lo, hi (histogram range; NaN or lo >= hi: no histograms),
//           channels (0 or the size of axis 1: per-channel max |ref| wanted)
//   output  float64 [kErrorStatsHeader + 2 * bins + channels]:
//     0 items (size of axis 0, 1 for a scalar)    1 elements (finite pairs)    2 non-finite pairs
//     3 Σf  4 Σf²  5 Σd  6 Σd² (d = test − ref)   7 max|d|
//     8 Σ over items of cosine(f_i, q_i)          9 Σ over items of ||d_i||
//     10 min f  11 max f  12 min q  13 max q      14 Σq  15 Σq²
//     then the histogram of f, the histogram of q (bins each, values outside [lo, hi] in the end bins),
//     then max |f| per index of axis 1 (-1 for a channel with no finite value).
// A pair with a NaN or an infinity on either side is counted in entry 2 and left out of everything
// else. Sums are in double, in element order: the result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "engine/ops/ops.h"

namespace npuq {
namespace {

constexpr size_t kErrorStatsHeader = 16;

// Sums of one item (a slice of axis 0), computed independently of the other items so items can run on
// any thread; they are then added in item order, so the result does not depend on the thread count.
struct ItemSums {
  double n = 0, bad = 0, sf = 0, sff = 0, sd = 0, sdd = 0, maxd = 0, dot = 0, sq = 0, sqq = 0;
  double fmin = 0, fmax = 0, qmin = 0, qmax = 0;
};

struct ErrorStatsOp : Op {
  int ref, test, out;
  size_t items, per_item, channels, inner, bins;
  double lo, hi;
  bool hist;

  // Fast path: no branch per element. Blocks of kBlock elements are summed in float over four lanes
  // (GCC/Clang vector extensions: one SSE2 / NEON / RVV register per sum), each block's lanes then
  // added into double: the float error stays within a block (relative ~1e-7 · kBlock / 4), far below
  // what the metrics resolve. Returns false when a sum came out non-finite (a NaN or an infinity in
  // the item), for the careful path.
  static bool sums_fast(const float* f, const float* q, size_t n, ItemSums& r) {
    typedef float v4f __attribute__((vector_size(16)));
    typedef int32_t v4i __attribute__((vector_size(16)));
    constexpr size_t kBlock = 256;
    auto load = [](const float* p) { v4f v; std::memcpy(&v, p, sizeof v); return v; };
    auto vmin = [](v4f a, v4f b) { return a < b ? a : b; };
    auto vmax = [](v4f a, v4f b) { return a > b ? a : b; };
    auto hsum = [](v4f v) { return (double(v[0]) + double(v[1])) + (double(v[2]) + double(v[3])); };
    const v4i abs_mask = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    double dot = 0, ff = 0, qq = 0, dd = 0, sf = 0, sq = 0, sd = 0;
    v4f md = {0, 0, 0, 0};
    v4f mnf = {f[0], f[0], f[0], f[0]}, mxf = mnf, mnq = {q[0], q[0], q[0], q[0]}, mxq = mnq;
    size_t k = 0;
    const size_t n4 = n & ~size_t(3);
    while (k < n4) {
      const size_t end = std::min(n4, k + kBlock);
      v4f bdot = {0, 0, 0, 0}, bff = bdot, bqq = bdot, bdd = bdot, bsf = bdot, bsq = bdot, bsd = bdot;
      for (; k < end; k += 4) {
        const v4f a = load(f + k), b = load(q + k), d = b - a;
        bdot += a * b; bff += a * a; bqq += b * b; bdd += d * d;
        bsf += a; bsq += b; bsd += d;
        md = vmax(md, (v4f)((v4i)d & abs_mask));
        mnf = vmin(mnf, a); mxf = vmax(mxf, a);
        mnq = vmin(mnq, b); mxq = vmax(mxq, b);
      }
      dot += hsum(bdot); ff += hsum(bff); qq += hsum(bqq); dd += hsum(bdd); sf += hsum(bsf); sq += hsum(bsq); sd += hsum(bsd);
    }
    auto red = [](v4f v, bool mx) {
      float a = mx ? std::max(v[0], v[1]) : std::min(v[0], v[1]), b = mx ? std::max(v[2], v[3]) : std::min(v[2], v[3]);
      return mx ? std::max(a, b) : std::min(a, b);
    };
    float maxd = red(md, true), fmin = red(mnf, false), fmax = red(mxf, true), qmin = red(mnq, false), qmax = red(mxq, true);
    for (; k < n; ++k) {
      const double a = f[k], b = q[k], d = b - a;
      dot += a * b; ff += a * a; qq += b * b; dd += d * d;
      sf += a; sq += b; sd += d;
      maxd = std::max(maxd, float(std::fabs(d)));
      fmin = std::min(fmin, f[k]); fmax = std::max(fmax, f[k]);
      qmin = std::min(qmin, q[k]); qmax = std::max(qmax, q[k]);
    }
    r.n = double(n); r.dot = dot; r.sff = ff; r.sqq = qq; r.sdd = dd; r.sf = sf; r.sq = sq; r.sd = sd;
    r.maxd = maxd; r.fmin = fmin; r.fmax = fmax; r.qmin = qmin; r.qmax = qmax;
    // A NaN or an infinity anywhere makes a sum non-finite (so does a float overflow of a block sum,
    // at |x| > ~1e17): then the careful path redoes the item in double.
    return std::isfinite(dot + ff + qq + dd + sf + sq + sd + double(maxd));
  }

  // Careful path: skips pairs with a non-finite side.
  static void sums_careful(const float* f, const float* q, size_t n, ItemSums& r) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    r = ItemSums();
    r.fmin = r.qmin = inf;
    r.fmax = r.qmax = -inf;
    for (size_t k = 0; k < n; ++k) {
      const double a = f[k], b = q[k];
      if (!std::isfinite(a) || !std::isfinite(b)) { r.bad += 1; continue; }
      const double d = b - a;
      r.dot += a * b; r.sff += a * a; r.sqq += b * b; r.sdd += d * d;
      r.sf += a; r.sq += b; r.sd += d;
      r.maxd = std::max(r.maxd, std::fabs(d));
      r.fmin = std::min(r.fmin, a); r.fmax = std::max(r.fmax, a);
      r.qmin = std::min(r.qmin, b); r.qmax = std::max(r.qmax, b);
      r.n += 1;
    }
  }

  // Histograms of f and q over [lo, hi] (values outside in the end bins). Bin indices are computed four
  // at a time; counts go to four interleaved sub-histograms per side (lane l counts at 4 * bin + l),
  // so runs of equal bins do not wait on each other's increments, and are summed at the end.
  // `counts`: 8 * bins zeroed counters of this item (the run's scratch).
  void histograms(const float* f, const float* q, bool all_finite, uint32_t* counts, double* hf, double* hq) const {
    typedef float v4f __attribute__((vector_size(16)));
    typedef int32_t v4i __attribute__((vector_size(16)));
    const float flo = float(lo), width = float(double(bins) / (hi - lo)), top = float(bins - 1);
    const v4f vlo = {flo, flo, flo, flo}, vw = {width, width, width, width}, vzero = {0, 0, 0, 0}, vtop = {top, top, top, top};
    uint32_t* cf = counts;
    uint32_t* cq = counts + 4 * bins;
    auto index = [&](const float* p) {
      v4f v;
      std::memcpy(&v, p, sizeof v);
      v4f t = (v - vlo) * vw;
      t = t > vzero ? t : vzero;  // below lo
      t = t < vtop ? t : vtop;    // above hi
      return __builtin_convertvector(t, v4i) * 4 + v4i{0, 1, 2, 3};
    };
    size_t k = 0;
    if (all_finite) {
      for (; k + 4 <= per_item; k += 4) {
        const v4i a = index(f + k), b = index(q + k);
        for (int l = 0; l < 4; ++l) { cf[size_t(a[l])] += 1; cq[size_t(b[l])] += 1; }
      }
    }
    auto bin = [&](float v) {
      float t = (v - flo) * width;
      t = t > 0 ? t : 0;
      t = t < top ? t : top;
      return size_t(t) * 4;
    };
    for (; k < per_item; ++k) {
      if (!all_finite && (!std::isfinite(f[k]) || !std::isfinite(q[k]))) continue;
      cf[bin(f[k])] += 1;
      cq[bin(q[k])] += 1;
    }
    for (size_t i = 0; i < bins; ++i) {
      hf[i] += double(cf[4 * i]) + double(cf[4 * i + 1]) + double(cf[4 * i + 2]) + double(cf[4 * i + 3]);
      hq[i] += double(cq[4 * i]) + double(cq[4 * i + 1]) + double(cq[4 * i + 2]) + double(cq[4 * i + 3]);
    }
  }

  void item(const float* f, const float* q, ItemSums& r, uint32_t* counts, double* hf, double* hq, double* ch) const {
    const bool fast = per_item > 0 && sums_fast(f, q, per_item, r);
    if (!fast) sums_careful(f, q, per_item, r);
    if (hist) histograms(f, q, fast, counts, hf, hq);
    if (channels) {
      typedef float v4f __attribute__((vector_size(16)));
      typedef int32_t v4i __attribute__((vector_size(16)));
      const v4i abs_mask = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
      for (size_t base = 0; base < per_item; base += channels * inner) {
        for (size_t c = 0; c < channels; ++c) {
          const float* p = f + base + c * inner;
          const float* pq = q + base + c * inner;
          float m = float(ch[c]);
          size_t k = 0;
          if (fast && inner >= 8) {
            v4f vm = {0, 0, 0, 0};
            for (; k + 4 <= inner; k += 4) {
              v4f v;
              std::memcpy(&v, p + k, sizeof v);
              v = (v4f)((v4i)v & abs_mask);
              vm = v > vm ? v : vm;
            }
            m = std::max(m, std::max(std::max(vm[0], vm[1]), std::max(vm[2], vm[3])));
          }
          for (; k < inner; ++k)
            if (fast || (std::isfinite(p[k]) && std::isfinite(pq[k]))) m = std::max(m, std::fabs(p[k]));
          ch[c] = m;
        }
      }
    }
  }

  void run(const RunState& rs) const override {
    const float* f = rs.in<float>(ref);
    const float* q = rs.in<float>(test);
    double* o = rs.out<double>(out);
    const size_t extra = 2 * bins + channels;
    std::vector<ItemSums> sums(items);
    std::vector<double> scratch(items * extra, 0.0);
    std::vector<uint32_t> counts(hist ? items * 8 * bins : 0, 0);
    for (size_t it = 0; it < items; ++it)
      for (size_t c = 0; c < channels; ++c) scratch[it * extra + 2 * bins + c] = -1;
    auto one = [&](size_t it) {
      double* s = scratch.data() + it * extra;
      item(f + it * per_item, q + it * per_item, sums[it], hist ? counts.data() + it * 8 * bins : nullptr, s, s + bins, s + 2 * bins);
    };
    if (rs.pool() && items > 1 && per_item >= 4096) rs.pool()->parallel_for(items, one);
    else for (size_t it = 0; it < items; ++it) one(it);

    constexpr double inf = std::numeric_limits<double>::infinity();
    double n = 0, bad = 0, sf = 0, sff = 0, sd = 0, sdd = 0, maxd = 0, cos_sum = 0, dist_sum = 0, sq = 0, sqq = 0;
    double fmin = inf, fmax = -inf, qmin = inf, qmax = -inf;
    std::fill(o, o + kErrorStatsHeader + extra, 0.0);
    double* tail = o + kErrorStatsHeader;
    for (size_t c = 0; c < channels; ++c) tail[2 * bins + c] = -1;
    for (size_t it = 0; it < items; ++it) {
      const ItemSums& r = sums[it];
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
      const double* s = scratch.data() + it * extra;
      for (size_t k = 0; k < 2 * bins; ++k) tail[k] += s[k];
      for (size_t c = 0; c < channels; ++c) tail[2 * bins + c] = std::max(tail[2 * bins + c], s[2 * bins + c]);
    }
    const double head[kErrorStatsHeader] = {double(items), n, bad, sf, sff, sd, sdd, maxd, cos_sum, dist_sum, fmin, fmax, qmin, qmax, sq, sqq};
    std::copy(head, head + kErrorStatsHeader, o);
  }
};

std::unique_ptr<Op> make_error_stats(const OpBuild& b) {
  b.expect_counts(2, 2, 1, 1);
  b.expect_float(0);
  b.expect_float(1);
  b.expect_dtype(b.out(0), DType::Float64, "output");
  const TensorDesc& r = b.in(0);
  if (b.in(1).numel != r.numel)
    b.fail("the two inputs have " + std::to_string(r.numel) + " and " + std::to_string(b.in(1).numel) + " elements; they must be the same tensor's two versions");
  auto op = std::make_unique<ErrorStatsOp>();
  op->ref = b.in_id(0);
  op->test = b.in_id(1);
  op->out = b.out_id(0);
  op->items = r.shape.empty() ? 1 : size_t(r.shape[0]);
  op->per_item = op->items ? r.numel / op->items : 0;
  const int64_t bins = b.node.attrs.integer("bins", 32);
  if (bins < 1 || bins > 4096) b.fail("bins must be in [1, 4096] but is " + std::to_string(bins));
  op->bins = size_t(bins);
  op->lo = b.node.attrs.num("lo", NAN);
  op->hi = b.node.attrs.num("hi", NAN);
  op->hist = std::isfinite(op->lo) && std::isfinite(op->hi) && op->hi > op->lo;
  const int64_t channels = b.node.attrs.integer("channels", 0);
  op->channels = 0;
  op->inner = 1;
  if (channels > 0) {
    if (r.shape.size() < 2 || r.shape[1] != channels)
      b.fail("channels is " + std::to_string(channels) + " but the reference's axis 1 has a different size (rank " + std::to_string(r.shape.size()) + ")");
    op->channels = size_t(channels);
    for (size_t d = 2; d < r.shape.size(); ++d) op->inner *= size_t(r.shape[d]);
  }
  const size_t want = kErrorStatsHeader + 2 * op->bins + op->channels;
  if (b.out(0).numel != want) b.fail("the output must have " + std::to_string(want) + " elements but has " + std::to_string(b.out(0).numel));
  return op;
}

}  // namespace

void register_analysis_ops(OpTable& t) { t.emplace_back("ErrorStats", make_error_stats); }

}  // namespace npuq
