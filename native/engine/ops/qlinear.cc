// QLinearConv / ConvInteger (2-D and 1-D as H = 1) and QLinearMatMul / MatMulInteger on the integer
// kernels of qkernels.h. Requantization as onnxruntime does it: per output channel float32 scale
// x_scale * w_scale[m] / y_scale, round half to even, + y_zero_point, saturate.
#include <cmath>

#include "engine/ops/ops.h"
#include "engine/ops/qtypes.h"

namespace npuq {
namespace {

// 8- and 16-bit operand types (accumulator outputs are handled by the callers).
bool to_qtype(DType d, QType* q) { return qtype_of(d, q) && *q != QType::S32; }

int32_t read_int(const TensorDesc& t, const uint8_t* p, size_t i) { return load_int(t.dtype, p, i); }

// Input slots of the two conv-like and matmul-like families.
struct Slots {
  int x, xs = -1, xz = -1, w, ws = -1, wz = -1, ys = -1, yz = -1, bias = -1;
  bool integer_only;  // ConvInteger / MatMulInteger: int32 accumulators out
};

Slots slots_for(const OpBuild& b) {
  Slots s;
  s.integer_only = b.node.op == "ConvInteger" || b.node.op == "MatMulInteger";
  // QLinearMatMul has no bias slot: a 9th input would be read as one (without being checked).
  if (s.integer_only) b.expect_counts(2, 4, 1, 1);
  else b.expect_counts(8, b.node.op == "QLinearMatMul" ? 8 : 9, 1, 1);
  auto opt = [&](size_t i) { return b.has_input(i) ? b.in_id(i) : -1; };
  if (s.integer_only) {
    s.x = b.in_id(0); s.w = b.in_id(1); s.xz = opt(2); s.wz = opt(3);
  } else {
    s.x = b.in_id(0); s.xs = b.in_id(1); s.xz = opt(2); s.w = b.in_id(3); s.ws = b.in_id(4); s.wz = opt(5);
    s.ys = b.in_id(6); s.yz = opt(7); s.bias = opt(8);
  }
  return s;
}

// Everything derived from scales, zero points and bias, for M output channels.
struct QuantArgs {
  int32_t x_zp = 0;
  std::vector<int32_t> w_zp;
  std::vector<int64_t> bias;
  Requant req;
};

QuantArgs quant_args(const PlanDesc& plan, const Slots& s, size_t M, QType out_type,
                     const std::function<const uint8_t*(int)>& data) {
  QuantArgs q;
  if (s.xz >= 0) {
    const TensorDesc& t = plan.tensors[s.xz];
    if (t.numel != 1) throw EngineError("UNSUPPORTED", "a per-row input zero point is not supported");
    q.x_zp = read_int(t, data(s.xz), 0);
  }
  if (s.wz >= 0) {
    const TensorDesc& t = plan.tensors[s.wz];
    for (size_t m = 0; m < t.numel; ++m) q.w_zp.push_back(read_int(t, data(s.wz), m));
    if (t.numel != 1 && t.numel != M) throw EngineError("INVALID_PLAN", "the weight zero point must have 1 or M values");
  } else {
    q.w_zp.push_back(0);
  }
  if (s.bias >= 0) {
    const int32_t* pb = reinterpret_cast<const int32_t*>(data(s.bias));
    if (plan.tensors[s.bias].numel != M || plan.tensors[s.bias].dtype != DType::Int32)
      throw EngineError("INVALID_PLAN", "the bias must have M int32 values");
    q.bias.assign(pb, pb + M);
  }
  if (s.integer_only) {
    // ConvInteger / MatMulInteger: the requantization is the identity saturated to int32 (shift 0, the
    // whole int32 range, S32 out), so run() writes saturate<int32_t>(accumulator) through the tier's
    // requantization kernel, no int64 copy.
    q.req.method = RequantMethod::ShiftOnly;
    q.req.shift = {0};
    q.req.qmin = INT32_MIN;
    q.req.qmax = INT32_MAX;
    return q;
  }
  // Scales are float32 (xs, ys one value, ws 1 or M values), the output zero point one value.
  for (int id : {s.xs, s.ys, s.ws})
    if (plan.tensors[id].dtype != DType::Float32) throw EngineError("INVALID_PLAN", "the scales must be float32");
  if (plan.tensors[s.xs].numel != 1 || plan.tensors[s.ys].numel != 1 || (s.yz >= 0 && plan.tensors[s.yz].numel != 1))
    throw EngineError("UNSUPPORTED", "the input and output scales and zero points must be single values");
  const float xs = *reinterpret_cast<const float*>(data(s.xs));
  const float ys = *reinterpret_cast<const float*>(data(s.ys));
  const TensorDesc& wst = plan.tensors[s.ws];
  if (wst.numel != 1 && wst.numel != M) throw EngineError("INVALID_PLAN", "the weight scale must have 1 or M values");
  const float* ws = reinterpret_cast<const float*>(data(s.ws));
  q.req.method = RequantMethod::FloatScale;
  q.req.round = Round::HalfToEven;
  q.req.per_channel = wst.numel != 1;
  for (size_t m = 0; m < wst.numel; ++m) q.req.scale.push_back(xs * ws[m] / ys);
  q.req.zero_point = s.yz >= 0 ? read_int(plan.tensors[s.yz], data(s.yz), 0) : 0;
  q.req.qmin = qtype_min(out_type);
  q.req.qmax = qtype_max(out_type);
  return q;
}

bool all_const(const PlanDesc& plan, std::initializer_list<int> ids) {
  for (int id : ids)
    if (id >= 0 && !plan.tensors[id].is_const) return false;
  return true;
}

struct QConvOp : Op {
  Slots s;
  QConv2dParams p;  // without quantization args when they are read per run
  std::unique_ptr<QConv2d> conv;
  int y;
  Isa isa;
  const PlanDesc* plan;

  std::unique_ptr<QConv2d> build(const std::function<const uint8_t*(int)>& data) const {
    QConv2dParams q = p;
    QuantArgs a = quant_args(*plan, s, p.M, p.out_type, data);
    q.in_zp = a.x_zp;
    q.w_zp = a.w_zp;
    q.bias = a.bias;
    q.requant = a.req;
    return QConv2d::create(isa, q, data(s.w));
  }
  void run(const RunState& rs) const override {
    std::unique_ptr<QConv2d> tmp;
    const QConv2d* c = conv.get();
    if (!c) {
      try {
        tmp = build([&](int id) { return rs.in<uint8_t>(id); });
      } catch (const std::invalid_argument& e) {
        throw EngineError("INVALID_DATA", e.what());
      }
      c = tmp.get();
    }
    c->run(rs.in<uint8_t>(s.x), rs.out<uint8_t>(y), rs.pool());  // ConvInteger too (see quant_args)
  }
};

std::unique_ptr<Op> make_qconv(const OpBuild& b) {
  auto op = std::make_unique<QConvOp>();
  op->s = slots_for(b);
  op->plan = &b.plan;
  op->isa = b.isa;
  const TensorDesc &x = b.plan.tensors[op->s.x], &w = b.plan.tensors[op->s.w], &y = b.out(0);
  QConv2dParams& p = op->p;
  if (!to_qtype(x.dtype, &p.in_type) || !to_qtype(w.dtype, &p.w_type)) b.unsupported("input and weight must be 8- or 16-bit integers");
  if (op->s.integer_only) {
    b.expect_dtype(y, DType::Int32, "output");
    p.out_type = QType::S32;
  } else if (!to_qtype(y.dtype, &p.out_type)) {
    b.unsupported("output must be an 8- or 16-bit integer");
  }
  const auto &xs = x.shape, &ws = w.shape, &ysh = y.shape;
  if (xs.size() != ws.size() || (xs.size() != 3 && xs.size() != 4) || ysh.size() != xs.size()) b.unsupported("only 1-D and 2-D convolutions are supported");
  const Attrs& a = b.node.attrs;
  auto k = a.ints("kernel"), st = a.ints("strides", {1, 1}), d = a.ints("dilations", {1, 1}), pads = a.ints("pads", {0, 0, 0, 0});
  if (k.size() != 2 || st.size() != 2 || d.size() != 2 || pads.size() != 4) b.fail("kernel/strides/dilations/pads must have 2/2/2/4 values after lowering");
  const bool one_d = xs.size() == 3;
  p.N = xs[0]; p.C = xs[1]; p.H = one_d ? 1 : xs[2]; p.W = xs.back();
  p.M = ysh[1]; p.OH = one_d ? 1 : ysh[2]; p.OW = ysh.back();
  p.KH = k[0]; p.KW = k[1]; p.SH = st[0]; p.SW = st[1]; p.DH = d[0]; p.DW = d[1]; p.PT = pads[0]; p.PL = pads[1];
  p.G = size_t(a.integer("group", 1));
  if (size_t(ws[0]) != p.M) b.fail("weight shape " + shape_str(ws) + " does not match the output channels");
  // The kernels read M * C/G * KH * KW weights: the weight tensor must hold exactly that many.
  if (k[0] < 1 || k[1] < 1 || a.integer("group", 1) < 1 || p.C % p.G || w.numel != p.M * (p.C / p.G) * p.KH * p.KW)
    b.fail("weight shape " + shape_str(ws) + " does not match the kernel, the input channels and the group");
  op->y = b.out_id(0);
  const Slots& s = op->s;
  if (all_const(b.plan, {s.xs, s.xz, s.w, s.ws, s.wz, s.ys, s.yz, s.bias})) {
    try {
      op->conv = op->build([&](int id) { return b.plan.tensors[id].data->data(); });
    } catch (const EngineError& e) {
      b.fail(e.what());
    }
  }
  return op;
}

struct QMatMulOp : Op {
  Slots s;
  QGemmParams p;
  std::vector<size_t> a_off, b_off;  // per batch, in elements
  std::vector<std::unique_ptr<QGemm>> gemms;  // per distinct B slice when constant
  int y;
  size_t a_es, b_es, y_es;
  Isa isa;
  const PlanDesc* plan;

  std::unique_ptr<QGemm> build(const std::function<const uint8_t*(int)>& data, size_t b_elem_off) const {
    QGemmParams q = p;
    QuantArgs a = quant_args(*plan, s, p.N, p.out_type, data);
    q.a_zp = a.x_zp;
    q.b_zp = a.w_zp;
    q.bias = a.bias;
    q.requant = a.req;
    return QGemm::create(isa, q, data(s.w) + b_elem_off * b_es);
  }
  void run(const RunState& rs) const override {
    const size_t batches = a_off.size(), MN = p.M * p.N;
    for (size_t i = 0; i < batches; ++i) {
      std::unique_ptr<QGemm> tmp;
      const QGemm* g;
      if (!gemms.empty()) {
        g = gemms[gemms.size() == 1 ? 0 : i].get();
      } else {
        try {
          tmp = build([&](int id) { return rs.in<uint8_t>(id); }, b_off[i]);
        } catch (const std::invalid_argument& e) {
          throw EngineError("INVALID_DATA", e.what());
        }
        g = tmp.get();
      }
      const uint8_t* pa = rs.in<uint8_t>(s.x) + a_off[i] * a_es;
      g->run(pa, rs.out<uint8_t>(y) + i * MN * y_es, rs.pool());  // MatMulInteger too (see quant_args)
    }
  }
};

std::unique_ptr<Op> make_qmatmul(const OpBuild& b) {
  auto op = std::make_unique<QMatMulOp>();
  op->s = slots_for(b);
  op->plan = &b.plan;
  op->isa = b.isa;
  const TensorDesc &at = b.plan.tensors[op->s.x], &bt = b.plan.tensors[op->s.w], &yt = b.out(0);
  QGemmParams& p = op->p;
  if (!to_qtype(at.dtype, &p.a_type) || !to_qtype(bt.dtype, &p.b_type)) b.unsupported("A and B must be 8- or 16-bit integers");
  if (op->s.integer_only) {
    b.expect_dtype(yt, DType::Int32, "output");
    p.out_type = QType::S32;
  } else if (!to_qtype(yt.dtype, &p.out_type)) {
    b.unsupported("the output must be an 8- or 16-bit integer");
  }
  op->a_es = qtype_size(p.a_type);
  op->b_es = qtype_size(p.b_type);
  op->y_es = qtype_size(p.out_type);
  std::vector<int64_t> as = at.shape, bs = bt.shape;
  if (as.empty() || bs.empty()) b.fail("inputs must have rank >= 1");
  if (as.size() == 1) as.insert(as.begin(), 1);
  if (bs.size() == 1) bs.push_back(1);
  p.M = as[as.size() - 2];
  p.K = as.back();
  p.N = bs.back();
  if (size_t(bs[bs.size() - 2]) != p.K) b.fail("inner dimensions differ");
  std::vector<int64_t> ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  size_t r = std::max(ab.size(), bb.size());
  ab.insert(ab.begin(), r - ab.size(), 1);
  bb.insert(bb.begin(), r - bb.size(), 1);
  size_t batches = 1;
  std::vector<int64_t> ob(r);
  for (size_t i = 0; i < r; ++i) {
    if (ab[i] != bb[i] && ab[i] != 1 && bb[i] != 1) b.fail("batch dimensions do not broadcast");
    ob[i] = std::max(ab[i], bb[i]);
    batches *= size_t(ob[i]);
  }
  if (yt.numel != batches * p.M * p.N) b.fail("output shape mismatch");
  for (size_t i = 0; i < batches; ++i) {
    size_t rem = i, ao = 0, bo = 0, astr = p.M * p.K, bstr = p.K * p.N;
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
  op->y = b.out_id(0);
  const Slots& s = op->s;
  if (all_const(b.plan, {s.xs, s.xz, s.w, s.ws, s.wz, s.ys, s.yz})) {
    auto data = [&](int id) { return b.plan.tensors[id].data->data(); };
    try {
      const bool shared_b = shape_numel(bb) == 1;
      for (size_t i = 0; i < (shared_b ? 1 : batches); ++i) op->gemms.push_back(op->build(data, op->b_off[i]));
    } catch (const EngineError& e) {
      b.fail(e.what());
    }
  }
  return op;
}

}  // namespace

void register_qlinear_ops(OpTable& t) {
  t.emplace_back("QLinearConv", make_qconv);
  t.emplace_back("ConvInteger", make_qconv);
  t.emplace_back("QLinearMatMul", make_qmatmul);
  t.emplace_back("MatMulInteger", make_qmatmul);
}

}  // namespace npuq
