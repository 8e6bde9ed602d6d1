// qdwconv_s16s16_s32_16x__avx2: 16 outputs per step. Taps go in pairs: the two input rows are interleaved
// (vpunpcklwd / vpunpckhwd) and multiplied with the broadcast weight pair by vpmaddwd, so each int32 lane
// adds x(t)*w(t) + x(t+1)*w(t+1) exactly (|x|, |w| <= 255). unpacklo holds outputs 0-3 and 8-11, unpackhi
// 4-7 and 12-15; one lane permute per 16 outputs restores the order.
#include <immintrin.h>

#include <cstring>

#include "dispatch/q-kernels.h"

namespace npuq {

namespace {

inline int32_t pair(const int16_t* w, size_t t, size_t taps) {
  return int32_t(uint32_t(uint16_t(w[t])) | (t + 1 < taps ? uint32_t(uint16_t(w[t + 1])) << 16 : 0u));
}

}  // namespace

void qdwconv_s16s16_s32_16x__avx2(const QPlaneWindow& p, const int16_t* w, int32_t* acc) {
  const size_t taps = p.taps;
  int32_t wpairs[64];  // weight pairs (w[t], w[t+1]) for up to 128 taps, else built on the fly
  const bool table = taps <= 128;
  if (table)
    for (size_t t = 0; t < taps; t += 2) wpairs[t / 2] = pair(w, t, taps);
  for (size_t oh = 0; oh < p.OH; ++oh) {
    const int16_t* base = p.xp + oh * p.SH * p.row_stride;
    int32_t* out = acc + oh * p.OW;
    // 16 outputs per step; a ragged end (OW >= 16) recomputes the last 16 (same values), shorter rows
    // go through a local buffer.
    for (size_t ow0 = 0; ow0 < p.OW; ow0 += 16) {
      const size_t ow = ow0 + 16 > p.OW && p.OW >= 16 ? p.OW - 16 : ow0;
      __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
      size_t t = 0;
      for (; t + 2 <= taps; t += 2) {
        const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + p.tap_off[t] + ow));
        const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + p.tap_off[t + 1] + ow));
        const __m256i wp = _mm256_set1_epi32(table ? wpairs[t / 2] : pair(w, t, taps));
        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, x1), wp));
        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, x1), wp));
      }
      if (t < taps) {
        const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(base + p.tap_off[t] + ow));
        const __m256i wp = _mm256_set1_epi32(table ? wpairs[t / 2] : pair(w, t, taps));
        const __m256i z = _mm256_setzero_si256();
        lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(x0, z), wp));
        hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(x0, z), wp));
      }
      const __m256i r0 = _mm256_permute2x128_si256(lo, hi, 0x20), r1 = _mm256_permute2x128_si256(lo, hi, 0x31);
      if (ow + 16 <= p.OW) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + ow), r0);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + ow + 8), r1);
      } else {
        alignas(32) int32_t tmp[16];
        _mm256_store_si256(reinterpret_cast<__m256i*>(tmp), r0);
        _mm256_store_si256(reinterpret_cast<__m256i*>(tmp + 8), r1);
        std::memcpy(out + ow, tmp, (p.OW - ow) * sizeof(int32_t));
      }
    }
  }
}

}  // namespace npuq
