#include "kernels/conv/plane-window.h"

#include <algorithm>

namespace npuq {

PlaneWindowLayout::PlaneWindowLayout(const WindowGeometry& g) : g_(g) {
  rows_ = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1;
  cols_ = (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1;
  phase_cols_ = (cols_ + g.SW - 1) / g.SW;
  // Rows are packed without slack: a vector load past the end of a row reads the next row (lanes whose
  // outputs are never stored); only the buffer's last row needs 8 floats after it.
  row_stride_ = phase_cols_;
  phase_stride_ = rows_ * row_stride_;
  buffer_size_ = g.SW * phase_stride_ + 8;
  tap_off_.resize(g.KH * g.KW);
  for (size_t kh = 0; kh < g.KH; ++kh) {
    for (size_t kw = 0; kw < g.KW; ++kw) {
      const size_t t = kw * g.DW;
      tap_off_[kh * g.KW + kw] = (t % g.SW) * phase_stride_ + kh * g.DH * row_stride_ + t / g.SW;
    }
  }
}

void PlaneWindowLayout::fill(const float* x, float pad, float* buf) const {
  const size_t SW = g_.SW, PL = g_.PL, W = g_.W;
  for (size_t q = 0; q < SW; ++q) {
    // Phase column i holds padded column c = i*SW + q, input column c - PL: valid for i in [lo, hi).
    size_t lo = PL > q ? (PL - q + SW - 1) / SW : 0;
    size_t hi = PL + W > q ? (PL + W - q + SW - 1) / SW : 0;
    lo = std::min(lo, row_stride_);
    hi = std::max(lo, std::min(hi, row_stride_));
    const size_t iw0 = lo * SW + q - PL;  // input column of phase column lo
    for (size_t r = 0; r < rows_; ++r) {
      float* d = buf + q * phase_stride_ + r * row_stride_;
      if (r < g_.PT || r - g_.PT >= g_.H) {
        for (size_t i = 0; i < row_stride_; ++i) d[i] = pad;
        continue;
      }
      const float* s = x + (r - g_.PT) * W + iw0;
      // Plain loops: rows of edge-model feature maps are 4-40 values, where a call to memmove/memset
      // per piece cost more than the copy itself (12 instructions per element in callgrind).
      for (size_t i = 0; i < lo; ++i) d[i] = pad;
      if (SW == 1) {
        const size_t n = hi - lo;
        float* dl = d + lo;
        for (size_t i = 0; i < n; ++i) dl[i] = s[i];
      } else {
        for (size_t i = lo; i < hi; ++i, s += SW) d[i] = *s;
      }
      for (size_t i = hi; i < row_stride_; ++i) d[i] = pad;
    }
  }
  float* tail = buf + SW * phase_stride_;  // read only by lanes that are never stored; kept initialized
  for (size_t i = 0; i < 8; ++i) tail[i] = pad;
}

PlaneWindow PlaneWindowLayout::window(const float* buf, float* y) const {
  PlaneWindow p;
  p.xp = buf;
  p.row_stride = row_stride_;
  p.tap_off = tap_off_.data();
  p.taps = tap_off_.size();
  p.OH = g_.OH;
  p.OW = g_.OW;
  p.SH = g_.SH;
  p.y = y;
  return p;
}

}  // namespace npuq
