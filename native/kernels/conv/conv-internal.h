// Shared pieces of the convolution drivers: argument validation and the im2col B packer.
#pragma once
#include <cstddef>

#include "kernels/gemm/sgemm-internal.h"
#include "npuq/kernels.h"

namespace npuq {

// Throws std::invalid_argument naming the first bad value. `what` prefixes the message.
void validate_conv2d(const char* what, const Conv2dShape& s, const float* weight, bool transposed);

// op(B) = im2col of one image and one group: row k = (c, kh, kw) in weight order, column j = (oh, ow);
// positions in the padding read 0.
class Im2colBPacker final : public SgemmBPacker {
 public:
  Im2colBPacker(const float* x, const Conv2dShape& s) : x_(x), s_(s) {}
  void pack(size_t k0, size_t kc, size_t n0, size_t nc, size_t nr, float* dst) const override;

 private:
  const float* x_;
  const Conv2dShape& s_;
};

}  // namespace npuq
