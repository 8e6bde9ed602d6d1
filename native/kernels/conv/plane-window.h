// Pre-padded, phase-split input planes for sliding-window kernels (depthwise conv, pooling).
// The window input of one plane is copied once into a buffer holding exactly the rows and columns the
// outputs touch, padding included, with the columns split into SW phases (column c goes to phase c % SW
// at index c / SW). Every tap then reads contiguous memory for consecutive outputs, whatever the stride,
// dilation or padding, and the kernels need no border code. Rows follow each other without slack (a
// vector load past a row's end reads the next row, in lanes never stored) and the buffer ends with 8
// spare floats.
#pragma once
#include <cstddef>
#include <vector>

#include "dispatch/f32-kernels.h"

namespace npuq {

struct WindowGeometry {
  size_t H = 0, W = 0, OH = 0, OW = 0, KH = 1, KW = 1, SH = 1, SW = 1, DH = 1, DW = 1, PT = 0, PL = 0;
};

class PlaneWindowLayout {
 public:
  explicit PlaneWindowLayout(const WindowGeometry& g);
  // Floats needed for one padded plane.
  size_t buffer_size() const { return buffer_size_; }
  // Copies input plane x [H x W] into buf, `pad` outside the input.
  void fill(const float* x, float pad, float* buf) const;
  // The window over a filled buffer writing y [OH x OW].
  PlaneWindow window(const float* buf, float* y) const;

 private:
  WindowGeometry g_;
  size_t rows_ = 0, cols_ = 0, phase_cols_ = 0, row_stride_ = 0, phase_stride_ = 0, buffer_size_ = 0;
  std::vector<size_t> tap_off_;
};

}  // namespace npuq
