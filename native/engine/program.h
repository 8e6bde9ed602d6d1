// A validated plan with its built ops, ready to run batches.
#pragma once
#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/op.h"

namespace npuq {

class Program {
 public:
  // Validates the plan and builds every op (prepacking weights). Throws EngineError.
  Program(PlanDesc plan, Isa isa, size_t threads);

  // Runs once. `inputs` are raw bytes in plan-input order (sizes checked); returns the outputs' bytes.
  // `cancel` (optional) is checked between nodes; a set flag ends the run with EngineError ABORTED.
  std::vector<std::vector<uint8_t>> run(const std::vector<std::vector<uint8_t>>& inputs,
                                        const std::atomic<bool>* cancel = nullptr) const;

  const PlanDesc& plan() const { return plan_; }
  Isa isa() const { return isa_; }

 private:
  struct FreeArena {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  using Arena = std::unique_ptr<uint8_t, FreeArena>;
  Arena take_arena() const;
  void give_back(Arena a) const;

  PlanDesc plan_;
  Isa isa_;
  std::vector<std::unique_ptr<Op>> ops_;
  std::unique_ptr<ThreadPool> pool_;
  // Arenas of finished runs, reused by the next ones: a fresh multi-megabyte allocation is fresh
  // pages from the OS, and faulting them in on every run cost PP-OCR det several milliseconds.
  mutable std::mutex arena_mu_;
  mutable std::vector<Arena> free_arenas_;
};

}  // namespace npuq
