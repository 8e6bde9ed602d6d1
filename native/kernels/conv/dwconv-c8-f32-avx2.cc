// dwconv_c8_f32__avx2: depthwise convolution of up to 8 channels of one image, one ymm (8 channels) per
// pixel (DwC8Block). The input rows go into the zero-padded [Hp][Wp][8] scratch image 4 columns at a
// time (channels c and c + 4 share a register, one in-lane 4x4 transpose gives 4 whole pixels; the last
// 1-3 columns load under a mask, which never touches the masked-off lanes); each output pixel is then
// an fma chain over the taps in (kh, kw) order from +0 with plain loads (no borders, no masks), + bias,
// then the clamp (_mm256_max_ps(v, lo) is v > lo ? v : lo, _mm256_min_ps likewise), exactly as
// dwconv_c8_f32__scalar lane by lane; tiles of 8, 4, 2, 1 pixels of an output row. The [OH][OW][8]
// result goes back into the planes by the same transpose, the last 1-3 pixels stored under a mask.
// Lanes of missing channels (channels < 8) read a copy of the last channel and are never stored.
// The block's driver (padded copy, tiles, copy back) is shared with the other tiers: dwconv-c8-impl.h.
#include <immintrin.h>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/conv-epilogue-avx2.h"
#include "kernels/conv/dwconv-c8-impl.h"

namespace npuq {

namespace {

// Four 8-float rows [a | e], [b | f], [c | g], [d | h] (128-bit halves) become, per column j < 4,
// [a_j b_j c_j d_j | e_j f_j g_j h_j]: a 4x4 transpose within each half, 8 in-lane shuffles.
inline void transpose4x2(__m256& r0, __m256& r1, __m256& r2, __m256& r3) {
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  r0 = _mm256_shuffle_ps(t0, t2, 0x44);
  r1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  r2 = _mm256_shuffle_ps(t1, t3, 0x44);
  r3 = _mm256_shuffle_ps(t1, t3, 0xEE);
}

inline __m128i tail_mask4(size_t n) {
  return _mm_cmpgt_epi32(_mm_set1_epi32(static_cast<int>(n)), _mm_setr_epi32(0, 1, 2, 3));
}

inline __m256 halves(__m128 lo, __m128 hi) { return _mm256_insertf128_ps(_mm256_castps128_ps256(lo), hi, 1); }

inline void zero_pixels(float* p, size_t n) {
  const __m256 z = _mm256_setzero_ps();
  for (size_t i = 0; i < n; ++i) _mm256_storeu_ps(p + 8 * i, z);
}

// n columns of the 8 channel rows src[c] into n interleaved pixels at dst, 4 columns at a time: row c
// and row c + 4 share a register (c in the low half), so one in-lane transpose yields 4 whole pixels. The
// last 1-3 columns load under a mask.
void pack_row(const float* const (&src)[8], size_t n, float* dst) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256 r0 = halves(_mm_loadu_ps(src[0] + i), _mm_loadu_ps(src[4] + i));
    __m256 r1 = halves(_mm_loadu_ps(src[1] + i), _mm_loadu_ps(src[5] + i));
    __m256 r2 = halves(_mm_loadu_ps(src[2] + i), _mm_loadu_ps(src[6] + i));
    __m256 r3 = halves(_mm_loadu_ps(src[3] + i), _mm_loadu_ps(src[7] + i));
    transpose4x2(r0, r1, r2, r3);
    _mm256_storeu_ps(dst + 8 * i, r0);
    _mm256_storeu_ps(dst + 8 * i + 8, r1);
    _mm256_storeu_ps(dst + 8 * i + 16, r2);
    _mm256_storeu_ps(dst + 8 * i + 24, r3);
  }
  if (i == n) return;
  const __m128i m = tail_mask4(n - i);
  __m256 r0 = halves(_mm_maskload_ps(src[0] + i, m), _mm_maskload_ps(src[4] + i, m));
  __m256 r1 = halves(_mm_maskload_ps(src[1] + i, m), _mm_maskload_ps(src[5] + i, m));
  __m256 r2 = halves(_mm_maskload_ps(src[2] + i, m), _mm_maskload_ps(src[6] + i, m));
  __m256 r3 = halves(_mm_maskload_ps(src[3] + i, m), _mm_maskload_ps(src[7] + i, m));
  transpose4x2(r0, r1, r2, r3);
  _mm256_storeu_ps(dst + 8 * i, r0);
  if (n - i > 1) _mm256_storeu_ps(dst + 8 * i + 8, r1);
  if (n - i > 2) _mm256_storeu_ps(dst + 8 * i + 16, r2);
}

void pack_input(const DwC8Block& b, size_t Hp, size_t Wp, float* xp) {
  const size_t HW = b.H * b.W;
  const float* planes[8];
  for (size_t c = 0; c < 8; ++c) planes[c] = b.x + (c < b.channels ? c : b.channels - 1) * HW;
  const size_t r0 = b.PT < Hp ? b.PT : Hp, r1 = b.PT + b.H < Hp ? b.PT + b.H : Hp;  // rows holding input
  const size_t q0 = b.PL < Wp ? b.PL : Wp, q1 = b.PL + b.W < Wp ? b.PL + b.W : Wp;  // columns holding input
  zero_pixels(xp, r0 * Wp);
  for (size_t r = r0; r < r1; ++r) {
    float* row = xp + r * Wp * 8;
    zero_pixels(row, q0);
    if (q1 > q0) {
      const float* src[8];
      for (size_t c = 0; c < 8; ++c) src[c] = planes[c] + (r - b.PT) * b.W;
      pack_row(src, q1 - q0, row + q0 * 8);
    }
    zero_pixels(row + q1 * 8, Wp - q1);
  }
  zero_pixels(xp + r1 * Wp * 8, (Hp - r1) * Wp);
}

// Channel c's 4 values into its plane (only channels that exist; under the mask if any).
inline void store4(float* y, size_t c, size_t channels, __m128 v, const __m128i* mask) {
  if (c < channels) {
    if (mask) _mm_maskstore_ps(y, *mask, v);
    else _mm_storeu_ps(y, v);
  }
}

// The [OHW][8] result into the output planes, 4 pixels at a time (the same in-lane transpose: register
// c holds channel c in the low half and channel c + 4 in the high half); the last 1-3 under a mask.
void unpack_output(const float* out, size_t OHW, size_t channels, float* y) {
  for (size_t i = 0; i < OHW; i += 4) {
    const size_t n = OHW - i < 4 ? OHW - i : 4;
    const __m256 z = _mm256_setzero_ps();
    __m256 r[4];
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) r[j] = static_cast<size_t>(j) < n ? _mm256_loadu_ps(out + 8 * (i + j)) : z;
    transpose4x2(r[0], r[1], r[2], r[3]);
    const __m128i m = tail_mask4(n);
    const __m128i* mask = n < 4 ? &m : nullptr;
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      store4(y + c * OHW + i, c, channels, _mm256_castps256_ps128(r[c]), mask);
      store4(y + (c + 4) * OHW + i, c + 4, channels, _mm256_extractf128_ps(r[c], 1), mask);
    }
  }
}

// P consecutive output pixels of a row; x: tap (0, 0) of the first one.
template <int P>
inline void tile(const float* x, const DwC8Taps& t, const float* w, const Avx2Epilogue& ep, float* out) {
  __m256 acc[P];
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) acc[p] = _mm256_setzero_ps();
#pragma GCC unroll 1
  for (size_t kh = 0; kh < t.KH; ++kh, x += t.row) {
    const float* xk = x;
#pragma GCC unroll 1
    for (size_t kw = 0; kw < t.KW; ++kw, xk += t.col, w += 8) {
      const __m256 wv = _mm256_loadu_ps(w);
#pragma GCC unroll 8
      for (int p = 0; p < P; ++p) acc[p] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xk + p * t.step), acc[p]);
    }
  }
#pragma GCC unroll 8
  for (int p = 0; p < P; ++p) _mm256_storeu_ps(out + 8 * p, ep(acc[p]));
}

// The tier's side of dwconv-c8-impl.h (npuq:: names this file's functions above, not the members).
struct Avx2C8 {
  using Epilogue = Avx2Epilogue;
  static Epilogue epilogue(const DwC8Block& b, const Activation& act) {
    return {b.bias != nullptr, act.enabled, b.bias ? _mm256_loadu_ps(b.bias) : _mm256_setzero_ps(),
            _mm256_set1_ps(act.lo), _mm256_set1_ps(act.hi)};
  }
  static void pack_input(const DwC8Block& b, size_t Hp, size_t Wp, float* xp) { npuq::pack_input(b, Hp, Wp, xp); }
  template <int P>
  static void tile(const float* x, const DwC8Taps& t, const float* w, const Epilogue& ep, float* out) {
    npuq::tile<P>(x, t, w, ep, out);
  }
  static void unpack_output(const float* out, size_t OHW, size_t channels, float* y) {
    npuq::unpack_output(out, OHW, channels, y);
  }
};

}  // namespace

void dwconv_c8_f32__avx2(const DwC8Block& b, const Activation& act) { dwconv_c8_run<Avx2C8>(b, act); }

}  // namespace npuq
