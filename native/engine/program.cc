#include "engine/program.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <new>

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
  serial_pool_ = std::make_unique<ThreadPool>(1);
  // The shared first dimension of the inputs and outputs (run_rows); constants have no rows.
  size_t rows = 0;
  bool shared = !plan_.inputs.empty() && !plan_.outputs.empty();
  for (const std::vector<int>* ids : {&plan_.inputs, &plan_.outputs}) {
    for (int id : *ids) {
      const TensorDesc& t = plan_.tensors[id];
      if (t.is_const || t.shape.empty() || t.shape[0] < 1) {
        shared = false;
        continue;
      }
      if (rows == 0) rows = size_t(t.shape[0]);
      shared = shared && size_t(t.shape[0]) == rows;
    }
  }
  batch_rows_ = shared ? rows : 0;
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

void Program::give_back(Arena a) const noexcept {
  std::lock_guard<std::mutex> lock(arena_mu_);
  try {
    free_arenas_.push_back(std::move(a));
  } catch (const std::bad_alloc&) {
    // Called from a destructor: keeping the arena is an optimization, so it is simply freed.
  }
}

std::vector<std::vector<uint8_t>> Program::run(const std::vector<std::vector<uint8_t>>& inputs,
                                               const std::atomic<bool>* cancel, RunHooks* hooks) const {
  if (inputs.size() != plan_.inputs.size())
    throw EngineError("INVALID_ARGUMENT", "Expected " + std::to_string(plan_.inputs.size()) +
                                              " inputs but received " + std::to_string(inputs.size()));
  Lease arena(this);
  for (size_t i = 0; i < inputs.size(); ++i) {
    const TensorDesc& t = plan_.tensors[plan_.inputs[i]];
    if (inputs[i].size() != t.bytes)
      throw EngineError("INVALID_ARGUMENT", "Expected " + std::to_string(t.bytes) + " bytes for input " +
                                                std::to_string(i) + " but received " + std::to_string(inputs[i].size()));
    if (t.bytes) std::memcpy(arena.get() + t.offset, inputs[i].data(), t.bytes);
  }
  RunState rs(plan_, arena.get(), pool_.get());
  run_nodes(rs, cancel, hooks);
  std::vector<std::vector<uint8_t>> outs;
  outs.reserve(plan_.outputs.size());
  for (int id : plan_.outputs) {
    const TensorDesc& t = plan_.tensors[id];
    const uint8_t* src = rs.addr(id);
    outs.emplace_back(src, src + t.bytes);
  }
  return outs;
}

void Program::run_nodes(const RunState& rs, const std::atomic<bool>* cancel, RunHooks* hooks) const {
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
}

std::vector<std::vector<uint8_t>> Program::run_rows(const std::vector<std::vector<uint8_t>>& inputs, size_t rows,
                                                    const std::atomic<bool>* cancel) const {
  const size_t b = batch_rows_;
  if (b == 0)
    throw EngineError("INVALID_ARGUMENT", "this plan cannot run a batch in chunks: its inputs and outputs do not share a first dimension");
  if (rows < 1) throw EngineError("INVALID_ARGUMENT", "Expected at least 1 row for a run in chunks but received 0");
  if (inputs.size() != plan_.inputs.size())
    throw EngineError("INVALID_ARGUMENT", "Expected " + std::to_string(plan_.inputs.size()) +
                                              " inputs but received " + std::to_string(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    // Compared by division: rows * row could wrap around for an absurd row count.
    const size_t row = plan_.tensors[plan_.inputs[i]].bytes / b, got = inputs[i].size();
    if (row == 0 ? got != 0 : got % row != 0 || got / row != rows)
      throw EngineError("INVALID_ARGUMENT", "Expected " + std::to_string(rows) + " rows of " + std::to_string(row) + " bytes for input " +
                                                std::to_string(i) + " but received " + std::to_string(got) + " bytes");
  }
  std::vector<std::vector<uint8_t>> outs(plan_.outputs.size());
  for (size_t j = 0; j < outs.size(); ++j) {
    const size_t row = plan_.tensors[plan_.outputs[j]].bytes / b;
    if (row && rows > SIZE_MAX / row) throw EngineError("OUT_OF_MEMORY", "the outputs of " + std::to_string(rows) + " rows do not fit in memory");
    outs[j].resize(row * rows);
  }
  const size_t chunks = (rows + b - 1) / b;
  pool_->parallel_for(chunks, [&](size_t c) {
    Lease arena(this);
    const size_t first = c * b, n = std::min(b, rows - first);
    for (size_t i = 0; i < inputs.size(); ++i) {
      const TensorDesc& t = plan_.tensors[plan_.inputs[i]];
      const size_t row = t.bytes / b;
      uint8_t* dst = arena.get() + t.offset;
      if (row == 0) continue;
      std::memcpy(dst, inputs[i].data() + first * row, n * row);
      // Padding rows repeat the chunk's last row: a valid item, so no op meets values it would not
      // meet otherwise (indices stay in range); their outputs are dropped.
      for (size_t r = n; r < b; ++r) std::memcpy(dst + r * row, inputs[i].data() + (first + n - 1) * row, row);
    }
    RunState rs(plan_, arena.get(), serial_pool_.get());
    run_nodes(rs, cancel, nullptr);
    for (size_t j = 0; j < outs.size(); ++j) {
      const int id = plan_.outputs[j];
      const size_t row = plan_.tensors[id].bytes / b;
      if (row) std::memcpy(outs[j].data() + first * row, rs.addr(id), n * row);
    }
  });
  return outs;
}

}  // namespace npuq
