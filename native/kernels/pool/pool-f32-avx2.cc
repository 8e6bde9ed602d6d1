// Pooling kernels, AVX2: window pools vectorize along the output row (8 outputs per ymm, partial last
// vector under a mask); global pools take 8 rows at a time, transposing 8x8 blocks so each lane still
// reduces its row in index order. Same operations and order as pool-f32-scalar.cc.
#include <immintrin.h>

#include <cmath>

#include "dispatch/f32-kernels.h"
#include "kernels/simd/transpose-avx2.h"

namespace npuq {

namespace {

inline __m256i tail_mask(size_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

inline void store(float* y, size_t n, __m256 v) {
  if (n >= 8)
    _mm256_storeu_ps(y, v);
  else
    _mm256_maskstore_ps(y, tail_mask(n), v);
}

// MaxPool 2x2 s2 on 16 consecutive floats of each of two rows (a0 a1 above, b0 b1 below): the even and
// odd columns come from in-lane shuffles, so the maxima are in output order 0 1 4 5 | 2 3 6 7 until one
// cross-lane permute at the end. Taps in (kh, kw) order, max_ps(v, acc) = v > acc ? v : acc.
inline __m256 max2x2(__m256 a0, __m256 a1, __m256 b0, __m256 b1) {
  __m256 acc = _mm256_set1_ps(-HUGE_VALF);
  acc = _mm256_max_ps(_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(2, 0, 2, 0)), acc);
  acc = _mm256_max_ps(_mm256_shuffle_ps(a0, a1, _MM_SHUFFLE(3, 1, 3, 1)), acc);
  acc = _mm256_max_ps(_mm256_shuffle_ps(b0, b1, _MM_SHUFFLE(2, 0, 2, 0)), acc);
  acc = _mm256_max_ps(_mm256_shuffle_ps(b0, b1, _MM_SHUFFLE(3, 1, 3, 1)), acc);
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(acc), _MM_SHUFFLE(3, 1, 2, 0)));
}

// Reduces rows [0, rows) of x (row stride HW) with op, 8 rows per step; rem rows stay scalar.
template <typename V, typename S>
void global_reduce(size_t rows, size_t HW, const float* x, float* y, float init, V vop, S sop) {
  size_t r = 0;
  for (; r + 8 <= rows; r += 8) {
    const float* xr = x + r * HW;
    __m256 acc = _mm256_set1_ps(init);
    size_t i = 0;
    for (; i + 8 <= HW; i += 8) {
      __m256 v[8];
      for (int k = 0; k < 8; ++k) v[k] = _mm256_loadu_ps(xr + k * HW + i);
      transpose8(v);
      for (int j = 0; j < 8; ++j) acc = vop(acc, v[j]);
    }
    for (; i < HW; ++i) {
      const __m256 v = _mm256_setr_ps(xr[i], xr[HW + i], xr[2 * HW + i], xr[3 * HW + i], xr[4 * HW + i],
                                      xr[5 * HW + i], xr[6 * HW + i], xr[7 * HW + i]);
      acc = vop(acc, v);
    }
    _mm256_storeu_ps(y + r, acc);
  }
  for (; r < rows; ++r) {
    float acc = init;
    for (size_t i = 0; i < HW; ++i) acc = sop(acc, x[r * HW + i]);
    y[r] = acc;
  }
}

}  // namespace

void maxpool_f32_8x__avx2(const PlaneWindow& p) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const float* base = p.xp + oh * p.SH * p.row_stride;
    float* y = p.y + oh * p.OW;
    size_t ow = 0;
    for (; ow + 16 <= p.OW; ow += 16) {
      __m256 a0 = _mm256_set1_ps(-HUGE_VALF), a1 = a0;
      for (size_t t = 0; t < p.taps; ++t) {
        const float* s = base + p.tap_off[t] + ow;
        a0 = _mm256_max_ps(_mm256_loadu_ps(s), a0);  // x > acc ? x : acc
        a1 = _mm256_max_ps(_mm256_loadu_ps(s + 8), a1);
      }
      _mm256_storeu_ps(y + ow, a0);
      _mm256_storeu_ps(y + ow + 8, a1);
    }
    for (; ow < p.OW; ow += 8) {
      __m256 a0 = _mm256_set1_ps(-HUGE_VALF);
      for (size_t t = 0; t < p.taps; ++t) a0 = _mm256_max_ps(_mm256_loadu_ps(base + p.tap_off[t] + ow), a0);
      store(y + ow, p.OW - ow, a0);
    }
  }
}

void maxpool2x2_f32_8x__avx2(size_t rows, size_t W, size_t OW, const float* x, float* y) {
  const float* const x_end = x + 2 * rows * W;
  float* const y_end = y + rows * OW;
  for (size_t r = 0; r < rows; ++r, x += 2 * W, y += OW) {
    const float* x0 = x;
    const float* x1 = x + W;
    size_t ow = 0;
    for (; ow + 8 <= OW; ow += 8) {
      const float *a = x0 + 2 * ow, *b = x1 + 2 * ow;
      _mm256_storeu_ps(y + ow, max2x2(_mm256_loadu_ps(a), _mm256_loadu_ps(a + 8), _mm256_loadu_ps(b),
                                      _mm256_loadu_ps(b + 8)));
    }
    if (ow == OW) continue;
    const float *a = x0 + 2 * ow, *b = x1 + 2 * ow;
    if (b + 16 <= x_end && y + ow + 8 <= y_end) {
      // Fewer than 8 outputs left, but a full vector stays inside this call's input and output: the
      // extra lanes read the next rows and write outputs of later rows, which are written afterwards
      // (masked loads and stores would cost more than the whole row on some CPUs).
      _mm256_storeu_ps(y + ow, max2x2(_mm256_loadu_ps(a), _mm256_loadu_ps(a + 8), _mm256_loadu_ps(b),
                                      _mm256_loadu_ps(b + 8)));
      continue;
    }
    for (; ow < OW; ++ow) {  // the call's last rows: scalar, same steps
      float acc = -HUGE_VALF;
      acc = x0[2 * ow] > acc ? x0[2 * ow] : acc;
      acc = x0[2 * ow + 1] > acc ? x0[2 * ow + 1] : acc;
      acc = x1[2 * ow] > acc ? x1[2 * ow] : acc;
      acc = x1[2 * ow + 1] > acc ? x1[2 * ow + 1] : acc;
      y[ow] = acc;
    }
  }
}

void avgpool_f32_8x__avx2(const PlaneWindow& p, const float* hcount, const float* wcount) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const float* base = p.xp + oh * p.SH * p.row_stride;
    float* y = p.y + oh * p.OW;
    const __m256 hc = _mm256_set1_ps(hcount[oh]);
    for (size_t ow = 0; ow < p.OW; ow += 8) {
      __m256 a0 = _mm256_setzero_ps();
      for (size_t t = 0; t < p.taps; ++t) a0 = _mm256_add_ps(a0, _mm256_loadu_ps(base + p.tap_off[t] + ow));
      // wcount holds OW + 8 readable entries
      store(y + ow, p.OW - ow, _mm256_div_ps(a0, _mm256_mul_ps(hc, _mm256_loadu_ps(wcount + ow))));
    }
  }
}

void global_avgpool_f32_8c__avx2(size_t rows, size_t HW, const float* x, float* y) {
  global_reduce(rows, HW, x, y, 0.0f, [](__m256 a, __m256 v) { return _mm256_add_ps(a, v); },
                [](float a, float v) { return a + v; });
  const float n = static_cast<float>(HW);
  const __m256 vn = _mm256_set1_ps(n);
  size_t r = 0;
  for (; r + 8 <= rows; r += 8) _mm256_storeu_ps(y + r, _mm256_div_ps(_mm256_loadu_ps(y + r), vn));
  for (; r < rows; ++r) y[r] = y[r] / n;
}

void global_maxpool_f32_8c__avx2(size_t rows, size_t HW, const float* x, float* y) {
  global_reduce(rows, HW, x, y, -HUGE_VALF, [](__m256 a, __m256 v) { return _mm256_max_ps(v, a); },
                [](float a, float v) { return v > a ? v : a; });
}

}  // namespace npuq
