// Im2colBPacker: im2col straight into the GEMM's NR-panels, one K block x N block at a time, so the
// scratch never exceeds the driver's KC x NC block.
#include <algorithm>
#include <cstring>

#include "kernels/conv/conv-internal.h"

namespace npuq {

void Im2colBPacker::pack(size_t k0, size_t kc, size_t n0, size_t nc, size_t nr, float* dst) const {
  const Conv2dShape& s = s_;
  const size_t KK = s.KH * s.KW;
  const long long H = static_cast<long long>(s.H), W = static_cast<long long>(s.W);
  for (size_t kk = 0; kk < kc; ++kk) {
    const size_t k = k0 + kk, c = k / KK, kh = (k % KK) / s.KW, kw = k % s.KW;
    const float* xc = x_ + c * s.H * s.W;
    float* drow = dst + kk * nr;
    size_t jj = 0, oh = n0 / s.OW, ow = n0 % s.OW;
    while (jj < nc) {
      const size_t run = std::min(s.OW - ow, nc - jj);
      const long long ih = static_cast<long long>(oh * s.SH + kh * s.DH) - static_cast<long long>(s.PT);
      const long long iw0 = static_cast<long long>(ow * s.SW + kw * s.DW) - static_cast<long long>(s.PL);
      const long long sw = static_cast<long long>(s.SW);
      // Valid r in [r_lo, r_hi): 0 <= iw0 + r*SW < W.
      long long r_lo = 0, r_hi = 0;
      if (ih >= 0 && ih < H) {
        r_lo = iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw;
        r_hi = iw0 >= W ? 0 : (W - iw0 + sw - 1) / sw;
        r_lo = std::min<long long>(r_lo, static_cast<long long>(run));
        r_hi = std::max(r_lo, std::min<long long>(r_hi, static_cast<long long>(run)));
      }
      const float* xrow = xc + (ih >= 0 && ih < H ? ih : 0) * s.W;
      // Write run values, splitting at panel boundaries (each piece is contiguous in dst).
      size_t r = 0;
      while (r < run) {
        const size_t j = jj + r, lane = j % nr, piece = std::min(run - r, nr - lane);
        float* d = drow + (j / nr) * kc * nr + lane;
        const long long pr = static_cast<long long>(r), pn = static_cast<long long>(piece);
        const size_t lo = static_cast<size_t>(std::min(std::max(r_lo - pr, 0LL), pn));
        const size_t hi = static_cast<size_t>(std::min(std::max(r_hi - pr, static_cast<long long>(lo)), pn));
        for (size_t i = 0; i < lo; ++i) d[i] = 0.0f;
        if (hi > lo) {
          const float* src = xrow + (iw0 + (pr + static_cast<long long>(lo)) * sw);
          if (sw == 1)
            std::memcpy(d + lo, src, (hi - lo) * sizeof(float));
          else
            for (size_t i = lo; i < hi; ++i) d[i] = src[(i - lo) * s.SW];
        }
        for (size_t i = hi; i < piece; ++i) d[i] = 0.0f;
        r += piece;
      }
      jj += run;
      ++oh;
      ow = 0;
    }
  }
  // Zero the padding columns of the last panel.
  const size_t padded = (nc + nr - 1) / nr * nr;
  if (padded > nc) {
    float* last = dst + (nc / nr) * kc * nr;
    for (size_t kk = 0; kk < kc; ++kk)
      for (size_t l = nc % nr; l < nr; ++l) last[kk * nr + l] = 0.0f;
  }
}

}  // namespace npuq
