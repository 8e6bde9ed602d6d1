// Profile-driven quantized engine ops: the chip profile (TypeScript) decides every integer parameter
// and the plan carries them explicitly, so one op serves onnxruntime, TFLite, TPU-MLIR, RKNN ...:
//   QConv     inputs x, w (const), bias (int32/int64, const, optional), rq_scale (float32 [M] or [1]),
//             rq_multiplier (int32), rq_shift (int32), w_zp (int32 [M] or [1]); -1 for absent ones.
//             attrs: Conv window attributes, in_zp, out_zp, qmin, qmax, method, round.
//   QGemm     inputs a, b (const [K,N], or [N,K] with transB=1), bias, rq_scale, rq_multiplier,
//             rq_shift, b_zp; attrs transB, a_zp, out_zp, qmin, qmax, method, round. Per-column requant.
//   QBinary   inputs a, b (broadcast); attrs op (add|sub|mul), method, round, a_zp, b_zp, out_zp, qmin,
//             qmax, left_shift, a_scale/b_scale/out_scale (float_scale) or a_multiplier, a_shift,
//             b_multiplier, b_shift, out_multiplier, out_shift (fixed point, multiplier_shift*),
//             mlas (0|1: onnxruntime MLAS arithmetic, float_scale Add/Mul). See qkernels.h.
//   QMaxPool, QAvgPool  pool attributes as MaxPool/AveragePool + zp, round (avg).
//   QGlobalAvgPool      attrs in_zp, out_zp, qmin, qmax, method, round, scale (or in_scale and out_scale:
//                       scale = in_scale / (out_scale * H*W) in float32) or multiplier/shift.
//   Lut       inputs x, table (const, 256 or 65536 entries of the output type).
//   Requantize inputs x (int32/int64 accumulators or another quantized type), requant as QGemm per
//             tensor; for boundaries between precisions.
// method: float_scale | fixed_point_double | fixed_point_single | multiplier_shift |
//         multiplier_shift_float | shift_only.  round: the ten modes of rounding.h in snake_case.
#include <cmath>
#include <cstring>

#include "engine/broadcast.h"
#include "engine/ops/ops.h"
#include "engine/ops/qtypes.h"

namespace npuq {
namespace {

QType need_q(const OpBuild& b, const TensorDesc& t, const char* what, bool allow32 = false) {
  QType q;
  if (!qtype_of(t.dtype, &q) || (q == QType::S32 && !allow32))
    b.unsupported(std::string(what) + " of type " + dtype_name(int(t.dtype)) + " is not a supported quantized type");
  return q;
}

Round parse_round(const OpBuild& b, const std::string& s) {
  Round r;
  if (!round_from_name(s, &r)) b.fail("unknown rounding mode \"" + s + "\"");
  return r;
}

RequantMethod parse_method(const OpBuild& b, const std::string& s) {
  if (s == "float_scale") return RequantMethod::FloatScale;
  if (s == "fixed_point_double") return RequantMethod::FixedPointDouble;
  if (s == "fixed_point_single") return RequantMethod::FixedPointSingle;
  if (s == "multiplier_shift") return RequantMethod::MultiplierShift;
  if (s == "multiplier_shift_float") return RequantMethod::MultiplierShiftFloat;
  if (s == "shift_only") return RequantMethod::ShiftOnly;
  b.fail("unknown requant method \"" + s + "\"");
}

template <class T> std::vector<T> const_vec(const OpBuild& b, size_t i) {
  if (!b.has_input(i)) return {};
  const TensorDesc& t = b.in(i);
  if (!t.is_const) b.fail("input " + std::to_string(i) + " must be a constant");
  if (dtype_size(int(t.dtype)) != sizeof(T)) b.fail("input " + std::to_string(i) + " has an unexpected element type");
  const T* p = reinterpret_cast<const T*>(t.data->data());
  return std::vector<T>(p, p + t.numel);
}

// Requant from attrs (method, round, out_zp, qmin, qmax) and inputs (scale, multiplier, shift).
Requant read_requant(const OpBuild& b, size_t scale_in, size_t mult_in, size_t shift_in, size_t channels, QType out) {
  const Attrs& a = b.node.attrs;
  Requant r;
  r.method = parse_method(b, a.str("method"));
  r.round = parse_round(b, a.str("round", "half_to_even"));
  r.zero_point = int32_t(a.integer("out_zp", 0));
  r.qmin = int32_t(a.integer("qmin", qtype_min(out)));
  r.qmax = int32_t(a.integer("qmax", qtype_max(out)));
  if (r.qmin < qtype_min(out) || r.qmax > qtype_max(out) || r.qmin > r.qmax) b.fail("qmin/qmax must lie within the output type");
  size_t n = 0;
  if (r.method == RequantMethod::FloatScale) {
    r.scale = const_vec<float>(b, scale_in);
    n = r.scale.size();
  } else {
    if (r.method != RequantMethod::ShiftOnly) r.multiplier = const_vec<int32_t>(b, mult_in);
    r.shift = const_vec<int32_t>(b, shift_in);
    n = r.shift.size();
    if (r.method != RequantMethod::ShiftOnly && r.multiplier.size() != n) b.fail("rq_multiplier and rq_shift differ in size");
  }
  if (n != 1 && n != channels) b.fail("requant parameters must have 1 or " + std::to_string(channels) + " entries, received " + std::to_string(n));
  r.per_channel = n != 1;
  return r;
}

std::vector<int32_t> zero_points(const OpBuild& b, size_t in, size_t channels) {
  std::vector<int32_t> z = const_vec<int32_t>(b, in);
  if (z.empty()) z.push_back(0);
  if (z.size() != 1 && z.size() != channels) b.fail("weight zero points must have 1 or " + std::to_string(channels) + " entries");
  return z;
}

std::vector<int64_t> bias_of(const OpBuild& b, size_t in, size_t channels) {
  if (!b.has_input(in)) return {};
  std::vector<int64_t> v;
  const TensorDesc& t = b.in(in);
  if (t.dtype == DType::Int32) for (int32_t x : const_vec<int32_t>(b, in)) v.push_back(x);
  else if (t.dtype == DType::Int64) v = const_vec<int64_t>(b, in);
  else b.unsupported("the bias must be int32 or int64");
  if (v.size() != channels) b.fail("the bias must have " + std::to_string(channels) + " entries");
  return v;
}

struct QConvOp : Op {
  std::unique_ptr<QConv2d> conv;
  int x, y;
  void run(const RunState& rs) const override { conv->run(rs.in<uint8_t>(x), rs.out<uint8_t>(y), rs.pool()); }
};

std::unique_ptr<Op> make_qconv(const OpBuild& b) {
  b.expect_counts(2, 7, 1, 1);
  const Attrs& a = b.node.attrs;
  QConv2dParams p;
  p.in_type = need_q(b, b.in(0), "input");
  p.w_type = need_q(b, b.in(1), "weight");
  p.out_type = need_q(b, b.out(0), "output");
  const auto &xs = b.in(0).shape, &ys = b.out(0).shape;
  if (xs.size() != ys.size() || (xs.size() != 3 && xs.size() != 4)) b.unsupported("only 1-D and 2-D convolutions are supported");
  auto k = a.ints("kernel"), st = a.ints("strides", {1, 1}), d = a.ints("dilations", {1, 1}), pads = a.ints("pads", {0, 0, 0, 0});
  if (k.size() != 2 || st.size() != 2 || d.size() != 2 || pads.size() != 4) b.fail("kernel/strides/dilations/pads must have 2/2/2/4 values");
  const bool one_d = xs.size() == 3;
  p.N = xs[0]; p.C = xs[1]; p.H = one_d ? 1 : xs[2]; p.W = xs.back();
  p.M = ys[1]; p.OH = one_d ? 1 : ys[2]; p.OW = ys.back();
  p.KH = k[0]; p.KW = k[1]; p.SH = st[0]; p.SW = st[1]; p.DH = d[0]; p.DW = d[1]; p.PT = pads[0]; p.PL = pads[1];
  p.G = size_t(a.integer("group", 1));
  p.in_zp = int32_t(a.integer("in_zp", 0));
  p.w_zp = zero_points(b, 6, p.M);
  p.bias = bias_of(b, 2, p.M);
  p.requant = read_requant(b, 3, 4, 5, p.M, p.out_type);
  if (!b.in(1).is_const) b.fail("the weight must be a constant");
  // The kernels read M * C/G * KH * KW weights: the weight tensor must hold exactly that many.
  if (k[0] < 1 || k[1] < 1 || a.integer("group", 1) < 1 || p.C % p.G || b.in(1).numel != p.M * (p.C / p.G) * p.KH * p.KW)
    b.fail("weight shape " + shape_str(b.in(1).shape) + " does not match the kernel, the input channels and the group");
  auto op = std::make_unique<QConvOp>();
  op->conv = QConv2d::create(b.isa, p, b.in(1).data->data());
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

struct QGemmOp : Op {
  std::unique_ptr<QGemm> gemm;
  int a, y;
  void run(const RunState& rs) const override { gemm->run(rs.in<uint8_t>(a), rs.out<uint8_t>(y), rs.pool()); }
};

std::unique_ptr<Op> make_qgemm(const OpBuild& b) {
  b.expect_counts(2, 7, 1, 1);
  const Attrs& at = b.node.attrs;
  QGemmParams p;
  p.a_type = need_q(b, b.in(0), "A");
  p.b_type = need_q(b, b.in(1), "B");
  p.out_type = need_q(b, b.out(0), "output");
  p.transB = at.integer("transB", 0) != 0;
  const auto &as = b.in(0).shape, &bs = b.in(1).shape;
  if (as.size() != 2 || bs.size() != 2) b.fail("A and B must be 2-D");
  p.M = as[0]; p.K = as[1]; p.N = p.transB ? bs[0] : bs[1];
  if (size_t(p.transB ? bs[1] : bs[0]) != p.K) b.fail("inner dimensions differ");
  if (b.out(0).numel != p.M * p.N) b.fail("the output must be [M, N]");
  p.a_zp = int32_t(at.integer("a_zp", 0));
  p.b_zp = zero_points(b, 6, p.N);
  p.bias = bias_of(b, 2, p.N);
  p.requant = read_requant(b, 3, 4, 5, p.N, p.out_type);
  if (!b.in(1).is_const) b.fail("B must be a constant");
  auto op = std::make_unique<QGemmOp>();
  op->gemm = QGemm::create(b.isa, p, b.in(1).data->data());
  op->a = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

// Rows of at most kMaxSpreadRow elements against one value each ([N,C,H,W] op [N,C,1,1] on maps up to
// 16x16: the scales of squeeze-excitation blocks) are computed as one elementwise run per block of
// kScalarRowsBlock elements, the scalar side spread into a buffer first, instead of one kernel call
// per row (test/native/test_qbinary_op.cc). digits_mobilenetv2's SE Mul, 16 images: on 4x4 maps
// 96 -> 22 us (53 us with the parameters decoded once but a call per row), on 8x8 78 -> 34 us.
constexpr size_t kMaxSpreadRow = 256, kScalarRowsBlock = 4096;

struct QBinaryOpImpl : Op {
  QBinaryParams p;
  std::unique_ptr<Broadcast> bc;
  std::unique_ptr<QBinaryKernel> kernel;  // p decoded for the broadcast's run strides
  std::unique_ptr<QBinaryKernel> spread;  // for short rows against a scalar: strides 1 and 1
  int scalar_side = -1;                   // which input holds one value per row (spread), else -1
  size_t ea, eb, ey;
  int a, b, y;
  void run(const RunState& rs) const override {
    const uint8_t *pa = rs.in<uint8_t>(a), *pb = rs.in<uint8_t>(b);
    uint8_t* py = rs.out<uint8_t>(y);
    if (scalar_side >= 0) return run_spread(pa, pb, py, rs.pool());
    bc->for_each_run(rs.pool(), [&](size_t o, const size_t* off, size_t n) {
      kernel->run(n, pa + off[0] * ea, pb + off[1] * eb, py + o * ey);
    });
  }
  void run_spread(const uint8_t* pa, const uint8_t* pb, uint8_t* py, ThreadPool* pool) const {
    const size_t len = bc->run_length(), rows = bc->runs(), per = std::max<size_t>(1, kScalarRowsBlock / len);
    const size_t blocks = (rows + per - 1) / per;
    const bool a_full = scalar_side == 1;
    const size_t es = a_full ? eb : ea, ef = a_full ? ea : eb;
    const uint8_t* full = a_full ? pa : pb;
    const uint8_t* scalars = a_full ? pb : pa;
    auto block = [&](size_t k) {
      static thread_local std::vector<uint8_t> buf;
      const size_t r0 = k * per, nr = std::min(per, rows - r0);
      buf.resize(nr * len * es);
      for (size_t r = 0; r < nr; ++r) {
        const uint8_t* v = scalars + (r0 + r) * es;
        if (es == 1) {
          std::memset(buf.data() + r * len, *v, len);
        } else {
          for (size_t i = 0; i < len; ++i) std::memcpy(buf.data() + (r * len + i) * 2, v, 2);
        }
      }
      const uint8_t* f = full + r0 * len * ef;
      spread->run(nr * len, a_full ? f : buf.data(), a_full ? buf.data() : f, py + r0 * len * ey);
    };
    if (pool && blocks > 1 && rows * len >= 16384) pool->parallel_for(blocks, block);
    else for (size_t k = 0; k < blocks; ++k) block(k);
  }
};

std::unique_ptr<Op> make_qbinary(const OpBuild& b) {
  b.expect_counts(2, 2, 1, 1);
  const Attrs& at = b.node.attrs;
  auto op = std::make_unique<QBinaryOpImpl>();
  QBinaryParams& p = op->p;
  const std::string kind = at.str("op");
  p.op = kind == "add" ? QBinaryOp::Add : kind == "sub" ? QBinaryOp::Sub : kind == "mul" ? QBinaryOp::Mul : (b.fail("op must be add, sub or mul"), QBinaryOp::Add);
  p.a_type = need_q(b, b.in(0), "A");
  p.b_type = need_q(b, b.in(1), "B");
  p.out_type = need_q(b, b.out(0), "output");
  p.a_zp = int32_t(at.integer("a_zp", 0));
  p.b_zp = int32_t(at.integer("b_zp", 0));
  p.left_shift = int(at.integer("left_shift", 20));
  p.mlas = at.integer("mlas", 0) != 0;
  Requant& o = p.out_requant;
  o.method = parse_method(b, at.str("method"));
  o.round = parse_round(b, at.str("round", "half_to_even"));
  o.zero_point = int32_t(at.integer("out_zp", 0));
  o.qmin = int32_t(at.integer("qmin", qtype_min(p.out_type)));
  o.qmax = int32_t(at.integer("qmax", qtype_max(p.out_type)));
  if (o.method == RequantMethod::FloatScale) {
    o.scale = {float(at.num("out_scale"))};
    p.a_requant.scale = {float(at.num("a_scale", 1))};
    p.b_requant.scale = {float(at.num("b_scale", 1))};
    for (float sc : {o.scale[0], p.a_requant.scale[0], p.b_requant.scale[0]})
      if (!(sc > 0.0f) || !std::isfinite(sc)) b.fail("scales must be positive and finite, received " + std::to_string(sc));
  } else {
    o.multiplier = {int32_t(at.integer("out_multiplier"))};
    o.shift = {int32_t(at.integer("out_shift"))};
    if (p.op != QBinaryOp::Mul) {
      p.a_requant.multiplier = {int32_t(at.integer("a_multiplier"))};
      p.a_requant.shift = {int32_t(at.integer("a_shift"))};
      p.b_requant.multiplier = {int32_t(at.integer("b_multiplier"))};
      p.b_requant.shift = {int32_t(at.integer("b_shift"))};
    }
  }
  op->ea = qtype_size(p.a_type);
  op->eb = qtype_size(p.b_type);
  op->ey = qtype_size(p.out_type);
  op->bc = std::make_unique<Broadcast>(b.out(0).shape, std::vector<std::vector<int64_t>>{b.in(0).shape, b.in(1).shape});
  op->a = b.in_id(0);
  op->b = b.in_id(1);
  op->y = b.out_id(0);
  // Validates the parameters (throws invalid_argument as qbinary_run does).
  op->kernel = std::make_unique<QBinaryKernel>(b.isa, p, op->bc->run_stride(0), op->bc->run_stride(1));
  if (op->bc->run_length() <= kMaxSpreadRow && op->bc->runs() > 1) {
    op->scalar_side = op->bc->rows_with_scalar(0, 1) ? 1 : op->bc->rows_with_scalar(1, 0) ? 0 : -1;
    if (op->scalar_side >= 0) op->spread = std::make_unique<QBinaryKernel>(b.isa, p, 1, 1);
  }
  return op;
}

struct QPoolOp : Op {
  bool is_max;
  QPool2dParams p;
  int x, y;
  Isa isa;
  void run(const RunState& rs) const override {
    if (is_max) qmaxpool2d(isa, p, rs.in<uint8_t>(x), rs.out<uint8_t>(y), rs.pool());
    else qavgpool2d(isa, p, rs.in<uint8_t>(x), rs.out<uint8_t>(y), rs.pool());
  }
};

std::unique_ptr<Op> make_qpool(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  const Attrs& a = b.node.attrs;
  auto op = std::make_unique<QPoolOp>();
  op->is_max = b.node.op == "QMaxPool";
  op->isa = b.isa;
  QPool2dParams& p = op->p;
  p.type = need_q(b, b.in(0), "input");
  if (b.out(0).dtype != b.in(0).dtype) b.fail("input and output types differ");
  const auto &xs = b.in(0).shape, &ys = b.out(0).shape;
  if (xs.size() != ys.size() || (xs.size() != 3 && xs.size() != 4)) b.unsupported("only 1-D and 2-D pooling is supported");
  auto k = a.ints("kernel"), st = a.ints("strides", {1, 1}), d = a.ints("dilations", {1, 1}), pads = a.ints("pads", {0, 0, 0, 0});
  if (k.size() != 2 || st.size() != 2 || d.size() != 2 || pads.size() != 4) b.fail("kernel/strides/dilations/pads must have 2/2/2/4 values");
  p.N = xs[0]; p.C = xs[1]; p.H = xs.size() == 4 ? xs[2] : 1; p.W = xs.back();
  p.OH = ys.size() == 4 ? ys[2] : 1; p.OW = ys.back();
  p.KH = k[0]; p.KW = k[1]; p.SH = st[0]; p.SW = st[1]; p.DH = d[0]; p.DW = d[1];
  p.PT = pads[0]; p.PL = pads[1]; p.PB = pads[2]; p.PR = pads[3];
  p.zp = int32_t(a.integer("zp", 0));
  p.count_include_pad = a.integer("count_include_pad", 0) != 0;
  p.round = parse_round(b, a.str("round", "half_to_even"));
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

struct QGlobalAvgOp : Op {
  size_t nc, hw;
  QType in, out;
  int32_t in_zp;
  Requant r;
  int x, y;
  Isa isa;
  void run(const RunState& rs) const override {
    qglobal_avgpool(isa, nc, hw, in, in_zp, r, out, rs.in<uint8_t>(x), rs.out<uint8_t>(y), rs.pool());
  }
};

std::unique_ptr<Op> make_qglobal_avg(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  const Attrs& a = b.node.attrs;
  auto op = std::make_unique<QGlobalAvgOp>();
  op->in = need_q(b, b.in(0), "input");
  op->out = need_q(b, b.out(0), "output");
  const auto& xs = b.in(0).shape;
  if (xs.size() < 3) b.fail("input must have rank >= 3");
  op->nc = size_t(xs[0]) * size_t(xs[1]);
  op->hw = b.in(0).numel / std::max<size_t>(op->nc, 1);
  op->in_zp = int32_t(a.integer("in_zp", 0));
  Requant& r = op->r;
  r.method = parse_method(b, a.str("method"));
  r.round = parse_round(b, a.str("round", "half_to_even"));
  r.zero_point = int32_t(a.integer("out_zp", 0));
  r.qmin = int32_t(a.integer("qmin", qtype_min(op->out)));
  r.qmax = int32_t(a.integer("qmax", qtype_max(op->out)));
  if (r.method == RequantMethod::FloatScale) {
    // Either the ratio itself, or in_scale and out_scale, from which it is derived for this input's
    // H*W as onnxruntime's QLinearGlobalAveragePool does: float32 in / (out * float32(H*W)).
    r.scale = {a.has("in_scale") ? float(a.num("in_scale")) / (float(a.num("out_scale")) * float(op->hw)) : float(a.num("scale"))};
  }
  else {
    r.multiplier = {int32_t(a.integer("multiplier", 1))};
    r.shift = {int32_t(a.integer("shift"))};
  }
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  op->isa = b.isa;
  return op;
}

struct LutOp : Op {
  size_t n;
  bool wide, is_signed;
  int x, table, y;
  void run(const RunState& rs) const override {
    // Element ranges over the pool (each element looked up alone: any split gives the same bytes).
    const size_t es = wide ? 2 : 1;
    const uint8_t* px = rs.in<uint8_t>(x);
    uint8_t* py = rs.out<uint8_t>(y);
    parallel_ranges(rs.pool(), n, elementwise_chunks(rs.pool(), n), [&](size_t s, size_t e) {
      if (wide) lut_16(e - s, reinterpret_cast<const uint16_t*>(px + s * es), rs.in<uint16_t>(table), reinterpret_cast<uint16_t*>(py + s * es));
      else if (is_signed) lut_s8(e - s, reinterpret_cast<const int8_t*>(px + s), rs.in<int8_t>(table), reinterpret_cast<int8_t*>(py + s));
      else lut_u8(e - s, px + s, rs.in<uint8_t>(table), py + s);
    });
  }
};

std::unique_ptr<Op> make_lut(const OpBuild& b) {
  b.expect_counts(2, 2, 1, 1);
  QType in = need_q(b, b.in(0), "input"), out = need_q(b, b.out(0), "output");
  if (qtype_size(in) != qtype_size(out)) b.unsupported("a lookup table maps a type to one of the same width");
  auto op = std::make_unique<LutOp>();
  op->wide = qtype_size(in) == 2;
  op->is_signed = in == QType::S8;
  if (b.in(1).numel != (op->wide ? 65536u : 256u) || b.in(1).dtype != b.out(0).dtype || !b.in(1).is_const)
    b.fail("the table must be a constant of the output type with 256 (8-bit) or 65536 (16-bit) entries");
  if (b.in(0).numel != b.out(0).numel) b.fail("input and output sizes differ");
  op->n = b.in(0).numel;
  op->x = b.in_id(0);
  op->table = b.in_id(1);
  op->y = b.out_id(0);
  return op;
}

// Requantize: integer tensor (any quantized type or int32/int64 accumulators) to another quantized
// type, per tensor, with the QGemm requant attributes/inputs (inputs x, rq_scale, rq_multiplier, rq_shift).
struct RequantizeOp : Op {
  Requant r;
  DType in;
  QType out;
  int32_t in_zp;
  size_t n;
  int x, y;
  void run(const RunState& rs) const override {
    const uint8_t* px = rs.in<uint8_t>(x);
    uint8_t* py = rs.out<uint8_t>(y);
    for (size_t i = 0; i < n; ++i) {
      int64_t v;
      switch (in) {
        case DType::Uint8: v = px[i]; break;
        case DType::Int8: v = reinterpret_cast<const int8_t*>(px)[i]; break;
        case DType::Uint16: v = reinterpret_cast<const uint16_t*>(px)[i]; break;
        case DType::Int16: v = reinterpret_cast<const int16_t*>(px)[i]; break;
        case DType::Int32: v = reinterpret_cast<const int32_t*>(px)[i]; break;
        default: v = reinterpret_cast<const int64_t*>(px)[i]; break;
      }
      const int32_t q = requantize(v - in_zp, r, 0);
      switch (out) {
        case QType::U8: py[i] = uint8_t(q); break;
        case QType::S8: reinterpret_cast<int8_t*>(py)[i] = int8_t(q); break;
        case QType::U16: reinterpret_cast<uint16_t*>(py)[i] = uint16_t(q); break;
        case QType::S16: reinterpret_cast<int16_t*>(py)[i] = int16_t(q); break;
        case QType::S32: reinterpret_cast<int32_t*>(py)[i] = q; break;
      }
    }
  }
};

std::unique_ptr<Op> make_requantize(const OpBuild& b) {
  b.expect_counts(1, 4, 1, 1);
  auto op = std::make_unique<RequantizeOp>();
  op->in = b.in(0).dtype;
  QType tmp;
  if (!qtype_of(op->in, &tmp) && op->in != DType::Int64) b.unsupported("the input must be an integer type");
  op->out = need_q(b, b.out(0), "output", true);
  op->r = read_requant(b, 1, 2, 3, 1, op->out);
  op->in_zp = int32_t(b.node.attrs.integer("in_zp", 0));
  if (b.in(0).numel != b.out(0).numel) b.fail("input and output sizes differ");
  op->n = b.in(0).numel;
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

template <class F> OpFactory guarded(F f) {
  return [f](const OpBuild& b) -> std::unique_ptr<Op> {
    try {
      return f(b);
    } catch (const std::invalid_argument& e) {
      b.fail(e.what());
    }
  };
}

}  // namespace

void register_qops(OpTable& t) {
  t.emplace_back("QConv", guarded(make_qconv));
  t.emplace_back("QGemm", guarded(make_qgemm));
  t.emplace_back("QBinary", guarded(make_qbinary));
  t.emplace_back("QMaxPool", guarded(make_qpool));
  t.emplace_back("QAvgPool", guarded(make_qpool));
  t.emplace_back("QGlobalAvgPool", guarded(make_qglobal_avg));
  t.emplace_back("Lut", guarded(make_lut));
  t.emplace_back("Requantize", guarded(make_requantize));
}

}  // namespace npuq
