// AlignedFloats: a 64-byte aligned float buffer (cache line, and wide enough for any vector load).
#include <cstdlib>
#include <new>

#include "npuq/kernels.h"

namespace npuq {

AlignedFloats::AlignedFloats(size_t n) : n_(n) {
  if (n == 0) return;
  size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw std::bad_alloc();
  ptr_.reset(static_cast<float*>(p));
}

void AlignedFloats::Free::operator()(float* p) const { std::free(p); }

}  // namespace npuq
