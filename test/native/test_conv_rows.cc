// conv_rows kernels (ConvRowsBlock): every tier's equals conv_rows_f32__scalar bit for bit on arbitrary
// tap offsets, column strides 1 and 2, channel counts around the 4-channel panels, row widths around
// every vector and tile width (the overlapping last vector), row ranges, with and without bias and
// clamp, inf and NaN inputs; nothing is written outside the named rows of the named channels. The
// convolutions built on them are held to the scalar tier (im2col + GEMM) in test_conv2d.
#include <cmath>
#include <vector>

#include "dispatch/f32-kernels.h"
#include "test-util.h"

using namespace npuq;

namespace {

int kernel_case(size_t M, size_t OW, size_t sx, size_t K, size_t OH, size_t oy0, size_t oy1, bool bias, bool act,
                bool special, std::mt19937& rng) {
  const std::string desc = check::format("M=%zu OW=%zu sx=%zu K=%zu rows %zu..%zu of %zu%s%s%s", M, OW, sx, K, oy0,
                                         oy1, OH, bias ? " bias" : "", act ? " act" : "", special ? " special" : "");
  const size_t ldx = OW * sx + rng() % 7;  // the padded row: at least the row's columns
  std::vector<uint32_t> row(K);
  for (auto& r : row) r = uint32_t(rng() % 700);
  // Every tap of the last output + the slack a stride-2 kernel may read.
  const size_t xsize = (OH - 1) * ldx + (OW - 1) * sx + 700 + (sx == 2 ? kConvRowsSlack : 0);
  std::vector<float> x = tu::rand_vec(rng, xsize);
  const size_t panels = (M + kConvRowsMr - 1) / kConvRowsMr;
  std::vector<float> w(panels * K * kConvRowsMr, 0.0f);
  for (size_t i = 0; i < M; ++i)
    for (size_t k = 0; k < K; ++k)
      w[(i / kConvRowsMr) * K * kConvRowsMr + k * kConvRowsMr + i % kConvRowsMr] = tu::rand_vec(rng, 1)[0];
  if (special) {
    x[rng() % xsize] = NAN;
    x[rng() % xsize] = INFINITY;
    x[rng() % xsize] = -0.0f;
    w[rng() % w.size()] = -INFINITY;
  }
  std::vector<float> b = tu::rand_vec(rng, M);
  const size_t ldy = OH * OW + rng() % 5;  // gaps between the channels' planes must stay untouched
  const size_t ysize = M * ldy + 16;
  const Activation a = act ? Activation::clamp(-0.5f, 1.0f) : Activation::none();
  ConvRowsBlock blk;
  blk.M = M; blk.K = K; blk.w = w.data(); blk.row_off = row.data(); blk.x = x.data(); blk.ldx = ldx;
  blk.sx = sx; blk.OW = OW; blk.ldy = ldy; blk.bias = bias ? b.data() : nullptr;
  std::vector<float> ref(ysize, 777.0f);
  blk.y = ref.data();
  conv_rows_f32__scalar(oy0, oy1, blk, a);
  int tiers = 0;
  for (Isa isa : supported_isas()) {
    const F32Kernels& k = f32_kernels(isa);
    if (!k.conv_rows) continue;
    ++tiers;
    std::vector<float> y(ysize, 777.0f);
    blk.y = y.data();
    k.conv_rows(oy0, oy1, blk, a);
    const long at = tu::first_diff(ref.data(), y.data(), ysize);  // also the untouched 777s
    CHECK(at < 0, "%s %s: differs from scalar at %ld: %.9g vs %.9g", desc.c_str(), k.conv_rows_name, at,
          at < 0 ? 0.0 : y[at], at < 0 ? 0.0 : ref[at]);
  }
  // The reference itself wrote exactly rows [oy0, oy1) of the M channels.
  size_t written = 0;
  for (float v : ref) written += v != 777.0f;
  CHECK(written <= M * (oy1 - oy0) * OW, "%s: the scalar kernel wrote %zu values", desc.c_str(), written);
  return tiers;
}

}  // namespace

int main() {
  std::mt19937 rng(23);
  int tiers = 0;
  for (size_t sx : {1, 2})
    for (size_t M = 1; M <= 9; ++M)
      for (size_t OW : {8, 9, 12, 15, 16, 17, 20, 23, 24, 25, 31, 32, 33, 40, 47, 48, 49, 77}) {
        const size_t OH = 1 + rng() % 4, oy0 = rng() % OH, oy1 = oy0 + 1 + rng() % (OH - oy0);
        tiers = kernel_case(M, OW, sx, 1 + rng() % 27, OH, oy0, oy1, rng() % 2 == 0, rng() % 2 == 0, rng() % 4 == 0,
                            rng);
      }
  for (size_t K : {1, 9, 27, 64}) kernel_case(16, 20, 1 + K % 2, K, 3, 0, 3, true, true, false, rng);
  kernel_case(4, 20, 1, 9, 3, 2, 2, true, true, false, rng);  // no rows: nothing written
  std::printf("conv_rows: %d tier kernel(s) checked against the scalar specification\n", tiers);
  return check_summary("test_conv_rows");
}
