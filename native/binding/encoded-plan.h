// The encoded plan of NativeSession.create (lib/runtime/encode-plan.ts writes it): the whole plan in
// one Float64Array of numbers and one UTF-8 byte string, plus the constant tensors' bytes. Reading
// it needs no JS, so the session build decodes it on a libuv worker thread; only the copies of the
// three buffers stay on the calling thread (a plan object costs one N-API call per field instead:
// ~45 ms for the 4,000 tensors and 1,800 nodes of PP-OCRv4 det's analysis graph).
//
// meta (all integers exact in a double):
//   1 (format version), tensor count, node count, input count, output count, arena bytes,
//   per tensor: dtype, rank, dims..., constant index (into data; -1: an arena tensor), arena offset
//   per node:   op (text offset, length), name (offset, length), input count, ids..., output count,
//               ids..., attribute count, per attribute: key (offset, length), kind, then
//               kind 0: the number; 1: string (offset, length); 2: count, numbers...
//   input ids..., output ids...
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/plan.h"

namespace npuq {

// Decodes and bounds-checks an encoded plan; throws EngineError INVALID_PLAN / UNSUPPORTED naming the
// first problem (validate_plan then checks ids, sizes and the arena, as for a plan object).
PlanDesc decode_plan(const std::vector<double>& meta, const std::vector<uint8_t>& text,
                     std::vector<std::shared_ptr<const std::vector<uint8_t>>> data);

}  // namespace npuq
