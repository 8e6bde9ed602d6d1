// dwconv_c8_f32__neon: depthwise convolution of up to 8 channels of one image, two float32x4 (channels
// 0-3, 4-7) per pixel (DwC8Block). The input rows go into the zero-padded [Hp][Wp][8] scratch image
// through 4x4 transposes (the last columns of a row one by one); each output pixel is then an fma chain
// over the taps in (kh, kw) order from +0 (vfmaq_f32 is fused, as std::fma), + bias, then the clamp as
// compare + bit select (vmaxq_f32 would let a NaN through where the scalar clamp gives lo), exactly as
// dwconv_c8_f32__scalar lane by lane; tiles of 8, 4, 2, 1 pixels of an output row. The [OH][OW][8]
// result goes back into the planes by the same transposes. Lanes of missing channels (channels < 8)
// read a copy of the last channel and are never stored.
// The block's driver (padded copy, tiles, copy back) is shared with the other tiers: dwconv-c8-impl.h.
#include <arm_neon.h>

#include "dispatch/f32-kernels.h"
#include "kernels/simd/clamp-neon.h"
#include "kernels/simd/transpose-neon.h"
#include "kernels/conv/dwconv-c8-impl.h"

namespace npuq {

namespace {

inline void zero_pixels(float* p, size_t n) {
  const float32x4_t z = vdupq_n_f32(0.0f);
  for (size_t i = 0; i < n; ++i) {
    vst1q_f32(p + 8 * i, z);
    vst1q_f32(p + 8 * i + 4, z);
  }
}

// n columns of the 8 channel rows src[c] into n interleaved pixels at dst.
void pack_row(const float* const (&src)[8], size_t n, float* dst) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int h = 0; h < 2; ++h) {
      float32x4_t a = vld1q_f32(src[4 * h] + i), b = vld1q_f32(src[4 * h + 1] + i);
      float32x4_t c = vld1q_f32(src[4 * h + 2] + i), d = vld1q_f32(src[4 * h + 3] + i);
      transpose4(a, b, c, d);
      float* o = dst + 8 * i + 4 * h;
      vst1q_f32(o, a);
      vst1q_f32(o + 8, b);
      vst1q_f32(o + 16, c);
      vst1q_f32(o + 24, d);
    }
  }
  for (; i < n; ++i)
    for (int c = 0; c < 8; ++c) dst[8 * i + c] = src[c][i];
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

// The [OHW][8] result into the output planes.
void unpack_output(const float* out, size_t OHW, size_t channels, float* y) {
  size_t i = 0;
  for (; i + 4 <= OHW; i += 4) {
    for (size_t h = 0; h < 2 && 4 * h < channels; ++h) {
      const float* o = out + 8 * i + 4 * h;
      float32x4_t a = vld1q_f32(o), b = vld1q_f32(o + 8), c = vld1q_f32(o + 16), d = vld1q_f32(o + 24);
      transpose4(a, b, c, d);
      float* yc = y + 4 * h * OHW + i;
      const size_t n = channels - 4 * h;
      vst1q_f32(yc, a);
      if (n > 1) vst1q_f32(yc + OHW, b);
      if (n > 2) vst1q_f32(yc + 2 * OHW, c);
      if (n > 3) vst1q_f32(yc + 3 * OHW, d);
    }
  }
  for (; i < OHW; ++i)
    for (size_t c = 0; c < channels; ++c) y[c * OHW + i] = out[8 * i + c];
}

struct Epilogue {
  bool has_bias, act;
  float32x4_t bias0, bias1, lo, hi;
  float32x4_t clamp(float32x4_t v) const { return clamp_f32x4(v, lo, hi); }
  void store(float32x4_t v0, float32x4_t v1, float* out) const {
    if (has_bias) {
      v0 = vaddq_f32(v0, bias0);
      v1 = vaddq_f32(v1, bias1);
    }
    if (act) {
      v0 = clamp(v0);
      v1 = clamp(v1);
    }
    vst1q_f32(out, v0);
    vst1q_f32(out + 4, v1);
  }
};

// P consecutive output pixels of a row; x: tap (0, 0) of the first one.
template <int P>
inline void tile(const float* x, const DwC8Taps& t, const float* w, const Epilogue& ep, float* out) {
  float32x4_t acc0[P], acc1[P];
  for (int p = 0; p < P; ++p) acc0[p] = acc1[p] = vdupq_n_f32(0.0f);
  for (size_t kh = 0; kh < t.KH; ++kh, x += t.row) {
    const float* xk = x;
    for (size_t kw = 0; kw < t.KW; ++kw, xk += t.col, w += 8) {
      const float32x4_t w0 = vld1q_f32(w), w1 = vld1q_f32(w + 4);
      for (int p = 0; p < P; ++p) {
        acc0[p] = vfmaq_f32(acc0[p], w0, vld1q_f32(xk + p * t.step));
        acc1[p] = vfmaq_f32(acc1[p], w1, vld1q_f32(xk + p * t.step + 4));
      }
    }
  }
  for (int p = 0; p < P; ++p) ep.store(acc0[p], acc1[p], out + 8 * p);
}

// The tier's side of dwconv-c8-impl.h (npuq:: names this file's functions above, not the members).
struct NeonC8 {
  using Epilogue = npuq::Epilogue;
  static Epilogue epilogue(const DwC8Block& b, const Activation& act) {
    const float32x4_t zero = vdupq_n_f32(0.0f);
    return {b.bias != nullptr, act.enabled, b.bias ? vld1q_f32(b.bias) : zero,
            b.bias ? vld1q_f32(b.bias + 4) : zero, vdupq_n_f32(act.lo), vdupq_n_f32(act.hi)};
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

void dwconv_c8_f32__neon(const DwC8Block& b, const Activation& act) { dwconv_c8_run<NeonC8>(b, act); }

}  // namespace npuq
