// lut_u8 / lut_s8 / lut_16 (qkernels.h): table lookups indexed by the value's bit pattern read as
// unsigned. Byte gathers have no profitable AVX2/NEON form for a 256-entry table in memory (and none
// for 65536 entries), so one baseline loop serves every tier. Bytes go eight at a time: eight table
// reads, one 8-byte store. (GCC did not unroll the byte loop, which then ran at half speed whenever the
// link put it across a 64-byte line: 29 or 55 us on digits_mobilenetv2's [16, 96, 8, 8] hardsigmoid by
// the build, now 25-27 us.)
#include <cstring>

#include "npuq/qkernels.h"

namespace npuq {

namespace {

void lut_bytes(size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint8_t out[8];
    for (int k = 0; k < 8; ++k) out[k] = table[x[i + k]];
    std::memcpy(y + i, out, 8);
  }
  for (; i < n; ++i) y[i] = table[x[i]];
}

}  // namespace

void lut_u8(size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y) { lut_bytes(n, x, table, y); }

void lut_s8(size_t n, const int8_t* x, const int8_t* table, int8_t* y) {
  lut_bytes(n, reinterpret_cast<const uint8_t*>(x), reinterpret_cast<const uint8_t*>(table), reinterpret_cast<uint8_t*>(y));
}

void lut_16(size_t n, const uint16_t* x, const uint16_t* table, uint16_t* y) {
  for (size_t i = 0; i < n; ++i) y[i] = table[x[i]];
}

}  // namespace npuq
