// Observer / ObserverRun (engine/observer.h) on a small plan run by Program: x [N, C, 8] -> Relu -> r
// -> Copy -> s, x -> Clip(0, 6) -> c. Checks, per run sequence:
//  * x's statistics against a reference computed here from all the data (counts, min/max, EMA, the
//    histogram at the final power-of-two range, per-channel min/max);
//  * r, s, c (derived from x when x is observed) equal to the same tensors observed alone (scanned);
//  * the same results for 1 and 2 threads and every ISA tier;
//  * widen_histogram against recomputation, reset(), a channel-count change rejected atomically.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "engine/observer.h"
#include "plan-util.h"
#include "test-util.h"

using namespace npuq;

namespace {

constexpr size_t kBins = 2048;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Tensors: 0 x, 1 r, 2 s, 3 c.
PlanDesc make_plan(size_t N, size_t C, size_t L) {
  PlanDesc p;
  for (int i = 0; i < 4; ++i) tu::add_f32_tensor(p, {int64_t(N), int64_t(C), int64_t(L)});
  NodeDesc relu{"Relu", "relu", {0}, {1}, {}};
  NodeDesc copy{"Copy", "copy", {1}, {2}, {}};
  NodeDesc clip{"Clip", "clip", {0}, {3}, {}};
  clip.attrs.values["lo"] = tu::attr_num(0);
  clip.attrs.values["hi"] = tu::attr_num(6);
  p.nodes = {relu, copy, clip};
  p.inputs = {0};
  p.outputs = {2, 3};
  return p;
}

std::vector<uint8_t> bytes_of(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// The batches: normal values (some past 8, so Clip's input keeps a HIGH region), small ones, zeros,
// a NaN and an Inf, and a batch with a very large value (the range grows by many powers of two).
std::vector<std::vector<float>> batches(size_t n) {
  std::mt19937 rng(21);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  std::vector<std::vector<float>> out;
  for (int b = 0; b < 6; ++b) {
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng) * (b == 1 ? 0.01f : 1.0f);
    if (b == 2) std::fill(v.begin(), v.begin() + long(n / 2), 0.0f);
    if (b == 3) {
      v[7] = kNaN;
      v[n - 1] = INFINITY;
    }
    if (b == 4) v[n / 3] = 3.0e5f;
    out.push_back(v);
  }
  return out;
}

bool same_stats(const ObservedStats& a, const ObservedStats& b) {
  auto same_f = [](double x, double y) { return (std::isnan(x) && std::isnan(y)) || x == y; };
  return a.count == b.count && a.nonfinite == b.nonfinite && a.runs == b.runs && tu::bits(a.min) == tu::bits(b.min) &&
         tu::bits(a.max) == tu::bits(b.max) && same_f(a.ema_min, b.ema_min) && same_f(a.ema_max, b.ema_max) &&
         a.hist_max == b.hist_max && a.histogram == b.histogram && a.channel_min == b.channel_min &&
         a.channel_max == b.channel_max;
}

ObserverConfig config(std::vector<int> ids) {
  ObserverConfig c;
  c.tensors = std::move(ids);
  c.bins = kBins;
  c.ema_momentum = 0.25;
  c.per_channel = true;
  return c;
}

// Runs every batch through prog feeding each observer.
void run_all(const Program& prog, const std::vector<std::vector<float>>& data, std::vector<Observer*> obs) {
  for (const auto& v : data) {
    const std::vector<std::vector<uint8_t>> in = {bytes_of(v)};
    for (Observer* o : obs) {
      ObserverRun hooks(*o, prog);
      prog.run(in, nullptr, &hooks);
    }
  }
}

void check_reference(const ObservedStats& st, const std::vector<std::vector<float>>& data, size_t C, size_t L,
                     const char* what) {
  double mn = INFINITY, mx = -INFINITY, ema_min = 0, ema_max = 0, absmax = 0;
  uint64_t count = 0, bad = 0;
  bool ema_set = false;
  std::vector<float> cmin(C, INFINITY), cmax(C, -INFINITY);
  for (const auto& v : data) {
    double bmin = INFINITY, bmax = -INFINITY;
    for (size_t i = 0; i < v.size(); ++i) {
      ++count;
      if (!std::isfinite(v[i])) {
        ++bad;
        continue;
      }
      bmin = std::min(bmin, double(v[i]));
      bmax = std::max(bmax, double(v[i]));
      const size_t c = i / L % C;
      cmin[c] = std::min(cmin[c], v[i]);
      cmax[c] = std::max(cmax[c], v[i]);
    }
    mn = std::min(mn, bmin);
    mx = std::max(mx, bmax);
    if (!ema_set) {
      ema_min = bmin;
      ema_max = bmax;
      ema_set = true;
    } else {
      ema_min += 0.25 * (bmin - ema_min);
      ema_max += 0.25 * (bmax - ema_max);
    }
  }
  absmax = std::max(-mn, mx);
  int e = 0;
  std::frexp(absmax, &e);
  const double range = std::ldexp(1.0, e);
  std::vector<uint64_t> hist(kBins, 0);
  for (const auto& v : data)
    for (float x : v)
      if (std::isfinite(x)) ++hist[std::min<size_t>(kBins - 1, size_t(std::floor(std::fabs(double(x)) * kBins / range)))];
  for (auto& c : cmin) c += 0.0f;
  for (auto& c : cmax) c += 0.0f;
  CHECK(st.count == count && st.nonfinite == bad, "%s: count %llu/%llu nonfinite %llu/%llu", what, (unsigned long long)st.count,
        (unsigned long long)count, (unsigned long long)st.nonfinite, (unsigned long long)bad);
  CHECK(double(st.min) == mn + 0.0 && double(st.max) == mx, "%s: min %a max %a, want %a %a", what, st.min, st.max, mn, mx);
  CHECK(st.ema_min == ema_min && st.ema_max == ema_max, "%s: ema %a %a, want %a %a", what, st.ema_min, st.ema_max, ema_min, ema_max);
  CHECK(st.hist_max == range, "%s: hist_max %a, want %a", what, st.hist_max, range);
  long at = -1;
  for (size_t b = 0; b < kBins && at < 0; ++b)
    if (st.histogram[b] != hist[b]) at = long(b);
  CHECK(at < 0, "%s: histogram differs at bin %ld (%llu vs %llu)", what, at, at < 0 ? 0ull : (unsigned long long)st.histogram[size_t(at)],
        at < 0 ? 0ull : (unsigned long long)hist[size_t(at)]);
  CHECK(st.channel_min == cmin && st.channel_max == cmax, "%s: per-channel min/max differ", what);
}

void plan_cases() {
  const size_t N = 4, C = 3, L = 4096;  // 48K elements: chunked over 2 threads
  const auto data = batches(N * C * L);
  std::vector<std::vector<ObservedStats>> results;
  for (Isa isa : supported_isas())
    for (size_t threads : {size_t(1), size_t(2)}) {
      Program prog(make_plan(N, C, L), isa, threads);
      Observer all(config({0, 1, 2, 3}));
      Observer r(config({1})), s(config({2})), c(config({3}));
      run_all(prog, data, {&all, &r, &s, &c});
      const auto st = all.stats();
      const std::string tag = std::string(isa_name(isa)) + " threads=" + std::to_string(threads);
      check_reference(st[0], data, C, L, ("x " + tag).c_str());
      CHECK(st[1].derived == 5 && st[2].derived == 6 && st[3].derived == 5, "%s: derived r %llu s %llu c %llu (want 5 6 5)",
            tag.c_str(), (unsigned long long)st[1].derived, (unsigned long long)st[2].derived, (unsigned long long)st[3].derived);
      CHECK(same_stats(st[1], r.stats()[0]), "%s: derived Relu output differs from the scanned one", tag.c_str());
      CHECK(same_stats(st[2], s.stats()[0]), "%s: derived Copy output differs from the scanned one", tag.c_str());
      CHECK(same_stats(st[3], c.stats()[0]), "%s: derived Clip output differs from the scanned one", tag.c_str());
      results.push_back(st);
    }
  for (size_t k = 1; k < results.size(); ++k)
    for (size_t slot = 0; slot < 4; ++slot)
      CHECK(same_stats(results[k][slot], results[0][slot]), "run set %zu slot %zu differs from the first (tier/thread count)", k, slot);
}

void widen_cases() {
  std::mt19937 rng(3);
  for (size_t bins : {size_t(2048), size_t(7), size_t(1)})
    for (long k : {1L, 2L, 5L, 11L, 12L, 40L, 1000L}) {
      std::uniform_real_distribution<double> u(0, 1);
      std::vector<double> values(3000);
      for (auto& v : values) v = u(rng) * (u(rng) < 0.3 ? 0.001 : 1.0);  // |x| < 1 = 2^0
      std::vector<uint64_t> h(bins, 0), want(bins, 0);
      const long kk = std::min(k, 1000L);
      for (double v : values) {
        ++h[std::min<size_t>(bins - 1, size_t(std::floor(v * double(bins))))];
        ++want[std::min<size_t>(bins - 1, size_t(std::floor(std::ldexp(v * double(bins), -int(std::min(kk, 100L))))))];
      }
      widen_histogram(h.data(), bins, k);
      CHECK(h == want, "widen_histogram bins=%zu k=%ld differs from binning at the wider range", bins, k);
    }
}

void reset_and_mismatch() {
  Program a(make_plan(2, 3, 16), active_isa(), 1), b(make_plan(2, 5, 16), active_isa(), 1);
  Observer o(config({0}));
  std::vector<float> va(96, 1.5f), vb(160, -2.0f);
  {
    ObserverRun h(o, a);
    a.run({bytes_of(va)}, nullptr, &h);
  }
  const auto before = o.stats();
  bool thrown = false;
  try {
    ObserverRun h(o, b);
    b.run({bytes_of(vb)}, nullptr, &h);
  } catch (const EngineError& e) {
    thrown = e.code() == "SHAPE_MISMATCH";
  }
  CHECK(thrown, "a per-channel tensor whose channel count changes must be refused");
  CHECK(same_stats(o.stats()[0], before[0]), "a refused run must change nothing");
  o.reset();
  const auto z = o.stats()[0];
  CHECK(z.count == 0 && z.runs == 0 && z.hist_max == 0 && std::isinf(z.min) && z.channel_min.empty(), "reset() must forget everything");
  bool bad_id = false;
  try {
    ObserverRun h(o, a, {7});
  } catch (const EngineError& e) {
    bad_id = e.code() == "INVALID_ARGUMENT" && std::string(e.what()).find("tensor 7") != std::string::npos;
  }
  CHECK(bad_id, "an id past the plan's tensors must be refused naming it");
}

}  // namespace

int main() {
  plan_cases();
  widen_cases();
  reset_and_mismatch();
  return check_summary("test_observer");
}
