// Pre-padded, phase-split int32 planes for the quantized window kernels: the integer twin of
// conv/plane-window.h (same geometry: rows and columns the outputs touch, padding included, column c in
// phase c % SW at index c / SW, >= 8 int32 of slack per row). The input plane of any 8/16-bit QType is
// widened once to int32 (minus an offset), so one kernel per tier serves every type.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dispatch/q-eltwise.h"

namespace npuq {

struct QPoolGeometry {
  size_t H = 0, W = 0, OH = 0, OW = 0, KH = 1, KW = 1, SH = 1, SW = 1, DH = 1, DW = 1, PT = 0, PL = 0;
};

class QPoolPlaneLayout {
 public:
  explicit QPoolPlaneLayout(const QPoolGeometry& g);
  size_t buffer_size() const { return buffer_size_; }  // int32 elements of one padded plane
  // buf = plane x [H x W] of type t, each value minus `offset`; `pad` outside the input.
  void fill(const void* x, QType t, int32_t offset, int32_t pad, int32_t* buf) const;
  QPoolWindow window(const int32_t* buf) const;

 private:
  QPoolGeometry g_;
  size_t rows_ = 0, row_stride_ = 0, phase_stride_ = 0, buffer_size_ = 0;
  std::vector<size_t> tap_off_;
};

}  // namespace npuq
