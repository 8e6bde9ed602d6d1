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
// Thread safety: runs compute their partial results without a lock; the merge into the accumulated
// statistics (at the end of a successful run, all slots at once) takes the Observer's mutex, as do
// stats() and reset(). A failed run contributes nothing.
#pragma once
#include <cstddef>
#include <cstdint>
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
  float min = 0, max = 0;          // +inf / -inf until a finite value is seen
  double ema_min = 0, ema_max = 0; // NaN until set, or when the EMA is off
  double hist_max = 0;             // power of two, 0 until a nonzero finite value is seen
  std::vector<uint64_t> histogram; // bins entries; empty when histograms are off
  std::vector<float> channel_min, channel_max;  // empty when off or never seen with rank >= 2
};

// One run's results for one slot (computed without the lock).
struct ObservedPartial {
  bool seen = false;
  uint64_t count = 0, nonfinite = 0;
  float min = 0, max = 0;
  int hist_exp = 0;                // hist_max = 2^hist_exp when has_range
  bool has_range = false;
  std::vector<uint64_t> histogram;
  std::vector<float> channel_min, channel_max;
};

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

 private:
  struct Acc {
    uint64_t count = 0, nonfinite = 0, runs = 0;
    float min, max;
    bool ema_set = false;
    double ema_min = 0, ema_max = 0;
    int hist_exp = 0;
    bool has_range = false;
    std::vector<uint64_t> histogram;
    std::vector<float> channel_min, channel_max;
  };
  void clear_locked();

  const ObserverConfig cfg_;
  mutable std::mutex mu_;
  std::vector<Acc> acc_;
};

// The hooks feeding an Observer during one run of a Program. Construct on any thread before the run
// (validates the slot mapping against the plan: throws EngineError INVALID_ARGUMENT naming the tensor),
// pass to Program::run, which merges the results into the Observer when the run succeeds.
class ObserverRun : public RunHooks {
 public:
  // ids: the tensor id of every slot in this plan (-1 = absent); empty = observer.config().tensors.
  ObserverRun(Observer& observer, const Program& program, std::vector<int> ids = {});
  void before_nodes(const RunState& rs) override;
  void after_node(size_t k, const RunState& rs) override;
  void after_run(const RunState& rs) override;

 private:
  void observe(size_t slot, const RunState& rs);

  Observer& obs_;
  const Program& prog_;
  std::vector<int> ids_;
  std::vector<size_t> before_;               // slots that are plan inputs
  std::vector<std::vector<size_t>> after_;   // slots written by node k
  std::vector<ObservedPartial> parts_;
  std::vector<uint64_t> scratch_;            // per-chunk histograms
};

}  // namespace npuq
