// dwconv_direct_f32_8x__avx2: one depthwise output plane read in place from the unpadded input plane
// (stride SW of 1 or 2, any kernel size, row stride, dilation and padding), in register tiles of up to
// 4 output rows x 2 ymm (16 outputs). Lane i of a stride-1 tap reads column b + i; of a stride-2 tap,
// the even elements of two loads at b and b + 8. Tiles whose columns all lie inside the row use plain
// loads; border tiles load under a mask (masked lanes read 0 and never fault), and rows above or below
// the plane read p.zeros, so every tap is an fma with the input or with 0 in (kh, kw) order,
// exactly as dwconv_direct_f32__scalar. Partial last vectors are stored under a mask.
#include <immintrin.h>

#include <cstdint>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/conv-epilogue-avx2.h"

namespace npuq {

namespace {

inline __m256i lane_ids() { return _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7); }

inline __m256i tail_mask(size_t n) { return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lane_ids()); }

// Lanes i with 0 <= b + i < W.
inline __m256i col_mask(long b, long W) {
  const __m256i c = _mm256_add_epi32(_mm256_set1_epi32(static_cast<int>(b)), lane_ids());
  return _mm256_and_si256(_mm256_cmpgt_epi32(c, _mm256_set1_epi32(-1)),
                          _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(W)), c));
}

// row[b .. b+8) with lanes outside [0, W) read as 0 (unless INNER: all inside).
template <bool INNER>
inline __m256 load8(const float* row, long b, __m256i mask) {
  if (INNER) return _mm256_loadu_ps(row + b);
  // row + b may point before the row; maskload never touches masked-off lanes.
  return _mm256_maskload_ps(reinterpret_cast<const float*>(reinterpret_cast<uintptr_t>(row) + b * 4), mask);
}

// Even elements of row[b .. b+16): lane i = row[b + 2i].
inline __m256 evens(__m256 lo, __m256 hi) {
  const __m256 s = _mm256_shuffle_ps(lo, hi, 0x88);  // lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), 0xD8));
}

constexpr size_t kMaxMaskedKW = 8;  // border tiles of wider kernels compute their masks per row

// Rows [oh, oh+R) x outputs [ow0, ow0 + 8V), of which `valid` (<= 8V) are stored. The tap loops stay
// rolled: unrolled, GCC hoists every load of the tile ahead of the fmas and spills them.
template <int R, int V, int S, bool INNER>
void tile(const DwDirectPlane& p, const float* w, const Avx2Epilogue& ep, size_t oh, size_t ow0, size_t valid) {
  __m256 acc[R][V];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();
  const long H = static_cast<long>(p.H), W = static_cast<long>(p.W);
  const long c0 = static_cast<long>(S * ow0) - static_cast<long>(p.PL);  // input column of lane 0, tap kw = 0
  // Column masks per (kw, vector, load), the same for every kernel row.
  __m256i mk[INNER ? 1 : kMaxMaskedKW][V][S];
  auto masks = [&](size_t kw, __m256i (&m)[V][S]) {
    const long b0 = c0 + static_cast<long>(kw * p.DW);
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v)
#pragma GCC unroll 2
      for (int s = 0; s < S; ++s) m[v][s] = col_mask(b0 + 8 * (S * v + s), W);
  };
  const bool hoisted = !INNER && p.KW <= kMaxMaskedKW;
  if (hoisted)
    for (size_t kw = 0; kw < p.KW; ++kw) masks(kw, mk[kw]);
  const long row0 = static_cast<long>(oh * p.SH) - static_cast<long>(p.PT);
  const size_t rstep = p.SH * p.W;
  // Every row of the tile's windows inside the plane: no per-row checks.
  const bool rows_inner = row0 >= 0 && row0 + static_cast<long>((R - 1) * p.SH + (p.KH - 1) * p.DH) < H;
#pragma GCC unroll 1
  for (size_t kh = 0; kh < p.KH; ++kh) {
    const float* rows[R];  // rows above or below the plane read the zero row
    const long ih0 = row0 + static_cast<long>(kh * p.DH);
    if (rows_inner) {
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) rows[r] = p.x + ih0 * W + r * rstep;
    } else {
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const long ih = ih0 + static_cast<long>(r * p.SH);
        rows[r] = ih >= 0 && ih < H ? p.x + ih * W : p.zeros;
      }
    }
#pragma GCC unroll 1
    for (size_t kw = 0; kw < p.KW; ++kw) {
      const __m256 wv = _mm256_broadcast_ss(w + kh * p.KW + kw);
      const long b0 = c0 + static_cast<long>(kw * p.DW);
      __m256i mr[V][S];
      if (!INNER && !hoisted) masks(kw, mr);
      const __m256i (&m)[V][S] = hoisted ? mk[INNER ? 0 : kw] : mr;
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
#pragma GCC unroll 2
        for (int v = 0; v < V; ++v) {
          const long b = b0 + 8 * S * v;
          __m256 xv;
          if (S == 1) xv = load8<INNER>(rows[r], b, m[v][0]);
          else xv = evens(load8<INNER>(rows[r], b, m[v][0]), load8<INNER>(rows[r], b + 8, m[v][S - 1]));
          acc[r][v] = _mm256_fmadd_ps(wv, xv, acc[r][v]);
        }
      }
    }
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    float* y = p.y + (oh + r) * p.OW + ow0;
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) {
      const size_t n = valid > 8 * static_cast<size_t>(v) ? valid - 8 * v : 0;
      if (n >= 8)
        _mm256_storeu_ps(y + 8 * v, ep(acc[r][v]));
      else if (n > 0)
        _mm256_maskstore_ps(y + 8 * v, tail_mask(n), ep(acc[r][v]));
    }
  }
}

// Columns [ow0, ow0 + 8V) read input columns [S*ow0 - PL, S*ow0 - PL + (KW-1)*DW + 8*S*V): all inside?
template <int V, int S>
inline bool inner(const DwDirectPlane& p, size_t ow0) {
  const long first = static_cast<long>(S * ow0) - static_cast<long>(p.PL);
  return first >= 0 && first + static_cast<long>((p.KW - 1) * p.DW + 8 * S * V) <= static_cast<long>(p.W);
}

// Column tiles: inner ones (plain loads) as wide as possible, masked ones only where the window crosses
// the left or right edge; two masked vectors share a tile when both cross (narrow planes).
template <int R, int S>
void row_block(const DwDirectPlane& p, const float* w, const Avx2Epilogue& ep, size_t oh) {
  size_t ow = 0;
  while (ow < p.OW) {
    const size_t rem = p.OW - ow;
    if (rem > 8 && inner<2, S>(p, ow)) {
      tile<R, 2, S, true>(p, w, ep, oh, ow, rem < 16 ? rem : 16);
      ow += 16;
    } else if (inner<1, S>(p, ow)) {
      tile<R, 1, S, true>(p, w, ep, oh, ow, rem < 8 ? rem : 8);
      ow += 8;
    } else if (rem > 8 && !inner<1, S>(p, ow + 8)) {
      tile<R, 2, S, false>(p, w, ep, oh, ow, rem < 16 ? rem : 16);
      ow += 16;
    } else {
      tile<R, 1, S, false>(p, w, ep, oh, ow, rem < 8 ? rem : 8);
      ow += 8;
    }
  }
}

template <int S>
void plane(const DwDirectPlane& p, const float* w, const Avx2Epilogue& ep) {
  size_t oh = 0;
  for (; oh + 4 <= p.OH; oh += 4) row_block<4, S>(p, w, ep, oh);
  switch (p.OH - oh) {
    case 3: row_block<3, S>(p, w, ep, oh); break;
    case 2: row_block<2, S>(p, w, ep, oh); break;
    case 1: row_block<1, S>(p, w, ep, oh); break;
    default: break;
  }
}

}  // namespace

void dwconv_direct_f32_8x__avx2(const DwDirectPlane& p, const float* w, const float* bias, const Activation& act) {
  const Avx2Epilogue ep{bias != nullptr, act.enabled, _mm256_set1_ps(bias ? *bias : 0.0f), _mm256_set1_ps(act.lo),
                    _mm256_set1_ps(act.hi)};
  if (p.SW == 1) plane<1>(p, w, ep);
  else if (p.SW == 2) plane<2>(p, w, ep);
  else dwconv_direct_f32__scalar(p, w, bias, act);  // the driver never asks; kept exact regardless
}

}  // namespace npuq
