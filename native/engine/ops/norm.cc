// Normalizations and softmax: BatchNormalization (inference), LayerNormalization,
// InstanceNormalization, Softmax, LogSoftmax. Statistics are accumulated in double.
#include <cmath>

#include "engine/ops/ops.h"

namespace npuq {
namespace {

struct BatchNormOp : Op {
  size_t N, C, inner;
  float eps;
  int x, y, sc, bi, mean, var;
  std::vector<float> scale, shift;  // folded when the parameters are constant
  Isa isa;
  static void fold(size_t C, float eps, const float* s, const float* b, const float* m, const float* v, float* scale, float* shift) {
    for (size_t c = 0; c < C; ++c) {
      float inv_std = 1.0f / std::sqrt(v[c] + eps);
      scale[c] = s[c] * inv_std;
      shift[c] = b[c] - m[c] * scale[c];
    }
  }
  void run(const RunState& rs) const override {
    if (!scale.empty()) return channel_affine_f32(isa, N, C, inner, rs.in<float>(x), scale.data(), shift.data(), rs.out<float>(y), rs.pool());
    std::vector<float> s(C), t(C);
    fold(C, eps, rs.in<float>(sc), rs.in<float>(bi), rs.in<float>(mean), rs.in<float>(var), s.data(), t.data());
    channel_affine_f32(isa, N, C, inner, rs.in<float>(x), s.data(), t.data(), rs.out<float>(y), rs.pool());
  }
};

std::unique_ptr<Op> make_batchnorm(const OpBuild& b) {
  b.expect_counts(5, 5, 1, 1);
  for (size_t i = 0; i < 5; ++i) b.expect_float(i);
  const auto& xs = b.in(0).shape;
  if (xs.size() < 2) b.fail("input must have rank >= 2");
  if (b.out(0).shape != xs) b.fail("output shape differs from input shape");
  auto op = std::make_unique<BatchNormOp>();
  op->N = xs[0];
  op->C = xs[1];
  op->inner = b.in(0).numel / std::max<size_t>(1, op->N * op->C);
  for (size_t i = 1; i < 5; ++i) if (b.in(i).numel != op->C) b.fail("scale, B, mean and var must have C = " + std::to_string(op->C) + " values");
  op->eps = static_cast<float>(b.node.attrs.num("epsilon", 1e-5));
  op->isa = b.isa;
  op->x = b.in_id(0); op->sc = b.in_id(1); op->bi = b.in_id(2); op->mean = b.in_id(3); op->var = b.in_id(4);
  op->y = b.out_id(0);
  bool consts = true;
  for (size_t i = 1; i < 5; ++i) consts = consts && b.in(i).is_const;
  if (consts) {
    op->scale.resize(op->C);
    op->shift.resize(op->C);
    BatchNormOp::fold(op->C, op->eps, b.const_data<float>(1), b.const_data<float>(2), b.const_data<float>(3), b.const_data<float>(4), op->scale.data(), op->shift.data());
  }
  return op;
}

// LayerNormalization / InstanceNormalization share one loop: normalize `groups` rows of `n` values,
// then apply scale/bias indexed by param_index(row, i).
struct NormRowsOp : Op {
  bool instance = false;
  size_t rows, n, C = 1;
  float eps;
  int x, y, sc, bi = -1, mean_out = -1, inv_out = -1;
  size_t sc_n, bi_n;
  void run(const RunState& rs) const override {
    const float* px = rs.in<float>(x);
    float* py = rs.out<float>(y);
    const float* ps = rs.in<float>(sc);
    const float* pb = bi >= 0 ? rs.in<float>(bi) : nullptr;
    float* pm = mean_out >= 0 ? rs.out<float>(mean_out) : nullptr;
    float* pi = inv_out >= 0 ? rs.out<float>(inv_out) : nullptr;
    parallel_ranges(rs.pool(), rows, rows >= 8 ? 8 : 1, [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r) {
        const float* xr = px + r * n;
        float* yr = py + r * n;
        double sum = 0, sq = 0;
        for (size_t i = 0; i < n; ++i) sum += xr[i];
        const double mean = sum / double(n);
        for (size_t i = 0; i < n; ++i) { double d = xr[i] - mean; sq += d * d; }
        const float inv = static_cast<float>(1.0 / std::sqrt(sq / double(n) + double(eps)));
        const float m = static_cast<float>(mean);
        if (pm) pm[r] = m;
        if (pi) pi[r] = inv;
        for (size_t i = 0; i < n; ++i) {
          size_t pidx = instance ? (r % C) : i;
          float s = ps[sc_n == 1 ? 0 : pidx], t = pb ? pb[bi_n == 1 ? 0 : pidx] : 0.0f;
          yr[i] = (xr[i] - m) * inv * s + t;
        }
      }
    });
  }
};

std::unique_ptr<Op> make_layernorm(const OpBuild& b) {
  b.expect_counts(2, 3, 1, 3);
  b.expect_float(0);
  const auto& xs = b.in(0).shape;
  int64_t axis = b.node.attrs.integer("axis", -1);
  if (axis < 0) axis += xs.size();
  if (axis < 0 || axis >= int64_t(xs.size())) b.fail("axis is out of range");
  auto op = std::make_unique<NormRowsOp>();
  op->rows = 1;
  for (int64_t i = 0; i < axis; ++i) op->rows *= xs[i];
  op->n = b.in(0).numel / std::max<size_t>(op->rows, 1);
  op->eps = static_cast<float>(b.node.attrs.num("epsilon", 1e-5));
  op->x = b.in_id(0); op->y = b.out_id(0); op->sc = b.in_id(1);
  op->sc_n = b.in(1).numel;
  if (op->sc_n != op->n && op->sc_n != 1) b.unsupported("Scale must have the normalized shape");
  if (b.has_input(2)) {
    op->bi = b.in_id(2);
    op->bi_n = b.in(2).numel;
    if (op->bi_n != op->n && op->bi_n != 1) b.unsupported("B must have the normalized shape");
  }
  for (size_t i = 1; i < b.num_inputs(); ++i) if (b.has_input(i)) b.expect_float(i);
  b.expect_dtype(b.out(0), DType::Float32, "output");
  if (b.out(0).numel != b.in(0).numel) b.fail("output size differs from input size");
  if (b.num_outputs() > 1 && b.node.outputs[1] >= 0) { op->mean_out = b.out_id(1); b.expect_dtype(b.out(1), DType::Float32, "Mean output"); }
  if (b.num_outputs() > 2 && b.node.outputs[2] >= 0) { op->inv_out = b.out_id(2); b.expect_dtype(b.out(2), DType::Float32, "InvStdDev output"); }
  for (int id : {op->mean_out, op->inv_out})
    if (id >= 0 && b.plan.tensors[id].numel != op->rows) b.fail("Mean and InvStdDev outputs must have one value per row");
  return op;
}

std::unique_ptr<Op> make_instancenorm(const OpBuild& b) {
  b.expect_counts(3, 3, 1, 1);
  for (size_t i = 0; i < 3; ++i) b.expect_float(i);
  const auto& xs = b.in(0).shape;
  if (xs.size() < 3) b.fail("input must have rank >= 3");
  auto op = std::make_unique<NormRowsOp>();
  op->instance = true;
  op->C = xs[1];
  op->rows = size_t(xs[0]) * op->C;
  op->n = b.in(0).numel / std::max<size_t>(op->rows, 1);
  if (b.in(1).numel != op->C || b.in(2).numel != op->C) b.fail("scale and B must have C values");
  op->sc_n = op->bi_n = op->C;
  b.expect_dtype(b.out(0), DType::Float32, "output");
  if (b.out(0).numel != b.in(0).numel) b.fail("output size differs from input size");
  op->eps = static_cast<float>(b.node.attrs.num("epsilon", 1e-5));
  op->x = b.in_id(0); op->sc = b.in_id(1); op->bi = b.in_id(2); op->y = b.out_id(0);
  return op;
}

struct SoftmaxOp : Op {
  bool log = false;
  size_t outer, n, inner;
  int x, y;
  void run(const RunState& rs) const override {
    const float* px = rs.in<float>(x);
    float* py = rs.out<float>(y);
    parallel_ranges(rs.pool(), outer, outer >= 4 ? 8 : 1, [&](size_t o0, size_t o1) {
      for (size_t o = o0; o < o1; ++o)
        for (size_t j = 0; j < inner; ++j) {
          const float* xr = px + o * n * inner + j;
          float* yr = py + o * n * inner + j;
          float mx = -INFINITY;
          for (size_t i = 0; i < n; ++i) mx = std::max(mx, xr[i * inner]);
          double sum = 0;
          for (size_t i = 0; i < n; ++i) {
            float e = std::exp(xr[i * inner] - mx);
            if (!log) yr[i * inner] = e;
            sum += e;
          }
          if (log) {
            float ls = static_cast<float>(std::log(sum));
            for (size_t i = 0; i < n; ++i) yr[i * inner] = xr[i * inner] - mx - ls;
          } else {
            float inv = static_cast<float>(1.0 / sum);
            for (size_t i = 0; i < n; ++i) yr[i * inner] *= inv;
          }
        }
    });
  }
};

// axis (normalized); legacy = 1 for opset < 13 (input coerced to 2-D at axis).
std::unique_ptr<Op> make_softmax(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  b.expect_float(0);
  const auto& xs = b.in(0).shape;
  int64_t axis = b.node.attrs.integer("axis", -1);
  if (axis < 0) axis += xs.size();
  if (xs.empty() || axis < 0 || axis >= int64_t(xs.size())) b.fail("axis is out of range");
  bool legacy = b.node.attrs.integer("legacy", 0) != 0;
  auto op = std::make_unique<SoftmaxOp>();
  op->log = b.node.op == "LogSoftmax";
  op->outer = 1;
  for (int64_t i = 0; i < axis; ++i) op->outer *= xs[i];
  op->n = legacy ? b.in(0).numel / std::max<size_t>(op->outer, 1) : size_t(xs[axis]);
  op->inner = legacy ? 1 : b.in(0).numel / std::max<size_t>(op->outer * op->n, 1);
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

}  // namespace

void register_norm_ops(OpTable& t) {
  t.emplace_back("BatchNormalization", make_batchnorm);
  t.emplace_back("LayerNormalization", make_layernorm);
  t.emplace_back("InstanceNormalization", make_instancenorm);
  t.emplace_back("Softmax", make_softmax);
  t.emplace_back("LogSoftmax", make_softmax);
}

}  // namespace npuq
