#include "engine/broadcast.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace npuq {

Broadcast::Broadcast(const std::vector<int64_t>& out, const std::vector<std::vector<int64_t>>& ins) {
  const size_t r = out.size(), k = ins.size();
  // Per input, dims left-padded to rank r and whether each dim is "full" (== out dim).
  std::vector<std::vector<bool>> full(k, std::vector<bool>(r, false));
  for (size_t i = 0; i < k; ++i) {
    if (ins[i].size() > r) throw std::invalid_argument("an input has a higher rank than the output");
    size_t pad = r - ins[i].size();
    for (size_t d = 0; d < r; ++d) {
      int64_t dim = d < pad ? 1 : ins[i][d - pad];
      if (dim == out[d]) full[i][d] = true;
      else if (dim != 1) throw std::invalid_argument("input dimension " + std::to_string(dim) + " does not broadcast to " + std::to_string(out[d]));
    }
  }
  // Merge dims, skipping output dims of size 1.
  struct MDim { int64_t size; std::vector<bool> full; };
  std::vector<MDim> merged;
  for (size_t d = 0; d < r; ++d) {
    if (out[d] == 1) continue;
    std::vector<bool> f(k);
    for (size_t i = 0; i < k; ++i) f[i] = full[i][d];
    if (!merged.empty() && merged.back().full == f) merged.back().size *= out[d];
    else merged.push_back({out[d], f});
  }
  inner_stride_.assign(k, 0);
  if (merged.empty()) {
    inner_ = 1;
    outer_ = 1;
    strides_.assign(k, {});
    for (size_t i = 0; i < k; ++i) inner_stride_[i] = 0;
    return;
  }
  inner_ = static_cast<size_t>(merged.back().size);
  for (size_t i = 0; i < k; ++i) inner_stride_[i] = merged.back().full[i] ? 1 : 0;
  strides_.assign(k, std::vector<int64_t>(merged.size() - 1, 0));
  for (size_t i = 0; i < k; ++i) {
    int64_t s = merged.back().full[i] ? inner_ : 1;
    for (size_t d = merged.size() - 1; d-- > 0;) {
      strides_[i][d] = merged[d].full[i] ? s : 0;
      if (merged[d].full[i]) s *= merged[d].size;
    }
  }
  outer_ = 1;
  for (size_t d = 0; d + 1 < merged.size(); ++d) {
    outer_dims_.push_back(merged[d].size);
    outer_ *= static_cast<size_t>(merged[d].size);
  }
}

bool Broadcast::rows_with_scalar(size_t a, size_t b) const {
  if (outer_dims_.size() != 1 || a >= strides_.size() || b >= strides_.size()) return false;
  return inner_stride_[a] == 1 && strides_[a][0] == static_cast<int64_t>(inner_) && inner_stride_[b] == 0 &&
         strides_[b][0] == 1;
}

void Broadcast::run_start(size_t o, std::vector<int64_t>& idx, std::vector<size_t>& off) const {
  const size_t k = strides_.size(), nd = outer_dims_.size();
  idx.assign(nd, 0);
  off.assign(k, 0);
  for (size_t d = nd; d-- > 0;) {
    idx[d] = static_cast<int64_t>(o % outer_dims_[d]);
    o /= outer_dims_[d];
  }
  for (size_t i = 0; i < k; ++i)
    for (size_t d = 0; d < nd; ++d) off[i] += static_cast<size_t>(idx[d] * strides_[i][d]);
}

void Broadcast::for_each_run(ThreadPool* pool, const std::function<void(size_t, const size_t*, size_t)>& fn) const {
  const size_t k = strides_.size(), nd = outer_dims_.size();
  size_t total = outer_ * inner_;
  size_t chunks = (pool && total >= 16384) ? pool->threads() * 4 : 1;
  if (chunks > outer_) {
    // Fewer runs than chunks (an elementwise op on same-shape inputs is one run): the runs are cut into
    // pieces of at least 4096 elements (multiples of 64), each input advancing by its run stride. Every
    // element is still computed once, by the same kernel on the same values. (PP-OCRv4 det's analysis at
    // 2 threads: QBinary 11.2 ms per batch, as at 1 thread, before this.)
    const size_t parts = std::min((chunks + outer_ - 1) / outer_, std::max<size_t>(1, inner_ / 4096));
    if (parts > 1) {
      const size_t piece = ((inner_ + parts - 1) / parts + 63) & ~size_t(63);
      const size_t pieces = (inner_ + piece - 1) / piece;
      pool->parallel_for(outer_ * pieces, [&](size_t t) {
        const size_t o = t / pieces, s = (t % pieces) * piece, n = std::min(piece, inner_ - s);
        std::vector<int64_t> idx;
        std::vector<size_t> off;
        run_start(o, idx, off);
        for (size_t i = 0; i < k; ++i) off[i] += s * inner_stride_[i];
        fn(o * inner_ + s, off.data(), n);
      });
      return;
    }
  }
  parallel_ranges(pool, outer_, chunks, [&](size_t b, size_t e) {
    std::vector<int64_t> idx;
    std::vector<size_t> off;
    run_start(b, idx, off);
    for (size_t o = b; o < e; ++o) {
      fn(o * inner_, off.data(), inner_);
      // increment the multi-index
      for (size_t d = nd; d-- > 0;) {
        ++idx[d];
        for (size_t i = 0; i < k; ++i) off[i] += static_cast<size_t>(strides_[i][d]);
        if (idx[d] < outer_dims_[d]) break;
        for (size_t i = 0; i < k; ++i) off[i] -= static_cast<size_t>(strides_[i][d] * idx[d]);
        idx[d] = 0;
      }
    }
  });
}

}  // namespace npuq
