// A validated plan with its built ops, ready to run batches.
#pragma once
#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/op.h"

namespace npuq {

// Optional callbacks of one run (e.g. calibration observers, engine/observer.h). They are called on the
// run's thread and may use rs.pool(); an exception ends the run like a failing node.
class RunHooks {
 public:
  virtual ~RunHooks() = default;
  // After the feeds are copied into the arena, before the first node.
  virtual void before_nodes(const RunState& rs) {}
  // After node k wrote its outputs and before node k + 1 runs, so every value is seen before the
  // arena reuses its memory.
  virtual void after_node(size_t k, const RunState& rs) {}
  // After the last node, only when every node succeeded.
  virtual void after_run(const RunState& rs) {}
};

class Program {
 public:
  // Validates the plan and builds every op (prepacking weights). Throws EngineError.
  Program(PlanDesc plan, Isa isa, size_t threads);

  // Runs once. `inputs` are raw bytes in plan-input order (sizes checked); returns the outputs' bytes.
  // `cancel` (optional) is checked between nodes; a set flag ends the run with EngineError ABORTED.
  // `hooks` (optional) are called around the nodes (see RunHooks).
  std::vector<std::vector<uint8_t>> run(const std::vector<std::vector<uint8_t>>& inputs,
                                        const std::atomic<bool>* cancel = nullptr, RunHooks* hooks = nullptr) const;

  // Rows of a batch: the first dimension every plan input and output shares (the plan's batch), or 0
  // when they do not share one (then run_rows() is refused).
  size_t batch_rows() const { return batch_rows_; }

  // Runs `rows` items through a plan compiled for batch_rows() = b items: `inputs` hold `rows` rows
  // each, the outputs come back with `rows` rows each. The rows are cut into ceil(rows / b) chunks of
  // b rows, the last one padded by repeating its last row; chunks are spread over the pool's threads,
  // and each chunk runs its nodes on one thread (no barrier per op). Only valid when the model treats
  // items independently (lib/runtime/batch-split.ts decides that); then the outputs are the very
  // bytes one run over all rows would give, since every kernel's sums are independent of how a run
  // is split into tasks. Throws EngineError INVALID_ARGUMENT on wrong sizes or a plan without rows.
  std::vector<std::vector<uint8_t>> run_rows(const std::vector<std::vector<uint8_t>>& inputs, size_t rows,
                                             const std::atomic<bool>* cancel = nullptr) const;

  const PlanDesc& plan() const { return plan_; }
  Isa isa() const { return isa_; }

  // With the environment variable NPUQ_PROFILE set (to anything but 0) when the program is built, each
  // node's run time is summed, and the program prints the time per op type and the slowest nodes to
  // stderr when it is destroyed: the measurement to take before optimizing a model's run.
  // NPUQ_PROFILE=N (N > 1) lists the N slowest nodes instead of 10.
  ~Program();

 private:
  struct FreeArena {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  using Arena = std::unique_ptr<uint8_t, FreeArena>;
  Arena take_arena() const;
  void give_back(Arena a) const noexcept;
  // An arena taken for one run and given back when the run ends, however it ends.
  class Lease {
   public:
    explicit Lease(const Program* p) : p_(p), a_(p->take_arena()) {}
    ~Lease() { p_->give_back(std::move(a_)); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    uint8_t* get() const { return a_.get(); }
   private:
    const Program* p_;
    Arena a_;
  };
  // Runs every node on an arena whose feeds are in place.
  void run_nodes(const RunState& rs, const std::atomic<bool>* cancel, RunHooks* hooks) const;

  PlanDesc plan_;
  Isa isa_;
  std::vector<std::unique_ptr<Op>> ops_;
  std::unique_ptr<ThreadPool> pool_;
  // A pool without workers: the chunks of run_rows() already run in parallel, so their ops run serially.
  std::unique_ptr<ThreadPool> serial_pool_;
  size_t batch_rows_ = 0;
  // Arenas of finished runs, reused by the next ones: a fresh multi-megabyte allocation is fresh
  // pages from the OS, and faulting them in on every run cost PP-OCR det several milliseconds.
  mutable std::mutex arena_mu_;
  mutable std::vector<Arena> free_arenas_;
  // NPUQ_PROFILE: nanoseconds per node summed over runs, and the number of runs.
  bool profile_ = false;
  mutable std::mutex profile_mu_;
  mutable std::vector<double> node_ns_;
  mutable size_t profiled_runs_ = 0;
  size_t profile_nodes_ = 10;
};

}  // namespace npuq
