// sgemm: the scalar tier against a double-precision reference, every other supported tier (and the
// threaded runs) against the scalar tier bit for bit, over tails around the tile sizes and the blocking.
#include <string>

#include "test-util.h"

using namespace npuq;

namespace {

struct Case {
  size_t M, N, K;
  bool ta, tb, packed;
  int bias;  // 0 none, 1 per column, 2 per row
  bool act;
  size_t pad;  // extra leading-dimension elements on A, B and C
  std::string str() const {
    return check::format("M=%zu N=%zu K=%zu transA=%d transB=%d packed=%d bias=%d act=%d pad=%zu", M, N, K, ta,
                         tb, packed, bias, act, pad);
  }
};

struct Data {
  std::vector<float> A, B, bias;
  size_t lda, ldb, ldc;
};

Data make(const Case& c, std::mt19937& rng) {
  Data d;
  d.lda = (c.ta ? c.M : c.K) + c.pad;
  d.ldb = (c.tb ? c.K : c.N) + c.pad;
  d.ldc = c.N + c.pad;
  d.A = tu::rand_vec(rng, (c.ta ? c.K : c.M) * d.lda + 1);
  d.B = tu::rand_vec(rng, (c.tb ? c.N : c.K) * d.ldb + 1);
  d.bias = tu::rand_vec(rng, c.bias == 2 ? c.M : c.N);
  return d;
}

constexpr float kSentinel = 12345.0f;

std::vector<float> run(Isa isa, const Case& c, const Data& d, ThreadPool* pool) {
  std::vector<float> C(c.M * d.ldc, kSentinel);
  SgemmArgs a;
  a.M = c.M; a.N = c.N; a.K = c.K;
  a.A = d.A.data(); a.lda = d.lda; a.transA = c.ta;
  a.B = d.B.data(); a.ldb = d.ldb; a.transB = c.tb;
  PackedB pb;
  if (c.packed) {
    pb = sgemm_pack_b(isa, d.B.data(), d.ldb, c.tb, c.K, c.N);
    a.packedB = &pb;
  }
  a.C = C.data(); a.ldc = d.ldc;
  a.bias = c.bias ? d.bias.data() : nullptr;
  a.bias_per_column = c.bias != 2;
  if (c.act) a.act = Activation::clamp(-0.25f, 0.5f);
  sgemm(isa, a, pool);
  return C;
}

void check_reference(const Case& c, const Data& d, const std::vector<float>& C) {
  int bad = 0;
  for (size_t i = 0; i < c.M; ++i) {
    for (size_t j = 0; j < d.ldc; ++j) {
      const float got = C[i * d.ldc + j];
      if (j >= c.N) {
        if (got != kSentinel && bad++ < 3) CHECK(false, "%s: wrote C[%zu][%zu] past N", c.str().c_str(), i, j);
        continue;
      }
      double s = 0, scale = 0;
      for (size_t k = 0; k < c.K; ++k) {
        const double av = c.ta ? d.A[k * d.lda + i] : d.A[i * d.lda + k];
        const double bv = c.tb ? d.B[j * d.ldb + k] : d.B[k * d.ldb + j];
        s += av * bv;
        scale += std::fabs(av * bv);
      }
      if (c.bias) {
        const double b = c.bias == 2 ? d.bias[i] : d.bias[j];
        s += b;
        scale += std::fabs(b);
      }
      if (c.act) s = std::min(0.5, std::max(-0.25, s));
      if (!tu::close(got, s, scale) && bad++ < 3)
        CHECK(false, "%s: scalar C[%zu][%zu]=%.9g reference %.9g", c.str().c_str(), i, j, got, s);
    }
  }
  CHECK(bad == 0, "%s: %d mismatches against the reference", c.str().c_str(), bad);
}

void run_case(const Case& c, std::mt19937& rng, ThreadPool* pool) {
  const Data d = make(c, rng);
  const std::vector<float> ref = run(Isa::Scalar, c, d, nullptr);
  check_reference(c, d, ref);
  for (Isa isa : tu::simd_tiers()) {
    const std::vector<float> got = run(isa, c, d, nullptr);
    const long at = tu::first_diff(ref.data(), got.data(), ref.size());
    CHECK(at < 0, "%s tier=%s: differs from scalar at %ld: %.9g vs %.9g", c.str().c_str(), isa_name(isa), at,
          at < 0 ? 0.0 : got[at], at < 0 ? 0.0 : ref[at]);
  }
  if (pool) {
    for (Isa isa : supported_isas()) {
      const std::vector<float> got = run(isa, c, d, pool);
      const long at = tu::first_diff(ref.data(), got.data(), ref.size());
      CHECK(at < 0, "%s tier=%s threads=%zu: differs from scalar at %ld", c.str().c_str(), isa_name(isa),
            pool->threads(), at);
    }
  }
}

}  // namespace

int main() {
  std::mt19937 rng(20240607);
  ThreadPool pool(2);
  const size_t Ms[] = {1, 2, 3, 4, 5, 6, 7, 8, 11, 13, 16, 17, 31, 33, 65};
  const size_t Ns[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 65};
  const size_t Ks[] = {1, 2, 3, 7, 16, 17, 33, 64};
  std::uniform_int_distribution<int> bit(0, 1), bias(0, 2), pad(0, 3);
  size_t n = 0;
  for (size_t M : Ms)
    for (size_t N : Ns)
      for (size_t K : Ks) {
        Case c{M, N, K, bit(rng) == 1, bit(rng) == 1, bit(rng) == 1, bias(rng), bit(rng) == 1,
               static_cast<size_t>(pad(rng))};
        run_case(c, rng, (n++ % 16 == 0) ? &pool : nullptr);
      }
  // Every flag combination on a few tail shapes.
  for (size_t s = 0; s < 3; ++s) {
    const size_t M = s == 0 ? 7 : s == 1 ? 13 : 6, N = s == 0 ? 17 : s == 1 ? 9 : 16, K = s == 0 ? 5 : 19;
    for (int f = 0; f < 48; ++f)
      run_case(Case{M, N, K, (f & 1) != 0, (f & 2) != 0, (f & 4) != 0, (f >> 3) % 3, (f >> 3) / 3 == 1, 1},
               rng, nullptr);
  }
  // K = 0: bias and clamp only.
  for (int b = 0; b < 3; ++b) run_case(Case{5, 19, 0, false, false, b == 1, b, true, 0}, rng, &pool);
  // Beyond the cache blocks: K > KC (partial sums continued through C), N > NC, M > MC.
  run_case(Case{80, 1100, 300, false, false, false, 2, true, 0}, rng, &pool);
  run_case(Case{150, 40, 513, true, true, true, 1, false, 2}, rng, &pool);
  run_case(Case{7, 2050, 260, false, true, true, 0, true, 0}, rng, &pool);
  run_case(Case{73, 75, 1030, true, false, false, 1, true, 5}, rng, &pool);
  // A read in place (row-major A, N <= kSgemmRawAMaxN) across K and M blocks, with row padding; and the
  // digits_cnn classifier's shape.
  run_case(Case{80, 45, 600, false, true, true, 2, true, 3}, rng, &pool);
  run_case(Case{64, 64, 1600, false, true, true, 2, true, 0}, rng, &pool);
  // --- RVV tiles (6x16 at VLEN 128, 8x16 from VLEN 256): M around multiples of 6 and 8, N around 16,
  // K around the KC = 256 block (a second K block of one step continues the partial sums in C). ---
  for (size_t M : {9, 12, 15, 24})
    for (size_t N : {14, 16, 32, 47})
      for (size_t K : {255, 256, 257})
        run_case(Case{M, N, K, bit(rng) == 1, bit(rng) == 1, bit(rng) == 1, bias(rng), bit(rng) == 1,
                      static_cast<size_t>(pad(rng))},
                 rng, nullptr);
  // --- end of the RVV tiles ---
  // A packed B of the wrong size is refused.
  {
    PackedB pb = sgemm_pack_b(Isa::Scalar, std::vector<float>(12).data(), 4, false, 3, 4);
    std::vector<float> A(6), C(8);
    SgemmArgs a;
    a.M = 2; a.N = 4; a.K = 4; a.A = A.data(); a.lda = 4; a.packedB = &pb; a.C = C.data(); a.ldc = 4;
    CHECK_THROWS(sgemm(Isa::Scalar, a, nullptr), "packedB");
  }
  return check_summary("test_sgemm");
}
