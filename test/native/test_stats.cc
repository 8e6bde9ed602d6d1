// minmax_f32 / abs_histogram_f32 / signed_histogram_f32 (npuq/stats.h): the scalar kernels against independent formulas
// written here, and every SIMD tier against scalar, exactly, over lengths 0..100 and long runs (every
// tail), with special values planted at random places: +-0, denormals, FLT_MIN, FLT_MAX, NaN, +-Inf,
// values exactly on bin edges and one ulp either side, several bin counts and ranges (powers of two
// and not). Guard entries catch writes past `bins`.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "npuq/stats.h"
#include "test-util.h"

using namespace npuq;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

std::vector<float> specials() {
  return {0.0f, -0.0f, kNaN, -kNaN, kInf, -kInf, FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN, tu::from_bits(1),
          tu::from_bits(0x80000001u), tu::from_bits(0x007fffffu), 1e30f, -1e30f, 1.0f, -1.0f, 0.5f, 3.0f};
}

// Random values in [-r, r] with specials planted at random positions.
std::vector<float> make(std::mt19937& rng, size_t n, float r, double special_rate) {
  std::vector<float> x = tu::rand_vec(rng, n, -r, r);
  const std::vector<float> sp = specials();
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<size_t> pick(0, sp.size() - 1);
  for (auto& v : x)
    if (u(rng) < special_rate) v = sp[pick(rng)];
  return x;
}

MinMaxF32 ref_minmax(const std::vector<float>& x) {
  double mn = INFINITY, mx = -INFINITY;
  uint64_t bad = 0;
  for (float v : x) {
    if (std::isnan(v) || std::isinf(v)) {
      ++bad;
      continue;
    }
    mn = std::min(mn, double(v));
    mx = std::max(mx, double(v));
  }
  MinMaxF32 r;
  r.min = mn == 0 ? 0.0f : float(mn);  // zeros are +0
  r.max = mx == 0 ? 0.0f : float(mx);
  r.nonfinite = bad;
  return r;
}

int g_minmax_cases = 0, g_hist_cases = 0;

void check_minmax(const std::vector<float>& x, const char* what) {
  ++g_minmax_cases;
  const MinMaxF32 want = ref_minmax(x);
  const MinMaxF32 ref = minmax_f32(Isa::Scalar, x.size(), x.data());
  CHECK(tu::bits(ref.min) == tu::bits(want.min) && tu::bits(ref.max) == tu::bits(want.max) && ref.nonfinite == want.nonfinite,
        "%s scalar n=%zu: got min %a max %a bad %llu, want %a %a %llu", what, x.size(), ref.min, ref.max,
        (unsigned long long)ref.nonfinite, want.min, want.max, (unsigned long long)want.nonfinite);
  for (Isa isa : tu::simd_tiers()) {
    const MinMaxF32 got = minmax_f32(isa, x.size(), x.data());
    CHECK(tu::bits(got.min) == tu::bits(ref.min) && tu::bits(got.max) == tu::bits(ref.max) && got.nonfinite == ref.nonfinite,
          "%s tier=%s n=%zu: got min %a max %a bad %llu, scalar %a %a %llu", what, isa_name(isa), x.size(), got.min,
          got.max, (unsigned long long)got.nonfinite, ref.min, ref.max, (unsigned long long)ref.nonfinite);
  }
}

void minmax_cases() {
  std::mt19937 rng(11);
  for (size_t n = 0; n <= 100; ++n) {
    check_minmax(make(rng, n, 5.0f, 0.0), "plain");
    check_minmax(make(rng, n, 5.0f, 0.2), "specials");
  }
  for (size_t n : {1000, 4099, 65537}) {
    check_minmax(make(rng, n, 1e3f, 0.01), "long");
    // The extreme in the tail, and at the very first element.
    std::vector<float> x = make(rng, n, 1.0f, 0.0);
    x[n - 1] = -7.0f;
    x[0] = 9.0f;
    check_minmax(x, "extremes at the ends");
  }
  // All non-finite, all zeros of both signs, only denormals, only one finite value among NaNs.
  for (size_t n : {1, 7, 16, 33, 100}) {
    check_minmax(std::vector<float>(n, kNaN), "all NaN");
    std::vector<float> inf(n);
    for (size_t i = 0; i < n; ++i) inf[i] = i & 1 ? kInf : -kInf;
    check_minmax(inf, "all inf");
    std::vector<float> z(n);
    for (size_t i = 0; i < n; ++i) z[i] = i % 3 ? -0.0f : 0.0f;
    check_minmax(z, "signed zeros");
    check_minmax(std::vector<float>(n, -0.0f), "all -0");
    std::vector<float> d(n);
    for (size_t i = 0; i < n; ++i) d[i] = tu::from_bits(uint32_t(1 + i) | (i & 1 ? 0x80000000u : 0));
    check_minmax(d, "denormals");
    std::vector<float> one(n, kNaN);
    one[n / 2] = -3.5f;
    check_minmax(one, "one finite");
  }
  const MinMaxF32 e = minmax_f32(Isa::Scalar, 0, nullptr);
  CHECK(e.min == kInf && e.max == -kInf && e.nonfinite == 0, "empty: min %a max %a", e.min, e.max);
}

// The bin of |v|, computed independently: for a power-of-two hist_max = 2^e, exactly
// floor(|v| * bins / 2^e) of the real numbers (|v| * bins has at most 45 significant bits, exact in long
// double, and the scaling by 2^-e is exact); otherwise the specification's double formula.
size_t ref_bin(float v, size_t bins, double hist_max) {
  int e = 0;
  const double m = std::frexp(hist_max, &e);
  const long double top = static_cast<long double>(bins - 1);
  long double t;
  if (m == 0.5) {
    t = std::ldexp(static_cast<long double>(std::fabs(v)) * static_cast<long double>(bins), 1 - e);
  } else {
    const double scale = double(bins) / hist_max;
    t = static_cast<long double>(double(std::fabs(v)) * scale);
  }
  return static_cast<size_t>(std::floor(std::min(t, top)));
}

constexpr uint64_t kGuard = 0xC0FFEEull;

// One histogram call: abs_histogram_f32 when neg_max == 0 (bins entries), else signed_histogram_f32
// with pos_max = hist_max (2 * bins entries, 3 * bins with a finite split).
void run_hist(Isa isa, const std::vector<float>& x, size_t bins, double hist_max, double neg_max, float split,
              double high_max, uint64_t* counts) {
  if (neg_max == 0) abs_histogram_f32(isa, x.size(), x.data(), bins, hist_max, counts);
  else signed_histogram_f32(isa, x.size(), x.data(), bins, hist_max, neg_max, counts, split, high_max);
}

void check_hist(const std::vector<float>& x, size_t bins, double hist_max, const char* what, double neg_max = 0,
                float split = INFINITY, double high_max = 1.0) {
  ++g_hist_cases;
  const size_t entries = neg_max == 0 ? bins : std::isfinite(split) ? 3 * bins : 2 * bins;
  std::vector<uint64_t> want(entries, 0);
  uint64_t finite = 0;
  for (float v : x)
    if (std::isfinite(v)) {
      if (neg_max != 0 && v < 0) ++want[bins + ref_bin(v, bins, neg_max)];
      else if (neg_max != 0 && v >= split) ++want[2 * bins + ref_bin(v, bins, high_max)];
      else ++want[ref_bin(v, bins, hist_max)];
      ++finite;
    }
  // Counts accumulate: start from a non-zero histogram.
  std::vector<uint64_t> ref(entries + 4, kGuard);
  for (size_t b = 0; b < entries; ++b) ref[b] = b % 5;
  run_hist(Isa::Scalar, x, bins, hist_max, neg_max, split, high_max, ref.data());
  long bad = -1;
  uint64_t total = 0;
  for (size_t b = 0; b < entries; ++b) {
    total += ref[b] - b % 5;
    if (bad < 0 && ref[b] - b % 5 != want[b]) bad = long(b);
  }
  CHECK(bad < 0, "%s scalar n=%zu bins=%zu hist_max=%a neg_max=%a split=%a high_max=%a: entry %ld has %llu, want %llu",
        what, x.size(), bins, hist_max, neg_max, double(split), high_max, bad, bad < 0 ? 0ull : (unsigned long long)(ref[bad] - bad % 5),
        bad < 0 ? 0ull : (unsigned long long)want[bad]);
  CHECK(total == finite, "%s scalar n=%zu: counted %llu, %llu finite", what, x.size(), (unsigned long long)total,
        (unsigned long long)finite);
  for (size_t g = entries; g < entries + 4; ++g) CHECK(ref[g] == kGuard, "%s scalar wrote past %zu entries", what, entries);
  for (Isa isa : tu::simd_tiers()) {
    std::vector<uint64_t> got(entries + 4, kGuard);
    for (size_t b = 0; b < entries; ++b) got[b] = b % 5;
    run_hist(isa, x, bins, hist_max, neg_max, split, high_max, got.data());
    size_t at = 0;
    while (at < got.size() && got[at] == ref[at]) ++at;
    CHECK(at == got.size(), "%s tier=%s n=%zu bins=%zu hist_max=%a neg_max=%a split=%a: differs from scalar at entry %zu (%llu vs %llu)",
          what, isa_name(isa), x.size(), bins, hist_max, neg_max, double(split), at, at < got.size() ? (unsigned long long)got[at] : 0ull,
          at < got.size() ? (unsigned long long)ref[at] : 0ull);
  }
}

// Values exactly on bin edges k * hist_max / bins (when representable) and one ulp either side.
std::vector<float> edges(std::mt19937& rng, size_t n, size_t bins, double hist_max) {
  std::uniform_int_distribution<size_t> k(0, bins);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) {
    const float e = float(double(k(rng)) * hist_max / double(bins));
    x[i] = i % 3 == 0 ? e : i % 3 == 1 ? std::nextafter(e, 0.0f) : std::nextafter(e, kInf);
    if (i & 4) x[i] = -x[i];
  }
  return x;
}

void histogram_cases() {
  std::mt19937 rng(12);
  // Power-of-two ranges (the observers' case): every step exact.
  for (size_t bins : {size_t(2048), size_t(1), size_t(2), size_t(3), size_t(1000), size_t(2047), size_t(1) << 20}) {
    for (double hm : {1.0, 0.5, 1024.0, std::ldexp(1.0, -100), std::ldexp(1.0, 128)}) {
      const float r = float(std::min(hm, double(FLT_MAX)));
      for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(8), size_t(9), size_t(63), size_t(64), size_t(65), size_t(100)}) {
        check_hist(make(rng, n, r, 0.0), bins, hm, "pow2 plain");
        check_hist(make(rng, n, r, 0.15), bins, hm, "pow2 specials");
      }
      check_hist(edges(rng, 301, bins, hm), bins, hm, "pow2 edges");
    }
  }
  // Every length 0..100 at the default bins, values past the range (clamped into the last bin).
  for (size_t n = 0; n <= 100; ++n) check_hist(make(rng, n, 3.0f, 0.1), 2048, 2.0, "lengths");
  for (size_t n : {1000, 4099, 65537}) {
    check_hist(make(rng, n, 4.0f, 0.01), 2048, 4.0, "long");
    check_hist(make(rng, n, 1e-3f, 0.0), 2048, std::ldexp(1.0, -9), "long small");
  }
  // Ranges that are not powers of two: the index still follows the same double operations.
  for (double hm : {3.7, 1e-30, 1e30, 0.1, 6.02e23}) {
    const float r = float(hm * 1.25);
    for (size_t bins : {size_t(2048), size_t(7), size_t(1000)}) {
      check_hist(make(rng, 97, r, 0.1), bins, hm, "non-pow2");
      check_hist(edges(rng, 211, bins, hm), bins, hm, "non-pow2 edges");
    }
  }
  // Signs apart, each at its own range (powers of two, equal or not, and not powers of two).
  for (size_t bins : {size_t(2048), size_t(3), size_t(1000)})
    for (auto r : {std::make_pair(4.0, 0.5), std::make_pair(1.0, 1.0), std::make_pair(std::ldexp(1.0, -20), 64.0),
                   std::make_pair(3.7, 0.1)}) {
      for (size_t n : {size_t(0), size_t(5), size_t(8), size_t(31), size_t(100), size_t(5000)}) {
        check_hist(make(rng, n, float(std::max(r.first, r.second)), 0.1), bins, r.first, "signed", r.second);
        check_hist(make(rng, n, 0.5f, 0.0), bins, r.first, "signed plain", r.second);
      }
      std::vector<float> e = edges(rng, 257, bins, r.first), f = edges(rng, 257, bins, r.second);
      e.insert(e.end(), f.begin(), f.end());
      check_hist(e, bins, r.first, "signed edges", r.second);
    }
  // Three regions: [0, split) at pos_max, [split, inf) at high_max (the split on a bin edge, between
  // edges, at 0.5 ulp distances; ranges powers of two or not).
  for (size_t bins : {size_t(2048), size_t(5), size_t(1000)})
    for (float split : {4.0f, 3.0f, 0.75f, std::nextafter(4.0f, 0.0f), 1e-30f})
      for (auto r : {std::make_pair(4.0, 32.0), std::make_pair(8.0, 8.0), std::make_pair(3.7, 100.5)}) {
        for (size_t n : {size_t(0), size_t(9), size_t(100), size_t(30000)})
          check_hist(make(rng, n, 20.0f, 0.05), bins, r.first, "three regions", 2.0, split, r.second);
        std::vector<float> e = edges(rng, 301, bins, r.first), f = edges(rng, 301, bins, r.second);
        e.insert(e.end(), f.begin(), f.end());
        for (int k = 0; k < 20; ++k) e.push_back(k & 1 ? split : std::nextafter(split, k & 2 ? 0.0f : INFINITY));
        check_hist(e, bins, r.first, "three regions edges", r.first, split, r.second);
      }
  // Long enough for the AVX2 kernel's second table, signed and not.
  check_hist(make(rng, 40000, 3.0f, 0.01), 2048, 4.0, "signed long", 2.0);
  check_hist(make(rng, 40000, 3.0f, 0.01), 2048, 4.0, "signed long same range", 4.0);
  // Denormals and zeros only.
  std::vector<float> d(77);
  for (size_t i = 0; i < d.size(); ++i) d[i] = tu::from_bits(uint32_t(i * 1000003u % 0x007fffffu) | (i & 1 ? 0x80000000u : 0));
  check_hist(d, 2048, std::ldexp(1.0, -126), "denormals");
  check_hist(d, 2048, 1.0, "denormals in a wide range");
  // A huge hist_max makes the products underflow (same on every tier).
  check_hist(make(rng, 99, 1e10f, 0.0), 2048, 1e300, "underflow");
}

void argument_checks() {
  std::vector<uint64_t> c(8, 0);
  const float x[2] = {1.0f, 2.0f};
  CHECK_THROWS(abs_histogram_f32(Isa::Scalar, 2, x, 0, 1.0, c.data()), "bins must be in");
  CHECK_THROWS(abs_histogram_f32(Isa::Scalar, 2, x, kMaxHistogramBins + 1, 1.0, c.data()), "bins must be in");
  CHECK_THROWS(abs_histogram_f32(Isa::Scalar, 2, x, 8, 0.0, c.data()), "hist_max must be finite");
  CHECK_THROWS(abs_histogram_f32(Isa::Scalar, 2, x, 8, double(kInf), c.data()), "hist_max must be finite");
  CHECK_THROWS(abs_histogram_f32(Isa::Scalar, 2, x, 8, std::nan(""), c.data()), "hist_max must be finite");
  CHECK_THROWS(abs_histogram_f32(Isa::Scalar, 2, x, 2048, 1e-310, c.data()), "too small");
  CHECK_THROWS(abs_histogram_f32(Isa::Scalar, 2, nullptr, 8, 1.0, c.data()), "null");
  CHECK_THROWS(minmax_f32(Isa::Scalar, 2, nullptr), "null");
  CHECK_THROWS(signed_histogram_f32(Isa::Scalar, 2, x, 8, 1.0, 0.0, c.data()), "neg_max must be finite");
  CHECK_THROWS(signed_histogram_f32(Isa::Scalar, 2, x, 8, -1.0, 1.0, c.data()), "pos_max must be finite");
  CHECK_THROWS(signed_histogram_f32(Isa::Scalar, 2, x, 0, 1.0, 1.0, c.data()), "bins must be in");
  CHECK_THROWS(signed_histogram_f32(Isa::Scalar, 2, x, 2, 1.0, 1.0, c.data(), 0.0f), "split must be > 0");
  CHECK_THROWS(signed_histogram_f32(Isa::Scalar, 2, x, 2, 1.0, 1.0, c.data(), 1.0f, 0.0), "high_max must be finite");
}

}  // namespace

int main() {
  minmax_cases();
  histogram_cases();
  argument_checks();
  std::printf("test_stats: %d minmax cases, %d histogram cases, tiers:", g_minmax_cases, g_hist_cases);
  for (Isa isa : supported_isas()) std::printf(" %s", isa_name(isa));
  std::printf("\n");
  return check_summary("test_stats");
}
