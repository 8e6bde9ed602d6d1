// Engine operators: each op is built once from its NodeDesc (validating attributes, shapes and dtypes,
// prepacking constant weights) and then run any number of times, possibly concurrently.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/plan.h"
#include "npuq/isa.h"
#include "npuq/kernels.h"
#include "npuq/thread_pool.h"

namespace npuq {

// Where a run's tensors live: constants in the plan, the rest in this run's arena.
class RunState {
 public:
  RunState(const PlanDesc& plan, uint8_t* arena, ThreadPool* pool) : plan_(plan), arena_(arena), pool_(pool) {}
  template <class T> const T* in(int id) const { return reinterpret_cast<const T*>(addr(id)); }
  template <class T> T* out(int id) const { return reinterpret_cast<T*>(const_cast<uint8_t*>(addr(id))); }
  const uint8_t* addr(int id) const {
    const TensorDesc& t = plan_.tensors[id];
    return t.is_const ? t.data->data() : arena_ + t.offset;
  }
  ThreadPool* pool() const { return pool_; }
 private:
  const PlanDesc& plan_;
  uint8_t* arena_;
  ThreadPool* pool_;
};

class Op {
 public:
  virtual ~Op() = default;
  virtual void run(const RunState& rs) const = 0;
};

// Build-time view of one node with validation helpers that throw EngineError naming the node.
class OpBuild {
 public:
  OpBuild(const PlanDesc& plan, const NodeDesc& node, Isa isa) : plan(plan), node(node), isa(isa) {}
  const PlanDesc& plan;
  const NodeDesc& node;
  const Isa isa;

  std::string where() const { return node.op + " \"" + node.name + "\""; }
  [[noreturn]] void fail(const std::string& msg) const { fail_plan(where() + ": " + msg); }
  [[noreturn]] void unsupported(const std::string& msg) const { fail_unsupported(where() + ": " + msg); }

  size_t num_inputs() const { return node.inputs.size(); }
  size_t num_outputs() const { return node.outputs.size(); }
  bool has_input(size_t i) const { return i < node.inputs.size() && node.inputs[i] >= 0; }
  int in_id(size_t i) const;   // throws if absent
  int out_id(size_t i) const;  // throws if absent
  const TensorDesc& in(size_t i) const { return plan.tensors[in_id(i)]; }
  const TensorDesc& out(size_t i) const { return plan.tensors[out_id(i)]; }
  void expect_counts(size_t min_in, size_t max_in, size_t min_out, size_t max_out) const;
  void expect_dtype(const TensorDesc& t, DType d, const char* role) const;
  void expect_float(size_t input) const { expect_dtype(in(input), DType::Float32, "input"); }
  // Constant data of input i as T (checks constness and element size).
  template <class T> const T* const_data(size_t i) const {
    const TensorDesc& t = in(i);
    if (!t.is_const) fail("input " + std::to_string(i) + " must be a constant");
    if (dtype_size(static_cast<int>(t.dtype)) != sizeof(T)) fail("input " + std::to_string(i) + " has an unexpected element type");
    return reinterpret_cast<const T*>(t.data->data());
  }
  // Integer values of a constant int32/int64 input.
  std::vector<int64_t> const_ints(size_t i) const;
  float const_scalar_f32(size_t i) const;
};

using OpFactory = std::function<std::unique_ptr<Op>(const OpBuild&)>;

// The op table: every engine op name and its factory (native/engine/op_registry.cc).
const std::vector<std::pair<std::string, OpFactory>>& op_table();
const OpFactory* find_op(const std::string& name);

// Helpers shared by the op files.
size_t shape_numel(const std::vector<int64_t>& s);
std::string shape_str(const std::vector<int64_t>& s);

}  // namespace npuq
