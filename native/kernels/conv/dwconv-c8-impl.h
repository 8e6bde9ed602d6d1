// The driver of the vector dwconv_c8 kernels (dwconv-c8-f32-avx2.cc, -neon.cc, -rvv.cc), written once
// and compiled by each tier's file with that tier's flags, as error-stats-impl.h is: the zero-padded
// [Hp][Wp][8] copy of the input, each output row in tiles of 8, 4, 2, 1 pixels, then the [OH][OW][8]
// result back into the planes. Everything that touches vectors stays in the tier's file, behind a
// traits struct K:
//   K::Epilogue                                    bias + clamp, what tile() applies before storing
//   K::epilogue(b, act) -> K::Epilogue             built once per block
//   K::pack_input(b, Hp, Wp, xp)                   the padded copy into xp
//   K::tile<P>(x, t, w, ep, out)                   P consecutive output pixels of a row, x at the first
//                                                  one's tap (0, 0), taps in (kh, kw) order from +0
//   K::unpack_output(out, OHW, channels, y)        the result into the output planes
// Which pixels a tile gets decides nothing about any pixel's value (each runs its own fma chain), so
// every tier stays lane-for-lane equal to dwconv_c8_f32__scalar.
//
// Internal linkage (an anonymous namespace), as in error-stats-impl.h: each tier's instantiation stays
// in its own file, and the linker never merges an AVX2 one into another tier.
#pragma once
#include <cstddef>

#include "dispatch/f32-kernels.h"

namespace npuq {
namespace {

// Strides of the padded [Hp][Wp][8] image, in floats.
struct DwC8Taps {
  size_t KH, KW, row, col, step;  // row/col: floats between kernel rows/columns; step: between outputs
};

template <typename K>
inline void dwconv_c8_run(const DwC8Block& b, const Activation& act) {
  const size_t Hp = dwconv_c8_padded(b.OH, b.KH, b.SH, b.DH), Wp = dwconv_c8_padded(b.OW, b.KW, b.SW, b.DW);
  float* xp = b.scratch;
  float* out = xp + Hp * Wp * 8;
  K::pack_input(b, Hp, Wp, xp);
  const typename K::Epilogue ep = K::epilogue(b, act);
  const DwC8Taps t{b.KH, b.KW, b.DH * Wp * 8, b.DW * 8, b.SW * 8};
  for (size_t oh = 0; oh < b.OH; ++oh) {
    const float* x = xp + oh * b.SH * Wp * 8;
    float* o = out + oh * b.OW * 8;
    size_t ow = 0;
    for (; ow + 8 <= b.OW; ow += 8) K::template tile<8>(x + ow * t.step, t, b.w, ep, o + ow * 8);
    if (ow + 4 <= b.OW) {
      K::template tile<4>(x + ow * t.step, t, b.w, ep, o + ow * 8);
      ow += 4;
    }
    if (ow + 2 <= b.OW) {
      K::template tile<2>(x + ow * t.step, t, b.w, ep, o + ow * 8);
      ow += 2;
    }
    if (ow < b.OW) K::template tile<1>(x + ow * t.step, t, b.w, ep, o + ow * 8);
  }
  K::unpack_output(out, b.OH * b.OW, b.channels, b.y);
}

}  // namespace
}  // namespace npuq
