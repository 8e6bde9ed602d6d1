// Typed element access for the baseline (scalar and driver) quantized code: element i of a buffer of
// QType t read as int32, or an int32 already within t's range written as t. Include only from files
// compiled for the baseline (never from an -<isa>.cc file: these inline functions must not get an
// out-of-line copy built with ISA flags).
#pragma once
#include <cstddef>
#include <cstdint>

#include "npuq/qkernels.h"

namespace npuq {

inline int32_t qload(const void* p, QType t, size_t i) {
  switch (t) {
    case QType::U8: return static_cast<const uint8_t*>(p)[i];
    case QType::S8: return static_cast<const int8_t*>(p)[i];
    case QType::U16: return static_cast<const uint16_t*>(p)[i];
    case QType::S16: return static_cast<const int16_t*>(p)[i];
    case QType::S32: return static_cast<const int32_t*>(p)[i];
  }
  return 0;
}

inline void qstore(void* p, QType t, size_t i, int32_t v) {
  switch (t) {
    case QType::U8: static_cast<uint8_t*>(p)[i] = static_cast<uint8_t>(v); break;
    case QType::S8: static_cast<int8_t*>(p)[i] = static_cast<int8_t>(v); break;
    case QType::U16: static_cast<uint16_t*>(p)[i] = static_cast<uint16_t>(v); break;
    case QType::S16: static_cast<int16_t*>(p)[i] = static_cast<int16_t>(v); break;
    case QType::S32: static_cast<int32_t*>(p)[i] = v; break;
  }
}

inline bool qtype_valid(QType t) { return static_cast<unsigned>(t) <= static_cast<unsigned>(QType::S32); }
inline bool qtype_narrow(QType t) { return static_cast<unsigned>(t) <= static_cast<unsigned>(QType::S16); }

}  // namespace npuq
