// lut_u8 / lut_s8 / lut_16 (qkernels.h): table lookups indexed by the value's bit pattern read as
// unsigned. Byte gathers have no profitable AVX2/NEON form for a 256-entry table in memory (and none
// for 65536 entries), so one baseline loop serves every tier; the compiler unrolls it.
#include "npuq/qkernels.h"

namespace npuq {

void lut_u8(size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y) {
  for (size_t i = 0; i < n; ++i) y[i] = table[x[i]];
}

void lut_s8(size_t n, const int8_t* x, const int8_t* table, int8_t* y) {
  for (size_t i = 0; i < n; ++i) y[i] = table[static_cast<uint8_t>(x[i])];
}

void lut_16(size_t n, const uint16_t* x, const uint16_t* table, uint16_t* y) {
  for (size_t i = 0; i < n; ++i) y[i] = table[x[i]];
}

}  // namespace npuq
