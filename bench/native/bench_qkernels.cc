// Integer kernel benchmarks: GMAC/s of QGemm and QConv2d (u8 activations x s8 weights, exact int32
// accumulation, per-channel FloatScale requantization to u8) per tier, 1 and 2 threads; and the
// requantization kernel alone (int32 -> s8, per method, one channel per run or one per element) in
// Gelem/s, 1 thread. Never run under qemu (bench/README.md).
// Usage: bench_qkernels [filter [tier]]   (only cases whose name contains filter; only that tier)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kernels/requant/requant-internal.h"
#include "npuq/qkernels.h"

using namespace npuq;

namespace {

std::vector<uint8_t> rand_bytes(size_t n, unsigned seed, int lo, int hi) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<uint8_t> v(n);
  for (auto& x : v) x = static_cast<uint8_t>(d(rng));
  return v;
}

// int16 values around 0 (sigma 2000) as bytes: calibrated 16-bit tensors use their full range only at
// their extremes, so the int64 sums of a 3x3 depthwise layer mostly fit int32 (the narrowed requant).
std::vector<uint8_t> rand_s16(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d(0.0, 2000.0);
  std::vector<uint8_t> v(n * 2);
  for (size_t i = 0; i < n; ++i) {
    const int16_t x = int16_t(std::max(-32768.0, std::min(32767.0, std::round(d(rng)))));
    std::memcpy(&v[2 * i], &x, 2);
  }
  return v;
}

// Best time per call in seconds: repeats until ~0.08 s per batch, keeps the fastest of 5 batches.
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

void report(const char* name, Isa isa, size_t threads, double macs, double sec) {
  std::printf("%-32s %-8s threads=%zu  %9.3f ms  %7.2f GMAC/s\n", name, isa_name(isa), threads, sec * 1e3,
              macs / sec * 1e-9);
  std::fflush(stdout);
}

Requant per_channel_float(size_t channels) {
  Requant r;
  r.method = RequantMethod::FloatScale;
  r.round = Round::HalfToEven;
  r.per_channel = true;
  for (size_t c = 0; c < channels; ++c) r.scale.push_back(0.0005f + 0.00001f * float(c % 7));
  r.zero_point = 0;
  r.qmin = 0;
  r.qmax = 255;  // fused Relu
  return r;
}

// Per-channel parameters of each method for `channels` channels, about scale 2^-10 (TPU-MLIR-like: a
// 32-bit multiplier near 2^30 with its shift, half up; ShiftOnly a plain shift).
Requant requant_of(RequantMethod m, size_t channels) {
  Requant r;
  r.method = m;
  r.round = m == RequantMethod::FloatScale ? Round::HalfToEven : m == RequantMethod::FixedPointDouble ||
            m == RequantMethod::FixedPointSingle ? Round::HalfAwayFromZero : Round::HalfUp;
  r.per_channel = true;
  for (size_t c = 0; c < channels; ++c) {
    const double s = std::ldexp(1.0 + 0.01 * double(c % 7), -10);
    int32_t M = 0;
    int sh = 0;
    switch (m) {
      case RequantMethod::FloatScale: r.scale.push_back(float(s)); break;
      case RequantMethod::FixedPointDouble:
      case RequantMethod::FixedPointSingle:
        quantize_multiplier(s, &M, &sh);
        r.multiplier.push_back(M);
        r.shift.push_back(sh);
        break;
      case RequantMethod::MultiplierShift:
      case RequantMethod::MultiplierShiftFloat:
        r.multiplier.push_back(int32_t(std::lround(s * std::ldexp(1.0, 40))));
        r.shift.push_back(40);
        break;
      case RequantMethod::ShiftOnly: r.shift.push_back(10); break;
    }
  }
  r.zero_point = 0;
  r.qmin = -128;
  r.qmax = 127;
  return r;
}

void bench_requant(Isa isa, const char* filter) {
  const char* names[] = {"FloatScale", "FixedPointDouble", "FixedPointSingle", "MultiplierShift", "MultiplierShiftFloat",
                         "ShiftOnly"};
  const size_t n = 1 << 16;
  std::mt19937 rng(5);
  std::uniform_int_distribution<int32_t> d(-200000, 200000);
  std::vector<int32_t> acc(n);
  for (auto& v : acc) v = d(rng);
  std::vector<int8_t> y(n);
  const QKernels& k = q_kernels(isa);
  for (int m = 0; m <= int(RequantMethod::ShiftOnly); ++m) {
    for (size_t stride : {0, 1}) {
      const std::string name = std::string("requant ") + names[m] + (stride ? " per-elem" : " per-run");
      if (!strstr(name.c_str(), filter)) continue;
      const Requant r = requant_of(RequantMethod(m), stride ? n : 1);
      const QRequantTable t = make_requant_table("bench", r, stride ? n : 1, QType::S8);
      const QRequantArgs a = t.args(0, stride, nullptr);
      const double sec = time_it([&] { k.requant(a, acc.data(), n, y.data()); });
      std::printf("%-32s %-8s threads=1  %9.3f us  %7.2f Gelem/s\n", name.c_str(), isa_name(isa), sec * 1e6, n / sec * 1e-9);
      std::fflush(stdout);
    }
  }
}

// Elementwise Add and Mul of two int8 tensors as QDQ graphs have them (float scales, half to even),
// 64K elements (PP-OCR det's hardswish and residual nodes are 0.1-1.6M).
void bench_qbinary(Isa isa, const char* filter) {
  const size_t n = 1 << 16;
  std::mt19937 rng(6);
  std::vector<int8_t> a(n), b(n), y(n);
  for (size_t i = 0; i < n; ++i) {
    a[i] = int8_t(rng());
    b[i] = int8_t(rng());
  }
  for (QBinaryOp op : {QBinaryOp::Add, QBinaryOp::Mul}) {
    const std::string name = std::string("qbinary ") + (op == QBinaryOp::Add ? "add" : "mul") + " s8 float scale";
    if (!strstr(name.c_str(), filter)) continue;
    const QBinaryParams p = qbinary_params_qdq(op, QType::S8, 0.021f, -3, QType::S8, 0.034f, 5, QType::S8, 0.05f, 1, Round::HalfToEven);
    const QBinaryKernel k(isa, p, 1, 1);
    const double sec = time_it([&] { k.run(n, a.data(), b.data(), y.data()); });
    std::printf("%-32s %-8s threads=1  %9.3f us  %7.2f Gelem/s\n", name.c_str(), isa_name(isa), sec * 1e6, n / sec * 1e-9);
    std::fflush(stdout);
  }
}

// QuantizeLinear of 64K floats (normal, sd 1) to s8 at a scale that is not a power of two, as the
// analysis graph quantizes every layer's float inputs for its individual copies.
void bench_quantize(Isa isa, const char* filter) {
  const size_t n = 1 << 16;
  std::mt19937 rng(7);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = d(rng);
  std::vector<int8_t> y(n);
  for (Round r : {Round::HalfToEven, Round::HalfAwayFromZero}) {
    const std::string name = std::string("quantize s8 ") + (r == Round::HalfToEven ? "half-even" : "half-away");
    if (!strstr(name.c_str(), filter)) continue;
    const double sec = time_it([&] { quantize_f32(isa, n, x.data(), 4.1f / 127, -3, r, QType::S8, y.data()); });
    std::printf("%-32s %-8s threads=1  %9.3f us  %7.2f Gelem/s\n", name.c_str(), isa_name(isa), sec * 1e6, n / sec * 1e-9);
    std::fflush(stdout);
  }
}

struct ConvCase {
  const char* name;
  QConv2dParams p;
};

}  // namespace

int main(int argc, char** argv) {
  const char* filter = argc > 1 ? argv[1] : "";
  const std::string tier = argc > 2 ? argv[2] : "";
  ThreadPool pool2(2);
  ThreadPool* pools[] = {nullptr, &pool2};
  std::vector<ConvCase> convs;
  {
    QConv2dParams p;
    p.C = 64; p.H = p.W = 56; p.M = 64; p.OH = p.OW = 56; p.KH = p.KW = 3; p.PT = p.PL = 1;
    convs.push_back({"qconv 3x3 64->64 56x56", p});
  }
  {
    QConv2dParams p;
    p.C = 128; p.H = p.W = 28; p.M = 128; p.OH = p.OW = 28;
    convs.push_back({"qconv 1x1 128->128 28x28", p});
  }
  {  // digits_cnn's second and third convolutions at the analysis batch (16 images of 10x10 and 5x5)
    QConv2dParams p;
    p.N = 16; p.C = 16; p.H = p.W = 10; p.M = 32; p.OH = p.OW = 10; p.KH = p.KW = 3; p.PT = p.PL = 1;
    convs.push_back({"qconv 3x3 16->32 10x10 x16", p});
    p.C = 32; p.H = p.W = 5; p.M = 64; p.OH = p.OW = 5;
    convs.push_back({"qconv 3x3 32->64 5x5 x16", p});
  }
  {  // a squeeze-excitation 1x1 on 1x1 maps and an expansion 1x1 on 8x8 (digits_mobilenetv2, 16 images)
    QConv2dParams p;
    p.N = 16; p.C = 24; p.H = p.W = 1; p.M = 96; p.OH = p.OW = 1;
    convs.push_back({"qconv 1x1 24->96 1x1 x16", p});
    p.C = 16; p.H = p.W = 8; p.M = 64; p.OH = p.OW = 8;
    convs.push_back({"qconv 1x1 16->64 8x8 x16", p});
    p.H = p.W = p.OH = p.OW = 16;  // digits_mobilenetv2's second expansion, on 16x16 maps
    convs.push_back({"qconv 1x1 16->64 16x16 x16", p});
    p.C = 64; p.M = 24; p.H = p.W = p.OH = p.OW = 8;  // its projection
    convs.push_back({"qconv 1x1 64->24 8x8 x16", p});
    p.C = p.M = p.G = 48; p.H = p.W = p.OH = p.OW = 16; p.KH = p.KW = 3; p.PT = p.PL = 1;  // its first depthwise
    convs.push_back({"qdwconv 3x3 48ch 16x16 x16", p});
  }
  {
    QConv2dParams p;
    p.C = 144; p.H = p.W = 56; p.M = 144; p.G = 144; p.OH = p.OW = 56; p.KH = p.KW = 3; p.PT = p.PL = 1;
    convs.push_back({"qdwconv 3x3 144ch 56x56", p});
  }
  for (ConvCase& cc : convs) {
    cc.p.in_type = QType::U8;
    cc.p.w_type = QType::S8;
    cc.p.out_type = QType::U8;
    cc.p.in_zp = 128;
    cc.p.w_zp = {0};
    cc.p.bias.assign(cc.p.M, 1000);
    cc.p.requant = per_channel_float(cc.p.M);
  }
  {  // 16-bit activations and weights (the int16 profiles, hybrid int16 layers): int64 depthwise sums
    ConvCase cc = convs.back();
    cc.name = "qdwconv s16 3x3 144ch 56x56";
    cc.p.in_type = cc.p.w_type = QType::S16;
    cc.p.out_type = QType::S16;
    cc.p.in_zp = 0;
    cc.p.requant.qmin = 0;
    cc.p.requant.qmax = 32767;
    convs.push_back(cc);
  }
  for (Isa isa : supported_isas()) {
    if (!tier.empty() && tier != isa_name(isa)) continue;
    bench_requant(isa, filter);
    bench_qbinary(isa, filter);
    bench_quantize(isa, filter);
    for (ThreadPool* pool : pools) {
      const size_t threads = pool ? pool->threads() : 1;
      for (size_t n : {512, 1024}) {
        const std::string name = "qgemm u8s8 " + std::to_string(n) + "^3";
        if (!strstr(name.c_str(), filter)) continue;
        QGemmParams p;
        p.M = p.N = p.K = n;
        p.a_type = QType::U8; p.b_type = QType::S8; p.out_type = QType::U8;
        p.a_zp = 128; p.b_zp = {0};
        p.bias.assign(n, 1000);
        p.requant = per_channel_float(n);
        const auto A = rand_bytes(n * n, 1, 0, 255), B = rand_bytes(n * n, 2, 0, 255);
        std::vector<uint8_t> Y(n * n);
        auto g = QGemm::create(isa, p, B.data());
        report(name.c_str(), isa, threads, double(n) * n * n, time_it([&] { g->run(A.data(), Y.data(), pool); }));
      }
      for (const ConvCase& cc : convs) {
        if (!strstr(cc.name, filter)) continue;
        const QConv2dParams& p = cc.p;
        const auto x = p.in_type == QType::S16 ? rand_s16(p.N * p.C * p.H * p.W, 3)
                                               : rand_bytes(p.N * p.C * p.H * p.W, 3, 0, 255);
        const auto w = p.w_type == QType::S16 ? rand_s16(p.M * (p.C / p.G) * p.KH * p.KW, 4)
                                              : rand_bytes(p.M * (p.C / p.G) * p.KH * p.KW, 4, 0, 255);
        std::vector<uint8_t> y(p.N * p.M * p.OH * p.OW * qtype_size(p.out_type));
        auto conv = QConv2d::create(isa, p, w.data());
        const double macs = double(p.N) * p.M * p.OH * p.OW * (p.C / p.G) * p.KH * p.KW;
        report(cc.name, isa, threads, macs, time_it([&] { conv->run(x.data(), y.data(), pool); }));
      }
    }
  }
  return 0;
}
