// Reduce{Mean,Sum,Max,Min,Prod,SumSquare,L1,L2,LogSum,LogSumExp} over a set of axes (attribute
// `axes`, normalized and non-empty after lowering). Accumulates in double, in input index order.
#include <cmath>

#include "engine/ops/ops.h"

namespace npuq {
namespace {

enum class Red { Mean, Sum, Max, Min, Prod, SumSquare, L1, L2, LogSum, LogSumExp };

struct ReduceOp : Op {
  Red kind;
  std::vector<int64_t> dims;       // input dims
  std::vector<size_t> out_stride;  // per input dim, 0 for reduced axes
  size_t out_n, count;
  int x, y;

  void run(const RunState& rs) const override {
    const float* px = rs.in<float>(x);
    float* py = rs.out<float>(y);
    const size_t r = dims.size();
    std::vector<double> acc(out_n), mx;
    double init = 0;
    if (kind == Red::Max) init = -INFINITY;
    if (kind == Red::Min) init = INFINITY;
    if (kind == Red::Prod) init = 1;
    std::fill(acc.begin(), acc.end(), init);
    auto walk = [&](auto&& fn) {
      std::vector<int64_t> idx(r, 0);
      size_t o = 0, total = shape_numel(dims);
      for (size_t i = 0; i < total; ++i) {
        fn(o, static_cast<double>(px[i]));
        for (size_t d = r; d-- > 0;) {
          ++idx[d];
          o += out_stride[d];
          if (idx[d] < dims[d]) break;
          o -= out_stride[d] * idx[d];
          idx[d] = 0;
        }
      }
    };
    if (kind == Red::LogSumExp) {
      mx.assign(out_n, -INFINITY);
      walk([&](size_t o, double v) { if (v > mx[o]) mx[o] = v; });
    }
    walk([&](size_t o, double v) {
      switch (kind) {
        case Red::Mean: case Red::Sum: case Red::LogSum: acc[o] += v; break;
        case Red::Max: if (v > acc[o] || std::isnan(v)) acc[o] = v; break;
        case Red::Min: if (v < acc[o] || std::isnan(v)) acc[o] = v; break;
        case Red::Prod: acc[o] *= v; break;
        case Red::SumSquare: case Red::L2: acc[o] += v * v; break;
        case Red::L1: acc[o] += std::fabs(v); break;
        case Red::LogSumExp: acc[o] += std::exp(v - (std::isinf(mx[o]) ? 0 : mx[o])); break;
      }
    });
    for (size_t o = 0; o < out_n; ++o) {
      double v = acc[o];
      switch (kind) {
        case Red::Mean: v = count ? v / double(count) : NAN; break;
        case Red::L2: v = std::sqrt(v); break;
        case Red::LogSum: v = std::log(v); break;
        case Red::LogSumExp: v = std::log(v) + (std::isinf(mx[o]) ? 0 : mx[o]); break;
        default: break;
      }
      py[o] = static_cast<float>(v);
    }
  }
};

const std::vector<std::pair<const char*, Red>>& reduce_names() {
  static const std::vector<std::pair<const char*, Red>> v = {
      {"ReduceMean", Red::Mean}, {"ReduceSum", Red::Sum}, {"ReduceMax", Red::Max}, {"ReduceMin", Red::Min},
      {"ReduceProd", Red::Prod}, {"ReduceSumSquare", Red::SumSquare}, {"ReduceL1", Red::L1},
      {"ReduceL2", Red::L2}, {"ReduceLogSum", Red::LogSum}, {"ReduceLogSumExp", Red::LogSumExp}};
  return v;
}

std::unique_ptr<Op> make_reduce(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  b.expect_float(0);
  auto op = std::make_unique<ReduceOp>();
  for (const auto& kv : reduce_names()) if (b.node.op == kv.first) op->kind = kv.second;
  op->dims = b.in(0).shape;
  const size_t r = op->dims.size();
  std::vector<bool> red(r, false);
  for (int64_t a : b.node.attrs.ints("axes")) {
    if (a < 0) a += r;
    if (a < 0 || a >= int64_t(r)) b.fail("axis out of range");
    red[a] = true;
  }
  op->out_stride.assign(r, 0);
  size_t s = 1;
  op->count = 1;
  for (size_t d = r; d-- > 0;) {
    if (red[d]) { op->count *= op->dims[d]; continue; }
    op->out_stride[d] = s;
    s *= op->dims[d];
  }
  op->out_n = s;
  if (b.out(0).numel != op->out_n) b.fail("output shape " + shape_str(b.out(0).shape) + " does not match the reduced shape");
  if (op->count == 0 && (op->kind == Red::Max || op->kind == Red::Min)) b.fail("reducing an empty axis with Max/Min");
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

}  // namespace

void register_reduce_ops(OpTable& t) {
  for (const auto& kv : reduce_names()) t.emplace_back(kv.first, make_reduce);
}

}  // namespace npuq
