// Conv2dF32 / ConvTranspose2dF32: scalar tier against a double-precision reference, every other tier and
// the threaded runs against scalar bit for bit; the dwconv_direct kernels; create() argument validation.
// The 8-channel depthwise path (dwconv_c8) is tested in test_conv2d_dw_c8.cc.
#include <stdexcept>

#include "conv-test-util.h"
#include "dispatch/f32-kernels.h"
#include "kernels/conv/plane-window.h"
#include "test-util.h"

using namespace npuq;
using ct::out_size;
using ct::run_case;

namespace {

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

}  // namespace

int main() {
  std::mt19937 rng(7);
  ThreadPool pool(2);
  direct_kernel_cases(rng);
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
  {  // one-channel stems with many outputs (K = 9): conv_rows at strides 1 and 2 (rows of 20 and 16), the
     // GEMM for rows of 6; stride 2 without padding (2x2 taps) still reads from the padded copy
    Conv2dShape s; s.N = 5; s.C = s.G = 1; s.M = 16; s.H = s.W = s.OH = s.OW = 20; s.KH = s.KW = 3; s.PT = s.PL = 1;
    run_case<Conv2dF32>(s, false, true, true, rng, &pool);
    s.N = 4; s.H = s.W = 32; s.OH = s.OW = 16; s.SH = s.SW = 2;
    run_case<Conv2dF32>(s, false, true, true, rng, &pool);
    s.N = 2; s.H = s.W = 12; s.OH = s.OW = 6;
    run_case<Conv2dF32>(s, false, true, false, rng, nullptr);
    Conv2dShape u; u.N = 3; u.C = 1; u.M = 8; u.H = 7; u.W = 21; u.KH = u.KW = 2; u.SH = u.SW = 2; u.OH = 3; u.OW = 10;
    run_case<Conv2dF32>(u, false, true, false, rng, nullptr);
  }
  {  // conv_rows: three-channel stems (K = 27), channel counts off the 4-channel panels, wide rows, one
     // large image cut into row blocks over the threads, row stride 2, groups, no padding
    Conv2dShape s; s.N = 1; s.C = 3; s.M = 16; s.H = 61; s.W = 77; s.OH = 61; s.OW = 77; s.KH = s.KW = 3; s.PT = s.PL = 1;
    run_case<Conv2dF32>(s, false, true, true, rng, &pool);
    s.N = 3; s.M = 7; s.H = 9; s.W = 30; s.OH = 9; s.OW = 30;
    run_case<Conv2dF32>(s, false, true, false, rng, &pool);
    s.N = 2; s.C = 2; s.M = 6; s.H = 20; s.W = 17; s.SH = 2; s.OH = 10; s.OW = 17;
    run_case<Conv2dF32>(s, false, false, true, rng, nullptr);
    Conv2dShape g; g.N = 2; g.C = 4; g.G = 2; g.M = 10; g.H = g.W = 12; g.KH = g.KW = 3; g.OH = g.OW = 10;
    run_case<Conv2dF32>(g, false, true, true, rng, &pool);
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
