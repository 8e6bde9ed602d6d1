// Convolutions through the tier's conv_rows kernel: output pixels in vector lanes, one output row at a
// time, each tap one vector load (column stride 1) or a load and deinterleave (stride 2) from the
// zero-padded copy of the input, shared by four output channels. For stems with one to three input
// channels (K = 9 to 27 taps) this does without both the im2col matrix of the GEMM path and the
// transposed store of conv_direct, which at so few taps cost more than the multiply-adds (digits_cnn's
// 1->16 3x3 stem on 64 20x20 images, AVX2, one thread: 0.163 ms through the GEMM, 0.118 ms here).
// Same sums as the GEMM path.
#include <algorithm>
#include <utility>
#include <vector>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/conv-internal.h"

namespace npuq {

namespace {

static_assert(Im2colTables::kPadBatchSpare >= kConvRowsSlack, "the padded copy covers a kernel's reads at stride 2");

class Conv2dRows final : public Conv2dF32 {
 public:
  Conv2dRows(Isa isa, const Conv2dShape& s, Im2colTables t, const float* weight, const float* bias,
             const Activation& act)
      : s_(s), fn_(f32_kernels(isa).conv_rows), act_(act), t_(std::move(t)) {
    Cg_ = s.C / s.G;
    Mg_ = s.M / s.G;
    Kg_ = Cg_ * s.KH * s.KW;
    // Per group, panels of 4 channels x K taps, k-major (the broadcasts of a tap are adjacent).
    panels_ = (Mg_ + kConvRowsMr - 1) / kConvRowsMr;
    w_.assign(s.G * panels_ * Kg_ * kConvRowsMr, 0.0f);
    for (size_t g = 0; g < s.G; ++g)
      for (size_t i = 0; i < Mg_; ++i)
        for (size_t k = 0; k < Kg_; ++k)
          w_[(g * panels_ + i / kConvRowsMr) * Kg_ * kConvRowsMr + k * kConvRowsMr + i % kConvRowsMr] =
              weight[(g * Mg_ + i) * Kg_ + k];
    if (bias) bias_.assign(bias, bias + s.M);
    plane_ = t_.Hp * t_.Wp;
  }

  void run(const float* x, float* y, ThreadPool* pool) const override {
    const size_t threads = pool ? pool->threads() : 1, OHW = s_.OH * s_.OW;
    // At column stride 2 a kernel may read a few floats past a row's last tap: always from the copy,
    // which has spare floats after its last plane. Without padding the copy has the input's own layout
    // (Hp x Wp = H x W), so the plane and row strides are the same either way.
    const float* xp = t_.needs_padding || s_.SW == 2 ? t_.pad_batch(s_, x, pool) : x;
    const size_t plane = plane_, ldx = s_.SH * t_.Wp;
    // Tasks: (image, group, block of rows). One image per task when there are enough of them; a single
    // large image (batch 1) is cut into row blocks so every thread gets work.
    const double macs = static_cast<double>(s_.N) * s_.M * OHW * Kg_;
    const size_t chunks = threads > 1 && macs >= kParallelMinMacs ? threads * 4 : 1;
    const size_t images = s_.N * s_.G;
    const size_t row_blocks = std::min(s_.OH, std::max<size_t>(1, (chunks + images - 1) / images));
    const size_t rows_per_block = (s_.OH + row_blocks - 1) / row_blocks;
    parallel_ranges(chunks > 1 ? pool : nullptr, images * row_blocks, chunks, [&](size_t b, size_t e) {
      ConvRowsBlock blk;
      blk.M = Mg_;
      blk.K = Kg_;
      blk.row_off = t_.row_off.data();
      blk.ldx = ldx;
      blk.sx = s_.SW;
      blk.OW = s_.OW;
      blk.ldy = OHW;
      for (size_t task = b; task < e; ++task) {
        const size_t img = task / row_blocks, rb = task % row_blocks;
        const size_t n = img / s_.G, g = img % s_.G;
        const size_t oy0 = rb * rows_per_block, oy1 = std::min(s_.OH, oy0 + rows_per_block);
        if (oy0 >= oy1) continue;
        blk.x = xp + (n * s_.C + g * Cg_) * plane;
        blk.w = w_.data() + g * panels_ * Kg_ * kConvRowsMr;
        blk.bias = bias_.empty() ? nullptr : bias_.data() + g * Mg_;
        blk.y = y + (n * s_.M + g * Mg_) * OHW;
        fn_(oy0, oy1, blk, act_);
      }
    });
  }

 private:
  Conv2dShape s_;
  ConvRowsFn fn_;
  Activation act_;
  Im2colTables t_;
  size_t Cg_ = 0, Mg_ = 0, Kg_ = 0, panels_ = 0, plane_ = 0;
  std::vector<float> w_, bias_;
};

}  // namespace

std::unique_ptr<Conv2dF32> try_make_conv2d_rows(Isa isa, const Conv2dShape& s, const float* weight,
                                                const float* bias, const Activation& act) {
  if (!f32_kernels(isa).conv_rows) return nullptr;
  const size_t Kg = s.C / s.G * s.KH * s.KW;
  if (s.SW > 2 || s.OW < kConvRowsMinWidth || Kg > kConvRowsMaxK || s.M / s.G < kConvRowsMinChannels)
    return nullptr;
  Im2colTables t = Im2colTables::make(s);  // throws when a group's padded planes exceed 32-bit offsets
  return std::make_unique<Conv2dRows>(isa, s, std::move(t), weight, bias, act);
}

}  // namespace npuq
