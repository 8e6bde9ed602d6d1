// MaxPool / AveragePool (1-D as H = 1, 2-D) and GlobalAveragePool / GlobalMaxPool (any spatial rank).
// Attributes after lowering: kernel [kh,kw], strides [2], dilations [2], pads [t,l,b,r],
// count_include_pad. The output shape (ceil_mode) is decided by the compiler and checked here.
#include "engine/ops/ops.h"

namespace npuq {
namespace {

struct PoolOp : Op {
  bool is_max;
  bool count_include_pad = false;
  Pool2dShape s;
  int x, y;
  Isa isa;
  void run(const RunState& rs) const override {
    if (is_max) maxpool2d_f32(isa, s, rs.in<float>(x), rs.out<float>(y), rs.pool());
    else avgpool2d_f32(isa, s, count_include_pad, rs.in<float>(x), rs.out<float>(y), rs.pool());
  }
};

std::unique_ptr<Op> make_pool(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  b.expect_float(0);
  const auto &xs = b.in(0).shape, &ys = b.out(0).shape;
  if (xs.size() != ys.size() || (xs.size() != 3 && xs.size() != 4))
    b.unsupported("only 1-D and 2-D pooling is supported, received input " + shape_str(xs));
  auto op = std::make_unique<PoolOp>();
  op->is_max = b.node.op == "MaxPool";
  op->isa = b.isa;
  const Attrs& a = b.node.attrs;
  auto k = a.ints("kernel"), st = a.ints("strides", {1, 1}), d = a.ints("dilations", {1, 1}), p = a.ints("pads", {0, 0, 0, 0});
  if (k.size() != 2 || st.size() != 2 || d.size() != 2 || p.size() != 4) b.fail("kernel/strides/dilations/pads must be 2/2/2/4 values after lowering");
  for (auto v : k) if (v < 1) b.fail("kernel must be positive");
  for (auto v : st) if (v < 1) b.fail("strides must be positive");
  for (auto v : d) if (v < 1) b.fail("dilations must be positive");
  for (auto v : p) if (v < 0) b.fail("pads must be >= 0");
  Pool2dShape& s = op->s;
  s.N = xs[0]; s.C = xs[1];
  s.H = xs.size() == 4 ? xs[2] : 1; s.W = xs.back();
  s.OH = ys.size() == 4 ? ys[2] : 1; s.OW = ys.back();
  s.KH = k[0]; s.KW = k[1]; s.SH = st[0]; s.SW = st[1]; s.DH = d[0]; s.DW = d[1];
  s.PT = p[0]; s.PL = p[1]; s.PB = p[2]; s.PR = p[3];
  if (size_t(ys[0]) != s.N || size_t(ys[1]) != s.C) b.fail("output batch/channels differ from input");
  // Every output window must start inside the padded input (ceil_mode may add one partial window).
  if ((s.OH - 1) * s.SH >= s.H + s.PT + s.PB || (s.OW - 1) * s.SW >= s.W + s.PL + s.PR)
    b.fail("output shape " + shape_str(ys) + " has windows starting outside the padded input");
  op->count_include_pad = a.integer("count_include_pad", 0) != 0;
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

struct GlobalPoolOp : Op {
  bool is_max;
  size_t nc, hw;
  int x, y;
  Isa isa;
  void run(const RunState& rs) const override {
    if (is_max) global_maxpool_f32(isa, nc, hw, rs.in<float>(x), rs.out<float>(y), rs.pool());
    else global_avgpool_f32(isa, nc, hw, rs.in<float>(x), rs.out<float>(y), rs.pool());
  }
};

std::unique_ptr<Op> make_global_pool(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  b.expect_float(0);
  const auto& xs = b.in(0).shape;
  if (xs.size() < 3) b.fail("input must have rank >= 3");
  auto op = std::make_unique<GlobalPoolOp>();
  op->is_max = b.node.op == "GlobalMaxPool";
  op->isa = b.isa;
  op->nc = size_t(xs[0]) * size_t(xs[1]);
  op->hw = b.in(0).numel / std::max<size_t>(op->nc, 1);
  if (b.out(0).numel != op->nc) b.fail("output must have N*C elements");
  if (op->hw == 0) b.fail("spatial size is zero");
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

}  // namespace

void register_pool_ops(OpTable& t) {
  t.emplace_back("MaxPool", make_pool);
  t.emplace_back("AveragePool", make_pool);
  t.emplace_back("GlobalAveragePool", make_global_pool);
  t.emplace_back("GlobalMaxPool", make_global_pool);
}

}  // namespace npuq
