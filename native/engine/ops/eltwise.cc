// Elementwise ops: unary float activations, broadcasting binary arithmetic (float through the SIMD
// kernels, int32/int64 in scalar), comparisons, Where, Expand, and Copy (Reshape & co.).
#include <cmath>
#include <cstring>
#include <map>

#include "engine/broadcast.h"
#include "engine/ops/ops.h"

namespace npuq {
namespace {

// ---------------------------------------------------------------- unary
struct UnaryF32 : Op {
  UnaryOp op;
  float alpha = 0, beta = 0;
  int x, y, lo_id = -1, hi_id = -1;
  size_t n;
  Isa isa;
  void run(const RunState& rs) const override {
    float a = alpha, b = beta;
    if (lo_id >= 0) a = *rs.in<float>(lo_id);
    if (hi_id >= 0) b = *rs.in<float>(hi_id);
    const float* px = rs.in<float>(x);
    float* py = rs.out<float>(y);
    parallel_ranges(rs.pool(), n, elementwise_chunks(rs.pool(), n), [&](size_t s, size_t e) { unary_f32(isa, op, a, b, e - s, px + s, py + s); });
  }
};

const std::map<std::string, UnaryOp>& unary_names() {
  static const std::map<std::string, UnaryOp> m = {
      {"Relu", UnaryOp::Relu}, {"LeakyRelu", UnaryOp::LeakyRelu}, {"Clip", UnaryOp::Clip},
      {"Sigmoid", UnaryOp::Sigmoid}, {"HardSigmoid", UnaryOp::HardSigmoid}, {"HardSwish", UnaryOp::HardSwish},
      {"Tanh", UnaryOp::Tanh}, {"Exp", UnaryOp::Exp}, {"Log", UnaryOp::Log}, {"Sqrt", UnaryOp::Sqrt},
      {"Neg", UnaryOp::Neg}, {"Abs", UnaryOp::Abs}, {"Erf", UnaryOp::Erf}, {"Reciprocal", UnaryOp::Reciprocal},
      {"Floor", UnaryOp::Floor}, {"Ceil", UnaryOp::Ceil}, {"Round", UnaryOp::Round}, {"Elu", UnaryOp::Elu},
      {"Selu", UnaryOp::Selu}, {"Softplus", UnaryOp::Softplus}, {"Gelu", UnaryOp::Gelu}};
  return m;
}

std::unique_ptr<Op> make_unary(const OpBuild& b) {
  auto op = std::make_unique<UnaryF32>();
  op->op = unary_names().at(b.node.op);
  op->isa = b.isa;
  if (b.node.op == "Clip") {
    b.expect_counts(1, 3, 1, 1);
    op->alpha = static_cast<float>(b.node.attrs.num("lo", -INFINITY));
    op->beta = static_cast<float>(b.node.attrs.num("hi", INFINITY));
    for (size_t i = 1; i < 3; ++i) {
      if (!b.has_input(i)) continue;
      b.expect_float(i);
      if (b.in(i).numel != 1) b.fail("min and max must be scalars");
      (i == 1 ? op->lo_id : op->hi_id) = b.in_id(i);
    }
  } else {
    b.expect_counts(1, 1, 1, 1);
    op->alpha = static_cast<float>(b.node.attrs.num("alpha", 0));
    op->beta = static_cast<float>(b.node.attrs.num("beta", 0));
  }
  b.expect_float(0);
  b.expect_dtype(b.out(0), DType::Float32, "output");
  if (b.in(0).shape != b.out(0).shape) b.fail("output shape differs from input shape");
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  op->n = b.in(0).numel;
  return op;
}

// ---------------------------------------------------------------- binary
template <class T>
T int_binary(BinaryOp op, T a, T b) {
  switch (op) {
    case BinaryOp::Add: return static_cast<T>(a + b);
    case BinaryOp::Sub: return static_cast<T>(a - b);
    case BinaryOp::Mul: return static_cast<T>(a * b);
    case BinaryOp::Div:
      if (b == 0) throw EngineError("INVALID_DATA", "integer division by zero");
      return static_cast<T>(a / b);
    case BinaryOp::Max: return a > b ? a : b;
    case BinaryOp::Min: return a < b ? a : b;
    case BinaryOp::Pow: return static_cast<T>(std::pow(static_cast<double>(a), static_cast<double>(b)));
    case BinaryOp::PRelu: return a > 0 ? a : static_cast<T>(a * b);
  }
  return a;
}

struct BinaryOpImpl : Op {
  BinaryOp op;
  DType dtype;
  int a, b, y;
  std::unique_ptr<Broadcast> bc;
  bool rows = false;  // bc->rows_with_scalar(0, 1)
  Isa isa;
  void run(const RunState& rs) const override {
    const size_t sa = bc->run_stride(0), sb = bc->run_stride(1);
    if (dtype == DType::Float32) {
      const float *pa = rs.in<float>(a), *pb = rs.in<float>(b);
      float* py = rs.out<float>(y);
      // Many short runs against one value each (squeeze-and-excitation scales on 4x4 maps): one call.
      if (rows) return binary_rows_f32(isa, op, bc->runs(), bc->run_length(), pa, pb, py, rs.pool());
      bc->for_each_run(rs.pool(), [&](size_t o, const size_t* off, size_t n) {
        binary_f32(isa, op, n, pa + off[0], sa, pb + off[1], sb, py + o);
      });
    } else if (dtype == DType::Int64) {
      run_int<int64_t>(rs, sa, sb);
    } else {
      run_int<int32_t>(rs, sa, sb);
    }
  }
  template <class T> void run_int(const RunState& rs, size_t sa, size_t sb) const {
    const T *pa = rs.in<T>(a), *pb = rs.in<T>(b);
    T* py = rs.out<T>(y);
    bc->for_each_run(nullptr, [&](size_t o, const size_t* off, size_t n) {
      for (size_t i = 0; i < n; ++i) py[o + i] = int_binary<T>(op, pa[off[0] + i * sa], pb[off[1] + i * sb]);
    });
  }
};

const std::map<std::string, BinaryOp>& binary_names() {
  static const std::map<std::string, BinaryOp> m = {
      {"Add", BinaryOp::Add}, {"Sub", BinaryOp::Sub}, {"Mul", BinaryOp::Mul}, {"Div", BinaryOp::Div},
      {"Max", BinaryOp::Max}, {"Min", BinaryOp::Min}, {"Pow", BinaryOp::Pow}, {"PRelu", BinaryOp::PRelu}};
  return m;
}

std::unique_ptr<Op> make_binary(const OpBuild& b) {
  b.expect_counts(2, 2, 1, 1);
  auto op = std::make_unique<BinaryOpImpl>();
  op->op = binary_names().at(b.node.op);
  op->dtype = b.in(0).dtype;
  op->isa = b.isa;
  if (op->dtype != DType::Float32 && op->dtype != DType::Int32 && op->dtype != DType::Int64)
    b.unsupported(std::string("elementwise arithmetic on ") + dtype_name(static_cast<int>(op->dtype)) + " is not supported (float32, int32, int64 are)");
  if (op->op == BinaryOp::Pow && op->dtype != DType::Float32) b.unsupported("Pow supports float32 only");
  if (b.in(1).dtype != op->dtype || b.out(0).dtype != op->dtype) b.unsupported("inputs of different types are not supported");
  op->a = b.in_id(0);
  op->b = b.in_id(1);
  op->y = b.out_id(0);
  op->bc = std::make_unique<Broadcast>(b.out(0).shape, std::vector<std::vector<int64_t>>{b.in(0).shape, b.in(1).shape});
  op->rows = op->dtype == DType::Float32 && op->bc->rows_with_scalar(0, 1);
  return op;
}

// ---------------------------------------------------------------- comparisons, logic, Where
template <class T> bool compare(const std::string& op, T a, T b) {
  if (op == "Equal") return a == b;
  if (op == "Less") return a < b;
  if (op == "Greater") return a > b;
  if (op == "LessOrEqual") return a <= b;
  return a >= b;  // GreaterOrEqual
}

struct CompareImpl : Op {
  std::string op;
  DType dtype;
  int a, b, y;
  std::unique_ptr<Broadcast> bc;
  template <class T> void go(const RunState& rs) const {
    const T *pa = rs.in<T>(a), *pb = rs.in<T>(b);
    uint8_t* py = rs.out<uint8_t>(y);
    size_t sa = bc->run_stride(0), sb = bc->run_stride(1);
    bc->for_each_run(nullptr, [&](size_t o, const size_t* off, size_t n) {
      for (size_t i = 0; i < n; ++i) py[o + i] = compare<T>(op, pa[off[0] + i * sa], pb[off[1] + i * sb]);
    });
  }
  void run(const RunState& rs) const override {
    switch (dtype) {
      case DType::Float32: go<float>(rs); break;
      case DType::Int32: go<int32_t>(rs); break;
      case DType::Int64: go<int64_t>(rs); break;
      default: go<uint8_t>(rs); break;
    }
  }
};

std::unique_ptr<Op> make_compare(const OpBuild& b) {
  b.expect_counts(2, 2, 1, 1);
  auto op = std::make_unique<CompareImpl>();
  op->op = b.node.op;
  op->dtype = b.in(0).dtype;
  if (op->dtype != DType::Float32 && op->dtype != DType::Int32 && op->dtype != DType::Int64 && op->dtype != DType::Bool)
    b.unsupported("comparison inputs must be float32, int32, int64 or bool");
  if (b.in(1).dtype != op->dtype) b.fail("both inputs must have the same type");
  b.expect_dtype(b.out(0), DType::Bool, "output");
  op->a = b.in_id(0);
  op->b = b.in_id(1);
  op->y = b.out_id(0);
  op->bc = std::make_unique<Broadcast>(b.out(0).shape, std::vector<std::vector<int64_t>>{b.in(0).shape, b.in(1).shape});
  return op;
}

// Where, Expand and Copy move elements of any type: byte-wise by element size.
struct WhereImpl : Op {
  int c, x, yv, out;
  size_t es;
  std::unique_ptr<Broadcast> bc;
  void run(const RunState& rs) const override {
    const uint8_t* pc = rs.in<uint8_t>(c);
    const uint8_t *px = rs.in<uint8_t>(x), *py = rs.in<uint8_t>(yv);
    uint8_t* po = rs.out<uint8_t>(out);
    size_t s0 = bc->run_stride(0), s1 = bc->run_stride(1), s2 = bc->run_stride(2);
    bc->for_each_run(rs.pool(), [&](size_t o, const size_t* off, size_t n) {
      for (size_t i = 0; i < n; ++i) {
        const uint8_t* src = pc[off[0] + i * s0] ? px + (off[1] + i * s1) * es : py + (off[2] + i * s2) * es;
        std::memcpy(po + (o + i) * es, src, es);
      }
    });
  }
};

std::unique_ptr<Op> make_where(const OpBuild& b) {
  b.expect_counts(3, 3, 1, 1);
  b.expect_dtype(b.in(0), DType::Bool, "condition");
  if (b.in(1).dtype != b.in(2).dtype || b.out(0).dtype != b.in(1).dtype) b.fail("X, Y and the output must have the same type");
  auto op = std::make_unique<WhereImpl>();
  op->c = b.in_id(0);
  op->x = b.in_id(1);
  op->yv = b.in_id(2);
  op->out = b.out_id(0);
  op->es = dtype_size(static_cast<int>(b.out(0).dtype));
  op->bc = std::make_unique<Broadcast>(b.out(0).shape, std::vector<std::vector<int64_t>>{b.in(0).shape, b.in(1).shape, b.in(2).shape});
  return op;
}

struct ExpandImpl : Op {
  int x, y;
  size_t es;
  std::unique_ptr<Broadcast> bc;
  void run(const RunState& rs) const override {
    const uint8_t* px = rs.in<uint8_t>(x);
    uint8_t* py = rs.out<uint8_t>(y);
    size_t s = bc->run_stride(0);
    bc->for_each_run(rs.pool(), [&](size_t o, const size_t* off, size_t n) {
      if (s == 1) {
        std::memcpy(py + o * es, px + off[0] * es, n * es);
      } else {
        for (size_t i = 0; i < n; ++i) std::memcpy(py + (o + i) * es, px + off[0] * es, es);
      }
    });
  }
};

std::unique_ptr<Op> make_expand(const OpBuild& b) {
  b.expect_counts(1, 2, 1, 1);
  if (b.in(0).dtype != b.out(0).dtype) b.fail("output type differs from input type");
  auto op = std::make_unique<ExpandImpl>();
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  op->es = dtype_size(static_cast<int>(b.out(0).dtype));
  op->bc = std::make_unique<Broadcast>(b.out(0).shape, std::vector<std::vector<int64_t>>{b.in(0).shape});
  return op;
}

struct CopyImpl : Op {
  int x, y;
  size_t bytes;
  void run(const RunState& rs) const override {
    const uint8_t* px = rs.in<uint8_t>(x);
    uint8_t* py = rs.out<uint8_t>(y);
    if (px != py && bytes) std::memmove(py, px, bytes);
  }
};

// Copy: Identity, Dropout (inference), Reshape, Flatten, Squeeze, Unsqueeze after lowering. Extra
// outputs (a Dropout mask) are not allowed here: lower.ts replaces them with constants.
std::unique_ptr<Op> make_copy(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  if (b.in(0).bytes != b.out(0).bytes || b.in(0).dtype != b.out(0).dtype)
    b.fail("input " + shape_str(b.in(0).shape) + " and output " + shape_str(b.out(0).shape) + " differ in size or type");
  auto op = std::make_unique<CopyImpl>();
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  op->bytes = b.in(0).bytes;
  return op;
}

}  // namespace

void register_eltwise_ops(OpTable& t) {
  for (const auto& kv : unary_names()) t.emplace_back(kv.first, make_unary);
  for (const auto& kv : binary_names()) t.emplace_back(kv.first, make_binary);
  for (const char* n : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) t.emplace_back(n, make_compare);
  t.emplace_back("Where", make_where);
  t.emplace_back("Expand", make_expand);
  t.emplace_back("Copy", make_copy);
}

}  // namespace npuq
