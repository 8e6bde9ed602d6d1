// Helpers shared by the float convolution tests (test_conv2d, test_conv2d_dw_c8): a shape's name, the
// double-precision references of Conv2dF32 and ConvTranspose2dF32, run_case (scalar tier against the
// reference, every other tier and the threaded runs against scalar bit for bit), output sizes.
#pragma once
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "npuq/kernels.h"
#include "test-util.h"

namespace ct {

using namespace npuq;

inline std::string str(const Conv2dShape& s) {
  return check::format("N=%zu C=%zu H=%zu W=%zu M=%zu OH=%zu OW=%zu K=%zux%zu S=%zux%zu D=%zux%zu P=%zu,%zu G=%zu",
                       s.N, s.C, s.H, s.W, s.M, s.OH, s.OW, s.KH, s.KW, s.SH, s.SW, s.DH, s.DW, s.PT, s.PL, s.G);
}

// Reference in double; scale = sum of |terms| per output.
inline void reference(const Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& w, const float* b,
                      bool act, std::vector<double>& y, std::vector<double>& scale) {
  const size_t Cg = s.C / s.G, Mg = s.M / s.G;
  y.assign(s.N * s.M * s.OH * s.OW, 0.0);
  scale.assign(y.size(), 0.0);
  for (size_t n = 0; n < s.N; ++n)
    for (size_t m = 0; m < s.M; ++m)
      for (size_t oh = 0; oh < s.OH; ++oh)
        for (size_t ow = 0; ow < s.OW; ++ow) {
          const size_t g = m / Mg;
          double acc = b ? b[m] : 0.0, sc = b ? std::fabs(b[m]) : 0.0;
          for (size_t c = 0; c < Cg; ++c)
            for (size_t kh = 0; kh < s.KH; ++kh)
              for (size_t kw = 0; kw < s.KW; ++kw) {
                const long ih = static_cast<long>(oh * s.SH + kh * s.DH) - static_cast<long>(s.PT);
                const long iw = static_cast<long>(ow * s.SW + kw * s.DW) - static_cast<long>(s.PL);
                if (ih < 0 || iw < 0 || ih >= static_cast<long>(s.H) || iw >= static_cast<long>(s.W)) continue;
                const double v = static_cast<double>(x[((n * s.C + g * Cg + c) * s.H + ih) * s.W + iw]) *
                                 w[((m * Cg + c) * s.KH + kh) * s.KW + kw];
                acc += v;
                sc += std::fabs(v);
              }
          if (act) acc = std::min(1.0, std::max(-0.5, acc));
          const size_t i = ((n * s.M + m) * s.OH + oh) * s.OW + ow;
          y[i] = acc;
          scale[i] = sc;
        }
}

inline void reference_t(const Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& w,
                        const float* b, bool act, std::vector<double>& y, std::vector<double>& scale) {
  const size_t Cg = s.C / s.G, Mg = s.M / s.G;
  y.assign(s.N * s.M * s.OH * s.OW, 0.0);
  scale.assign(y.size(), 0.0);
  for (size_t n = 0; n < s.N; ++n)
    for (size_t c = 0; c < s.C; ++c)
      for (size_t ih = 0; ih < s.H; ++ih)
        for (size_t iw = 0; iw < s.W; ++iw)
          for (size_t mm = 0; mm < Mg; ++mm)
            for (size_t kh = 0; kh < s.KH; ++kh)
              for (size_t kw = 0; kw < s.KW; ++kw) {
                const long oh = static_cast<long>(ih * s.SH + kh * s.DH) - static_cast<long>(s.PT);
                const long ow = static_cast<long>(iw * s.SW + kw * s.DW) - static_cast<long>(s.PL);
                if (oh < 0 || ow < 0 || oh >= static_cast<long>(s.OH) || ow >= static_cast<long>(s.OW)) continue;
                const size_t m = (c / Cg) * Mg + mm;
                const double v = static_cast<double>(x[((n * s.C + c) * s.H + ih) * s.W + iw]) *
                                 w[((c * Mg + mm) * s.KH + kh) * s.KW + kw];
                const size_t i = ((n * s.M + m) * s.OH + oh) * s.OW + ow;
                y[i] += v;
                scale[i] += std::fabs(v);
              }
  for (size_t i = 0; i < y.size(); ++i) {
    const size_t m = (i / (s.OH * s.OW)) % s.M;
    if (b) { y[i] += b[m]; scale[i] += std::fabs(b[m]); }
    if (act) y[i] = std::min(1.0, std::max(-0.5, y[i]));
  }
}

template <typename Op>
inline void run_case(const Conv2dShape& s, bool transposed, bool with_bias, bool act, std::mt19937& rng,
                     ThreadPool* pool) {
  const std::string desc = str(s) + (transposed ? " transposed" : "") + (with_bias ? " bias" : "") + (act ? " act" : "");
  const size_t wsize = transposed ? s.C * (s.M / s.G) * s.KH * s.KW : s.M * (s.C / s.G) * s.KH * s.KW;
  const auto x = tu::rand_vec(rng, s.N * s.C * s.H * s.W), w = tu::rand_vec(rng, wsize), b = tu::rand_vec(rng, s.M);
  const Activation a = act ? Activation::clamp(-0.5f, 1.0f) : Activation::none();
  auto run = [&](Isa isa, ThreadPool* p) {
    std::vector<float> y(s.N * s.M * s.OH * s.OW, 777.0f);
    auto op = Op::create(isa, s, w.data(), with_bias ? b.data() : nullptr, a);
    op->run(x.data(), y.data(), p);
    return y;
  };
  const std::vector<float> ref = run(Isa::Scalar, nullptr);
  std::vector<double> yd, sc;
  if (transposed)
    reference_t(s, x, w, with_bias ? b.data() : nullptr, act, yd, sc);
  else
    reference(s, x, w, with_bias ? b.data() : nullptr, act, yd, sc);
  int bad = 0;
  for (size_t i = 0; i < ref.size(); ++i)
    if (!tu::close(ref[i], yd[i], sc[i]) && bad++ < 3)
      CHECK(false, "%s: scalar y[%zu]=%.9g reference %.9g", desc.c_str(), i, ref[i], yd[i]);
  CHECK(bad == 0, "%s: %d outputs off the reference", desc.c_str(), bad);
  for (Isa isa : supported_isas()) {
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), pool}) {
      if (isa == Isa::Scalar && !p) continue;
      const std::vector<float> got = run(isa, p);
      const long at = tu::first_diff(ref.data(), got.data(), ref.size());
      CHECK(at < 0, "%s tier=%s threads=%zu: differs from scalar at %ld: %.9g vs %.9g", desc.c_str(), isa_name(isa),
            p ? p->threads() : 1, at, at < 0 ? 0.0 : got[at], at < 0 ? 0.0 : ref[at]);
    }
  }
}

inline size_t out_size(size_t in, size_t k, size_t s, size_t d, size_t pb, size_t pe) {
  const size_t eff = (k - 1) * d + 1;
  return in + pb + pe < eff ? 0 : (in + pb + pe - eff) / s + 1;
}

}  // namespace ct
