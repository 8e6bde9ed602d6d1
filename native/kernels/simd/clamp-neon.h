// The scalar kernels' clamp on NEON, shared by the -neon.cc float kernels (include from -neon.cc files
// only; internal linkage gives each its own copy).
#pragma once
#include <arm_neon.h>

namespace npuq {
namespace {

// `v = v > lo ? v : lo; v = v < hi ? v : hi` per lane, as compare + bit select: vmaxq_f32/vminq_f32
// would let a NaN through (and pick their own zero) where the scalar clamp gives lo.
inline float32x4_t clamp_f32x4(float32x4_t v, float32x4_t lo, float32x4_t hi) {
  v = vbslq_f32(vcgtq_f32(v, lo), v, lo);
  return vbslq_f32(vcltq_f32(v, hi), v, hi);
}

}  // namespace
}  // namespace npuq
