#include "engine/program.h"

#include <cstdlib>
#include <cstring>

namespace npuq {

Program::Program(PlanDesc plan, Isa isa, size_t threads) : plan_(std::move(plan)), isa_(isa) {
  validate_plan(plan_);
  ops_.reserve(plan_.nodes.size());
  for (const NodeDesc& node : plan_.nodes) {
    const OpFactory* f = find_op(node.op);
    if (!f) fail_unsupported("the engine has no op \"" + node.op + "\" (node \"" + node.name + "\")");
    OpBuild b(plan_, node, isa_);
    try {
      ops_.push_back((*f)(b));
    } catch (const std::invalid_argument& e) {
      b.fail(e.what());
    }
  }
  pool_ = std::make_unique<ThreadPool>(threads);
}

namespace {
struct FreeArena {
  void operator()(uint8_t* p) const { std::free(p); }
};
}  // namespace

std::vector<std::vector<uint8_t>> Program::run(const std::vector<std::vector<uint8_t>>& inputs,
                                               const std::atomic<bool>* cancel) const {
  if (inputs.size() != plan_.inputs.size())
    throw EngineError("INVALID_ARGUMENT", "Expected " + std::to_string(plan_.inputs.size()) +
                                              " inputs but received " + std::to_string(inputs.size()));
  size_t arena_size = ((plan_.arena_bytes + 63) / 64) * 64;
  std::unique_ptr<uint8_t, FreeArena> arena(
      static_cast<uint8_t*>(std::aligned_alloc(64, arena_size == 0 ? 64 : arena_size)));
  if (!arena) throw EngineError("OUT_OF_MEMORY", "could not allocate " + std::to_string(arena_size) + " bytes for a run");
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorDesc& t = plan_.tensors[plan_.inputs[i]];
    if (inputs[i].size() != t.bytes)
      throw EngineError("INVALID_ARGUMENT", "Expected " + std::to_string(t.bytes) + " bytes for input " +
                                                std::to_string(i) + " but received " + std::to_string(inputs[i].size()));
    if (t.bytes) std::memcpy(arena.get() + t.offset, inputs[i].data(), t.bytes);
  }
  RunState rs(plan_, arena.get(), pool_.get());
  for (size_t k = 0; k < ops_.size(); ++k) {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw EngineError("ABORTED", "the run was aborted");
    try {
      ops_[k]->run(rs);
    } catch (const EngineError& e) {
      const NodeDesc& n = plan_.nodes[k];
      throw EngineError(e.code(), n.op + " \"" + n.name + "\": " + e.what());
    }
  }
  std::vector<std::vector<uint8_t>> outs;
  outs.reserve(plan_.outputs.size());
  for (int id : plan_.outputs) {
    const TensorDesc& t = plan_.tensors[id];
    const uint8_t* src = rs.addr(id);
    outs.emplace_back(src, src + t.bytes);
  }
  return outs;
}

}  // namespace npuq
