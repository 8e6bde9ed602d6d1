// qbinary_run for the vendor arithmetic added next to the QDQ / TFLite paths: onnxruntime MLAS
// QLinearAdd / QLinearMul (mlas = true), TPU-MLIR per-input multiplier-and-shift Add/Sub (BM1684,
// BM1684X: MultiplierShift) and its CV18xx float variant (MultiplierShiftFloat), and Mul with those
// methods or ShiftOnly (right shifts on the SIMD tiers, left shifts on the scalar one). Hand-computed vectors first (ties, saturation, negative values, extreme multipliers,
// MLAS's INT32_MIN on overflow), then every tier against scalar byte for byte.
#include <climits>
#include <cmath>

#include "dispatch/q-eltwise.h"
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

// ---- MultiplierShift(Float) Add/Sub on the SIMD tiers ----
// The SIMD kernels take these when every product fits int32 lanes (q-eltwise.h): re-derived here as
// `ms_covered`, so the random cases below are known to reach the SIMD kernels (and a part of them,
// one step past a bound, the scalar fallback). Every case runs qbinary_run on every tier against
// scalar, and covered ones also call each tier's kernel directly against qbinary__scalar.

int64_t iabs(int64_t v) { return v < 0 ? -v : v; }
int64_t max_abs(QType t, int32_t zp) { return std::max<int64_t>(int64_t(qtype_max(t)) - zp, int64_t(zp) - qtype_min(t)); }
int64_t ceil_shift(int64_t p, int s) { return (p + (int64_t(1) << s) - 1) >> s; }

bool ms_covered(const QBinaryParams& p) {
  const int64_t pa = max_abs(p.a_type, p.a_zp) * iabs(p.a_requant.multiplier[0]);
  const int64_t pb = max_abs(p.b_type, p.b_zp) * iabs(p.b_requant.multiplier[0]);
  if (pa > INT32_MAX || pb > INT32_MAX) return false;
  const int64_t sum = ceil_shift(pa, p.a_requant.shift[0]) + ceil_shift(pb, p.b_requant.shift[0]);
  if (sum > INT32_MAX || sum * iabs(p.out_requant.multiplier[0]) > INT32_MAX) return false;
  const int64_t out = ceil_shift(sum * iabs(p.out_requant.multiplier[0]), p.out_requant.shift[0]);
  return out + iabs(p.out_requant.zero_point) <= INT32_MAX;
}

std::vector<uint8_t> run_bytes(Isa isa, const QBinaryParams& p, const std::vector<uint8_t>& a, size_t as,
                               const std::vector<uint8_t>& b, size_t bs, size_t n) {
  std::vector<uint8_t> y(n * qtype_size(p.out_type) + 16, 0xCD);
  qbinary_run(isa, p, n, a.data(), as, b.data(), bs, y.data());
  return y;
}

// QBinaryArgs as qbinary_run decodes MultiplierShift(Float) Add/Sub and MultiplierShift(Float) /
// ShiftOnly Mul parameters.
QBinaryArgs ms_args(const QBinaryParams& p) {
  const Requant& r = p.out_requant;
  QBinaryArgs a;
  a.op = p.op;
  a.method = r.method;
  a.round = r.round;
  a.a_type = p.a_type, a.b_type = p.b_type, a.out_type = p.out_type;
  a.a_zp = p.a_zp, a.b_zp = p.b_zp;
  if (p.op != QBinaryOp::Mul) {
    a.a_mult = p.a_requant.multiplier[0], a.a_shift = p.a_requant.shift[0];
    a.b_mult = p.b_requant.multiplier[0], a.b_shift = p.b_requant.shift[0];
  }
  a.out_mult = r.method == RequantMethod::ShiftOnly ? 1 : r.multiplier[0], a.out_shift = r.shift[0];
  a.out_zp = r.zero_point, a.qmin = r.qmin, a.qmax = r.qmax;
  a.requant = &r;  // the scalar Mul requantizes through it
  return a;
}

// A multiply-shift case on every tier for the four stride pairs: qbinary_run against the scalar tier
// (which must not write past n), and, when the parameters are within the SIMD bounds, each tier's
// kernel and qbinary__scalar called directly with the decoded arguments. `what` names the case.
void check_ms_case(const QBinaryParams& p, const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, size_t n,
                   bool covered, const std::string& what) {
  for (size_t as : {0, 1})
    for (size_t bs : {0, 1}) {
      const auto ref = run_bytes(Isa::Scalar, p, a, as, b, bs, n);
      for (size_t i = n * qtype_size(p.out_type); i < ref.size(); ++i) CHECK(ref[i] == 0xCD, "scalar wrote past n");
      for (Isa isa : tu::simd_tiers()) {
        CHECK(run_bytes(isa, p, a, as, b, bs, n) == ref, "%s strides %zu,%zu: tier %s differs", what.c_str(), as, bs,
              isa_name(isa));
        if (!covered) continue;
        const QBinaryArgs args = ms_args(p);
        std::vector<uint8_t> ys(ref.size(), 0xCD), yk(ref.size(), 0xCD);
        qbinary__scalar(args, n, a.data(), as, b.data(), bs, ys.data());
        q_eltwise_kernels(isa).qbinary(args, n, a.data(), as, b.data(), bs, yk.data());
        CHECK(ys == ref && yk == ref, "%s strides %zu,%zu: kernel %s differs from qbinary__scalar", what.c_str(), as,
              bs, q_eltwise_kernels(isa).qbinary_name);
      }
      ++g_cases;
    }
}

const QType kTypes[4] = {QType::U8, QType::S8, QType::U16, QType::S16};
const int kShifts[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 23, 24, 29, 30, 31, 32, 33, 40, 61, 62};

// A multiplier for inputs of largest magnitude `big` and right shift s: int8 (the profiles), a tie
// maker (2^(s-1) times a small odd number: every odd input lands on an exact half), the largest one
// whose products fit int32 or one past it, and the int32 extremes.
int32_t pick_mult(std::mt19937& rng, int64_t big, int s) {
  const int sign = rng() % 2 ? 1 : -1;
  switch (rng() % 8) {
    case 0: case 1: case 2: return int32_t(rng() % 256) - 128;
    case 3: case 4: {
      if (s == 0) return sign * int32_t(1 + rng() % 3);
      const int64_t m = (int64_t(1) << (s - 1)) * (1 + 2 * int64_t(rng() % 3));
      const int64_t fit = INT32_MAX / big;
      return int32_t(sign * (m <= fit ? m : (int64_t(1) << (s - 1) <= fit ? int64_t(1) << (s - 1) : fit)));
    }
    case 5: case 6: return int32_t(sign * (INT32_MAX / big + (rng() % 4 == 0)));
    default: return rng() % 2 ? INT32_MAX : INT32_MIN;
  }
}

// A zero point: mostly symmetric (0; 128 for unsigned), else anywhere in the type.
int32_t ms_zp(std::mt19937& rng, QType t) {
  if (rng() % 3) return qtype_min(t) < 0 || rng() % 2 ? 0 : 128;
  return qtype_min(t) + int32_t(rng() % uint32_t(qtype_max(t) - qtype_min(t) + 1));
}

// n random values of t (one spare), a quarter of them the type's extremes, so products reach their
// bound and outputs saturate.
std::vector<uint8_t> ms_data(std::mt19937& rng, size_t n, QType t) {
  std::vector<uint8_t> v((n + 1) * qtype_size(t));
  for (auto& x : v) x = uint8_t(rng());
  for (size_t i = 0; i < n; ++i) {
    const uint32_t k = rng() % 8;
    if (k > 1) continue;
    const int32_t e = k ? qtype_max(t) : qtype_min(t);
    if (qtype_size(t) == 1) v[i] = uint8_t(e);
    else std::memcpy(&v[2 * i], &e, 2);  // little endian: the low 16 bits
  }
  return v;
}

// The output zero point (now and then the largest one within the SIMD bound, or one past it, given the
// largest rounded result out_big) and clamp range (sometimes narrowed).
void ms_output(std::mt19937& rng, QType t, int64_t out_big, Requant* r) {
  r->zero_point = rng() % 8 ? ms_zp(rng, t) : int32_t(std::max<int64_t>(0, INT32_MAX - out_big - (rng() % 2)));
  r->qmin = qtype_min(t);
  r->qmax = qtype_max(t);
  if (rng() % 4 == 0) {
    r->qmin += int32_t(rng() % 64);
    r->qmax -= int32_t(rng() % 64);
  }
}

void ms_random_cases(std::mt19937& rng) {
  int covered = 0, total = 0, ties = 0;
  for (int it = 0; it < 3000; ++it) {
    QBinaryParams p;
    p.op = rng() % 2 ? QBinaryOp::Sub : QBinaryOp::Add;
    p.a_type = kTypes[rng() % 4];
    p.b_type = rng() % 2 ? p.a_type : kTypes[rng() % 4];
    p.out_type = rng() % 2 ? p.a_type : kTypes[rng() % 4];
    auto zp = [&rng](QType t) { return ms_zp(rng, t); };
    p.a_zp = zp(p.a_type);
    p.b_zp = zp(p.b_type);
    Requant& r = p.out_requant;
    r.method = rng() % 2 ? RequantMethod::MultiplierShiftFloat : RequantMethod::MultiplierShift;
    r.round = rng() % 3 == 0 ? Round::HalfUp : static_cast<Round>(rng() % kRoundModes);
    const int sa = kShifts[rng() % std::size(kShifts)], sb = kShifts[rng() % std::size(kShifts)];
    p.a_requant.multiplier = {pick_mult(rng, max_abs(p.a_type, p.a_zp), sa)};
    p.a_requant.shift = {sa};
    p.b_requant.multiplier = {pick_mult(rng, max_abs(p.b_type, p.b_zp), sb)};
    p.b_requant.shift = {sb};
    // The output stage: TPU-MLIR's 1, 0 (BM1684X) or 1, rshift (CV18xx), else around the int32 bound.
    const int64_t pa = max_abs(p.a_type, p.a_zp) * iabs(p.a_requant.multiplier[0]);
    const int64_t pb = max_abs(p.b_type, p.b_zp) * iabs(p.b_requant.multiplier[0]);
    const int64_t sum = std::max<int64_t>(1, std::min<int64_t>(INT32_MAX, ceil_shift(pa, sa) + ceil_shift(pb, sb)));
    const int so = rng() % 3 ? int(rng() % 9) : kShifts[rng() % std::size(kShifts)];
    r.shift = {so};
    switch (rng() % 4) {
      case 0: r.multiplier = {1}; break;
      case 1: r.multiplier = {so ? int32_t(1) << std::min(so - 1, 30) : 1}; break;
      case 2: r.multiplier = {int32_t(rng() % 256) - 128}; break;
      default: r.multiplier = {int32_t((rng() % 2 ? 1 : -1) * (INT32_MAX / sum + (rng() % 4 == 0)))}; break;
    }
    const int64_t out_big = ceil_shift(sum * iabs(r.multiplier[0]), so);
    ms_output(rng, p.out_type, out_big, &r);
    const size_t n = rng() % 5 == 0 ? 1000 + rng() % 64 : 1 + rng() % 70;
    const auto a = ms_data(rng, n, p.a_type), b = ms_data(rng, n, p.b_type);
    const bool cov = ms_covered(p);
    covered += cov;
    ++total;
    check_ms_case(p, a, b, n, cov,
                  check::format("ms case %d (method %d round %d M %d,%d,%d sh %d,%d,%d zo %d)", it, int(r.method),
                                int(r.round), p.a_requant.multiplier[0], p.b_requant.multiplier[0], r.multiplier[0], sa,
                                sb, so, r.zero_point));
    // Exact halves reached before the output stage (informative: the tie makers above aim at them).
    if (cov && sa > 0 && sa < 32 && (p.a_requant.multiplier[0] & ((int64_t(1) << sa) - 1)) == (int64_t(1) << (sa - 1)))
      ++ties;
  }
  std::printf("multiplier-shift: %d of %d random parameter sets within the SIMD bounds, %d with a tie-making Ma\n",
              covered, total, ties);
  CHECK(covered > total / 3 && covered < total, "multiplier-shift: %d of %d covered; both sides of the bound need cases",
        covered, total);
  CHECK(ties > 100, "multiplier-shift: only %d tie-making cases", ties);
}

// ---- Mul with MultiplierShift(Float) / ShiftOnly on the SIMD tiers (TPU-MLIR Mul, HardSwish's Mul) ----
// Covered (q-eltwise.h) when the shift is a right shift, Xa * Xb and Xa * Xb * |Mo| fit int32 and the
// rounded result plus |zo| too; re-derived here so the random cases below are known to reach both sides.
bool ms_mul_covered(const QBinaryParams& p) {
  const Requant& r = p.out_requant;
  if (r.shift[0] < 0 || r.shift[0] > 62) return false;
  const int64_t xx = max_abs(p.a_type, p.a_zp) * max_abs(p.b_type, p.b_zp);
  const int64_t m = r.method == RequantMethod::ShiftOnly ? 1 : iabs(r.multiplier[0]);
  if (xx > INT32_MAX || xx * m > INT32_MAX) return false;
  return ceil_shift(xx * m, r.shift[0]) + iabs(r.zero_point) <= INT32_MAX;
}

void ms_mul_random_cases(std::mt19937& rng) {
  int covered = 0, total = 0;
  const RequantMethod methods[] = {RequantMethod::MultiplierShift, RequantMethod::MultiplierShiftFloat,
                                   RequantMethod::ShiftOnly};
  for (int it = 0; it < 1500; ++it) {
    QBinaryParams p;
    p.op = QBinaryOp::Mul;
    p.a_type = rng() % 3 ? (rng() % 2 ? QType::S8 : QType::U8) : kTypes[rng() % 4];
    p.b_type = rng() % 2 ? p.a_type : kTypes[rng() % 4];
    p.out_type = rng() % 2 ? p.a_type : kTypes[rng() % 4];
    auto zp = [&rng](QType t) { return ms_zp(rng, t); };
    p.a_zp = zp(p.a_type);
    p.b_zp = zp(p.b_type);
    Requant& r = p.out_requant;
    r.method = methods[rng() % 3];
    r.round = rng() % 3 == 0 ? Round::HalfUp : static_cast<Round>(rng() % kRoundModes);
    const int64_t xx = max_abs(p.a_type, p.a_zp) * max_abs(p.b_type, p.b_zp);
    const int so = rng() % 10 == 0 ? -int(1 + rng() % 4) : kShifts[rng() % std::size(kShifts)];
    r.shift = {so};
    if (r.method != RequantMethod::ShiftOnly) {
      const int sign = rng() % 2 ? 1 : -1;
      switch (rng() % 5) {
        case 0: case 1: r.multiplier = {int32_t(rng() % 256) - 128}; break;  // TPU-MLIR: 8-bit
        case 2: r.multiplier = {so > 0 ? sign * (int32_t(1) << std::min(so - 1, 30)) : sign}; break;  // ties
        case 3: r.multiplier = {int32_t(sign * (INT32_MAX / std::max<int64_t>(xx, 1) + (rng() % 4 == 0)))}; break;
        default: r.multiplier = {rng() % 2 ? INT32_MAX : INT32_MIN}; break;
      }
    }
    const int64_t m = r.method == RequantMethod::ShiftOnly ? 1 : iabs(r.multiplier[0]);
    const int64_t out_big = so >= 0 ? ceil_shift(std::min<int64_t>(xx * m, int64_t(1) << 40), so) : 0;
    ms_output(rng, p.out_type, out_big, &r);
    const size_t n = rng() % 5 == 0 ? 1000 + rng() % 64 : 1 + rng() % 70;
    const auto a = ms_data(rng, n, p.a_type), b = ms_data(rng, n, p.b_type);
    const bool cov = ms_mul_covered(p);
    covered += cov;
    ++total;
    check_ms_case(p, a, b, n, cov,
                  check::format("ms mul case %d (method %d round %d Mo %d sh %d zo %d)", it, int(r.method), int(r.round),
                                r.multiplier.empty() ? 1 : r.multiplier[0], so, r.zero_point));
  }
  std::printf("multiplier-shift Mul: %d of %d random parameter sets within the SIMD bounds\n", covered, total);
  CHECK(covered > total / 3 && covered < total, "multiplier-shift Mul: %d of %d covered; both sides of the bound need cases",
        covered, total);
}

// Hand-computed values at the shift edges, on every tier (S16 x = 32767, M = 65536: v = 2^31 - 2^16).
void ms_hand_cases() {
  auto one = [](Round round, int sa, int Mo, int so, int16_t x, int want) {
    QBinaryParams p;
    p.a_type = p.b_type = p.out_type = QType::S16;
    p.out_requant.method = RequantMethod::MultiplierShift;
    p.out_requant.round = round;
    p.out_requant.qmin = -32768, p.out_requant.qmax = 32767;
    p.a_requant.multiplier = {65535}, p.a_requant.shift = {sa};  // 32768 * 65535 < 2^31: covered
    p.b_requant.multiplier = {0}, p.b_requant.shift = {0};
    p.out_requant.multiplier = {Mo}, p.out_requant.shift = {so};
    CHECK(ms_covered(p), "hand case must be within the SIMD bounds");
    std::vector<uint8_t> a(18), b(18, 0);
    for (size_t i = 0; i < 9; ++i) std::memcpy(&a[2 * i], &x, 2);
    for (Isa isa : supported_isas()) {
      const auto y = run_bytes(isa, p, a, 1, b, 1, 9);
      int16_t got;
      std::memcpy(&got, &y[16], 2);
      CHECK(got == want, "ms hand (round %d, sa %d, x %d) on %s: %d, expected %d", int(round), sa, x, isa_name(isa), got, want);
    }
    ++g_cases;
  };
  // x * 65535 / 2^32: 32767 -> 0.49998 (0 half up, 1 ceil); -32768 -> -0.49999 (0 half up, -1 floor).
  one(Round::HalfUp, 32, 1, 0, 32767, 0);
  one(Round::Ceil, 32, 1, 0, 32767, 1);
  one(Round::Floor, 62, 1, 0, -32768, -1);
  one(Round::AwayFromZero, 33, 1, 0, -1, -1);
  one(Round::TowardZero, 33, 1, 0, -32768, 0);
  // Shift 31: 32767 * 65535 / 2^31 = 0.99997 -> 1; 16384 * 65535 / 2^31 = 0.49998 -> 0; -16385 -> -0.50002 -> -1.
  one(Round::HalfDown, 31, 1, 0, 32767, 1);
  one(Round::HalfUp, 31, 1, 0, 16384, 0);
  one(Round::HalfToEven, 31, 1, 0, -16385, -1);
  // Ties on the output stage: 3 * 65535 / 2^16 = 2.99998 -> 3 (floor: 2), then 3 / 2^1 = 1.5 per mode.
  const Round modes[6] = {Round::HalfUp, Round::HalfDown, Round::HalfToEven, Round::HalfToOdd, Round::HalfAwayFromZero,
                          Round::HalfTowardZero};
  const int pos[6] = {2, 1, 2, 1, 2, 1}, neg[6] = {-1, -2, -2, -1, -2, -1};
  for (int k = 0; k < 6; ++k) {
    one(modes[k], 16, 1, 1, 3, pos[k]);
    one(modes[k], 16, 1, 1, -3, neg[k]);
  }
  one(Round::Floor, 16, 1, 1, 3, 1);
  one(Round::Ceil, 16, 3, 1, 3, 5);    // 2.99998 -> 3, * 3 / 2 = 4.5 -> 5
  one(Round::Ceil, 16, 3, 1, -3, -3);  // -2.99998 -> -2, * 3 / 2 = -3
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
  ms_hand_cases();
  ms_random_cases(rng);
  ms_mul_random_cases(rng);
  error_cases();
  std::printf("%d qbinary vendor cases\n", g_cases);
  return check_summary("test_qeltwise_vendor");
}
