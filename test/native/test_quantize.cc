// quantize_f32 / dequantize_f32: the ONNX spec examples, the scalar kernel against an independent
// formula written here (std::nearbyint / std::round / floor(x + 0.5) ... in double), and every tier
// against scalar byte for byte over all QTypes, all rounding modes, zero points at the extremes, exact
// ties, special floats, lengths 0..70 and large. Guard bytes catch writes past n.
#include <cfloat>
#include <limits>

#include "npuq/qkernels.h"
#include "test-util.h"

using namespace npuq;

namespace {

const QType kTypes[] = {QType::U8, QType::S8, QType::U16, QType::S16, QType::S32};
const char* tname(QType t) {
  static const char* n[] = {"u8", "s8", "u16", "s16", "s32"};
  return n[static_cast<int>(t)];
}

// round per mode, written independently of rounding.h.
double ref_round(double d, Round m) {
  const double fl = std::floor(d), frac = d - fl;
  switch (m) {
    case Round::HalfToEven: return std::nearbyint(d);
    case Round::HalfAwayFromZero: return std::round(d);
    case Round::HalfUp: return std::floor(d + 0.5);
    case Round::HalfDown: return std::ceil(d - 0.5);
    case Round::HalfTowardZero: return d >= 0 ? std::ceil(d - 0.5) : std::floor(d + 0.5);
    case Round::HalfToOdd:
      if (frac == 0.5) return std::fmod(fl, 2.0) != 0 ? fl : fl + 1;
      return std::nearbyint(d);
    case Round::TowardZero: return std::trunc(d);
    case Round::AwayFromZero: return d >= 0 ? std::ceil(d) : std::floor(d);
    case Round::Ceil: return std::ceil(d);
    case Round::Floor: return std::floor(d);
  }
  return 0;
}

int64_t ref_quantize(float x, float scale, int32_t zp, Round m, QType t) {
  const double lo = qtype_min(t), hi = qtype_max(t);
  auto clampd = [&](double v) { return static_cast<int64_t>(v < lo ? lo : v > hi ? hi : v); };
  if (std::isnan(x)) return clampd(zp);
  const float d = x / scale;  // ONNX: float32 division
  if (std::isnan(d)) return clampd(lo);
  if (std::isinf(d)) return clampd(d > 0 ? hi : lo);
  return clampd(ref_round(double(d), m) + zp);
}

int64_t get(const std::vector<uint8_t>& buf, QType t, size_t i) {
  const uint8_t* p = buf.data() + i * qtype_size(t);
  switch (t) {
    case QType::U8: return *p;
    case QType::S8: return int8_t(*p);
    case QType::U16: { uint16_t v; std::memcpy(&v, p, 2); return v; }
    case QType::S16: { int16_t v; std::memcpy(&v, p, 2); return v; }
    case QType::S32: { int32_t v; std::memcpy(&v, p, 4); return v; }
  }
  return 0;
}

void put(std::vector<uint8_t>& buf, QType t, size_t i, int64_t v) {
  uint8_t* p = buf.data() + i * qtype_size(t);
  if (qtype_size(t) == 1) *p = uint8_t(v);
  else if (qtype_size(t) == 2) { uint16_t u = uint16_t(v); std::memcpy(p, &u, 2); }
  else { uint32_t u = uint32_t(v); std::memcpy(p, &u, 4); }
}

constexpr size_t kGuard = 16;

std::vector<uint8_t> run_q(Isa isa, const std::vector<float>& x, float scale, int32_t zp, Round m, QType t) {
  std::vector<uint8_t> y(x.size() * qtype_size(t) + kGuard, 0xCD);
  quantize_f32(isa, x.size(), x.data(), scale, zp, m, t, y.data());
  return y;
}

int g_cases = 0;

void check_quantize(const std::vector<float>& x, float scale, int32_t zp, Round m, QType t, const char* what) {
  ++g_cases;
  const auto ref = run_q(Isa::Scalar, x, scale, zp, m, t);
  const size_t n = x.size(), bytes = n * qtype_size(t);
  int bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t want = ref_quantize(x[i], scale, zp, m, t), got = get(ref, t, i);
    if (want != got && bad++ < 3)
      CHECK(false, "%s scalar %s round=%d zp=%d scale=%a x[%zu]=%a (%.9g): got %lld want %lld", what, tname(t),
            int(m), zp, scale, i, x[i], x[i], (long long)got, (long long)want);
  }
  CHECK(bad == 0, "%s scalar %s round=%d zp=%d n=%zu: %d wrong", what, tname(t), int(m), zp, n, bad);
  for (size_t i = bytes; i < ref.size(); ++i) CHECK(ref[i] == 0xCD, "%s scalar wrote past n=%zu", what, n);
  for (Isa isa : tu::simd_tiers()) {
    const auto got = run_q(isa, x, scale, zp, m, t);
    size_t at = 0;
    while (at < got.size() && got[at] == ref[at]) ++at;
    CHECK(at == got.size(), "%s tier=%s %s round=%d zp=%d scale=%a n=%zu: differs from scalar at byte %zu (x=%a)",
          what, isa_name(isa), tname(t), int(m), zp, scale, n, at, at / qtype_size(t) < n ? x[at / qtype_size(t)] : 0.0f);
  }
}

std::vector<int32_t> zero_points(QType t) {
  const int32_t lo = qtype_min(t), hi = qtype_max(t);
  if (t == QType::S32) return {0, -7, 1 << 21, INT32_MIN, INT32_MAX};
  return {lo, hi, 0, (lo + hi) / 2, lo - 300, hi + 300, 1 << 21, -(1 << 21)};
}

void spec_examples() {
  // ONNX QuantizeLinear: x / 2 = [0, 1, 1.5, 500, -127, -500], 1.5 rounds to even 2.
  const std::vector<float> x = {0, 2, 3, 1000, -254, -1000};
  const int64_t want_u8[] = {128, 129, 130, 255, 1, 0};
  const int64_t want_s8[] = {-1, 0, 1, 127, -128, -128};  // zp -1
  for (Isa isa : supported_isas()) {
    auto y = run_q(isa, x, 2.0f, 128, Round::HalfToEven, QType::U8);
    for (size_t i = 0; i < x.size(); ++i)
      CHECK(get(y, QType::U8, i) == want_u8[i], "ONNX example u8 tier=%s [%zu] = %lld", isa_name(isa), i, (long long)get(y, QType::U8, i));
    y = run_q(isa, x, 2.0f, -1, Round::HalfToEven, QType::S8);
    for (size_t i = 0; i < x.size(); ++i)
      CHECK(get(y, QType::S8, i) == want_s8[i], "example s8 tier=%s [%zu] = %lld", isa_name(isa), i, (long long)get(y, QType::S8, i));
    // DequantizeLinear: [0, 3, 128, 255] u8, scale 2, zp 128 -> [-256, -250, 0, 254].
    const uint8_t q[] = {0, 3, 128, 255};
    float d[4];
    dequantize_f32(isa, 4, q, QType::U8, 2.0f, 128, d);
    const float want_d[] = {-256, -250, 0, 254};
    for (int i = 0; i < 4; ++i) CHECK(d[i] == want_d[i], "ONNX dequantize example tier=%s [%d] = %g", isa_name(isa), i, d[i]);
  }
}

std::vector<float> special_floats() {
  return {0.0f, -0.0f, std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN(),
          HUGE_VALF, -HUGE_VALF, FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN, tu::from_bits(1), tu::from_bits(0x80000001u),
          tu::from_bits(0x007fffffu), 2147483648.0f, -2147483648.0f, 2147483520.0f, 1e10f, -1e10f, 16777217.0f,
          8388608.5f, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f, 0.49999997f, -0.49999997f, 65535.5f, -32768.5f,
          127.5f, -128.5f, 255.5f, 254.5f, -129.5f, 32767.5f, 4194304.5f, -4194303.5f};
}

void quantize_cases() {
  std::mt19937 rng(7);
  const std::vector<float> specials = special_floats();
  for (QType t : kTypes) {
    const double range = double(qtype_max(t)) - double(qtype_min(t));
    for (int32_t zp : zero_points(t))
      for (int mi = 0; mi < kRoundModes; ++mi) {
        const Round m = static_cast<Round>(mi);
        // Special floats at scale 1, and at scales that overflow / underflow the quotient.
        for (float s : {1.0f, 2.0f, 3e-38f, tu::from_bits(3), 1e30f, -0.75f, 0.0f})
          check_quantize(specials, s, zp, m, t, "specials");
        // Exact ties: x = (k + 1/2) * 2^e, and random values over (and past) the type's range.
        for (float s : {0.5f, 2.0f, 0.0078125f}) {
          std::vector<float> x(67);
          std::uniform_int_distribution<int> k(-70000, 70000);
          for (auto& v : x) v = (float(k(rng)) + 0.5f) * s;
          check_quantize(x, s, zp, m, t, "ties");
        }
        // One ulp either side of the ties, negative small values included (-0.49999997 and the like).
        for (float s : {1.0f, 0.5f}) {
          std::vector<float> x(70);
          std::uniform_int_distribution<int> k(-300, 300);
          for (size_t i = 0; i < x.size(); ++i)
            x[i] = std::nextafter((float(k(rng)) + 0.5f) * s, i & 1 ? HUGE_VALF : -HUGE_VALF);
          check_quantize(x, s, zp, m, t, "near ties");
        }
        const float s = float(range / 200.0) * 1.37f;
        check_quantize(tu::rand_vec(rng, 70, -float(range) * s, float(range) * s), s, zp, m, t, "random");
      }
    // Every length 0..70, and long runs, for the common modes.
    for (size_t n = 0; n <= 70; ++n)
      for (Round m : {Round::HalfToEven, Round::HalfAwayFromZero, Round::HalfToOdd})
        check_quantize(tu::rand_vec(rng, n, -300.0f, 300.0f), 0.37f, qtype_min(t) + 3, m, t, "lengths");
    for (size_t n : {1000, 4099})
      check_quantize(tu::rand_vec(rng, n, -1e5f, 1e5f), 0.1f, 0, Round::HalfToEven, t, "long");
  }
}

void dequantize_cases() {
  std::mt19937 rng(8);
  for (QType t : kTypes)
    for (int32_t zp : zero_points(t))
      for (float scale : {0.5f, 0.1f, 3.3e-3f, 1e-40f, 1e30f})
        for (size_t n : {0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 64, 70, 1001}) {
          std::vector<uint8_t> q(n * qtype_size(t));
          for (auto& b : q) b = uint8_t(rng());
          for (size_t i = 0; i < std::min<size_t>(n, 4); ++i) put(q, t, i, i & 1 ? qtype_min(t) : qtype_max(t));
          std::vector<float> ref(n + 4, 777.0f);
          dequantize_f32(Isa::Scalar, n, q.data(), t, scale, zp, ref.data());
          for (size_t i = 0; i < n; ++i) {
            const float want = float(double(get(q, t, i)) - double(zp)) * scale;  // q - zp is exact in double
            if (!tu::same(ref[i], want)) {
              CHECK(false, "dequantize scalar %s zp=%d scale=%a [%zu]: %a want %a", tname(t), zp, scale, i, ref[i], want);
              break;
            }
          }
          CHECK(ref[n] == 777.0f, "dequantize scalar wrote past n=%zu", n);
          for (Isa isa : tu::simd_tiers()) {
            std::vector<float> got(n + 4, 777.0f);
            dequantize_f32(isa, n, q.data(), t, scale, zp, got.data());
            const long at = tu::first_diff(ref.data(), got.data(), n + 4);
            CHECK(at < 0, "dequantize tier=%s %s zp=%d scale=%a n=%zu differs at %ld", isa_name(isa), tname(t), zp, scale, n, at);
          }
        }
}

void errors() {
  float x = 1.0f, y = 0;
  uint8_t q = 0;
  CHECK_THROWS(quantize_f32(Isa::Scalar, 1, &x, 1.0f, 0, Round::HalfToEven, static_cast<QType>(9), &q), "QType");
  CHECK_THROWS(quantize_f32(Isa::Scalar, 1, &x, 1.0f, 0, static_cast<Round>(10), QType::U8, &q), "rounding");
  CHECK_THROWS(quantize_f32(Isa::Scalar, 1, nullptr, 1.0f, 0, Round::HalfToEven, QType::U8, &q), "null");
  CHECK_THROWS(dequantize_f32(Isa::Scalar, 1, &q, static_cast<QType>(7), 1.0f, 0, &y), "QType");
  quantize_f32(Isa::Scalar, 0, nullptr, 1.0f, 0, Round::HalfToEven, QType::U8, nullptr);  // n = 0: nothing to do
  CHECK(true, "");
}

}  // namespace

int main() {
  std::printf("tiers:");
  for (Isa isa : supported_isas()) std::printf(" %s", isa_name(isa));
  std::printf("\n");
  spec_examples();
  quantize_cases();
  dequantize_cases();
  errors();
  std::printf("%d quantize cases\n", g_cases);
  return check_summary("test_quantize");
}
