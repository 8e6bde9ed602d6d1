// Depthwise QConv2d on small planes, 8 channels at a time (mode 32, channel multiplier 1): the planes of
// 8 channels of one image are copied once into a padded, channel-interleaved int16 buffer, the tier's
// dwconv_c8 kernel computes their int32 sums together, and each channel is requantized (or written as
// int64 accumulators + bias) exactly as the per-plane path does. Results are identical to it (exact
// integers); only the memory layout differs, which suits planes whose rows are too short to vectorize.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/qconv/qconv-internal.h"

namespace npuq {

class QDwConvC8 {
 public:
  // Largest OH * OW that takes this path (measured on 3x3 stride 1/2 MobileNet blocks).
  static constexpr size_t kMaxPixels = 256;
  // Whether a depthwise setup takes this path: a shape-only decision, the same for every tier.
  static bool applies(const QConvSetup& s);
  // w: (weight - zero point) per output channel, [M][KH * KW].
  QDwConvC8(const QConvSetup& s, const std::vector<int32_t>& w);
  // Output y (requantized) or, when acc is not null, int64 sums + bias.
  void run(const QConvSetup& s, const void* x, void* y, int64_t* acc, ThreadPool* pool) const;

 private:
  void run_tasks(const QConvSetup& s, size_t b, size_t e, const void* x, void* y, int64_t* acc) const;
  size_t groups_ = 0, rows_ = 0, cols_ = 0;
  std::vector<size_t> tap_off_;  // pixels
  std::vector<int16_t> w8_;      // [groups][taps][8], 0 in unused lanes
};

}  // namespace npuq
