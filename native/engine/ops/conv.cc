// Conv and ConvTranspose (1-D and 2-D, NCHW). Attributes after lowering: kernel [kh,kw], strides [2],
// dilations [2], pads [top,left,bottom,right], group, and optionally act_lo/act_hi (a fused clamp).
// 1-D tensors [N,C,L] are run as H = 1. Constant weights are prepacked at build time; weights fed at
// run time are packed on each run.
#include <cmath>

#include "engine/ops/ops.h"

namespace npuq {
namespace {

struct ConvAttrs {
  size_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group;
  Activation act;
};

ConvAttrs read_conv_attrs(const OpBuild& b) {
  const Attrs& a = b.node.attrs;
  auto two = [&](const char* k, int64_t def) {
    auto v = a.ints(k, {def, def});
    if (v.size() != 2) b.fail(std::string("attribute ") + k + " must have 2 values after lowering");
    for (auto x : v) if (x < 1) b.fail(std::string("attribute ") + k + " must be positive");
    return v;
  };
  auto k = two("kernel", 1), s = two("strides", 1), d = two("dilations", 1);
  auto p = a.ints("pads", {0, 0, 0, 0});
  if (p.size() != 4) b.fail("pads must have 4 values [top,left,bottom,right] after lowering");
  for (auto x : p) if (x < 0) b.unsupported("negative pads are not supported");
  int64_t g = a.integer("group", 1);
  if (g < 1) b.fail("group must be >= 1");
  ConvAttrs c{size_t(k[0]), size_t(k[1]), size_t(s[0]), size_t(s[1]), size_t(d[0]), size_t(d[1]),
              size_t(p[0]), size_t(p[1]), size_t(p[2]), size_t(p[3]), size_t(g), Activation::none()};
  if (a.has("act_lo") || a.has("act_hi"))
    c.act = Activation::clamp(static_cast<float>(a.num("act_lo", -INFINITY)), static_cast<float>(a.num("act_hi", INFINITY)));
  return c;
}

// [N,C,H,W] or [N,C,L] -> N, C, H, W
void nchw(const OpBuild& b, const std::vector<int64_t>& s, const char* what, size_t* n, size_t* c, size_t* h, size_t* w) {
  if (s.size() == 4) { *n = s[0]; *c = s[1]; *h = s[2]; *w = s[3]; }
  else if (s.size() == 3) { *n = s[0]; *c = s[1]; *h = 1; *w = s[2]; }
  else b.unsupported(std::string(what) + " must be 3-D or 4-D, received " + shape_str(s));
}

struct ConvOp : Op {
  Conv2dShape shape;
  Activation act;
  bool transposed = false;
  Isa isa;
  int x, w, bias = -1, y;
  std::unique_ptr<Conv2dF32> conv;              // constant weights
  std::unique_ptr<ConvTranspose2dF32> deconv;   // constant weights
  size_t x_batch, y_batch;                      // elements per image

  void run(const RunState& rs) const override {
    const float* px = rs.in<float>(x);
    float* py = rs.out<float>(y);
    if (!transposed) {
      if (conv) return conv->run(px, py, rs.pool());
      auto c = Conv2dF32::create(isa, shape, rs.in<float>(w), bias >= 0 ? rs.in<float>(bias) : nullptr, act);
      c->run(px, py, rs.pool());
    } else {
      if (deconv) return deconv->run(px, py, rs.pool());
      auto c = ConvTranspose2dF32::create(isa, shape, rs.in<float>(w), bias >= 0 ? rs.in<float>(bias) : nullptr, act);
      c->run(px, py, rs.pool());
    }
  }
};

std::unique_ptr<Op> make_conv_common(const OpBuild& b, bool transposed) {
  b.expect_counts(2, 3, 1, 1);
  for (size_t i = 0; i < b.num_inputs(); ++i) if (b.has_input(i)) b.expect_float(i);
  b.expect_dtype(b.out(0), DType::Float32, "output");
  ConvAttrs a = read_conv_attrs(b);
  auto op = std::make_unique<ConvOp>();
  op->transposed = transposed;
  op->isa = b.isa;
  op->act = a.act;
  size_t n, c, h, w, n2, m, oh, ow;
  nchw(b, b.in(0).shape, "input", &n, &c, &h, &w);
  nchw(b, b.out(0).shape, "output", &n2, &m, &oh, &ow);
  const auto& ws = b.in(1).shape;
  if (ws.size() != b.in(0).shape.size()) b.fail("weight rank differs from input rank");
  size_t wk_h = ws.size() == 4 ? ws[2] : 1, wk_w = ws.back();
  if (wk_h != a.kh || wk_w != a.kw) b.fail("weight shape " + shape_str(ws) + " does not match kernel attribute");
  if (n2 != n) b.fail("batch size differs between input and output");
  if (c % a.group || m % a.group) b.fail("channels are not divisible by group");
  if (!transposed) {
    if (size_t(ws[0]) != m || size_t(ws[1]) * a.group != c)
      b.fail("weight shape " + shape_str(ws) + " does not match input " + shape_str(b.in(0).shape) + " and group " + std::to_string(a.group));
    int64_t eh = int64_t(h + a.pt + a.pb) - int64_t(a.dh * (a.kh - 1) + 1), ew = int64_t(w + a.pl + a.pr) - int64_t(a.dw * (a.kw - 1) + 1);
    if (eh < 0 || ew < 0 || size_t(eh) / a.sh + 1 != oh || size_t(ew) / a.sw + 1 != ow)
      b.fail("output shape " + shape_str(b.out(0).shape) + " does not follow from input, kernel, strides, dilations and pads");
  } else {
    if (size_t(ws[0]) != c || size_t(ws[1]) * a.group != m)
      b.fail("weight shape " + shape_str(ws) + " does not match input " + shape_str(b.in(0).shape) + " and group " + std::to_string(a.group));
    size_t full_h = (h - 1) * a.sh + a.dh * (a.kh - 1) + 1, full_w = (w - 1) * a.sw + a.dw * (a.kw - 1) + 1;
    if (oh + a.pt > full_h + a.sh || ow + a.pl > full_w + a.sw || oh == 0 || ow == 0)
      b.fail("output shape " + shape_str(b.out(0).shape) + " is inconsistent with the transposed convolution");
  }
  if (b.has_input(2) && b.in(2).numel != m) b.fail("bias must have " + std::to_string(m) + " values");
  Conv2dShape& s = op->shape;
  s.N = n; s.C = c; s.H = h; s.W = w; s.M = m; s.OH = oh; s.OW = ow;
  s.KH = a.kh; s.KW = a.kw; s.SH = a.sh; s.SW = a.sw; s.DH = a.dh; s.DW = a.dw; s.PT = a.pt; s.PL = a.pl; s.G = a.group;
  op->x = b.in_id(0);
  op->w = b.in_id(1);
  op->y = b.out_id(0);
  if (b.has_input(2)) op->bias = b.in_id(2);
  bool consts = b.in(1).is_const && (!b.has_input(2) || b.in(2).is_const);
  if (consts) {
    const float* wp = b.const_data<float>(1);
    const float* bp = b.has_input(2) ? b.const_data<float>(2) : nullptr;
    if (!transposed) op->conv = Conv2dF32::create(b.isa, s, wp, bp, a.act);
    else op->deconv = ConvTranspose2dF32::create(b.isa, s, wp, bp, a.act);
  }
  return op;
}

}  // namespace

void register_conv_ops(OpTable& t) {
  t.emplace_back("Conv", [](const OpBuild& b) { return make_conv_common(b, false); });
  t.emplace_back("ConvTranspose", [](const OpBuild& b) { return make_conv_common(b, true); });
}

}  // namespace npuq
