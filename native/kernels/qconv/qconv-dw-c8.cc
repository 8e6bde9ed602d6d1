#include "kernels/qconv/qconv-dw-c8.h"

#include <algorithm>

namespace npuq {

namespace {

template <class S>
void interleave8(const S* __restrict s0, const S* __restrict s1, const S* __restrict s2, const S* __restrict s3,
                 const S* __restrict s4, const S* __restrict s5, const S* __restrict s6, const S* __restrict s7,
                 size_t n, int32_t zp, int16_t* __restrict d) {
  for (size_t i = 0; i < n; ++i) {
    d[i * 8 + 0] = static_cast<int16_t>(int32_t(s0[i]) - zp);
    d[i * 8 + 1] = static_cast<int16_t>(int32_t(s1[i]) - zp);
    d[i * 8 + 2] = static_cast<int16_t>(int32_t(s2[i]) - zp);
    d[i * 8 + 3] = static_cast<int16_t>(int32_t(s3[i]) - zp);
    d[i * 8 + 4] = static_cast<int16_t>(int32_t(s4[i]) - zp);
    d[i * 8 + 5] = static_cast<int16_t>(int32_t(s5[i]) - zp);
    d[i * 8 + 6] = static_cast<int16_t>(int32_t(s6[i]) - zp);
    d[i * 8 + 7] = static_cast<int16_t>(int32_t(s7[i]) - zp);
  }
}

// buf pixels (ih + PT, iw + PL) of the cn <= 8 lanes = x_c[ih][iw] - zp (x_c = x + c * plane) for the
// inputs the outputs touch; the rest of the buffer (padding) is left as it is (zeroed once per task
// range). All lanes of a pixel are written together (lanes past cn from a row of zero points), so each
// buffer row is one sequential pass the compiler can vectorize as an 8-way interleave.
template <class S>
void fill_lanes(const QConv2dParams& p, size_t rows, size_t cols, const S* x, size_t plane, size_t cn,
                const S* zrow, int16_t* buf) {
  const size_t ih1 = rows > p.PT ? std::min(p.H, rows - p.PT) : 0;
  const size_t iw1 = cols > p.PL ? std::min(p.W, cols - p.PL) : 0;
  const int32_t zp = p.in_zp;
  for (size_t ih = 0; ih < ih1; ++ih) {
    const S* s[8];
    for (size_t c = 0; c < 8; ++c) s[c] = c < cn ? x + c * plane + ih * p.W : zrow;
    int16_t* d = buf + ((ih + p.PT) * cols + p.PL) * 8;
    interleave8(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], iw1, zp, d);
  }
}

}  // namespace

bool QDwConvC8::applies(const QConvSetup& s) {
  const QConv2dParams& p = s.p;
  return s.mode32 && p.M == p.C && p.OH * p.OW <= kMaxPixels;
}

QDwConvC8::QDwConvC8(const QConvSetup& s, const std::vector<int32_t>& w) {
  const QConv2dParams& p = s.p;
  const size_t KK = p.KH * p.KW;
  groups_ = (p.C + 7) / 8;
  rows_ = (p.OH - 1) * p.SH + (p.KH - 1) * p.DH + 1;
  cols_ = (p.OW - 1) * p.SW + (p.KW - 1) * p.DW + 1;
  tap_off_.resize(KK);
  for (size_t kh = 0; kh < p.KH; ++kh)
    for (size_t kw = 0; kw < p.KW; ++kw) tap_off_[kh * p.KW + kw] = kh * p.DH * cols_ + kw * p.DW;
  w8_.assign(groups_ * KK * 8, 0);
  for (size_t m = 0; m < p.M; ++m)
    for (size_t t = 0; t < KK; ++t) w8_[((m / 8) * KK + t) * 8 + m % 8] = static_cast<int16_t>(w[m * KK + t]);
}

void QDwConvC8::run(const QConvSetup& s, const void* x, void* y, int64_t* acc, ThreadPool* pool) const {
  const QConv2dParams& p = s.p;
  const size_t tasks = p.N * groups_, threads = pool ? pool->threads() : 1;
  const double work = double(p.N) * p.M * p.OH * p.OW * p.KH * p.KW;
  parallel_ranges(threads > 1 ? pool : nullptr, tasks, work < 65536.0 ? 1 : threads * 4,
                  [&](size_t b, size_t e) { run_tasks(s, b, e, x, y, acc); });
}

void QDwConvC8::run_tasks(const QConvSetup& s, size_t b, size_t e, const void* x, void* y, int64_t* acc) const {
  const QConv2dParams& p = s.p;
  const size_t KK = tap_off_.size(), OHW = p.OH * p.OW, HW = p.H * p.W;
  const size_t isize = qtype_size(p.in_type), osize = qtype_size(p.out_type);
  std::vector<int16_t> buf(rows_ * cols_ * 8, 0);  // padding stays 0; lanes are overwritten per group
  std::vector<int32_t> acc8(OHW * 8), planar(OHW * 8);
  QDwC8Window win;
  win.xp = buf.data();
  win.Wp = cols_;
  win.tap_off = tap_off_.data();
  win.taps = KK;
  win.OH = p.OH; win.OW = p.OW; win.SH = p.SH; win.SW = p.SW;
  // Stands in for the rows of missing channels (a last group of fewer than 8): zero points give 0.
  const std::vector<uint8_t> zrow_u8(p.W, static_cast<uint8_t>(p.in_zp));
  const std::vector<int8_t> zrow_s8(p.W, static_cast<int8_t>(p.in_zp));
  for (size_t task = b; task < e; ++task) {
    const size_t n = task / groups_, g = task % groups_, c0 = g * 8, cn = std::min<size_t>(8, p.C - c0);
    const void* xp = static_cast<const char*>(x) + ((n * p.C + c0) * HW) * isize;
    if (p.in_type == QType::U8)
      fill_lanes(p, rows_, cols_, static_cast<const uint8_t*>(xp), HW, cn, zrow_u8.data(), buf.data());
    else
      fill_lanes(p, rows_, cols_, static_cast<const int8_t*>(xp), HW, cn, zrow_s8.data(), buf.data());
    s.kernels->dwconv_c8(win, w8_.data() + g * KK * 8, acc8.data());
    s.kernels->c8_planar(acc8.data(), OHW, planar.data());
    for (size_t c = 0; c < cn; ++c) {
      const size_t m = c0 + c, o = (n * p.M + m) * OHW;
      const int32_t* sums = planar.data() + c * OHW;
      if (acc) {
        for (size_t i = 0; i < OHW; ++i) acc[o + i] = int64_t(sums[i]) + s.bias[m];
      } else {
        s.kernels->requant(s.rq.args(m, 0, s.bias32.data()), sums, OHW, static_cast<char*>(y) + o * osize);
      }
    }
  }
}

}  // namespace npuq
