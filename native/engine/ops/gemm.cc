// Gemm (alpha * A' B' + beta * C, optional fused clamp act_lo/act_hi) and MatMul (numpy matmul with
// batch broadcasting). A constant B operand is packed once at build time.
#include <cmath>

#include "engine/ops/ops.h"

namespace npuq {
namespace {

struct GemmOp : Op {
  size_t M, N, K;
  bool transA, transB;
  float alpha, beta;
  int a, b, c = -1, y;
  Isa isa;
  Activation act;
  std::unique_ptr<PackedB> packed;
  // C handling: fused as a bias vector when possible, else added after the product.
  enum { NoC, ColBias, RowBias, Full } cmode = NoC;
  std::vector<int64_t> c_shape;
  std::vector<float> bias;  // beta * C when C is constant and a vector
  bool bias_const = false;

  void run(const RunState& rs) const override {
    SgemmArgs g;
    g.M = M; g.N = N; g.K = K;
    g.A = rs.in<float>(a); g.lda = transA ? M : K; g.transA = transA;
    g.B = rs.in<float>(b); g.ldb = transB ? K : N; g.transB = transB;
    g.packedB = packed.get();
    g.C = rs.out<float>(y); g.ldc = N;
    const bool simple = alpha == 1.0f && (cmode == NoC || cmode == ColBias || cmode == RowBias);
    std::vector<float> rt_bias;
    if (simple && cmode != NoC) {
      if (bias_const) {
        g.bias = bias.data();
      } else {
        const float* pc = rs.in<float>(c);
        size_t len = cmode == ColBias ? N : M;
        rt_bias.resize(len);
        for (size_t i = 0; i < len; ++i) rt_bias[i] = beta * pc[shape_numel(c_shape) == 1 ? 0 : i];
        g.bias = rt_bias.data();
      }
      g.bias_per_column = cmode == ColBias;
    }
    if (simple) g.act = act;
    sgemm(isa, g, rs.pool());
    if (simple) return;
    float* py = g.C;
    const float* pc = c >= 0 ? rs.in<float>(c) : nullptr;
    // C broadcast to [M, N]: shapes [], [N], [1,N], [M,1], [M,N].
    size_t cr = 1, cc = 1;
    if (c_shape.size() == 1) cc = c_shape[0];
    else if (c_shape.size() == 2) { cr = c_shape[0]; cc = c_shape[1]; }
    for (size_t i = 0; i < M; ++i)
      for (size_t j = 0; j < N; ++j) {
        float v = alpha * py[i * N + j];
        if (pc) v += beta * pc[(cr == 1 ? 0 : i) * cc + (cc == 1 ? 0 : j)];
        if (act.enabled) { v = v > act.lo ? v : act.lo; v = v < act.hi ? v : act.hi; }
        py[i * N + j] = v;
      }
  }
};

std::unique_ptr<Op> make_gemm(const OpBuild& b) {
  b.expect_counts(2, 3, 1, 1);
  for (size_t i = 0; i < b.num_inputs(); ++i) if (b.has_input(i)) b.expect_float(i);
  auto op = std::make_unique<GemmOp>();
  const Attrs& at = b.node.attrs;
  op->transA = at.integer("transA", 0) != 0;
  op->transB = at.integer("transB", 0) != 0;
  op->alpha = static_cast<float>(at.num("alpha", 1.0));
  op->beta = static_cast<float>(at.num("beta", 1.0));
  op->isa = b.isa;
  if (at.has("act_lo") || at.has("act_hi"))
    op->act = Activation::clamp(static_cast<float>(at.num("act_lo", -INFINITY)), static_cast<float>(at.num("act_hi", INFINITY)));
  const auto &as = b.in(0).shape, &bs = b.in(1).shape, &ys = b.out(0).shape;
  if (as.size() != 2 || bs.size() != 2 || ys.size() != 2) b.fail("A, B and Y must be 2-D");
  op->M = op->transA ? as[1] : as[0];
  op->K = op->transA ? as[0] : as[1];
  op->N = op->transB ? bs[0] : bs[1];
  size_t kb = op->transB ? bs[1] : bs[0];
  if (kb != op->K) b.fail("inner dimensions differ: A " + shape_str(as) + ", B " + shape_str(bs));
  if (size_t(ys[0]) != op->M || size_t(ys[1]) != op->N) b.fail("output shape " + shape_str(ys) + " is not [M, N]");
  op->a = b.in_id(0);
  op->b = b.in_id(1);
  op->y = b.out_id(0);
  if (b.has_input(2) && op->beta != 0.0f) {
    op->c = b.in_id(2);
    op->c_shape = b.in(2).shape;
    const auto& cs = op->c_shape;
    const size_t cn = shape_numel(cs);
    if (cs.size() > 2) b.fail("C must have rank <= 2");
    const size_t cr = cs.size() == 2 ? cs[0] : 1, cc = cs.empty() ? 1 : cs.back();
    if ((cr != 1 && cr != op->M) || (cc != 1 && cc != op->N))
      b.fail("C of shape " + shape_str(cs) + " does not broadcast to [M, N] = [" + std::to_string(op->M) + "," + std::to_string(op->N) + "]");
    if (cr == 1) op->cmode = GemmOp::ColBias;        // [], [1], [N], [1,N]: one value per column
    else if (cc == 1) op->cmode = GemmOp::RowBias;   // [M,1]: one value per row
    else op->cmode = GemmOp::Full;
    if ((op->cmode == GemmOp::ColBias || op->cmode == GemmOp::RowBias) && b.in(2).is_const) {
      const float* pc = b.const_data<float>(2);
      size_t len = op->cmode == GemmOp::ColBias ? op->N : op->M;
      op->bias.resize(len);
      for (size_t i = 0; i < len; ++i) op->bias[i] = op->beta * pc[cn == 1 ? 0 : i];
      op->bias_const = true;
    }
  }
  if (b.in(1).is_const)
    op->packed = std::make_unique<PackedB>(sgemm_pack_b(b.isa, b.const_data<float>(1), op->transB ? op->K : op->N, op->transB, op->K, op->N));
  return op;
}

struct MatMulOp : Op {
  size_t M, N, K;
  int a, b, y;
  Isa isa;
  std::vector<size_t> a_off, b_off;  // per output batch, element offsets
  std::unique_ptr<PackedB> packed;
  void run(const RunState& rs) const override {
    const float *pa = rs.in<float>(a), *pb = rs.in<float>(b);
    float* py = rs.out<float>(y);
    const size_t batches = a_off.size();
    auto one = [&](size_t i, ThreadPool* pool) {
      SgemmArgs g;
      g.M = M; g.N = N; g.K = K;
      g.A = pa + a_off[i]; g.lda = K;
      g.B = pb + b_off[i]; g.ldb = N;
      g.packedB = packed.get();
      g.C = py + i * M * N; g.ldc = N;
      sgemm(isa, g, pool);
    };
    if (batches > 1 && rs.pool() && M * N * K < (1u << 20)) rs.pool()->parallel_for(batches, [&](size_t i) { one(i, nullptr); });
    else for (size_t i = 0; i < batches; ++i) one(i, rs.pool());
  }
};

std::unique_ptr<Op> make_matmul(const OpBuild& b) {
  b.expect_counts(2, 2, 1, 1);
  b.expect_float(0);
  b.expect_float(1);
  auto op = std::make_unique<MatMulOp>();
  op->isa = b.isa;
  std::vector<int64_t> as = b.in(0).shape, bs = b.in(1).shape;
  if (as.empty() || bs.empty()) b.fail("MatMul inputs must have rank >= 1");
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  op->M = as[as.size() - 2];
  op->K = as.back();
  op->N = bs.back();
  if (size_t(bs[bs.size() - 2]) != op->K) b.fail("inner dimensions differ: " + shape_str(b.in(0).shape) + " x " + shape_str(b.in(1).shape));
  std::vector<int64_t> ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  size_t r = std::max(ab.size(), bb.size());
  ab.insert(ab.begin(), r - ab.size(), 1);
  bb.insert(bb.begin(), r - bb.size(), 1);
  std::vector<int64_t> ob(r);
  for (size_t i = 0; i < r; ++i) {
    if (ab[i] != bb[i] && ab[i] != 1 && bb[i] != 1) b.fail("batch dimensions do not broadcast");
    ob[i] = std::max(ab[i], bb[i]);
  }
  size_t batches = shape_numel(ob);
  if (b.out(0).numel != batches * op->M * op->N) b.fail("output shape " + shape_str(b.out(0).shape) + " does not match");
  // Offsets per output batch.
  for (size_t i = 0; i < batches; ++i) {
    size_t rem = i, ao = 0, bo = 0, astr = op->M * op->K, bstr = op->K * op->N;
    for (size_t d = r; d-- > 0;) {
      size_t idx = rem % ob[d];
      rem /= ob[d];
      if (ab[d] != 1) ao += idx * astr;
      if (bb[d] != 1) bo += idx * bstr;
      astr *= ab[d];
      bstr *= bb[d];
    }
    op->a_off.push_back(ao);
    op->b_off.push_back(bo);
  }
  op->a = b.in_id(0);
  op->b = b.in_id(1);
  op->y = b.out_id(0);
  if (b.in(1).is_const && shape_numel(bb) == 1)
    op->packed = std::make_unique<PackedB>(sgemm_pack_b(b.isa, b.const_data<float>(1), op->N, false, op->K, op->N));
  return op;
}

}  // namespace

void register_gemm_ops(OpTable& t) {
  t.emplace_back("Gemm", make_gemm);
  t.emplace_back("MatMul", make_matmul);
}

}  // namespace npuq
