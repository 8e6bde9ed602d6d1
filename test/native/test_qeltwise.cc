// qbinary_run and the LUTs. Scalar against formulas re-derived here from the sources named in
// qkernels.h (TFLite ADD/SUB/MUL with gemmlowp arithmetic written out below, QDQ Add as onnxruntime
// runs it with optimizations off, QLinearMul's ratio); every tier against scalar byte for byte over all
// type combinations, zero points at the extremes, exact ties, broadcast strides, lengths 0..70 and large.
#include "npuq/qkernels.h"
#include "test-util.h"

using namespace npuq;

namespace {

const QType kTypes[] = {QType::U8, QType::S8, QType::U16, QType::S16};
const char* tname(QType t) {
  static const char* n[] = {"u8", "s8", "u16", "s16", "s32"};
  return n[static_cast<int>(t)];
}
const char* opname(QBinaryOp op) { return op == QBinaryOp::Add ? "add" : op == QBinaryOp::Sub ? "sub" : "mul"; }

int64_t get(const std::vector<uint8_t>& buf, QType t, size_t i) {
  const uint8_t* p = buf.data() + i * qtype_size(t);
  switch (t) {
    case QType::U8: return *p;
    case QType::S8: return int8_t(*p);
    case QType::U16: { uint16_t v; std::memcpy(&v, p, 2); return v; }
    case QType::S16: { int16_t v; std::memcpy(&v, p, 2); return v; }
    default: { int32_t v; std::memcpy(&v, p, 4); return v; }
  }
}

std::vector<uint8_t> rand_q(std::mt19937& rng, QType t, size_t n) {
  std::vector<uint8_t> v(n * qtype_size(t) + 1);
  for (auto& b : v) b = uint8_t(rng());
  // Put the type's extremes at the front.
  for (size_t i = 0; i < n && i < 2; ++i) {
    const int64_t x = i ? qtype_min(t) : qtype_max(t);
    std::memcpy(v.data() + i * qtype_size(t), &x, qtype_size(t));  // little endian
  }
  return v;
}

// ---- gemmlowp, written out from its definitions (quantization-facts.md section 1) ----
int32_t g_srdhm(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t ab = int64_t(a) * b;
  const int64_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  return int32_t((ab + nudge) / (int64_t(1) << 31));
}
int32_t g_rdbpot(int32_t x, int e) {  // half away from zero, via exact rationals
  if (e == 0) return x;
  const double q = double(x) / std::ldexp(1.0, e);
  return int32_t(std::round(q));  // std::round: half away from zero; q is exact in double
}
int32_t g_mbqm(int32_t x, int32_t M, int shift) {
  const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  return g_rdbpot(g_srdhm(int32_t(uint32_t(x) << left), M), right);
}
void g_quantize_multiplier(double m, int32_t* M, int* shift) {
  if (m == 0) { *M = 0; *shift = 0; return; }
  const double q = std::frexp(m, shift);
  int64_t qf = std::llround(q * 2147483648.0);
  if (qf == (int64_t(1) << 31)) { qf /= 2; ++*shift; }
  *M = int32_t(qf);
}
int64_t clampv(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

int g_cases = 0;

std::vector<uint8_t> run(Isa isa, const QBinaryParams& p, size_t n, const std::vector<uint8_t>& a, size_t as,
                         const std::vector<uint8_t>& b, size_t bs) {
  std::vector<uint8_t> y(n * qtype_size(p.out_type) + 16, 0xCD);
  qbinary_run(isa, p, n, a.data(), as, b.data(), bs, y.data());
  return y;
}

std::string describe(const QBinaryParams& p, size_t n, size_t as, size_t bs) {
  const Requant& r = p.out_requant;
  return check::format("%s(%s zp %d, %s zp %d) -> %s zp %d method=%d round=%d clamp=[%d,%d] M=%d,%d,%d sh=%d,%d,%d ls=%d "
                       "s=%a,%a,%a n=%zu strides=%zu,%zu",
                       opname(p.op), tname(p.a_type), p.a_zp, tname(p.b_type), p.b_zp, tname(p.out_type),
                       r.zero_point, int(r.method), int(r.round), r.qmin, r.qmax,
                       p.a_requant.multiplier.empty() ? 0 : p.a_requant.multiplier[0],
                       p.b_requant.multiplier.empty() ? 0 : p.b_requant.multiplier[0], r.multiplier.empty() ? 0 : r.multiplier[0],
                       p.a_requant.shift.empty() ? 0 : p.a_requant.shift[0], p.b_requant.shift.empty() ? 0 : p.b_requant.shift[0],
                       r.shift.empty() ? 0 : r.shift[0], p.left_shift, p.a_requant.scale.empty() ? 0.f : p.a_requant.scale[0],
                       p.b_requant.scale.empty() ? 0.f : p.b_requant.scale[0], r.scale.empty() ? 0.f : r.scale[0], n, as, bs);
}

// Every tier equals scalar (and writes nothing past n); returns the scalar output.
std::vector<uint8_t> check_tiers(const QBinaryParams& p, size_t n, const std::vector<uint8_t>& a, size_t as,
                                 const std::vector<uint8_t>& b, size_t bs) {
  ++g_cases;
  const auto ref = run(Isa::Scalar, p, n, a, as, b, bs);
  for (size_t i = n * qtype_size(p.out_type); i < ref.size(); ++i)
    if (ref[i] != 0xCD) { CHECK(false, "%s: scalar wrote past n", describe(p, n, as, bs).c_str()); break; }
  for (Isa isa : tu::simd_tiers()) {
    const auto got = run(isa, p, n, a, as, b, bs);
    size_t at = 0;
    while (at < got.size() && got[at] == ref[at]) ++at;
    CHECK(at == got.size(), "%s tier=%s: differs from scalar at element %zu (%lld vs %lld)", describe(p, n, as, bs).c_str(),
          isa_name(isa), at / qtype_size(p.out_type), (long long)get(got, p.out_type, at / qtype_size(p.out_type)),
          (long long)get(ref, p.out_type, at / qtype_size(p.out_type)));
  }
  return ref;
}

// Independent formulas for the parameter builders' outputs.
int64_t expect_tflite(QBinaryOp op, int64_t xa, int64_t xb, float sa, float sb, float so, int32_t zo, QType ot, bool wide) {
  int32_t M = 0;
  int sh = 0;
  if (op == QBinaryOp::Mul) {
    g_quantize_multiplier(double(sa) * sb / so, &M, &sh);
    return clampv(int64_t(g_mbqm(int32_t(xa * xb), M, sh)) + zo, qtype_min(ot), qtype_max(ot));
  }
  const int ls = wide ? 15 : 20;
  double ma, mb, mo;
  if (op == QBinaryOp::Add) {
    const double tm = 2.0 * std::max(sa, sb);
    ma = sa / tm; mb = sb / tm; mo = tm / (double(1 << ls) * so);
  } else {
    const float tm = 2.0f * std::max(sa, sb);
    ma = sa / tm; mb = sb / tm; mo = tm / (float(1 << ls) * so);
  }
  int32_t Ma, Mb, Mo;
  int sha, shb, sho;
  g_quantize_multiplier(ma, &Ma, &sha);
  g_quantize_multiplier(mb, &Mb, &shb);
  g_quantize_multiplier(mo, &Mo, &sho);
  const int32_t A = g_mbqm(int32_t(xa * (int64_t(1) << ls)), Ma, sha), B = g_mbqm(int32_t(xb * (int64_t(1) << ls)), Mb, shb);
  const int32_t raw = op == QBinaryOp::Add ? A + B : A - B;  // no overflow with TFLite's parameters
  return clampv(int64_t(g_mbqm(raw, Mo, sho)) + zo, qtype_min(ot), qtype_max(ot));
}

int64_t expect_qdq(QBinaryOp op, int64_t xa, int64_t xb, float sa, float sb, float so, int32_t zo, QType ot) {
  double r;
  if (op == QBinaryOp::Mul) {
    const float ratio = (sa * sb) / so;
    r = std::nearbyint(double(float(xa * xb) * ratio));
  } else {
    const float ra = float(xa) * sa, rb = float(xb) * sb;
    const float real = op == QBinaryOp::Add ? ra + rb : ra - rb;
    r = std::nearbyint(double(real / so));
  }
  return clampv(int64_t(std::max(-1e12, std::min(1e12, r))) + zo, qtype_min(ot), qtype_max(ot));
}

void builder_cases(std::mt19937& rng) {
  std::uniform_real_distribution<float> ls(-8.0f, 2.0f);
  for (QBinaryOp op : {QBinaryOp::Add, QBinaryOp::Sub, QBinaryOp::Mul})
    for (QType at : kTypes)
      for (QType ot : kTypes) {
        const QType bt = kTypes[rng() % 4];
        for (int rep = 0; rep < 3; ++rep) {
          const float sa = std::exp2(ls(rng)), sb = rep == 2 ? sa : std::exp2(ls(rng)), so = std::exp2(ls(rng) + 1.0f);
          auto zp_of = [&](QType t, int k) { return k == 0 ? qtype_min(t) : k == 1 ? qtype_max(t) : int32_t(qtype_min(t) + rng() % (qtype_max(t) - qtype_min(t) + 1)); };
          const int32_t za = zp_of(at, rep), zb = zp_of(bt, 2 - rep), zo = zp_of(ot, 2);
          const size_t n = 67;
          const auto a = rand_q(rng, at, n), b = rand_q(rng, bt, n);
          for (int kind = 0; kind < 2; ++kind) {
            const QBinaryParams p = kind ? qbinary_params_qdq(op, at, sa, za, bt, sb, zb, ot, so, zo)
                                         : qbinary_params_tflite(op, at, sa, za, bt, sb, zb, ot, so, zo);
            const auto y = check_tiers(p, n, a, 1, b, 1);
            int bad = 0;
            for (size_t i = 0; i < n; ++i) {
              const int64_t xa = get(a, at, i) - za, xb = get(b, bt, i) - zb;
              if (kind == 0 && op == QBinaryOp::Mul && (xa * xb > INT32_MAX || xa * xb < INT32_MIN)) continue;  // TFLite: int32
              const int64_t want = kind ? expect_qdq(op, xa, xb, sa, sb, so, zo, ot) : expect_tflite(op, xa, xb, sa, sb, so, zo, ot,
                                                   qtype_size(at) == 2 || qtype_size(bt) == 2 || qtype_size(ot) == 2);
              if (get(y, ot, i) != want && bad++ < 3)
                CHECK(false, "%s %s: [%zu] xa=%lld xb=%lld got %lld want %lld", kind ? "qdq" : "tflite",
                      describe(p, n, 1, 1).c_str(), i, (long long)xa, (long long)xb, (long long)get(y, ot, i), (long long)want);
            }
          }
        }
      }
}

// Random raw parameters (not from a builder): ties, extreme multipliers, narrowed clamps, strides.
QBinaryParams random_params(std::mt19937& rng, QBinaryOp op, RequantMethod method, QType at, QType bt, QType ot) {
  QBinaryParams p;
  p.op = op;
  p.a_type = at; p.b_type = bt; p.out_type = ot;
  auto pick_zp = [&](QType t) {
    switch (rng() % 4) {
      case 0: return qtype_min(t);
      case 1: return qtype_max(t);
      case 2: return int32_t(0);
      default: return int32_t(qtype_min(t) + rng() % (qtype_max(t) - qtype_min(t) + 1));
    }
  };
  p.a_zp = pick_zp(at);
  p.b_zp = pick_zp(bt);
  Requant& r = p.out_requant;
  r.method = method;
  r.round = static_cast<Round>(rng() % kRoundModes);
  r.zero_point = pick_zp(ot) + (rng() % 3 == 0 ? int32_t(rng() % 200) - 100 : 0);
  r.qmin = qtype_min(ot);
  r.qmax = qtype_max(ot);
  if (rng() % 4 == 0) { r.qmin = std::max(r.qmin, r.zero_point > r.qmax ? r.qmax : r.zero_point); }  // fused Relu
  auto rand_mult = [&]() {
    switch (rng() % 4) {
      case 0: return int32_t(1) << 30;  // exactly 0.5: rounding ties
      case 1: return INT32_MAX;
      default: return int32_t((int64_t(1) << 30) + rng() % (uint32_t(1) << 30));
    }
  };
  if (method == RequantMethod::FloatScale) {
    const float scales[] = {1.0f, 0.5f, 2.0f, 0.25f, 0.013f, 3.7f, 1e-3f};
    p.a_requant.scale = {scales[rng() % 7]};
    p.b_requant.scale = {scales[rng() % 7]};
    r.scale = {scales[rng() % 7]};
  } else {
    p.a_requant.multiplier = {rand_mult()};
    p.b_requant.multiplier = {rand_mult()};
    p.a_requant.shift = {-int32_t(rng() % 8)};
    p.b_requant.shift = {-int32_t(rng() % 8)};
    r.multiplier = {rand_mult()};
    r.shift = {op == QBinaryOp::Mul ? int32_t(rng() % 12) - 10 : int32_t(rng() % 22) - 20};
    if (rng() % 8 == 0) r.shift = {-31};
    const int64_t big = std::max({int64_t(qtype_max(at)) - p.a_zp, int64_t(p.a_zp) - qtype_min(at),
                                  int64_t(qtype_max(bt)) - p.b_zp, int64_t(p.b_zp) - qtype_min(bt)});
    int ls = 0;
    while (ls < 30 && (big << (ls + 1)) <= INT32_MAX) ++ls;
    p.left_shift = int(rng() % (ls + 1));
  }
  return p;
}

void random_cases(std::mt19937& rng) {
  const RequantMethod methods[] = {RequantMethod::FloatScale, RequantMethod::FixedPointDouble};
  for (QBinaryOp op : {QBinaryOp::Add, QBinaryOp::Sub, QBinaryOp::Mul})
    for (RequantMethod method : methods)
      for (QType at : kTypes)
        for (QType bt : kTypes)
          for (QType ot : kTypes)
            for (size_t as : {0, 1})
              for (size_t bs : {0, 1}) {
                const QBinaryParams p = random_params(rng, op, method, at, bt, ot);
                const size_t n = 1 + rng() % 40;
                check_tiers(p, n, rand_q(rng, at, n), as, rand_q(rng, bt, n), bs);
              }
  // Every length 0..70, and long runs.
  for (size_t n = 0; n <= 70; ++n)
    for (QBinaryOp op : {QBinaryOp::Add, QBinaryOp::Sub, QBinaryOp::Mul})
      for (RequantMethod method : methods) {
        const QType at = kTypes[rng() % 4], bt = kTypes[rng() % 4], ot = kTypes[rng() % 4];
        const QBinaryParams p = random_params(rng, op, method, at, bt, ot);
        check_tiers(p, n, rand_q(rng, at, n), 1, rand_q(rng, bt, n), 1);
      }
  for (size_t n : {1000, 5003})
    for (RequantMethod method : methods) {
      const QBinaryParams p = random_params(rng, QBinaryOp::Add, method, QType::U8, QType::U8, QType::U8);
      check_tiers(p, n, rand_q(rng, QType::U8, n), 1, rand_q(rng, QType::U8, n), 1);
    }
  // Cases the SIMD tiers send to the scalar kernel (Mul FixedPointSingle, single rounding, strides > 1,
  // FixedPointDouble Mul products beyond int32) or take on paths of their own (the multiply-shift Mul
  // methods; FloatScale Mul products beyond int32, `wide`, through double).
  for (RequantMethod method : {RequantMethod::FixedPointSingle, RequantMethod::MultiplierShift,
                               RequantMethod::MultiplierShiftFloat, RequantMethod::ShiftOnly}) {
    QBinaryParams p = random_params(rng, QBinaryOp::Mul, RequantMethod::FixedPointDouble, QType::U16, QType::S8, QType::S16);
    p.out_requant.method = method;
    p.out_requant.shift = {method == RequantMethod::FixedPointSingle ? -5 : 9};
    check_tiers(p, 45, rand_q(rng, QType::U16, 45), 1, rand_q(rng, QType::S8, 45), 1);
    const auto y = run(Isa::Scalar, p, 45, rand_q(rng, QType::U8, 45), 0, rand_q(rng, QType::U8, 45), 0);
    (void)y;
  }
  QBinaryParams single = random_params(rng, QBinaryOp::Sub, RequantMethod::FixedPointDouble, QType::S16, QType::S16, QType::S16);
  single.out_requant.method = RequantMethod::FixedPointSingle;
  check_tiers(single, 50, rand_q(rng, QType::S16, 50), 1, rand_q(rng, QType::S16, 50), 1);
  QBinaryParams wide = random_params(rng, QBinaryOp::Mul, RequantMethod::FloatScale, QType::U16, QType::U16, QType::U16);
  wide.a_zp = 0; wide.b_zp = 0;
  check_tiers(wide, 50, rand_q(rng, QType::U16, 50), 1, rand_q(rng, QType::U16, 50), 1);
  const auto a3 = rand_q(rng, QType::S8, 60), b3 = rand_q(rng, QType::S8, 60);
  check_tiers(random_params(rng, QBinaryOp::Add, RequantMethod::FloatScale, QType::S8, QType::S8, QType::S8), 20, a3, 3, b3, 2);
}

void error_cases() {
  uint8_t a = 1, b = 2, y = 0;
  auto ok = qbinary_params_qdq(QBinaryOp::Add, QType::U8, 0.1f, 128, QType::U8, 0.2f, 128, QType::U8, 0.3f, 128);
  QBinaryParams p = ok;
  p.a_type = QType::S32;
  CHECK_THROWS(qbinary_run(Isa::Scalar, p, 1, &a, 1, &b, 1, &y), "type");
  p = ok;
  p.a_zp = 300;
  CHECK_THROWS(qbinary_run(Isa::Scalar, p, 1, &a, 1, &b, 1, &y), "zero point");
  p = ok;
  p.out_requant.scale.clear();
  CHECK_THROWS(qbinary_run(Isa::Scalar, p, 1, &a, 1, &b, 1, &y), "scale");
  p = ok;
  p.out_requant.qmax = 300;
  CHECK_THROWS(qbinary_run(Isa::Scalar, p, 1, &a, 1, &b, 1, &y), "clamp");
  p = ok;
  p.out_requant.method = RequantMethod::ShiftOnly;  // Mul only (MultiplierShift Add is TPU-MLIR's)
  CHECK_THROWS(qbinary_run(Isa::Scalar, p, 1, &a, 1, &b, 1, &y), "Add/Sub supports");
  p = qbinary_params_tflite(QBinaryOp::Add, QType::U8, 0.1f, 128, QType::U8, 0.2f, 128, QType::U8, 0.3f, 128);
  p.left_shift = 24;
  CHECK_THROWS(qbinary_run(Isa::Scalar, p, 1, &a, 1, &b, 1, &y), "left_shift");
  p.left_shift = 20;
  p.a_requant.shift = {-40};
  CHECK_THROWS(qbinary_run(Isa::Scalar, p, 1, &a, 1, &b, 1, &y), "shift");
  CHECK_THROWS(qbinary_params_tflite(QBinaryOp::Add, QType::U8, -1.0f, 0, QType::U8, 1.0f, 0, QType::U8, 1.0f, 0), "scale");
  CHECK_THROWS(qbinary_params_qdq(QBinaryOp::Mul, QType::S8, 1.0f, 200, QType::U8, 1.0f, 0, QType::U8, 1.0f, 0), "zero point");
}

void lut_cases(std::mt19937& rng) {
  std::vector<uint8_t> t8(256);
  for (auto& v : t8) v = uint8_t(rng());
  std::vector<uint16_t> t16(65536);
  for (auto& v : t16) v = uint16_t(rng());
  for (size_t n : {0, 1, 15, 16, 17, 70, 1000}) {
    std::vector<uint8_t> x(n), y(n + 1, 0xCD);
    for (auto& v : x) v = uint8_t(rng());
    lut_u8(n, x.data(), t8.data(), y.data());
    bool ok = y[n] == 0xCD;
    for (size_t i = 0; i < n; ++i) ok = ok && y[i] == t8[x[i]];
    CHECK(ok, "lut_u8 n=%zu", n);
    std::vector<int8_t> xs(n), ys(n + 1, 0x5A);
    for (auto& v : xs) v = int8_t(rng());
    lut_s8(n, xs.data(), reinterpret_cast<const int8_t*>(t8.data()), ys.data());
    ok = ys[n] == 0x5A;
    for (size_t i = 0; i < n; ++i) ok = ok && uint8_t(ys[i]) == t8[xs[i] >= 0 ? xs[i] : 256 + xs[i]];
    CHECK(ok, "lut_s8 n=%zu", n);
    std::vector<uint16_t> x16(n), y16(n + 1, 0xCDCD);
    for (auto& v : x16) v = uint16_t(rng());
    lut_16(n, x16.data(), t16.data(), y16.data());
    ok = y16[n] == 0xCDCD;
    for (size_t i = 0; i < n; ++i) ok = ok && y16[i] == t16[x16[i]];
    CHECK(ok, "lut_16 n=%zu", n);
    std::vector<uint8_t> inplace = x;
    lut_u8(n, inplace.data(), t8.data(), inplace.data());
    ok = true;
    for (size_t i = 0; i < n; ++i) ok = ok && inplace[i] == t8[x[i]];
    CHECK(ok, "lut_u8 in place n=%zu", n);
  }
  const int8_t xs[] = {0, 127, -128, -1};
  int8_t ys[4];
  lut_s8(4, xs, reinterpret_cast<const int8_t*>(t8.data()), ys);
  CHECK(uint8_t(ys[0]) == t8[0] && uint8_t(ys[1]) == t8[127] && uint8_t(ys[2]) == t8[128] && uint8_t(ys[3]) == t8[255],
        "lut_s8 indexes by the bit pattern");
}

}  // namespace

int main() {
  std::printf("tiers:");
  for (Isa isa : supported_isas()) std::printf(" %s", isa_name(isa));
  std::printf("\n");
  std::mt19937 rng(2024);
  builder_cases(rng);
  random_cases(rng);
  error_cases();
  lut_cases(rng);
  std::printf("%d qbinary cases\n", g_cases);
  return check_summary("test_qeltwise");
}
