// Helpers shared by the quantized kernel tests (test_qgemm, test_qconv2d, test_requant): typed random data,
// random requantization parameters of every method, names for failure messages, case-count scaling.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "test-util.h"
#include "npuq/qkernels.h"

namespace qt {

using namespace npuq;

inline const char* type_name(QType t) {
  static const char* n[] = {"u8", "s8", "u16", "s16", "s32"};
  return n[static_cast<int>(t)];
}
inline const char* method_name(RequantMethod m) {
  static const char* n[] = {"FloatScale", "FixedPointDouble", "FixedPointSingle", "MultiplierShift",
                            "MultiplierShiftFloat", "ShiftOnly"};
  return n[static_cast<int>(m)];
}
inline const char* round_name(Round r) {
  static const char* n[] = {"half_away", "half_up", "half_down", "half_even", "half_odd",
                            "half_toward_zero", "toward_zero", "away_from_zero", "ceil", "floor"};
  return n[static_cast<int>(r)];
}

// Fraction of the random cases to run: 1 natively on x86-64, less on other architectures (the tests run
// there under qemu); NPUQ_TEST_SCALE=<factor> overrides.
inline double case_scale() {
  if (const char* s = std::getenv("NPUQ_TEST_SCALE")) return std::atof(s);
#if defined(__x86_64__)
  return 1.0;
#else
  return 0.5;
#endif
}

// Uniform values of type t, with the type's extremes now and then.
inline std::vector<int32_t> rand_q(std::mt19937& rng, size_t n, QType t) {
  std::uniform_int_distribution<int32_t> d(qtype_min(t), qtype_max(t));
  std::uniform_int_distribution<int> e(0, 15);
  std::vector<int32_t> v(n);
  for (auto& x : v) {
    const int r = e(rng);
    x = r == 0 ? qtype_min(t) : r == 1 ? qtype_max(t) : d(rng);
  }
  return v;
}

// Zero points: the extremes, 0, the middle, or random.
inline int32_t rand_zp(std::mt19937& rng, QType t) {
  const int32_t lo = qtype_min(t), hi = qtype_max(t);
  switch (std::uniform_int_distribution<int>(0, 5)(rng)) {
    case 0: return lo;
    case 1: return hi;
    case 2: return lo <= 0 && hi >= 0 ? 0 : lo;
    case 3: return lo + (hi - lo) / 2;
    default: return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  }
}

inline std::vector<uint8_t> to_bytes(const std::vector<int32_t>& v, QType t) {
  std::vector<uint8_t> out(v.size() * qtype_size(t) + 1);
  for (size_t i = 0; i < v.size(); ++i) {
    switch (t) {
      case QType::U8: out[i] = static_cast<uint8_t>(v[i]); break;
      case QType::S8: reinterpret_cast<int8_t*>(out.data())[i] = static_cast<int8_t>(v[i]); break;
      case QType::U16: { uint16_t x = static_cast<uint16_t>(v[i]); std::memcpy(&out[2 * i], &x, 2); break; }
      case QType::S16: { int16_t x = static_cast<int16_t>(v[i]); std::memcpy(&out[2 * i], &x, 2); break; }
      case QType::S32: std::memcpy(&out[4 * i], &v[i], 4); break;
    }
  }
  return out;
}

inline int32_t from_bytes(const std::vector<uint8_t>& b, size_t i, QType t) {
  switch (t) {
    case QType::U8: return b[i];
    case QType::S8: return static_cast<int8_t>(b[i]);
    case QType::U16: { uint16_t x; std::memcpy(&x, &b[2 * i], 2); return x; }
    case QType::S16: { int16_t x; std::memcpy(&x, &b[2 * i], 2); return x; }
    case QType::S32: { int32_t x; std::memcpy(&x, &b[4 * i], 4); return x; }
  }
  return 0;
}

// A random requantization of `channels` channels for accumulators of typical magnitude acc_mag:
// multipliers near (output range) / acc_mag so results spread over the range (and saturate sometimes),
// powers of two now and then (exact ties), zero point and clamp (fused Relu / Clip) at random.
inline Requant rand_requant(std::mt19937& rng, RequantMethod m, Round round, bool per_channel, size_t channels,
                            QType out, double acc_mag) {
  Requant r;
  r.method = m;
  r.round = round;
  r.per_channel = per_channel;
  const int32_t lo = qtype_min(out), hi = qtype_max(out);
  r.zero_point = out == QType::S32 ? std::uniform_int_distribution<int32_t>(-1000, 1000)(rng) : rand_zp(rng, out);
  r.qmin = lo;
  r.qmax = hi;
  switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
    case 0: r.qmin = std::max(lo, r.zero_point); break;  // Relu
    case 1: {
      std::uniform_int_distribution<int32_t> d(lo, hi);
      int32_t a = d(rng), b = d(rng);
      r.qmin = std::min(a, b);
      r.qmax = std::max(a, b);
      break;
    }
    default: break;
  }
  const double width = out == QType::S32 ? 2000.0 : double(hi) - double(lo);
  const size_t n = per_channel ? channels : 1;
  std::uniform_real_distribution<double> f(0.25, 4.0);
  std::uniform_int_distribution<int> coin(0, 3);
  for (size_t c = 0; c < n; ++c) {
    double s = f(rng) * width / 2 / std::max(acc_mag, 1.0);
    if (coin(rng) == 0) s = std::ldexp(1.0, int(std::lround(std::log2(s))));  // exact ties
    switch (m) {
      case RequantMethod::FloatScale: r.scale.push_back(float(coin(rng) == 1 ? -s : s)); break;
      case RequantMethod::FixedPointDouble:
      case RequantMethod::FixedPointSingle: {
        int32_t M;
        int sh;
        quantize_multiplier(s, &M, &sh);
        if (sh < -31) sh = -31;
        if (sh > 30) sh = 30;
        if (coin(rng) == 0) M = int32_t(rng() >> 1);  // any multiplier
        r.multiplier.push_back(M);
        r.shift.push_back(sh);
        break;
      }
      case RequantMethod::MultiplierShift:
      case RequantMethod::MultiplierShiftFloat: {
        const int bits = coin(rng) == 0 ? 7 : 24;  // int8-sized multipliers (TPU-MLIR) or wide ones
        int sh = int(std::floor(bits - std::log2(s)));
        sh = std::max(-8, std::min(62, sh));
        double mm = std::round(s * std::ldexp(1.0, sh));
        mm = std::max(1.0, std::min(mm, 2147483647.0));
        r.multiplier.push_back(int32_t(coin(rng) == 1 ? -mm : mm));
        r.shift.push_back(sh);
        break;
      }
      case RequantMethod::ShiftOnly:
        r.shift.push_back(std::max(-62, std::min(62, int(std::lround(-std::log2(s))))));
        break;
    }
  }
  return r;
}

inline std::string requant_str(const Requant& r) {
  std::string s = check::format("%s/%s zp=%d q=[%d,%d] %s", method_name(r.method), round_name(r.round), r.zero_point,
                                r.qmin, r.qmax, r.per_channel ? "per-channel" : "per-tensor");
  const size_t n = std::max(r.scale.size(), r.shift.size());
  for (size_t i = 0; i < n && i < 3; ++i) {
    if (!r.scale.empty()) s += check::format(" s%zu=%.9g", i, double(r.scale[i]));
    if (!r.multiplier.empty()) s += check::format(" m%zu=%d", i, r.multiplier[i]);
    if (!r.shift.empty()) s += check::format(" sh%zu=%d", i, r.shift[i]);
  }
  if (n > 3) s += " ...";
  return s;
}

}  // namespace qt
