#include "binding/plan-object.h"

#include <memory>
#include <string>
#include <vector>

#include "binding/js-args.h"

namespace npuq {

using namespace js;

PlanDesc parse_plan(const Napi::Object& plan) {
  PlanDesc p;
  Napi::Env env = plan.Env();
  Napi::Array tensors = get_array(plan, "tensors", "plan");
  for (uint32_t i = 0; i < tensors.Length(); ++i) {
    std::string w = "plan.tensors[" + std::to_string(i) + "]";
    Napi::Value tv = tensors.Get(i);
    if (!tv.IsObject()) type_error(env, "Expected an object for " + w + " but received " + js_type(tv));
    Napi::Object t = tv.As<Napi::Object>();
    TensorDesc d;
    int64_t code = get_int(t.Get("dtype"), w + ".dtype", 0, 64);
    if (dtype_size(int(code)) == 0) throw EngineError("UNSUPPORTED", w + " has data type code " + std::to_string(code) + ", which the engine does not handle");
    d.dtype = static_cast<DType>(code);
    Napi::Array shape = get_array(t, "shape", w);
    d.numel = 1;
    for (uint32_t k = 0; k < shape.Length(); ++k) {
      int64_t dim = get_int(shape.Get(k), w + ".shape[" + std::to_string(k) + "]", 0, int64_t(1) << 40);
      d.shape.push_back(dim);
      if (dim != 0 && d.numel > (size_t(1) << 40) / size_t(dim)) throw EngineError("INVALID_PLAN", w + " is too large");
      d.numel *= size_t(dim);
    }
    d.bytes = d.numel * dtype_size(int(code));
    Napi::Value data = t.Get("data");
    if (!data.IsUndefined() && !data.IsNull()) {
      auto bytes = view_bytes(data, w + ".data");
      d.is_const = true;
      d.data = std::make_shared<const std::vector<uint8_t>>(bytes.first, bytes.first + bytes.second);
    } else {
      d.offset = size_t(get_int(t.Get("offset"), w + ".offset", 0, int64_t(1) << 46));
    }
    p.tensors.push_back(std::move(d));
  }
  Napi::Array nodes = get_array(plan, "nodes", "plan");
  for (uint32_t i = 0; i < nodes.Length(); ++i) {
    std::string w = "plan.nodes[" + std::to_string(i) + "]";
    Napi::Value nv = nodes.Get(i);
    if (!nv.IsObject()) type_error(env, "Expected an object for " + w + " but received " + js_type(nv));
    Napi::Object n = nv.As<Napi::Object>();
    NodeDesc nd;
    if (!n.Get("op").IsString()) type_error(env, "Expected a string for " + w + ".op but received " + js_type(n.Get("op")));
    nd.op = n.Get("op").As<Napi::String>().Utf8Value();
    nd.name = n.Get("name").IsString() ? n.Get("name").As<Napi::String>().Utf8Value() : std::string();
    for (const char* key : {"inputs", "outputs"}) {
      Napi::Array ids = get_array(n, key, w);
      auto& dst = std::string(key) == "inputs" ? nd.inputs : nd.outputs;
      for (uint32_t k = 0; k < ids.Length(); ++k)
        dst.push_back(int(get_int(ids.Get(k), w + "." + key + "[" + std::to_string(k) + "]", -1, int64_t(1) << 30)));
    }
    nd.attrs.where = nd.op + " \"" + nd.name + "\"";
    Napi::Value av = n.Get("attrs");
    if (av.IsObject()) {
      Napi::Object attrs = av.As<Napi::Object>();
      Napi::Array keys = attrs.GetPropertyNames();
      for (uint32_t k = 0; k < keys.Length(); ++k) {
        std::string key = keys.Get(k).As<Napi::String>().Utf8Value();
        Napi::Value v = attrs.Get(key);
        AttrValue a;
        std::string aw = w + ".attrs." + key;
        if (v.IsNumber()) { a.kind = AttrValue::Number; a.number = v.As<Napi::Number>().DoubleValue(); }
        else if (v.IsString()) { a.kind = AttrValue::String; a.str = v.As<Napi::String>().Utf8Value(); }
        else if (v.IsArray()) {
          a.kind = AttrValue::Numbers;
          Napi::Array arr = v.As<Napi::Array>();
          for (uint32_t j = 0; j < arr.Length(); ++j) a.numbers.push_back(get_number(arr.Get(j), aw + "[" + std::to_string(j) + "]"));
        } else type_error(env, "Expected a number, string or number[] for " + aw + " but received " + js_type(v));
        nd.attrs.values[key] = std::move(a);
      }
    }
    p.nodes.push_back(std::move(nd));
  }
  for (const char* key : {"inputs", "outputs"}) {
    Napi::Array ids = get_array(plan, key, "plan");
    auto& dst = std::string(key) == "inputs" ? p.inputs : p.outputs;
    for (uint32_t k = 0; k < ids.Length(); ++k)
      dst.push_back(int(get_int(ids.Get(k), std::string("plan.") + key + "[" + std::to_string(k) + "]", 0, int64_t(1) << 30)));
  }
  p.arena_bytes = size_t(get_int(plan.Get("arenaBytes"), "plan.arenaBytes", 0, int64_t(1) << 46));
  return p;
}

}  // namespace npuq
