// The NativeObserver JS class (typings/native.d.ts): an engine Observer (engine/observer.h) that
// NativeSession.run(inputs, { observer }) feeds. Objects are type-tagged, so run() recognizes a real
// NativeObserver before unwrapping it.
#pragma once
#include <napi.h>

#include <memory>

#include "engine/observer.h"

namespace npuq {

class NativeObserver : public Napi::ObjectWrap<NativeObserver> {
 public:
  static Napi::Function Define(Napi::Env env);
  // The Observer behind `v`; throws a TypeError (code INVALID_ARGUMENT) naming `where` when `v` is not a
  // NativeObserver.
  static std::shared_ptr<Observer> from_value(const Napi::Value& v, const std::string& where);

  explicit NativeObserver(const Napi::CallbackInfo& info);

 private:
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value Reset(const Napi::CallbackInfo& info);
  Napi::Value GetSize(const Napi::CallbackInfo& info);

  std::shared_ptr<Observer> obs_;
};

}  // namespace npuq
