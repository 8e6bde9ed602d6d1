// Requantization drivers: parameter validation and expansion (QRequantTable), the int64 path, and the
// public requantize_run.
#include <algorithm>
#include <climits>
#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/requant/requant-internal.h"

namespace npuq {

namespace {

[[noreturn]] void fail(const char* what, const std::string& msg) {
  throw std::invalid_argument(std::string(what) + ": " + msg);
}

const char* method_name(RequantMethod m) {
  switch (m) {
    case RequantMethod::FloatScale: return "FloatScale";
    case RequantMethod::FixedPointDouble: return "FixedPointDouble";
    case RequantMethod::FixedPointSingle: return "FixedPointSingle";
    case RequantMethod::MultiplierShift: return "MultiplierShift";
    case RequantMethod::MultiplierShiftFloat: return "MultiplierShiftFloat";
    case RequantMethod::ShiftOnly: return "ShiftOnly";
  }
  return "?";
}

// Expands one parameter array to `channels` entries after checking its length.
template <class T>
std::vector<T> expand(const char* what, const char* name, const std::vector<T>& v, bool per_channel, size_t channels) {
  if (per_channel ? v.size() != channels : v.empty())
    fail(what, std::string("requant.") + name + " has " + std::to_string(v.size()) + " entries; expected " +
                   (per_channel ? std::to_string(channels) + " (per_channel)" : std::string("at least 1 (per tensor)")));
  std::vector<T> out(channels);
  for (size_t c = 0; c < channels; ++c) out[c] = v[per_channel ? c : 0];
  return out;
}

}  // namespace

QRequantTable make_requant_table(const char* what, const Requant& r, size_t channels, QType out_type) {
  if (static_cast<int>(out_type) > static_cast<int>(QType::S32))
    fail(what, "out_type=" + std::to_string(static_cast<int>(out_type)) + " is not a QType");
  if (static_cast<int>(r.method) > static_cast<int>(RequantMethod::ShiftOnly))
    fail(what, "requant.method=" + std::to_string(static_cast<int>(r.method)) + " is not a RequantMethod");
  if (static_cast<int>(r.round) >= kRoundModes)
    fail(what, "requant.round=" + std::to_string(static_cast<int>(r.round)) + " is not a Round mode");
  if (r.qmin > r.qmax || r.qmin < qtype_min(out_type) || r.qmax > qtype_max(out_type))
    fail(what, "requant.qmin=" + std::to_string(r.qmin) + ", qmax=" + std::to_string(r.qmax) +
                   " is not a range inside the output type's [" + std::to_string(qtype_min(out_type)) + ", " +
                   std::to_string(qtype_max(out_type)) + "]");
  QRequantTable t;
  t.method = r.method;
  t.round = r.round;
  t.out_type = out_type;
  t.zp = r.zero_point;
  t.qmin = r.qmin;
  t.qmax = r.qmax;
  if (channels == 0) return t;
  if (r.method == RequantMethod::FloatScale) {
    t.scale = expand(what, "scale", r.scale, r.per_channel, channels);
    for (size_t c = 0; c < channels; ++c)
      if (!std::isfinite(t.scale[c]))
        fail(what, "requant.scale[" + std::to_string(c) + "]=" + std::to_string(t.scale[c]) + " is not finite");
    return t;
  }
  if (r.method != RequantMethod::ShiftOnly) t.multiplier = expand(what, "multiplier", r.multiplier, r.per_channel, channels);
  t.shift = expand(what, "shift", r.shift, r.per_channel, channels);
  int lo = -62, hi = 62;
  if (r.method == RequantMethod::FixedPointDouble) lo = -31, hi = 31;
  if (r.method == RequantMethod::FixedPointSingle) lo = -31, hi = 30;
  for (size_t c = 0; c < channels; ++c)
    if (t.shift[c] < lo || t.shift[c] > hi)
      fail(what, "requant.shift[" + std::to_string(c) + "]=" + std::to_string(t.shift[c]) + " is out of [" +
                     std::to_string(lo) + ", " + std::to_string(hi) + "] for " + method_name(r.method));
  t.right_shifts = std::all_of(t.shift.begin(), t.shift.end(), [](int32_t s) { return s >= 0; });
  return t;
}

QRequantArgs QRequantTable::args(size_t c0, size_t stride, const int32_t* bias32) const {
  QRequantArgs a;
  a.method = method;
  a.round = round;
  a.out_type = out_type;
  a.zp = zp;
  a.qmin = qmin;
  a.qmax = qmax;
  a.scale = scale.empty() ? nullptr : scale.data() + c0;
  a.multiplier = multiplier.empty() ? nullptr : multiplier.data() + c0;
  a.shift = shift.empty() ? nullptr : shift.data() + c0;
  a.bias = bias32 ? bias32 + c0 : nullptr;
  a.stride = stride;
  a.right_shifts = stride ? right_shifts : !shift.empty() && shift[c0] >= 0;
  return a;
}

void requant_s64(const QRequantArgs& a, const int64_t* acc, const int64_t* bias, size_t n, void* out) {
  for (size_t i = 0; i < n; ++i) {
    const size_t c = i * a.stride;
    const int64_t v = acc[i] + (bias ? bias[c] : 0);
    store_q(out, i,
            requantize_one(v, a.method, a.round, a.scale ? a.scale[c] : 0.0f, a.multiplier ? a.multiplier[c] : 0,
                           a.shift ? a.shift[c] : 0, a.zp, a.qmin, a.qmax),
            a.out_type);
  }
}

void requant_s64_run(const QKernels& k, const QRequantArgs& a, const int64_t* acc, const int64_t* bias, size_t n,
                     void* out) {
  constexpr size_t kBlock = 256;
  int32_t narrow[kBlock];
  const size_t osize = qtype_size(a.out_type);
  for (size_t i0 = 0; i0 < n; i0 += kBlock) {
    const size_t len = std::min(kBlock, n - i0);
    QRequantArgs b = a;  // the parameters from element i0 on
    const size_t off = i0 * a.stride;
    if (b.scale) b.scale += off;
    if (b.multiplier) b.multiplier += off;
    if (b.shift) b.shift += off;
    b.bias = nullptr;
    const int64_t* bb = bias ? bias + off : nullptr;
    bool fits = true;
    for (size_t i = 0; i < len; ++i) {
      const int64_t v = acc[i0 + i] + (bb ? bb[i * a.stride] : 0);
      fits &= v >= INT32_MIN && v <= INT32_MAX;
      narrow[i] = static_cast<int32_t>(v);
    }
    char* o = static_cast<char*>(out) + i0 * osize;
    if (fits) k.requant(b, narrow, len, o);
    else requant_s64(b, acc + i0, bb, len, o);
  }
}

void requantize_run(Isa isa, const int32_t* acc, size_t n, const Requant& r, size_t channel, QType out_type,
                    void* out) {
  if (n == 0) return;
  // Validate only what this channel uses (no allocation: this runs per row in other kernels' loops).
  const size_t i = r.per_channel ? channel : 0;
  const char* what = "requantize_run";
  make_requant_table(what, Requant{r.method, r.round, false, {}, {}, {}, r.zero_point, r.qmin, r.qmax}, 0, out_type);
  QRequantArgs a;
  a.method = r.method;
  a.round = r.round;
  a.out_type = out_type;
  a.zp = r.zero_point;
  a.qmin = r.qmin;
  a.qmax = r.qmax;
  const bool fs = r.method == RequantMethod::FloatScale, mul = !fs && r.method != RequantMethod::ShiftOnly;
  if (fs && r.scale.size() <= i) fail(what, "requant.scale has no entry " + std::to_string(i));
  if (mul && r.multiplier.size() <= i) fail(what, "requant.multiplier has no entry " + std::to_string(i));
  if (!fs && r.shift.size() <= i) fail(what, "requant.shift has no entry " + std::to_string(i));
  if (fs && !std::isfinite(r.scale[i])) fail(what, "requant.scale[" + std::to_string(i) + "] is not finite");
  if (!fs) {
    const int lo = r.method == RequantMethod::FixedPointDouble || r.method == RequantMethod::FixedPointSingle ? -31 : -62;
    const int hi = r.method == RequantMethod::FixedPointDouble ? 31 : r.method == RequantMethod::FixedPointSingle ? 30 : 62;
    if (r.shift[i] < lo || r.shift[i] > hi)
      fail(what, "requant.shift[" + std::to_string(i) + "]=" + std::to_string(r.shift[i]) + " is out of [" +
                     std::to_string(lo) + ", " + std::to_string(hi) + "] for " + method_name(r.method));
  }
  a.scale = fs ? &r.scale[i] : nullptr;
  a.multiplier = mul ? &r.multiplier[i] : nullptr;
  a.shift = fs ? nullptr : &r.shift[i];
  a.stride = 0;
  a.right_shifts = !fs && r.shift[i] >= 0;
  q_kernels(isa).requant(a, acc, n, out);
}

}  // namespace npuq
