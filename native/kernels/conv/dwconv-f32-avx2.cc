// dwconv_f32_8x__avx2: one depthwise output plane in register tiles of up to 4 output rows x 2 ymm (16
// outputs) so that 8 independent fma chains hide the fma latency even on narrow planes; weights are
// broadcast once per tap for the whole tile. Every lane runs the scalar tap order, so results match
// dwconv_f32__scalar bit for bit. Partial last vectors of a row are stored under a mask (their loads stay
// inside the padded row's slack, see plane-window.h).
#include <immintrin.h>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/conv-epilogue-avx2.h"

namespace npuq {

namespace {

inline __m256i tail_mask(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Rows [oh, oh+R) x outputs [ow, ow + 8V), of which `valid` (<= 8V) are stored.
template <int R, int V>
inline void tile(const PlaneWindow& p, const float* w, const Avx2Epilogue& ep, size_t oh, size_t ow, size_t valid) {
  __m256 acc[R][V];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < V; ++v) acc[r][v] = _mm256_setzero_ps();
  const float* base = p.xp + oh * p.SH * p.row_stride + ow;
  const size_t rstep = p.SH * p.row_stride;
  for (size_t t = 0; t < p.taps; ++t) {
    const __m256 wv = _mm256_broadcast_ss(w + t);
    const float* s = base + p.tap_off[t];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
#pragma GCC unroll 2
      for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(s + r * rstep + 8 * v), acc[r][v]);
  }
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    float* y = p.y + (oh + r) * p.OW + ow;
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

template <int R>
inline void row_block(const PlaneWindow& p, const float* w, const Avx2Epilogue& ep, size_t oh) {
  size_t ow = 0;
  for (; ow + 8 < p.OW; ow += 16) tile<R, 2>(p, w, ep, oh, ow, p.OW - ow < 16 ? p.OW - ow : 16);
  if (ow < p.OW) tile<R, 1>(p, w, ep, oh, ow, p.OW - ow);
}

}  // namespace

void dwconv_f32_8x__avx2(const PlaneWindow& p, const float* w, const float* bias, const Activation& act) {
  const Avx2Epilogue ep{bias != nullptr, act.enabled, _mm256_set1_ps(bias ? *bias : 0.0f), _mm256_set1_ps(act.lo),
                    _mm256_set1_ps(act.hi)};
  size_t oh = 0;
  for (; oh + 4 <= p.OH; oh += 4) row_block<4>(p, w, ep, oh);
  switch (p.OH - oh) {
    case 3: row_block<3>(p, w, ep, oh); break;
    case 2: row_block<2>(p, w, ep, oh); break;
    case 1: row_block<1>(p, w, ep, oh); break;
    default: break;
  }
}

}  // namespace npuq
