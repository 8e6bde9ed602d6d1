#include "engine/plan.h"

#include <cmath>
#include <limits>

namespace npuq {

void fail_plan(const std::string& msg) { throw EngineError("INVALID_PLAN", msg); }
void fail_unsupported(const std::string& msg) { throw EngineError("UNSUPPORTED", msg); }

size_t dtype_size(int code) {
  switch (static_cast<DType>(code)) {
    case DType::Float32: case DType::Int32: case DType::Uint32: return 4;
    case DType::Uint8: case DType::Int8: case DType::Bool: return 1;
    case DType::Uint16: case DType::Int16: case DType::Float16: return 2;
    case DType::Int64: case DType::Float64: case DType::Uint64: return 8;
  }
  return 0;
}

const char* dtype_name(int code) {
  switch (static_cast<DType>(code)) {
    case DType::Float32: return "float32";
    case DType::Uint8: return "uint8";
    case DType::Int8: return "int8";
    case DType::Uint16: return "uint16";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
    case DType::Float16: return "float16";
    case DType::Float64: return "float64";
    case DType::Uint32: return "uint32";
    case DType::Uint64: return "uint64";
  }
  return "unknown";
}

namespace {
const AttrValue& get(const Attrs& a, const std::string& k) {
  auto it = a.values.find(k);
  if (it == a.values.end()) fail_plan(a.where + " is missing attribute \"" + k + "\"");
  return it->second;
}
int64_t to_int(const Attrs& a, const std::string& k, double v) {
  if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9.007199254740992e15)
    fail_plan("Expected an integer for attribute \"" + k + "\" of " + a.where + " but received " + std::to_string(v));
  return static_cast<int64_t>(v);
}
}  // namespace

double Attrs::num(const std::string& k) const {
  const AttrValue& v = get(*this, k);
  if (v.kind != AttrValue::Number) fail_plan("Expected a number for attribute \"" + k + "\" of " + where);
  return v.number;
}
double Attrs::num(const std::string& k, double def) const { return has(k) ? num(k) : def; }
int64_t Attrs::integer(const std::string& k) const { return to_int(*this, k, num(k)); }
int64_t Attrs::integer(const std::string& k, int64_t def) const { return has(k) ? integer(k) : def; }
std::vector<double> Attrs::nums(const std::string& k) const {
  const AttrValue& v = get(*this, k);
  if (v.kind == AttrValue::Number) return {v.number};
  if (v.kind != AttrValue::Numbers) fail_plan("Expected a list of numbers for attribute \"" + k + "\" of " + where);
  return v.numbers;
}
std::vector<int64_t> Attrs::ints(const std::string& k) const {
  std::vector<int64_t> out;
  for (double d : nums(k)) out.push_back(to_int(*this, k, d));
  return out;
}
std::vector<int64_t> Attrs::ints(const std::string& k, const std::vector<int64_t>& def) const {
  return has(k) ? ints(k) : def;
}
std::string Attrs::str(const std::string& k) const {
  const AttrValue& v = get(*this, k);
  if (v.kind != AttrValue::String) fail_plan("Expected a string for attribute \"" + k + "\" of " + where);
  return v.str;
}
std::string Attrs::str(const std::string& k, const std::string& def) const { return has(k) ? str(k) : def; }

void validate_plan(const PlanDesc& plan) {
  const size_t n = plan.tensors.size();
  for (size_t i = 0; i < n; ++i) {
    const TensorDesc& t = plan.tensors[i];
    std::string which = "tensor " + std::to_string(i);
    size_t es = dtype_size(static_cast<int>(t.dtype));
    if (es == 0) fail_unsupported(which + " has data type code " + std::to_string(static_cast<int>(t.dtype)) + ", which the engine does not handle");
    size_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0) fail_plan(which + " has a negative dimension");
      if (d > 0 && numel > (std::numeric_limits<size_t>::max() / 16) / static_cast<size_t>(d))
        fail_plan(which + " is too large");
      numel *= static_cast<size_t>(d);
    }
    if (numel != t.numel || numel * es != t.bytes) fail_plan(which + " has inconsistent size bookkeeping");
    if (t.is_const) {
      if (!t.data || t.data->size() != t.bytes)
        fail_plan(which + " is constant but its data holds " + std::to_string(t.data ? t.data->size() : 0) +
                  " bytes instead of " + std::to_string(t.bytes));
    } else {
      if (t.offset % 64 != 0) fail_plan(which + " has an arena offset that is not 64-byte aligned");
      if (t.offset > plan.arena_bytes || t.bytes > plan.arena_bytes - t.offset)
        fail_plan(which + " lies outside the arena (" + std::to_string(plan.arena_bytes) + " bytes)");
    }
  }
  auto check_id = [&](int id, const std::string& what, bool allow_absent) {
    if (id == -1 && allow_absent) return;
    if (id < 0 || static_cast<size_t>(id) >= n) fail_plan(what + " refers to tensor " + std::to_string(id) + ", which does not exist");
  };
  std::vector<char> written(n, 0);
  for (int id : plan.inputs) {
    check_id(id, "a plan input", false);
    if (plan.tensors[id].is_const) fail_plan("plan input " + std::to_string(id) + " is a constant");
    written[id] = 1;
  }
  for (const NodeDesc& node : plan.nodes) {
    std::string where = node.op + " \"" + node.name + "\"";
    for (int id : node.inputs) {
      check_id(id, where, true);
      if (id >= 0 && !plan.tensors[id].is_const && !written[id])
        fail_plan(where + " reads tensor " + std::to_string(id) + " before any node writes it");
    }
    for (int id : node.outputs) {
      check_id(id, where, false);
      if (plan.tensors[id].is_const) fail_plan(where + " writes constant tensor " + std::to_string(id));
      written[id] = 1;
    }
  }
  for (int id : plan.outputs) {
    check_id(id, "a plan output", false);
    if (!plan.tensors[id].is_const && !written[id]) fail_plan("plan output " + std::to_string(id) + " is never written");
  }
}

}  // namespace npuq
