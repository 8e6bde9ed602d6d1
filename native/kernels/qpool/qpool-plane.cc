#include "kernels/qpool/qpool-plane.h"

#include <algorithm>

#include "kernels/qeltwise/qtype-io.h"

namespace npuq {

QPoolPlaneLayout::QPoolPlaneLayout(const QPoolGeometry& g) : g_(g) {
  rows_ = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1;
  const size_t cols = (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1;
  const size_t phase_cols = (cols + g.SW - 1) / g.SW;
  row_stride_ = (phase_cols + 8 + 7) / 8 * 8;
  phase_stride_ = rows_ * row_stride_;
  buffer_size_ = g.SW * phase_stride_;
  tap_off_.resize(g.KH * g.KW);
  for (size_t kh = 0; kh < g.KH; ++kh)
    for (size_t kw = 0; kw < g.KW; ++kw) {
      const size_t t = kw * g.DW;
      tap_off_[kh * g.KW + kw] = (t % g.SW) * phase_stride_ + kh * g.DH * row_stride_ + t / g.SW;
    }
}

namespace {

template <typename T>
void copy_row(const T* s, size_t count, size_t step, int32_t offset, int32_t* d) {
  for (size_t i = 0; i < count; ++i) d[i] = int32_t(s[i * step]) - offset;
}

void copy_row_any(const void* x, QType t, size_t start, size_t count, size_t step, int32_t offset, int32_t* d) {
  switch (t) {
    case QType::U8: return copy_row(static_cast<const uint8_t*>(x) + start, count, step, offset, d);
    case QType::S8: return copy_row(static_cast<const int8_t*>(x) + start, count, step, offset, d);
    case QType::U16: return copy_row(static_cast<const uint16_t*>(x) + start, count, step, offset, d);
    case QType::S16: return copy_row(static_cast<const int16_t*>(x) + start, count, step, offset, d);
    case QType::S32: return copy_row(static_cast<const int32_t*>(x) + start, count, step, offset, d);
  }
}

}  // namespace

void QPoolPlaneLayout::fill(const void* x, QType t, int32_t offset, int32_t pad, int32_t* buf) const {
  const size_t SW = g_.SW, PL = g_.PL, W = g_.W;
  for (size_t q = 0; q < SW; ++q) {
    // Phase column i holds padded column c = i*SW + q, input column c - PL: valid for i in [lo, hi).
    size_t lo = PL > q ? (PL - q + SW - 1) / SW : 0;
    size_t hi = PL + W > q ? (PL + W - q + SW - 1) / SW : 0;
    lo = std::min(lo, row_stride_);
    hi = std::max(lo, std::min(hi, row_stride_));
    const size_t iw0 = lo * SW + q - PL;
    for (size_t r = 0; r < rows_; ++r) {
      int32_t* d = buf + q * phase_stride_ + r * row_stride_;
      if (r < g_.PT || r - g_.PT >= g_.H) {
        std::fill(d, d + row_stride_, pad);
        continue;
      }
      std::fill(d, d + lo, pad);
      if (hi > lo) copy_row_any(x, t, (r - g_.PT) * W + iw0, hi - lo, SW, offset, d + lo);
      std::fill(d + hi, d + row_stride_, pad);
    }
  }
}

QPoolWindow QPoolPlaneLayout::window(const int32_t* buf) const {
  QPoolWindow w;
  w.xp = buf;
  w.row_stride = row_stride_;
  w.tap_off = tap_off_.data();
  w.taps = tap_off_.size();
  w.OH = g_.OH;
  w.OW = g_.OW;
  w.SH = g_.SH;
  return w;
}

}  // namespace npuq
