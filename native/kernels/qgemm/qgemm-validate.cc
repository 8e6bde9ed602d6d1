// Argument checks and expansions shared by QGemm::create and QConv2d::create.
#include <stdexcept>
#include <string>

#include "kernels/qgemm/qgemm-internal.h"

namespace npuq {

namespace {

[[noreturn]] void fail(const char* what, const std::string& msg) {
  throw std::invalid_argument(std::string(what) + ": " + msg);
}

}  // namespace

void qcheck_operand_type(const char* what, const char* name, QType t) {
  if (t != QType::U8 && t != QType::S8 && t != QType::U16 && t != QType::S16)
    fail(what, std::string(name) + "=" + std::to_string(static_cast<int>(t)) + " is not U8, S8, U16 or S16");
}

void qcheck_zero_point(const char* what, const char* name, int64_t zp, QType t) {
  if (zp < qtype_min(t) || zp > qtype_max(t))
    fail(what, std::string(name) + "=" + std::to_string(zp) + " is outside its type's range [" +
                   std::to_string(qtype_min(t)) + ", " + std::to_string(qtype_max(t)) + "]");
}

std::vector<int32_t> qexpand_zero_points(const char* what, const char* name, const std::vector<int32_t>& zp,
                                         size_t channels, QType t) {
  if (zp.size() != 1 && zp.size() != channels)
    fail(what, std::string(name) + " has " + std::to_string(zp.size()) + " entries; expected 1 or " +
                   std::to_string(channels));
  std::vector<int32_t> out(channels);
  for (size_t c = 0; c < channels; ++c) {
    out[c] = zp.size() == 1 ? zp[0] : zp[c];
    if (out[c] < qtype_min(t) || out[c] > qtype_max(t))
      qcheck_zero_point(what, (std::string(name) + "[" + std::to_string(c) + "]").c_str(), out[c], t);
  }
  return out;
}

std::vector<int64_t> qexpand_bias(const char* what, const std::vector<int64_t>& bias, size_t channels) {
  if (!bias.empty() && bias.size() != channels)
    fail(what, "bias has " + std::to_string(bias.size()) + " entries; expected 0 or " + std::to_string(channels));
  std::vector<int64_t> out(channels, 0);
  for (size_t c = 0; c < bias.size(); ++c) {
    if (bias[c] > kRoundSat || bias[c] < -kRoundSat)
      fail(what, "bias[" + std::to_string(c) + "]=" + std::to_string(bias[c]) + " is beyond +-2^62");
    out[c] = bias[c];
  }
  return out;
}

bool qfits_int32(int64_t max_a, const std::vector<int64_t>& abs_w_sum, const std::vector<int64_t>& bias) {
  for (size_t c = 0; c < abs_w_sum.size(); ++c) {
    const int64_t b = bias[c] < 0 ? -bias[c] : bias[c];
    if (b > INT32_MAX || abs_w_sum[c] > INT32_MAX) return false;
    if (max_a * abs_w_sum[c] + b > INT32_MAX) return false;  // both factors < 2^31: no overflow
  }
  return true;
}

std::vector<int32_t> qbias32(const std::vector<int64_t>& bias) {
  std::vector<int32_t> out(bias.size());
  for (size_t c = 0; c < bias.size(); ++c) out[c] = static_cast<int32_t>(bias[c]);
  return out;
}

}  // namespace npuq
