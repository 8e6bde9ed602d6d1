// Observer: configuration, the exact merge of per-run results into the accumulated statistics, and
// snapshots. The per-run computation is in observer-run.cc.
#include "engine/observer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "npuq/stats.h"

namespace npuq {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

[[noreturn]] void bad_config(const std::string& msg) { throw EngineError("INVALID_ARGUMENT", msg); }

// Sums h (a histogram over [0, 2^e)) into the range [0, 2^(e + k)): bin i -> bin i >> k. Exact: the
// bin of |x| at the wider range is floor(floor(|x| * bins / 2^e) / 2^k).
void widen(std::vector<uint64_t>& h, long k) {
  if (k <= 0) return;
  const size_t bins = h.size();
  if (k >= 40) {  // bins <= 2^24: everything lands in bin 0
    uint64_t s = 0;
    for (uint64_t c : h) s += c;
    std::fill(h.begin(), h.end(), 0);
    h[0] = s;
    return;
  }
  for (size_t i = 1; i < bins; ++i) {  // i >> k <= i, and bin i >> k is final once i passed it
    const size_t j = i >> k;
    if (j != i) {
      h[j] += h[i];
      h[i] = 0;
    }
  }
}

}  // namespace

Observer::Observer(ObserverConfig cfg) : cfg_(std::move(cfg)) {
  for (size_t i = 0; i < cfg_.tensors.size(); ++i)
    if (cfg_.tensors[i] < 0) bad_config("Expected a tensor id >= 0 for tensors[" + std::to_string(i) + "] but received " + std::to_string(cfg_.tensors[i]));
  if (!cfg_.names.empty() && cfg_.names.size() != cfg_.tensors.size())
    bad_config("Expected " + std::to_string(cfg_.tensors.size()) + " names (one per tensor) but received " + std::to_string(cfg_.names.size()));
  if (cfg_.bins < 1 || cfg_.bins > kMaxHistogramBins)
    bad_config("Expected bins in [1, " + std::to_string(kMaxHistogramBins) + "] but received " + std::to_string(cfg_.bins));
  if (!(cfg_.ema_momentum >= 0 && cfg_.ema_momentum <= 1))
    bad_config("Expected an EMA momentum in [0, 1] but received " + std::to_string(cfg_.ema_momentum));
  acc_.resize(cfg_.tensors.size());
  clear_locked();
}

std::string Observer::describe(size_t slot, int id) const {
  std::string s = "tensor " + std::to_string(id);
  if (slot < cfg_.names.size() && !cfg_.names[slot].empty()) s += " (\"" + cfg_.names[slot] + "\")";
  return s;
}

void Observer::clear_locked() {
  for (Acc& a : acc_) {
    a = Acc();
    a.min = kInf;
    a.max = -kInf;
    if (cfg_.histogram) a.histogram.assign(cfg_.bins, 0);
  }
}

void Observer::reset() {
  std::lock_guard<std::mutex> lock(mu_);
  clear_locked();
}

std::vector<ObservedStats> Observer::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ObservedStats> out(acc_.size());
  for (size_t s = 0; s < acc_.size(); ++s) {
    const Acc& a = acc_[s];
    ObservedStats& o = out[s];
    o.id = cfg_.tensors[s];
    o.count = a.count;
    o.nonfinite = a.nonfinite;
    o.runs = a.runs;
    o.min = a.min;
    o.max = a.max;
    o.ema_min = a.ema_set ? a.ema_min : kNaN;
    o.ema_max = a.ema_set ? a.ema_max : kNaN;
    o.hist_max = a.has_range ? std::ldexp(1.0, a.hist_exp) : 0.0;
    o.histogram = a.histogram;
    o.channel_min = a.channel_min;
    o.channel_max = a.channel_max;
  }
  return out;
}

void Observer::merge(std::vector<ObservedPartial>& parts) {
  std::lock_guard<std::mutex> lock(mu_);
  // Check first, so a failing merge changes nothing.
  for (size_t s = 0; s < parts.size() && s < acc_.size(); ++s) {
    const ObservedPartial& p = parts[s];
    const Acc& a = acc_[s];
    if (p.seen && !p.channel_min.empty() && !a.channel_min.empty() && p.channel_min.size() != a.channel_min.size())
      throw EngineError("SHAPE_MISMATCH", describe(s, cfg_.tensors[s]) + " has " + std::to_string(p.channel_min.size()) +
                                              " channels (axis 1) in this run but had " + std::to_string(a.channel_min.size()) +
                                              " before; per-channel statistics need a fixed channel count");
  }
  const double c = cfg_.ema_momentum;
  for (size_t s = 0; s < parts.size() && s < acc_.size(); ++s) {
    ObservedPartial& p = parts[s];
    if (!p.seen) continue;
    Acc& a = acc_[s];
    a.count += p.count;
    a.nonfinite += p.nonfinite;
    ++a.runs;
    const bool finite = p.count > p.nonfinite;
    if (finite) {
      a.min = std::min(a.min, p.min);
      a.max = std::max(a.max, p.max);
      if (c > 0) {
        if (!a.ema_set) {
          a.ema_min = p.min;
          a.ema_max = p.max;
          a.ema_set = true;
        } else {
          a.ema_min += c * (double(p.min) - a.ema_min);
          a.ema_max += c * (double(p.max) - a.ema_max);
        }
      }
    }
    if (cfg_.histogram && p.histogram.size() == a.histogram.size()) {
      if (p.has_range && (!a.has_range || p.hist_exp > a.hist_exp)) {
        widen(a.histogram, a.has_range ? long(p.hist_exp) - a.hist_exp : 1000);
        a.hist_exp = p.hist_exp;
        a.has_range = true;
      } else if (a.has_range) {
        widen(p.histogram, p.has_range ? long(a.hist_exp) - p.hist_exp : 1000);
      }
      for (size_t b = 0; b < a.histogram.size(); ++b) a.histogram[b] += p.histogram[b];
    }
    if (!p.channel_min.empty()) {
      if (a.channel_min.empty()) {
        a.channel_min = p.channel_min;
        a.channel_max = p.channel_max;
      } else {
        for (size_t ch = 0; ch < a.channel_min.size(); ++ch) {
          a.channel_min[ch] = std::min(a.channel_min[ch], p.channel_min[ch]);
          a.channel_max[ch] = std::max(a.channel_max[ch], p.channel_max[ch]);
        }
      }
    }
  }
}

}  // namespace npuq
