// im2col for the GEMM path of Conv2dF32: each image/group is copied once into padded planes, then
// packing B is a pure gather through two offset tables (no bounds checks, no per-row calls), which
// matters for the small feature maps of edge CNNs where rows are only 5-20 values long.
#include <algorithm>
#include <cstring>

#include "kernels/conv/conv-internal.h"

namespace npuq {

Im2colTables Im2colTables::make(const Conv2dShape& s) {
  Im2colTables t;
  // The padded plane covers every tap of every output position.
  const size_t need_h = (s.OH - 1) * s.SH + (s.KH - 1) * s.DH + 1;
  const size_t need_w = (s.OW - 1) * s.SW + (s.KW - 1) * s.DW + 1;
  t.Hp = std::max(need_h, s.H + s.PT);
  t.Wp = std::max(need_w, s.W + s.PL);
  t.needs_padding = s.PT != 0 || s.PL != 0 || t.Hp != s.H || t.Wp != s.W;
  const size_t plane = t.Hp * t.Wp, Cg = s.C / s.G;
  if (plane * Cg > UINT32_MAX) throw std::invalid_argument("conv input too large for im2col offsets");
  t.row_off.reserve(Cg * s.KH * s.KW);
  for (size_t c = 0; c < Cg; ++c)
    for (size_t kh = 0; kh < s.KH; ++kh)
      for (size_t kw = 0; kw < s.KW; ++kw) t.row_off.push_back(uint32_t(c * plane + kh * s.DH * t.Wp + kw * s.DW));
  t.col_off.reserve(s.OH * s.OW);
  for (size_t oh = 0; oh < s.OH; ++oh)
    for (size_t ow = 0; ow < s.OW; ++ow) t.col_off.push_back(uint32_t(oh * s.SH * t.Wp + ow * s.SW));
  return t;
}

void Im2colTables::pad(const Conv2dShape& s, const float* x, size_t channels, float* xp) const {
  for (size_t c = 0; c < channels; ++c) {
    const float* src = x + c * s.H * s.W;
    float* dst = xp + c * Hp * Wp;
    std::memset(dst, 0, s.PT * Wp * sizeof(float));
    for (size_t h = 0; h < s.H && s.PT + h < Hp; ++h) {
      float* row = dst + (s.PT + h) * Wp;
      std::memset(row, 0, s.PL * sizeof(float));
      const size_t n = std::min(s.W, Wp - s.PL);
      std::memcpy(row + s.PL, src + h * s.W, n * sizeof(float));
      std::memset(row + s.PL + n, 0, (Wp - s.PL - n) * sizeof(float));
    }
    const size_t filled = std::min(Hp, s.PT + s.H);
    std::memset(dst + filled * Wp, 0, (Hp - filled) * Wp * sizeof(float));
  }
}

void Im2colBPacker::pack(size_t k0, size_t kc, size_t n0, size_t nc, size_t nr, float* dst) const {
  const uint32_t* col = t_.col_off.data() + n0;
  const size_t full = nc / nr, tail = nc % nr;
  for (size_t kk = 0; kk < kc; ++kk) {
    const float* src = xp_ + t_.row_off[k0 + kk];
    float* d = dst + kk * nr;
    for (size_t p = 0; p < full; ++p) {
      const uint32_t* cp = col + p * nr;
      float* dp = d + p * kc * nr;
      for (size_t l = 0; l < nr; ++l) dp[l] = src[cp[l]];
    }
    if (tail) {
      const uint32_t* cp = col + full * nr;
      float* dp = d + full * kc * nr;
      size_t l = 0;
      for (; l < tail; ++l) dp[l] = src[cp[l]];
      for (; l < nr; ++l) dp[l] = 0.0f;
    }
  }
}

}  // namespace npuq
