// Requantization as the drivers use it: parameters validated once at create() and expanded to one entry
// per output channel, so the kernels index them uniformly (QRequantArgs::stride).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dispatch/q-kernels.h"

namespace npuq {

struct QRequantTable {
  RequantMethod method = RequantMethod::FloatScale;
  Round round = Round::HalfToEven;
  QType out_type = QType::U8;
  int32_t zp = 0, qmin = 0, qmax = 255;
  std::vector<float> scale;          // channels entries (FloatScale), else empty
  std::vector<int32_t> multiplier;   // channels entries (methods with a multiplier), else empty
  std::vector<int32_t> shift;        // channels entries (all but FloatScale), else empty
  bool right_shifts = false;         // every entry of shift >= 0 (QRequantArgs::right_shifts)

  // Arguments for a run starting at channel c0: stride 0 = the whole run is channel c0, 1 = one channel
  // per element. bias32: the full per-channel int32 bias array, or null.
  QRequantArgs args(size_t c0, size_t stride, const int32_t* bias32) const;
};

// Validates r for `channels` output channels of out_type and expands it. Throws std::invalid_argument
// naming the bad value, prefixed by `what`.
QRequantTable make_requant_table(const char* what, const Requant& r, size_t channels, QType out_type);

// int64 accumulators (16-bit operands, or sums beyond int32): out[i] = requantize_one(acc[i] +
// bias[i * a.stride], ...) with the parameters of a (its bias member is ignored). The specification:
// one element at a time on every tier.
void requant_s64(const QRequantArgs& a, const int64_t* acc, const int64_t* bias, size_t n, void* out);

// The same results through the tier's int32 kernel k.requant wherever they can: blocks whose sums
// acc + bias all fit int32 (16-bit activations with small kernels, most of them in practice) are
// narrowed and requantized there; the other blocks go to requant_s64.
void requant_s64_run(const QKernels& k, const QRequantArgs& a, const int64_t* acc, const int64_t* bias, size_t n,
                     void* out);

// Stores v (already within the type's range) as element i of a buffer of type t.
inline void store_q(void* out, size_t i, int32_t v, QType t) {
  switch (t) {
    case QType::U8: static_cast<uint8_t*>(out)[i] = static_cast<uint8_t>(v); break;
    case QType::S8: static_cast<int8_t*>(out)[i] = static_cast<int8_t>(v); break;
    case QType::U16: static_cast<uint16_t*>(out)[i] = static_cast<uint16_t>(v); break;
    case QType::S16: static_cast<int16_t*>(out)[i] = static_cast<int16_t>(v); break;
    case QType::S32: static_cast<int32_t*>(out)[i] = v; break;
  }
}

}  // namespace npuq
