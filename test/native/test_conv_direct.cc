// conv_direct kernels (ConvDirectBlock): every tier's equals conv_direct_f32__scalar bit for bit on
// arbitrary column and tap offsets, every panel height 1..16, column counts around the tile widths, with
// and without bias and clamp, inf and NaN inputs; nothing is written outside the named outputs. The
// convolutions built on them are held to the scalar tier (im2col + GEMM) in test_conv2d.
#include <algorithm>
#include <cmath>
#include <vector>

#include "dispatch/f32-kernels.h"
#include "test-util.h"

using namespace npuq;

namespace {

void kernel_case(size_t mr, size_t n, size_t K, bool bias, bool act, bool special, std::mt19937& rng) {
  std::string desc = check::format("mr=%zu n=%zu K=%zu%s%s%s", mr, n, K, bias ? " bias" : "",
                                   act ? " act" : "", special ? " special" : "");
  const size_t xsize = 4096;
  std::vector<float> x = tu::rand_vec(rng, xsize);
  if (special) {
    x[rng() % xsize] = NAN;
    x[rng() % xsize] = INFINITY;
    x[rng() % xsize] = -0.0f;
  }
  AlignedFloats w(K * kConvDirectMr);
  for (size_t k = 0; k < K; ++k)
    for (size_t i = 0; i < kConvDirectMr; ++i) w.data()[k * kConvDirectMr + i] = i < mr ? tu::rand_vec(rng, 1)[0] : 0.0f;
  std::vector<float> b(kConvDirectMr, 0.0f);
  for (size_t i = 0; i < mr; ++i) b[i] = tu::rand_vec(rng, 1)[0];
  // Taps and columns anywhere in x; columns written to distinct, scattered places of y.
  std::vector<uint32_t> row(K), xo(n), yo(n);
  for (auto& r : row) r = rng() % 1024;
  for (auto& c : xo) c = rng() % 3000;
  // Consecutive columns (one image row: the kernels' transposed store) or with gaps; channel rows of
  // ldy never overlap.
  const bool gaps = rng() % 2 == 0;
  if (gaps) desc += " gaps";
  for (size_t j = 0; j < n; ++j) yo[j] = uint32_t(j + (gaps ? rng() % 2 : 0));
  for (size_t j = 1; j < n; ++j) yo[j] = std::max<uint32_t>(yo[j], yo[j - 1] + 1);
  const size_t ldy = (yo.empty() ? 0 : yo.back() + 1) + rng() % 5;
  const size_t ysize = yo.empty() ? 1 : (yo.back() + 1) + (kConvDirectMr - 1) * ldy + 8;
  const Activation a = act ? Activation::clamp(-0.5f, 1.0f) : Activation::none();
  ConvDirectBlock blk;
  blk.K = K; blk.w = w.data(); blk.row_off = row.data(); blk.x = x.data(); blk.x_off = xo.data();
  blk.y_off = yo.data(); blk.ldy = ldy; blk.bias = bias ? b.data() : nullptr;
  std::vector<float> ref(ysize, 777.0f);
  blk.y = ref.data();
  conv_direct_f32__scalar(mr, n, blk, a);
  for (Isa isa : supported_isas()) {
    const F32Kernels& k = f32_kernels(isa);
    if (!k.conv_direct) continue;
    std::vector<float> y(ysize, 777.0f);
    blk.y = y.data();
    k.conv_direct(mr, n, blk, a);
    const long at = tu::first_diff(ref.data(), y.data(), ysize);  // also the untouched 777s
    CHECK(at < 0, "%s %s: differs from scalar at %ld: %.9g vs %.9g", desc.c_str(), k.conv_direct_name, at,
          at < 0 ? 0.0 : y[at], at < 0 ? 0.0 : ref[at]);
  }
}

}  // namespace

int main() {
  std::mt19937 rng(11);
  for (size_t mr = 1; mr <= kConvDirectMr; ++mr)
    for (size_t n : {1, 5, 6, 7, 12, 13, 25})
      for (int rep = 0; rep < 2; ++rep)
        kernel_case(mr, n, 1 + rng() % 40, rng() % 2 == 0, rng() % 2 == 0, rng() % 3 == 0, rng);
  for (size_t K : {1, 2, 16, 144, 300}) kernel_case(16, 17, K, true, true, false, rng);
  kernel_case(8, 0, 9, true, true, false, rng);  // no columns: nothing written
  int tiers = 0;
  for (Isa isa : supported_isas()) tiers += f32_kernels(isa).conv_direct != nullptr;
  std::printf("conv_direct: %d tier kernel(s) checked against the scalar specification\n", tiers);
  return check_summary("test_conv_direct");
}
