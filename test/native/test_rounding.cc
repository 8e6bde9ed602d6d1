// Rounding and requantization arithmetic against hand-computed vectors and independent formulas.
#include <cstdio>
#include <cstdlib>
#include <random>

#include "npuq/fp16.h"
#include "npuq/rounding.h"

using namespace npuq;
static int failures = 0;
#define EXPECT_EQ(a, b, ...)                                                              \
  do {                                                                                    \
    auto _a = (a); auto _b = (b);                                                         \
    if (!(_a == _b)) {                                                                    \
      ++failures;                                                                         \
      std::printf("FAIL %s:%d: %s = %lld, expected %lld | ", __FILE__, __LINE__, #a,      \
                  (long long)_a, (long long)_b);                                          \
      std::printf(__VA_ARGS__);                                                           \
      std::printf("\n");                                                                  \
    }                                                                                     \
  } while (0)

static const char* kNames[] = {"half_away", "half_up", "half_down", "half_even", "half_odd",
                               "half_toward_zero", "toward_zero", "away_from_zero", "ceil", "floor"};

int main() {
  // Rows: x; columns: the ten modes in enum order.
  struct Row { double x; double r[10]; };
  const Row rows[] = {
      //        away  up   down even odd  tz   trunc away ceil floor
      {2.5,   {3,   3,   2,   2,   3,   2,   2,   3,   3,   2}},
      {-2.5,  {-3,  -2,  -3,  -2,  -3,  -2,  -2,  -3,  -2,  -3}},
      {3.5,   {4,   4,   3,   4,   3,   3,   3,   4,   4,   3}},
      {-3.5,  {-4,  -3,  -4,  -4,  -3,  -3,  -3,  -4,  -3,  -4}},
      {2.4,   {2,   2,   2,   2,   2,   2,   2,   3,   3,   2}},
      {-2.4,  {-2,  -2,  -2,  -2,  -2,  -2,  -2,  -3,  -2,  -3}},
      {2.6,   {3,   3,   3,   3,   3,   3,   2,   3,   3,   2}},
      {-2.6,  {-3,  -3,  -3,  -3,  -3,  -3,  -2,  -3,  -2,  -3}},
      {0.5,   {1,   1,   0,   0,   1,   0,   0,   1,   1,   0}},
      {-0.5,  {-1,  0,   -1,  0,   -1,  0,   0,   -1,  0,   -1}},
      {7,     {7,   7,   7,   7,   7,   7,   7,   7,   7,   7}},
      {-7,    {-7,  -7,  -7,  -7,  -7,  -7,  -7,  -7,  -7,  -7}},
  };
  for (const Row& row : rows)
    for (int m = 0; m < kRoundModes; ++m)
      EXPECT_EQ((long long)round_mode(row.x, Round(m)), (long long)row.r[m], "x=%g mode=%s", row.x, kNames[m]);

  // rshift_round equals round_mode(v / 2^s) for every mode (exact rational reference).
  std::mt19937 rng(7);
  for (int it = 0; it < 200000; ++it) {
    int64_t v = int64_t(rng()) - (int64_t(1) << 31);
    if (it % 3 == 0) v = (v % 64);  // many exact ties for small shifts
    int s = it % 20;
    for (int m = 0; m < kRoundModes; ++m)
      EXPECT_EQ(rshift_round(v, s, Round(m)), (int64_t)round_mode(double(v) / double(int64_t(1) << s), Round(m)),
                "v=%lld shift=%d mode=%s", (long long)v, s, kNames[m]);
    if (failures > 20) return 1;
  }

  // gemmlowp SaturatingRoundingDoublingHighMul.
  const int32_t MIN = INT32_MIN, MAX = INT32_MAX;
  EXPECT_EQ(srdhm(MIN, MIN), MAX, "srdhm overflow case");
  EXPECT_EQ(srdhm(MAX, MAX), MAX - 1, "srdhm(max,max)");
  EXPECT_EQ(srdhm(1 << 30, 1 << 30), 1 << 29, "0.5*0.5");
  EXPECT_EQ(srdhm(3, 1 << 30), 2, "1.5 rounds half away -> 2");
  EXPECT_EQ(srdhm(-3, 1 << 30), -1, "-1.5 ties toward +inf (VQRDMULH) -> -1");
  EXPECT_EQ(srdhm(5, 1 << 30), 3, "2.5 -> 3");
  EXPECT_EQ(srdhm(-7, 1 << 29), -2, "-1.75 -> -2 (nearest)");
  EXPECT_EQ(srdhm(-5, 1 << 30), -2, "-2.5 ties toward +inf -> -2");
  EXPECT_EQ(srdhm(MIN, 1 << 30), -(1 << 30), "min*0.5");
  // RoundingDivideByPOT: half away from zero.
  EXPECT_EQ(rounding_divide_by_pot(5, 1), 3, "2.5");
  EXPECT_EQ(rounding_divide_by_pot(-5, 1), -3, "-2.5");
  EXPECT_EQ(rounding_divide_by_pot(6, 2), 2, "1.5");
  EXPECT_EQ(rounding_divide_by_pot(-6, 2), -2, "-1.5");
  EXPECT_EQ(rounding_divide_by_pot(7, 0), 7, "shift 0");
  EXPECT_EQ(rounding_divide_by_pot(MIN, 31), -1, "min >> 31");
  EXPECT_EQ(rounding_divide_by_pot(MAX, 31), 1, "max >> 31");
  // Against an independent formula: x * M / 2^(31 - shift) with gemmlowp's two roundings.
  for (int it = 0; it < 100000; ++it) {
    int32_t x = int32_t(rng());
    int32_t M = int32_t((rng() >> 1) | 0x40000000u);
    int shift = -int(it % 32);
    int64_t ab = int64_t(x) * M;
    int64_t hi = (ab + (ab >= 0 ? (1ll << 30) : 1 - (1ll << 30))) / (1ll << 31);  // srdhm (no overflow case here)
    int e = -shift;
    int64_t expect = e == 0 ? hi : (int64_t)round_mode(double(hi) / double(1ll << e), Round::HalfAwayFromZero);
    EXPECT_EQ(mul_by_quantized_multiplier(x, M, shift), (int32_t)expect, "x=%d M=%d shift=%d", x, M, shift);
    // single rounding: ties toward +inf
    int64_t single = (int64_t)std::floor((double(x) * double(M)) / std::ldexp(1.0, 31 - shift) + 0.5);
    if (std::fabs((double(x) * double(M)) / std::ldexp(1.0, 31 - shift) - std::floor((double(x) * double(M)) / std::ldexp(1.0, 31 - shift)) - 0.5) > 1e-9)
      EXPECT_EQ(mul_by_quantized_multiplier_single(x, M, shift), (int32_t)single, "single x=%d M=%d shift=%d", x, M, shift);
    if (failures > 20) return 1;
  }
  EXPECT_EQ(mul_by_quantized_multiplier_single(1, 1 << 30, 0), 1, "0.5 ties up -> 1");
  EXPECT_EQ(mul_by_quantized_multiplier_single(-1, 1 << 30, 0), 0, "-0.5 ties up -> 0");
  EXPECT_EQ(mul_by_quantized_multiplier(-1, 1 << 30, 0), 0, "-0.5: SRDHM ties toward +inf -> 0");
  EXPECT_EQ(mul_by_quantized_multiplier(-3, 1 << 30, -1), -1, "-0.75: SRDHM -> -1 (-1.5 tie up), then RDBPOT(-1,1) = -0.5 away -> -1");

  // QuantizeMultiplier.
  int32_t M; int sh;
  quantize_multiplier(0.5, &M, &sh); EXPECT_EQ(M, 1 << 30, "0.5 M"); EXPECT_EQ(sh, 0, "0.5 shift");
  quantize_multiplier(1.0, &M, &sh); EXPECT_EQ(M, 1 << 30, "1.0 M"); EXPECT_EQ(sh, 1, "1.0 shift");
  quantize_multiplier(0.75, &M, &sh); EXPECT_EQ(M, 3 << 29, "0.75 M"); EXPECT_EQ(sh, 0, "0.75 shift");
  quantize_multiplier(0.999999999999, &M, &sh); EXPECT_EQ(M, 1 << 30, "rounding to 2^31 renormalizes"); EXPECT_EQ(sh, 1, "shift+1");
  quantize_multiplier(1e-12, &M, &sh); EXPECT_EQ(M, 0, "tiny -> 0");

  // ONNX QuantizeLinear with half to even.
  EXPECT_EQ(quantize_value(2.5f, 1.0f, 0, Round::HalfToEven, -128, 127), 2, "2.5 -> 2");
  EXPECT_EQ(quantize_value(-2.5f, 1.0f, 0, Round::HalfToEven, -128, 127), -2, "-2.5 -> -2");
  EXPECT_EQ(quantize_value(1000.f, 1.0f, 0, Round::HalfToEven, -128, 127), 127, "saturate");
  EXPECT_EQ(quantize_value(-1.0f, 0.5f, 128, Round::HalfToEven, 0, 255), 126, "zero point");

  // fp16: exact cases, ties to even, subnormals, overflow.
  EXPECT_EQ(float_to_half(1.0f), 0x3c00, "1.0");
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff, "max half");
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00, "ties to even at the top -> inf");
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff, "just below the tie");
  EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048), 0x3c00, "tie between 1 and 1+2^-10 -> even (1)");
  EXPECT_EQ(float_to_half(1.0f + 3.0f / 2048), 0x3c02, "tie -> even (1+2^-9)");
  EXPECT_EQ(float_to_half(5.9604644775390625e-8f), 0x0001, "smallest subnormal");
  EXPECT_EQ(float_to_half(2.98023223876953125e-8f), 0x0000, "half of the smallest subnormal ties to 0");
  EXPECT_EQ(float_to_half(8.940696716308594e-8f), 0x0002, "1.5 subnormal units ties to even (2)");
  EXPECT_EQ(float_to_half(-0.0f), 0x8000, "-0");
  for (uint32_t h = 0; h < 0x7c00; ++h) EXPECT_EQ(float_to_half(half_to_float(uint16_t(h))), uint16_t(h), "round trip %u", h);
  EXPECT_EQ(float_to_bf16(1.0f), 0x3f80, "bf16 1.0");
  EXPECT_EQ(float_to_bf16(bits_f32(0x3f808000u)), 0x3f80, "bf16 tie to even down");
  EXPECT_EQ(float_to_bf16(bits_f32(0x3f818000u)), 0x3f82, "bf16 tie to even up");

  std::printf("%s (%d failures)\n", failures ? "FAILED" : "passed", failures);
  return failures ? 1 : 0;
}
