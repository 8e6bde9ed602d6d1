#include "engine/program.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

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
  const char* prof = std::getenv("NPUQ_PROFILE");
  profile_ = prof && *prof && std::strcmp(prof, "0") != 0;
  if (profile_) {
    node_ns_.assign(ops_.size(), 0.0);
    const long n = std::strtol(prof, nullptr, 10);  // NPUQ_PROFILE=N lists the N slowest nodes (1: 10)
    profile_nodes_ = n > 1 ? size_t(n) : 10;
  }
}

Program::~Program() {
  if (!profile_ || profiled_runs_ == 0) return;
  double total = 0;
  std::map<std::string, std::pair<double, size_t>> by_op;
  for (size_t k = 0; k < node_ns_.size(); ++k) {
    total += node_ns_[k];
    auto& e = by_op[plan_.nodes[k].op];
    e.first += node_ns_[k];
    e.second += 1;
  }
  std::vector<std::pair<double, std::string>> ops;
  for (const auto& [op, e] : by_op) ops.emplace_back(e.first, op);
  std::sort(ops.rbegin(), ops.rend());
  std::fprintf(stderr, "npuquant profile: %zu nodes, %zu runs, %.3f ms per run in nodes\n", node_ns_.size(), profiled_runs_, total / 1e6 / double(profiled_runs_));
  std::fprintf(stderr, "  %-24s %6s %12s %7s\n", "op", "nodes", "ms per run", "share");
  for (const auto& [ns, op] : ops)
    std::fprintf(stderr, "  %-24s %6zu %12.3f %6.1f%%\n", op.c_str(), by_op[op].second, ns / 1e6 / double(profiled_runs_), total > 0 ? 100 * ns / total : 0.0);
  std::vector<size_t> order(node_ns_.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return node_ns_[a] > node_ns_[b]; });
  std::fprintf(stderr, "  slowest nodes:\n");
  for (size_t i = 0; i < std::min(profile_nodes_, order.size()); ++i) {
    const NodeDesc& n = plan_.nodes[order[i]];
    std::fprintf(stderr, "  %10.3f ms  %s \"%s\"\n", node_ns_[order[i]] / 1e6 / double(profiled_runs_), n.op.c_str(), n.name.c_str());
  }
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
  std::vector<double> ns(profile_ ? ops_.size() : 0);
  for (size_t k = 0; k < ops_.size(); ++k) {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw EngineError("ABORTED", "the run was aborted");
    try {
      if (profile_) {
        const auto t0 = std::chrono::steady_clock::now();
        ops_[k]->run(rs);
        ns[k] = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
      } else {
        ops_[k]->run(rs);
      }
    } catch (const EngineError& e) {
      const NodeDesc& n = plan_.nodes[k];
      throw EngineError(e.code(), n.op + " \"" + n.name + "\": " + e.what());
    }
    if (hooks) hooks->after_node(k, rs);
  }
  if (hooks) hooks->after_run(rs);
  if (profile_) {
    std::lock_guard<std::mutex> lock(profile_mu_);
    for (size_t k = 0; k < ns.size(); ++k) node_ns_[k] += ns[k];
    ++profiled_runs_;
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
