// im2col for the GEMM path of Conv2dF32: each image/group is copied once into padded planes, then
// packing B is a pure gather through two offset tables (no bounds checks, no per-row calls), which
// matters for the small feature maps of edge CNNs where rows are only 5-20 values long.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/conv/conv-internal.h"

namespace npuq {

namespace {
constexpr size_t kMaxRuns = 64;  // runs per panel row: at most nr
}  // namespace

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
  t.row_runs = s.SW == 1 && s.OW >= 4;
  t.col_off.reserve(s.OH * s.OW);
  for (size_t oh = 0; oh < s.OH; ++oh)
    for (size_t ow = 0; ow < s.OW; ++ow) t.col_off.push_back(uint32_t(oh * s.SH * t.Wp + ow * s.SW));
  return t;
}

namespace {

// Short rows (edge CNNs: 5-40 floats) are copied and zero-filled inline: a libc call per row and per
// pad run cost more than the row itself (on digits_cnn's 10x10 planes, 15% of the conv's time went
// to memset/memcpy calls). Fixed-size __builtin_memcpy compiles to plain vector moves.
constexpr size_t kInlineFloats = 64;

inline void copy_short(float* d, const float* s, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) __builtin_memcpy(d + i, s + i, 32);
  if (n & 4) { __builtin_memcpy(d + i, s + i, 16); i += 4; }
  if (n & 2) { __builtin_memcpy(d + i, s + i, 8); i += 2; }
  if (n & 1) d[i] = s[i];
}

inline void copy_floats(float* d, const float* s, size_t n) {
  if (n <= kInlineFloats) copy_short(d, s, n);
  else std::memcpy(d, s, n * sizeof(float));
}

inline void zero_floats(float* d, size_t n) {
  static constexpr float kZeros[8] = {};
  if (n > kInlineFloats) return void(std::memset(d, 0, n * sizeof(float)));
  size_t i = 0;
  for (; i + 8 <= n; i += 8) __builtin_memcpy(d + i, kZeros, 32);
  if (n & 4) { __builtin_memcpy(d + i, kZeros, 16); i += 4; }
  if (n & 2) { __builtin_memcpy(d + i, kZeros, 8); i += 2; }
  if (n & 1) d[i] = 0.0f;
}

}  // namespace

// Writes the padded planes as one sweep of alternating zero runs and row copies: the zeros after a
// row's data and before the next row's (or the next plane's top rows) are one run, so each float of
// xp is written exactly once.
void Im2colTables::pad(const Conv2dShape& s, const float* x, size_t channels, float* xp) const {
  const size_t rows = std::min(s.H, Hp > s.PT ? Hp - s.PT : 0);
  const size_t n = std::min(s.W, Wp - s.PL);
  float* p = xp;
  for (size_t c = 0; c < channels; ++c) {
    const float* src = x + c * s.H * s.W;
    float* plane = xp + c * Hp * Wp;
    for (size_t h = 0; h < rows; ++h) {
      float* row = plane + (s.PT + h) * Wp + s.PL;
      zero_floats(p, static_cast<size_t>(row - p));
      copy_floats(row, src + h * s.W, n);
      p = row + n;
    }
  }
  zero_floats(p, static_cast<size_t>(xp + channels * Hp * Wp - p));
}

void Im2colBPacker::pack(size_t k0, size_t kc, size_t n0, size_t nc, size_t nr, float* dst) const {
  if (t_.row_runs && nr <= kMaxRuns) return pack_runs(k0, kc, n0, nc, nr, dst);
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

// Panel by panel: the runs of consecutive source offsets among the panel's columns are found once,
// then each run is copied into every depth row of the panel. A run of 4 or more floats moves as 8- or
// 4-float blocks whose last block ends exactly at the run's end (overlapping the one before), so
// nothing outside the run is read or written and the order of the copies does not matter.
void Im2colBPacker::pack_runs(size_t k0, size_t kc, size_t n0, size_t nc, size_t nr, float* dst) const {
  const uint32_t* col = t_.col_off.data() + n0;
  const uint32_t* row = t_.row_off.data() + k0;
  const size_t panels = (nc + nr - 1) / nr;
  for (size_t p = 0; p < panels; ++p) {
    const size_t j0 = p * nr, w = std::min(nr, nc - j0);
    const uint32_t* cp = col + j0;
    float* const d = dst + p * kc * nr;
    for (size_t l = 0; l < w;) {
      size_t e = l + 1;
      while (e < w && cp[e] == cp[e - 1] + 1) ++e;
      const size_t len = e - l;
      const float* const s = xp_ + cp[l];
      float* const o = d + l;
      if (len >= 8) {
        for (size_t kk = 0; kk < kc; ++kk) {
          const float* sk = s + row[kk];
          float* ok = o + kk * nr;
          for (size_t i = 0; i + 8 < len; i += 8) std::memcpy(ok + i, sk + i, 8 * sizeof(float));
          std::memcpy(ok + len - 8, sk + len - 8, 8 * sizeof(float));
        }
      } else if (len >= 4) {
        for (size_t kk = 0; kk < kc; ++kk) {
          const float* sk = s + row[kk];
          float* ok = o + kk * nr;
          std::memcpy(ok, sk, 4 * sizeof(float));
          std::memcpy(ok + len - 4, sk + len - 4, 4 * sizeof(float));
        }
      } else {
        for (size_t kk = 0; kk < kc; ++kk)
          for (size_t i = 0; i < len; ++i) o[kk * nr + i] = s[row[kk] + i];
      }
      l = e;
    }
    if (w < nr)
      for (size_t kk = 0; kk < kc; ++kk) std::fill(d + kk * nr + w, d + (kk + 1) * nr, 0.0f);
  }
}

const float* Im2colTables::pad_batch(const Conv2dShape& s, const float* x, ThreadPool* pool) const {
  static thread_local std::vector<float> padded;  // the calling thread's; filled by the pool
  const size_t threads = pool ? pool->threads() : 1, plane = Hp * Wp;
  const size_t used = s.N * s.C * plane;
  padded.resize(used + kPadBatchSpare);
  float* dst = padded.data();
  std::fill(dst + used, dst + used + kPadBatchSpare, 0.0f);
  parallel_ranges(threads > 1 && s.N > 1 ? pool : nullptr, s.N, threads, [&](size_t b, size_t e) {
    for (size_t n = b; n < e; ++n) pad(s, x + n * s.C * s.H * s.W, s.C, dst + n * s.C * plane);
  });
  return dst;
}

}  // namespace npuq
