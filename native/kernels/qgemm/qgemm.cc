// QGemm: Y[M,N] = requant(sum_k (A[m,k] - za) * (B[k,n] - zb[n]) + bias[n]) per column n. B (the
// weights) is packed once at create() as the right operand; A is packed per run, rows split over threads.
#include <stdexcept>
#include <string>

#include "kernels/qgemm/qgemm-internal.h"

namespace npuq {

namespace {

constexpr size_t kMaxDim = size_t{1} << 31;

[[noreturn]] void fail(const std::string& msg) { throw std::invalid_argument("QGemm: " + msg); }

class QGemmImpl final : public QGemm {
 public:
  QGemmImpl(Isa isa, const QGemmParams& p, const void* B) : p_(p), kernels_(&q_kernels(isa)) {
    const char* what = "QGemm";
    if (p.M >= kMaxDim || p.N >= kMaxDim) fail("M=" + std::to_string(p.M) + ", N=" + std::to_string(p.N) + " is too large");
    if (p.K > (size_t{1} << 30)) fail("K=" + std::to_string(p.K) + " is larger than 2^30");
    qcheck_operand_type(what, "a_type", p.a_type);
    qcheck_operand_type(what, "b_type", p.b_type);
    qcheck_zero_point(what, "a_zp", p.a_zp, p.a_type);
    if (!B && p.K && p.N) fail("B is null");
    bzp_ = qexpand_zero_points(what, "b_zp", p.b_zp, p.N, p.b_type);
    bias_ = qexpand_bias(what, p.bias, p.N);
    rq_ = make_requant_table(what, p.requant, p.N, p.out_type);
    bool mode32 = qis_8bit(p.a_type) && qis_8bit(p.b_type);
    if (mode32) {
      std::vector<int64_t> absw(p.N, 0);
      for (size_t n = 0; n < p.N; ++n)
        for (size_t k = 0; k < p.K; ++k) {
          const size_t i = p.transB ? n * p.K + k : k * p.N + n;
          const int64_t v = (p.b_type == QType::U8 ? int64_t(static_cast<const uint8_t*>(B)[i])
                                                   : int64_t(static_cast<const int8_t*>(B)[i])) - bzp_[n];
          absw[n] += v < 0 ? -v : v;
        }
      mode32 = qfits_int32(qmax_centered(p.a_type, p.a_zp), absw, bias_);
    }
    if (mode32) bias32_ = qbias32(bias_);
    kern_ = choose_qgemm_kernel(*kernels_, mode32);
    QMatrixSource b;
    b.data = B;
    b.type = p.b_type;
    b.ld = p.transB ? p.K : p.N;
    b.lane_major = p.transB;
    b.zp = bzp_.data();
    b.zp_stride = 1;
    packed_ = qprepack(kern_, kern_.nr, b, p.K, p.N);
    a_off_ = qs8_offset(p.a_type, p.a_zp);
  }

  void run(const void* A, void* Y, ThreadPool* pool) const override { compute(A, Y, nullptr, pool); }
  void run_acc(const void* A, int64_t* acc, ThreadPool* pool) const override { compute(A, nullptr, acc, pool); }

 private:
  class Output final : public QGemmOutput {
   public:
    Output(const QGemmImpl& g, void* y, int64_t* acc) : g_(g), y_(static_cast<char*>(y)), acc_(acc) {}
    void store32(const int32_t* c, size_t ldc, size_t m0, size_t m1, size_t n0, size_t n1) const override {
      const size_t N = g_.p_.N, n = n1 - n0;
      for (size_t m = m0; m < m1; ++m, c += ldc) {
        if (acc_) {
          for (size_t j = 0; j < n; ++j) acc_[m * N + n0 + j] = int64_t(c[j]) + g_.bias_[n0 + j];
        } else {
          g_.kernels_->requant(g_.rq_.args(n0, 1, g_.bias32_.data()), c, n, y_ + (m * N + n0) * qtype_size(g_.p_.out_type));
        }
      }
    }
    void store64(const int64_t* c, size_t ldc, size_t m0, size_t m1, size_t n0, size_t n1) const override {
      const size_t N = g_.p_.N, n = n1 - n0;
      for (size_t m = m0; m < m1; ++m, c += ldc) {
        if (acc_) {
          for (size_t j = 0; j < n; ++j) acc_[m * N + n0 + j] = c[j] + g_.bias_[n0 + j];
        } else {
          requant_s64_run(*g_.kernels_, g_.rq_.args(n0, 1, nullptr), c, g_.bias_.data() + n0, n,
                          y_ + (m * N + n0) * qtype_size(g_.p_.out_type));
        }
      }
    }
   private:
    const QGemmImpl& g_;
    char* y_;
    int64_t* acc_;
  };

  void compute(const void* A, void* Y, int64_t* acc, ThreadPool* pool) const {
    if (p_.M == 0 || p_.N == 0) return;
    QMatrixSource a;
    a.data = A;
    a.type = p_.a_type;
    a.ld = p_.K;
    a.lane_major = true;
    a.zp = &p_.a_zp;
    a.zp_stride = 0;
    const Output out(*this, Y, acc);
    QGemmProblem q;
    q.M = p_.M;
    q.N = p_.N;
    q.K = p_.K;
    q.kern = &kern_;
    q.lhs_src = &a;
    q.lhs_off = &a_off_;
    q.rhs = &packed_;
    q.rhs_off = packed_.offsets.data();
    q.rhs_off_stride = 1;
    q.out = &out;
    qgemm_run(q, pool, 0, p_.M, 0, p_.N);
  }

  QGemmParams p_;
  const QKernels* kernels_;
  std::vector<int32_t> bzp_, bias32_;
  std::vector<int64_t> bias_;
  QRequantTable rq_;
  QGemmKernel kern_;
  QPackedOperand packed_;
  int32_t a_off_ = 0;
};

}  // namespace

std::unique_ptr<QGemm> QGemm::create(Isa isa, const QGemmParams& p, const void* B) {
  return std::make_unique<QGemmImpl>(isa, p, B);
}

}  // namespace npuq
