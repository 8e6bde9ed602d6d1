// dwconv_c8_f32_e32m2__rvv: depthwise convolution of up to 8 channels of one image, one e32m2 vector
// with vl = 8 per pixel (8 floats fit in m2 from VLEN 128 up) (DwC8Block). Each input row goes into
// the zero-padded [Hp][Wp][8] scratch image with a strided store (32 bytes between pixels) per
// channel; each output pixel is then an fma chain over the taps in (kh, kw) order from +0 (vfmacc is
// fused, as std::fma), + bias, then the clamp as vmfgt/vmflt + vmerge (vfmax would order -0 below +0
// and drop NaN differently), exactly as dwconv_c8_f32__scalar lane by lane; tiles of 8, 4, 2, 1 pixels
// of an output row. The [OH][OW][8] result goes back into the planes with strided loads. Lanes of
// missing channels (channels < 8) hold 0 and are never stored.
// The block's driver (padded copy, tiles, copy back) is shared with the other tiers: dwconv-c8-impl.h.
#include <riscv_vector.h>

#include <cstddef>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/dwconv-c8-impl.h"

namespace npuq {

namespace {

constexpr ptrdiff_t kPixelBytes = 8 * sizeof(float);

// n floats of 0 at p.
void zero_floats(float* p, size_t n) {
  for (size_t i = 0, vl; i < n; i += vl) {
    vl = __riscv_vsetvl_e32m8(n - i);
    __riscv_vse32_v_f32m8(p + i, __riscv_vfmv_v_f_f32m8(0.0f, vl), vl);
  }
}

void pack_input(const DwC8Block& b, size_t Hp, size_t Wp, float* xp) {
  const size_t r0 = b.PT < Hp ? b.PT : Hp, r1 = b.PT + b.H < Hp ? b.PT + b.H : Hp;  // rows holding input
  const size_t q0 = b.PL < Wp ? b.PL : Wp, q1 = b.PL + b.W < Wp ? b.PL + b.W : Wp;  // columns holding input
  zero_floats(xp, r0 * Wp * 8);
  for (size_t r = r0; r < r1; ++r) {
    float* row = xp + r * Wp * 8;
    zero_floats(row, q0 * 8);
    const size_t n = q1 - q0;
    for (size_t c = 0; c < 8; ++c) {
      float* dst = row + q0 * 8 + c;
      if (c >= b.channels) {
        for (size_t i = 0, vl; i < n; i += vl) {
          vl = __riscv_vsetvl_e32m8(n - i);
          __riscv_vsse32_v_f32m8(dst + 8 * i, kPixelBytes, __riscv_vfmv_v_f_f32m8(0.0f, vl), vl);
        }
        continue;
      }
      const float* src = b.x + c * b.H * b.W + (r - b.PT) * b.W;
      for (size_t i = 0, vl; i < n; i += vl) {
        vl = __riscv_vsetvl_e32m8(n - i);
        __riscv_vsse32_v_f32m8(dst + 8 * i, kPixelBytes, __riscv_vle32_v_f32m8(src + i, vl), vl);
      }
    }
    zero_floats(row + q1 * 8, (Wp - q1) * 8);
  }
  zero_floats(xp + r1 * Wp * 8, (Hp - r1) * Wp * 8);
}

// The [OHW][8] result into the output planes.
void unpack_output(const float* out, size_t OHW, size_t channels, float* y) {
  for (size_t c = 0; c < channels; ++c)
    for (size_t i = 0, vl; i < OHW; i += vl) {
      vl = __riscv_vsetvl_e32m8(OHW - i);
      __riscv_vse32_v_f32m8(y + c * OHW + i, __riscv_vlse32_v_f32m8(out + 8 * i + c, kPixelBytes, vl), vl);
    }
}

// RVV vectors are sizeless: no struct members or arrays, hence the bias pointer and named accumulators.
struct Epilogue {
  const float* bias;
  bool act;
  float lo, hi;
  void store(vfloat32m2_t v, float* out) const {
    if (bias) v = __riscv_vfadd_vv_f32m2(v, __riscv_vle32_v_f32m2(bias, 8), 8);
    if (act) {
      const vfloat32m2_t vlo = __riscv_vfmv_v_f_f32m2(lo, 8), vhi = __riscv_vfmv_v_f_f32m2(hi, 8);
      v = __riscv_vmerge_vvm_f32m2(vlo, v, __riscv_vmfgt_vv_f32m2_b16(v, vlo, 8), 8);
      v = __riscv_vmerge_vvm_f32m2(vhi, v, __riscv_vmflt_vv_f32m2_b16(v, vhi, 8), 8);
    }
    __riscv_vse32_v_f32m2(out, v, 8);
  }
};

inline vfloat32m2_t fma8(vfloat32m2_t acc, vfloat32m2_t w, const float* x) {
  return __riscv_vfmacc_vv_f32m2(acc, w, __riscv_vle32_v_f32m2(x, 8), 8);
}

// P (1, 2, 4 or 8) consecutive output pixels of a row; x: tap (0, 0) of the first one.
template <int P>
inline void tile(const float* x, const DwC8Taps& t, const float* w, const Epilogue& ep, float* out) {
  const vfloat32m2_t z = __riscv_vfmv_v_f_f32m2(0.0f, 8);
  vfloat32m2_t a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z;
  const size_t s = t.step;
  for (size_t kh = 0; kh < t.KH; ++kh, x += t.row) {
    const float* xk = x;
    for (size_t kw = 0; kw < t.KW; ++kw, xk += t.col, w += 8) {
      const vfloat32m2_t wv = __riscv_vle32_v_f32m2(w, 8);
      a0 = fma8(a0, wv, xk);
      if constexpr (P > 1) a1 = fma8(a1, wv, xk + s);
      if constexpr (P > 2) {
        a2 = fma8(a2, wv, xk + 2 * s);
        a3 = fma8(a3, wv, xk + 3 * s);
      }
      if constexpr (P > 4) {
        a4 = fma8(a4, wv, xk + 4 * s);
        a5 = fma8(a5, wv, xk + 5 * s);
        a6 = fma8(a6, wv, xk + 6 * s);
        a7 = fma8(a7, wv, xk + 7 * s);
      }
    }
  }
  ep.store(a0, out);
  if constexpr (P > 1) ep.store(a1, out + 8);
  if constexpr (P > 2) {
    ep.store(a2, out + 16);
    ep.store(a3, out + 24);
  }
  if constexpr (P > 4) {
    ep.store(a4, out + 32);
    ep.store(a5, out + 40);
    ep.store(a6, out + 48);
    ep.store(a7, out + 56);
  }
}

// The tier's side of dwconv-c8-impl.h (npuq:: names this file's functions above, not the members).
struct RvvC8 {
  using Epilogue = npuq::Epilogue;
  static Epilogue epilogue(const DwC8Block& b, const Activation& act) { return {b.bias, act.enabled, act.lo, act.hi}; }
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

void dwconv_c8_f32_e32m2__rvv(const DwC8Block& b, const Activation& act) { dwconv_c8_run<RvvC8>(b, act); }

}  // namespace npuq
