// Numpy-style multidirectional broadcasting, reduced to runs of contiguous outputs where each input
// either advances (stride 1) or repeats one element (stride 0). Adjacent dimensions with the same
// broadcast pattern are merged, so [N,C,H,W] + [1,C,1,1] becomes N*C runs of H*W outputs.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "npuq/thread_pool.h"

namespace npuq {

class Broadcast {
 public:
  // Throws std::invalid_argument if an input shape does not broadcast to `out`.
  Broadcast(const std::vector<int64_t>& out, const std::vector<std::vector<int64_t>>& inputs);

  size_t inputs() const { return strides_.size(); }
  size_t run_length() const { return inner_; }
  size_t runs() const { return outer_; }
  // Stride (0 or 1) of input k within a run.
  size_t run_stride(size_t k) const { return inner_stride_[k]; }

  // True when input `a` is the whole output layout and input `b` holds one value per run, in run order
  // ([N,C,H,W] op [N,C,1,1]): run r reads a[r * run_length() ...] and b[r].
  bool rows_with_scalar(size_t a, size_t b) const;

  // Calls fn(out_offset, in_offsets, n) for every run, split over the pool.
  void for_each_run(ThreadPool* pool, const std::function<void(size_t, const size_t*, size_t)>& fn) const;

 private:
  // The multi-index of run o over the outer dims and each input's offset of its first element.
  void run_start(size_t o, std::vector<int64_t>& idx, std::vector<size_t>& off) const;

  std::vector<int64_t> outer_dims_;                 // dims outside the run, outermost first
  std::vector<std::vector<int64_t>> strides_;       // per input, per outer dim, in elements
  std::vector<size_t> inner_stride_;
  size_t inner_ = 1, outer_ = 1;
};

}  // namespace npuq
