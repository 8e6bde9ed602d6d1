// A validated plan with its built ops, ready to run batches.
#pragma once
#include <atomic>
#include <memory>
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
  PlanDesc plan_;
  Isa isa_;
  std::vector<std::unique_ptr<Op>> ops_;
  std::unique_ptr<ThreadPool> pool_;
};

}  // namespace npuq
