// ObserverRun: validates a run's slot -> tensor mapping against the plan, computes each observed
// tensor's partial statistics right after the node writing it (graph inputs before the first node),
// and hands them to the Observer at the end of the run.
//
// Scanning a tensor: one parallel region over the session's pool (tensors of kParallelMin elements or
// more). Each chunk (contiguous; whole [outer, C, inner] blocks of axis 1 with per-channel statistics)
// computes its min/max/non-finite count, then its signed histogram, each sign at the power of two above
// that sign's max |x| in the chunk, while the data is still in cache; the chunks' histograms are then
// merged exactly (widen_histogram). Integer counts and min/max do not depend on the split, so the
// results are the same for any thread count.
//
// Not scanning: when the input of the node writing a tensor is observed in the same run,
//  * a Copy (Reshape, Flatten, Squeeze, ...) or Transpose output has the same values: same results
//    (unless per-channel statistics would differ: a Transpose, or a Copy changing axis 0 or 1);
//  * a Relu output y = x < 0 ? 0 : x: positive side as x's, x's negatives join bin 0, min/max and
//    per-channel min/max clamped at 0;
//  * a Clip(x, 0, hi) output likewise, when x's max <= hi, or when hi is a bin edge of the positive
//    range and that range is also the one hi calls for (then the bins from hi's up collapse into hi's);
// each only when x had no NaN/Inf in this run (those follow other rules) and otherwise scanned. The
// derived results are exactly what a scan would give (test/calibrate checks both ways).
#include <algorithm>
#include <climits>
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

int exponent_above(double absmax) {  // e with 2^(e-1) <= absmax < 2^e
  int e = 0;
  std::frexp(absmax, &e);
  return e;
}

}  // namespace

ObserverRun::ObserverRun(Observer& observer, const Program& program, std::vector<int> ids)
    : obs_(observer), prog_(program), ids_(std::move(ids)) {
  const PlanDesc& plan = prog_.plan();
  const ObserverConfig& cfg = obs_.config();
  const size_t slots = obs_.slots();
  if (ids_.empty() && slots) ids_ = cfg.tensors;
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

  // Slots whose results follow from the slot of their node's input (see the top of this file).
  source_.assign(slots, Source());
  std::vector<long> slot_of(plan.tensors.size(), -1);
  for (size_t s = 0; s < slots; ++s)
    if (ids_[s] >= 0 && slot_of[size_t(ids_[s])] < 0) slot_of[size_t(ids_[s])] = long(s);
  for (size_t k = 0; k < plan.nodes.size(); ++k) {
    const NodeDesc& node = plan.nodes[k];
    if (node.inputs.empty() || node.inputs[0] < 0 || slot_of[size_t(node.inputs[0])] < 0) continue;
    const size_t src = size_t(slot_of[size_t(node.inputs[0])]);
    const TensorDesc& in = plan.tensors[size_t(node.inputs[0])];
    Source how;
    how.slot = src;
    if (node.op == "Copy" || node.op == "Transpose") {
      how.kind = Source::Same;
    } else if (node.op == "Relu" && node.inputs.size() == 1) {
      how.kind = Source::Relu;
    } else if (node.op == "Clip" && node.inputs.size() == 1 && node.attrs.num("lo", -INFINITY) == 0) {
      const double hi = node.attrs.num("hi", INFINITY);
      if (!(hi > 0)) continue;
      how.kind = std::isinf(hi) ? Source::Relu : Source::Clip;
      how.hi = float(hi);
      if (how.kind == Source::Clip && double(how.hi) != hi) continue;
    } else {
      continue;
    }
    for (size_t s : after_[k]) {
      const TensorDesc& out = plan.tensors[size_t(ids_[s])];
      if (out.numel != in.numel || s == src) continue;
      bool same_channels = !cfg.per_channel;
      if (!same_channels && (how.kind != Source::Same || node.op == "Copy")) {
        const bool r_in = in.shape.size() >= 2, r_out = out.shape.size() >= 2;
        same_channels = (!r_in && !r_out) ||
                        (r_in && r_out && in.shape[0] == out.shape[0] && in.shape[1] == out.shape[1]);
      }
      if (same_channels) source_[s] = how;
    }
  }
  // A scanned tensor feeding an observed Clip(x, 0, hi) keeps its values >= 2^e apart (HIGH), so the
  // Clip output follows from it even when x goes past the Clip output's range (observer.h). Only when
  // hi sits on a bin edge of [0, 2^e), as derive() needs (Relu6 with a power-of-two bin count does).
  split_exp_.assign(slots, INT_MIN);
  if (cfg.histogram) {
    for (size_t s = 0; s < slots; ++s) {
      const Source& how = source_[s];
      if (how.kind != Source::Clip || source_[how.slot].kind != Source::Scan || split_exp_[how.slot] != INT_MIN) continue;
      const int e = exponent_above(how.hi);
      const double b = std::ldexp(double(how.hi) * double(cfg.bins), -e);
      if (e >= -126 && e <= 127 && b == std::floor(b)) split_exp_[how.slot] = e;
    }
  }
  buf_ = obs_.take_buffers();
  for (ObservedPartial& p : buf_->parts) p.clear();
}

ObserverRun::~ObserverRun() {
  if (buf_) obs_.give_back(std::move(buf_));
}

void ObserverRun::before_nodes(const RunState& rs) {
  for (size_t s : before_) observe(s, rs);
}

void ObserverRun::after_node(size_t k, const RunState& rs) {
  for (size_t s : after_[k]) observe(s, rs);
}

void ObserverRun::after_run(const RunState&) { obs_.merge(buf_->parts); }

// Copies src's results into dst without the histogram buffer: dst reads src's (or src's source's).
static void copy_results(ObservedPartial& dst, const ObservedPartial& src, size_t src_slot) {
  dst.seen = src.seen;
  dst.derived = true;
  dst.count = src.count;
  dst.nonfinite = src.nonfinite;
  dst.min = src.min;
  dst.max = src.max;
  dst.pos_exp = src.pos_exp;
  dst.neg_exp = src.neg_exp;
  dst.high_exp = src.high_exp;
  dst.has_pos = src.has_pos;
  dst.has_neg = src.has_neg;
  dst.has_high = src.has_high;
  dst.histogram.clear();
  dst.hist_src = src.hist_src >= 0 ? src.hist_src : long(src_slot);
  dst.hist_relu = src.hist_relu;
  dst.hist_clip = src.hist_clip;
  dst.channel_min = src.channel_min;
  dst.channel_max = src.channel_max;
}

void ObserverRun::observe(size_t slot, const RunState& rs) {
  const Source& src = source_[slot];
  if (src.kind == Source::Same) {
    copy_results(buf_->parts[slot], buf_->parts[src.slot], src.slot);
    return;
  }
  if (src.kind != Source::Scan && derive(slot, src)) return;
  scan(slot, rs);
}

// Relu / Clip(x, 0, hi) results from x's, when exact (see the top of this file).
bool ObserverRun::derive(size_t slot, const Source& src) {
  const ObservedPartial& x = buf_->parts[src.slot];
  // x must be scanned data (not itself a Relu/Clip output) without NaN/Inf.
  if (!x.seen || x.nonfinite != 0 || x.count == 0 || x.hist_relu || x.hist_clip != SIZE_MAX) return false;
  const bool clip = src.kind == Source::Clip && x.max > src.hi;
  const size_t bins = obs_.config().bins;
  size_t hi_bin = SIZE_MAX;
  if (clip) {  // the positive range must be hi's, with hi on a bin edge
    const int e = exponent_above(src.hi);
    if (!x.has_pos || x.pos_exp != e) return false;
    const double b = std::ldexp(double(src.hi) * double(bins), -e);  // exact: a power-of-two scaling
    if (b != std::floor(b) || b >= double(bins)) return false;
    hi_bin = size_t(b);
  }
  ObservedPartial& y = buf_->parts[slot];
  copy_results(y, x, src.slot);
  auto clamp = [&](float v) {
    v = v < 0.0f ? 0.0f : v;
    return (clip && v > src.hi) ? src.hi : v + 0.0f;
  };
  y.min = clamp(x.min);
  y.max = clamp(x.max);
  for (float& v : y.channel_min) v = clamp(v);
  for (float& v : y.channel_max) v = clamp(v);
  y.has_neg = false;
  y.neg_exp = 0;
  if (clip) {  // HIGH joins entry hi_bin: the range is hi's (POS's)
    y.has_high = false;
    y.high_exp = 0;
  }
  y.hist_relu = true;
  y.hist_clip = hi_bin;
  return true;
}

void ObserverRun::scan(size_t slot, const RunState& rs) {
  ObservedPartial& p = buf_->parts[slot];
  const ObserverConfig& cfg = obs_.config();
  const TensorDesc& t = prog_.plan().tensors[size_t(ids_[slot])];
  const float* x = rs.in<float>(ids_[slot]);
  const size_t n = t.numel;
  const Isa isa = prog_.isa();
  ThreadPool* pool = rs.pool();
  p.clear();
  p.seen = true;
  p.count = n;

  // Blocks: the [outer, C, inner] slices of axis 1 with per-channel statistics, else single elements.
  const bool per_channel = cfg.per_channel && t.shape.size() >= 2;
  const size_t C = per_channel ? size_t(t.shape[1]) : 1;
  const size_t blocks = per_channel ? size_t(t.shape[0]) * C : n;
  const size_t inner = per_channel ? (blocks ? n / blocks : 0) : 1;
  const size_t threads = pool ? pool->threads() : 1;
  const size_t chunks = std::max<size_t>(1, std::min(n >= kParallelMin ? threads : 1, blocks));
  const size_t step = (blocks + chunks - 1) / chunks;  // blocks per chunk
  const int split_exp = split_exp_[slot];
  const bool split = split_exp != INT_MIN;
  const size_t bins = cfg.bins, entries = (split ? 3 : 2) * bins;
  std::vector<MinMaxF32> block_mm(per_channel ? blocks : 0);
  struct Chunk {
    MinMaxF32 mm;
    int pos_exp = 0, neg_exp = 0, high_exp = 0;
    bool has_pos = false, has_neg = false, has_high = false;
  };
  std::vector<Chunk> chunk(chunks);
  // Chunk 0 counts straight into the slot's histogram, the others into scratch.
  std::vector<uint64_t>& scratch = buf_->scratch;
  if (cfg.histogram) {
    p.histogram.assign(entries, 0);
    if (chunks > 1) scratch.assign((chunks - 1) * entries, 0);
  }

  auto run_chunk = [&](size_t c) {
    const size_t b0 = std::min(blocks, c * step), b1 = std::min(blocks, b0 + step);
    const float* cx = x + b0 * inner;
    const size_t len = (b1 - b0) * inner;
    MinMaxF32 mm;
    if (per_channel) {
      mm.min = kInf;
      mm.max = -kInf;
      for (size_t b = b0; b < b1; ++b) {
        const MinMaxF32 r = minmax_f32(isa, inner, x + b * inner);
        block_mm[b] = r;
        mm.min = std::min(mm.min, r.min);
        mm.max = std::max(mm.max, r.max);
        mm.nonfinite += r.nonfinite;
      }
    } else {
      mm = minmax_f32(isa, len, cx);
    }
    Chunk& ch = chunk[c];
    ch.mm = mm;
    if (!cfg.histogram || len == mm.nonfinite) return;
    // Each region at the power of two above its max |x| (a region without a nonzero value keeps no
    // range: its zeros count in entry 0 whatever the scale, 1 here). With a split at 2^split_exp, POS
    // ranges up to 2^split_exp and HIGH takes the values from there up.
    ch.has_pos = mm.max > 0;
    ch.has_neg = mm.min < 0;
    if (ch.has_pos) ch.pos_exp = exponent_above(mm.max);
    if (ch.has_neg) ch.neg_exp = exponent_above(-double(mm.min));
    if (split && ch.has_pos && ch.pos_exp > split_exp) {
      ch.has_high = true;
      ch.high_exp = ch.pos_exp;
      ch.pos_exp = split_exp;
    }
    signed_histogram_f32(isa, len, cx, bins, ch.has_pos ? std::ldexp(1.0, ch.pos_exp) : 1.0,
                         ch.has_neg ? std::ldexp(1.0, ch.neg_exp) : 1.0,
                         c == 0 ? p.histogram.data() : scratch.data() + (c - 1) * entries,
                         split ? std::ldexp(1.0f, split_exp) : INFINITY, ch.has_high ? std::ldexp(1.0, ch.high_exp) : 1.0);
  };
  if (chunks > 1) pool->parallel_for(chunks, run_chunk);
  else run_chunk(0);

  p.min = kInf;
  p.max = -kInf;
  for (const Chunk& ch : chunk) {
    p.min = std::min(p.min, ch.mm.min);
    p.max = std::max(p.max, ch.mm.max);
    p.nonfinite += ch.mm.nonfinite;
    if (ch.has_pos && (!p.has_pos || ch.pos_exp > p.pos_exp)) p.pos_exp = ch.pos_exp;
    if (ch.has_neg && (!p.has_neg || ch.neg_exp > p.neg_exp)) p.neg_exp = ch.neg_exp;
    if (ch.has_high && (!p.has_high || ch.high_exp > p.high_exp)) p.high_exp = ch.high_exp;
    p.has_pos = p.has_pos || ch.has_pos;
    p.has_neg = p.has_neg || ch.has_neg;
    p.has_high = p.has_high || ch.has_high;
  }
  if (per_channel) {
    p.channel_min.assign(C, kInf);
    p.channel_max.assign(C, -kInf);
    for (size_t b = 0; b < blocks; ++b) {
      const size_t c = b % C;
      p.channel_min[c] = std::min(p.channel_min[c], block_mm[b].min);
      p.channel_max[c] = std::max(p.channel_max[c], block_mm[b].max);
    }
  }
  if (!cfg.histogram || chunks == 1) return;
  // Every chunk's histogram to the tensor's ranges, exactly (widen_histogram), summed into chunk 0's.
  for (size_t c = 0; c < chunks; ++c) {
    uint64_t* h = c == 0 ? p.histogram.data() : scratch.data() + (c - 1) * entries;
    if (p.has_pos) widen_histogram(h, bins, chunk[c].has_pos ? long(p.pos_exp) - chunk[c].pos_exp : 1000);
    if (p.has_neg) widen_histogram(h + bins, bins, chunk[c].has_neg ? long(p.neg_exp) - chunk[c].neg_exp : 1000);
    if (p.has_high) widen_histogram(h + 2 * bins, bins, chunk[c].has_high ? long(p.high_exp) - chunk[c].high_exp : 1000);
    if (c > 0)
      for (size_t i = 0; i < entries; ++i) p.histogram[i] += h[i];
  }
}

}  // namespace npuq
