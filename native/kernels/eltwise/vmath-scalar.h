// The polynomial math library, scalar form (the specification). vmath-avx2.h evaluates the same
// operations in the same order on 8 lanes. Functions live in an anonymous namespace: each translation
// unit gets its own copy, so code compiled with ISA flags never replaces the baseline one at link time.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/eltwise/vmath-consts.h"

namespace npuq {
namespace vmath {
namespace {

inline uint32_t f2u(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float u2f(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
// What _mm256_max_ps(a, b) / _mm256_min_ps(a, b) compute (NaN in either: b).
inline float vmax(float a, float b) { return a > b ? a : b; }
inline float vmin(float a, float b) { return a < b ? a : b; }
inline float vabs(float x) { return u2f(f2u(x) & 0x7fffffffu); }
inline float vcopysign(float mag, float sgn) { return u2f((f2u(mag) & 0x7fffffffu) | (f2u(sgn) & 0x80000000u)); }
constexpr float kInf = HUGE_VALF;
inline float qnan() { return u2f(0x7fc00000u); }

inline float exp_f(float x) {
  x = vmax(kExpLo, x);  // NaN passes through both clamps
  x = vmin(kExpHi, x);
  const float t = std::fma(x, kLog2e, kMagic);
  const float n = t - kMagic;
  float r = std::fma(n, -kLn2Hi, x);
  r = std::fma(n, -kLn2Lo, r);
  float p = kExpP0;
  p = std::fma(p, r, kExpP1);
  p = std::fma(p, r, kExpP2);
  p = std::fma(p, r, kExpP3);
  p = std::fma(p, r, kExpP4);
  p = std::fma(p, r, kExpP5);
  float y = std::fma(p, r * r, r);
  y = y + 1.0f;
  const uint32_t ni = f2u(t) - f2u(kMagic);
  const uint32_t n1 = static_cast<uint32_t>(static_cast<int32_t>(ni) >> 1);
  const uint32_t n2 = ni - n1;
  return (y * u2f((n1 + 127u) << 23)) * u2f((n2 + 127u) << 23);
}

inline float log_f(float x) {
  const bool den = x < kMinNormal;
  const float xs = den ? x * kTwo23 : x;
  const uint32_t ix = f2u(xs);
  uint32_t e = ((ix >> 23) & 0xffu) - 126u;
  e = den ? e - 23u : e;
  float m = u2f((ix & 0x007fffffu) | 0x3f000000u);  // [0.5, 1)
  const bool lt = m < kSqrtHalf;
  e = lt ? e - 1u : e;
  m = lt ? m + m : m;
  m = m - 1.0f;
  const float z = m * m;
  float p = kLogP0;
  p = std::fma(p, m, kLogP1);
  p = std::fma(p, m, kLogP2);
  p = std::fma(p, m, kLogP3);
  p = std::fma(p, m, kLogP4);
  p = std::fma(p, m, kLogP5);
  p = std::fma(p, m, kLogP6);
  p = std::fma(p, m, kLogP7);
  p = std::fma(p, m, kLogP8);
  float y = (p * m) * z;
  const float fe = static_cast<float>(static_cast<int32_t>(e));
  y = std::fma(fe, kLn2Lo, y);
  y = std::fma(z, -0.5f, y);
  float r = m + y;
  r = std::fma(fe, kLn2Hi, r);
  r = x == kInf ? x : r;
  r = x == 0.0f ? -kInf : r;
  r = x < 0.0f ? qnan() : r;
  return x != x ? x : r;
}

inline float tanh_f(float x) {
  const float ax = vabs(x);
  if (ax < kTanhSmall) {
    const float z = x * x;
    float p = kTanhP0;
    p = std::fma(p, z, kTanhP1);
    p = std::fma(p, z, kTanhP2);
    p = std::fma(p, z, kTanhP3);
    p = std::fma(p, z, kTanhP4);
    return std::fma(p * z, x, x);
  }
  const float e = exp_f(ax + ax);
  return vcopysign(1.0f - 2.0f / (e + 1.0f), x);
}

inline float sigmoid_f(float x) {
  const float e = exp_f(-vabs(x));
  const float f = e / (1.0f + e);
  return x > 0.0f ? 1.0f - f : f;
}

inline float erf_small(float x) {  // |x| < kErfSmall
  const float z = x * x;
  float p = kErfP0;
  p = std::fma(p, z, kErfP1);
  p = std::fma(p, z, kErfP2);
  p = std::fma(p, z, kErfP3);
  p = std::fma(p, z, kErfP4);
  p = std::fma(p, z, kErfP5);
  p = std::fma(p, z, kErfP6);
  return x * p;
}

// erfc(a) for a >= kErfSmall given e = exp(-a^2) (already corrected for the rounding of a^2).
inline float erfc_tail(float a, float e) {
  const float t = 1.0f / std::fma(a, 0.5f, 1.0f);
  float r = kErfcR0;
  r = std::fma(r, t, kErfcR1);
  r = std::fma(r, t, kErfcR2);
  r = std::fma(r, t, kErfcR3);
  r = std::fma(r, t, kErfcR4);
  r = std::fma(r, t, kErfcR5);
  r = std::fma(r, t, kErfcR6);
  r = std::fma(r, t, kErfcR7);
  r = std::fma(r, t, kErfcR8);
  r = std::fma(r, t, kErfcR9);
  return e * r;
}

inline float erf_f(float x) {
  const float ax = vabs(x);
  if (ax < kErfSmall) return erf_small(x);
  const float a = vmin(kErfMax, ax);
  const float hi = a * a;
  const float lo = std::fma(a, a, -hi);
  float e = exp_f(-hi);
  e = std::fma(-e, lo, e);
  return vcopysign(1.0f - erfc_tail(a, e), x);
}

// 0.5 x (1 + erf(x / sqrt 2)); for x < 0 the erfc form keeps the relative accuracy of the tail.
inline float gelu_f(float x) {
  const float z = x * kFrac1Sqrt2;
  const float hx = 0.5f * x;
  float g;
  if (vabs(z) < kErfSmall) {
    g = hx * (1.0f + erf_small(z));
  } else {
    const float a = vmin(kGeluMax, vabs(x));
    const float hi = a * a;
    const float lo = std::fma(a, a, -hi);
    float e = exp_f(-0.5f * hi);
    e = std::fma(-e, 0.5f * lo, e);
    const float c = erfc_tail(a * kFrac1Sqrt2, e);
    g = hx * (x > 0.0f ? 2.0f - c : c);
  }
  return x < kGeluZero ? -0.0f : g;
}

inline float expm1_f(float x) {
  if (vabs(x) < kExpm1Small) {
    float p = kExpm1P0;
    p = std::fma(p, x, kExpm1P1);
    p = std::fma(p, x, kExpm1P2);
    p = std::fma(p, x, kExpm1P3);
    p = std::fma(p, x, kExpm1P4);
    p = std::fma(p, x, kExpm1P5);
    p = std::fma(p, x, kExpm1P6);
    return std::fma(p, x * x, x);
  }
  return exp_f(x) - 1.0f;
}

inline float softplus_f(float x) {
  const float m = x > 0.0f ? x : 0.0f;
  const float u = exp_f(-vabs(x));
  const float v = 1.0f + u;
  const float l = v == 1.0f ? u : log_f(v) * (u / (v - 1.0f));
  return m + l;
}

}  // namespace
}  // namespace vmath
}  // namespace npuq
