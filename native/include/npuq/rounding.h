// Rounding and requantization arithmetic: the one implementation every quantized kernel and every
// chip profile uses (tests mirror it independently). Header-only so kernels inline it.
//
// Sources (see shared reference quantization-facts.md, sections 1-2):
//  - the ten rounding modes of TPU-MLIR's RoundingMode (include/tpu_mlir/Support/MathUtils.h);
//  - gemmlowp fixedpoint.h SaturatingRoundingDoublingHighMul / RoundingDivideByPOT (TFLite's default
//    "double rounding" MultiplyByQuantizedMultiplier) and ruy's single-rounding variant
//    (ruy/apply_multiplier.cc, TFLITE_SINGLE_ROUNDING);
//  - TPU-MLIR MultiplierShift / OnlyShift requant (RightShiftRound), CV18xx float multiply-shift;
//  - ONNX QuantizeLinear: saturate(round_half_even(x / scale) + zero_point).
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

namespace npuq {

enum class Round : uint8_t {
  HalfAwayFromZero = 0,  // roundf, NEON vcvtaq, RVV RMM; ncnn, MNN
  HalfUp,                // floor(x + 0.5); TPU-MLIR multiply-shift
  HalfDown,              // ceil(x - 0.5)
  HalfToEven,            // nearbyint in FE_TONEAREST; ONNX, onnxruntime, TensorRT
  HalfToOdd,
  HalfTowardZero,
  TowardZero,            // trunc
  AwayFromZero,
  Ceil,
  Floor,
};
constexpr int kRoundModes = 10;

// Rounds a real value to an integral value (returned as double) per mode. Exact for |x| < 2^52.
inline double round_mode(double x, Round m) {
  double f = std::floor(x), frac = x - f;
  switch (m) {
    case Round::HalfAwayFromZero: return frac > 0.5 ? f + 1 : frac < 0.5 ? f : (x >= 0 ? f + 1 : f);
    case Round::HalfUp: return frac >= 0.5 ? f + 1 : f;
    case Round::HalfDown: return frac > 0.5 ? f + 1 : f;
    case Round::HalfToEven: return frac > 0.5 ? f + 1 : frac < 0.5 ? f : (std::fmod(f, 2.0) == 0 ? f : f + 1);
    case Round::HalfToOdd: return frac > 0.5 ? f + 1 : frac < 0.5 ? f : (std::fmod(f, 2.0) != 0 ? f : f + 1);
    case Round::HalfTowardZero: return frac > 0.5 ? f + 1 : frac < 0.5 ? f : (x >= 0 ? f : f + 1);
    case Round::TowardZero: return std::trunc(x);
    case Round::AwayFromZero: return x >= 0 ? std::ceil(x) : std::floor(x);
    case Round::Ceil: return std::ceil(x);
    case Round::Floor: return f;
  }
  return f;
}

template <class T> inline T saturate(int64_t v) {
  if (v < int64_t(std::numeric_limits<T>::min())) return std::numeric_limits<T>::min();
  if (v > int64_t(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

inline int64_t clamp_i64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

// v / 2^shift rounded per mode, exactly in integers (shift in [0, 62]); shift <= 0 multiplies.
inline int64_t rshift_round(int64_t v, int shift, Round m) {
  if (shift <= 0) return v * (int64_t(1) << (-shift));
  const int64_t q = v >> shift;                          // floor
  const int64_t rem = v - q * (int64_t(1) << shift);     // in [0, 2^shift)
  const int64_t half = int64_t(1) << (shift - 1);
  const bool neg = v < 0;
  switch (m) {
    case Round::Floor: return q;
    case Round::Ceil: return rem ? q + 1 : q;
    case Round::TowardZero: return (neg && rem) ? q + 1 : q;
    case Round::AwayFromZero: return (!neg && rem) ? q + 1 : q;
    case Round::HalfUp: return rem >= half ? q + 1 : q;
    case Round::HalfDown: return rem > half ? q + 1 : q;
    case Round::HalfAwayFromZero: return rem > half || (rem == half && !neg) ? q + 1 : q;
    case Round::HalfTowardZero: return rem > half || (rem == half && neg) ? q + 1 : q;
    case Round::HalfToEven: return rem > half || (rem == half && (q & 1)) ? q + 1 : q;
    case Round::HalfToOdd: return rem > half || (rem == half && !(q & 1)) ? q + 1 : q;
  }
  return q;
}

// ---- gemmlowp / TFLite fixed point -------------------------------------------------------------

inline int32_t srdhm(int32_t a, int32_t b) {  // SaturatingRoundingDoublingHighMul (== NEON VQRDMULH)
  if (a == b && a == std::numeric_limits<int32_t>::min()) return std::numeric_limits<int32_t>::max();
  const int64_t ab = int64_t(a) * int64_t(b);
  const int64_t nudge = ab >= 0 ? (int64_t(1) << 30) : (1 - (int64_t(1) << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t(1) << 31));  // C division truncates
}

inline int32_t rounding_divide_by_pot(int32_t x, int exponent) {  // round half away from zero
  const int32_t mask = int32_t((int64_t(1) << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

// TFLite MultiplyByQuantizedMultiplier, double rounding (gemmlowp): shift > 0 is a left shift.
inline int32_t mul_by_quantized_multiplier(int32_t x, int32_t M, int shift) {
  const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  return rounding_divide_by_pot(srdhm(static_cast<int32_t>(uint32_t(x) << left), M), right);
}

// ruy / TFLITE_SINGLE_ROUNDING: one rounding, ties toward +infinity. shift in [-31, 30].
inline int32_t mul_by_quantized_multiplier_single(int32_t x, int32_t M, int shift) {
  const int total_shift = 31 - shift;
  const int64_t round = int64_t(1) << (total_shift - 1);
  const int64_t r = (int64_t(x) * int64_t(M) + round) >> total_shift;
  return saturate<int32_t>(r);
}

// QuantizeMultiplier: m = M * 2^(shift - 31) with M in [2^30, 2^31). m must be >= 0.
inline void quantize_multiplier(double m, int32_t* M, int* shift) {
  if (m == 0.0) { *M = 0; *shift = 0; return; }
  int e = 0;
  const double q = std::frexp(m, &e);
  int64_t qf = static_cast<int64_t>(std::llround(q * double(int64_t(1) << 31)));
  if (qf == (int64_t(1) << 31)) { qf /= 2; ++e; }
  if (e < -31) { e = 0; qf = 0; }
  if (e > 30) { e = 30; qf = (int64_t(1) << 31) - 1; }
  *M = static_cast<int32_t>(qf);
  *shift = e;
}

// ---- TPU-MLIR style ------------------------------------------------------------------------------

// MultiplierShift: RightShiftRound(v * m, rshift, mode).
inline int64_t apply_multiplier_shift(int64_t v, int32_t m, int rshift, Round mode) {
  return rshift_round(v * int64_t(m), rshift, mode);
}

// CV18xx: multiply-shift in float, then round per mode: to_int(v * m / 2^rshift).
inline int64_t apply_multiplier_shift_float(int64_t v, int32_t m, int rshift, Round mode) {
  return static_cast<int64_t>(round_mode(double(v) * double(m) / std::ldexp(1.0, rshift), mode));
}

// ---- float scale ---------------------------------------------------------------------------------

// ONNX QuantizeLinear semantics with a chosen rounding: clamp(round(x / scale) + zp, qmin, qmax).
// NaN maps to zp (onnxruntime behaviour); +-inf saturate.
inline int32_t quantize_value(float x, float scale, int32_t zp, Round m, int32_t qmin, int32_t qmax) {
  if (std::isnan(x)) return static_cast<int32_t>(clamp_i64(zp, qmin, qmax));
  const float d = x / scale;
  if (!std::isfinite(d)) return d > 0 ? qmax : qmin;
  const double r = round_mode(double(d), m) + double(zp);
  if (r <= double(qmin)) return qmin;
  if (r >= double(qmax)) return qmax;
  return static_cast<int32_t>(r);
}

inline float dequantize_value(int32_t q, float scale, int32_t zp) { return float(q - zp) * scale; }

}  // namespace npuq
