// Cast between float32/float64/float16, signed and unsigned integers, and bool. Float to integer
// truncates toward zero and saturates to the target range (NaN -> 0): ONNX leaves out-of-range
// values undefined, and C++ would make them undefined behaviour.
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/ops/ops.h"
#include "npuq/fp16.h"

namespace npuq {
namespace {

double load(DType t, const uint8_t* p, size_t i) {
  switch (t) {
    case DType::Float32: return reinterpret_cast<const float*>(p)[i];
    case DType::Float64: return reinterpret_cast<const double*>(p)[i];
    case DType::Float16: return half_to_float(reinterpret_cast<const uint16_t*>(p)[i]);
    case DType::Int8: return reinterpret_cast<const int8_t*>(p)[i];
    case DType::Uint8: return reinterpret_cast<const uint8_t*>(p)[i];
    case DType::Int16: return reinterpret_cast<const int16_t*>(p)[i];
    case DType::Uint16: return reinterpret_cast<const uint16_t*>(p)[i];
    case DType::Int32: return reinterpret_cast<const int32_t*>(p)[i];
    case DType::Uint32: return reinterpret_cast<const uint32_t*>(p)[i];
    case DType::Bool: return p[i] ? 1 : 0;
    default: return 0;  // 64-bit integers take the exact path below
  }
}

template <class T> T sat(double v) {
  if (std::isnan(v)) return 0;
  v = std::trunc(v);
  if (v <= double(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= double(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

void store(DType t, uint8_t* p, size_t i, double v) {
  switch (t) {
    case DType::Float32: reinterpret_cast<float*>(p)[i] = static_cast<float>(v); break;
    case DType::Float64: reinterpret_cast<double*>(p)[i] = v; break;
    case DType::Float16: reinterpret_cast<uint16_t*>(p)[i] = float_to_half(static_cast<float>(v)); break;
    case DType::Int8: reinterpret_cast<int8_t*>(p)[i] = sat<int8_t>(v); break;
    case DType::Uint8: p[i] = sat<uint8_t>(v); break;
    case DType::Int16: reinterpret_cast<int16_t*>(p)[i] = sat<int16_t>(v); break;
    case DType::Uint16: reinterpret_cast<uint16_t*>(p)[i] = sat<uint16_t>(v); break;
    case DType::Int32: reinterpret_cast<int32_t*>(p)[i] = sat<int32_t>(v); break;
    case DType::Uint32: reinterpret_cast<uint32_t*>(p)[i] = sat<uint32_t>(v); break;
    case DType::Int64: reinterpret_cast<int64_t*>(p)[i] = sat<int64_t>(v); break;
    case DType::Uint64: reinterpret_cast<uint64_t*>(p)[i] = sat<uint64_t>(v); break;
    case DType::Bool: p[i] = v != 0 ? 1 : 0; break;
  }
}

struct CastOp : Op {
  DType from, to;
  size_t n;
  int x, y;
  // Integers of up to 32 bits (and float32) to float32: one conversion each, the same result as through
  // double (exact for these) then float (round to nearest even). Dequantize-first plans cast every
  // int32 accumulator this way.
  template <class T>
  static void to_f32(const uint8_t* px, float* py, size_t n) {
    const T* p = reinterpret_cast<const T*>(px);
    for (size_t i = 0; i < n; ++i) py[i] = static_cast<float>(p[i]);
  }
  bool fast(const uint8_t* px, uint8_t* py) const {
    if (to != DType::Float32) return false;
    float* f = reinterpret_cast<float*>(py);
    switch (from) {
      case DType::Int32: to_f32<int32_t>(px, f, n); return true;
      case DType::Uint32: to_f32<uint32_t>(px, f, n); return true;
      case DType::Int16: to_f32<int16_t>(px, f, n); return true;
      case DType::Uint16: to_f32<uint16_t>(px, f, n); return true;
      case DType::Int8: to_f32<int8_t>(px, f, n); return true;
      case DType::Uint8: to_f32<uint8_t>(px, f, n); return true;
      case DType::Float32: if (px != py) std::memmove(py, px, n * 4); return true;
      default: return false;
    }
  }
  void run(const RunState& rs) const override {
    const uint8_t* px = rs.in<uint8_t>(x);
    uint8_t* py = rs.out<uint8_t>(y);
    if (fast(px, py)) return;
    const bool from64 = from == DType::Int64 || from == DType::Uint64;
    const bool to64 = to == DType::Int64 || to == DType::Uint64;
    for (size_t i = 0; i < n; ++i) {
      if (from64) {
        // Integers to integers stay exact (two's complement wrap like numpy's astype); to float rounds.
        int64_t v = from == DType::Int64 ? reinterpret_cast<const int64_t*>(px)[i] : int64_t(reinterpret_cast<const uint64_t*>(px)[i]);
        if (to64) { std::memcpy(py + i * 8, &v, 8); continue; }
        if (to == DType::Int32) { reinterpret_cast<int32_t*>(py)[i] = static_cast<int32_t>(v); continue; }
        if (to == DType::Bool) { py[i] = v != 0; continue; }
        store(to, py, i, from == DType::Int64 ? double(v) : double(uint64_t(v)));
      } else {
        store(to, py, i, load(from, px, i));
      }
    }
  }
};

std::unique_ptr<Op> make_cast(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  auto op = std::make_unique<CastOp>();
  op->from = b.in(0).dtype;
  op->to = b.out(0).dtype;
  if (b.in(0).numel != b.out(0).numel) b.fail("input and output sizes differ");
  op->n = b.in(0).numel;
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

// Float16 / BFloat16 emulation of a float32 tensor: every value rounded to the nearest
// representable half (or bfloat16) value, ties to even, subnormals kept, and stored back as float32.
// Mixed-precision plans put this after every op that runs in fp16 (and on its inputs).
struct RoundFloatOp : Op {
  bool bf16;
  size_t n;
  int x, y;
  void run(const RunState& rs) const override {
    const float* px = rs.in<float>(x);
    float* py = rs.out<float>(y);
    if (bf16) for (size_t i = 0; i < n; ++i) py[i] = bf16_to_float(float_to_bf16(px[i]));
    else for (size_t i = 0; i < n; ++i) py[i] = half_to_float(float_to_half(px[i]));
  }
};

std::unique_ptr<Op> make_round_float(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  b.expect_float(0);
  b.expect_dtype(b.out(0), DType::Float32, "output");
  if (b.in(0).numel != b.out(0).numel) b.fail("input and output sizes differ");
  auto op = std::make_unique<RoundFloatOp>();
  op->bf16 = b.node.op == "RoundBFloat16";
  op->n = b.in(0).numel;
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

}  // namespace

void register_cast_ops(OpTable& t) {
  t.emplace_back("Cast", make_cast);
  t.emplace_back("RoundFloat16", make_round_float);
  t.emplace_back("RoundBFloat16", make_round_float);
}

}  // namespace npuq
