// Shared pieces of the convolution drivers: argument validation and the im2col B packer.
#pragma once
#include <cstdint>
#include <vector>
#include <cstddef>

#include "kernels/gemm/sgemm-internal.h"
#include "npuq/kernels.h"

namespace npuq {

// Throws std::invalid_argument naming the first bad value. `what` prefixes the message.
void validate_conv2d(const char* what, const Conv2dShape& s, const float* weight, bool transposed);

// Depthwise convolutions with channel multiplier 1 (G == C == M), at least 8 channels and a scratch image
// (padded input + output, 32 bytes per pixel) of at most kDepthwiseC8MaxPixels pixels run
// channels-vectorised (dwconv-c8.cc); the rest go plane by plane. Shape only, never tier.
constexpr size_t kDepthwiseC8MaxPixels = 8192;
bool conv2d_depthwise_c8_fits(const Conv2dShape& s);
std::unique_ptr<Conv2dF32> make_conv2d_depthwise_c8(Isa isa, const Conv2dShape& s, const float* weight,
                                                    const float* bias, const Activation& act);

// Convolutions whose tier has a conv_direct kernel run through it (conv2d-direct.cc) when the depth per
// group is at least kConvDirectMinK (or the maps are tiny, below kConvDirectTinyMap outputs per image),
// it is not a plain 1x1 on a map above kConvDirectMax1x1Map, and the batch's offsets fit in 32 bits;
// the rest use im2col + GEMM. Both compute the same sums, so the choice may depend on the tier.
constexpr size_t kConvDirectMinK = 32;
constexpr size_t kConvDirectTinyMap = 64;
constexpr size_t kConvDirectMax1x1Map = 256;  // plain 1x1 convs on larger maps stay GEMMs
// The conv_direct convolution for this shape, or nullptr when it does not qualify.
std::unique_ptr<Conv2dF32> try_make_conv2d_direct(Isa isa, const Conv2dShape& s, const float* weight,
                                                  const float* bias, const Activation& act);

// Convolutions with few taps per output (depth per group up to kConvRowsMaxK: one- to three-channel
// stems) at column stride 1 or 2, output rows of at least kConvRowsMinWidth and at least kConvRowsMinChannels
// output channels per group run through the tier's conv_rows kernel when it has one (conv2d-rows.cc):
// output pixels in lanes, no im2col and no transposed store. Same sums as the GEMM path.
constexpr size_t kConvRowsMaxK = 27;
constexpr size_t kConvRowsMinChannels = 4;
std::unique_ptr<Conv2dF32> try_make_conv2d_rows(Isa isa, const Conv2dShape& s, const float* weight,
                                                const float* bias, const Activation& act);

// Gather tables for im2col over a padded image: element (k, j) of op(B) is
// xp[row_off[k] + col_off[j]], where xp is one group's channels, each plane padded to Hp x Wp (pads
// hold 0). Computed once per conv shape at create().
struct Im2colTables {
  size_t Hp = 0, Wp = 0;
  bool needs_padding = false;
  std::vector<uint32_t> row_off;  // K = C/G * KH * KW entries, (c, kh, kw) in weight order
  std::vector<uint32_t> col_off;  // OH * OW entries, (oh, ow)
  // Column stride 1: col_off runs up by one along each output row, so a panel row is a few contiguous
  // runs that the packer copies 8 floats at a time instead of gathering one by one.
  bool row_runs = false;
  static Im2colTables make(const Conv2dShape& s);
  // Writes the padded copy of `channels` planes of x into xp (Hp * Wp floats each).
  void pad(const Conv2dShape& s, const float* x, size_t channels, float* xp) const;
  // The padded copy of the whole batch (s.N images of s.C planes) in the calling thread's scratch,
  // followed by kPadBatchSpare zeros, images split over the pool; valid until that thread's next call.
  static constexpr size_t kPadBatchSpare = 16;
  const float* pad_batch(const Conv2dShape& s, const float* x, ThreadPool* pool) const;
};

// op(B) = im2col of one image and one group, packed block by block into NR panels.
class Im2colBPacker final : public SgemmBPacker {
 public:
  Im2colBPacker(const float* xp, const Im2colTables& t) : xp_(xp), t_(t) {}
  void pack(size_t k0, size_t kc, size_t n0, size_t nc, size_t nr, float* dst) const override;

 private:
  void pack_runs(size_t k0, size_t kc, size_t n0, size_t nc, size_t nr, float* dst) const;
  const float* xp_;
  const Im2colTables& t_;
};

}  // namespace npuq
