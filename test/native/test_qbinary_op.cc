// The QBinary engine op (native/engine/ops/qops.cc) on [N,C,H,W] op [N,C,1,1] and [N,C,1,1] op
// [N,C,H,W]: short rows against one value each take the op's spread path (the scalar side copied out
// into a buffer, one elementwise run per block), which must give, byte for byte, what the op gives for
// the same inputs with the scalar side already broadcast to [N,C,H,W] by this test (the plain
// elementwise path). Every tier, with and without the thread pool; maps from 1x1 to 16x16 (the
// 256-element limit) and past it; add and mul, float scale and fixed point, 8- and 16-bit types.
#include <cstring>
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

size_t esize(DType t) { return t == DType::Int16 || t == DType::Uint16 ? 2 : 1; }

std::vector<uint8_t> random_bytes(std::mt19937& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = uint8_t(rng());
  return v;
}

struct Case {
  std::string op, method;
  DType full, scalar, out;
  size_t N, C, H, W;
  bool scalar_first;  // [N,C,1,1] op [N,C,H,W]
};

// Runs the op on (full, scalar side) in the case's order; `broadcast` gives the scalar side as [N,C,H,W].
std::vector<uint8_t> run(const Case& c, const std::vector<uint8_t>& full, const std::vector<uint8_t>& scal, bool broadcast,
                         Isa isa, ThreadPool* pool) {
  const size_t rows = c.N * c.C, len = c.H * c.W, es = esize(c.scalar);
  std::vector<uint8_t> s = scal;
  if (broadcast) {
    s.resize(rows * len * es);
    for (size_t r = 0; r < rows; ++r)
      for (size_t i = 0; i < len; ++i) std::memcpy(s.data() + (r * len + i) * es, scal.data() + r * es, es);
  }
  PlanDesc p;
  auto tensor = [](DType t, std::vector<int64_t> shape, const std::vector<uint8_t>* data) {
    TensorDesc d = tu::tensor_desc(t, shape, esize(t));
    if (data) {
      d.is_const = true;
      d.data = std::make_shared<std::vector<uint8_t>>(*data);
    }
    return d;
  };
  const std::vector<int64_t> fshape = {int64_t(c.N), int64_t(c.C), int64_t(c.H), int64_t(c.W)};
  const std::vector<int64_t> sshape = broadcast ? fshape : std::vector<int64_t>{int64_t(c.N), int64_t(c.C), 1, 1};
  const TensorDesc tf = tensor(c.full, fshape, &full), ts = tensor(c.scalar, sshape, &s);
  p.tensors = {c.scalar_first ? ts : tf, c.scalar_first ? tf : ts, tensor(c.out, fshape, nullptr)};
  p.arena_bytes = p.tensors[2].bytes;
  NodeDesc n{"QBinary", "q", {0, 1}, {2}, {}};
  auto& v = n.attrs.values;
  v["op"] = attr_str(c.op);
  v["method"] = attr_str(c.method);
  v["a_zp"] = attr_num(c.scalar_first ? 3 : 5);
  v["b_zp"] = attr_num(c.scalar_first ? 5 : 3);
  v["out_zp"] = attr_num(7);
  if (c.method == "float_scale") {
    v["out_scale"] = attr_num(c.op == "mul" ? 0.0123 : 0.031);
    v["a_scale"] = attr_num(0.02);
    v["b_scale"] = attr_num(0.045);
  } else {
    v["out_multiplier"] = attr_num(1431655765);
    v["out_shift"] = attr_num(c.op == "mul" ? -7 : -18);
    v["a_multiplier"] = attr_num(1 << 30);
    v["a_shift"] = attr_num(0);
    v["b_multiplier"] = attr_num(1518500250);
    v["b_shift"] = attr_num(-1);
    v["left_shift"] = attr_num(c.full == DType::Int16 || c.scalar == DType::Int16 || c.out == DType::Int16 ? 15 : 20);
  }
  p.nodes = {n};
  p.outputs = {2};
  return tu::run_single_node(p, isa, pool);
}

}  // namespace

int main() {
  std::mt19937 rng(31);
  ThreadPool pool(2);
  int cases = 0;
  const DType types[][3] = {{DType::Uint8, DType::Uint8, DType::Uint8},
                            {DType::Int8, DType::Int8, DType::Int8},
                            {DType::Int16, DType::Int8, DType::Int16},
                            {DType::Uint8, DType::Int16, DType::Int8}};
  for (const std::string op : {"add", "mul"})
    for (const std::string method : {"float_scale", "fixed_point_double"})
      for (const auto& t : types)
        for (const auto& hw : {std::pair<size_t, size_t>{1, 1}, {4, 4}, {3, 5}, {8, 8}, {16, 16}, {17, 16}})
          for (bool scalar_first : {false, true}) {
            // 16 images of 40 channels (several blocks of rows from 4x4 up; from 8x8 up enough work for
            // the pool), and one image with 3 channels. (160 channels took 35 s per arch under qemu.)
            for (const auto& nc : {std::pair<size_t, size_t>{16, 40}, {1, 3}}) {
              const Case c{op, method, t[0], t[1], t[2], nc.first, nc.second, hw.first, hw.second, scalar_first};
              const size_t rows = c.N * c.C, len = c.H * c.W;
              const auto full = random_bytes(rng, rows * len * esize(c.full));
              const auto scal = random_bytes(rng, rows * esize(c.scalar));
              for (Isa isa : supported_isas()) {
                const auto want = run(c, full, scal, true, isa, nullptr);
                for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), &pool}) {
                  const auto got = run(c, full, scal, false, isa, tp);
                  CHECK(got == want, "%s %s full %d scalar %d out %d [%zu,%zu,%zu,%zu] scalar %s, tier %s, %s: differs from the broadcast copy",
                        op.c_str(), method.c_str(), int(c.full), int(c.scalar), int(c.out), c.N, c.C, c.H, c.W,
                        scalar_first ? "first" : "second", isa_name(isa), tp ? "2 threads" : "1 thread");
                }
              }
              ++cases;
            }
          }
  std::printf("%d cases\n", cases);
  return check_summary("test_qbinary_op");
}
