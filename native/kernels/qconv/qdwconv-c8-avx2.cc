// qdwconv_c8_s16s16_s32__avx2: 8 channels in the 8 int32 lanes, 4 output pixels per step. Each product
// is one vpmaddwd: the input widened to int32 lanes (x, *) times the weight zero-extended to (w, 0), so
// the pair sum is exactly x * w (int16 x int16, signed). c8_planar_s32__avx2: the sums back to channel
// planes through 8x8 register transposes.
#include <immintrin.h>

#include "dispatch/q-kernels.h"
#include "kernels/simd/transpose-avx2.h"

namespace npuq {

namespace {

__m256i load_x(const int16_t* p) { return _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

}  // namespace

void qdwconv_c8_s16s16_s32__avx2(const QDwC8Window& p, const int16_t* w, int32_t* acc) {
  const size_t step = p.SW * 8;
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const int16_t* row = p.xp + oh * p.SH * p.Wp * 8;
    int32_t* out = acc + oh * p.OW * 8;
    size_t ow = 0;
    for (; ow + 4 <= p.OW; ow += 4) {
      const int16_t* base = row + ow * step;
      __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
      for (size_t t = 0; t < p.taps; ++t) {
        const __m256i wt = load_x(w + t * 8);
        const int16_t* x = base + p.tap_off[t] * 8;
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(load_x(x), wt));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(load_x(x + step), wt));
        s2 = _mm256_add_epi32(s2, _mm256_madd_epi16(load_x(x + 2 * step), wt));
        s3 = _mm256_add_epi32(s3, _mm256_madd_epi16(load_x(x + 3 * step), wt));
      }
      __m256i* o = reinterpret_cast<__m256i*>(out + ow * 8);
      _mm256_storeu_si256(o, s0);
      _mm256_storeu_si256(o + 1, s1);
      _mm256_storeu_si256(o + 2, s2);
      _mm256_storeu_si256(o + 3, s3);
    }
    for (; ow < p.OW; ++ow) {
      const int16_t* base = row + ow * step;
      __m256i s = _mm256_setzero_si256();
      for (size_t t = 0; t < p.taps; ++t)
        s = _mm256_add_epi32(s, _mm256_madd_epi16(load_x(base + p.tap_off[t] * 8), load_x(w + t * 8)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + ow * 8), s);
    }
  }
}

// 8 pixels x 8 channels per 8x8 register transpose; the last n % 8 pixels as the scalar kernel does.
void c8_planar_s32__avx2(const int32_t* acc, size_t n, int32_t* planar) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 r[8];
    for (size_t j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(reinterpret_cast<const float*>(acc + (i + j) * 8));
    transpose8(r);
    for (size_t c = 0; c < 8; ++c) _mm256_storeu_ps(reinterpret_cast<float*>(planar + c * n + i), r[c]);
  }
  for (; i < n; ++i)
    for (size_t c = 0; c < 8; ++c) planar[c * n + i] = acc[i * 8 + c];
}

}  // namespace npuq
