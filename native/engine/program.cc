#include "engine/program.h"

#include <cstdlib>
#include <algorithm>
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

Program::Arena Program::take_arena() const {
  {
    std::lock_guard<std::mutex> lock(arena_mu_);
    if (!free_arenas_.empty()) {
      Arena a = std::move(free_arenas_.back());
      free_arenas_.pop_back();
      return a;
    }
  }
  const size_t size = std::max<size_t>(64, ((plan_.arena_bytes + 63) / 64) * 64);
  Arena a(static_cast<uint8_t*>(std::aligned_alloc(64, size)));
  if (!a) throw EngineError("OUT_OF_MEMORY", "could not allocate " + std::to_string(size) + " bytes for a run");
  return a;
}

void Program::give_back(Arena a) const {
  std::lock_guard<std::mutex> lock(arena_mu_);
  free_arenas_.push_back(std::move(a));
}

std::vector<std::vector<uint8_t>> Program::run(const std::vector<std::vector<uint8_t>>& inputs,
                                               const std::atomic<bool>* cancel, RunHooks* hooks) const {
  if (inputs.size() != plan_.inputs.size())
    throw EngineError("INVALID_ARGUMENT", "Expected " + std::to_string(plan_.inputs.size()) +
                                              " inputs but received " + std::to_string(inputs.size()));
  Arena arena = take_arena();
  struct Return {
    const Program* p;
    Arena* a;
    ~Return() { p->give_back(std::move(*a)); }
  } give_back_on_exit{this, &arena};
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorDesc& t = plan_.tensors[plan_.inputs[i]];
    if (inputs[i].size() != t.bytes)
      throw EngineError("INVALID_ARGUMENT", "Expected " + std::to_string(t.bytes) + " bytes for input " +
                                                std::to_string(i) + " but received " + std::to_string(inputs[i].size()));
    if (t.bytes) std::memcpy(arena.get() + t.offset, inputs[i].data(), t.bytes);
  }
  RunState rs(plan_, arena.get(), pool_.get());
  if (hooks) hooks->before_nodes(rs);
  for (size_t k = 0; k < ops_.size(); ++k) {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw EngineError("ABORTED", "the run was aborted");
    try {
      ops_[k]->run(rs);
    } catch (const EngineError& e) {
      const NodeDesc& n = plan_.nodes[k];
      throw EngineError(e.code(), n.op + " \"" + n.name + "\": " + e.what());
    }
    if (hooks) hooks->after_node(k, rs);
  }
  if (hooks) hooks->after_run(rs);
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
