// ONNX quantization operators on the integer kernels: QuantizeLinear, DequantizeLinear,
// DynamicQuantizeLinear, QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger. Their arithmetic is
// onnxruntime's: float32 requantization scale x_scale * w_scale / y_scale, round half to even.
// Scales, zero points and weights known at build time are prepared once; otherwise per run.
#include <cmath>
#include <cstring>

#include "engine/ops/ops.h"
#include "engine/ops/qtypes.h"

namespace npuq {
namespace {

QType need_qtype(const OpBuild& b, const TensorDesc& t, const char* what) {
  QType q;
  if (!qtype_of(t.dtype, &q)) b.unsupported(std::string(what) + " of type " + dtype_name(int(t.dtype)) + " is not supported");
  return q;
}

// Per-axis layout of a tensor: outer x channels x inner.
struct AxisSplit {
  size_t outer = 1, channels = 1, inner = 1;
};
AxisSplit split_axis(const std::vector<int64_t>& shape, int64_t axis, size_t params, const OpBuild& b) {
  AxisSplit s;
  if (params <= 1) {
    s.inner = shape_numel(shape);
    return s;
  }
  if (axis < 0) axis += int64_t(shape.size());
  if (axis < 0 || axis >= int64_t(shape.size())) b.fail("axis is out of range");
  if (size_t(shape[axis]) != params) b.fail("per-axis scale has " + std::to_string(params) + " values for an axis of size " + std::to_string(shape[axis]));
  for (int64_t d = 0; d < axis; ++d) s.outer *= shape[d];
  s.channels = shape[axis];
  for (size_t d = size_t(axis) + 1; d < shape.size(); ++d) s.inner *= shape[d];
  return s;
}

struct QuantizeOp : Op {
  bool dequantize = false;
  QType qt;
  DType zp_type = DType::Uint8;
  AxisSplit split;
  Round round = Round::HalfToEven;  // QuantizeLinear: ONNX rounds half to even; emulation graphs may set `round`
  int x, scale, zp = -1, y;
  Isa isa;
  void run(const RunState& rs) const override {
    const float* ps = rs.in<float>(scale);
    const uint8_t* pz = zp >= 0 ? rs.in<uint8_t>(zp) : nullptr;
    const size_t es = qtype_size(qt);
    // Elements [b, e) of row r (one scale and zero point).
    auto part = [&](size_t r, size_t b, size_t e) {
      const size_t c = r % split.channels, off = r * split.inner + b;
      const float s = ps[c];
      const int32_t z = pz ? load_int(zp_type, pz, c) : 0;
      if (dequantize) dequantize_f32(isa, e - b, rs.in<uint8_t>(x) + off * es, qt, s, z, rs.out<float>(y) + off);
      else quantize_f32(isa, e - b, rs.in<float>(x) + off, s, z, round, qt, rs.out<uint8_t>(y) + off * es);
    };
    // Over the pool: element ranges of a per-tensor quantization, else ranges of rows. Every element is
    // converted alone, so any split gives the same values. (PP-OCRv4 det's analysis at 2 threads:
    // QuantizeLinear 27 ms per batch, not less than at 1 thread, before this.)
    const size_t rows = split.outer * split.channels;
    const size_t chunks = elementwise_chunks(rs.pool(), rows * split.inner);
    if (rows == 1) return parallel_ranges(rs.pool(), split.inner, chunks, [&](size_t b, size_t e) { part(0, b, e); });
    parallel_ranges(rs.pool(), rows, chunks, [&](size_t r0, size_t r1) {
      for (size_t r = r0; r < r1; ++r) part(r, 0, split.inner);
    });
  }
};

std::unique_ptr<Op> make_quantize(const OpBuild& b, bool dequantize) {
  b.expect_counts(2, 3, 1, 1);
  auto op = std::make_unique<QuantizeOp>();
  op->dequantize = dequantize;
  op->isa = b.isa;
  const TensorDesc& q = dequantize ? b.in(0) : b.out(0);
  op->qt = need_qtype(b, q, dequantize ? "x" : "y");
  b.expect_dtype(dequantize ? b.out(0) : b.in(0), DType::Float32, dequantize ? "output" : "input");
  b.expect_dtype(b.in(1), DType::Float32, "scale");
  if (b.has_input(2)) {
    op->zp = b.in_id(2);
    op->zp_type = b.in(2).dtype;
    if (b.in(2).dtype != q.dtype) b.fail("zero point type differs from the quantized type");
    if (b.in(2).numel != b.in(1).numel) b.fail("zero point and scale differ in size");
  }
  op->split = split_axis(b.in(0).shape, b.node.attrs.integer("axis", 1), b.in(1).numel, b);
  const std::string round = b.node.attrs.str("round", "half_to_even");
  if (!round_from_name(round, &op->round)) b.fail("unknown rounding mode \"" + round + "\"");
  op->x = b.in_id(0);
  op->scale = b.in_id(1);
  op->y = b.out_id(0);
  return op;
}

// DynamicQuantizeLinear: uint8, range [min(0, x), max(0, x)], scale = range / 255,
// zp = saturate(round_half_even(-min / scale)), y = saturate(round_half_even(x / scale) + zp).
struct DynQuantOp : Op {
  size_t n;
  int x, y, ys, yz;
  Isa isa;
  void run(const RunState& rs) const override {
    const float* px = rs.in<float>(x);
    float lo = 0, hi = 0;
    for (size_t i = 0; i < n; ++i) { lo = std::min(lo, px[i]); hi = std::max(hi, px[i]); }
    float scale = (hi - lo) / 255.0f;
    int32_t zp = 0;
    if (scale == 0.0f) scale = 1.0f;  // all zeros: any scale gives zeros; onnxruntime behaves the same
    zp = static_cast<int32_t>(clamp_i64(int64_t(round_mode(double(-lo / scale), Round::HalfToEven)), 0, 255));
    *rs.out<float>(ys) = (hi - lo) / 255.0f;
    *rs.out<uint8_t>(yz) = uint8_t(zp);
    quantize_f32(isa, n, px, scale, zp, Round::HalfToEven, QType::U8, rs.out<uint8_t>(y));
  }
};

std::unique_ptr<Op> make_dynamic_quantize(const OpBuild& b) {
  b.expect_counts(1, 1, 3, 3);
  b.expect_float(0);
  auto op = std::make_unique<DynQuantOp>();
  op->n = b.in(0).numel;
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  op->ys = b.out_id(1);
  op->yz = b.out_id(2);
  op->isa = b.isa;
  return op;
}

}  // namespace

void register_quant_ops(OpTable& t) {
  t.emplace_back("QuantizeLinear", [](const OpBuild& b) { return make_quantize(b, false); });
  t.emplace_back("DequantizeLinear", [](const OpBuild& b) { return make_quantize(b, true); });
  t.emplace_back("DynamicQuantizeLinear", make_dynamic_quantize);
}

}  // namespace npuq
