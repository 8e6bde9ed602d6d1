// Small hand-built plans for the engine tests (Program, Observer, single ops): float32 tensors placed
// one after another in the arena, 64-byte aligned as lib/runtime/memory-plan.ts places them, and node
// attributes.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/op.h"
#include "engine/plan.h"
#include "npuq/thread_pool.h"

namespace tu {

// Appends a float32 run-time tensor of this shape to the plan, grows its arena; returns its id.
inline int add_f32_tensor(npuq::PlanDesc& p, const std::vector<int64_t>& shape) {
  npuq::TensorDesc t;
  t.shape = shape;
  t.numel = 1;
  for (int64_t d : shape) t.numel *= size_t(d);
  t.bytes = t.numel * 4;
  t.offset = p.arena_bytes;
  p.arena_bytes += (t.bytes + 63) / 64 * 64;
  p.tensors.push_back(t);
  return int(p.tensors.size()) - 1;
}

// A tensor of this type and shape, `elem_size` bytes per element (not placed in the arena).
inline npuq::TensorDesc tensor_desc(npuq::DType t, const std::vector<int64_t>& shape, size_t elem_size) {
  npuq::TensorDesc d;
  d.dtype = t;
  d.shape = shape;
  d.numel = 1;
  for (int64_t x : shape) d.numel *= size_t(x);
  d.bytes = d.numel * elem_size;
  return d;
}

// Node attributes as the addon normalizes them: a number, a string.
inline npuq::AttrValue attr_num(double v) {
  npuq::AttrValue a;
  a.number = v;
  return a;
}
inline npuq::AttrValue attr_str(const std::string& v) {
  npuq::AttrValue a;
  a.kind = npuq::AttrValue::String;
  a.str = v;
  return a;
}

// Builds the plan's only node for `isa` and runs it once over a zeroed arena (pool: nullptr = serial);
// returns the arena.
inline std::vector<uint8_t> run_single_node(const npuq::PlanDesc& p, npuq::Isa isa, npuq::ThreadPool* pool) {
  npuq::OpBuild b(p, p.nodes[0], isa);
  std::unique_ptr<npuq::Op> op = (*npuq::find_op(p.nodes[0].op))(b);
  std::vector<uint8_t> arena(p.arena_bytes);
  npuq::RunState rs(p, arena.data(), pool);
  op->run(rs);
  return arena;
}

}  // namespace tu
