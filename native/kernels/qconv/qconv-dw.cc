// Depthwise QConv2d (G == C, channel multiplier M/C): each input plane is padded once as (q - zp) into an
// int16 buffer (int32 for 16-bit inputs or int64 mode), then every output channel of that plane runs the
// tier's depthwise kernel (int32 sums) and is requantized row by row. Small planes of mode 32 with
// multiplier 1 go 8 channels at a time (qconv-dw-c8.h). 16-bit operands use an int32 plane: int32 sums
// (a portable loop) when every sum plus its bias provably fits int32 (16-bit activations with 8-bit
// weights: |x - zp| * sum|w - zw| is far below 2^31 for 3x3 kernels), then the tier's int32
// requantization; otherwise the tier's int64 kernel (dwconv_wide) and requant_s64_run.
#include <algorithm>
#include <cstdlib>

#include "kernels/qconv/qconv-dw-c8.h"
#include "kernels/qconv/qconv-internal.h"
#include "kernels/qconv/qplane.h"

namespace npuq {

namespace {

WindowGeometry geometry_of(const QConv2dParams& p) {
  WindowGeometry g;
  g.H = p.H; g.W = p.W; g.OH = p.OH; g.OW = p.OW; g.KH = p.KH; g.KW = p.KW;
  g.SH = p.SH; g.SW = p.SW; g.DH = p.DH; g.DW = p.DW; g.PT = p.PT; g.PL = p.PL;
  return g;
}

// int32 sums over an int32 plane (same layout as QPlaneWindow32) for 16-bit operands whose sums provably
// fit int32: a portable loop the compiler vectorizes.
void dwconv_s32s32_s32(const QPlaneLayout& l, const int32_t* xp, size_t OH, size_t OW, size_t SH, const int32_t* w,
                       int32_t* acc) {
  const std::vector<size_t>& off = l.tap_off();
  for (size_t oh = 0; oh < OH; ++oh) {
    const int32_t* base = xp + oh * SH * l.row_stride();
    int32_t* out = acc + oh * OW;
    std::fill(out, out + OW, 0);
    for (size_t t = 0; t < off.size(); ++t) {
      const int32_t wt = w[t];
      const int32_t* src = base + off[t];
      for (size_t ow = 0; ow < OW; ++ow) out[ow] += src[ow] * wt;
    }
  }
}

class QConvDepthwise final : public QConv2d {
 public:
  QConvDepthwise(QConvSetup s, const void* weight) : s_(std::move(s)), layout_(geometry_of(s_.p)) {
    const QConv2dParams& p = s_.p;
    const size_t KK = p.KH * p.KW;
    w_.resize(p.M * KK);
    for (size_t m = 0; m < p.M; ++m)
      for (size_t t = 0; t < KK; ++t) {
        const size_t i = m * KK + t;
        int32_t v = 0;
        switch (p.w_type) {
          case QType::U8: v = static_cast<const uint8_t*>(weight)[i]; break;
          case QType::S8: v = static_cast<const int8_t*>(weight)[i]; break;
          case QType::U16: v = static_cast<const uint16_t*>(weight)[i]; break;
          case QType::S16: v = static_cast<const int16_t*>(weight)[i]; break;
          case QType::S32: break;
        }
        w_[i] = v - s_.wzp[m];
      }
    if (s_.mode32) w16_.assign(w_.begin(), w_.end());  // |w - zw| <= 255
    if (!s_.mode32) {  // 16-bit operands: do the int32 sums of the wide path fit?
      std::vector<int64_t> absw(p.M, 0);
      for (size_t m = 0; m < p.M; ++m)
        for (size_t t = 0; t < KK; ++t) absw[m] += std::abs(int64_t(w_[m * KK + t]));
      wide32_ = qfits_int32(qmax_centered(p.in_type, p.in_zp), absw, s_.bias);
      if (wide32_) bias32_ = qbias32(s_.bias);
    }
    if (QDwConvC8::applies(s_)) c8_ = std::make_unique<QDwConvC8>(s_, w_);
  }

  void run(const void* x, void* y, ThreadPool* pool) const override { compute(x, y, nullptr, pool); }
  void run_acc(const void* x, int64_t* acc, ThreadPool* pool) const override { compute(x, nullptr, acc, pool); }

 private:
  void compute(const void* x, void* y, int64_t* acc, ThreadPool* pool) const {
    if (c8_) return c8_->run(s_, x, y, acc, pool);
    const QConv2dParams& p = s_.p;
    const size_t planes = p.N * p.C, threads = pool ? pool->threads() : 1;
    const double work = double(p.N) * p.M * p.OH * p.OW * p.KH * p.KW;
    parallel_ranges(threads > 1 ? pool : nullptr, planes, work < 65536.0 ? 1 : threads * 4,
                    [&](size_t b, size_t e) { run_planes(b, e, x, y, acc); });
  }

  void run_planes(size_t b, size_t e, const void* x, void* y, int64_t* acc) const {
    const QConv2dParams& p = s_.p;
    const size_t mult = p.M / p.C, KK = p.KH * p.KW, OHW = p.OH * p.OW, HW = p.H * p.W;
    const size_t isize = qtype_size(p.in_type), osize = qtype_size(p.out_type);
    const bool narrow = s_.mode32;  // int16 plane, int32 sums
    std::vector<int16_t> buf16(narrow ? layout_.buffer_size() : 0);
    std::vector<int32_t> buf32(narrow ? 0 : layout_.buffer_size());
    std::vector<int32_t> acc32(narrow || wide32_ ? OHW : 0);
    std::vector<int64_t> acc64(narrow || wide32_ ? 0 : OHW);
    for (size_t pl = b; pl < e; ++pl) {
      const size_t n = pl / p.C, c = pl % p.C;
      const void* xp = static_cast<const char*>(x) + pl * HW * isize;
      if (narrow)
        layout_.fill(xp, p.in_type, p.in_zp, buf16.data());
      else
        layout_.fill(xp, p.in_type, p.in_zp, buf32.data());
      for (size_t j = 0; j < mult; ++j) {
        const size_t m = c * mult + j, o = (n * p.M + m) * OHW;
        if (narrow) {
          s_.kernels->dwconv(layout_.window(buf16.data()), w16_.data() + m * KK, acc32.data());
          if (acc) {
            for (size_t i = 0; i < OHW; ++i) acc[o + i] = int64_t(acc32[i]) + s_.bias[m];
          } else {
            s_.kernels->requant(s_.rq.args(m, 0, s_.bias32.data()), acc32.data(), OHW, static_cast<char*>(y) + o * osize);
          }
        } else if (wide32_) {
          dwconv_s32s32_s32(layout_, buf32.data(), p.OH, p.OW, p.SH, w_.data() + m * KK, acc32.data());
          if (acc) {
            for (size_t i = 0; i < OHW; ++i) acc[o + i] = int64_t(acc32[i]) + s_.bias[m];
          } else {
            s_.kernels->requant(s_.rq.args(m, 0, bias32_.data()), acc32.data(), OHW, static_cast<char*>(y) + o * osize);
          }
        } else {
          s_.kernels->dwconv_wide(layout_.window32(buf32.data()), w_.data() + m * KK, acc64.data());
          if (acc) {
            for (size_t i = 0; i < OHW; ++i) acc[o + i] = acc64[i] + s_.bias[m];
          } else {
            requant_s64_run(*s_.kernels, s_.rq.args(m, 0, nullptr), acc64.data(), &s_.bias[m], OHW,
                            static_cast<char*>(y) + o * osize);
          }
        }
      }
    }
  }

  QConvSetup s_;
  QPlaneLayout layout_;
  std::vector<int32_t> w_;
  std::vector<int16_t> w16_;
  bool wide32_ = false;            // 16-bit operands whose sums (plus bias) fit int32
  std::vector<int32_t> bias32_;    // wide32_ only
  std::unique_ptr<QDwConvC8> c8_;  // small planes, mode 32, multiplier 1
};

}  // namespace

std::unique_ptr<QConv2d> make_qconv_depthwise(QConvSetup s, const void* weight) {
  return std::make_unique<QConvDepthwise>(std::move(s), weight);
}

}  // namespace npuq
