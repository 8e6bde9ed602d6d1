// The rounding modes' "add one" decision on NEON lane masks, shared by the quantized kernels (include from
// -neon.cc files only; internal linkage gives each its own copy). Masks are all ones or zero per lane;
// only bitwise operations are involved, so 64-bit lane masks use it through vreinterpretq.
#pragma once
#include <arm_neon.h>

#include "npuq/rounding.h"

namespace npuq {
namespace {

// The "add one" decision of round_mode / div_round from lane masks (see round-up-avx2.h).
inline uint32x4_t up_mask(Round m, uint32x4_t gt, uint32x4_t tie, uint32x4_t inexact, uint32x4_t neg, uint32x4_t odd) {
  switch (m) {
    case Round::Floor: return vdupq_n_u32(0);
    case Round::Ceil: return inexact;
    case Round::TowardZero: return vandq_u32(inexact, neg);
    case Round::AwayFromZero: return vbicq_u32(inexact, neg);
    case Round::HalfUp: return vorrq_u32(gt, tie);
    case Round::HalfDown: return gt;
    case Round::HalfAwayFromZero: return vorrq_u32(gt, vbicq_u32(tie, neg));
    case Round::HalfTowardZero: return vorrq_u32(gt, vandq_u32(tie, neg));
    case Round::HalfToEven: return vorrq_u32(gt, vandq_u32(tie, odd));
    case Round::HalfToOdd: return vorrq_u32(gt, vbicq_u32(tie, odd));
  }
  return vdupq_n_u32(0);
}

}  // namespace
}  // namespace npuq
