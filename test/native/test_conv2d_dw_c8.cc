// The 8-channel depthwise path of Conv2dF32 (dwconv_c8: channels interleaved, one vector per pixel):
// every tier's kernel against dwconv_direct_f32__scalar per plane, and whole depthwise convolutions on
// every tier, with and without threads. Split from test_conv2d.cc; the shared helpers are in
// conv-test-util.h.
#include "conv-test-util.h"
#include "dispatch/f32-kernels.h"
#include "kernels/conv/conv-internal.h"
#include "test-util.h"

using namespace npuq;
using ct::out_size;
using ct::run_case;
using ct::str;

namespace {

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
  std::mt19937 rng(11);  // the sequence these cases had inside test_conv2d
  ThreadPool pool(2);
  c8_cases(rng, &pool);
  return check_summary("test_conv2d_dw_c8");
}
