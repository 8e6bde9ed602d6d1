// Depthwise convolution (G == C == M) on small planes, channels vectorised: the tier's dwconv_c8 kernel
// runs 8 channels of one image at once, one vector per output pixel, so there are no row borders or
// tails; the plane-by-plane kernels spend most of their time in those on maps of 16x16 and below.
// Same sums as the plane kernels (DwC8Block), so the choice between them changes no result.
#include <algorithm>
#include <vector>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/conv-internal.h"

namespace npuq {

namespace {

class Conv2dDepthwiseC8 final : public Conv2dF32 {
 public:
  Conv2dDepthwiseC8(Isa isa, const Conv2dShape& s, const float* weight, const float* bias, const Activation& act)
      : s_(s), k_(&f32_kernels(isa)), act_(act), groups_((s.C + 7) / 8) {
    const size_t KK = s.KH * s.KW;
    // Weights per group of 8 channels, tap-major ([tap][8]); lanes past the last channel hold 0.
    w_.assign(groups_ * KK * 8, 0.0f);
    for (size_t c = 0; c < s.C; ++c)
      for (size_t t = 0; t < KK; ++t) w_[((c / 8) * KK + t) * 8 + c % 8] = weight[c * KK + t];
    if (bias) {
      bias_.assign(groups_ * 8, 0.0f);
      std::copy_n(bias, s.C, bias_.begin());
    }
    DwC8Block& b = block_;
    b.H = s.H; b.W = s.W; b.KH = s.KH; b.KW = s.KW; b.SH = s.SH; b.SW = s.SW; b.DH = s.DH; b.DW = s.DW;
    b.PT = s.PT; b.PL = s.PL; b.OH = s.OH; b.OW = s.OW;
    scratch_size_ = dwconv_c8_scratch_size(b);
  }

  void run(const float* x, float* y, ThreadPool* pool) const override {
    const size_t tasks = s_.N * groups_, KK = s_.KH * s_.KW, threads = pool ? pool->threads() : 1;
    const double work = static_cast<double>(s_.N) * s_.C * s_.OH * s_.OW * KK;
    const size_t chunks = work < 32768.0 ? 1 : threads * 4;
    const DwC8Fn fn = k_->dwconv_c8;
    parallel_ranges(threads > 1 ? pool : nullptr, tasks, chunks, [&](size_t begin, size_t end) {
      AlignedFloats scratch(scratch_size_);
      DwC8Block b = block_;
      b.scratch = scratch.data();
      for (size_t task = begin; task < end; ++task) {
        const size_t n = task / groups_, c0 = (task % groups_) * 8;
        b.channels = std::min<size_t>(8, s_.C - c0);
        b.x = x + (n * s_.C + c0) * s_.H * s_.W;
        b.y = y + (n * s_.C + c0) * s_.OH * s_.OW;
        b.w = w_.data() + c0 * KK;
        b.bias = bias_.empty() ? nullptr : bias_.data() + c0;
        fn(b, act_);
      }
    });
  }

 private:
  Conv2dShape s_;
  const F32Kernels* k_;
  Activation act_;
  size_t groups_ = 0, scratch_size_ = 0;
  std::vector<float> w_, bias_;
  DwC8Block block_;
};

}  // namespace

// Measured against the plane kernels (AVX2 on an EPYC, one thread, kernel calls timed alone): 0.3-0.6x
// the time from 4x4 to 16x16 planes with 3x3 kernels, 0.5-0.8x up to 56x56; slower with fewer than 5
// channels (the unused lanes cost as much as used ones: 1 channel of 16x16 takes 4x) and once the
// scratch leaves L2 (32 channels of 112x112, 800 KB of scratch: 1.1x). Hence at least 8 channels and a
// scratch of at most 256 KB (56x56 with 3x3 or 5x5 fits; 112x112 does not).
bool conv2d_depthwise_c8_fits(const Conv2dShape& s) {
  if (s.G != s.C || s.M != s.C || s.C < 8) return false;
  const size_t hp = dwconv_c8_padded(s.OH, s.KH, s.SH, s.DH), wp = dwconv_c8_padded(s.OW, s.KW, s.SW, s.DW);
  return hp <= kDepthwiseC8MaxPixels && wp <= kDepthwiseC8MaxPixels &&
         hp * wp + s.OH * s.OW <= kDepthwiseC8MaxPixels;
}

std::unique_ptr<Conv2dF32> make_conv2d_depthwise_c8(Isa isa, const Conv2dShape& s, const float* weight,
                                                    const float* bias, const Activation& act) {
  return std::make_unique<Conv2dDepthwiseC8>(isa, s, weight, bias, act);
}

}  // namespace npuq
