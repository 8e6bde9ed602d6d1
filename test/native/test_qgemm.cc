// QGemm: the scalar tier against a naive reference (int64 dot products + requantize()), every other tier and
// the threaded runs against the scalar tier bit for bit (outputs and run_acc), over shapes around the tile
// sizes, every operand type pair, zero points at the extremes, every requantization method and several
// rounding modes, fused clamps, both accumulation modes; ONNX QLinearMatMul / MatMulInteger vectors;
// create() validation.
#include <array>
#include <stdexcept>

#include "qtest-util.h"

using namespace npuq;

namespace {

struct Case {
  size_t M = 1, N = 1, K = 1;
  QType at = QType::U8, bt = QType::S8, ot = QType::U8;
  int32_t azp = 0;
  std::vector<int32_t> bzp;
  std::vector<int64_t> bias;
  bool transB = false;
  Requant rq;
  std::string str() const {
    return check::format("M=%zu N=%zu K=%zu a=%s(zp %d) b=%s(zp %d%s) out=%s transB=%d bias=%s %s", M, N, K,
                         qt::type_name(at), azp, qt::type_name(bt), bzp[0], bzp.size() > 1 ? " per-col" : "",
                         qt::type_name(ot), transB, bias.empty() ? "none" : check::format("%lld..", (long long)bias[0]).c_str(),
                         qt::requant_str(rq).c_str());
  }
};

struct Data {
  std::vector<int32_t> A, B;  // values; B as [K,N] (or [N,K] when transB)
  std::vector<uint8_t> Ab, Bb;
};

QGemmParams params(const Case& c) {
  QGemmParams p;
  p.M = c.M; p.N = c.N; p.K = c.K;
  p.a_type = c.at; p.b_type = c.bt; p.out_type = c.ot;
  p.a_zp = c.azp; p.b_zp = c.bzp; p.bias = c.bias; p.requant = c.rq; p.transB = c.transB;
  return p;
}

void reference(const Case& c, const Data& d, std::vector<int64_t>& acc, std::vector<int32_t>& y) {
  acc.assign(c.M * c.N, 0);
  y.assign(c.M * c.N, 0);
  for (size_t m = 0; m < c.M; ++m)
    for (size_t n = 0; n < c.N; ++n) {
      const int64_t zb = c.bzp.size() == 1 ? c.bzp[0] : c.bzp[n];
      int64_t s = c.bias.empty() ? 0 : c.bias[n];
      for (size_t k = 0; k < c.K; ++k)
        s += (int64_t(d.A[m * c.K + k]) - c.azp) * (int64_t(d.B[c.transB ? n * c.K + k : k * c.N + n]) - zb);
      acc[m * c.N + n] = s;
      y[m * c.N + n] = requantize(s, c.rq, n);
    }
}

struct Result {
  std::vector<uint8_t> y;
  std::vector<int64_t> acc;
};

Result run(Isa isa, const Case& c, const Data& d, ThreadPool* pool) {
  auto g = QGemm::create(isa, params(c), d.Bb.data());
  Result r;
  r.y.assign(c.M * c.N * qtype_size(c.ot) + 1, 0x5A);
  r.acc.assign(c.M * c.N + 1, 0x5A5A);
  g->run(d.Ab.data(), r.y.data(), pool);
  g->run_acc(d.Ab.data(), r.acc.data(), pool);
  return r;
}

ThreadPool& pool2() {
  static ThreadPool p(2);
  return p;
}

void check_case(const Case& c, const Data& d) {
  std::vector<int64_t> racc;
  std::vector<int32_t> ry;
  reference(c, d, racc, ry);
  const Result s = run(Isa::Scalar, c, d, nullptr);
  const size_t n = c.M * c.N;
  for (size_t i = 0, bad = 0; i < n && bad < 3; ++i) {
    const bool ok = s.acc[i] == racc[i] && qt::from_bytes(s.y, i, c.ot) == ry[i];
    if (!ok) ++bad;
    CHECK(ok, "scalar vs reference at m=%zu n=%zu: acc %lld/%lld y %d/%d | %s", i / c.N, i % c.N, (long long)s.acc[i],
          (long long)racc[i], qt::from_bytes(s.y, i, c.ot), ry[i], c.str().c_str());
  }
  CHECK(s.y.back() == 0x5A && s.acc.back() == 0x5A5A, "scalar wrote past the output | %s", c.str().c_str());
  std::vector<Isa> tiers = tu::simd_tiers();
  tiers.push_back(Isa::Scalar);
  for (Isa isa : tiers) {
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2()}) {
      if (isa == Isa::Scalar && !pool) continue;
      const Result t = run(isa, c, d, pool);
      const bool same = t.y == s.y && t.acc == s.acc;
      size_t i = 0;
      while (i < n && t.acc[i] == s.acc[i] && qt::from_bytes(t.y, i, c.ot) == qt::from_bytes(s.y, i, c.ot)) ++i;
      CHECK(same, "%s%s vs scalar: first difference at m=%zu n=%zu: acc %lld/%lld y %d/%d | %s", isa_name(isa),
            pool ? " (2 threads)" : "", i / std::max<size_t>(c.N, 1), i % std::max<size_t>(c.N, 1),
            i < n ? (long long)t.acc[i] : 0LL, i < n ? (long long)s.acc[i] : 0LL, i < n ? qt::from_bytes(t.y, i, c.ot) : 0,
            i < n ? qt::from_bytes(s.y, i, c.ot) : 0, c.str().c_str());
    }
  }
}

Data make_data(const Case& c, std::mt19937& rng) {
  Data d;
  d.A = qt::rand_q(rng, c.M * c.K, c.at);
  d.B = qt::rand_q(rng, c.K * c.N, c.bt);
  d.Ab = qt::to_bytes(d.A, c.at);
  d.Bb = qt::to_bytes(d.B, c.bt);
  return d;
}

bool qis8(QType t) { return t == QType::U8 || t == QType::S8; }

const QType kA[] = {QType::U8, QType::S8, QType::U16, QType::S16};
const QType kB[] = {QType::S8, QType::U8, QType::S16, QType::U16};
const QType kOut[] = {QType::U8, QType::S8, QType::U16, QType::S16, QType::S32};

Case random_case(std::mt19937& rng, size_t M, size_t N, size_t K, QType at, QType bt, int variant) {
  Case c;
  c.M = M; c.N = N; c.K = K; c.at = at; c.bt = bt;
  c.ot = kOut[variant % 5];
  c.transB = (variant / 5) % 2;
  c.azp = qt::rand_zp(rng, at);
  if (rng() % 2) {
    c.bzp.resize(N);
    for (auto& z : c.bzp) z = rng() % 3 ? 0 : qt::rand_zp(rng, bt);
  } else {
    c.bzp = {rng() % 2 ? 0 : qt::rand_zp(rng, bt)};
  }
  if (rng() % 3) {
    c.bias.resize(N);
    const int64_t range = rng() % 8 == 0 ? (int64_t(1) << 40) : 100000;  // sometimes beyond int32: int64 mode
    for (auto& b : c.bias) b = std::uniform_int_distribution<int64_t>(-range, range)(rng);
  }
  const double ea = qis8(at) ? 100 : 20000, eb = qis8(bt) ? 100 : 20000;
  const RequantMethod m = RequantMethod(variant % 6);
  const Round rd = Round(rng() % kRoundModes);
  c.rq = qt::rand_requant(rng, m, rd, rng() % 2, N, c.ot, std::sqrt(double(K)) * ea * eb);
  return c;
}

void hand_checked() {
  // ONNX QLinearMatMul (test_qlinearmatmul_2D): u8 x u8, per-tensor; real multiplier in float, half to even.
  {
    Case c;
    c.M = 2; c.N = 3; c.K = 4; c.at = QType::U8; c.bt = QType::U8; c.ot = QType::U8;
    c.azp = 113; c.bzp = {114};
    c.rq.method = RequantMethod::FloatScale;
    c.rq.round = Round::HalfToEven;
    c.rq.scale = {float(double(0.0066f) * double(0.00705f) / double(0.0107f))};
    c.rq.zero_point = 118; c.rq.qmin = 0; c.rq.qmax = 255;
    const std::vector<int32_t> A = {208, 236, 0, 238, 3, 214, 255, 29};
    const std::vector<int32_t> B = {152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247};
    const int32_t want[] = {168, 115, 255, 1, 66, 151};
    const int64_t want_acc[] = {11475, -778, 31402, -26914, -11872, 7513};
    for (Isa isa : supported_isas()) {
      auto g = QGemm::create(isa, params(c), qt::to_bytes(B, QType::U8).data());
      uint8_t y[6];
      int64_t acc[6];
      g->run(qt::to_bytes(A, QType::U8).data(), y, nullptr);
      g->run_acc(qt::to_bytes(A, QType::U8).data(), acc, nullptr);
      for (int i = 0; i < 6; ++i)
        CHECK(y[i] == want[i] && acc[i] == want_acc[i], "%s QLinearMatMul y[%d]=%d (want %d) acc=%lld (want %lld)",
              isa_name(isa), i, y[i], want[i], (long long)acc[i], (long long)want_acc[i]);
    }
  }
  // ONNX MatMulInteger (test_matmulinteger): u8 x u8, a_zero_point 12, b_zero_point 0.
  {
    Case c;
    c.M = 4; c.N = 2; c.K = 3; c.at = QType::U8; c.bt = QType::U8; c.ot = QType::S32;
    c.azp = 12; c.bzp = {0};
    c.rq.method = RequantMethod::ShiftOnly; c.rq.shift = {0}; c.rq.qmin = INT32_MIN; c.rq.qmax = INT32_MAX;
    const std::vector<int32_t> A = {11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0}, B = {1, 4, 2, 5, 3, 6};
    const int32_t want[] = {-38, -83, -44, -98, -50, -113, -56, -128};
    for (Isa isa : supported_isas()) {
      auto g = QGemm::create(isa, params(c), qt::to_bytes(B, QType::U8).data());
      int32_t y[8];
      int64_t acc[8];
      g->run(qt::to_bytes(A, QType::U8).data(), y, nullptr);
      g->run_acc(qt::to_bytes(A, QType::U8).data(), acc, nullptr);
      for (int i = 0; i < 8; ++i)
        CHECK(y[i] == want[i] && acc[i] == want[i], "%s MatMulInteger [%d] = %d / %lld, want %d", isa_name(isa), i, y[i],
              (long long)acc[i], want[i]);
    }
  }
}

void validation() {
  Case c;
  c.M = 2; c.N = 3; c.K = 4; c.bzp = {0};
  c.rq.scale = {0.1f};
  c.rq.qmin = 0; c.rq.qmax = 255;
  std::vector<uint8_t> B(12, 1);
  auto bad = [&](void (*edit)(QGemmParams&), const char* needle) {
    QGemmParams p = params(c);
    edit(p);
    CHECK_THROWS(QGemm::create(Isa::Scalar, p, B.data()), needle);
  };
  bad([](QGemmParams& p) { p.a_type = QType::S32; }, "a_type=4");
  bad([](QGemmParams& p) { p.a_zp = 256; }, "a_zp=256");
  bad([](QGemmParams& p) { p.b_zp = {0, 0}; }, "b_zp has 2 entries; expected 1 or 3");
  bad([](QGemmParams& p) { p.b_zp = {0, 200, 0}; }, "b_zp[1]=200");
  bad([](QGemmParams& p) { p.bias = {1}; }, "bias has 1 entries");
  bad([](QGemmParams& p) { p.requant.per_channel = true; }, "requant.scale has 1 entries; expected 3");
  bad([](QGemmParams& p) { p.requant.qmax = 300; }, "qmax=300");
  bad([](QGemmParams& p) { p.requant.method = RequantMethod::ShiftOnly; p.requant.shift = {63}; }, "requant.shift[0]=63");
  bad([](QGemmParams& p) { p.K = (size_t{1} << 30) + 1; }, "K=1073741825");
  CHECK_THROWS(QGemm::create(Isa::Scalar, params(c), nullptr), "B is null");
}

}  // namespace

int main() {
  std::mt19937 rng(1234);
  hand_checked();
  validation();
  const size_t dims[] = {1, 2, 3, 4, 5, 6, 7, 8, 15, 16, 17, 31, 33, 64, 65};
  const size_t nd = sizeof(dims) / sizeof(dims[0]);
  std::vector<std::array<size_t, 3>> shapes;
  for (size_t i = 0; i < nd; ++i)
    for (int pos = 0; pos < 3; ++pos) {
      std::array<size_t, 3> s = {dims[rng() % nd], dims[rng() % nd], dims[rng() % nd]};
      s[pos] = dims[i];
      shapes.push_back(s);
    }
  // Blocking: several depth blocks (KC), row blocks (MC), column blocks (NC) and panels.
  shapes.push_back({65, 65, 65});
  shapes.push_back({7, 300, 600});
  shapes.push_back({100, 19, 1100});
  shapes.push_back({3, 520, 37});
  const double scale = qt::case_scale();
  size_t cases = 0;
  for (size_t si = 0; si < shapes.size(); ++si) {
    const auto& s = shapes[si];
    for (QType at : kA)
      for (QType bt : kB) {
        if (std::uniform_real_distribution<double>(0, 1)(rng) > scale) continue;
        const int variant = int(rng() % 60);
        const Case c = random_case(rng, s[0], s[1], s[2], at, bt, variant);
        check_case(c, make_data(c, rng));
        ++cases;
        if (check::failures() > 30) return check_summary("test_qgemm");
      }
  }
  // int64 mode for 8-bit operands: a depth whose extreme sums leave int32 (33025 * 255^2 < 2^31 < 33100 * 255^2).
  for (int v = 0; v < 4; ++v) {
    Case c = random_case(rng, 3, 5, 33100, v % 2 ? QType::U8 : QType::S8, v / 2 ? QType::U8 : QType::S8, v);
    c.azp = c.at == QType::U8 ? 255 : -128;
    c.bzp = {c.bt == QType::U8 ? 0 : 127};
    Data d = make_data(c, rng);
    for (auto& x : d.A) x = c.at == QType::U8 ? 0 : 127;
    for (auto& x : d.B) x = c.bt == QType::U8 ? 255 : -128;
    d.Ab = qt::to_bytes(d.A, c.at);
    d.Bb = qt::to_bytes(d.B, c.bt);
    check_case(c, d);
    ++cases;
  }
  std::printf("test_qgemm: %zu cases, tiers:", cases);
  for (Isa isa : supported_isas()) std::printf(" %s", isa_name(isa));
  std::printf("\n");
  return check_summary("test_qgemm");
}
