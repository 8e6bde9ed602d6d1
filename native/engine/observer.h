// Calibration observers: statistics of float32 tensors collected inside the engine while a plan runs
// (Program::run hooks), so one float pass over the calibration data yields, per observed tensor:
// element and non-finite counts, min/max over the finite values, their moving averages, an |x|
// histogram whose range grows as needed, and optionally per-channel (axis 1) min/max.
//
// Slots. An Observer has one slot per observed tensor (config.tensors). A run maps every slot to a
// tensor id of its plan (by default config.tensors itself; -1 = not in this plan), so one Observer can
// accumulate the same named tensors over plans compiled for different input shapes.
//
// Semantics (per slot):
//  * count: elements seen; nonfinite: NaN/+-Inf among them (excluded from everything else).
//  * min/max: over all finite values seen (+inf / -inf while there is none).
//  * EMA (momentum c > 0): per run, cur = that run's min/max over the finite values; the first run with
//    a finite value sets ema = cur, later ones do ema += c * (cur - ema) (double arithmetic). This is
//    onnxruntime MinMaxCalibrater's merge_range(moving_average=True) applied per run (as with
//    max_intermediate_outputs=1), and PyTorch's MovingAverageMinMaxObserver. NaN while unset or off.
//  * histogram: bins counts of |x| over [0, hist_max), bin i = [i, i + 1) * hist_max / bins.
//    hist_max is always a power of two strictly greater than every |x| seen: 2^e with
//    2^(e-1) <= max|x| < 2^e (0 while every finite value was 0; those count in bin 0). A run bins its
//    values at its own power of two; merging two histograms sums the smaller-range one into the larger
//    range with bins 2^k -> 1 (k = the exponent difference). Since floor(floor(y) / 2^k) = floor(y / 2^k)
//    and every bin index is computed exactly (stats.h), the result is exactly the histogram of all the
//    data at the final range, whatever the order or grouping of the runs (or of the threads).
//  * per channel: min/max per index of axis 1 over the finite values (tensors of rank >= 2 only).
//
// Work per run: a tensor is scanned once (min/max and histogram in one pass per chunk), unless its
// results follow exactly from an observed input of its node (Copy/Transpose: the same values; Relu,
// Clip(x, 0, hi): see observer-run.cc); this is what keeps calibration close to a plain float pass.
//
// Thread safety: runs compute their partial results without a lock; the merge into the accumulated
// statistics (at the end of a successful run, all slots at once) takes the Observer's mutex, as do
// stats() and reset(). A failed run contributes nothing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <climits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/program.h"

namespace npuq {

struct ObserverConfig {
  std::vector<int> tensors;        // default tensor id of each slot (>= 0)
  std::vector<std::string> names;  // optional (empty or one per slot): used in messages only
  size_t bins = 2048;              // 1 .. kMaxHistogramBins
  bool histogram = true;
  double ema_momentum = 0;         // in [0, 1]; 0 = no moving average
  bool per_channel = false;
};

struct ObservedStats {
  int id = -1;                     // config.tensors[slot]
  uint64_t count = 0, nonfinite = 0, runs = 0;
  uint64_t derived = 0;            // runs whose results came from another slot's (not scanned)
  float min = 0, max = 0;          // +inf / -inf until a finite value is seen
  double ema_min = 0, ema_max = 0; // NaN until set, or when the EMA is off
  double hist_max = 0;             // power of two, 0 until a nonzero finite value is seen
  std::vector<uint64_t> histogram; // bins entries; empty when histograms are off
  std::vector<float> channel_min, channel_max;  // empty when off or never seen with rank >= 2
};

// One run's results for one slot (computed without the lock). The histogram keeps regions apart until
// the merge, each over [0, 2^exp) for its own exp, the power of two above the region's max |x| (no
// range: only zeros, in entry 0, or nothing):
//   POS  entries [0, bins):           0 <= x < split (split = +inf unless set below)
//   NEG  entries [bins, 2 * bins):    x < 0, by |x|
//   HIGH entries [2 * bins, 3 * bins): x >= split, present only when the tensor feeds an observed
//        Clip(x, 0, hi): split = 2^e with 2^(e-1) <= hi < 2^e, and POS then never ranges past 2^e, so
//        the Clip output's histogram (range 2^e) follows from POS and HIGH.
// That is what lets Relu(x) / Clip(x, 0, hi) outputs be derived from x's results instead of being
// scanned (observer-run.cc): a derived slot has no histogram of its own but reads the one of slot
// hist_src, transformed (NEG into entry 0, and for a Clip the POS entries from hist_clip up and all of
// HIGH into entry hist_clip).
struct ObservedPartial {
  bool seen = false;
  bool derived = false;  // from another slot's results (not scanned)
  uint64_t count = 0, nonfinite = 0;
  float min = 0, max = 0;
  int pos_exp = 0, neg_exp = 0, high_exp = 0;
  bool has_pos = false, has_neg = false, has_high = false;  // of the histogram as read (transformed)
  std::vector<uint64_t> histogram;  // 2 or 3 * bins entries when own; empty when off or derived
  long hist_src = -1;                     // slot whose histogram this one reads, -1 = its own
  bool hist_relu = false;                 // negatives count in entry 0
  size_t hist_clip = SIZE_MAX;            // positive entries from here up count in this one
  std::vector<float> channel_min, channel_max;
  // Back to the unobserved state, keeping the buffers' capacity.
  void clear();
};

// The buffers one run uses, kept by the Observer between runs (fresh multi-kilobyte vectors per run
// would be new pages from the OS each time).
struct ObserverBuffers {
  std::vector<ObservedPartial> parts;
  std::vector<uint64_t> scratch;  // per-chunk histograms
};

// Sums h, a histogram of `bins` bins over [0, 2^e), into the range [0, 2^(e + k)) in place: bin i goes
// to bin i >> k (k >= 1; k <= 0 does nothing). Exact: the bin of |x| at the wider range is
// floor(floor(|x| * bins / 2^e) / 2^k).
void widen_histogram(uint64_t* h, size_t bins, long k);

class Observer {
 public:
  // Validates the configuration; throws EngineError INVALID_ARGUMENT naming the problem.
  explicit Observer(ObserverConfig cfg);
  const ObserverConfig& config() const { return cfg_; }
  size_t slots() const { return cfg_.tensors.size(); }
  // "tensor 12 (\"conv1\")" for messages.
  std::string describe(size_t slot, int id) const;

  std::vector<ObservedStats> stats() const;
  void reset();
  // Adds one run's partial results (one per slot) atomically: if any slot cannot be merged (its channel
  // count changed), throws EngineError SHAPE_MISMATCH and changes nothing.
  void merge(std::vector<ObservedPartial>& parts);

  // Buffers for a run (reused ones when available) and their return.
  std::unique_ptr<ObserverBuffers> take_buffers();
  void give_back(std::unique_ptr<ObserverBuffers> b);

 private:
  struct Acc {
    uint64_t count = 0, nonfinite = 0, runs = 0, derived = 0;
    float min, max;
    bool ema_set = false;
    double ema_min = 0, ema_max = 0;
    int hist_exp = 0;
    bool has_range = false;
    std::vector<uint64_t> histogram;
    std::vector<float> channel_min, channel_max;
  };
  void clear_locked();
  void merge_histogram(Acc& a, const ObservedPartial& p, const std::vector<ObservedPartial>& parts) const;

  const ObserverConfig cfg_;
  mutable std::mutex mu_;
  std::vector<Acc> acc_;
  std::vector<std::unique_ptr<ObserverBuffers>> spare_;  // guarded by mu_
};

// The hooks feeding an Observer during one run of a Program. Construct on any thread before the run
// (validates the slot mapping against the plan: throws EngineError INVALID_ARGUMENT naming the tensor),
// pass to Program::run, which merges the results into the Observer when the run succeeds.
class ObserverRun : public RunHooks {
 public:
  // ids: the tensor id of every slot in this plan (-1 = absent); empty = observer.config().tensors.
  ObserverRun(Observer& observer, const Program& program, std::vector<int> ids = {});
  ~ObserverRun() override;
  ObserverRun(const ObserverRun&) = delete;
  ObserverRun& operator=(const ObserverRun&) = delete;
  void before_nodes(const RunState& rs) override;
  void after_node(size_t k, const RunState& rs) override;
  void after_run(const RunState& rs) override;

 private:
  // How a slot's results are obtained without scanning its tensor, from another slot of the same run.
  struct Source {
    enum Kind { Scan, Same, Relu, Clip } kind = Scan;
    size_t slot = 0;
    float hi = 0;  // Clip(x, 0, hi)
  };
  void observe(size_t slot, const RunState& rs);
  void scan(size_t slot, const RunState& rs);
  bool derive(size_t slot, const Source& src);

  Observer& obs_;
  const Program& prog_;
  std::vector<int> ids_;
  std::vector<size_t> before_;               // slots that are plan inputs
  std::vector<std::vector<size_t>> after_;   // slots written by node k
  std::vector<Source> source_;
  std::vector<int> split_exp_;               // per slot: HIGH from 2^split_exp_ up, or INT_MIN (none)
  std::unique_ptr<ObserverBuffers> buf_;
};

}  // namespace npuq
