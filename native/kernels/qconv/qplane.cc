#include "kernels/qconv/qplane.h"

#include <algorithm>

namespace npuq {

QPlaneLayout::QPlaneLayout(const WindowGeometry& g) : g_(g) {
  rows_ = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1;
  cols_ = (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1;
  phase_cols_ = (cols_ + g.SW - 1) / g.SW;
  row_stride_ = (phase_cols_ + 32 + 15) / 16 * 16;  // >= 32 elements of slack after the last column
  phase_stride_ = rows_ * row_stride_;
  buffer_size_ = g.SW * phase_stride_ + 32;
  tap_off_.resize(g.KH * g.KW);
  for (size_t kh = 0; kh < g.KH; ++kh)
    for (size_t kw = 0; kw < g.KW; ++kw) {
      const size_t t = kw * g.DW;
      tap_off_[kh * g.KW + kw] = (t % g.SW) * phase_stride_ + kh * g.DH * row_stride_ + t / g.SW;
    }
}

namespace {

template <class S, class D>
void fill_t(const WindowGeometry& g, size_t rows, size_t row_stride, size_t phase_stride, const S* x, int32_t zp, D* buf) {
  const size_t SW = g.SW, PL = g.PL, W = g.W;
  for (size_t q = 0; q < SW; ++q) {
    size_t lo = PL > q ? (PL - q + SW - 1) / SW : 0;
    size_t hi = PL + W > q ? (PL + W - q + SW - 1) / SW : 0;
    lo = std::min(lo, row_stride);
    hi = std::max(lo, std::min(hi, row_stride));
    const size_t iw0 = lo * SW + q - PL;
    for (size_t r = 0; r < rows; ++r) {
      D* d = buf + q * phase_stride + r * row_stride;
      // Plain loops: rows are short, a memset call per piece costs more than the stores.
      if (r < g.PT || r - g.PT >= g.H) {
        for (size_t i = 0; i < row_stride; ++i) d[i] = D(0);
        continue;
      }
      const S* s = x + (r - g.PT) * W + iw0;
      for (size_t i = 0; i < lo; ++i) d[i] = D(0);
      if (SW == 1) {
        for (size_t i = lo; i < hi; ++i) d[i] = static_cast<D>(int32_t(s[i - lo]) - zp);
      } else {
        for (size_t i = lo; i < hi; ++i, s += SW) d[i] = static_cast<D>(int32_t(*s) - zp);
      }
      for (size_t i = hi; i < row_stride; ++i) d[i] = D(0);
    }
  }
}

}  // namespace

template <class D>
void QPlaneLayout::fill(const void* x, QType t, int32_t zp, D* buf) const {
  switch (t) {
    case QType::U8: fill_t(g_, rows_, row_stride_, phase_stride_, static_cast<const uint8_t*>(x), zp, buf); break;
    case QType::S8: fill_t(g_, rows_, row_stride_, phase_stride_, static_cast<const int8_t*>(x), zp, buf); break;
    case QType::U16: fill_t(g_, rows_, row_stride_, phase_stride_, static_cast<const uint16_t*>(x), zp, buf); break;
    case QType::S16: fill_t(g_, rows_, row_stride_, phase_stride_, static_cast<const int16_t*>(x), zp, buf); break;
    case QType::S32: break;
  }
  std::fill(buf + g_.SW * phase_stride_, buf + buffer_size_, D(0));
}

template void QPlaneLayout::fill<int16_t>(const void*, QType, int32_t, int16_t*) const;
template void QPlaneLayout::fill<int32_t>(const void*, QType, int32_t, int32_t*) const;

template <class D>
QPlaneWindowOf<D> window_of(const D* buf, size_t row_stride, const std::vector<size_t>& tap_off, const WindowGeometry& g) {
  QPlaneWindowOf<D> p;
  p.xp = buf;
  p.row_stride = row_stride;
  p.tap_off = tap_off.data();
  p.taps = tap_off.size();
  p.OH = g.OH;
  p.OW = g.OW;
  p.SH = g.SH;
  return p;
}

QPlaneWindow QPlaneLayout::window(const int16_t* buf) const {
  return window_of(buf, row_stride_, tap_off_, g_);
}

QPlaneWindow32 QPlaneLayout::window32(const int32_t* buf) const {
  return window_of(buf, row_stride_, tap_off_, g_);
}

}  // namespace npuq
