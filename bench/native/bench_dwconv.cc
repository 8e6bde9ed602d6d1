// Depthwise convolution shapes of the small models (digits_mobilenetv2, digits_cnn's 1-channel stem) through
// Conv2dF32, one thread: ns per call, GFLOP/s and instructions are best measured with
//   valgrind --tool=callgrind ./bench_dwconv FILTER TIER 200
// (a fixed number of calls), wall time without the count argument.
// Usage: bench_dwconv [filter [tier [calls]]]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "npuq/kernels.h"

using namespace npuq;

namespace {

struct Case {
  const char* name;
  size_t N, C, M, H, W, K, S, P;
};

double best_seconds(const std::function<void()>& fn) {
  using clk = std::chrono::steady_clock;
  fn();
  size_t reps = 1;
  for (;;) {
    auto t0 = clk::now();
    for (size_t i = 0; i < reps; ++i) fn();
    if (std::chrono::duration<double>(clk::now() - t0).count() > 0.05) break;
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
  const char* filter = argc > 1 ? argv[1] : "";
  const char* tier = argc > 2 ? argv[2] : "";
  const long calls = argc > 3 ? std::atol(argv[3]) : 0;
  const Case cases[] = {
      {"mnv2 stem 1->16 32x32 s2", 1, 1, 16, 32, 32, 3, 2, 1},
      {"mnv2 dw 48 16x16 s1", 1, 48, 48, 16, 16, 3, 1, 1},
      {"mnv2 dw 64 16x16 s2", 1, 64, 64, 16, 16, 3, 2, 1},
      {"mnv2 dw 96 8x8 s1", 1, 96, 96, 8, 8, 3, 1, 1},
      {"mnv2 dw 96 8x8 s2", 1, 96, 96, 8, 8, 3, 2, 1},
      {"mnv2 dw 160 4x4 s1", 1, 160, 160, 4, 4, 3, 1, 1},
      {"cnn stem 1->16 20x20 s1", 1, 1, 16, 20, 20, 3, 1, 1},
      {"dw 96 24x24 s1", 1, 96, 96, 24, 24, 3, 1, 1},
      {"dw 96 32x32 s1", 1, 96, 96, 32, 32, 3, 1, 1},
      {"dw 96 32x32 s2", 1, 96, 96, 32, 32, 3, 2, 1},
      {"dw 96 40x40 s1", 1, 96, 96, 40, 40, 3, 1, 1},
      {"dw 144 56x56 s1", 1, 144, 144, 56, 56, 3, 1, 1},
      {"dw 5x5 96 40x40 s1", 1, 96, 96, 40, 40, 5, 1, 2},
  };
  for (Isa isa : supported_isas()) {
    if (*tier && std::strcmp(tier, isa_name(isa)) != 0) continue;
    for (const Case& c : cases) {
      if (!std::strstr(c.name, filter)) continue;
      Conv2dShape s;
      s.N = c.N; s.C = c.C; s.G = c.C; s.M = c.M; s.H = c.H; s.W = c.W; s.KH = s.KW = c.K; s.SH = s.SW = c.S;
      s.PT = s.PL = c.P;
      s.OH = (c.H + 2 * c.P - c.K) / c.S + 1;
      s.OW = (c.W + 2 * c.P - c.K) / c.S + 1;
      std::mt19937 rng(1);
      std::uniform_real_distribution<float> d(-1.0f, 1.0f);
      std::vector<float> x(s.N * s.C * s.H * s.W), w(s.M * s.KH * s.KW), b(s.M), y(s.N * s.M * s.OH * s.OW);
      for (auto* v : {&x, &w, &b})
        for (auto& e : *v) e = d(rng);
      auto op = Conv2dF32::create(isa, s, w.data(), b.data(), Activation::clamp(0.0f, 6.0f));
      auto run = [&] { op->run(x.data(), y.data(), nullptr); };
      if (calls > 0) {
        for (long i = 0; i < calls; ++i) run();
        std::printf("%-28s %-7s %ld calls\n", c.name, isa_name(isa), calls);
        continue;
      }
      const double t = best_seconds(run);
      const double flop = 2.0 * s.N * s.M * s.OH * s.OW * s.KH * s.KW;
      std::printf("%-28s %-7s %9.0f ns  %6.2f GFLOP/s\n", c.name, isa_name(isa), t * 1e9, flop / t * 1e-9);
    }
  }
  return 0;
}
