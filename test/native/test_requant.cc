// Requantization: every tier's kernel against requantize_one (the specification) for every method, rounding
// mode, output type, channel stride and tail length; requantize_run against requantize(); the exact
// multiply-shift helpers against 128-bit arithmetic; argument validation.
#include <algorithm>
#include <stdexcept>

#include "../../native/dispatch/q-kernels.h"
#include "../../native/kernels/requant/requant-internal.h"
#include "qtest-util.h"

using namespace npuq;

namespace {

const QType kOut[] = {QType::U8, QType::S8, QType::U16, QType::S16, QType::S32};

// Accumulators with exact ties for power-of-two scales, small values, and the int32 extremes.
std::vector<int32_t> rand_acc(std::mt19937& rng, size_t n, double mag) {
  std::vector<int32_t> v(n);
  std::uniform_int_distribution<int> kind(0, 9);
  std::normal_distribution<double> g(0.0, mag);
  for (auto& x : v) {
    const int k = kind(rng);
    if (k == 0) x = int32_t(rng());
    else if (k == 1) x = k % 2 ? INT32_MAX : INT32_MIN;
    else if (k == 2) x = std::uniform_int_distribution<int32_t>(-40, 40)(rng);
    else x = int32_t(std::max(-2e9, std::min(2e9, g(rng))));
  }
  if (n > 1) v[0] = INT32_MIN, v[1] = INT32_MAX;
  return v;
}

void check_kernel(Isa isa, const QKernels& k, std::mt19937& rng, RequantMethod m, Round rd, QType out, size_t stride,
                  size_t n) {
  const double mag = std::ldexp(1.0, std::uniform_int_distribution<int>(4, 30)(rng));
  const size_t channels = stride ? n : 1;
  const Requant r = qt::rand_requant(rng, m, rd, true, std::max<size_t>(channels, 1), out, mag);
  std::vector<int32_t> acc = rand_acc(rng, n, mag), bias(std::max<size_t>(channels, 1));
  const bool with_bias = rng() % 2;
  for (size_t i = 0; i < n; ++i) {  // keep acc + bias inside int32 (the kernels' precondition)
    const int32_t b = std::uniform_int_distribution<int32_t>(-100000, 100000)(rng);
    int64_t s = int64_t(acc[i]) + b;
    if (with_bias && s >= INT32_MIN && s <= INT32_MAX && (stride || i == 0)) bias[stride ? i : 0] = b;
  }
  if (with_bias && !stride)
    for (size_t i = 0; i < n; ++i)
      acc[i] = int32_t(std::max<int64_t>(INT32_MIN, std::min<int64_t>(INT32_MAX, int64_t(acc[i]) + bias[0])) - bias[0]);
  QRequantArgs a;
  a.method = m;
  a.round = rd;
  a.out_type = out;
  a.zp = r.zero_point;
  a.qmin = r.qmin;
  a.qmax = r.qmax;
  a.scale = r.scale.empty() ? nullptr : r.scale.data();
  a.multiplier = r.multiplier.empty() ? nullptr : r.multiplier.data();
  a.shift = r.shift.empty() ? nullptr : r.shift.data();
  a.bias = with_bias ? bias.data() : nullptr;
  a.stride = stride;
  // as QRequantTable::args sets it: every shift of a per-element run, the one shift of a stride-0 run
  a.right_shifts = stride ? std::all_of(r.shift.begin(), r.shift.end(), [](int32_t v) { return v >= 0; })
                          : !r.shift.empty() && r.shift[0] >= 0;
  std::vector<uint8_t> y(n * 4 + 8, 0xA5);
  k.requant(a, acc.data(), n, y.data());
  int bad = 0;
  for (size_t i = 0; i < n && bad < 3; ++i) {
    const size_t c = i * stride;
    const int64_t v = int64_t(acc[i]) + (with_bias ? bias[c] : 0);
    const int32_t want = requantize_one(v, m, rd, a.scale ? a.scale[c] : 0.f, a.multiplier ? a.multiplier[c] : 0,
                                        a.shift ? a.shift[c] : 0, a.zp, a.qmin, a.qmax);
    const int32_t got = qt::from_bytes(y, i, out);
    if (got != want) {
      ++bad;
      CHECK(false, "%s %s: n=%zu i=%zu stride=%zu out=%s acc=%d bias=%d want %d got %d | %s", isa_name(isa),
            k.requant_name, n, i, stride, qt::type_name(out), acc[i], with_bias ? bias[c] : 0, want, got,
            qt::requant_str(r).c_str());
    } else {
      CHECK(true, "");
    }
  }
  CHECK(y[n * qtype_size(out)] == 0xA5, "%s: wrote past n=%zu (%s)", isa_name(isa), n, qt::type_name(out));
}

#if defined(__SIZEOF_INT128__)
int64_t ref_mul_rshift(int64_t v, int32_t m, int s, Round rd) {
  const __int128 p = static_cast<__int128>(v) * m;
  if (s <= 0) {
    const __int128 sat = static_cast<__int128>(kRoundSat), lim = sat >> -s;
    return p > lim ? kRoundSat : p < -lim ? -kRoundSat : static_cast<int64_t>(p * (static_cast<__int128>(1) << -s));
  }
  const __int128 one = 1;
  const __int128 q = p >> s, rem = p - q * (one << s), half = one << (s - 1);
  bool inc = false;
  const bool neg = p < 0, odd = (q & 1) != 0;
  switch (rd) {
    case Round::Floor: break;
    case Round::Ceil: inc = rem != 0; break;
    case Round::TowardZero: inc = neg && rem; break;
    case Round::AwayFromZero: inc = !neg && rem; break;
    case Round::HalfUp: inc = rem >= half; break;
    case Round::HalfDown: inc = rem > half; break;
    case Round::HalfAwayFromZero: inc = rem > half || (rem == half && !neg); break;
    case Round::HalfTowardZero: inc = rem > half || (rem == half && neg); break;
    case Round::HalfToEven: inc = rem > half || (rem == half && odd); break;
    case Round::HalfToOdd: inc = rem > half || (rem == half && !odd); break;
  }
  const __int128 r = q + (inc ? 1 : 0), sat = static_cast<__int128>(kRoundSat);
  // mul_rshift_round saturates only when |result| >= 2^62 for certain; compare inside that range.
  return r > sat ? kRoundSat : r < -sat ? -kRoundSat : static_cast<int64_t>(r);
}
#endif

void check_exact_helpers(std::mt19937& rng) {
#if defined(__SIZEOF_INT128__)
  const int64_t edges[] = {0, 1, -1, INT64_MAX, INT64_MIN, int64_t(1) << 40, -(int64_t(1) << 40), 12345, -98765};
  const int32_t medges[] = {0, 1, -1, INT32_MAX, INT32_MIN, 3, 1 << 30};
  const int iters = int(200000 * qt::case_scale());
  for (int it = 0; it < iters; ++it) {
    int64_t v = (int64_t(rng()) << 32) ^ int64_t(rng());
    if (it % 4 == 1) v >>= std::uniform_int_distribution<int>(0, 62)(rng);
    if (it % 7 == 2) v = edges[it % 9];
    int32_t m = int32_t(rng());
    if (it % 5 == 3) m >>= std::uniform_int_distribution<int>(0, 31)(rng);
    if (it % 11 == 4) m = medges[it % 7];
    const int s = std::uniform_int_distribution<int>(-62, 62)(rng);
    const Round rd = Round(it % kRoundModes);
    const int64_t got = mul_rshift_round(v, m, s, rd), want = ref_mul_rshift(v, m, s, rd);
    // Saturated results must agree in sign and be beyond 2^62 - 1 in magnitude on both sides.
    const bool ok = got == want || (std::llabs(want) >= (int64_t(1) << 62) - 1 && got == (want > 0 ? kRoundSat : -kRoundSat));
    CHECK(ok, "mul_rshift_round(v=%lld, m=%d, shift=%d, %s) = %lld, want %lld", (long long)v, m, s, qt::round_name(rd),
          (long long)got, (long long)want);
    if (check::failures() > 20) return;
  }
#endif
  CHECK(rshift_round(INT64_MAX, -3, Round::Floor) == kRoundSat, "saturating left shift");
  CHECK(rshift_round(-5, -2, Round::Floor) == -20, "left shift");
  CHECK(double_to_i64_sat(1e300) == kRoundSat && double_to_i64_sat(-1e300) == -kRoundSat, "double saturation");
  // requantize_one never overflows: huge float products and shifts saturate to the clamp.
  CHECK(requantize_one(INT64_MAX / 2, RequantMethod::FloatScale, Round::HalfToEven, 3e38f, 0, 0, 10, -128, 127) == 127,
        "FloatScale +inf saturates high");
  CHECK(requantize_one(-1000, RequantMethod::FloatScale, Round::HalfToEven, 3e38f, 0, 0, 10, -128, 127) == -128,
        "FloatScale -inf saturates low");
  CHECK(requantize_one(int64_t(1) << 61, RequantMethod::ShiftOnly, Round::HalfUp, 0, 0, -20, 0, -128, 127) == 127,
        "ShiftOnly left shift saturates");
  CHECK(requantize_one(int64_t(1) << 50, RequantMethod::MultiplierShift, Round::HalfUp, 0, 1 << 30, 62, 0, INT32_MIN, INT32_MAX) ==
            (int32_t)(1 << 18),
        "MultiplierShift exact 80-bit product: 2^80 / 2^62");
}

void check_validation() {
  Requant r;
  r.method = RequantMethod::FixedPointDouble;
  r.multiplier = {1 << 30};
  r.shift = {40};
  r.qmin = 0;
  r.qmax = 255;
  int32_t acc[4] = {1, 2, 3, 4};
  uint8_t y[4];
  CHECK_THROWS(requantize_run(Isa::Scalar, acc, 4, r, 0, QType::U8, y), "requant.shift[0]=40");
  r.method = RequantMethod::FloatScale;
  r.scale = {INFINITY};
  CHECK_THROWS(requantize_run(Isa::Scalar, acc, 4, r, 0, QType::U8, y), "not finite");
  r.scale = {0.5f};
  r.qmin = 10;
  r.qmax = 5;
  CHECK_THROWS(requantize_run(Isa::Scalar, acc, 4, r, 0, QType::U8, y), "qmin=10, qmax=5");
  r.qmin = 0;
  r.qmax = 300;
  CHECK_THROWS(requantize_run(Isa::Scalar, acc, 4, r, 0, QType::U8, y), "qmax=300");
  r.qmax = 255;
  r.per_channel = true;
  CHECK_THROWS(requantize_run(Isa::Scalar, acc, 4, r, 3, QType::U8, y), "no entry 3");
}

// MultiplierShift and ShiftOnly at their edges on every tier: shifts 0, 1, 31, 32, 33, 61, 62 (the SIMD
// tiers' 64-bit lanes), left shifts (scalar fallback, one in a per-element run sends the whole run
// there), the int32 extreme accumulators and multipliers, exact ties, every rounding mode and stride.
void check_multiplier_shift_edges(std::mt19937& rng) {
  const int32_t accs[] = {0, 1, -1, 2, -2, 3, -3, INT32_MAX, INT32_MIN, INT32_MIN + 1, 1 << 30, -(1 << 30), 12345, -12345,
                          (1 << 20) + (1 << 19), -((1 << 20) + (1 << 19)), 255, -256, 77, -77};
  const int32_t mults[] = {1, -1, 127, -128, INT32_MAX, INT32_MIN, 1 << 30, 3};
  const int shifts[] = {0, 1, 2, 19, 20, 31, 32, 33, 40, 61, 62, -1, -7};
  const size_t na = sizeof(accs) / sizeof(accs[0]);
  for (Isa isa : supported_isas()) {
    const QKernels& k = q_kernels(isa);
    for (RequantMethod m : {RequantMethod::MultiplierShift, RequantMethod::ShiftOnly}) {
      for (int rd = 0; rd < kRoundModes; ++rd) {
        for (QType out : {QType::S8, QType::S32}) {
          const bool s32 = out == QType::S32;
          for (size_t stride = 0; stride < 2; ++stride) {
            for (int32_t mult : mults) {
              if (m == RequantMethod::ShiftOnly && mult != 1) continue;
              for (int sh : shifts) {
                // Per element: the run mixes shifts (and sometimes one left shift) around sh.
                std::vector<int32_t> ms(na, mult), ss(na, sh);
                if (stride)
                  for (size_t i = 0; i < na; ++i) ss[i] = i % 3 == 0 ? sh : shifts[rng() % (sizeof(shifts) / sizeof(int) - 2)];
                if (stride && rng() % 4 == 0) ss[rng() % na] = -3;
                QRequantArgs a;
                a.method = m;
                a.round = Round(rd);
                a.out_type = out;
                a.zp = s32 ? 0 : int32_t(rng() % 21) - 10;
                a.qmin = s32 ? INT32_MIN : -128;
                a.qmax = s32 ? INT32_MAX : 127;
                a.multiplier = m == RequantMethod::ShiftOnly ? nullptr : ms.data();
                a.shift = ss.data();
                a.stride = stride;
                a.right_shifts = stride ? std::all_of(ss.begin(), ss.end(), [](int32_t v) { return v >= 0; }) : ss[0] >= 0;
                std::vector<uint8_t> y(na * 4 + 8, 0xA5);
                k.requant(a, accs, na, y.data());
                for (size_t i = 0; i < na; ++i) {
                  const size_t c = i * stride;
                  const int32_t want = requantize_one(accs[i], m, a.round, 0.f, a.multiplier ? ms[c] : 0, ss[c], a.zp,
                                                      a.qmin, a.qmax);
                  const int32_t got = qt::from_bytes(y, i, out);
                  CHECK(got == want, "%s %s %s %s stride=%zu acc=%d m=%d shift=%d: want %d got %d", isa_name(isa),
                        k.requant_name, qt::method_name(m), qt::round_name(a.round), stride, accs[i],
                        a.multiplier ? ms[c] : 0, ss[c], want, got);
                }
                if (check::failures() > 20) return;
              }
            }
          }
        }
      }
    }
  }
}

// requant_s64_run (int64 accumulators through the tier's int32 kernel where a block fits) against the
// element-wise requant_s64: runs over several 256-element blocks, some blocks with sums beyond int32.
void check_s64_run(std::mt19937& rng) {
  const size_t lens[] = {1, 7, 255, 256, 257, 700};
  for (Isa isa : supported_isas()) {
    const QKernels& k = q_kernels(isa);
    for (int m = 0; m <= static_cast<int>(RequantMethod::ShiftOnly); ++m)
      for (int rd = 0; rd < kRoundModes; rd += 3)
        for (size_t stride = 0; stride < 2; ++stride)
          for (size_t n : lens) {
            const size_t channels = stride ? n : 1;
            const Requant r = qt::rand_requant(rng, RequantMethod(m), Round(rd), true, channels, QType::S16, 1e6);
            const QRequantTable t = make_requant_table("test", r, channels, QType::S16);
            const QRequantArgs a = t.args(0, stride, nullptr);
            std::vector<int64_t> acc(n), bias(channels);
            const bool wide = rng() % 2;  // some elements (so some blocks) beyond int32
            for (auto& b : bias) b = std::uniform_int_distribution<int64_t>(-5000000, 5000000)(rng);
            for (size_t i = 0; i < n; ++i) {
              acc[i] = std::uniform_int_distribution<int64_t>(-2000000000, 2000000000)(rng);
              if (wide && rng() % 97 == 0) acc[i] = (rng() % 2 ? 1 : -1) * (int64_t(1) << (32 + rng() % 20));
            }
            std::vector<int16_t> want(n + 1, 0x5a5a), got(n + 1, 0x5a5a);
            requant_s64(a, acc.data(), bias.data(), n, want.data());
            requant_s64_run(k, a, acc.data(), bias.data(), n, got.data());
            CHECK(want == got, "%s requant_s64_run %s n=%zu stride=%zu%s differs from requant_s64", isa_name(isa),
                  qt::requant_str(r).c_str(), n, stride, wide ? " (wide)" : "");
          }
  }
}

}  // namespace

int main() {
  std::mt19937 rng(20240611);
  check_exact_helpers(rng);
  check_validation();
  check_multiplier_shift_edges(rng);
  check_s64_run(rng);
  const size_t lens[] = {0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100};
  const int reps = std::max(1, int(6 * qt::case_scale() + 0.5));
  for (Isa isa : supported_isas()) {
    const QKernels& k = q_kernels(isa);
    CHECK(k.isa == isa, "q_kernels(%s) gave tier %s", isa_name(isa), isa_name(k.isa));
    for (int m = 0; m <= static_cast<int>(RequantMethod::ShiftOnly); ++m)
      for (int rd = 0; rd < kRoundModes; ++rd)
        for (QType out : kOut)
          for (size_t stride = 0; stride < 2; ++stride)
            for (int rep = 0; rep < reps; ++rep)
              for (size_t n : lens) check_kernel(isa, k, rng, RequantMethod(m), Round(rd), out, stride, n);
  }
  // The public entry against requantize() with per-channel parameters.
  for (Isa isa : supported_isas()) {
    for (int m = 0; m <= static_cast<int>(RequantMethod::ShiftOnly); ++m) {
      const Requant r = qt::rand_requant(rng, RequantMethod(m), Round(rng() % kRoundModes), true, 5, QType::S8, 1e5);
      std::vector<int32_t> acc = rand_acc(rng, 37, 1e5);
      for (size_t c = 0; c < 5; ++c) {
        int8_t y[37];
        requantize_run(isa, acc.data(), acc.size(), r, c, QType::S8, y);
        for (size_t i = 0; i < acc.size(); ++i)
          CHECK(y[i] == requantize(acc[i], r, c), "%s requantize_run c=%zu i=%zu acc=%d: %d vs %d | %s", isa_name(isa), c,
                i, acc[i], y[i], requantize(acc[i], r, c), qt::requant_str(r).c_str());
      }
    }
  }
  return check_summary("test_requant");
}
