// Public pooling entry points (kernels.h): padded planes (plane-window.h), divisors, threading. MaxPool
// 2x2 stride 2 whose windows all lie inside the input (the usual CNN downsampling) skips the padded copy
// and runs the tier's maxpool2x2 kernel on the input rows directly; same results bit for bit.
#include <cmath>
#include <vector>

#include "dispatch/f32-kernels.h"
#include "kernels/conv/plane-window.h"

namespace npuq {

namespace {

WindowGeometry geometry(const Pool2dShape& s) {
  WindowGeometry g;
  g.H = s.H; g.W = s.W; g.OH = s.OH; g.OW = s.OW; g.KH = s.KH; g.KW = s.KW;
  g.SH = s.SH; g.SW = s.SW; g.DH = s.DH; g.DW = s.DW; g.PT = s.PT; g.PL = s.PL;
  return g;
}

bool empty(const Pool2dShape& s) {
  return s.N * s.C == 0 || s.OH == 0 || s.OW == 0 || s.H == 0 || s.W == 0 || s.KH == 0 || s.KW == 0 ||
         s.SH == 0 || s.SW == 0 || s.DH == 0 || s.DW == 0;
}

// Number of taps k < K whose position o*S + k*D - P lies in [lo, hi).
float window_count(size_t o, size_t K, size_t S, size_t D, size_t P, long long lo, long long hi) {
  size_t n = 0;
  for (size_t k = 0; k < K; ++k) {
    const long long pos = static_cast<long long>(o * S + k * D) - static_cast<long long>(P);
    n += pos >= lo && pos < hi;
  }
  return static_cast<float>(n);
}

template <typename F>
void for_planes(const Pool2dShape& s, const PlaneWindowLayout& layout, ThreadPool* pool, F per_plane) {
  const size_t planes = s.N * s.C;
  const double work = static_cast<double>(planes) * s.OH * s.OW * s.KH * s.KW;
  const size_t threads = pool ? pool->threads() : 1;
  const size_t chunks = work < 32768.0 ? 1 : threads * 4;
  parallel_ranges(threads > 1 ? pool : nullptr, planes, chunks, [&](size_t b, size_t e) {
    AlignedFloats buf(layout.buffer_size());
    for (size_t p = b; p < e; ++p) per_plane(p, buf.data());
  });
}

// Kernel 2x2, stride 2, dilation 1, no top/left padding, and no window reaching the bottom/right
// padding: every output is the max of four input values.
bool is_maxpool2x2(const Pool2dShape& s) {
  return s.KH == 2 && s.KW == 2 && s.SH == 2 && s.SW == 2 && s.DH == 1 && s.DW == 1 && s.PT == 0 &&
         s.PL == 0 && 2 * s.OH <= s.H && 2 * s.OW <= s.W;
}

// Memory-bound and fast: below ~256K outputs (the digits CNN's pools at batch 64 have 100K and 50K)
// handing rows to the pool costs more than it saves (those two: 0.22 ms on 2 threads, 0.09 ms on one).
constexpr double kMaxPool2x2SerialOutputs = 262144.0;

void maxpool2x2(MaxPool2x2Fn fn, const Pool2dShape& s, const float* x, float* y, ThreadPool* pool) {
  const size_t planes = s.N * s.C;
  const size_t threads = pool ? pool->threads() : 1;
  const double outputs = static_cast<double>(planes) * s.OH * s.OW;
  const size_t chunks = outputs < kMaxPool2x2SerialOutputs ? 1 : threads * 2;
  ThreadPool* p = threads > 1 ? pool : nullptr;
  if (s.H == 2 * s.OH) {
    // Plane p's output row oh reads input rows 2 * (p*OH + oh) and the next: one stream of row pairs.
    parallel_ranges(p, planes * s.OH, chunks,
                    [&](size_t b, size_t e) { fn(e - b, s.W, s.OW, x + b * 2 * s.W, y + b * s.OW); });
    return;
  }
  parallel_ranges(p, planes, chunks, [&](size_t b, size_t e) {
    for (size_t q = b; q < e; ++q) fn(s.OH, s.W, s.OW, x + q * s.H * s.W, y + q * s.OH * s.OW);
  });
}

}  // namespace

void maxpool2d_f32(Isa isa, const Pool2dShape& s, const float* x, float* y, ThreadPool* pool) {
  if (empty(s)) return;
  if (is_maxpool2x2(s)) return maxpool2x2(f32_kernels(isa).maxpool2x2, s, x, y, pool);
  const PlaneWindowLayout layout(geometry(s));
  const MaxPoolFn fn = f32_kernels(isa).maxpool;
  for_planes(s, layout, pool, [&](size_t p, float* buf) {
    layout.fill(x + p * s.H * s.W, -HUGE_VALF, buf);
    fn(layout.window(buf, y + p * s.OH * s.OW));
  });
}

void avgpool2d_f32(Isa isa, const Pool2dShape& s, bool count_include_pad, const float* x, float* y,
                   ThreadPool* pool) {
  if (empty(s)) return;
  const PlaneWindowLayout layout(geometry(s));
  const AvgPoolFn fn = f32_kernels(isa).avgpool;
  std::vector<float> hcount(s.OH), wcount(s.OW + 8, 1.0f);
  const long long hlo = count_include_pad ? -static_cast<long long>(s.PT) : 0;
  const long long hhi = static_cast<long long>(s.H + (count_include_pad ? s.PB : 0));
  const long long wlo = count_include_pad ? -static_cast<long long>(s.PL) : 0;
  const long long whi = static_cast<long long>(s.W + (count_include_pad ? s.PR : 0));
  for (size_t oh = 0; oh < s.OH; ++oh) hcount[oh] = window_count(oh, s.KH, s.SH, s.DH, s.PT, hlo, hhi);
  for (size_t ow = 0; ow < s.OW; ++ow) wcount[ow] = window_count(ow, s.KW, s.SW, s.DW, s.PL, wlo, whi);
  for_planes(s, layout, pool, [&](size_t p, float* buf) {
    layout.fill(x + p * s.H * s.W, 0.0f, buf);
    fn(layout.window(buf, y + p * s.OH * s.OW), hcount.data(), wcount.data());
  });
}

namespace {

void global_pool(GlobalPoolFn fn, size_t NC, size_t HW, const float* x, float* y, ThreadPool* pool) {
  if (NC == 0) return;
  const size_t threads = pool ? pool->threads() : 1;
  const size_t blocks = (NC + 7) / 8;  // keep 8-row groups together for the SIMD kernels
  const size_t chunks = NC * HW < 65536 ? 1 : threads * 2;
  parallel_ranges(threads > 1 ? pool : nullptr, blocks, chunks, [&](size_t b, size_t e) {
    const size_t r0 = b * 8, r1 = e * 8 < NC ? e * 8 : NC;
    fn(r1 - r0, HW, x + r0 * HW, y + r0);
  });
}

}  // namespace

void global_avgpool_f32(Isa isa, size_t NC, size_t HW, const float* x, float* y, ThreadPool* pool) {
  global_pool(f32_kernels(isa).global_avg, NC, HW, x, y, pool);
}

void global_maxpool_f32(Isa isa, size_t NC, size_t HW, const float* x, float* y, ThreadPool* pool) {
  global_pool(f32_kernels(isa).global_max, NC, HW, x, y, pool);
}

}  // namespace npuq
