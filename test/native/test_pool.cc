// Pooling: scalar against a double reference, other tiers and threaded runs against scalar bit for bit.
// MaxPool 2x2 stride 2 (the copy-free fast path) against the padded-window route, with NaN, infinities
// and signed zeros planted, and with the input and output ending right before an unmapped page.
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/plane-window.h"
#include "test-util.h"

using namespace npuq;

namespace {

std::string str(const Pool2dShape& s) {
  return check::format("N=%zu C=%zu H=%zu W=%zu OH=%zu OW=%zu K=%zux%zu S=%zux%zu D=%zux%zu P=%zu,%zu,%zu,%zu", s.N,
                       s.C, s.H, s.W, s.OH, s.OW, s.KH, s.KW, s.SH, s.SW, s.DH, s.DW, s.PT, s.PL, s.PB, s.PR);
}

// kind: 0 max, 1 avg excluding pad, 2 avg including pad
std::vector<double> reference(const Pool2dShape& s, int kind, const std::vector<float>& x) {
  std::vector<double> y(s.N * s.C * s.OH * s.OW);
  for (size_t p = 0; p < s.N * s.C; ++p)
    for (size_t oh = 0; oh < s.OH; ++oh)
      for (size_t ow = 0; ow < s.OW; ++ow) {
        double acc = kind == 0 ? -HUGE_VAL : 0.0;
        size_t valid = 0, padded = 0;
        for (size_t kh = 0; kh < s.KH; ++kh)
          for (size_t kw = 0; kw < s.KW; ++kw) {
            const long ih = static_cast<long>(oh * s.SH + kh * s.DH) - static_cast<long>(s.PT);
            const long iw = static_cast<long>(ow * s.SW + kw * s.DW) - static_cast<long>(s.PL);
            const bool in_pad = ih >= -static_cast<long>(s.PT) && ih < static_cast<long>(s.H + s.PB) &&
                                iw >= -static_cast<long>(s.PL) && iw < static_cast<long>(s.W + s.PR);
            padded += in_pad;
            if (ih < 0 || iw < 0 || ih >= static_cast<long>(s.H) || iw >= static_cast<long>(s.W)) continue;
            const double v = x[(p * s.H + ih) * s.W + iw];
            ++valid;
            acc = kind == 0 ? std::max(acc, v) : acc + v;
          }
        if (kind == 1) acc /= valid;
        if (kind == 2) acc /= padded;
        y[(p * s.OH + oh) * s.OW + ow] = acc;
      }
  return y;
}

void run_case(const Pool2dShape& s, int kind, std::mt19937& rng, ThreadPool* pool) {
  const std::string desc = str(s) + (kind == 0 ? " max" : kind == 1 ? " avg" : " avg_include_pad");
  const auto x = tu::rand_vec(rng, s.N * s.C * s.H * s.W, -2.0f, 2.0f);
  auto run = [&](Isa isa, ThreadPool* p) {
    std::vector<float> y(s.N * s.C * s.OH * s.OW, 777.0f);
    if (kind == 0)
      maxpool2d_f32(isa, s, x.data(), y.data(), p);
    else
      avgpool2d_f32(isa, s, kind == 2, x.data(), y.data(), p);
    return y;
  };
  const std::vector<float> ref = run(Isa::Scalar, nullptr);
  const std::vector<double> yd = reference(s, kind, x);
  int bad = 0;
  for (size_t i = 0; i < ref.size(); ++i)
    if (!tu::close(ref[i], yd[i], 2.0 * s.KH * s.KW) && bad++ < 3)
      CHECK(false, "%s: scalar y[%zu]=%.9g reference %.9g", desc.c_str(), i, ref[i], yd[i]);
  CHECK(bad == 0, "%s: %d outputs off the reference", desc.c_str(), bad);
  for (Isa isa : supported_isas())
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), pool}) {
      if (isa == Isa::Scalar && !p) continue;
      const std::vector<float> got = run(isa, p);
      const long at = tu::first_diff(ref.data(), got.data(), ref.size());
      CHECK(at < 0, "%s tier=%s threads=%zu: differs from scalar at %ld", desc.c_str(), isa_name(isa),
            p ? p->threads() : 1, at);
    }
}

// ceil_mode output size, with ONNX's rule that the last window must start inside input or left pad.
size_t out_size(size_t in, size_t k, size_t s, size_t d, size_t pb, size_t pe, bool ceil_mode) {
  const size_t eff = (k - 1) * d + 1;
  if (in + pb + pe < eff) return 0;
  size_t o = (in + pb + pe - eff + (ceil_mode ? s - 1 : 0)) / s + 1;
  if (ceil_mode && (o - 1) * s >= in + pb) --o;
  return o;
}

// n floats ending right before a PROT_NONE page: any read or write past the end faults.
class Guarded {
 public:
  explicit Guarded(size_t n) : n_(n) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    len_ = (n * sizeof(float) + page - 1) / page * page + page;
    void* m = mmap(nullptr, len_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) std::abort();
    base_ = static_cast<char*>(m);
    if (mprotect(base_ + len_ - page, page, PROT_NONE) != 0) std::abort();
    data_ = reinterpret_cast<float*>(base_ + len_ - page) - n;
  }
  ~Guarded() { munmap(base_, len_); }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;
  float* data() { return data_; }
  size_t size() const { return n_; }

 private:
  size_t n_ = 0, len_ = 0;
  char* base_ = nullptr;
  float* data_ = nullptr;
};

// The route every MaxPool took before the 2x2 fast path: padded, phase-split copy, scalar window kernel.
std::vector<float> maxpool_window_scalar(const Pool2dShape& s, const float* x) {
  WindowGeometry g;
  g.H = s.H; g.W = s.W; g.OH = s.OH; g.OW = s.OW; g.KH = s.KH; g.KW = s.KW;
  g.SH = s.SH; g.SW = s.SW; g.DH = s.DH; g.DW = s.DW; g.PT = s.PT; g.PL = s.PL;
  const PlaneWindowLayout layout(g);
  std::vector<float> buf(layout.buffer_size()), y(s.N * s.C * s.OH * s.OW);
  for (size_t p = 0; p < s.N * s.C; ++p) {
    layout.fill(x + p * s.H * s.W, -HUGE_VALF, buf.data());
    maxpool_f32__scalar(layout.window(buf.data(), y.data() + p * s.OH * s.OW));
  }
  return y;
}

// Random values with NaN, +-inf and -0/+0 planted; `special` of them (per mille) are special values, and
// with dense = true the others are drawn from {-1, 1} so ties are common.
void fill_special(std::mt19937& rng, float* x, size_t n, unsigned special, bool dense) {
  const float specials[] = {NAN, -NAN, HUGE_VALF, -HUGE_VALF, 0.0f, -0.0f};
  std::uniform_real_distribution<float> d(-2.0f, 2.0f);
  for (size_t i = 0; i < n; ++i) {
    if (rng() % 1000 < special) x[i] = specials[rng() % 6];
    else x[i] = dense ? (rng() % 2 ? 1.0f : -1.0f) : d(rng);
  }
}

// Fast path (every tier, with and without threads) against the window route, bit for bit.
void check_maxpool2x2(const Pool2dShape& s, std::mt19937& rng, ThreadPool* pool, unsigned special,
                      bool dense) {
  const std::string desc = str(s) + check::format(" special=%u dense=%d", special, dense);
  Guarded x(s.N * s.C * s.H * s.W);
  fill_special(rng, x.data(), x.size(), special, dense);
  const std::vector<float> ref = maxpool_window_scalar(s, x.data());
  for (Isa isa : supported_isas())
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), pool}) {
      Guarded y(ref.size());
      for (size_t i = 0; i < y.size(); ++i) y.data()[i] = 777.0f;
      maxpool2d_f32(isa, s, x.data(), y.data(), p);
      long at = -1;
      for (size_t i = 0; i < ref.size() && at < 0; ++i)
        if (tu::bits(ref[i]) != tu::bits(y.data()[i])) at = static_cast<long>(i);
      CHECK(at < 0, "maxpool 2x2 %s tier=%s (%s) threads=%zu: y[%ld]=%a, window route %a", desc.c_str(),
            isa_name(isa), f32_kernels(isa).maxpool2x2_name, p ? p->threads() : 1, at,
            at < 0 ? 0.0 : y.data()[at], at < 0 ? 0.0 : ref[at]);
    }
}

}  // namespace

int main() {
  std::mt19937 rng(99);
  ThreadPool pool(2);
  auto pick = [&](std::initializer_list<size_t> v) { return *(v.begin() + rng() % v.size()); };
  int made = 0;
  while (made < 240) {
    Pool2dShape s;
    s.N = pick({1, 2, 3});
    s.C = pick({1, 3, 8, 9});
    s.KH = pick({1, 2, 3, 5});
    s.KW = rng() % 3 == 0 ? pick({1, 2, 3}) : s.KH;
    s.SH = pick({1, 2, 3});
    s.SW = rng() % 3 == 0 ? pick({1, 2}) : s.SH;
    s.DH = pick({1, 1, 2});
    s.DW = rng() % 3 == 0 ? pick({1, 2}) : s.DH;
    s.PT = rng() % s.KH;
    s.PL = rng() % s.KW;
    s.PB = rng() % s.KH;
    s.PR = rng() % s.KW;
    s.H = 1 + rng() % 20;
    s.W = 1 + rng() % 37;
    const bool ceil_mode = rng() % 2;
    s.OH = out_size(s.H, s.KH, s.SH, s.DH, s.PT, s.PB, ceil_mode);
    s.OW = out_size(s.W, s.KW, s.SW, s.DW, s.PL, s.PR, ceil_mode);
    if (s.OH == 0 || s.OW == 0) continue;
    ++made;
    run_case(s, made % 3, rng, made % 5 == 0 ? &pool : nullptr);
  }
  {
    Pool2dShape s; s.N = 2; s.C = 16; s.H = s.W = 56; s.OH = s.OW = 28; s.KH = s.KW = 3; s.SH = s.SW = 2;
    s.PT = s.PL = s.PB = s.PR = 1;
    for (int k = 0; k < 3; ++k) run_case(s, k, rng, &pool);
  }
  // MaxPool 2x2 stride 2: widths around the 8- and 4-wide tiles, even and odd heights, ceil_mode and
  // bottom/right padding that windows may or may not reach (only the former leaves the fast path).
  int fast = 0, cases = 0;
  for (size_t W : {2, 3, 4, 5, 8, 9, 10, 15, 16, 17, 20, 31, 32, 33})
    for (size_t H : {2, 3, 4, 7, 10})
      for (size_t NC : {1, 3, 17}) {
        Pool2dShape s;
        s.N = NC == 17 ? 1 : NC;
        s.C = NC == 17 ? 17 : 1;
        s.H = H; s.W = W; s.KH = s.KW = 2; s.SH = s.SW = 2;
        const bool ceil_mode = rng() % 4 == 0;
        s.PB = rng() % 3 == 0; s.PR = rng() % 3 == 0;
        s.OH = out_size(s.H, 2, 2, 1, 0, s.PB, ceil_mode);
        s.OW = out_size(s.W, 2, 2, 1, 0, s.PR, ceil_mode);
        fast += 2 * s.OH <= s.H && 2 * s.OW <= s.W;
        ++cases;
        check_maxpool2x2(s, rng, &pool, 150, false);
        check_maxpool2x2(s, rng, &pool, 500, true);
      }
  CHECK(fast >= cases / 2 && fast < cases, "%d of %d 2x2 cases take the fast path", fast, cases);
  // Over 256K outputs, so split over threads (rows and, with odd H, planes).
  for (size_t H : {342, 343}) {
    Pool2dShape s; s.N = 1; s.C = 9; s.H = H; s.W = 343; s.OH = H / 2; s.OW = 171;
    s.KH = s.KW = 2; s.SH = s.SW = 2;
    check_maxpool2x2(s, rng, &pool, 100, false);
  }
  // Global pools: rows around the 8-row groups, lengths around the 8x8 blocks.
  for (size_t NC : {1, 7, 8, 9, 17, 64, 100})
    for (size_t HW : {1, 3, 7, 8, 9, 16, 49, 400}) {
      const auto x = tu::rand_vec(rng, NC * HW, -3.0f, 3.0f);
      for (int k = 0; k < 2; ++k) {
        std::vector<float> ref(NC);
        (k ? global_maxpool_f32 : global_avgpool_f32)(Isa::Scalar, NC, HW, x.data(), ref.data(), nullptr);
        for (size_t r = 0; r < NC; ++r) {
          double acc = k ? -HUGE_VAL : 0.0;
          for (size_t i = 0; i < HW; ++i) acc = k ? std::max<double>(acc, x[r * HW + i]) : acc + x[r * HW + i];
          if (!k) acc /= HW;
          CHECK(tu::close(ref[r], acc, 3.0), "global %s NC=%zu HW=%zu row %zu: %.9g vs %.9g", k ? "max" : "avg", NC,
                HW, r, ref[r], acc);
        }
        for (Isa isa : supported_isas())
          for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
            std::vector<float> got(NC);
            (k ? global_maxpool_f32 : global_avgpool_f32)(isa, NC, HW, x.data(), got.data(), p);
            const long at = tu::first_diff(ref.data(), got.data(), NC);
            CHECK(at < 0, "global %s NC=%zu HW=%zu tier=%s: differs at %ld", k ? "max" : "avg", NC, HW, isa_name(isa), at);
          }
      }
    }
  return check_summary("test_pool");
}
