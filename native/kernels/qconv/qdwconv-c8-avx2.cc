// qdwconv_c8_s16s16_s32__avx2: 8 channels in the 8 int32 lanes, 4 output pixels per step. Each product
// is one vpmaddwd: the input widened to int32 lanes (x, *) times the weight zero-extended to (w, 0), so
// the pair sum is exactly x * w (int16 x int16, signed).
#include <immintrin.h>

#include "dispatch/q-kernels.h"

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

}  // namespace npuq
