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

}  // namespace

void ObservedPartial::clear() {
  seen = derived = false;
  count = nonfinite = 0;
  min = max = 0;
  pos_exp = neg_exp = high_exp = 0;
  has_pos = has_neg = has_high = false;
  histogram.clear();
  hist_src = -1;
  hist_relu = false;
  hist_clip = SIZE_MAX;
  channel_min.clear();
  channel_max.clear();
}

void widen_histogram(uint64_t* h, size_t bins, long k) {
  if (k <= 0 || bins == 0) return;
  if (k >= 40) {  // bins <= 2^24: everything lands in bin 0
    uint64_t s = 0;
    for (size_t i = 0; i < bins; ++i) s += h[i];
    std::fill(h, h + bins, 0);
    h[0] = s;
    return;
  }
  for (size_t i = 1; i < bins; ++i) {  // i >> k <= i: bin i >> k is final once i passed it
    const size_t j = i >> k;
    if (j != i) {
      h[j] += h[i];
      h[i] = 0;
    }
  }
}

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

std::unique_ptr<ObserverBuffers> Observer::take_buffers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!spare_.empty()) {
      std::unique_ptr<ObserverBuffers> b = std::move(spare_.back());
      spare_.pop_back();
      return b;
    }
  }
  auto b = std::make_unique<ObserverBuffers>();
  b->parts.resize(slots());
  return b;
}

void Observer::give_back(std::unique_ptr<ObserverBuffers> b) {
  std::lock_guard<std::mutex> lock(mu_);
  if (spare_.size() < 4) spare_.push_back(std::move(b));
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
    o.derived = a.derived;
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

namespace {

// Index shift from a range 2^from to the wider range 2^to (large = everything into bin 0).
unsigned shift_to(bool has_range, int from, int to) { return has_range ? unsigned(to - from) : 40u; }

// acc[i >> s] += h[i] for i < bins (s = 0: a plain sum).
void add_shifted(uint64_t* acc, const uint64_t* h, size_t bins, unsigned s) {
  if (s == 0) {
    for (size_t i = 0; i < bins; ++i) acc[i] += h[i];
  } else if (s >= 40) {
    uint64_t t = 0;
    for (size_t i = 0; i < bins; ++i) t += h[i];
    acc[0] += t;
  } else {
    for (size_t i = 0; i < bins; ++i) acc[i >> s] += h[i];
  }
}

}  // namespace

// The run's |x| histogram of slot p added to a: every region (as p reads it) brought to the common
// range, exactly (widen_histogram's rule, applied while summing).
void Observer::merge_histogram(Acc& a, const ObservedPartial& p, const std::vector<ObservedPartial>& parts) const {
  const size_t bins = a.histogram.size();
  const ObservedPartial& src = p.hist_src >= 0 ? parts[size_t(p.hist_src)] : p;
  if (src.histogram.size() != 2 * bins && src.histogram.size() != 3 * bins) return;
  const uint64_t* pos = src.histogram.data();
  const uint64_t* neg = pos + bins;
  const uint64_t* high = src.histogram.size() == 3 * bins ? pos + 2 * bins : nullptr;
  const bool clip = p.hist_clip < bins;
  // The run's range: the largest of the regions that keep their values.
  bool has_range = false;
  int e = 0;
  auto consider = [&](bool has, int exp) {
    if (has && (!has_range || exp > e)) e = exp;
    has_range = has_range || has;
  };
  consider(p.has_pos, p.pos_exp);
  consider(p.has_neg && !p.hist_relu, p.neg_exp);
  consider(p.has_high && !clip, p.high_exp);
  if (has_range && (!a.has_range || e > a.hist_exp)) {
    widen_histogram(a.histogram.data(), bins, a.has_range ? long(e) - a.hist_exp : 1000);
    a.hist_exp = e;
    a.has_range = true;
  }
  uint64_t* acc = a.histogram.data();
  const int to = a.hist_exp;
  const unsigned pos_shift = shift_to(p.has_pos, p.pos_exp, to);
  if (clip) {
    // Clip: POS entries from hist_clip up and all of HIGH hold values >= hi, which become hi.
    add_shifted(acc, pos, p.hist_clip, pos_shift);
    uint64_t top = 0;
    for (size_t i = p.hist_clip; i < bins; ++i) top += pos[i];
    if (high)
      for (size_t i = 0; i < bins; ++i) top += high[i];
    acc[p.hist_clip >> std::min(pos_shift, 40u)] += top;
  } else {
    add_shifted(acc, pos, bins, pos_shift);
    if (high) add_shifted(acc, high, bins, shift_to(p.has_high, p.high_exp, to));
  }
  add_shifted(acc, neg, bins, p.hist_relu ? 40u : shift_to(p.has_neg, p.neg_exp, to));
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
    const ObservedPartial& p = parts[s];
    if (!p.seen) continue;
    Acc& a = acc_[s];
    a.count += p.count;
    a.nonfinite += p.nonfinite;
    ++a.runs;
    if (p.derived) ++a.derived;
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
    if (cfg_.histogram) merge_histogram(a, p, parts);
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
