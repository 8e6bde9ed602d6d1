// Quantized element types of plan tensors (shared by quant.cc, qlinear.cc, qops.cc).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/plan.h"
#include "npuq/qkernels.h"

namespace npuq {

// The kernel type of a plan dtype: u8, s8, u16, s16 and (for accumulators and bias) s32.
inline bool qtype_of(DType d, QType* q) {
  switch (d) {
    case DType::Uint8: *q = QType::U8; return true;
    case DType::Int8: *q = QType::S8; return true;
    case DType::Uint16: *q = QType::U16; return true;
    case DType::Int16: *q = QType::S16; return true;
    case DType::Int32: *q = QType::S32; return true;
    default: return false;
  }
}

// Element i of an integer tensor of up to 32 bits, widened.
inline int32_t load_int(DType d, const uint8_t* p, size_t i) {
  switch (d) {
    case DType::Uint8: return p[i];
    case DType::Int8: return reinterpret_cast<const int8_t*>(p)[i];
    case DType::Uint16: return reinterpret_cast<const uint16_t*>(p)[i];
    case DType::Int16: return reinterpret_cast<const int16_t*>(p)[i];
    case DType::Int32: return reinterpret_cast<const int32_t*>(p)[i];
    default: return 0;
  }
}

// A rounding mode from its snake_case name (the names of rounding.h's Round, as chip profiles spell
// them); false for an unknown name.
inline bool round_from_name(const std::string& s, Round* r) {
  static const char* const names[] = {"half_away_from_zero", "half_up", "half_down", "half_to_even", "half_to_odd",
                                      "half_toward_zero", "toward_zero", "away_from_zero", "ceil", "floor"};
  for (int i = 0; i < kRoundModes; ++i)
    if (s == names[i]) {
      *r = Round(i);
      return true;
    }
  return false;
}

}  // namespace npuq
