// The rounding modes' "add one" decision on RVV lane masks, shared by the quantized kernels (include from
// -rvv.cc files only; internal linkage gives each its own copy). vbool16_t masks serve e32m2 and e64m4
// alike (SEW/LMUL = 16).
#pragma once
#include <riscv_vector.h>

#include "npuq/rounding.h"

namespace npuq {
namespace {

using vmask = vbool16_t;

// The "add one" decision of round_mode / div_round from lane masks (see round-up-avx2.h).
inline vmask up_mask(Round m, vmask gt, vmask tie, vmask inexact, vmask neg, vmask odd, size_t vl) {
  switch (m) {
    case Round::Floor: return __riscv_vmclr_m_b16(vl);
    case Round::Ceil: return inexact;
    case Round::TowardZero: return __riscv_vmand_mm_b16(inexact, neg, vl);
    case Round::AwayFromZero: return __riscv_vmandn_mm_b16(inexact, neg, vl);
    case Round::HalfUp: return __riscv_vmor_mm_b16(gt, tie, vl);
    case Round::HalfDown: return gt;
    case Round::HalfAwayFromZero: return __riscv_vmor_mm_b16(gt, __riscv_vmandn_mm_b16(tie, neg, vl), vl);
    case Round::HalfTowardZero: return __riscv_vmor_mm_b16(gt, __riscv_vmand_mm_b16(tie, neg, vl), vl);
    case Round::HalfToEven: return __riscv_vmor_mm_b16(gt, __riscv_vmand_mm_b16(tie, odd, vl), vl);
    case Round::HalfToOdd: return __riscv_vmor_mm_b16(gt, __riscv_vmandn_mm_b16(tie, odd, vl), vl);
  }
  return __riscv_vmclr_m_b16(vl);
}

}  // namespace
}  // namespace npuq
