// qdwconv_s32s32_s64_16x__avx2: 16 outputs per step in four int64x4 accumulators held over all taps.
// Each group of 4 inputs is sign-extended to 64-bit lanes (vpmovsxdq) and multiplied by the broadcast
// weight with vpmuldq, which multiplies the low signed 32 bits of each lane exactly into 64 bits.
// Rows shorter than 16, and the last outputs of a row, go through the scalar loop.
#include <immintrin.h>

#include "dispatch/q-kernels.h"

namespace npuq {

namespace {

inline __m256i widen4(const int32_t* p) { return _mm256_cvtepi32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

}  // namespace

void qdwconv_s32s32_s64_16x__avx2(const QPlaneWindow32& p, const int32_t* w, int64_t* acc) {
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const int32_t* base = p.xp + oh * p.SH * p.row_stride;
    int64_t* out = acc + oh * p.OW;
    size_t ow = 0;
    for (; ow + 16 <= p.OW; ow += 16) {
      __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
      for (size_t t = 0; t < p.taps; ++t) {
        const int32_t* x = base + p.tap_off[t] + ow;
        const __m256i wt = _mm256_set1_epi64x(w[t]);
        a0 = _mm256_add_epi64(a0, _mm256_mul_epi32(widen4(x), wt));
        a1 = _mm256_add_epi64(a1, _mm256_mul_epi32(widen4(x + 4), wt));
        a2 = _mm256_add_epi64(a2, _mm256_mul_epi32(widen4(x + 8), wt));
        a3 = _mm256_add_epi64(a3, _mm256_mul_epi32(widen4(x + 12), wt));
      }
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + ow), a0);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + ow + 4), a1);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + ow + 8), a2);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + ow + 12), a3);
    }
    for (; ow < p.OW; ++ow) {
      int64_t s = 0;
      for (size_t t = 0; t < p.taps; ++t) s += int64_t(base[p.tap_off[t] + ow]) * w[t];
      out[ow] = s;
    }
  }
}

}  // namespace npuq
