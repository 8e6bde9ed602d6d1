// Integer conv_direct kernels (QConvDirectBlock): every tier's equals qconv_direct_s16s16_s32__scalar on
// arbitrary column and depth-pair offsets, every panel height 1..16, column counts around the tile
// widths, operands at the int16 extremes of 8-bit centred values (+-255) so the int32 sums are
// near their bound; nothing of acc is written but rows < mr, columns < n. The convolutions built on
// them are held to the scalar tier (the GEMM path) in test_qconv2d.
#include <algorithm>
#include <vector>

#include "dispatch/q-kernels.h"
#include "kernels/qgemm/qgemm-internal.h"
#include "test-util.h"

using namespace npuq;

namespace {

constexpr int32_t kGuard = 0x5A5A5A5A;

// Operands: 0 random in [-255, 255], 1 +-255, 2 all 255 (the largest sums).
int16_t rand_operand(std::mt19937& rng, int kind) {
  if (kind == 2) return 255;
  if (kind == 1) return rng() % 2 ? 255 : -255;
  return static_cast<int16_t>(int(rng() % 511) - 255);
}

void kernel_case(size_t mr, size_t n, size_t pairs, int kind, std::mt19937& rng) {
  const std::string desc = check::format("mr=%zu n=%zu pairs=%zu operands=%s", mr, n, pairs,
                                         kind == 2 ? "255" : kind == 1 ? "+-255" : "random");
  const size_t xwords = 4096;
  std::vector<int16_t> x(2 * xwords);
  for (auto& v : x) v = rand_operand(rng, kind);
  AlignedBytes wb(pairs * kQConvDirectMr * 2 * sizeof(int16_t) + 32);
  int16_t* w = static_cast<int16_t*>(wb.data());
  for (size_t g = 0; g < pairs; ++g)
    for (size_t i = 0; i < kQConvDirectMr; ++i)
      for (size_t e = 0; e < 2; ++e) w[(g * kQConvDirectMr + i) * 2 + e] = i < mr ? rand_operand(rng, kind) : 0;
  std::vector<uint32_t> po(pairs), xo(n);
  for (auto& o : po) o = rng() % 2048;
  for (auto& o : xo) o = rng() % 2040;
  const size_t ldc = n + rng() % 4;
  QConvDirectBlock blk;
  blk.pairs = pairs; blk.w = w; blk.pair_off = po.data(); blk.x = x.data(); blk.x_off = xo.data(); blk.ldc = ldc;
  const size_t size = kQConvDirectMr * ldc + 8;
  std::vector<int32_t> ref(size, kGuard);
  blk.acc = ref.data();
  qconv_direct_s16s16_s32__scalar(mr, n, blk);
  // The specification itself against a plain int64 sum (and its bounds: nothing outside rows < mr).
  size_t bad = 0;
  for (size_t i = 0; i < kQConvDirectMr; ++i)
    for (size_t j = 0; j < ldc; ++j) {
      if (i >= mr || j >= n) {
        bad += ref[i * ldc + j] != kGuard;
        continue;
      }
      int64_t s = 0;
      for (size_t g = 0; g < pairs; ++g)
        for (size_t e = 0; e < 2; ++e) s += int64_t(w[(g * kQConvDirectMr + i) * 2 + e]) * x[2 * (xo[j] + po[g]) + e];
      bad += ref[i * ldc + j] != s;
    }
  CHECK(bad == 0, "%s: scalar specification wrong at %zu places", desc.c_str(), bad);
  for (Isa isa : supported_isas()) {
    const QKernels& k = q_kernels(isa);
    if (!k.conv_direct) continue;
    std::vector<int32_t> got(size, kGuard);
    blk.acc = got.data();
    k.conv_direct(mr, n, blk);
    size_t at = 0;
    while (at < size && got[at] == ref[at]) ++at;
    CHECK(at == size, "%s %s: differs from scalar at %zu (row %zu col %zu): %d vs %d", desc.c_str(),
          k.conv_direct_name, at, at / ldc, at % ldc, at < size ? got[at] : 0, at < size ? ref[at] : 0);
  }
}

}  // namespace

int main() {
  std::mt19937 rng(23);
  for (size_t mr = 1; mr <= kQConvDirectMr; ++mr)
    for (size_t n : {1, 4, 5, 6, 9, 10, 11, 24})
      kernel_case(mr, n, 1 + rng() % 40, rng() % 4 == 0 ? 1 : 0, rng);
  for (size_t pairs : {1, 2, 72, 144}) kernel_case(16, 7, pairs, 1, rng);
  // Sums near the int32 bound: 255 * 255 * 2 * 16500 pairs = 2145829500 < 2^31 - 1.
  kernel_case(16, 11, 16500, 2, rng);
  kernel_case(9, 0, 5, 0, rng);  // no columns: nothing written
  int tiers = 0;
  for (Isa isa : supported_isas()) tiers += q_kernels(isa).conv_direct != nullptr;
  std::printf("qconv_direct: %d tier kernel(s) checked against the scalar specification\n", tiers);
  return check_summary("test_qconv_direct");
}
