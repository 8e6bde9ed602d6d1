// The rounding modes' "add one" decision on AVX2 lane masks, shared by the quantized kernels (include from
// -avx2.cc files only; internal linkage gives each its own copy). The masks are all ones (true) or zero
// per lane; only bitwise operations are involved, so 32- and 64-bit lanes use it alike.
#pragma once
#include <immintrin.h>

#include "npuq/rounding.h"

namespace npuq {
namespace {

// The "add one" decision of round_mode / div_round, from lane masks (all ones = true): the exact
// quotient is q + frac with frac in [0, 1); gt: frac > 1/2, tie: frac == 1/2, inexact: frac != 0,
// neg: the value is negative, odd: q is odd.
inline __m256i up_mask(Round m, __m256i gt, __m256i tie, __m256i inexact, __m256i neg, __m256i odd) {
  switch (m) {
    case Round::Floor: return _mm256_setzero_si256();
    case Round::Ceil: return inexact;
    case Round::TowardZero: return _mm256_and_si256(inexact, neg);
    case Round::AwayFromZero: return _mm256_andnot_si256(neg, inexact);
    case Round::HalfUp: return _mm256_or_si256(gt, tie);
    case Round::HalfDown: return gt;
    case Round::HalfAwayFromZero: return _mm256_or_si256(gt, _mm256_andnot_si256(neg, tie));
    case Round::HalfTowardZero: return _mm256_or_si256(gt, _mm256_and_si256(tie, neg));
    case Round::HalfToEven: return _mm256_or_si256(gt, _mm256_and_si256(tie, odd));
    case Round::HalfToOdd: return _mm256_or_si256(gt, _mm256_andnot_si256(odd, tie));
  }
  return _mm256_setzero_si256();
}

}  // namespace
}  // namespace npuq
