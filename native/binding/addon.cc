// N-API glue only: converts JS values into plain C++ structs on the calling thread, runs the engine
// in an AsyncWorker, and touches JS again only in OnOK/OnError. No global mutable state: the addon is
// context-aware (Electron, worker_threads).
#include <napi.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>

#include "binding/js-args.h"
#include "binding/observer-binding.h"
#include "engine/program.h"

namespace npuq {
namespace {

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

// The output bytes become the ArrayBuffer's memory without a copy (an external buffer): V8 then
// allocates nothing, and a failed V8 ArrayBuffer allocation would abort the process, while the
// engine's own allocation of these bytes failed, if at all, as a catchable bad_alloc. Where external
// buffers are not allowed (Electron's V8 memory cage) the bytes are copied.
Napi::ArrayBuffer output_buffer(Napi::Env env, std::vector<uint8_t>&& bytes) {
  const size_t n = bytes.size();
  if (n > 0) {
    auto* holder = new std::vector<uint8_t>(std::move(bytes));
    napi_value ab;
    napi_status st = napi_create_external_arraybuffer(
        env, holder->data(), n, [](napi_env, void*, void* hint) { delete static_cast<std::vector<uint8_t>*>(hint); },
        holder, &ab);
    if (st == napi_ok) return Napi::ArrayBuffer(env, ab);
    bytes = std::move(*holder);
    delete holder;
  }
  Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, n);
  if (n) std::memcpy(ab.Data(), bytes.data(), n);
  return ab;
}

Napi::Value make_typed_array(Napi::Env env, DType t, std::vector<uint8_t>&& bytes) {
  size_t n = bytes.size();
  Napi::ArrayBuffer ab = output_buffer(env, std::move(bytes));
  size_t es = dtype_size(int(t));
  size_t len = es ? n / es : 0;
  switch (t) {
    case DType::Float32: return Napi::Float32Array::New(env, len, ab, 0);
    case DType::Float64: return Napi::Float64Array::New(env, len, ab, 0);
    case DType::Int8: return Napi::Int8Array::New(env, len, ab, 0);
    case DType::Uint8: case DType::Bool: return Napi::Uint8Array::New(env, len, ab, 0);
    case DType::Int16: return Napi::Int16Array::New(env, len, ab, 0);
    case DType::Uint16: case DType::Float16: return Napi::Uint16Array::New(env, len, ab, 0);
    case DType::Int32: return Napi::Int32Array::New(env, len, ab, 0);
    case DType::Uint32: return Napi::Uint32Array::New(env, len, ab, 0);
    case DType::Int64: return Napi::TypedArrayOf<int64_t>::New(env, len, ab, 0, napi_bigint64_array);
    case DType::Uint64: return Napi::TypedArrayOf<uint64_t>::New(env, len, ab, 0, napi_biguint64_array);
  }
  return env.Undefined();
}

class RunWorker : public Napi::AsyncWorker {
 public:
  // observer / hooks (optional): the Observer the hooks feed, kept alive until the run ends.
  RunWorker(Napi::Env env, std::shared_ptr<const Program> prog, std::vector<std::vector<uint8_t>> inputs,
            std::shared_ptr<Observer> observer = nullptr, std::unique_ptr<ObserverRun> hooks = nullptr)
      : Napi::AsyncWorker(env, "npuquant.run"), deferred_(Napi::Promise::Deferred::New(env)),
        prog_(std::move(prog)), inputs_(std::move(inputs)), observer_(std::move(observer)), hooks_(std::move(hooks)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      outputs_ = prog_->run(inputs_, nullptr, hooks_.get());
    } catch (const EngineError& e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "OUT_OF_MEMORY";
      SetError("out of memory during a run");
    } catch (const std::exception& e) {
      code_ = "NATIVE";
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Array out = Napi::Array::New(env, outputs_.size());
    const PlanDesc& p = prog_->plan();
    for (size_t i = 0; i < outputs_.size(); ++i)
      out.Set(uint32_t(i), make_typed_array(env, p.tensors[p.outputs[i]].dtype, std::move(outputs_[i])));
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(make_error(Env(), code_.empty() ? "NATIVE" : code_, e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<const Program> prog_;
  std::vector<std::vector<uint8_t>> inputs_, outputs_;
  std::shared_ptr<Observer> observer_;
  std::unique_ptr<ObserverRun> hooks_;
  std::string code_;
};

class NativeSession : public Napi::ObjectWrap<NativeSession> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeSession",
                       {InstanceMethod("run", &NativeSession::Run), InstanceMethod("dispose", &NativeSession::Dispose),
                        InstanceAccessor("isa", &NativeSession::GetIsa, nullptr)});
  }

  NativeSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeSession>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) type_error(env, "Expected a plan object for NativeSession but received " + (info.Length() ? js_type(info[0]) : std::string("nothing")));
    size_t threads = 1;
    Isa isa = active_isa();
    if (info.Length() > 1 && info[1].IsObject()) {
      Napi::Object o = info[1].As<Napi::Object>();
      if (!o.Get("threads").IsUndefined()) threads = size_t(get_int(o.Get("threads"), "options.threads", 1, 256));
      Napi::Value mi = o.Get("maxIsa");
      if (!mi.IsUndefined()) {
        if (!mi.IsString()) type_error(env, "Expected a string for options.maxIsa but received " + js_type(mi));
        std::string name = mi.As<Napi::String>().Utf8Value();
        Isa want;
        if (!parse_isa(name, &want)) throw make_error(env, "INVALID_ARGUMENT", "Expected one of scalar, avx2, neon, neondot, rvv for options.maxIsa but received \"" + name + "\"");
        bool ok = false;
        for (Isa s : supported_isas()) ok = ok || s == want;
        if (!ok) {
          std::string have;
          for (Isa s : supported_isas()) have += std::string(have.empty() ? "" : ", ") + isa_name(s);
          throw make_error(env, "UNSUPPORTED", "ISA \"" + name + "\" is not available on this CPU/build; available: " + have);
        }
        // Cap: keep the active tier unless the requested one is lower (Scalar is always lowest).
        if (want == Isa::Scalar || static_cast<int>(want) < static_cast<int>(isa)) isa = want;
      }
    }
    try {
      prog_ = std::make_shared<const Program>(parse_plan(info[0].As<Napi::Object>()), isa, threads);
    } catch (const EngineError& e) {
      throw make_error(env, e.code(), e.what());
    } catch (const std::bad_alloc&) {
      throw make_error(env, "OUT_OF_MEMORY", "out of memory while building the session");
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw make_error(env, "NATIVE", e.what());
    }
  }

 private:
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!prog_) {
      // Created only here: a deferred that is never settled keeps its promise alive for good.
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Reject(make_error(env, "DISPOSED", "the session was disposed; create a new one").Value());
      return deferred.Promise();
    }
    if (info.Length() < 1 || !info[0].IsArray()) type_error(env, "Expected an array of inputs for run() but received " + (info.Length() ? js_type(info[0]) : std::string("nothing")));
    Napi::Array arr = info[0].As<Napi::Array>();
    const PlanDesc& p = prog_->plan();
    if (arr.Length() != p.inputs.size())
      throw make_error(env, "INVALID_ARGUMENT", "Expected " + std::to_string(p.inputs.size()) + " inputs for run() but received " + std::to_string(arr.Length()));
    std::vector<std::vector<uint8_t>> inputs;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      auto bytes = view_bytes(arr.Get(i), "input " + std::to_string(i));
      size_t want = p.tensors[p.inputs[i]].bytes;
      if (bytes.second != want)
        throw make_error(env, "INVALID_ARGUMENT", "Expected " + std::to_string(want) + " bytes for input " + std::to_string(i) + " but received " + std::to_string(bytes.second));
      inputs.emplace_back(bytes.first, bytes.first + bytes.second);
    }
    // options.observer: a NativeObserver fed during the run; options.tensorIds: its slot -> tensor id map
    // for this plan (-1 = absent), default the observer's own tensor ids.
    std::shared_ptr<Observer> observer;
    std::unique_ptr<ObserverRun> hooks;
    if (info.Length() > 1 && !info[1].IsUndefined()) {
      if (!info[1].IsObject() || info[1].IsArray() || info[1].IsFunction())
        type_error(env, "Expected an options object for run() but received " + js_type(info[1]));
      Napi::Object o = info[1].As<Napi::Object>();
      Napi::Value ov = o.Get("observer");
      if (!ov.IsUndefined()) {
        observer = NativeObserver::from_value(ov, "options.observer");
        std::vector<int> ids = observer->config().tensors;
        Napi::Value tv = o.Get("tensorIds");
        if (!tv.IsUndefined()) {
          if (!tv.IsArray()) type_error(env, "Expected an array of tensor ids for options.tensorIds but received " + js_type(tv));
          Napi::Array arr = tv.As<Napi::Array>();
          if (arr.Length() != ids.size())
            throw make_error(env, "INVALID_ARGUMENT", "Expected " + std::to_string(ids.size()) + " tensor ids (one per observed tensor) for options.tensorIds but received " + std::to_string(arr.Length()));
          for (uint32_t k = 0; k < arr.Length(); ++k)
            ids[k] = int(get_int(arr.Get(k), "options.tensorIds[" + std::to_string(k) + "]", -1, int64_t(1) << 30));
        }
        try {
          hooks = std::make_unique<ObserverRun>(*observer, *prog_, std::move(ids));
        } catch (const EngineError& e) {
          throw make_error(env, e.code(), e.what());
        } catch (const std::bad_alloc&) {
          throw make_error(env, "OUT_OF_MEMORY", "out of memory while preparing the observer");
        }
      }
    }
    auto* w = new RunWorker(env, prog_, std::move(inputs), std::move(observer), std::move(hooks));
    Napi::Promise pr = w->promise();
    w->Queue();
    return pr;
  }

  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    prog_.reset();  // running workers keep their own reference
    return info.Env().Undefined();
  }

  Napi::Value GetIsa(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), prog_ ? isa_name(prog_->isa()) : "disposed");
  }

  std::shared_ptr<const Program> prog_;
};

class Addon : public Napi::Addon<Addon> {
 public:
  Addon(Napi::Env env, Napi::Object exports) {
    DefineAddon(exports, {InstanceValue("NativeSession", NativeSession::Define(env), napi_enumerable),
                          InstanceValue("NativeObserver", NativeObserver::Define(env), napi_enumerable),
                          InstanceMethod("capabilities", &Addon::Capabilities, napi_enumerable)});
  }

 private:
  Napi::Value Capabilities(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("isa", isa_name(active_isa()));
    Napi::Array isas = Napi::Array::New(env);
    uint32_t k = 0;
    for (Isa s : supported_isas()) isas.Set(k++, isa_name(s));
    o.Set("isas", isas);
    Napi::Array ops = Napi::Array::New(env);
    k = 0;
    for (const auto& kv : op_table()) ops.Set(k++, kv.first);
    o.Set("ops", ops);
#if defined(__x86_64__)
    o.Set("arch", "x64");
#elif defined(__aarch64__)
    o.Set("arch", "arm64");
#elif defined(__riscv) && __riscv_xlen == 64
    o.Set("arch", "riscv64");
#else
    o.Set("arch", "unknown");
#endif
    o.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
    return o;
  }
};

}  // namespace
}  // namespace npuq

using NpuquantAddon = npuq::Addon;
NODE_API_ADDON(NpuquantAddon)
