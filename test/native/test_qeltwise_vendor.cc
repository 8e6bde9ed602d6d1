// qbinary_run for the vendor arithmetic added next to the QDQ / TFLite paths: onnxruntime MLAS
// QLinearAdd / QLinearMul (mlas = true), TPU-MLIR per-input multiplier-and-shift Add/Sub (BM1684,
// BM1684X: MultiplierShift) and its CV18xx float variant (MultiplierShiftFloat), and Mul with a negative
// (left) shift. Hand-computed vectors first (ties, saturation, negative values, extreme multipliers,
// MLAS's INT32_MIN on overflow), then every tier against scalar byte for byte.
#include <climits>
#include <cmath>

#include "npuq/qkernels.h"
#include "test-util.h"

using namespace npuq;

namespace {

int g_cases = 0;

int64_t at(const std::vector<uint8_t>& y, QType t, size_t i) {
  return t == QType::U8 ? int64_t(y[i]) : int64_t(int8_t(y[i]));
}

std::vector<uint8_t> run(Isa isa, const QBinaryParams& p, const std::vector<int>& a, size_t as, const std::vector<int>& b,
                         size_t bs, size_t n) {
  std::vector<uint8_t> qa(a.size()), qb(b.size()), y(n + 8, 0xCD);
  for (size_t i = 0; i < a.size(); ++i) qa[i] = uint8_t(a[i]);
  for (size_t i = 0; i < b.size(); ++i) qb[i] = uint8_t(b[i]);
  qbinary_run(isa, p, n, qa.data(), as, qb.data(), bs, y.data());
  return y;
}

// Scalar output of pairs (a[i], b[i]) against expected values, and every tier against scalar.
void expect(const char* what, const QBinaryParams& p, const std::vector<int>& a, const std::vector<int>& b,
            const std::vector<int>& want) {
  ++g_cases;
  const auto ref = run(Isa::Scalar, p, a, 1, b, 1, a.size());
  for (size_t i = 0; i < want.size(); ++i)
    CHECK(at(ref, p.out_type, i) == want[i], "%s: element %zu (a %d, b %d) is %lld, expected %d", what, i, a[i], b[i],
          (long long)at(ref, p.out_type, i), want[i]);
  for (Isa isa : tu::simd_tiers())
    CHECK(run(isa, p, a, 1, b, 1, a.size()) == ref, "%s: tier %s differs from scalar", what, isa_name(isa));
}

QBinaryParams base(QBinaryOp op, QType t, RequantMethod m, Round r) {
  QBinaryParams p;
  p.op = op;
  p.a_type = p.b_type = p.out_type = t;
  p.out_requant.method = m;
  p.out_requant.round = r;
  p.out_requant.qmin = qtype_min(t);
  p.out_requant.qmax = qtype_max(t);
  return p;
}

QBinaryParams mlas_add(QType t, float sa, int za, float sb, int zb, float so, int zo) {
  QBinaryParams p = qbinary_params_qdq(QBinaryOp::Add, t, sa, za, t, sb, zb, t, so, zo);
  p.mlas = true;
  return p;
}

QBinaryParams ms_add(QBinaryOp op, RequantMethod m, int Ma, int sha, int Mb, int shb, int Mo, int sho) {
  QBinaryParams p = base(op, QType::S8, m, Round::HalfUp);
  p.a_requant.multiplier = {Ma};
  p.a_requant.shift = {sha};
  p.b_requant.multiplier = {Mb};
  p.b_requant.shift = {shb};
  p.out_requant.multiplier = {Mo};
  p.out_requant.shift = {sho};
  return p;
}

void hand_cases() {
  // MLAS Add: ra = 0.5, rb = 0.25, fixed = 5 - fma(0.5, 10, 0.25 * 20) = -5; v = a/2 + b/4 - 5, half to
  // even: 7; 5.5 -> 6; 6.5 -> 6; 186.25 -> 186; -5 -> 0; 8.
  expect("mlas add u8", mlas_add(QType::U8, 0.5f, 10, 0.25f, 20, 1.0f, 5), {13, 11, 13, 255, 0, 15},
         {22, 20, 20, 255, 0, 22}, {7, 6, 6, 186, 0, 8});
  // ra = 2, rb = 1, fixed = 5 - 40 = -35: saturation at both ends.
  expect("mlas add u8 saturates", mlas_add(QType::U8, 0.5f, 10, 0.25f, 20, 0.25f, 5), {255, 0, 20}, {255, 0, 20}, {255, 0, 25});
  // ra = 1e9: a = 1 gives 1e9 (< 2^31, clamps to 255); a = 255 overflows cvtps to INT32_MIN, which packs to 0.
  expect("mlas add overflow", mlas_add(QType::U8, 1.0f, 0, 1.0f, 0, 1e-9f, 0), {1, 255, 0}, {0, 0, 0}, {255, 0, 0});
  // fixed = -3 - fma(0.5, -2, 0) = -2, v = a/2 + b/2 - 2: -2.5 -> -2; -2.5 -> -2; 125; -130 -> -128.
  expect("mlas add s8", mlas_add(QType::S8, 0.5f, -2, 0.5f, 0, 1.0f, -3), {-1, -2, 127, -128}, {0, 1, 127, -128},
         {-2, -2, 125, -128});
  // MLAS Mul: r = 0.5, v = xa*xb*0.5 + 3 rounded after the zero point is added: 4.5 -> 4, 5.5 -> 6.
  QBinaryParams mul = qbinary_params_qdq(QBinaryOp::Mul, QType::S8, 1.0f, 0, QType::S8, 0.5f, 0, QType::S8, 1.0f, 3);
  mul.mlas = true;
  expect("mlas mul s8", mul, {3, 5, -3, 127, -128}, {1, 1, 1, 127, 127}, {4, 6, 2, 127, -128});
  mul.mlas = false;  // the QDQ path rounds before adding the zero point: 2+3, 2+3, -2+3
  expect("qdq mul s8", mul, {3, 5, -3}, {1, 1, 1}, {5, 5, 1});
  // BM1684X Add: ya = (3 xa) >> 2, yb = (5 xb) >> 3, half up: -1.5 -> -1, -2.5 -> -2, 1.5 -> 2, 2.5 -> 3.
  const QBinaryParams bm = ms_add(QBinaryOp::Add, RequantMethod::MultiplierShift, 3, 2, 5, 3, 1, 0);
  expect("multiplier_shift add", bm, {-2, 2, 127, -128, 0}, {-4, 4, 127, -128, -1}, {-3, 5, 127, -128, -1});
  expect("multiplier_shift sub", ms_add(QBinaryOp::Sub, RequantMethod::MultiplierShift, 3, 2, 5, 3, 1, 0), {2, -2, -128},
         {4, -4, 127}, {-1, 1, -128});
  expect("multiplier_shift add, extreme multiplier", ms_add(QBinaryOp::Add, RequantMethod::MultiplierShift, 127, 0, 1, 30, 1, 0),
         {1, -1, 127}, {1, -1, 0}, {127, -127, 127});
  // CV18xx Add: (32 xa + 32 xb) / 2^7 half up: 0.5 -> 1, -0.5 -> 0 (half away would give -1).
  const QBinaryParams cv = ms_add(QBinaryOp::Add, RequantMethod::MultiplierShiftFloat, 32, 0, 32, 0, 1, 7);
  expect("multiplier_shift_float add", cv, {1, -1, 2, 127, -128}, {1, -1, 1, 127, -128}, {1, 0, 1, 64, -64});
  QBinaryParams cvs = ms_add(QBinaryOp::Sub, RequantMethod::MultiplierShiftFloat, 127, 0, 127, 0, 1, 0);
  expect("multiplier_shift_float sub saturates", cvs, {127, -128}, {-128, 127}, {127, -128});
  // BM1684X Mul with rshift -2 (a left shift): 5 * 3 << 2 = 60; -2 * 3 << 2 = -24; saturation.
  QBinaryParams m = base(QBinaryOp::Mul, QType::S8, RequantMethod::MultiplierShift, Round::HalfUp);
  m.out_requant.multiplier = {3};
  m.out_requant.shift = {-2};
  expect("multiplier_shift mul, left shift", m, {5, -2, 100}, {1, 1, 100}, {60, -24, 127});
  m.out_requant.shift = {3};  // 5 * 3 / 8 = 1.875 -> 2; -12 * 3 / 8 = -4.5 -> -4 (half up)
  expect("multiplier_shift mul", m, {5, -12}, {1, 1}, {2, -4});
}

// MLAS's IsScalarA kernel folds a into the fixed part first: a broadcast a takes the other fma order.
void broadcast_order(std::mt19937& rng) {
  int differ = 0;
  for (int t = 0; t < 200; ++t) {
    const float sa = 0.001f + float(rng() % 100000) / 1e6f, sb = 0.001f + float(rng() % 100000) / 1e6f;
    const float so = 0.001f + float(rng() % 150000) / 1e6f;
    const int za = int(rng() % 256), zb = int(rng() % 256), zo = int(rng() % 256);
    const QBinaryParams p = mlas_add(QType::U8, sa, za, sb, zb, so, zo);
    const float ra = sa / so, rb = sb / so;
    const float fixed = float(zo) - std::fma(ra, float(za), rb * float(zb));
    std::vector<int> a(1, int(rng() % 256)), b(256);
    for (int i = 0; i < 256; ++i) b[size_t(i)] = i;
    const auto ya = run(Isa::Scalar, p, a, 0, b, 1, 256);
    const auto yb = run(Isa::Scalar, p, b, 1, a, 0, 256);  // b broadcast: the usual order
    for (int i = 0; i < 256; ++i) {
      auto cvt = [](float v) { return std::fabs(v) < 2147483648.0f ? int64_t(std::nearbyint(v)) : int64_t(INT32_MIN); };
      const float fa = float(a[0]), fb = float(i);
      const int64_t first = std::min<int64_t>(255, std::max<int64_t>(0, cvt(std::fma(fb, rb, std::fma(fa, ra, fixed)))));
      const int64_t second = std::min<int64_t>(255, std::max<int64_t>(0, cvt(std::fma(fb, ra, std::fma(fa, rb, fixed)))));
      CHECK(ya[size_t(i)] == first, "mlas add, a broadcast: element %d is %d, expected %lld", i, ya[size_t(i)], (long long)first);
      CHECK(yb[size_t(i)] == second, "mlas add, b broadcast: element %d is %d, expected %lld", i, yb[size_t(i)], (long long)second);
      differ += first != std::min<int64_t>(255, std::max<int64_t>(0, cvt(std::fma(fa, ra, std::fma(fb, rb, fixed)))));
    }
    for (Isa isa : tu::simd_tiers()) CHECK(run(isa, p, a, 0, b, 1, 256) == ya, "mlas broadcast tier %s", isa_name(isa));
    ++g_cases;
  }
  std::printf("mlas add: the fma order changed %d of 51200 broadcast outputs\n", differ);
  // A case found by search where the order decides: a-first gives 128.500015 -> 129, b-first 128.5 -> 128.
  const QBinaryParams p = mlas_add(QType::U8, 0.0222040005f, 107, 0.0439409986f, 140, 0.127941996f, 155);
  for (Isa isa : supported_isas()) {
    CHECK(run(isa, p, {77}, 0, {78, 78, 78, 78, 78, 78, 78, 78, 78}, 1, 9)[8] == 129, "mlas order, a broadcast, %s", isa_name(isa));
    CHECK(run(isa, p, {77, 77, 77, 77, 77, 77, 77, 77, 77}, 1, {78}, 0, 9)[8] == 128, "mlas order, b broadcast, %s", isa_name(isa));
    CHECK(run(isa, p, {77}, 1, {78}, 1, 1)[0] == 128, "mlas order, no broadcast, %s", isa_name(isa));
  }
  ++g_cases;
}

// Random parameters of every new path, strides 0/1, lengths 0..70 and long: every tier equals scalar.
void tier_cases(std::mt19937& rng) {
  for (size_t n = 0; n <= 70; ++n)
    for (int kind = 0; kind < 6; ++kind)
      for (size_t as : {0, 1})
        for (size_t bs : {0, 1}) {
          const QType t = rng() % 2 ? QType::U8 : QType::S8;
          QBinaryParams p;
          if (kind < 2) {
            const float s[3] = {1e-3f + float(rng() % 1000) / 1e4f, 1e-3f + float(rng() % 1000) / 1e4f, 1e-3f + float(rng() % 1000) / 1e4f};
            const int lo = qtype_min(t);
            p = qbinary_params_qdq(kind ? QBinaryOp::Mul : QBinaryOp::Add, t, s[0], lo + int(rng() % 256), t, s[1],
                                   lo + int(rng() % 256), t, s[2], lo + int(rng() % 256));
            p.mlas = true;
          } else {
            const RequantMethod m = kind % 2 ? RequantMethod::MultiplierShiftFloat : RequantMethod::MultiplierShift;
            p = ms_add(kind < 4 ? QBinaryOp::Add : QBinaryOp::Sub, m, int(rng() % 128), int(rng() % 9), int(rng() % 128),
                       int(rng() % 9), 1 + int(rng() % 3), int(rng() % 8));
            p.a_type = p.b_type = p.out_type = t;
            p.out_requant.qmin = qtype_min(t);
            p.out_requant.qmax = qtype_max(t);
            p.out_requant.round = static_cast<Round>(rng() % kRoundModes);
          }
          std::vector<int> a(n + 1), b(n + 1);
          for (auto& v : a) v = int(rng() % 256);
          for (auto& v : b) v = int(rng() % 256);
          const auto ref = run(Isa::Scalar, p, a, as, b, bs, n);
          for (size_t i = n; i < ref.size(); ++i) CHECK(ref[i] == 0xCD, "scalar wrote past n = %zu", n);
          for (Isa isa : tu::simd_tiers())
            CHECK(run(isa, p, a, as, b, bs, n) == ref, "kind %d n %zu strides %zu,%zu: tier %s differs", kind, n, as, bs, isa_name(isa));
          ++g_cases;
        }
}

void error_cases() {
  uint8_t a = 1, b = 2, y = 0;
  QBinaryParams p = qbinary_params_qdq(QBinaryOp::Sub, QType::U8, 0.1f, 1, QType::U8, 0.1f, 1, QType::U8, 0.1f, 1);
  p.mlas = true;
  CHECK_THROWS(qbinary_run(Isa::Scalar, p, 1, &a, 1, &b, 1, &y), "Add and Mul");
  p = qbinary_params_qdq(QBinaryOp::Add, QType::U16, 0.1f, 1, QType::U8, 0.1f, 1, QType::U8, 0.1f, 1);
  p.mlas = true;
  CHECK_THROWS(qbinary_run(Isa::Scalar, p, 1, &a, 1, &b, 1, &y), "8-bit");
  p = qbinary_params_tflite(QBinaryOp::Add, QType::U8, 0.1f, 1, QType::U8, 0.1f, 1, QType::U8, 0.1f, 1);
  p.mlas = true;
  CHECK_THROWS(qbinary_run(Isa::Scalar, p, 1, &a, 1, &b, 1, &y), "FloatScale");
  QBinaryParams m = ms_add(QBinaryOp::Add, RequantMethod::MultiplierShift, 3, 2, 5, 70, 1, 0);
  CHECK_THROWS(qbinary_run(Isa::Scalar, m, 1, &a, 1, &b, 1, &y), "right shift");
  m = ms_add(QBinaryOp::Add, RequantMethod::MultiplierShiftFloat, 3, 2, 5, 1, 1, 0);
  m.out_requant.multiplier.clear();
  CHECK_THROWS(qbinary_run(Isa::Scalar, m, 1, &a, 1, &b, 1, &y), "multiplier and shift");
}

}  // namespace

int main() {
  std::mt19937 rng(77);
  hand_cases();
  broadcast_order(rng);
  tier_cases(rng);
  error_cases();
  std::printf("%d qbinary vendor cases\n", g_cases);
  return check_summary("test_qeltwise_vendor");
}
