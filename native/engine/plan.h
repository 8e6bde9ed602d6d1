// The compiled plan as plain C++ structs: what crosses from TypeScript once per input shape.
// native/binding converts the JS object into a PlanDesc on the calling thread; everything after that
// is pure C++ (validated here, executed by Program).
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace npuq {

// Errors the engine reports; the binding turns them into JS Errors with `code`.
class EngineError : public std::runtime_error {
 public:
  EngineError(std::string code, const std::string& msg) : std::runtime_error(msg), code_(std::move(code)) {}
  const std::string& code() const { return code_; }
 private:
  std::string code_;
};
[[noreturn]] void fail_plan(const std::string& msg);         // code INVALID_PLAN
[[noreturn]] void fail_unsupported(const std::string& msg);  // code UNSUPPORTED

// ONNX TensorProto data type codes.
enum class DType : int {
  Float32 = 1, Uint8 = 2, Int8 = 3, Uint16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, Bool = 9,
  Float16 = 10, Float64 = 11, Uint32 = 12, Uint64 = 13,
};
// Element size in bytes, 0 for a code the engine does not handle.
size_t dtype_size(int code);
const char* dtype_name(int code);

struct TensorDesc {
  DType dtype = DType::Float32;
  std::vector<int64_t> shape;
  size_t numel = 1;
  size_t bytes = 0;
  bool is_const = false;
  std::shared_ptr<const std::vector<uint8_t>> data;  // constants only
  size_t offset = 0;                                   // arena offset for the others
};

// A normalized attribute: numbers (JS numbers are doubles), number lists or a string.
struct AttrValue {
  enum Kind { Number, Numbers, String } kind = Number;
  double number = 0;
  std::vector<double> numbers;
  std::string str;
};

class Attrs {
 public:
  std::map<std::string, AttrValue> values;
  std::string where;  // "Conv \"conv1\"" for messages

  bool has(const std::string& k) const { return values.count(k) != 0; }
  double num(const std::string& k) const;
  double num(const std::string& k, double def) const;
  int64_t integer(const std::string& k) const;
  int64_t integer(const std::string& k, int64_t def) const;
  std::vector<double> nums(const std::string& k) const;
  std::vector<int64_t> ints(const std::string& k) const;
  std::vector<int64_t> ints(const std::string& k, const std::vector<int64_t>& def) const;
  std::string str(const std::string& k) const;
  std::string str(const std::string& k, const std::string& def) const;
};

struct NodeDesc {
  std::string op, name;
  std::vector<int> inputs, outputs;  // -1 = omitted optional input
  Attrs attrs;
};

struct PlanDesc {
  std::vector<TensorDesc> tensors;
  std::vector<NodeDesc> nodes;
  std::vector<int> inputs, outputs;
  size_t arena_bytes = 0;
};

// Checks ids, shapes, byte sizes, arena bounds; throws EngineError INVALID_PLAN naming the problem.
void validate_plan(const PlanDesc& plan);

}  // namespace npuq
