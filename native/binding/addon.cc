// N-API glue only: converts JS values into plain C++ structs on the calling thread, runs the engine
// in an AsyncWorker, and touches JS again only in OnOK/OnError. No global mutable state: the addon is
// context-aware (Electron, worker_threads).
#include <napi.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>

#include "binding/encoded-plan.h"
#include "binding/plan-object.h"
#include "binding/js-args.h"
#include "binding/observer-binding.h"
#include "engine/program.h"

namespace npuq {
namespace {

using namespace js;

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

class Addon;

// The outputs of a run as typed arrays (moved, not copied), in plan order.
Napi::Array outputs_to_js(Napi::Env env, const Program& prog, std::vector<std::vector<uint8_t>> outputs) {
  Napi::Array out = Napi::Array::New(env, outputs.size());
  const PlanDesc& p = prog.plan();
  for (size_t i = 0; i < outputs.size(); ++i)
    out.Set(uint32_t(i), make_typed_array(env, p.tensors[p.outputs[i]].dtype, std::move(outputs[i])));
  return out;
}

class RunWorker : public Napi::AsyncWorker {
 public:
  // observer / hooks (optional): the Observer the hooks feed, kept alive until the run ends.
  // rows > 0: the inputs hold that many rows, run in chunks of the plan's batch (Program::run_rows).
  RunWorker(Napi::Env env, std::shared_ptr<const Program> prog, std::vector<std::vector<uint8_t>> inputs,
            size_t rows, std::shared_ptr<Observer> observer = nullptr, std::unique_ptr<ObserverRun> hooks = nullptr)
      : Napi::AsyncWorker(env, "npuquant.run"), deferred_(Napi::Promise::Deferred::New(env)),
        prog_(std::move(prog)), inputs_(std::move(inputs)), rows_(rows), observer_(std::move(observer)),
        hooks_(std::move(hooks)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      outputs_ = rows_ ? prog_->run_rows(inputs_, rows_) : prog_->run(inputs_, nullptr, hooks_.get());
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
  void OnOK() override { deferred_.Resolve(outputs_to_js(Env(), *prog_, std::move(outputs_))); }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(make_error(Env(), code_.empty() ? "NATIVE" : code_, e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<const Program> prog_;
  std::vector<std::vector<uint8_t>> inputs_, outputs_;
  size_t rows_;
  std::shared_ptr<Observer> observer_;
  std::unique_ptr<ObserverRun> hooks_;
  std::string code_;
};

class NativeSession : public Napi::ObjectWrap<NativeSession> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeSession",
                       {StaticMethod("create", &NativeSession::Create), InstanceMethod("run", &NativeSession::Run),
                        InstanceMethod("runSync", &NativeSession::RunSync),
                        InstanceMethod("dispose", &NativeSession::Dispose),
                        InstanceAccessor("isa", &NativeSession::GetIsa, nullptr)});
  }

  // new NativeSession(plan, options): parses the plan and builds the Program (prepacking weights) on the
  // calling thread. NativeSession.create(plan, options) builds it in a BuildWorker instead; the object it
  // resolves with is made by this constructor, which then adopts the built Program (Addon::adopting).
  NativeSession(const Napi::CallbackInfo& info);

  // NativeSession.create(plan, options) -> Promise<NativeSession>.
  static Napi::Value Create(const Napi::CallbackInfo& info);

 private:
  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!prog_) {
      // Created only here: a deferred that is never settled keeps its promise alive for good.
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Reject(make_error(env, "DISPOSED", "the session was disposed; create a new one").Value());
      return deferred.Promise();
    }
    const size_t rows = parse_rows(info, "run()");
    std::vector<std::vector<uint8_t>> inputs = parse_inputs(info, "run()", rows);
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
        if (rows) throw make_error(env, "INVALID_ARGUMENT", "options.rows and options.observer cannot be combined: an observed run sees the whole batch at once");
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
    auto* w = new RunWorker(env, prog_, std::move(inputs), rows, std::move(observer), std::move(hooks));
    Napi::Promise pr = w->promise();
    w->Queue();
    return pr;
  }

  // runSync(inputs, options?) -> ArrayBufferView[]: the same run on the calling thread (the pool's
  // threads still help), for worker threads and tools that may block: no hop to a libuv worker and
  // back. options.rows as for run().
  Napi::Value RunSync(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!prog_) throw make_error(env, "DISPOSED", "the session was disposed; create a new one");
    const size_t rows = parse_rows(info, "runSync()");
    std::vector<std::vector<uint8_t>> inputs = parse_inputs(info, "runSync()", rows);
    const std::shared_ptr<const Program> prog = prog_;
    std::vector<std::vector<uint8_t>> outputs;
    try {
      outputs = rows ? prog->run_rows(inputs, rows) : prog->run(inputs, nullptr, nullptr);
    } catch (const EngineError& e) {
      throw make_error(env, e.code(), e.what());
    } catch (const std::bad_alloc&) {
      throw make_error(env, "OUT_OF_MEMORY", "out of memory during a run");
    } catch (const std::exception& e) {
      throw make_error(env, "NATIVE", e.what());
    }
    return outputs_to_js(env, *prog, std::move(outputs));
  }

  // info[1].rows: run that many rows in chunks of the plan's batch (0 when absent: a plain run).
  size_t parse_rows(const Napi::CallbackInfo& info, const std::string& what) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || info[1].IsUndefined()) return 0;
    if (!info[1].IsObject() || info[1].IsArray() || info[1].IsFunction())
      type_error(env, "Expected an options object for " + what + " but received " + js_type(info[1]));
    Napi::Value rv = info[1].As<Napi::Object>().Get("rows");
    if (rv.IsUndefined()) return 0;
    const size_t rows = size_t(get_int(rv, "options.rows", 1, int64_t(1) << 40));
    if (prog_->batch_rows() == 0)
      throw make_error(env, "INVALID_ARGUMENT", "options.rows needs a plan whose inputs and outputs share their first dimension; this plan's do not");
    return rows;
  }

  // info[0]: one typed array per plan input, of exactly the input's byte size (of `rows` rows when
  // rows > 0); copied.
  std::vector<std::vector<uint8_t>> parse_inputs(const Napi::CallbackInfo& info, const std::string& what, size_t rows) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsArray()) type_error(env, "Expected an array of inputs for " + what + " but received " + (info.Length() ? js_type(info[0]) : std::string("nothing")));
    Napi::Array arr = info[0].As<Napi::Array>();
    const PlanDesc& p = prog_->plan();
    if (arr.Length() != p.inputs.size())
      throw make_error(env, "INVALID_ARGUMENT", "Expected " + std::to_string(p.inputs.size()) + " inputs for " + what + " but received " + std::to_string(arr.Length()));
    std::vector<std::vector<uint8_t>> inputs;
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      auto bytes = view_bytes(arr.Get(i), "input " + std::to_string(i));
      const size_t want = p.tensors[p.inputs[i]].bytes;
      if (rows) {
        // Compared by division: rows * row could wrap around for an absurd row count.
        const size_t row = want / prog_->batch_rows();
        if (row == 0 ? bytes.second != 0 : bytes.second % row != 0 || bytes.second / row != rows)
          throw make_error(env, "INVALID_ARGUMENT", "Expected " + std::to_string(rows) + " rows of " + std::to_string(row) + " bytes for input " + std::to_string(i) + " but received " + std::to_string(bytes.second) + " bytes");
      } else if (bytes.second != want) {
        throw make_error(env, "INVALID_ARGUMENT", "Expected " + std::to_string(want) + " bytes for input " + std::to_string(i) + " but received " + std::to_string(bytes.second));
      }
      inputs.emplace_back(bytes.first, bytes.first + bytes.second);
    }
    return inputs;
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
  // Per environment (no global state): the NativeSession class, so a BuildWorker can instantiate it, and
  // the Program the constructor adopts while a BuildWorker's OnOK runs it (set and cleared around that
  // one synchronous call only; JS cannot reach it).
  Napi::FunctionReference session_ctor;
  std::shared_ptr<const Program> adopting;

  Addon(Napi::Env env, Napi::Object exports) {
    Napi::Function session = NativeSession::Define(env);
    session_ctor = Napi::Persistent(session);
    DefineAddon(exports, {InstanceValue("NativeSession", session, napi_enumerable),
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


struct SessionConfig {
  Isa isa;
  size_t threads;
};

// options { threads?, maxIsa? } of new NativeSession / NativeSession.create.
SessionConfig parse_config(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SessionConfig c{active_isa(), 1};
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    if (!o.Get("threads").IsUndefined()) c.threads = size_t(get_int(o.Get("threads"), "options.threads", 1, 256));
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
      if (want == Isa::Scalar || static_cast<int>(want) < static_cast<int>(c.isa)) c.isa = want;
    }
  }
  return c;
}

void expect_plan(const Napi::CallbackInfo& info, const char* who) {
  if (info.Length() < 1 || !info[0].IsObject())
    type_error(info.Env(), std::string("Expected a plan object for ") + who + " but received " + (info.Length() ? js_type(info[0]) : std::string("nothing")));
}

NativeSession::NativeSession(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeSession>(info) {
  Napi::Env env = info.Env();
  Addon* addon = env.GetInstanceData<Addon>();
  if (addon && addon->adopting) {
    prog_ = std::move(addon->adopting);
    addon->adopting.reset();
    return;
  }
  expect_plan(info, "NativeSession");
  SessionConfig c = parse_config(info);
  try {
    prog_ = std::make_shared<const Program>(parse_plan(info[0].As<Napi::Object>()), c.isa, c.threads);
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

// An encoded plan (binding/encoded-plan.h) copied out of its JS buffers on the calling thread.
struct EncodedPlan {
  std::vector<double> meta;
  std::vector<uint8_t> text;
  std::vector<std::shared_ptr<const std::vector<uint8_t>>> data;
};

EncodedPlan read_encoded(const Napi::Object& o) {
  Napi::Env env = o.Env();
  EncodedPlan e;
  Napi::Value mv = o.Get("meta");
  if (!mv.IsTypedArray() || mv.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    type_error(env, "Expected a Float64Array for plan.meta but received " + js_type(mv));
  auto meta = view_bytes(mv, "plan.meta");
  e.meta.resize(meta.second / sizeof(double));
  if (meta.second) std::memcpy(e.meta.data(), meta.first, e.meta.size() * sizeof(double));
  Napi::Value tv = o.Get("text");
  if (!tv.IsTypedArray() || tv.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    type_error(env, "Expected a Uint8Array for plan.text but received " + js_type(tv));
  auto text = view_bytes(tv, "plan.text");
  e.text.assign(text.first, text.first + text.second);
  Napi::Array data = get_array(o, "data", "plan");
  e.data.reserve(data.Length());
  for (uint32_t i = 0; i < data.Length(); ++i) {
    auto bytes = view_bytes(data.Get(i), "plan.data[" + std::to_string(i) + "]");
    e.data.push_back(std::make_shared<const std::vector<uint8_t>>(bytes.first, bytes.first + bytes.second));
  }
  return e;
}

// Decodes the plan and builds the Program (validation, op construction, weight prepacking, the thread
// pool) off the JS thread. Nothing here touches JS until OnOK.
class BuildWorker : public Napi::AsyncWorker {
 public:
  BuildWorker(Napi::Env env, EncodedPlan plan, SessionConfig config)
      : Napi::AsyncWorker(env, "npuquant.build"), deferred_(Napi::Promise::Deferred::New(env)),
        plan_(std::move(plan)), config_(config) {}
  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      PlanDesc plan = decode_plan(plan_.meta, plan_.text, std::move(plan_.data));
      plan_ = EncodedPlan();
      prog_ = std::make_shared<const Program>(std::move(plan), config_.isa, config_.threads);
    } catch (const EngineError& e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      code_ = "OUT_OF_MEMORY";
      SetError("out of memory while building the session");
    } catch (const std::exception& e) {
      code_ = "NATIVE";
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Addon* addon = env.GetInstanceData<Addon>();
    addon->adopting = prog_;
    struct Clear {
      Addon* a;
      ~Clear() { a->adopting.reset(); }
    } clear{addon};
    Napi::Object session = addon->session_ctor.New({});
    prog_.reset();
    deferred_.Resolve(session);
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(make_error(Env(), code_.empty() ? "NATIVE" : code_, e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  EncodedPlan plan_;
  SessionConfig config_;
  std::shared_ptr<const Program> prog_;
  std::string code_;
};

Napi::Value NativeSession::Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray())
    type_error(env, "Expected an encoded plan { meta, text, data } for NativeSession.create but received " + (info.Length() ? js_type(info[0]) : std::string("nothing")));
  SessionConfig c = parse_config(info);
  EncodedPlan plan;
  try {
    plan = read_encoded(info[0].As<Napi::Object>());
  } catch (const std::bad_alloc&) {
    throw make_error(env, "OUT_OF_MEMORY", "out of memory while reading the plan");
  }
  auto* w = new BuildWorker(env, std::move(plan), c);
  Napi::Promise pr = w->promise();
  w->Queue();
  return pr;
}

}  // namespace
}  // namespace npuq

using NpuquantAddon = npuq::Addon;
NODE_API_ADDON(NpuquantAddon)
