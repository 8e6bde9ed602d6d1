// Statistics kernel benchmarks: ns per element of minmax_f32, abs_histogram_f32 and
// signed_histogram_f32 per tier, on data
// shaped like activations (normal values; ReLU outputs with about half zeros; a constant tensor).
// Usage: bench_stats [filter [tier]]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "npuq/stats.h"

using namespace npuq;

namespace {

// Best time per call in seconds: repeats until ~0.08 s, keeps the fastest of 5 batches.
double time_it(const std::function<void()>& fn) {
  using clk = std::chrono::steady_clock;
  fn();
  size_t reps = 1;
  for (;;) {
    auto t0 = clk::now();
    for (size_t i = 0; i < reps; ++i) fn();
    if (std::chrono::duration<double>(clk::now() - t0).count() > 0.08) break;
    reps *= 2;
  }
  double best = 1e30;
  for (int b = 0; b < 5; ++b) {
    auto t0 = clk::now();
    for (size_t i = 0; i < reps; ++i) fn();
    best = std::min(best, std::chrono::duration<double>(clk::now() - t0).count() / reps);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string filter = argc > 1 ? argv[1] : "";
  Isa only = Isa::Scalar;
  const bool one_tier = argc > 2 && parse_isa(argv[2], &only);
  const size_t n = size_t(1) << 18;  // 1 MiB of floats: an L2-resident activation
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> normal(n), relu(n), flat(n, 0.25f);
  for (size_t i = 0; i < n; ++i) {
    normal[i] = nd(rng);
    relu[i] = std::max(0.0f, nd(rng));
  }
  struct Case { const char* name; const std::vector<float>* x; };
  const Case cases[] = {{"normal", &normal}, {"relu", &relu}, {"constant", &flat}};
  std::vector<uint64_t> counts(2 * 2048);
  for (Isa isa : supported_isas()) {
    if (one_tier && isa != only) continue;
    for (const Case& c : cases) {
      const std::string mm = std::string("minmax ") + c.name, hist = std::string("histogram2048 ") + c.name;
      const std::string shist = std::string("signed_histogram2048 ") + c.name;
      if (mm.find(filter) != std::string::npos) {
        const double s = time_it([&] { volatile float sink = minmax_f32(isa, n, c.x->data()).max; (void)sink; });
        std::printf("%-26s %-8s %7.3f ns/element\n", mm.c_str(), isa_name(isa), s / double(n) * 1e9);
      }
      if (hist.find(filter) != std::string::npos) {
        const double s = time_it([&] { abs_histogram_f32(isa, n, c.x->data(), 2048, 8.0, counts.data()); });
        std::printf("%-26s %-8s %7.3f ns/element\n", hist.c_str(), isa_name(isa), s / double(n) * 1e9);
      }
      if (shist.find(filter) != std::string::npos) {
        const double s = time_it([&] { signed_histogram_f32(isa, n, c.x->data(), 2048, 8.0, 4.0, counts.data()); });
        std::printf("%-26s %-8s %7.3f ns/element\n", shist.c_str(), isa_name(isa), s / double(n) * 1e9);
      }
    }
  }
  return 0;
}
