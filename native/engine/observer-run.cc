// ObserverRun: validates a run's slot -> tensor mapping against the plan, computes each observed
// tensor's partial statistics right after the node writing it (graph inputs before the first node),
// and hands them to the Observer at the end of the run.
//
// Per tensor of n elements: (1) min/max/non-finite count, over chunks of the session's pool (or, with
// per-channel statistics, over the [outer, C, inner] blocks of axis 1, whose results also give the
// per-channel min/max), then (2) the |x| histogram at this run's power-of-two range, each chunk into
// its own histogram, summed afterwards. Integer counts and min/max do not depend on the split, so the
// results are the same for any thread count.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/observer.h"
#include "npuq/stats.h"

namespace npuq {

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
// Below this many elements a tensor is processed on the calling thread: waking the pool costs more.
constexpr size_t kParallelMin = size_t(1) << 15;

}  // namespace

ObserverRun::ObserverRun(Observer& observer, const Program& program, std::vector<int> ids)
    : obs_(observer), prog_(program), ids_(std::move(ids)) {
  const PlanDesc& plan = prog_.plan();
  const size_t slots = obs_.slots();
  if (ids_.empty() && slots) ids_ = obs_.config().tensors;
  if (ids_.size() != slots)
    throw EngineError("INVALID_ARGUMENT", "Expected " + std::to_string(slots) + " tensor ids (one per observed tensor) but received " +
                                              std::to_string(ids_.size()));
  std::vector<long> producer(plan.tensors.size(), -2);  // -2 none, -1 plan input, k node
  for (int id : plan.inputs) producer[size_t(id)] = -1;
  for (size_t k = 0; k < plan.nodes.size(); ++k)
    for (int id : plan.nodes[k].outputs)
      if (id >= 0) producer[size_t(id)] = long(k);
  after_.resize(plan.nodes.size());
  for (size_t s = 0; s < slots; ++s) {
    const int id = ids_[s];
    if (id < 0) continue;
    const std::string who = obs_.describe(s, id);
    if (size_t(id) >= plan.tensors.size())
      throw EngineError("INVALID_ARGUMENT", "cannot observe " + who + ": the plan has " + std::to_string(plan.tensors.size()) + " tensors");
    const TensorDesc& t = plan.tensors[size_t(id)];
    if (t.dtype != DType::Float32)
      throw EngineError("INVALID_ARGUMENT", "cannot observe " + who + ": it is " + dtype_name(int(t.dtype)) +
                                                ", and only float32 tensors can be observed");
    if (t.is_const) throw EngineError("INVALID_ARGUMENT", "cannot observe " + who + ": it is a constant, not a value computed by a run");
    const long p = producer[size_t(id)];
    if (p == -2) throw EngineError("INVALID_ARGUMENT", "cannot observe " + who + ": no node of this plan writes it");
    if (p == -1) before_.push_back(s);
    else after_[size_t(p)].push_back(s);
  }
  parts_.resize(slots);
}

void ObserverRun::before_nodes(const RunState& rs) {
  for (size_t s : before_) observe(s, rs);
}

void ObserverRun::after_node(size_t k, const RunState& rs) {
  for (size_t s : after_[k]) observe(s, rs);
}

void ObserverRun::after_run(const RunState&) { obs_.merge(parts_); }

void ObserverRun::observe(size_t slot, const RunState& rs) {
  const ObserverConfig& cfg = obs_.config();
  const TensorDesc& t = prog_.plan().tensors[size_t(ids_[slot])];
  const float* x = rs.in<float>(ids_[slot]);
  const size_t n = t.numel;
  const Isa isa = prog_.isa();
  ThreadPool* pool = rs.pool();
  const size_t threads = pool ? pool->threads() : 1;
  ObservedPartial& p = parts_[slot];
  p = ObservedPartial();
  p.seen = true;
  p.count = n;

  // (1) min, max, non-finite count (and per channel).
  MinMaxF32 all;
  all.min = kInf;
  all.max = -kInf;
  auto fold = [&all](const MinMaxF32& r) {
    all.min = std::min(all.min, r.min);
    all.max = std::max(all.max, r.max);
    all.nonfinite += r.nonfinite;
  };
  if (cfg.per_channel && t.shape.size() >= 2) {
    const size_t C = size_t(t.shape[1]);
    const size_t outer = size_t(t.shape[0]);
    const size_t blocks = outer * C;
    const size_t inner = blocks ? n / blocks : 0;
    std::vector<MinMaxF32> r(blocks);
    const size_t chunks = n >= kParallelMin ? threads : 1;
    parallel_ranges(chunks > 1 ? pool : nullptr, blocks, chunks, [&](size_t b, size_t e) {
      for (size_t i = b; i < e; ++i) r[i] = minmax_f32(isa, inner, x + i * inner);
    });
    p.channel_min.assign(C, kInf);
    p.channel_max.assign(C, -kInf);
    for (size_t i = 0; i < blocks; ++i) {
      const size_t ch = i % C;
      p.channel_min[ch] = std::min(p.channel_min[ch], r[i].min);
      p.channel_max[ch] = std::max(p.channel_max[ch], r[i].max);
      fold(r[i]);
    }
  } else {
    const size_t chunks = n >= kParallelMin ? threads : 1;
    std::vector<MinMaxF32> r(chunks);
    const size_t step = (n + chunks - 1) / std::max<size_t>(chunks, 1);
    auto run_chunk = [&](size_t c) {
      const size_t b = std::min(n, c * step), e = std::min(n, b + step);
      r[c] = minmax_f32(isa, e - b, x + b);
    };
    if (chunks > 1) pool->parallel_for(chunks, run_chunk);
    else run_chunk(0);
    for (const MinMaxF32& m : r) fold(m);
  }
  p.nonfinite = all.nonfinite;
  p.min = all.min;
  p.max = all.max;

  // (2) the |x| histogram at the smallest power of two above this run's max |x|.
  if (!cfg.histogram) return;
  const size_t bins = cfg.bins;
  p.histogram.assign(bins, 0);
  const uint64_t finite = n - all.nonfinite;
  if (finite == 0) return;
  const double absmax = std::max(-double(all.min), double(all.max));
  if (absmax == 0) {  // only zeros: bin 0 at any range
    p.histogram[0] = finite;
    return;
  }
  int e = 0;
  std::frexp(absmax, &e);  // absmax = m * 2^e, m in [0.5, 1): 2^(e-1) <= absmax < 2^e
  p.hist_exp = e;
  p.has_range = true;
  const double hist_max = std::ldexp(1.0, e);
  const size_t chunks = n >= kParallelMin ? threads : 1;
  if (chunks == 1) {
    abs_histogram_f32(isa, n, x, bins, hist_max, p.histogram.data());
    return;
  }
  scratch_.assign(chunks * bins, 0);
  const size_t step = (n + chunks - 1) / chunks;
  pool->parallel_for(chunks, [&](size_t c) {
    const size_t b = std::min(n, c * step), end = std::min(n, b + step);
    abs_histogram_f32(isa, end - b, x + b, bins, hist_max, scratch_.data() + c * bins);
  });
  for (size_t c = 0; c < chunks; ++c) {
    const uint64_t* h = scratch_.data() + c * bins;
    for (size_t i = 0; i < bins; ++i) p.histogram[i] += h[i];
  }
}

}  // namespace npuq
