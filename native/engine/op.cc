#include "engine/op.h"

#include <cstring>

namespace npuq {

int OpBuild::in_id(size_t i) const {
  if (!has_input(i)) fail("input " + std::to_string(i) + " is required but missing");
  return node.inputs[i];
}

int OpBuild::out_id(size_t i) const {
  if (i >= node.outputs.size() || node.outputs[i] < 0) fail("output " + std::to_string(i) + " is required but missing");
  return node.outputs[i];
}

void OpBuild::expect_counts(size_t min_in, size_t max_in, size_t min_out, size_t max_out) const {
  size_t ni = node.inputs.size(), no = node.outputs.size();
  if (ni < min_in || ni > max_in)
    fail("expected " + std::to_string(min_in) + ".." + std::to_string(max_in) + " inputs but received " + std::to_string(ni));
  if (no < min_out || no > max_out)
    fail("expected " + std::to_string(min_out) + ".." + std::to_string(max_out) + " outputs but received " + std::to_string(no));
}

void OpBuild::expect_dtype(const TensorDesc& t, DType d, const char* role) const {
  if (t.dtype != d)
    unsupported(std::string("expected a ") + dtype_name(static_cast<int>(d)) + " " + role + " but received " +
                dtype_name(static_cast<int>(t.dtype)));
}

std::vector<int64_t> OpBuild::const_ints(size_t i) const {
  const TensorDesc& t = in(i);
  if (!t.is_const) fail("input " + std::to_string(i) + " must be a constant");
  std::vector<int64_t> v(t.numel);
  if (t.dtype == DType::Int64) {
    std::memcpy(v.data(), t.data->data(), t.bytes);
  } else if (t.dtype == DType::Int32) {
    const int32_t* p = reinterpret_cast<const int32_t*>(t.data->data());
    for (size_t k = 0; k < t.numel; ++k) v[k] = p[k];
  } else {
    fail("input " + std::to_string(i) + " must be int32 or int64");
  }
  return v;
}

float OpBuild::const_scalar_f32(size_t i) const {
  const TensorDesc& t = in(i);
  expect_dtype(t, DType::Float32, "scalar input");
  if (t.numel != 1) fail("input " + std::to_string(i) + " must hold one value");
  return *const_data<float>(i);
}

size_t shape_numel(const std::vector<int64_t>& s) {
  size_t n = 1;
  for (int64_t d : s) n *= static_cast<size_t>(d);
  return n;
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

}  // namespace npuq
