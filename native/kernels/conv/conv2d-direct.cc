// Convolutions through the tier's conv_direct kernel: output channels in vector lanes, each output
// column's taps broadcast straight from the input (or from one zero-padded copy of it), so no im2col
// matrix is written. All images of a batch form one range of columns, which keeps small feature maps
// (10x10, 5x5) in full-width tiles without gathering images into a GEMM. Same sums as the GEMM path.
#include <algorithm>
#include <utility>
#include <vector>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/conv-internal.h"

namespace npuq {

namespace {

constexpr size_t kMr = kConvDirectMr;
constexpr size_t kColsPerBlock = 96;  // columns per kernel call: their input windows stay in L1 across panels

class Conv2dDirect final : public Conv2dF32 {
 public:
  Conv2dDirect(Isa isa, const Conv2dShape& s, Im2colTables t, const float* weight, const float* bias,
               const Activation& act)
      : s_(s), k_(&f32_kernels(isa)), act_(act), t_(std::move(t)) {
    Cg_ = s.C / s.G;
    Mg_ = s.M / s.G;
    Kg_ = Cg_ * s.KH * s.KW;
    panels_ = (Mg_ + kMr - 1) / kMr;
    w_ = AlignedFloats(s.G * panels_ * Kg_ * kMr);
    for (size_t g = 0; g < s.G; ++g)
      sgemm_pack_a_full(weight + g * Mg_ * Kg_, Kg_, false, Mg_, Kg_, kMr, w_.data() + g * panels_ * Kg_ * kMr);
    if (bias) {
      bias_.assign(s.G * panels_ * kMr, 0.0f);
      for (size_t g = 0; g < s.G; ++g) std::copy_n(bias + g * Mg_, Mg_, bias_.begin() + g * panels_ * kMr);
    }
    plane_ = t_.Hp * t_.Wp;
    const size_t OHW = s.OH * s.OW;
    x_off_.resize(s.N * OHW);
    y_off_.resize(s.N * OHW);
    for (size_t n = 0; n < s.N; ++n)
      for (size_t q = 0; q < OHW; ++q) {
        x_off_[n * OHW + q] = uint32_t(n * s.C * plane_ + t_.col_off[q]);
        y_off_[n * OHW + q] = uint32_t(n * s.M * OHW + q);
      }
  }

  void run(const float* x, float* y, ThreadPool* pool) const override {
    const size_t threads = pool ? pool->threads() : 1, OHW = s_.OH * s_.OW;
    const float* xp = x;
    if (t_.needs_padding) xp = t_.pad_batch(s_, x, pool);
    const size_t cols = s_.N * OHW, blocks = (cols + kColsPerBlock - 1) / kColsPerBlock;
    const double macs = static_cast<double>(cols) * s_.M * Kg_;
    const size_t chunks = threads > 1 && macs >= kParallelMinMacs ? threads * 4 : 1;
    const ConvDirectFn fn = k_->conv_direct;
    parallel_ranges(chunks > 1 ? pool : nullptr, s_.G * blocks, chunks, [&](size_t b, size_t e) {
      ConvDirectBlock blk;
      blk.K = Kg_;
      blk.row_off = t_.row_off.data();
      blk.ldy = OHW;
      for (size_t task = b; task < e; ++task) {
        const size_t g = task / blocks, c0 = (task % blocks) * kColsPerBlock;
        const size_t n = std::min(kColsPerBlock, cols - c0);
        blk.x = xp + g * Cg_ * plane_;
        blk.x_off = x_off_.data() + c0;
        blk.y_off = y_off_.data() + c0;
        for (size_t p = 0; p < panels_; ++p) {
          const size_t panel = g * panels_ + p;
          blk.w = w_.data() + panel * Kg_ * kMr;
          blk.y = y + (g * Mg_ + p * kMr) * OHW;
          blk.bias = bias_.empty() ? nullptr : bias_.data() + panel * kMr;
          fn(std::min(kMr, Mg_ - p * kMr), n, blk, act_);
        }
      }
    });
  }

 private:
  Conv2dShape s_;
  const F32Kernels* k_;
  Activation act_;
  Im2colTables t_;
  size_t Cg_ = 0, Mg_ = 0, Kg_ = 0, panels_ = 0, plane_ = 0;
  AlignedFloats w_;
  std::vector<float> bias_;
  std::vector<uint32_t> x_off_, y_off_;
};

}  // namespace

std::unique_ptr<Conv2dF32> try_make_conv2d_direct(Isa isa, const Conv2dShape& s, const float* weight,
                                                  const float* bias, const Activation& act) {
  if (!f32_kernels(isa).conv_direct) return nullptr;
  const size_t Kg = s.C / s.G * s.KH * s.KW;
  // Measured on mbv2's 1x1 layers at batch 64 (AVX2): K = 16 and 24 are 1.3x and 1.0x the GEMM's time
  // (a 6-column tile's setup and transposed store weigh against only K taps), K >= 40 0.75-0.85x; with
  // 1x1 maps (squeeze-excitation convs) 0.2-0.4x at any K, where the GEMM runs one tiny call per image.
  const size_t OHW = s.OH * s.OW;
  if (Kg < kConvDirectMinK && OHW >= kConvDirectTinyMap) return nullptr;
  // A plain 1x1 convolution on a large map is a GEMM straight on the input, which stays faster (PP-OCR
  // det's 1x1 layers at 40x40 to 160x160 took 1.15-1.5x the GEMM's time here); on maps up to 16x16 the
  // per-image GEMMs are narrow and the direct path wins.
  const bool plain_1x1 = s.KH == 1 && s.KW == 1 && s.SH == 1 && s.SW == 1 && s.PT == 0 && s.PL == 0 &&
                         s.OH == s.H && s.OW == s.W;
  if (plain_1x1 && OHW > kConvDirectMax1x1Map) return nullptr;
  // Column offsets are 32-bit: the whole padded batch and the whole output must be addressable.
  Im2colTables t = Im2colTables::make(s);
  const double in = static_cast<double>(s.N) * s.C * t.Hp * t.Wp, out = static_cast<double>(s.N) * s.M * OHW;
  if (in >= 4294967295.0 || out >= 4294967295.0) return nullptr;
  return std::make_unique<Conv2dDirect>(isa, s, std::move(t), weight, bias, act);
}

}  // namespace npuq
