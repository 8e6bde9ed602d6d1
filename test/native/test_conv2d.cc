// Conv2dF32 / ConvTranspose2dF32: scalar tier against a double-precision reference, every other tier and
// the threaded runs against scalar bit for bit; create() argument validation.
#include <stdexcept>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/conv-internal.h"
#include "kernels/conv/plane-window.h"
#include "test-util.h"

using namespace npuq;

namespace {

std::string str(const Conv2dShape& s) {
  return check::format("N=%zu C=%zu H=%zu W=%zu M=%zu OH=%zu OW=%zu K=%zux%zu S=%zux%zu D=%zux%zu P=%zu,%zu G=%zu",
                       s.N, s.C, s.H, s.W, s.M, s.OH, s.OW, s.KH, s.KW, s.SH, s.SW, s.DH, s.DW, s.PT, s.PL, s.G);
}

// Reference in double; scale = sum of |terms| per output.
void reference(const Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& w, const float* b,
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

void reference_t(const Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& w, const float* b,
                 bool act, std::vector<double>& y, std::vector<double>& scale) {
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
void run_case(const Conv2dShape& s, bool transposed, bool with_bias, bool act, std::mt19937& rng, ThreadPool* pool) {
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

size_t out_size(size_t in, size_t k, size_t s, size_t d, size_t pb, size_t pe) {
  const size_t eff = (k - 1) * d + 1;
  return in + pb + pe < eff ? 0 : (in + pb + pe - eff) / s + 1;
}

// dwconv_direct kernels (in place, explicit borders): the scalar one equals dwconv_f32__scalar over the padded,
// phase-split copy (the algorithm it replaced) bit for bit, and every tier's equals the scalar one; no
// write outside the OH x OW plane. `special` puts inf/NaN into weights and inputs.
void direct_case(size_t H, size_t W, size_t KH, size_t KW, size_t SH, size_t SW, size_t DH, size_t DW, size_t PT,
                 size_t PL, size_t PB, size_t PR, bool bias, bool act, bool special, std::mt19937& rng) {
  WindowGeometry g;
  g.H = H; g.W = W; g.KH = KH; g.KW = KW; g.SH = SH; g.SW = SW; g.DH = DH; g.DW = DW; g.PT = PT; g.PL = PL;
  g.OH = out_size(H, KH, SH, DH, PT, PB);
  g.OW = out_size(W, KW, SW, DW, PL, PR);
  if (g.OH == 0 || g.OW == 0) return;
  const std::string desc = check::format("direct H=%zu W=%zu K=%zux%zu S=%zux%zu D=%zux%zu P=%zu,%zu,%zu,%zu%s%s%s",
                                         H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, bias ? " bias" : "",
                                         act ? " act" : "", special ? " special" : "");
  std::vector<float> x = tu::rand_vec(rng, H * W), w = tu::rand_vec(rng, KH * KW);
  if (special) {
    w[rng() % w.size()] = (rng() % 2) ? INFINITY : -INFINITY;  // inf * padding 0 = NaN, as over the copy
    x[rng() % x.size()] = NAN;
  }
  const float b = 0.25f;
  const Activation a = act ? Activation::clamp(-0.5f, 1.0f) : Activation::none();
  const size_t out = g.OH * g.OW, guard = 24;
  PlaneWindowLayout layout(g);
  AlignedFloats buf(layout.buffer_size());
  layout.fill(x.data(), 0.0f, buf.data());
  std::vector<float> ref(out);
  dwconv_f32__scalar(layout.window(buf.data(), ref.data()), w.data(), bias ? &b : nullptr, a);
  DwDirectPlane d;
  d.x = x.data(); d.H = H; d.W = W; d.KH = KH; d.KW = KW; d.SH = SH; d.SW = SW; d.DH = DH; d.DW = DW;
  d.PT = PT; d.PL = PL; d.OH = g.OH; d.OW = g.OW;
  const std::vector<float> zeros(W + 16, 0.0f);
  d.zeros = zeros.data();
  for (Isa isa : supported_isas()) {
    const F32Kernels& k = f32_kernels(isa);
    std::vector<float> y(out + guard, 777.0f);
    d.y = y.data();
    k.dwconv_direct(d, w.data(), bias ? &b : nullptr, a);
    const long at = tu::first_diff(ref.data(), y.data(), out);
    CHECK(at < 0, "%s %s: differs from the padded scalar kernel at %ld: %.9g vs %.9g", desc.c_str(),
          k.dwconv_direct_name, at, at < 0 ? 0.0 : y[at], at < 0 ? 0.0 : ref[at]);
    bool guard_ok = true;
    for (size_t i = out; i < out + guard; ++i) guard_ok = guard_ok && y[i] == 777.0f;
    CHECK(guard_ok, "%s %s: wrote past the plane", desc.c_str(), k.dwconv_direct_name);
  }
}

void direct_kernel_cases(std::mt19937& rng) {
  int cases = 0;
  // 3x3 stride 1 and 2, pads 0/1, widths and heights around the 8/16-column and 4-row tiles.
  for (size_t S : {1, 2})
    for (size_t H : {1, 2, 3, 4, 5, 7, 8, 9, 16})
      for (size_t W : {1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 18, 24, 31, 33, 40})
        for (size_t P : {0, 1}) {
          direct_case(H, W, 3, 3, S, S, 1, 1, P, P, P, P, true, (H + W) % 2 == 0, false, rng);
          ++cases;
        }
  // Random kernels, row strides 1-3, dilations, asymmetric pads, specials.
  for (int i = 0; i < 400; ++i) {
    const size_t KH = 1 + rng() % 5, KW = 1 + rng() % 5, DH = 1 + rng() % 2, DW = 1 + rng() % 2;
    const size_t PT = rng() % (KH * DH), PL = rng() % (KW * DW);
    direct_case(1 + rng() % 21, 1 + rng() % 45, KH, KW, 1 + rng() % 3, 1 + rng() % 2, DH, DW, PT, PL,
                rng() % (PT + 1), rng() % (PL + 1), rng() % 2 == 0, rng() % 2 == 0, i % 5 == 0, rng);
    ++cases;
  }
  // Kernels wider than the AVX2 kernel's hoisted column masks (KW > 8).
  for (int i = 0; i < 24; ++i) {
    const size_t KW = 9 + rng() % 3, PL = rng() % KW;
    direct_case(1 + rng() % 9, 1 + rng() % 40, 1 + rng() % 3, KW, 1 + rng() % 2, 1 + rng() % 2, 1, 1, rng() % 2, PL,
                rng() % 2, rng() % (PL + 1), true, i % 2 == 0, i % 6 == 0, rng);
    ++cases;
  }
  CHECK(cases > 500, "direct cases ran: %d", cases);
}

// dwconv_c8 (8 channels interleaved, one vector per pixel): the specification is dwconv_direct_f32__scalar
// per plane. Every tier's kernel equals it bit for bit (NaN, inf and -0 included) for 1..8 channels;
// weight lanes past the last channel are NaN and must not matter; the scratch starts as garbage; planes
// past the last channel and the space after the output stay untouched.
Activation c8_act(int kind) {
  return kind == 0 ? Activation::none() : kind == 1 ? Activation::clamp(-0.5f, 1.0f) : Activation::clamp(-0.0f, 6.0f);
}

void direct_planes(const Conv2dShape& s, const float* x, const float* w, const float* bias, const Activation& a,
                   float* y) {
  const std::vector<float> zeros(s.W + 16, 0.0f);
  DwDirectPlane d;
  d.H = s.H; d.W = s.W; d.KH = s.KH; d.KW = s.KW; d.SH = s.SH; d.SW = s.SW; d.DH = s.DH; d.DW = s.DW;
  d.PT = s.PT; d.PL = s.PL; d.OH = s.OH; d.OW = s.OW; d.zeros = zeros.data();
  for (size_t p = 0; p < s.N * s.C; ++p) {
    d.x = x + p * s.H * s.W;
    d.y = y + p * s.OH * s.OW;
    const size_t c = p % s.C;
    dwconv_direct_f32__scalar(d, w + c * s.KH * s.KW, bias ? bias + c : nullptr, a);
  }
}

void plant_specials(std::vector<float>& v, std::mt19937& rng) {
  const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f};
  for (int i = 0; i < 3; ++i) v[rng() % v.size()] = specials[rng() % 5];
}

void c8_kernel_case(const Conv2dShape& s, size_t channels, bool bias, int act, bool special, std::mt19937& rng) {
  const std::string desc = check::format("c8 kernel %s ch=%zu%s act=%d%s", str(s).c_str(), channels,
                                         bias ? " bias" : "", act, special ? " special" : "");
  const size_t KK = s.KH * s.KW, OHW = s.OH * s.OW, guard = 24;
  std::vector<float> x = tu::rand_vec(rng, channels * s.H * s.W), w = tu::rand_vec(rng, channels * KK),
                     b = tu::rand_vec(rng, 8);
  if (special) {
    plant_specials(x, rng);
    plant_specials(w, rng);
  }
  std::vector<float> w8(KK * 8, NAN);
  for (size_t c = 0; c < channels; ++c)
    for (size_t t = 0; t < KK; ++t) w8[t * 8 + c] = w[c * KK + t];
  Conv2dShape one = s;
  one.N = 1; one.C = one.G = one.M = channels;
  std::vector<float> ref(channels * OHW);
  direct_planes(one, x.data(), w.data(), bias ? b.data() : nullptr, c8_act(act), ref.data());
  DwC8Block blk;
  blk.x = x.data(); blk.channels = channels; blk.H = s.H; blk.W = s.W; blk.KH = s.KH; blk.KW = s.KW;
  blk.SH = s.SH; blk.SW = s.SW; blk.DH = s.DH; blk.DW = s.DW; blk.PT = s.PT; blk.PL = s.PL; blk.OH = s.OH;
  blk.OW = s.OW; blk.w = w8.data(); blk.bias = bias ? b.data() : nullptr;
  for (Isa isa : supported_isas()) {
    const F32Kernels& k = f32_kernels(isa);
    std::vector<float> y(8 * OHW + guard, 777.0f), scratch(dwconv_c8_scratch_size(blk), NAN);
    blk.y = y.data();
    blk.scratch = scratch.data();
    k.dwconv_c8(blk, c8_act(act));
    const long at = tu::first_diff(ref.data(), y.data(), ref.size());
    CHECK(at < 0, "%s %s: differs from dwconv_direct_f32__scalar at %ld: %.9g vs %.9g", desc.c_str(), k.dwconv_c8_name,
          at, at < 0 ? 0.0 : y[at], at < 0 ? 0.0 : ref[at]);
    bool untouched = true;
    for (size_t i = ref.size(); i < y.size(); ++i) untouched = untouched && y[i] == 777.0f;
    CHECK(untouched, "%s %s: wrote past the %zu channels' planes", desc.c_str(), k.dwconv_c8_name, channels);
  }
}

// Whole depthwise convolutions (the c8 path or, for fewer than 8 channels or large planes, the plane
// path): every tier, with and without threads, equals the per-plane specification bit for bit (specials
// planted); without specials run_case also holds the scalar tier to the double reference.
void dw_conv_case(const Conv2dShape& s, bool bias, int act, bool special, std::mt19937& rng, ThreadPool* pool) {
  if (!special && act != 2) run_case<Conv2dF32>(s, false, bias, act == 1, rng, pool);
  std::vector<float> x = tu::rand_vec(rng, s.N * s.C * s.H * s.W), w = tu::rand_vec(rng, s.C * s.KH * s.KW),
                     b = tu::rand_vec(rng, s.C);
  if (special) {
    plant_specials(x, rng);
    plant_specials(w, rng);
  }
  std::vector<float> ref(s.N * s.C * s.OH * s.OW);
  direct_planes(s, x.data(), w.data(), bias ? b.data() : nullptr, c8_act(act), ref.data());
  for (Isa isa : supported_isas())
    for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), pool}) {
      std::vector<float> y(ref.size(), 777.0f);
      Conv2dF32::create(isa, s, w.data(), bias ? b.data() : nullptr, c8_act(act))->run(x.data(), y.data(), p);
      const long at = tu::first_diff(ref.data(), y.data(), ref.size());
      CHECK(at < 0, "dw conv %s%s act=%d%s c8=%d tier=%s threads=%zu: differs from the per-plane scalar at %ld",
            str(s).c_str(), bias ? " bias" : "", act, special ? " special" : "", conv2d_depthwise_c8_fits(s) ? 1 : 0,
            isa_name(isa), p ? p->threads() : 1, at);
    }
}

void c8_cases(std::mt19937& rng, ThreadPool* pool) {
  auto pick = [&](std::initializer_list<size_t> v) { return *(v.begin() + rng() % v.size()); };
  auto shape = [&](size_t N, size_t C, size_t H, size_t W, size_t KH, size_t KW, size_t SH, size_t SW, size_t DH,
                   size_t DW, size_t PT, size_t PL, size_t PB, size_t PR) {
    Conv2dShape s;
    s.N = N; s.C = s.G = s.M = C; s.H = H; s.W = W; s.KH = KH; s.KW = KW; s.SH = SH; s.SW = SW; s.DH = DH; s.DW = DW;
    s.PT = PT; s.PL = PL;
    s.OH = out_size(H, KH, SH, DH, PT, PB);
    s.OW = out_size(W, KW, SW, DW, PL, PR);
    return s;
  };
  int kernels = 0, convs = 0, c8_convs = 0;
  // 3x3, stride 1 and 2, pads 0/1: planes 1..17 square and not, all channel counts of a group.
  for (size_t S : {1, 2})
    for (size_t H : {1, 2, 3, 4, 5, 7, 8, 9, 16, 17})
      for (size_t W : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17})
        for (size_t P : {0, 1}) {
          const Conv2dShape s = shape(1, 8, H, W, 3, 3, S, S, 1, 1, P, P, P, P);
          if (s.OH == 0 || s.OW == 0) continue;
          c8_kernel_case(s, 1 + (H * 3 + W + S) % 8, (H + W) % 3 != 0, static_cast<int>((H + W + P) % 3), W == 9, rng);
          ++kernels;
        }
  // Kernels 1/3/5 per axis, strides and dilations 1/2, asymmetric pads, specials.
  for (int i = 0; i < 500; ++i) {
    // One declarator after another (sequenced), so every compiler draws the same cases.
    const size_t KH = pick({1, 3, 5}), KW = rng() % 3 == 0 ? pick({1, 3, 5}) : KH, DH = pick({1, 2}),
                 DW = pick({1, 2}), PT = rng() % (KH * DH), PL = rng() % (KW * DW), PB = rng() % (PT + 1),
                 PR = rng() % (PL + 1), H = 1 + rng() % 17, W = 1 + rng() % 17, SH = pick({1, 2}), SW = pick({1, 2});
    const Conv2dShape s = shape(1, 8, H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR);
    if (s.OH == 0 || s.OW == 0) continue;
    const size_t channels = 1 + rng() % 8;
    const bool bias = rng() % 2 == 0;
    const int act = static_cast<int>(rng() % 3);
    c8_kernel_case(s, channels, bias, act, i % 4 == 0, rng);
    ++kernels;
  }
  // Whole convolutions: C around the groups of 8, batches 1-3.
  for (size_t C : {1, 3, 8, 9, 16, 17, 48})
    for (size_t N : {1, 2, 3})
      for (int i = 0; i < 3; ++i) {
        const size_t KH = pick({1, 3, 5}), KW = i == 2 ? pick({1, 3, 5}) : KH, D = pick({1, 1, 2});
        const size_t PT = rng() % (KH * D), PL = rng() % (KW * D), PB = rng() % (PT + 1), PR = rng() % (PL + 1),
                     H = 1 + rng() % 16, W = 1 + rng() % 16, SH = pick({1, 2}), SW = pick({1, 2});
        const Conv2dShape s = shape(N, C, H, W, KH, KW, SH, SW, D, D, PT, PL, PB, PR);
        if (s.OH == 0 || s.OW == 0) continue;
        dw_conv_case(s, i != 1, static_cast<int>((C + N + i) % 3), i == 2, rng, pool);
        ++convs;
        c8_convs += conv2d_depthwise_c8_fits(s) ? 1 : 0;
      }
  // MobileNetV2 shapes at batch 64 (many tasks over the pool's threads), and 56x56 (still c8).
  const Conv2dShape mnv2[] = {shape(64, 48, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
                              shape(64, 96, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1),
                              shape(1, 24, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1)};
  for (const Conv2dShape& s : mnv2) {
    CHECK(conv2d_depthwise_c8_fits(s), "%s takes the c8 path", str(s).c_str());
    dw_conv_case(s, true, 2, &s == &mnv2[1], rng, pool);
  }
  // Planes whose scratch would pass 256 KB, and fewer than 8 channels, stay with the plane kernels (so
  // their wide-row and interior tiles keep being covered here).
  const Conv2dShape plane[] = {shape(1, 16, 96, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1),
                               shape(2, 8, 112, 100, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1),
                               shape(2, 7, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1)};
  for (const Conv2dShape& s : plane) {
    CHECK(!conv2d_depthwise_c8_fits(s), "%s takes the plane path", str(s).c_str());
    dw_conv_case(s, true, 1, false, rng, pool);
  }
  CHECK(kernels > 600 && c8_convs > 30, "c8 cases ran: %d kernels, %d of %d convolutions", kernels, c8_convs, convs);
  std::printf("dwconv_c8: %d kernel cases, %d convolutions (%d on the c8 path)\n", kernels, convs, c8_convs);
}

}  // namespace

int main() {
  std::mt19937 rng(7);
  ThreadPool pool(2);
  direct_kernel_cases(rng);
  {
    std::mt19937 rng_c8(11);  // its own sequence: the cases below keep theirs
    c8_cases(rng_c8, &pool);
  }
  auto pick = [&](std::initializer_list<size_t> v) { return *(v.begin() + rng() % v.size()); };
  // Random convolutions: kernels 1/3/5/7, strides 1-3, dilations 1-2, pads, groups, depthwise (+multiplier).
  int made = 0;
  while (made < 260) {
    Conv2dShape s;
    s.N = pick({1, 1, 2, 3});
    s.KH = pick({1, 3, 3, 5, 7});
    s.KW = rng() % 4 == 0 ? pick({1, 3, 5}) : s.KH;
    s.SH = pick({1, 1, 2, 3});
    s.SW = rng() % 4 == 0 ? pick({1, 2, 3}) : s.SH;
    s.DH = pick({1, 1, 2});
    s.DW = rng() % 4 == 0 ? pick({1, 2}) : s.DH;
    s.PT = rng() % 3 == 0 ? 0 : rng() % (s.KH);
    s.PL = rng() % 3 == 0 ? 0 : rng() % (s.KW);
    const size_t PB = rng() % (s.PT + 1), PR = rng() % (s.PL + 1);
    s.H = 1 + rng() % 19;
    s.W = 1 + rng() % 23;
    const int kind = rng() % 4;  // 0,1 dense/grouped, 2 depthwise, 3 depthwise multiplier
    if (kind <= 1) {
      s.G = kind == 0 ? 1 : pick({2, 3});
      s.C = s.G * pick({1, 2, 3, 5, 7});
      s.M = s.G * pick({1, 2, 5, 7, 9});
    } else {
      s.C = s.G = pick({1, 3, 5, 8, 13});
      s.M = s.C * (kind == 2 ? 1 : pick({2, 3}));
    }
    s.OH = out_size(s.H, s.KH, s.SH, s.DH, s.PT, PB);
    s.OW = out_size(s.W, s.KW, s.SW, s.DW, s.PL, PR);
    if (s.OH == 0 || s.OW == 0) continue;
    ++made;
    run_case<Conv2dF32>(s, false, rng() % 4 != 0, rng() % 2 == 0, rng, made % 4 == 0 ? &pool : nullptr);
  }
  // Paths and blocking: 1x1 direct (K > KC, N > NC), 3x3 with K > KC, stem 3x3 s2, depthwise 5x5 s2, wide rows.
  {
    Conv2dShape s; s.N = 2; s.C = 300; s.H = 33; s.W = 35; s.M = 19; s.OH = 33; s.OW = 35;
    run_case<Conv2dF32>(s, false, true, true, rng, &pool);
  }
  {
    Conv2dShape s; s.C = 40; s.H = 17; s.W = 15; s.M = 33; s.OH = 17; s.OW = 15; s.KH = s.KW = 3; s.PT = s.PL = 1;
    run_case<Conv2dF32>(s, false, true, false, rng, &pool);
  }
  {
    Conv2dShape s; s.C = 3; s.H = 64; s.W = 70; s.M = 16; s.OH = 32; s.OW = 35; s.KH = s.KW = 3; s.SH = s.SW = 2;
    s.PT = s.PL = 1;
    run_case<Conv2dF32>(s, false, true, true, rng, &pool);
  }
  {
    Conv2dShape s; s.N = 2; s.C = s.G = s.M = 24; s.H = 40; s.W = 41; s.OH = 20; s.OW = 21; s.KH = s.KW = 5;
    s.SH = s.SW = 2; s.PT = s.PL = 2;
    run_case<Conv2dF32>(s, false, true, true, rng, &pool);
  }
  {
    Conv2dShape s; s.C = s.G = s.M = 4; s.H = 3; s.W = 77; s.OH = 3; s.OW = 77; s.KH = s.KW = 3; s.PT = s.PL = 1;
    run_case<Conv2dF32>(s, false, false, false, rng, &pool);
  }
  {  // depthwise 3x3 stride 2 with a channel multiplier, read in place, threaded over planes
    Conv2dShape s; s.N = 2; s.C = s.G = 20; s.M = 40; s.H = 33; s.W = 35; s.OH = 17; s.OW = 18; s.KH = s.KW = 3;
    s.SH = s.SW = 2; s.PT = s.PL = 1;
    run_case<Conv2dF32>(s, false, true, true, rng, &pool);
  }
  {  // small maps with a batch: images chunked into one GEMM, chunks balanced over the threads
    for (size_t n : {13, 64}) {
      Conv2dShape s; s.N = n; s.C = 16; s.M = 32; s.H = s.W = s.OH = s.OW = 10; s.KH = s.KW = 3; s.PT = s.PL = 1;
      run_case<Conv2dF32>(s, false, true, true, rng, &pool);
    }
    Conv2dShape s; s.N = 64; s.C = 32; s.M = 64; s.H = s.W = s.OH = s.OW = 5; s.KH = s.KW = 3; s.PT = s.PL = 1;
    run_case<Conv2dF32>(s, false, true, true, rng, &pool);
  }
  {  // one-channel stems with many outputs run as a GEMM (K = 9), rows of 20 and of 6
    Conv2dShape s; s.N = 5; s.C = s.G = 1; s.M = 16; s.H = s.W = s.OH = s.OW = 20; s.KH = s.KW = 3; s.PT = s.PL = 1;
    run_case<Conv2dF32>(s, false, true, true, rng, &pool);
    s.N = 2; s.H = s.W = 12; s.OH = s.OW = 6; s.SH = s.SW = 2;
    run_case<Conv2dF32>(s, false, true, false, rng, nullptr);
  }
  {  // depthwise 3x3 stride 1 on a 56x56 plane (interior tiles)
    Conv2dShape s; s.C = s.G = s.M = 16; s.H = s.W = s.OH = s.OW = 56; s.KH = s.KW = 3; s.PT = s.PL = 1;
    run_case<Conv2dF32>(s, false, true, false, rng, &pool);
  }
  // Transposed convolutions, including kernel 2 stride 2 (PP-OCR) and output padding folded into OH/OW.
  for (int i = 0; i < 60; ++i) {
    Conv2dShape s;
    s.N = pick({1, 2});
    s.KH = pick({1, 2, 3, 4});
    s.KW = rng() % 3 == 0 ? pick({1, 2, 3}) : s.KH;
    s.SH = pick({1, 2, 3});
    s.SW = rng() % 3 == 0 ? pick({1, 2}) : s.SH;
    s.DH = pick({1, 1, 2});
    s.DW = s.DH;
    s.G = pick({1, 1, 2});
    s.C = s.G * pick({1, 3, 4});
    s.M = s.G * pick({1, 2, 5});
    s.H = 1 + rng() % 9;
    s.W = 1 + rng() % 11;
    const size_t fh = (s.H - 1) * s.SH + (s.KH - 1) * s.DH + 1, fw = (s.W - 1) * s.SW + (s.KW - 1) * s.DW + 1;
    s.PT = rng() % std::min<size_t>(fh, s.KH);
    s.PL = rng() % std::min<size_t>(fw, s.KW);
    const size_t pb = rng() % (s.PT + 1), pr = rng() % (s.PL + 1);
    const size_t oph = rng() % std::max(s.SH, s.DH), opw = rng() % std::max(s.SW, s.DW);
    if (fh <= s.PT + pb || fw <= s.PL + pr) continue;
    s.OH = fh - s.PT - pb + oph;
    s.OW = fw - s.PL - pr + opw;
    run_case<ConvTranspose2dF32>(s, true, rng() % 3 != 0, rng() % 2 == 0, rng, i % 3 == 0 ? &pool : nullptr);
  }
  {
    Conv2dShape s; s.C = 96; s.M = 24; s.H = 20; s.W = 23; s.KH = s.KW = 2; s.SH = s.SW = 2; s.OH = 40; s.OW = 46;
    run_case<ConvTranspose2dF32>(s, true, true, true, rng, &pool);
  }
  {  // many pixels: several col2im chunks with overlapping windows
    Conv2dShape s; s.C = 5; s.M = 70; s.H = 40; s.W = 41; s.KH = s.KW = 3; s.SH = s.SW = 1; s.PT = s.PL = 1;
    s.OH = 40; s.OW = 41;
    run_case<ConvTranspose2dF32>(s, true, true, false, rng, &pool);
  }
  // Validation: bad shapes throw std::invalid_argument naming the bad value.
  std::vector<float> w(1000, 0.5f);
  Conv2dShape ok; ok.C = 4; ok.H = 8; ok.W = 8; ok.M = 6; ok.OH = 8; ok.OW = 8; ok.KH = ok.KW = 3; ok.PT = ok.PL = 1;
  CHECK(Conv2dF32::create(Isa::Scalar, ok, w.data(), nullptr, Activation::none()) != nullptr, "valid shape");
  auto bad = ok; bad.C = 5; bad.G = 2;
  CHECK_THROWS(Conv2dF32::create(Isa::Scalar, bad, w.data(), nullptr, Activation::none()), "C=5");
  bad = ok; bad.M = 6; bad.G = 4; bad.C = 4;
  CHECK_THROWS(Conv2dF32::create(Isa::Scalar, bad, w.data(), nullptr, Activation::none()), "M=6");
  bad = ok; bad.SH = 0;
  CHECK_THROWS(Conv2dF32::create(Isa::Scalar, bad, w.data(), nullptr, Activation::none()), "SH=0");
  bad = ok; bad.OH = 40;
  CHECK_THROWS(Conv2dF32::create(Isa::Scalar, bad, w.data(), nullptr, Activation::none()), "OH=40");
  bad = ok; bad.KW = 0;
  CHECK_THROWS(Conv2dF32::create(Isa::Avx2, bad, w.data(), nullptr, Activation::none()), "KW=0");
  CHECK_THROWS(Conv2dF32::create(Isa::Scalar, ok, nullptr, nullptr, Activation::none()), "weight");
  bad = ok; bad.OW = 30;
  CHECK_THROWS(ConvTranspose2dF32::create(Isa::Scalar, bad, w.data(), nullptr, Activation::none()), "OW=30");
  return check_summary("test_conv2d");
}
