// Elementwise engine ops split over the thread pool give the bytes of the serial run: runs of a
// broadcast cut into pieces when there are fewer runs than chunks (same-shape inputs are one run;
// float Add/Mul, QBinary), and element or row ranges of QuantizeLinear, DequantizeLinear and Lut.
// Sizes are past the 64K (16K for broadcasts) thresholds and not multiples of the 64-element pieces;
// pools of 2 and 3 threads, every tier.
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "engine/ops/ops.h"
#include "npuq/thread_pool.h"
#include "plan-util.h"
#include "test-util.h"

using namespace npuq;

namespace {

using tu::attr_num;
using tu::attr_str;

size_t dsize(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Int16:
    case DType::Uint16: return 2;
    default: return 1;
  }
}

struct In {
  DType type;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;  // constant contents
};

TensorDesc desc(DType t, const std::vector<int64_t>& shape) { return tu::tensor_desc(t, shape, dsize(t)); }

// Builds the one-node plan (inputs constant, the output in the arena), runs it; returns the output bytes.
std::vector<uint8_t> run(const std::string& op, const std::vector<In>& ins, DType out, const std::vector<int64_t>& out_shape,
                         const std::map<std::string, AttrValue>& attrs, Isa isa, ThreadPool* pool) {
  PlanDesc p;
  NodeDesc n{op, "n", {}, {}, {}};
  for (const In& i : ins) {
    TensorDesc d = desc(i.type, i.shape);
    d.is_const = true;
    d.data = std::make_shared<std::vector<uint8_t>>(i.data);
    p.tensors.push_back(d);
    n.inputs.push_back(int(p.tensors.size()) - 1);
  }
  p.tensors.push_back(desc(out, out_shape));
  p.arena_bytes = p.tensors.back().bytes;
  n.outputs = {int(p.tensors.size()) - 1};
  for (const auto& kv : attrs) n.attrs.values[kv.first] = kv.second;
  p.nodes = {n};
  p.outputs = n.outputs;
  return tu::run_single_node(p, isa, pool);
}

std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

std::vector<uint8_t> random_floats(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<uint8_t> v(n * 4);
  for (size_t i = 0; i < n; ++i) {
    const float x = d(rng);
    std::memcpy(v.data() + 4 * i, &x, 4);
  }
  return v;
}

size_t numel(const std::vector<int64_t>& s) {
  size_t n = 1;
  for (int64_t d : s) n *= size_t(d);
  return n;
}

int g_cases = 0;

void check_split(const std::string& what, const std::string& op, const std::vector<In>& ins, DType out,
           const std::vector<int64_t>& out_shape, const std::map<std::string, AttrValue>& attrs, ThreadPool* const* pools) {
  for (Isa isa : supported_isas()) {
    const auto want = run(op, ins, out, out_shape, attrs, isa, nullptr);
    for (int k = 0; k < 2; ++k) {
      const auto got = run(op, ins, out, out_shape, attrs, isa, pools[k]);
      size_t at = 0;
      while (at < got.size() && got[at] == want[at]) ++at;
      CHECK(at == got.size(), "%s, tier %s, %zu threads: differs from the serial run at byte %zu of %zu", what.c_str(),
            isa_name(isa), pools[k]->threads(), at, got.size());
    }
    ++g_cases;
  }
}

}  // namespace

int main() {
  std::mt19937 rng(41);
  ThreadPool pool2(2), pool3(3);
  ThreadPool* const pools[] = {&pool2, &pool3};

  // Float binary ops: one run (same shapes, a scalar), two runs (per-channel over [1,2,H,W]), three
  // runs with the second input repeating along them.
  struct FloatCase {
    const char* what;
    const char* op;
    std::vector<int64_t> a, b;
  };
  const FloatCase fcases[] = {
      {"Add same shape [1,70001]", "Add", {1, 70001}, {1, 70001}},
      {"Mul [1,70001] by a scalar", "Mul", {1, 70001}, {1}},
      {"Sub [1,2,181,181] - [1,2,1,1]", "Sub", {1, 2, 181, 181}, {1, 2, 1, 1}},
      {"Add [3,40003] + [40003]", "Add", {3, 40003}, {40003}},
      {"Div [1] / [1,70001]", "Div", {1}, {1, 70001}},
  };
  for (const FloatCase& c : fcases) {
    const std::vector<int64_t> out = numel(c.a) >= numel(c.b) ? c.a : c.b;
    const std::vector<In> ins = {{DType::Float32, c.a, random_floats(rng, numel(c.a), -3, 3)},
                                 {DType::Float32, c.b, random_floats(rng, numel(c.b), 0.5f, 3)}};
    check_split(c.what, c.op, ins, DType::Float32, out, {}, pools);
  }

  // QBinary, same shapes and against per-channel values of two channels.
  std::map<std::string, AttrValue> qb = {
      {"op", attr_str("add")}, {"method", attr_str("float_scale")}, {"a_zp", attr_num(5)}, {"b_zp", attr_num(3)},
      {"out_zp", attr_num(7)}, {"a_scale", attr_num(0.02)}, {"b_scale", attr_num(0.045)}, {"out_scale", attr_num(0.031)}};
  for (const char* op : {"add", "mul"}) {
    qb["op"] = attr_str(op);
    const std::vector<int64_t> full = {1, 1, 300, 233}, chan = {1, 2, 1, 1}, two = {1, 2, 150, 233};
    check_split(std::string("QBinary ") + op + " u8 same shape [1,1,300,233]", "QBinary",
          {{DType::Uint8, full, random_bytes(rng, numel(full))}, {DType::Uint8, full, random_bytes(rng, numel(full))}},
          DType::Uint8, full, qb, pools);
    check_split(std::string("QBinary ") + op + " s8 [1,2,150,233] with [1,2,1,1]", "QBinary",
          {{DType::Int8, two, random_bytes(rng, numel(two))}, {DType::Int8, chan, random_bytes(rng, 2)}},
          DType::Int8, two, qb, pools);
  }

  // Lut: 8-bit (unsigned and signed) and 16-bit tables.
  for (DType t : {DType::Uint8, DType::Int8, DType::Uint16}) {
    const size_t n = 70001, entries = t == DType::Uint16 ? 65536 : 256;
    check_split(std::string("Lut ") + dtype_name(int(t)), "Lut",
          {{t, {int64_t(n)}, random_bytes(rng, n * dsize(t))}, {t, {int64_t(entries)}, random_bytes(rng, entries * dsize(t))}},
          t, {int64_t(n)}, {}, pools);
  }

  // QuantizeLinear / DequantizeLinear: per tensor (element ranges) and per channel (row ranges).
  {
    const std::vector<int64_t> flat = {1, 70001}, nchw = {2, 3, 120, 100};
    auto f32 = [](std::vector<float> v) {
      std::vector<uint8_t> b(v.size() * 4);
      std::memcpy(b.data(), v.data(), b.size());
      return b;
    };
    check_split("QuantizeLinear per tensor to u8", "QuantizeLinear",
          {{DType::Float32, flat, random_floats(rng, numel(flat), -5, 5)}, {DType::Float32, {}, f32({0.037f})}, {DType::Uint8, {}, {131}}},
          DType::Uint8, flat, {{"round", attr_str("half_away_from_zero")}}, pools);
    check_split("QuantizeLinear per channel to s8", "QuantizeLinear",
          {{DType::Float32, nchw, random_floats(rng, numel(nchw), -5, 5)}, {DType::Float32, {3}, f32({0.02f, 0.05f, 0.011f})},
           {DType::Int8, {3}, {0, 3, 253}}},
          DType::Int8, nchw, {{"axis", attr_num(1)}}, pools);
    check_split("DequantizeLinear per tensor from s8", "DequantizeLinear",
          {{DType::Int8, flat, random_bytes(rng, numel(flat))}, {DType::Float32, {}, f32({0.037f})}, {DType::Int8, {}, {251}}},
          DType::Float32, flat, {}, pools);
  }

  std::printf("%d cases\n", g_cases);
  return check_summary("test_parallel_ops");
}
