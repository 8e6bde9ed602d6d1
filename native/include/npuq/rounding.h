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

// Magnitude at which the integer helpers below saturate instead of overflowing. Every caller clamps the
// result to an output range inside int32 afterwards, so saturating there never changes an output.
constexpr int64_t kRoundSat = int64_t(1) << 62;

namespace round_detail {
// q = floor(v / 2^shift), rem = v - q * 2^shift in [0, 2^shift), neg = (v < 0): q rounded per mode.
inline int64_t adjust(int64_t q, int64_t rem, int shift, bool neg, Round m) {
  const int64_t half = int64_t(1) << (shift - 1);
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
}  // namespace round_detail

// v / 2^shift rounded per mode, exactly in integers (shift in [1, 62]); shift <= 0 multiplies by
// 2^-shift (shift >= -62), saturating at +-2^62 (kRoundSat) instead of overflowing.
inline int64_t rshift_round(int64_t v, int shift, Round m) {
  if (shift <= 0) {
    const int left = -shift;
    if (v > (kRoundSat >> left)) return kRoundSat;
    if (v < -(kRoundSat >> left)) return -kRoundSat;
    return static_cast<int64_t>(static_cast<uint64_t>(v) << left);
  }
  const int64_t q = v >> shift;                                                       // floor
  const int64_t rem = static_cast<int64_t>(static_cast<uint64_t>(v) & ((uint64_t(1) << shift) - 1));  // [0, 2^shift)
  return round_detail::adjust(q, rem, shift, v < 0, m);
}

// rshift_round(v * m, shift, mode) with the product taken exactly (it may need 95 bits), portable
// (no __int128). shift in [-62, 62]; results beyond +-2^62 saturate there.
inline int64_t mul_rshift_round(int64_t v, int32_t m, int shift, Round mode) {
  // v = vh * 2^32 + vl, vl in [0, 2^32): v * m = (vh * m + floor(vl * m / 2^32)) * 2^32 + (vl * m mod 2^32).
  const int64_t vh = v >> 32;
  const int64_t vl = static_cast<int64_t>(static_cast<uint64_t>(v) & 0xffffffffu);
  const int64_t B = vl * int64_t(m);                                   // |B| < 2^63
  const int64_t H = vh * int64_t(m) + (B >> 32);                       // |H| <= 2^62 + 2^31
  const int64_t L = static_cast<int64_t>(static_cast<uint64_t>(B) & 0xffffffffu);  // product = H * 2^32 + L
  const bool neg = H < 0;
  if (shift >= 32) {  // q = floor(H / 2^(shift - 32)); the remainder keeps L below it
    const int s = shift - 32;
    const int64_t q = H >> s;
    const int64_t rem = (static_cast<int64_t>(static_cast<uint64_t>(H) & ((uint64_t(1) << s) - 1)) << 32) | L;
    return round_detail::adjust(q, rem, shift, neg, mode);
  }
  // shift < 32: q = H * 2^(32 - shift) + floor(L / 2^shift). When that overflows (|H| >= 2^(30 + shift)),
  // |v * m| >= 2^62 and so is the result: saturate with the sign of the product.
  const int lim = shift > 0 ? 30 + shift : 30;
  if (H >= (int64_t(1) << lim)) return kRoundSat;
  if (H < -(int64_t(1) << lim)) return -kRoundSat;
  if (shift <= 0) return rshift_round(static_cast<int64_t>(static_cast<uint64_t>(H) << 32) + L, shift, mode);
  const int64_t q = static_cast<int64_t>(static_cast<uint64_t>(H) << (32 - shift)) + (L >> shift);
  const int64_t rem = L & ((int64_t(1) << shift) - 1);
  return round_detail::adjust(q, rem, shift, neg, mode);
}

// A rounded double as int64, saturating at +-2^62 (kRoundSat); NaN gives 0.
inline int64_t double_to_i64_sat(double d) {
  if (!(d == d)) return 0;
  if (d >= double(kRoundSat)) return kRoundSat;
  if (d <= -double(kRoundSat)) return -kRoundSat;
  return static_cast<int64_t>(d);
}

// num / den rounded per mode, exactly in integers: the integer round_mode(num / den, m) gives for the
// exact rational quotient (ties are exact halves, decided by the remainder, never by a floating-point
// quotient). For divisors that are not powers of two (average pooling counts; rshift_round covers
// powers of two). den == 0 returns 0 rather than trapping; a negative den divides by |den| after
// negating num. |num|, |den| < 2^63.
inline int64_t div_round(int64_t num, int64_t den, Round m) {
  if (den == 0) return 0;
  if (den < 0) { num = -num; den = -den; }
  int64_t q = num / den, r = num % den;          // C++ truncates: r has the sign of num
  if (r < 0) { q -= 1; r += den; }               // floor quotient, r in [0, den)
  const int64_t other = den - r;                 // compares 2r with den without overflow
  const bool gt = r > other, tie = r == other, inexact = r != 0, neg = num < 0;
  bool up = false;                               // the result is q + 1 (else q)
  switch (m) {
    case Round::Floor: up = false; break;
    case Round::Ceil: up = inexact; break;
    case Round::TowardZero: up = inexact && neg; break;
    case Round::AwayFromZero: up = inexact && !neg; break;
    case Round::HalfUp: up = gt || tie; break;
    case Round::HalfDown: up = gt; break;
    case Round::HalfAwayFromZero: up = gt || (tie && !neg); break;
    case Round::HalfTowardZero: up = gt || (tie && neg); break;
    case Round::HalfToEven: up = gt || (tie && (q & 1)); break;
    case Round::HalfToOdd: up = gt || (tie && !(q & 1)); break;
  }
  return up ? q + 1 : q;
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

// MultiplierShift: RightShiftRound(v * m, rshift, mode), the product taken exactly (see mul_rshift_round).
inline int64_t apply_multiplier_shift(int64_t v, int32_t m, int rshift, Round mode) {
  return mul_rshift_round(v, m, rshift, mode);
}

// CV18xx: multiply-shift in float, then round per mode: to_int(v * m / 2^rshift).
inline int64_t apply_multiplier_shift_float(int64_t v, int32_t m, int rshift, Round mode) {
  return double_to_i64_sat(round_mode(double(v) * double(m) / std::ldexp(1.0, rshift), mode));
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
