// Float32 kernel benchmarks: GFLOP/s of sgemm and typical convolutions per tier, 1 and 2 threads.
// Usage: bench_kernels [filter [tier]]   (only cases whose name contains filter; only that tier)
#include <algorithm>
#include <array>
#include <deque>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "npuq/kernels.h"

using namespace npuq;

namespace {

std::vector<float> rand_vec(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Best time per call in seconds: repeats until ~0.4 s total, keeps the fastest of 5 batches.
double time_it(const std::function<void()>& fn) {
  using clk = std::chrono::steady_clock;
  fn();
  size_t reps = 1;
  for (;;) {
    auto t0 = clk::now();
    for (size_t i = 0; i < reps; ++i) fn();
    double dt = std::chrono::duration<double>(clk::now() - t0).count();
    if (dt > 0.08) break;
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

void report(const char* name, Isa isa, size_t threads, double flops, double sec) {
  std::printf("%-34s %-8s threads=%zu  %9.3f ms  %7.2f GFLOP/s\n", name, isa_name(isa), threads, sec * 1e3,
              flops / sec * 1e-9);
  std::fflush(stdout);
}

struct ConvCase {
  const char* name;
  Conv2dShape s;
};

}  // namespace

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : "";
  const std::string tier = argc > 2 ? argv[2] : "";
  ThreadPool pool2(2);
  ThreadPool* pools[] = {nullptr, &pool2};
  for (Isa isa : supported_isas()) {
    if (!tier.empty() && tier != isa_name(isa)) continue;
    for (ThreadPool* pool : pools) {
      const size_t threads = pool ? pool->threads() : 1;
      for (size_t n : {256, 512, 1024}) {
        std::string name = "sgemm " + std::to_string(n) + "^3";
        if (!strstr(name.c_str(), filter)) continue;
        auto A = rand_vec(n * n, 1), B = rand_vec(n * n, 2);
        std::vector<float> C(n * n);
        SgemmArgs a;
        a.M = a.N = a.K = n;
        a.A = A.data(); a.lda = n; a.B = B.data(); a.ldb = n; a.C = C.data(); a.ldc = n;
        report(name.c_str(), isa, threads, 2.0 * n * n * n, time_it([&] { sgemm(isa, a, pool); }));
        PackedB pb = sgemm_pack_b(isa, B.data(), n, false, n, n);
        a.packedB = &pb;
        name += " packedB";
        report(name.c_str(), isa, threads, 2.0 * n * n * n, time_it([&] { sgemm(isa, a, pool); }));
      }
      // digits_cnn's classifier at batch 64 and at the 32-row chunks of a 2-thread split: few rows, long K.
      for (size_t m : {64, 32}) {
        const size_t n = 64, k = 1600;
        std::string name = "sgemm " + std::to_string(m) + "x" + std::to_string(k) + "x" + std::to_string(n) + " packedB";
        if (!strstr(name.c_str(), filter)) continue;
        auto A = rand_vec(m * k, 1), B = rand_vec(n * k, 2);
        std::vector<float> C(m * n);
        SgemmArgs a;
        a.M = m; a.N = n; a.K = k;
        a.A = A.data(); a.lda = k; a.B = B.data(); a.ldb = k; a.transB = true; a.C = C.data(); a.ldc = n;
        PackedB pb = sgemm_pack_b(isa, B.data(), k, true, k, n);
        a.packedB = &pb;
        report(name.c_str(), isa, threads, 2.0 * m * n * k, time_it([&] { sgemm(isa, a, pool); }));
      }
      std::vector<ConvCase> convs;
      {
        Conv2dShape s; s.C = 64; s.H = s.W = 56; s.M = 64; s.OH = s.OW = 56; s.KH = s.KW = 3; s.PT = s.PL = 1;
        convs.push_back({"conv 3x3 64->64 56x56", s});
      }
      {
        Conv2dShape s; s.C = 128; s.H = s.W = 28; s.M = 128; s.OH = s.OW = 28;
        convs.push_back({"conv 1x1 128->128 28x28", s});
      }
      {
        Conv2dShape s; s.C = 144; s.H = s.W = 56; s.M = 144; s.G = 144; s.OH = s.OW = 56; s.KH = s.KW = 3;
        s.PT = s.PL = 1;
        convs.push_back({"dwconv 3x3 144ch 56x56", s});
      }
      {
        Conv2dShape s; s.C = 3; s.H = s.W = 640; s.M = 16; s.OH = s.OW = 320; s.KH = s.KW = 3; s.SH = s.SW = 2;
        s.PT = s.PL = 1;
        convs.push_back({"conv 3x3 s2 3->16 640x640", s});
      }
      {
        Conv2dShape s; s.C = 120; s.H = s.W = 40; s.M = 120; s.G = 120; s.OH = s.OW = 20; s.KH = s.KW = 5;
        s.SH = s.SW = 2; s.PT = s.PL = 2;
        convs.push_back({"dwconv 5x5 s2 120ch 40x40", s});
      }
      // The digits CNN's convolutions at batch 64: small maps, where im2col and edge tiles dominate.
      for (const auto& d : {std::array<size_t, 3>{1, 16, 20}, std::array<size_t, 3>{16, 32, 10},
                            std::array<size_t, 3>{32, 64, 5}}) {
        Conv2dShape s; s.N = 64; s.C = d[0]; s.M = d[1]; s.H = s.W = s.OH = s.OW = d[2]; s.KH = s.KW = 3;
        s.PT = s.PL = 1;
        static std::deque<std::string> names;  // stable c_str() for ConvCase::name
        names.push_back("conv 3x3 " + std::to_string(d[0]) + "->" + std::to_string(d[1]) + " " +
                        std::to_string(d[2]) + "x" + std::to_string(d[2]) + " n64");
        convs.push_back({names.back().c_str(), s});
      }
      {  // digits_shufflenet's and digits_mobilenetv2's stems at batch 64 (conv_rows: rows of 32 and 16)
        Conv2dShape s; s.N = 64; s.C = 1; s.M = 16; s.H = s.W = s.OH = s.OW = 32; s.KH = s.KW = 3; s.PT = s.PL = 1;
        convs.push_back({"conv 3x3 1->16 32x32 n64", s});
        s.SH = s.SW = 2; s.OH = s.OW = 16;
        convs.push_back({"conv 3x3 s2 1->16 32x32 n64", s});
      }
      {  // the largest depth conv_rows takes: 3 channels x 3x3 = 27 taps, stride 1
        Conv2dShape s; s.C = 3; s.M = 16; s.H = s.W = s.OH = s.OW = 160; s.KH = s.KW = 3; s.PT = s.PL = 1;
        convs.push_back({"conv 3x3 3->16 160x160", s});
      }
      // digits_mobilenetv2's depthwise convolutions at batch 64: small maps, 8 channels per vector.
      for (const auto& d : {std::array<size_t, 3>{48, 16, 1}, std::array<size_t, 3>{96, 8, 2},
                            std::array<size_t, 3>{160, 4, 1}}) {
        Conv2dShape s; s.N = 64; s.C = s.G = s.M = d[0]; s.H = s.W = d[1]; s.OH = s.OW = (d[1] - 1) / d[2] + 1;
        s.KH = s.KW = 3; s.SH = s.SW = d[2]; s.PT = s.PL = 1;
        static std::deque<std::string> dw_names;  // stable c_str() for ConvCase::name
        dw_names.push_back("dwconv 3x3 s" + std::to_string(d[2]) + " " + std::to_string(d[0]) + "ch " +
                           std::to_string(d[1]) + "x" + std::to_string(d[1]) + " n64");
        convs.push_back({dw_names.back().c_str(), s});
      }
      {  // the float twins of bench_qkernels' digits_mobilenetv2 cases (16 images, the analysis batch)
        Conv2dShape s; s.N = 16; s.C = 16; s.M = 64; s.H = s.W = s.OH = s.OW = 16;
        convs.push_back({"conv 1x1 16->64 16x16 x16", s});
        s.C = 64; s.M = 24; s.H = s.W = s.OH = s.OW = 8;
        convs.push_back({"conv 1x1 64->24 8x8 x16", s});
        s.C = s.M = s.G = 48; s.H = s.W = s.OH = s.OW = 16; s.KH = s.KW = 3; s.PT = s.PL = 1;
        convs.push_back({"dwconv 3x3 48ch 16x16 x16", s});
      }
      for (const ConvCase& cc : convs) {
        if (!strstr(cc.name, filter)) continue;
        const Conv2dShape& s = cc.s;
        auto x = rand_vec(s.N * s.C * s.H * s.W, 3);
        auto w = rand_vec(s.M * (s.C / s.G) * s.KH * s.KW, 4);
        auto b = rand_vec(s.M, 5);
        std::vector<float> y(s.N * s.M * s.OH * s.OW);
        auto conv = Conv2dF32::create(isa, s, w.data(), b.data(), Activation::clamp(0.0f, 6.0f));
        const double flops = 2.0 * s.N * s.M * s.OH * s.OW * (s.C / s.G) * s.KH * s.KW;
        report(cc.name, isa, threads, flops, time_it([&] { conv->run(x.data(), y.data(), pool); }));
      }
      // MaxPool 2x2 stride 2 (the digits CNN's two at batch 64, and a large map); "GFLOP/s" counts the
      // four compares per output.
      for (const auto& d : {std::array<size_t, 4>{64, 16, 20, 20}, std::array<size_t, 4>{64, 32, 10, 10},
                            std::array<size_t, 4>{1, 64, 112, 112}}) {
        Pool2dShape s; s.N = d[0]; s.C = d[1]; s.H = d[2]; s.W = d[3]; s.OH = s.H / 2; s.OW = s.W / 2;
        s.KH = s.KW = s.SH = s.SW = 2;
        const std::string name = "maxpool 2x2 s2 " + std::to_string(d[0]) + "x" + std::to_string(d[1]) + "x" +
                                 std::to_string(d[2]) + "x" + std::to_string(d[3]);
        if (!strstr(name.c_str(), filter)) continue;
        auto x = rand_vec(s.N * s.C * s.H * s.W, 6);
        std::vector<float> y(s.N * s.C * s.OH * s.OW);
        report(name.c_str(), isa, threads, 4.0 * y.size(),
               time_it([&] { maxpool2d_f32(isa, s, x.data(), y.data(), pool); }));
      }
    }
  }
  return 0;
}
