// ErrorStats (the accuracy-analysis probe, native/engine/ops/analysis.cc) on one [16, 24, 16, 16] pair:
// the sums alone, with the two 32-bin histograms, with per-channel max, and both. Single thread.
//   cmake -S . -B build-qbench -DNPUQ_BUILD_BENCH=ON && cmake --build build-qbench -j2 --target bench_error_stats && ./build-qbench/bench_error_stats
// Measured (Zen 2, quiet): sums 0.57 ns/element, + histograms 1.67, + channels 0.75, all 1.86.
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>
#include <memory>
#include "engine/ops/ops.h"
#include "engine/plan.h"
using namespace npuq;
int main() {
  const size_t N = 16, C = 24, H = 16, W = 16, n = N * C * H * W;
  std::vector<float> a(n), b(n);
  std::mt19937 g(1); std::uniform_real_distribution<float> u(-2, 2);
  for (size_t i = 0; i < n; ++i) { a[i] = u(g); b[i] = a[i] + u(g) * 0.01f; }
  for (int variant = 0; variant < 4; ++variant) {
    PlanDesc plan;
    TensorDesc ta; ta.shape = {int64_t(N), int64_t(C), int64_t(H), int64_t(W)}; ta.numel = n; ta.bytes = n * 4; ta.is_const = true;
    ta.data = std::make_shared<std::vector<uint8_t>>((uint8_t*)a.data(), (uint8_t*)(a.data() + n));
    TensorDesc tb = ta; tb.data = std::make_shared<std::vector<uint8_t>>((uint8_t*)b.data(), (uint8_t*)(b.data() + n));
    bool hist = variant & 1; size_t ch = (variant & 2) ? C : 0;
    TensorDesc to; to.dtype = DType::Float64; to.shape = {int64_t(16 + 64 + ch)}; to.numel = 16 + 64 + ch; to.bytes = to.numel * 8; to.offset = 0;
    plan.tensors = {ta, tb, to};
    NodeDesc nd; nd.op = "ErrorStats"; nd.name = "p"; nd.inputs = {0, 1}; nd.outputs = {2};
    { AttrValue v; v.number = 32; nd.attrs.values["bins"] = v; } { AttrValue v; v.number = double(ch); nd.attrs.values["channels"] = v; }
    if (hist) { AttrValue v; v.number = -4; nd.attrs.values["lo"] = v; v.number = 4; nd.attrs.values["hi"] = v; }
    plan.nodes = {nd};
    OpBuild ob(plan, plan.nodes[0], Isa::Scalar);
    auto op = (*find_op("ErrorStats"))(ob);
    std::vector<uint8_t> arena(to.bytes + 64);
    RunState rs(plan, arena.data(), nullptr);
    op->run(rs);
    auto t0 = std::chrono::steady_clock::now();
    const int R = 300;
    for (int r = 0; r < R; ++r) op->run(rs);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / R;
    printf("hist %d ch %zu: %.3f ms, %.2f ns/elem\n", hist, ch, ms, ms * 1e6 / n);
  }
}
