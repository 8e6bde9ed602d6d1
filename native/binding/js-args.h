// Argument conversion helpers shared by the binding files: JS values to plain C++ values, with
// TypeError / RangeError (code INVALID_ARGUMENT) "Expected ... for ... but received ..." on misuse.
#pragma once
#include <napi.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

namespace npuq {
namespace js {

inline Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

[[noreturn]] inline void type_error(Napi::Env env, const std::string& msg) {
  Napi::TypeError e = Napi::TypeError::New(env, msg);
  e.Set("code", Napi::String::New(env, "INVALID_ARGUMENT"));
  throw e;
}

inline std::string js_type(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsArray()) return "an array";
  if (v.IsTypedArray() || v.IsDataView()) return "an ArrayBufferView";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return "a boolean";
  if (v.IsFunction()) return "a function";
  return "an object";
}

inline Napi::Array get_array(const Napi::Object& o, const char* key, const std::string& where) {
  Napi::Value v = o.Get(key);
  if (!v.IsArray()) type_error(o.Env(), "Expected an array for " + where + "." + key + " but received " + js_type(v));
  return v.As<Napi::Array>();
}

inline double get_number(const Napi::Value& v, const std::string& where) {
  if (!v.IsNumber()) type_error(v.Env(), "Expected a number for " + where + " but received " + js_type(v));
  return v.As<Napi::Number>().DoubleValue();
}

inline std::string fmt_num(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", d);
  return buf;
}

inline int64_t get_int(const Napi::Value& v, const std::string& where, int64_t lo, int64_t hi) {
  double d = get_number(v, where);
  if (!(d >= double(lo) && d <= double(hi)) || d != static_cast<double>(static_cast<int64_t>(d))) {
    Napi::RangeError e = Napi::RangeError::New(v.Env(), "Expected an integer in [" + std::to_string(lo) + ", " +
                                                             std::to_string(hi) + "] for " + where + " but received " + fmt_num(d));
    e.Set("code", Napi::String::New(v.Env(), "INVALID_ARGUMENT"));
    throw e;
  }
  return static_cast<int64_t>(d);
}

// Bytes of an ArrayBufferView (TypedArray or DataView, over an ArrayBuffer or a SharedArrayBuffer);
// throws on anything else and on detached buffers. Raw N-API calls, because node-addon-api's
// ArrayBuffer wrapper fails on a SharedArrayBuffer with a bare "Invalid argument" error.
inline std::pair<const uint8_t*, size_t> view_bytes(const Napi::Value& v, const std::string& where) {
  napi_env env = v.Env();
  napi_value buffer = nullptr;
  void* data = nullptr;
  size_t bytes = 0, offset = 0;
  napi_status st = napi_ok;
  if (v.IsTypedArray()) {
    napi_typedarray_type type;
    size_t length = 0;
    st = napi_get_typedarray_info(env, v, &type, &length, &data, &buffer, &offset);
    if (st == napi_ok) bytes = v.As<Napi::TypedArray>().ByteLength();
  } else if (v.IsDataView()) {
    st = napi_get_dataview_info(env, v, &bytes, &data, &buffer, &offset);
  } else {
    type_error(v.Env(), "Expected an ArrayBufferView for " + where + " but received " + js_type(v));
  }
  if (st != napi_ok) type_error(v.Env(), "Expected a readable ArrayBufferView for " + where);
  bool detached = false;  // a SharedArrayBuffer is never detached
  if (napi_is_detached_arraybuffer(env, buffer, &detached) == napi_ok && detached)
    type_error(v.Env(), "Expected a live buffer for " + where + " but received a detached one");
  if (bytes > 0 && data == nullptr) type_error(v.Env(), "Expected a readable ArrayBufferView for " + where);
  return {static_cast<const uint8_t*>(data), bytes};
}

}  // namespace js
}  // namespace npuq
