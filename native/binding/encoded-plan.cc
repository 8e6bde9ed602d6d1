#include "binding/encoded-plan.h"

#include <cmath>
#include <string>

namespace npuq {
namespace {

class Reader {
 public:
  Reader(const std::vector<double>& meta, const std::vector<uint8_t>& text) : meta_(meta), text_(text) {}

  double number(const std::string& what) {
    if (pos_ >= meta_.size()) fail("the encoded plan ends inside " + what);
    return meta_[pos_++];
  }
  int64_t integer(const std::string& what, int64_t lo, int64_t hi) {
    double d = number(what);
    if (!(d >= double(lo) && d <= double(hi)) || d != std::floor(d))
      fail("Expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "] for " + what + " in the encoded plan");
    return static_cast<int64_t>(d);
  }
  std::string str(const std::string& what) {
    size_t off = size_t(integer(what + " (text offset)", 0, int64_t(text_.size())));
    size_t len = size_t(integer(what + " (text length)", 0, int64_t(text_.size() - off)));
    return std::string(reinterpret_cast<const char*>(text_.data()) + off, len);
  }
  size_t count(const std::string& what) {
    // Every counted item takes at least one number, so a count beyond the rest is corrupt.
    return size_t(integer(what, 0, int64_t(meta_.size() - pos_)));
  }
  bool done() const { return pos_ == meta_.size(); }
  [[noreturn]] static void fail(const std::string& msg) { throw EngineError("INVALID_PLAN", msg); }

 private:
  const std::vector<double>& meta_;
  const std::vector<uint8_t>& text_;
  size_t pos_ = 0;
};

}  // namespace

PlanDesc decode_plan(const std::vector<double>& meta, const std::vector<uint8_t>& text,
                     std::vector<std::shared_ptr<const std::vector<uint8_t>>> data) {
  Reader r(meta, text);
  if (r.integer("the format version", 1, 1) != 1) Reader::fail("unknown encoded plan version");
  PlanDesc p;
  const size_t n_tensors = r.count("the tensor count");
  const size_t n_nodes = r.count("the node count");
  const size_t n_inputs = r.count("the input count");
  const size_t n_outputs = r.count("the output count");
  p.arena_bytes = size_t(r.integer("plan.arenaBytes", 0, int64_t(1) << 46));
  p.tensors.reserve(n_tensors);
  std::vector<bool> used(data.size(), false);
  for (size_t i = 0; i < n_tensors; ++i) {
    const std::string w = "plan.tensors[" + std::to_string(i) + "]";
    TensorDesc d;
    int64_t code = r.integer(w + ".dtype", 0, 64);
    if (dtype_size(int(code)) == 0) throw EngineError("UNSUPPORTED", w + " has data type code " + std::to_string(code) + ", which the engine does not handle");
    d.dtype = static_cast<DType>(code);
    size_t rank = size_t(r.integer(w + " rank", 0, 64));
    d.numel = 1;
    for (size_t k = 0; k < rank; ++k) {
      int64_t dim = r.integer(w + ".shape[" + std::to_string(k) + "]", 0, int64_t(1) << 40);
      d.shape.push_back(dim);
      if (dim != 0 && d.numel > (size_t(1) << 40) / size_t(dim)) Reader::fail(w + " is too large");
      d.numel *= size_t(dim);
    }
    d.bytes = d.numel * dtype_size(int(code));
    int64_t index = r.integer(w + " constant index", -1, int64_t(data.size()) - 1);
    int64_t offset = r.integer(w + ".offset", 0, int64_t(1) << 46);
    if (index >= 0) {
      if (used[size_t(index)]) Reader::fail(w + " reuses constant data " + std::to_string(index));
      used[size_t(index)] = true;
      d.is_const = true;
      d.data = std::move(data[size_t(index)]);
    } else {
      d.offset = size_t(offset);
    }
    p.tensors.push_back(std::move(d));
  }
  p.nodes.reserve(n_nodes);
  for (size_t i = 0; i < n_nodes; ++i) {
    const std::string w = "plan.nodes[" + std::to_string(i) + "]";
    NodeDesc nd;
    nd.op = r.str(w + ".op");
    nd.name = r.str(w + ".name");
    for (int side = 0; side < 2; ++side) {
      const std::string key = side == 0 ? ".inputs" : ".outputs";
      auto& dst = side == 0 ? nd.inputs : nd.outputs;
      size_t n = r.count(w + key + " count");
      for (size_t k = 0; k < n; ++k) dst.push_back(int(r.integer(w + key + "[" + std::to_string(k) + "]", -1, int64_t(1) << 30)));
    }
    nd.attrs.where = nd.op + " \"" + nd.name + "\"";
    size_t n_attrs = r.count(w + " attribute count");
    for (size_t k = 0; k < n_attrs; ++k) {
      std::string key = r.str(w + " attribute " + std::to_string(k) + " name");
      const std::string aw = w + ".attrs." + key;
      AttrValue a;
      switch (r.integer(aw + " kind", 0, 2)) {
        case 0: a.kind = AttrValue::Number; a.number = r.number(aw); break;
        case 1: a.kind = AttrValue::String; a.str = r.str(aw); break;
        default: {
          a.kind = AttrValue::Numbers;
          size_t n = r.count(aw + " length");
          a.numbers.reserve(n);
          for (size_t j = 0; j < n; ++j) a.numbers.push_back(r.number(aw + "[" + std::to_string(j) + "]"));
        }
      }
      nd.attrs.values[key] = std::move(a);
    }
    p.nodes.push_back(std::move(nd));
  }
  for (size_t k = 0; k < n_inputs; ++k) p.inputs.push_back(int(r.integer("plan.inputs[" + std::to_string(k) + "]", 0, int64_t(1) << 30)));
  for (size_t k = 0; k < n_outputs; ++k) p.outputs.push_back(int(r.integer("plan.outputs[" + std::to_string(k) + "]", 0, int64_t(1) << 30)));
  if (!r.done()) Reader::fail("the encoded plan has numbers after its last output id");
  return p;
}

}  // namespace npuq
