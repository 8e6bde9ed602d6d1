// A plan object (typings/native.d.ts NativePlan) read field by field on the calling thread, for
// new NativeSession(plan). NativeSession.create takes the encoded plan instead (encoded-plan.h).
#pragma once
#include <napi.h>

#include "engine/plan.h"

namespace npuq {

// Converts the plan object; TypeError / RangeError (code INVALID_ARGUMENT) on malformed fields,
// EngineError UNSUPPORTED / INVALID_PLAN on unsupported data types and oversized tensors.
PlanDesc parse_plan(const Napi::Object& plan);

}  // namespace npuq
