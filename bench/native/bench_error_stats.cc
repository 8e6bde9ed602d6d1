// ErrorStats (the accuracy-analysis probe, native/engine/ops/analysis.cc) on one [16, 24, 16, 16] pair
// ("small": [16, 96, 4, 4], a late layer of the digits models, where per-run overheads show), single
// thread, per ISA tier: the sums alone, with the two 32-bin histograms, with per-channel max, and all
// of it; the test side float32 or int8 (read through scale / zero_point, no dequantized copy).
//   cmake -S . -B build-qbench -DNPUQ_BUILD_BENCH=ON && cmake --build build-qbench -j2 --target bench_error_stats && ./build-qbench/bench_error_stats [relu | relu6 | small]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/ops/ops.h"
#include "engine/plan.h"
#include "npuq/isa.h"

using namespace npuq;

namespace {

AttrValue num(double x) {
  AttrValue v;
  v.number = x;
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  // "relu": half the values 0, as after a ReLU (one histogram bin and one code take half the counts).
  // "relu6": a ReLU6 output as the analysis probes it, [16, 64, 16, 16] (digits_mobilenetv2's widest):
  // a third of the values 0, int8 codes of the grid [0, 6] (zero point -128) off by up to one step,
  // histograms over that grid.
  bool relu = false, small = false, relu6 = false;
  for (int i = 1; i < argc; ++i) {
    relu = relu || std::string(argv[i]) == "relu";
    small = small || std::string(argv[i]) == "small";
    relu6 = relu6 || std::string(argv[i]) == "relu6";
  }
  const size_t N = 16, C = small ? 96 : relu6 ? 64 : 24, H = small ? 4 : 16, W = H, n = N * C * H * W;
  const float scale = relu6 ? 6.0f / 255 : 4.0f / 127;
  const int zp = relu6 ? -128 : 0;
  const double lo = relu6 ? 0 : -4, hi = relu6 ? 6 : 4;
  std::vector<float> a(n), b(n);
  std::vector<int8_t> bq(n);
  std::mt19937 g(1);
  std::uniform_real_distribution<float> u(-2, 2);
  std::uniform_int_distribution<int> step(-1, 1);
  for (size_t i = 0; i < n; ++i) {
    if (relu6) {
      a[i] = std::fmin(6.0f, std::fmax(0.0f, 3 * u(g) + 2));
      bq[i] = int8_t(std::min(127L, std::max(-128L, std::lround(a[i] / scale) + zp + (a[i] > 0 ? step(g) : 0))));
    } else {
      a[i] = relu ? std::fmax(0.0f, u(g)) : u(g);
      bq[i] = int8_t(std::lround(std::fmin(127.f, std::fmax(-128.f, a[i] / scale))));
    }
    b[i] = float(bq[i] - zp) * scale;
  }
  auto bytes = [](const void* p, size_t len) {
    const auto* c = static_cast<const uint8_t*>(p);
    return std::make_shared<std::vector<uint8_t>>(c, c + len);
  };
  printf("%s data, [%zu, %zu, %zu, %zu]\n", relu6 ? "ReLU6 (a third zeros, int8 grid [0, 6])" : relu ? "post-ReLU (half zeros)" : "uniform", N, C, H, W);
  printf("| tier | test | sums | + histograms | + channels | all |\n|---|---|---:|---:|---:|---:|\n");
  for (Isa isa : supported_isas()) {
    for (int integer = 0; integer < 2; ++integer) {
      double ns[4];
      for (int variant = 0; variant < 4; ++variant) {
        const bool hist = variant & 1;
        const size_t ch = (variant & 2) ? C : 0;
        PlanDesc plan;
        TensorDesc ta;
        ta.shape = {int64_t(N), int64_t(C), int64_t(H), int64_t(W)};
        ta.numel = n;
        ta.bytes = n * 4;
        ta.is_const = true;
        ta.data = bytes(a.data(), n * 4);
        TensorDesc tb = ta;
        if (integer) {
          tb.dtype = DType::Int8;
          tb.bytes = n;
          tb.data = bytes(bq.data(), n);
        } else {
          tb.data = bytes(b.data(), n * 4);
        }
        TensorDesc to;
        to.dtype = DType::Float64;
        to.numel = 16 + 64 + ch;
        to.shape = {int64_t(to.numel)};
        to.bytes = to.numel * 8;
        plan.tensors = {ta, tb, to};
        NodeDesc nd;
        nd.op = "ErrorStats";
        nd.name = "p";
        nd.inputs = {0, 1};
        nd.outputs = {2};
        nd.attrs.values["bins"] = num(32);
        nd.attrs.values["channels"] = num(double(ch));
        if (hist) {
          nd.attrs.values["lo"] = num(lo);
          nd.attrs.values["hi"] = num(hi);
        }
        if (integer) {
          nd.attrs.values["scale"] = num(scale);
          nd.attrs.values["zero_point"] = num(zp);
        }
        plan.nodes = {nd};
        OpBuild ob(plan, plan.nodes[0], isa);
        auto op = (*find_op("ErrorStats"))(ob);
        std::vector<uint8_t> arena(to.bytes + 64);
        RunState rs(plan, arena.data(), nullptr);
        op->run(rs);
        const int R = 300;
        auto t0 = std::chrono::steady_clock::now();
        for (int r = 0; r < R; ++r) op->run(rs);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / R;
        ns[variant] = ms * 1e6 / double(n);
      }
      printf("| %s | %s | %.2f | %.2f | %.2f | %.2f |\n", isa_name(isa), integer ? "int8" : "float32", ns[0], ns[1], ns[2], ns[3]);
    }
  }
  printf("(ns per element pair)\n");
}
