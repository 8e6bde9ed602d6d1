// Shape validation for Conv2dF32 / ConvTranspose2dF32::create.
#include <stdexcept>
#include <string>

#include "kernels/conv/conv-internal.h"

namespace npuq {

namespace {

[[noreturn]] void fail(const char* what, const std::string& msg) {
  throw std::invalid_argument(std::string(what) + ": " + msg);
}

std::string kv(const char* name, size_t v) { return std::string(name) + "=" + std::to_string(v); }

}  // namespace

void validate_conv2d(const char* what, const Conv2dShape& s, const float* weight, bool transposed) {
  const struct { const char* name; size_t v; } positive[] = {
      {"C", s.C}, {"H", s.H}, {"W", s.W}, {"M", s.M}, {"OH", s.OH}, {"OW", s.OW}, {"KH", s.KH},
      {"KW", s.KW}, {"SH", s.SH}, {"SW", s.SW}, {"DH", s.DH}, {"DW", s.DW}, {"G", s.G}};
  constexpr size_t kMax = size_t{1} << 31;
  for (const auto& p : positive) {
    if (p.v == 0) fail(what, kv(p.name, p.v) + " must be positive");
    if (p.v >= kMax) fail(what, kv(p.name, p.v) + " is too large");
  }
  if (s.N >= kMax) fail(what, kv("N", s.N) + " is too large");
  if (s.PT >= kMax || s.PL >= kMax) fail(what, kv("PT", s.PT) + ", " + kv("PL", s.PL) + ": pads too large");
  if (s.C % s.G) fail(what, kv("C", s.C) + " is not divisible by " + kv("G", s.G));
  if (s.M % s.G) fail(what, kv("M", s.M) + " is not divisible by " + kv("G", s.G));
  if (!weight) fail(what, "weight is null");
  const size_t eh = (s.KH - 1) * s.DH + 1, ew = (s.KW - 1) * s.DW + 1;
  if (!transposed) {
    // The last window may hang over the bottom/right by at most the kernel extent plus the stride.
    if ((s.OH - 1) * s.SH + eh > s.H + s.PT + eh + s.SH)
      fail(what, kv("OH", s.OH) + " is too large for " + kv("H", s.H) + ", " + kv("PT", s.PT) + ", " +
                     kv("KH", s.KH) + ", " + kv("SH", s.SH) + ", " + kv("DH", s.DH));
    if ((s.OW - 1) * s.SW + ew > s.W + s.PL + ew + s.SW)
      fail(what, kv("OW", s.OW) + " is too large for " + kv("W", s.W) + ", " + kv("PL", s.PL) + ", " +
                     kv("KW", s.KW) + ", " + kv("SW", s.SW) + ", " + kv("DW", s.DW));
    if (s.PT >= s.H + eh || s.PL >= s.W + ew)
      fail(what, kv("PT", s.PT) + ", " + kv("PL", s.PL) + ": pads larger than input plus kernel");
  } else {
    // Full output is (H-1)*SH + eh; output padding (folded into OH) is below the stride or dilation.
    const size_t full_h = (s.H - 1) * s.SH + eh, full_w = (s.W - 1) * s.SW + ew;
    const size_t slack_h = (s.SH > s.DH ? s.SH : s.DH) - 1, slack_w = (s.SW > s.DW ? s.SW : s.DW) - 1;
    if (s.PT >= full_h || s.OH + s.PT > full_h + slack_h)
      fail(what, kv("OH", s.OH) + " with " + kv("PT", s.PT) + " does not fit the full output height " +
                     std::to_string(full_h));
    if (s.PL >= full_w || s.OW + s.PL > full_w + slack_w)
      fail(what, kv("OW", s.OW) + " with " + kv("PL", s.PL) + " does not fit the full output width " +
                     std::to_string(full_w));
  }
}

}  // namespace npuq
