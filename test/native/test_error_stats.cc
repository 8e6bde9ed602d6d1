// ErrorStats (native/engine/ops/analysis.cc), the accuracy-analysis probe, against a double-precision
// reference computed here: sums to 1e-6 relative (the op sums blocks in float), counts, min/max, max |d|,
// histogram counts and per-channel max |f| exactly. Items with a NaN or an infinity take the careful
// path; results are identical with and without the thread pool and on every ISA tier this CPU has; an
// integer test input (u8/s8/u16/s16 with scale and zero_point) gives exactly what its dequantized float
// copy gives; bad attributes are build errors.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>

#include "engine/ops/ops.h"
#include "npuq/thread_pool.h"
#include "plan-util.h"
#include "test-util.h"

using namespace npuq;

namespace {

constexpr size_t kHeader = 16;

struct Case {
  size_t N, C, L, bins;
  double lo, hi;
  bool channels;
};

using tu::attr_num;

PlanDesc make_plan(const Case& c, const std::vector<float>& f, const std::vector<float>& q) {
  PlanDesc p;
  auto input = [&](const std::vector<float>& v) {
    TensorDesc t;
    t.shape = {int64_t(c.N), int64_t(c.C), int64_t(c.L)};
    t.numel = v.size();
    t.bytes = v.size() * 4;
    t.is_const = true;
    t.data = std::make_shared<std::vector<uint8_t>>(reinterpret_cast<const uint8_t*>(v.data()), reinterpret_cast<const uint8_t*>(v.data() + v.size()));
    return t;
  };
  p.tensors.push_back(input(f));
  p.tensors.push_back(input(q));
  TensorDesc o;
  o.dtype = DType::Float64;
  o.numel = kHeader + 2 * c.bins + (c.channels ? c.C : 0);
  o.shape = {int64_t(o.numel)};
  o.bytes = o.numel * 8;
  p.tensors.push_back(o);
  p.arena_bytes = o.bytes;
  NodeDesc n{"ErrorStats", "probe", {0, 1}, {2}, {}};
  n.attrs.values["bins"] = attr_num(double(c.bins));
  n.attrs.values["channels"] = attr_num(c.channels ? double(c.C) : 0);
  if (!std::isnan(c.lo)) {
    n.attrs.values["lo"] = attr_num(c.lo);
    n.attrs.values["hi"] = attr_num(c.hi);
  }
  p.nodes = {n};
  p.outputs = {2};
  return p;
}

std::vector<double> run(const PlanDesc& p, ThreadPool* pool, Isa isa = Isa::Scalar) {
  const std::vector<uint8_t> arena = tu::run_single_node(p, isa, pool);
  std::vector<double> out(p.tensors[2].numel);
  std::memcpy(out.data(), arena.data(), out.size() * 8);
  return out;
}

// The reference: every sum in double over the finite pairs, histograms with the op's float formula.
// `scale` gets, per entry, the sum of the magnitudes of its terms (the error bound of a signed sum).
std::vector<double> reference(const Case& c, const std::vector<float>& f, const std::vector<float>& q, std::vector<double>& scale) {
  const size_t per = c.C * c.L, bins = c.bins;
  std::vector<double> r(kHeader + 2 * bins + (c.channels ? c.C : 0), 0.0);
  const double inf = std::numeric_limits<double>::infinity();
  r[0] = double(c.N);
  scale.assign(r.size(), 0.0);
  r[10] = r[12] = inf;
  r[11] = r[13] = -inf;
  for (size_t ch = 0; c.channels && ch < c.C; ++ch) r[kHeader + 2 * bins + ch] = -1;
  const bool hist = !std::isnan(c.lo) && c.hi > c.lo;
  const float flo = float(c.lo), width = float(double(bins) / (c.hi - c.lo)), top = float(bins - 1);
  auto bin = [&](float v) {
    float t = (v - flo) * width;
    t = t > 0 ? t : 0;
    t = t < top ? t : top;
    return size_t(t);
  };
  for (size_t it = 0; it < c.N; ++it) {
    double dot = 0, ff = 0, qq = 0, dd = 0;
    for (size_t k = 0; k < per; ++k) {
      const float a = f[it * per + k], b = q[it * per + k];
      if (!std::isfinite(a) || !std::isfinite(b)) { r[2] += 1; continue; }
      const double d = double(b) - double(a);
      dot += double(a) * b; ff += double(a) * a; qq += double(b) * b; dd += d * d;
      r[1] += 1; r[3] += a; r[5] += d; r[14] += b;
      scale[3] += std::fabs(a); scale[5] += std::fabs(d); scale[14] += std::fabs(b);
      r[7] = std::max(r[7], std::fabs(d));
      r[10] = std::min(r[10], double(a)); r[11] = std::max(r[11], double(a));
      r[12] = std::min(r[12], double(b)); r[13] = std::max(r[13], double(b));
      if (hist) { r[kHeader + bin(a)] += 1; r[kHeader + bins + bin(b)] += 1; }
      if (c.channels) {
        double& m = r[kHeader + 2 * bins + k / c.L];
        m = std::max(m, double(std::fabs(a)));
      }
    }
    r[4] += ff; r[6] += dd; r[15] += qq;
    r[8] += (ff == 0 && qq == 0) ? 1.0 : (ff == 0 || qq == 0) ? 0.0 : std::min(1.0, std::max(-1.0, dot / (std::sqrt(ff) * std::sqrt(qq))));
    r[9] += std::sqrt(dd);
  }
  return r;
}

bool close(double a, double b, double rel) {
  if (a == b) return true;
  return std::fabs(a - b) <= rel * std::max(1.0, std::max(std::fabs(a), std::fabs(b)));
}

void cases() {
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.f, 1.f);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const Case all[] = {
      {1, 1, 1, 32, -3, 3, false},        // one element: no block of four
      {4, 3, 7, 32, -3, 3, true},         // tails in every item, channels
      {16, 24, 64, 32, -4, 4, true},      // pool-sized items (>= 4096 elements)
      {3, 5, 300, 8, -1, 1, false},       // many values outside [lo, hi]: end bins
      {2, 4, 9, 32, nan, nan, true},      // no histograms
      {5, 2, 513, 32, 0, 6, true},        // crosses block boundaries
  };
  ThreadPool pool(2);
  for (const Case& c : all) {
    const size_t n = c.N * c.C * c.L;
    std::vector<float> f(n), q(n);
    for (size_t i = 0; i < n; ++i) {
      f[i] = nd(rng) * (i % 3 ? 1.f : 2.5f);
      q[i] = f[i] + 0.05f * nd(rng);
    }
    if (c.C > 1) for (size_t i = 0; i < c.L; ++i) f[c.L + i] = q[c.L + i] = 0;  // an all-zero channel of item 0
    for (int special = 0; special < 2; ++special) {
      if (special && c.N > 1) {  // a NaN in item 1 and an infinity in the last item: careful path
        f[c.C * c.L + 2 % (c.C * c.L)] = std::numeric_limits<float>::quiet_NaN();
        q[n - 1] = std::numeric_limits<float>::infinity();
      } else if (special) {
        continue;
      }
      const PlanDesc p = make_plan(c, f, q);
      std::vector<double> scale;
      const std::vector<double> want = reference(c, f, q, scale);
      const std::vector<double> got = run(p, nullptr);
      const std::vector<double> threaded = run(p, &pool);
      for (Isa isa : supported_isas()) {
        const std::vector<double> tier = run(p, &pool, isa);
        CHECK(std::memcmp(tier.data(), got.data(), got.size() * 8) == 0, "N=%zu C=%zu L=%zu special=%d: tier %s differs from scalar", c.N, c.C, c.L, special, isa_name(isa));
      }
      const std::string what = check::format("N=%zu C=%zu L=%zu bins=%zu special=%d", c.N, c.C, c.L, c.bins, special);
      CHECK(got.size() == want.size(), "%s: size %zu vs %zu", what.c_str(), got.size(), want.size());
      if (got.size() != want.size()) continue;
      for (size_t k = 0; k < got.size(); ++k) {
        const bool exact = k < 3 || k == 7 || (k >= 10 && k <= 13) || k >= kHeader;
        const bool ok = exact ? got[k] == want[k] : scale[k] > 0 ? std::fabs(got[k] - want[k]) <= 1e-6 * scale[k] : close(got[k], want[k], 1e-6);
        CHECK(ok, "%s: entry %zu is %.17g, want %.17g", what.c_str(), k, got[k], want[k]);
        CHECK(std::memcmp(&got[k], &threaded[k], 8) == 0, "%s: entry %zu differs with threads: %.17g vs %.17g", what.c_str(), k, got[k], threaded[k]);
      }
    }
  }
}

// The test side as integers: the same result as its float copy dequantized as DequantizeLinear does.
template <typename T>
void integer_test(DType dtype, float scale, int32_t zp, int lo, int hi) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> ud(lo, hi);
  std::normal_distribution<float> nd(0.f, 1.f);
  const Case c{6, 3, 700, 32, -3, 3, true};
  const size_t n = c.N * c.C * c.L;
  std::vector<T> qi(n);
  std::vector<float> f(n), qf(n);
  for (size_t i = 0; i < n; ++i) {
    qi[i] = T(ud(rng));
    qf[i] = static_cast<float>(int64_t(qi[i]) - int64_t(zp)) * scale;
    f[i] = qf[i] + 0.01f * nd(rng);
  }
  f[c.C * c.L + 5] = std::numeric_limits<float>::infinity();  // item 1 takes the careful path
  PlanDesc p = make_plan(c, f, qf);
  const std::vector<double> want = run(p, nullptr);
  p.tensors[1].dtype = dtype;
  p.tensors[1].bytes = n * sizeof(T);
  p.tensors[1].data = std::make_shared<std::vector<uint8_t>>(reinterpret_cast<const uint8_t*>(qi.data()), reinterpret_cast<const uint8_t*>(qi.data() + n));
  p.nodes[0].attrs.values["scale"] = attr_num(scale);
  p.nodes[0].attrs.values["zero_point"] = attr_num(zp);
  ThreadPool pool(2);
  for (Isa isa : supported_isas()) {
    const std::vector<double> got = run(p, &pool, isa);
    CHECK(got.size() == want.size() && std::memcmp(got.data(), want.data(), want.size() * 8) == 0,
          "integer test (%s, zp %d) on %s differs from its dequantized float copy", dtype_name(int(dtype)), zp, isa_name(isa));
  }
  PlanDesc no_scale = p;
  no_scale.nodes[0].attrs.values.erase("scale");
  std::string msg = "no exception";
  try {
    OpBuild b(no_scale, no_scale.nodes[0], Isa::Scalar);
    (*find_op("ErrorStats"))(b);
  } catch (const EngineError& e) {
    msg = e.what();
  }
  CHECK(msg.find("needs a finite scale") != std::string::npos, "integer test without scale: got '%s'", msg.c_str());
}

// Expects `stmt` to throw an EngineError whose message contains `needle`.
#define CHECK_ENGINE_ERROR(stmt, needle)                                                              \
  do {                                                                                                \
    std::string msg_ = "no exception";                                                                \
    try {                                                                                             \
      stmt;                                                                                           \
    } catch (const EngineError& e) {                                                                  \
      msg_ = e.what();                                                                                \
    }                                                                                                 \
    CHECK(msg_.find(needle) != std::string::npos, "expected an EngineError containing '%s', got '%s'", needle, msg_.c_str()); \
  } while (0)

void build_errors() {
  std::vector<float> f(12, 1.f), q(12, 1.f);
  Case c{2, 3, 2, 32, -1, 1, true};
  PlanDesc p = make_plan(c, f, q);
  auto build = [&](const PlanDesc& plan) { OpBuild b(plan, plan.nodes[0], Isa::Scalar); (*find_op("ErrorStats"))(b); };
  PlanDesc bad_bins = p;
  bad_bins.nodes[0].attrs.values["bins"] = attr_num(0);
  CHECK_ENGINE_ERROR(build(bad_bins), "bins must be in [1, 4096]");
  PlanDesc bad_channels = p;
  bad_channels.nodes[0].attrs.values["channels"] = attr_num(5);
  CHECK_ENGINE_ERROR(build(bad_channels), "channels is 5");
  PlanDesc bad_size = p;
  bad_size.tensors[1].numel = 10;
  CHECK_ENGINE_ERROR(build(bad_size), "the two inputs have 12 and 10 elements");
  PlanDesc bad_out = p;
  bad_out.tensors[2].numel = 3;
  CHECK_ENGINE_ERROR(build(bad_out), "the output must have");
}

}  // namespace

int main() {
  cases();
  integer_test<uint8_t>(DType::Uint8, 0.0235f, 128, 0, 255);
  integer_test<int8_t>(DType::Int8, 0.031f, -3, -128, 127);
  integer_test<uint16_t>(DType::Uint16, 0.0001f, 32768, 0, 65535);
  integer_test<int16_t>(DType::Int16, 0.00013f, 0, -32768, 32767);
  build_errors();
  return check_summary("test_error_stats");
}
