// Pre-padded, phase-split integer input planes for the depthwise kernels: the integer twin of
// kernels/conv/plane-window.h. A plane is copied once as (q - zero point) into a buffer holding exactly
// the rows and columns the outputs touch, padding (real 0) included, columns split into SW phases, so
// every tap reads contiguous memory and the kernels need no border code. Rows keep 32 elements of slack
// for vector loads past the last output.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dispatch/q-kernels.h"
#include "kernels/conv/plane-window.h"

namespace npuq {

class QPlaneLayout {
 public:
  explicit QPlaneLayout(const WindowGeometry& g);
  size_t buffer_size() const { return buffer_size_; }  // elements of one plane buffer
  size_t row_stride() const { return row_stride_; }
  const std::vector<size_t>& tap_off() const { return tap_off_; }
  // buf = x - zp (x: H x W of type t), 0 in the padding. D is int16_t (8-bit types) or int32_t.
  template <class D>
  void fill(const void* x, QType t, int32_t zp, D* buf) const;
  QPlaneWindow window(const int16_t* buf) const;
  QPlaneWindow32 window32(const int32_t* buf) const;

 private:
  WindowGeometry g_;
  size_t rows_ = 0, cols_ = 0, phase_cols_ = 0, row_stride_ = 0, phase_stride_ = 0, buffer_size_ = 0;
  std::vector<size_t> tap_off_;
};

}  // namespace npuq
