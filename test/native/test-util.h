// Helpers shared by the native kernel tests: seeded data, bitwise comparison, tier lists.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "npuq/kernels.h"

namespace tu {

inline std::vector<float> rand_vec(std::mt19937& rng, size_t n, float lo = -1.0f, float hi = 1.0f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

inline uint32_t bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }
inline float from_bits(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }

// Bit-identical, except that any NaN equals any NaN (payloads are not part of the contract).
inline bool same(float a, float b) { return (a != a && b != b) || bits(a) == bits(b); }

// Index of the first difference, or -1.
inline long first_diff(const float* a, const float* b, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (!same(a[i], b[i])) return static_cast<long>(i);
  return -1;
}

// Tiers to compare with Scalar: every supported tier but Scalar.
inline std::vector<npuq::Isa> simd_tiers() {
  std::vector<npuq::Isa> out;
  for (npuq::Isa isa : npuq::supported_isas())
    if (isa != npuq::Isa::Scalar) out.push_back(isa);
  return out;
}

// |got - ref| <= rtol * scale + atol, where scale is the sum of |terms| of the reference.
inline bool close(double got, double ref, double scale, double rtol = 1e-5, double atol = 1e-30) {
  if (std::isnan(ref)) return std::isnan(got);
  if (std::isinf(ref)) return got == ref;
  return std::fabs(got - ref) <= rtol * scale + atol;
}

}  // namespace tu
