// NativeObserver: config validation (TypeError / RangeError with code INVALID_ARGUMENT, never an abort)
// and the conversion of accumulated statistics to JS objects.
#include "binding/observer-binding.h"

#include <cstring>

#include "binding/js-args.h"
#include "npuq/stats.h"

namespace npuq {

namespace {

using namespace js;

// A fixed tag, not mutable state: the addon stays context-aware.
const napi_type_tag kObserverTag = {0x6e7075712d6f6273ull, 0x6572766572763031ull};

bool get_bool(const Napi::Object& o, const char* key, bool def, const std::string& where) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return def;
  if (!v.IsBoolean()) type_error(o.Env(), "Expected a boolean for " + where + "." + key + " but received " + js_type(v));
  return v.As<Napi::Boolean>().Value();
}

[[noreturn]] void range_error(Napi::Env env, const std::string& msg) {
  Napi::RangeError e = Napi::RangeError::New(env, msg);
  e.Set("code", Napi::String::New(env, "INVALID_ARGUMENT"));
  throw e;
}

ObserverConfig parse_config(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray() || info[0].IsFunction())
    type_error(env, "Expected a config object for NativeObserver but received " + (info.Length() ? js_type(info[0]) : std::string("nothing")));
  Napi::Object o = info[0].As<Napi::Object>();
  ObserverConfig cfg;
  Napi::Array ts = get_array(o, "tensors", "config");
  for (uint32_t i = 0; i < ts.Length(); ++i)
    cfg.tensors.push_back(int(get_int(ts.Get(i), "config.tensors[" + std::to_string(i) + "]", 0, int64_t(1) << 30)));
  Napi::Value names = o.Get("names");
  if (!names.IsUndefined()) {
    if (!names.IsArray()) type_error(env, "Expected an array of strings for config.names but received " + js_type(names));
    Napi::Array arr = names.As<Napi::Array>();
    if (arr.Length() != ts.Length())
      range_error(env, "Expected " + std::to_string(ts.Length()) + " names (one per tensor) for config.names but received " + std::to_string(arr.Length()));
    for (uint32_t i = 0; i < arr.Length(); ++i) {
      Napi::Value v = arr.Get(i);
      if (!v.IsString()) type_error(env, "Expected a string for config.names[" + std::to_string(i) + "] but received " + js_type(v));
      cfg.names.push_back(v.As<Napi::String>().Utf8Value());
    }
  }
  if (!o.Get("bins").IsUndefined()) cfg.bins = size_t(get_int(o.Get("bins"), "config.bins", 1, int64_t(kMaxHistogramBins)));
  cfg.histogram = get_bool(o, "histogram", true, "config");
  cfg.per_channel = get_bool(o, "perChannel", false, "config");
  Napi::Value ema = o.Get("emaMomentum");
  if (!ema.IsUndefined()) {
    const double c = get_number(ema, "config.emaMomentum");
    if (!(c >= 0 && c <= 1)) range_error(env, "Expected a number in [0, 1] for config.emaMomentum but received " + fmt_num(c));
    cfg.ema_momentum = c;
  }
  return cfg;
}

template <class T, class Arr>
Arr copy_array(Napi::Env env, const std::vector<T>& v) {
  Arr a = Arr::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a[i] = v[i];
  return a;
}

}  // namespace

Napi::Function NativeObserver::Define(Napi::Env env) {
  return DefineClass(env, "NativeObserver",
                     {InstanceMethod("stats", &NativeObserver::Stats), InstanceMethod("reset", &NativeObserver::Reset),
                      InstanceAccessor("size", &NativeObserver::GetSize, nullptr)});
}

NativeObserver::NativeObserver(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeObserver>(info) {
  ObserverConfig cfg = parse_config(info);
  try {
    obs_ = std::make_shared<Observer>(std::move(cfg));
  } catch (const EngineError& e) {
    throw make_error(info.Env(), e.code(), e.what());
  } catch (const std::bad_alloc&) {
    throw make_error(info.Env(), "OUT_OF_MEMORY", "out of memory while creating an observer");
  }
  info.This().As<Napi::Object>().TypeTag(&kObserverTag);
}

std::shared_ptr<Observer> NativeObserver::from_value(const Napi::Value& v, const std::string& where) {
  if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kObserverTag))
    type_error(v.Env(), "Expected a NativeObserver for " + where + " but received " + js_type(v));
  NativeObserver* o = Unwrap(v.As<Napi::Object>());
  if (!o || !o->obs_) type_error(v.Env(), "Expected a NativeObserver for " + where + " but received an uninitialized one");
  return o->obs_;
}

Napi::Value NativeObserver::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<ObservedStats> all;
  try {
    all = obs_->stats();
  } catch (const std::bad_alloc&) {
    throw make_error(env, "OUT_OF_MEMORY", "out of memory while copying the observer's statistics");
  }
  Napi::Array out = Napi::Array::New(env, all.size());
  for (size_t s = 0; s < all.size(); ++s) {
    const ObservedStats& st = all[s];
    Napi::Object o = Napi::Object::New(env);
    o.Set("id", Napi::Number::New(env, st.id));
    o.Set("count", Napi::Number::New(env, double(st.count)));
    o.Set("nonFinite", Napi::Number::New(env, double(st.nonfinite)));
    o.Set("runs", Napi::Number::New(env, double(st.runs)));
    o.Set("derived", Napi::Number::New(env, double(st.derived)));
    o.Set("min", Napi::Number::New(env, st.min));
    o.Set("max", Napi::Number::New(env, st.max));
    o.Set("emaMin", Napi::Number::New(env, st.ema_min));
    o.Set("emaMax", Napi::Number::New(env, st.ema_max));
    o.Set("histMax", Napi::Number::New(env, st.hist_max));
    if (obs_->config().histogram) {
      Napi::Float64Array h = Napi::Float64Array::New(env, st.histogram.size());
      for (size_t i = 0; i < st.histogram.size(); ++i) h[i] = double(st.histogram[i]);
      o.Set("histogram", h);
    } else {
      o.Set("histogram", env.Undefined());
    }
    if (!st.channel_min.empty()) {
      o.Set("channelMin", copy_array<float, Napi::Float32Array>(env, st.channel_min));
      o.Set("channelMax", copy_array<float, Napi::Float32Array>(env, st.channel_max));
    }
    out.Set(uint32_t(s), o);
  }
  return out;
}

Napi::Value NativeObserver::Reset(const Napi::CallbackInfo& info) {
  obs_->reset();
  return info.Env().Undefined();
}

Napi::Value NativeObserver::GetSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(obs_->slots()));
}

}  // namespace npuq
