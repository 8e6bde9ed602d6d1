// Elementwise kernels: tiers bit for bit (tails, special values), the polynomial math library against
// double-precision libm in ulp, binary ops and channel_affine.
#include <climits>
#include <limits>

#include "test-util.h"

using namespace npuq;

namespace {

const UnaryOp kUnary[] = {UnaryOp::Relu, UnaryOp::LeakyRelu, UnaryOp::Clip, UnaryOp::Sigmoid, UnaryOp::HardSigmoid,
                          UnaryOp::HardSwish, UnaryOp::Tanh, UnaryOp::Exp, UnaryOp::Log, UnaryOp::Sqrt, UnaryOp::Neg,
                          UnaryOp::Abs, UnaryOp::Erf, UnaryOp::Reciprocal, UnaryOp::Floor, UnaryOp::Ceil,
                          UnaryOp::Round, UnaryOp::Elu, UnaryOp::Selu, UnaryOp::Softplus, UnaryOp::Gelu,
                          UnaryOp::Identity};

long long ordered(float f) {
  const int32_t i = static_cast<int32_t>(tu::bits(f));
  return i < 0 ? static_cast<long long>(INT32_MIN) - i : i;
}
long long ulp_dist(float a, float b) {
  if (a != a || b != b) return (a != a && b != b) ? 0 : LLONG_MAX;
  const long long d = ordered(a) - ordered(b);
  return d < 0 ? -d : d;
}

float unary1(UnaryOp op, float x, float alpha = 0.0f, float beta = 0.0f) {
  float y;
  unary_f32(Isa::Scalar, op, alpha, beta, 1, &x, &y);
  return y;
}

std::vector<float> specials() {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.0f, -0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(), 1e-45f, -1e-45f,
                          1e-40f, -1e-40f, 1.17549435e-38f, 3.4e38f, -3.4e38f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f,
                          88.72f, 88.73f, 89.5f, -87.3f, -103.9f, -104.5f, -150.0f, 0.625f, -0.625f, 0.921875f,
                          -0.921875f, 0.693147f, -0.693148f, 9.0f, -9.0f, 15.0f, -15.0f, -20.5f, 1e-8f, -1e-8f};
  return v;
}

// Inputs for the accuracy sweeps: linear over [lo, hi] plus log-spaced tiny magnitudes of both signs.
std::vector<float> sweep(float lo, float hi, size_t n) {
  std::vector<float> v;
  for (size_t i = 0; i <= n; ++i) v.push_back(lo + (hi - lo) * static_cast<float>(i) / n);
  for (int e = -149; e <= 0; ++e)
    for (float m : {1.0f, 1.37f, 1.9f}) {
      v.push_back(std::ldexp(m, e));
      v.push_back(-std::ldexp(m, e));
    }
  return v;
}

struct Accuracy {
  const char* name;
  UnaryOp op;
  float alpha;
  double (*ref)(double);
  std::vector<float> xs;
  long long max_ulp;
};

void check_accuracy(const Accuracy& a) {
  long long worst = 0;
  float worst_x = 0, worst_got = 0;
  double worst_ref = 0;
  for (float x : a.xs) {
    const float got = unary1(a.op, x, a.alpha, 1.0f);
    const float want = static_cast<float>(a.ref(x));
    const long long d = ulp_dist(got, want);
    if (d > worst) {
      worst = d;
      worst_x = x;
      worst_got = got;
      worst_ref = a.ref(x);
    }
  }
  std::printf("  %-9s max %lld ulp (x=%.9g got %.9g want %.12g) over %zu inputs\n", a.name, worst, worst_x, worst_got,
              worst_ref, a.xs.size());
  CHECK(worst <= a.max_ulp, "%s: %lld ulp at x=%.9g: got %.9g, libm (double) %.12g", a.name, worst, worst_x,
        worst_got, worst_ref);
}

double ref_sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
double ref_gelu(double x) { return 0.5 * x * std::erfc(-x / std::sqrt(2.0)); }
double ref_softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }
double ref_elu(double x) { return x > 0 ? x : std::expm1(x); }
double ref_exp(double x) { return std::exp(x); }
double ref_log(double x) { return std::log(x); }
double ref_tanh(double x) { return std::tanh(x); }
double ref_erf(double x) { return std::erf(x); }

}  // namespace

int main() {
  std::mt19937 rng(1234);
  // 1. Every unary op, every tier, bit for bit: random values of several scales, specials, all tails.
  std::vector<float> xs = specials();
  for (float scale : {1.0f, 4.0f, 30.0f, 120.0f}) {
    auto r = tu::rand_vec(rng, 2000, -scale, scale);
    xs.insert(xs.end(), r.begin(), r.end());
  }
  for (int i = 0; i < 3000; ++i) xs.push_back(tu::from_bits(static_cast<uint32_t>(rng())));  // any bit pattern
  for (UnaryOp op : kUnary) {
    const float alpha = op == UnaryOp::Clip ? -0.75f : op == UnaryOp::HardSigmoid ? 0.2f : 1.6732632f;
    const float beta = op == UnaryOp::Clip ? 2.5f : op == UnaryOp::HardSigmoid ? 0.5f : 1.0507010f;
    std::vector<float> ref(xs.size());
    unary_f32(Isa::Scalar, op, alpha, beta, xs.size(), xs.data(), ref.data());
    for (Isa isa : tu::simd_tiers()) {
      std::vector<float> got(xs.size());
      unary_f32(isa, op, alpha, beta, xs.size(), xs.data(), got.data());
      const long at = tu::first_diff(ref.data(), got.data(), xs.size());
      CHECK(at < 0, "unary op=%d tier=%s: x=%.9g (bits %08x) scalar %.9g simd %.9g", static_cast<int>(op),
            isa_name(isa), at < 0 ? 0.0 : xs[at], at < 0 ? 0u : tu::bits(xs[at]), at < 0 ? 0.0 : ref[at],
            at < 0 ? 0.0 : got[at]);
      for (size_t n = 0; n < 20; ++n) {  // tails, unaligned starts
        std::vector<float> g(n + 1, 5.0f);
        unary_f32(isa, op, alpha, beta, n, xs.data() + 3, g.data());
        CHECK(tu::first_diff(ref.data() + 3, g.data(), n) < 0 && g[n] == 5.0f, "unary op=%d tier=%s n=%zu tail",
              static_cast<int>(op), isa_name(isa), n);
      }
    }
  }
  // 2. Exact ops and documented semantics.
  CHECK(unary1(UnaryOp::Round, 0.5f) == 0.0f && unary1(UnaryOp::Round, 1.5f) == 2.0f &&
            unary1(UnaryOp::Round, 2.5f) == 2.0f && unary1(UnaryOp::Round, -2.5f) == -2.0f &&
            std::signbit(unary1(UnaryOp::Round, -0.5f)),
        "Round is half to even");
  CHECK(std::isnan(unary1(UnaryOp::Relu, NAN)) && unary1(UnaryOp::Relu, -3.0f) == 0.0f, "Relu");
  CHECK(unary1(UnaryOp::Clip, -5.0f, -1.0f, 2.0f) == -1.0f && unary1(UnaryOp::Clip, 5.0f, -1.0f, 2.0f) == 2.0f &&
            std::isnan(unary1(UnaryOp::Clip, NAN, -1.0f, 2.0f)),
        "Clip");
  CHECK(unary1(UnaryOp::HardSwish, 3.0f) == 3.0f && unary1(UnaryOp::HardSwish, -3.0f) == 0.0f, "HardSwish");
  CHECK(unary1(UnaryOp::Log, 0.0f) == -HUGE_VALF && std::isnan(unary1(UnaryOp::Log, -1.0f)) &&
            unary1(UnaryOp::Log, HUGE_VALF) == HUGE_VALF && unary1(UnaryOp::Log, 1.0f) == 0.0f,
        "Log specials");
  CHECK(unary1(UnaryOp::Exp, -HUGE_VALF) == 0.0f && unary1(UnaryOp::Exp, HUGE_VALF) == HUGE_VALF &&
            unary1(UnaryOp::Exp, 0.0f) == 1.0f && std::isnan(unary1(UnaryOp::Exp, NAN)),
        "Exp specials");
  for (UnaryOp op : {UnaryOp::Sigmoid, UnaryOp::Tanh, UnaryOp::Erf, UnaryOp::Gelu, UnaryOp::Softplus, UnaryOp::Elu,
                     UnaryOp::Log, UnaryOp::Exp, UnaryOp::Selu})
    CHECK(std::isnan(unary1(op, NAN, 1.0f, 1.0f)), "op=%d passes NaN through", static_cast<int>(op));
  CHECK(unary1(UnaryOp::Tanh, HUGE_VALF) == 1.0f && unary1(UnaryOp::Tanh, -HUGE_VALF) == -1.0f &&
            unary1(UnaryOp::Erf, HUGE_VALF) == 1.0f && unary1(UnaryOp::Erf, -HUGE_VALF) == -1.0f &&
            unary1(UnaryOp::Sigmoid, HUGE_VALF) == 1.0f && unary1(UnaryOp::Sigmoid, -HUGE_VALF) == 0.0f &&
            unary1(UnaryOp::Gelu, HUGE_VALF) == HUGE_VALF && unary1(UnaryOp::Gelu, -HUGE_VALF) == 0.0f &&
            unary1(UnaryOp::Softplus, HUGE_VALF) == HUGE_VALF && unary1(UnaryOp::Softplus, -HUGE_VALF) == 0.0f,
        "saturation at +-inf");
  // 3. Accuracy of the polynomial library against double libm.
  std::vector<float> logs;
  for (uint32_t b = 1; b < 0x7f800000u; b += 1237) logs.push_back(tu::from_bits(b));
  const Accuracy acc[] = {
      {"exp", UnaryOp::Exp, 0, ref_exp, sweep(-104.0f, 88.7f, 400000), 2},
      {"log", UnaryOp::Log, 0, ref_log, logs, 2},
      {"tanh", UnaryOp::Tanh, 0, ref_tanh, sweep(-12.0f, 12.0f, 300000), 3},
      {"sigmoid", UnaryOp::Sigmoid, 0, ref_sigmoid, sweep(-104.0f, 30.0f, 300000), 3},
      {"erf", UnaryOp::Erf, 0, ref_erf, sweep(-5.0f, 5.0f, 300000), 3},
      {"gelu", UnaryOp::Gelu, 0, ref_gelu, sweep(-13.0f, 12.0f, 300000), 6},  // 6 in the x < -3 tail
      {"softplus", UnaryOp::Softplus, 0, ref_softplus, sweep(-100.0f, 40.0f, 300000), 4},
      {"elu", UnaryOp::Elu, 1.0f, ref_elu, sweep(-30.0f, 5.0f, 300000), 3},
  };
  std::printf("accuracy (scalar = every tier):\n");
  for (const Accuracy& a : acc) check_accuracy(a);
  // 4. Binary ops: every tier, every stride combination, tails; scalar against the formula.
  const BinaryOp kBinary[] = {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div,
                              BinaryOp::Max, BinaryOp::Min, BinaryOp::Pow, BinaryOp::PRelu};
  auto a = tu::rand_vec(rng, 200, -3.0f, 3.0f), b = tu::rand_vec(rng, 200, -3.0f, 3.0f);
  a[5] = NAN; b[9] = NAN; a[12] = -0.0f; b[12] = 0.0f; a[13] = 0.0f; b[13] = -0.0f; b[20] = 0.0f;
  for (BinaryOp op : kBinary)
    for (int st = 0; st < 4; ++st)
      for (size_t n : {0, 1, 5, 7, 8, 9, 16, 17, 33, 150}) {
        const size_t as = st & 1, bs = (st >> 1) & 1;
        std::vector<float> ref(n + 1, 5.0f);
        binary_f32(Isa::Scalar, op, n, a.data() + 1, as, b.data() + 2, bs, ref.data());
        for (size_t i = 0; i < n; ++i) {
          const float p = a[1 + i * as], q = b[2 + i * bs];
          float want = 0;
          switch (op) {
            case BinaryOp::Add: want = p + q; break;
            case BinaryOp::Sub: want = p - q; break;
            case BinaryOp::Mul: want = p * q; break;
            case BinaryOp::Div: want = p / q; break;
            case BinaryOp::Max: want = (p != p || q != q) ? NAN : std::max(p, q); break;
            case BinaryOp::Min: want = (p != p || q != q) ? NAN : std::min(p, q); break;
            case BinaryOp::Pow: want = std::pow(p, q); break;
            case BinaryOp::PRelu: want = p > 0 ? p : p * q; break;
          }
          const bool ok = tu::same(ref[i], want) || (want == 0 && ref[i] == 0);  // Max/Min(+0,-0) either zero
          CHECK(ok, "binary op=%d i=%zu: %.9g, %.9g -> %.9g want %.9g", static_cast<int>(op), i, p, q, ref[i], want);
        }
        for (Isa isa : tu::simd_tiers()) {
          std::vector<float> got(n + 1, 5.0f);
          binary_f32(isa, op, n, a.data() + 1, as, b.data() + 2, bs, got.data());
          const long at = tu::first_diff(ref.data(), got.data(), n + 1);
          CHECK(at < 0, "binary op=%d tier=%s n=%zu strides=%zu,%zu: differs at %ld", static_cast<int>(op),
                isa_name(isa), n, as, bs, at);
        }
      }
  // 5. channel_affine: fma(x, scale[c], shift[c]).
  ThreadPool pool(2);
  for (size_t inner : {1, 7, 8, 9, 100, 5000}) {
    const size_t N = 2, C = 3;
    auto x = tu::rand_vec(rng, N * C * inner), sc = tu::rand_vec(rng, C), sh = tu::rand_vec(rng, C);
    std::vector<float> ref(x.size());
    channel_affine_f32(Isa::Scalar, N, C, inner, x.data(), sc.data(), sh.data(), ref.data(), nullptr);
    for (size_t i = 0; i < x.size(); ++i) {
      const size_t c = (i / inner) % C;
      CHECK(ref[i] == std::fma(x[i], sc[c], sh[c]), "affine inner=%zu i=%zu", inner, i);
    }
    for (Isa isa : supported_isas()) {
      std::vector<float> got(x.size());
      channel_affine_f32(isa, N, C, inner, x.data(), sc.data(), sh.data(), got.data(), &pool);
      CHECK(tu::first_diff(ref.data(), got.data(), x.size()) < 0, "affine tier=%s inner=%zu", isa_name(isa), inner);
    }
  }
  // 6. binary_rows_f32: y[r][i] = a[r][i] op b[r], the same bits as binary_f32 run by run, threaded or not.
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div, BinaryOp::Max, BinaryOp::Min,
                      BinaryOp::PRelu}) {
    for (size_t rows : {1, 5, 640}) {
      for (size_t n : {1, 7, 16, 33}) {
        auto a = tu::rand_vec(rng, rows * n), b = tu::rand_vec(rng, rows);
        if (rows * n > 3) { a[1] = NAN; a[2] = -0.0f; b[0] = rows > 1 ? INFINITY : b[0]; }
        for (Isa isa : supported_isas()) {
          std::vector<float> ref(a.size()), got(a.size(), 99.0f);
          for (size_t r = 0; r < rows; ++r) binary_f32(isa, op, n, a.data() + r * n, 1, b.data() + r, 0, ref.data() + r * n);
          binary_rows_f32(isa, op, rows, n, a.data(), b.data(), got.data(), rows > 100 ? &pool : nullptr);
          CHECK(tu::first_diff(ref.data(), got.data(), a.size()) < 0, "binary_rows tier=%s op=%d rows=%zu n=%zu",
                isa_name(isa), int(op), rows, n);
        }
      }
    }
  }
  return check_summary("test_eltwise");
}
