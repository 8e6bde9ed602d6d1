// The body of the ErrorStats item kernel (the analysis probe, native/engine/ops/analysis.cc), written
// once with GCC/Clang vector extensions over 8 float lanes and compiled by each tier's file
// (error-stats-<isa>.cc) with that tier's flags: AVX2 gets one ymm register per sum, the baseline x86-64
// build two xmm, aarch64 two NEON q registers. The lane structure, the block size, the order of every
// addition and the absence of contraction (-ffp-contract=off) are the same in every compilation, so
// every tier returns the same bits (test/native/test_error_stats.cc checks it on each arch).
//
// Everything here has internal linkage (an anonymous namespace): each tier's copy stays in its own file
// and the linker never merges an AVX2 instantiation into a baseline caller.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "dispatch/stats-kernels.h"

namespace npuq {
namespace {

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

constexpr size_t kErrBlock = 256;  // elements summed in float before the block's lanes go to double

// Eight float lanes, in one of two representations with the same lane-wise arithmetic:
//  - v8f, one 32-byte vector (the AVX2 file: one ymm register);
//  - F8, two 16-byte halves, lanes 0-3 and 4-7 (the baseline and RVV files: GCC scalarizes comparisons
//    of a 32-byte vector on 16-byte-vector targets, but handles each half in one SSE2 / NEON register).
// Selects go through explicit masks, since a vector `?:` is scalarized where there is no blend.
struct F8 { v4f a, b; };
inline F8 operator+(F8 x, F8 y) { return {x.a + y.a, x.b + y.b}; }
inline F8 operator-(F8 x, F8 y) { return {x.a - y.a, x.b - y.b}; }
inline F8 operator*(F8 x, F8 y) { return {x.a * y.a, x.b * y.b}; }
inline F8& operator+=(F8& x, F8 y) { return x = x + y; }

template <typename V> V es_splat(float x);
template <> inline v8f es_splat<v8f>(float x) { return v8f{x, x, x, x, x, x, x, x}; }
template <> inline F8 es_splat<F8>(float x) { return {v4f{x, x, x, x}, v4f{x, x, x, x}}; }

template <typename V> V es_load(const float* p);
template <> inline v8f es_load<v8f>(const float* p) { v8f v; std::memcpy(&v, p, sizeof v); return v; }
template <> inline F8 es_load<F8>(const float* p) { F8 v; std::memcpy(&v.a, p, 16); std::memcpy(&v.b, p + 4, 16); return v; }

template <typename F, typename I> inline F sel(I m, F x, F y) { return (F)((m & (I)x) | (~m & (I)y)); }
inline v8f es_min(v8f x, v8f y) { return sel<v8f, v8i>(x < y, x, y); }
inline v8f es_max(v8f x, v8f y) { return sel<v8f, v8i>(x > y, x, y); }
inline F8 es_min(F8 x, F8 y) { return {sel<v4f, v4i>(x.a < y.a, x.a, y.a), sel<v4f, v4i>(x.b < y.b, x.b, y.b)}; }
inline F8 es_max(F8 x, F8 y) { return {sel<v4f, v4i>(x.a > y.a, x.a, y.a), sel<v4f, v4i>(x.b > y.b, x.b, y.b)}; }
template <typename F, typename I> inline F abs_of(F x) { I m = (I)x; m &= 0x7fffffff; return (F)m; }
inline v8f es_abs(v8f x) { return abs_of<v8f, v8i>(x); }
inline F8 es_abs(F8 x) { return {abs_of<v4f, v4i>(x.a), abs_of<v4f, v4i>(x.b)}; }
inline float lane(v8f v, int l) { return v[l]; }
inline float lane(F8 v, int l) { return l < 4 ? v.a[l] : v.b[l - 4]; }

// Lanes added pairwise in a fixed tree, in double.
template <typename V> inline double es_hsum(V v) {
  return ((double(lane(v, 0)) + double(lane(v, 1))) + (double(lane(v, 2)) + double(lane(v, 3)))) +
         ((double(lane(v, 4)) + double(lane(v, 5))) + (double(lane(v, 6)) + double(lane(v, 7))));
}
template <typename V> inline float es_hmin(V v) {
  float m = lane(v, 0);
  for (int l = 1; l < 8; ++l) m = std::min(m, lane(v, l));
  return m;
}
template <typename V> inline float es_hmax(V v) {
  float m = lane(v, 0);
  for (int l = 1; l < 8; ++l) m = std::max(m, lane(v, l));
  return m;
}

// Histogram bins of 8 values, times 8, plus the lane, into idx: lane l counts at 8 * bin + l (eight
// interleaved sub-histograms, so runs of one bin do not wait on each other's increments). Values below
// lo (and NaN) go to bin 0, above hi to the last.
template <typename F, typename I> inline I bins_of(F v, F lo, F width, F top, I lane_ids) {
  F t = (v - lo) * width;
  t = (F)((I)t & (I)(t > (F){} ));
  t = sel<F, I>(t < top, t, top);
#if defined(NPUQ_ES_LANEWISE_CONVERT)
  // Lane by lane (the same truncation): qemu-user 7.2 aborts on RVV's vfcvt.rtz.x.f.v, which the vector
  // conversion compiles to, and the RVV tier must run under qemu in CI.
  I idx;
  for (size_t l = 0; l < sizeof(I) / sizeof(int32_t); ++l) idx[l] = int32_t(t[l]);
  return idx * 8 + lane_ids;
#else
  return __builtin_convertvector(t, I) * 8 + lane_ids;
#endif
}
inline void es_bins(v8f v, float lo, float width, float top, int32_t* idx) {
  const v8i b = bins_of<v8f, v8i>(v, es_splat<v8f>(lo), es_splat<v8f>(width), es_splat<v8f>(top), v8i{0, 1, 2, 3, 4, 5, 6, 7});
  std::memcpy(idx, &b, sizeof b);
}
inline void es_bins(F8 v, float lo, float width, float top, int32_t* idx) {
  const v4f vl = {lo, lo, lo, lo}, vw = {width, width, width, width}, vt = {top, top, top, top};
  const v4i a = bins_of<v4f, v4i>(v.a, vl, vw, vt, v4i{0, 1, 2, 3}), b = bins_of<v4f, v4i>(v.b, vl, vw, vt, v4i{4, 5, 6, 7});
  std::memcpy(idx, &a, sizeof a);
  std::memcpy(idx + 4, &b, sizeof b);
}

// The test side of the pair as float: the float tensor itself, or its integers dequantized exactly as
// DequantizeLinear does (float(int64(q) - zp) * scale), a block at a time into `buf`.
template <typename T>
inline const float* es_test_block(const ErrorStatsArgs& a, size_t k, size_t len, float* buf) {
  const T* q = static_cast<const T*>(a.test) + k;
  // int32 is exact here (|q - zp| < 2^17) and converts to the same float as DequantizeLinear's int64.
  for (size_t i = 0; i < len; ++i) buf[i] = static_cast<float>(int32_t(q[i]) - a.zero_point) * a.scale;
  return buf;
}

template <typename T>
inline const float* es_test(const ErrorStatsArgs& a, size_t k, size_t len, float* buf) {
  if constexpr (std::is_same<T, float>::value) return static_cast<const float*>(a.test) + k;
  else return es_test_block<T>(a, k, len, buf);
}

inline size_t es_bin1(float v, float lo, float width, float top) {
  float t = (v - lo) * width;
  t = t > 0 ? t : 0;
  t = t < top ? t : top;
  return size_t(t) * 8;
}

// One item of the probe, fast path: no branch per element. Returns false (and leaves *r unspecified)
// when a sum came out non-finite, i.e. a NaN or an infinity in the item (or a block sum overflowing
// float at |x| > ~1e17): the caller then redoes the item on the careful path.
template <typename V, typename T>
bool es_item(const float* f, const ErrorStatsArgs& a, ErrorStatsSums* r, uint32_t* counts) {
  const size_t n = a.n;
  if (n == 0) return false;
  alignas(32) float buf[kErrBlock];
  const bool hist = counts != nullptr;
  uint32_t* cf = counts;
  uint32_t* cq = hist ? counts + 8 * a.bins : nullptr;
  // An 8-bit test side is counted by code (four interleaved 256-entry tables after the two
  // histograms), one increment and no float work per element; the caller puts the codes in their bins
  // once for all the items that counted into the table.
  constexpr bool kByCode = sizeof(T) == 1;
  uint32_t* codes = hist ? counts + 16 * a.bins : nullptr;
  double dot = 0, ff = 0, qq = 0, dd = 0, sf = 0, sq = 0, sd = 0;
  const float q0 = es_test<T>(a, 0, 1, buf)[0];
  V md = es_splat<V>(0), mnf = es_splat<V>(f[0]), mxf = mnf, mnq = es_splat<V>(q0), mxq = mnq;
  float maxd = 0, fmin = f[0], fmax = f[0], qmin = q0, qmax = q0;
  for (size_t k = 0; k < n; k += kErrBlock) {
    const size_t len = std::min(kErrBlock, n - k);
    const float* fb = f + k;
    const float* qb = es_test<T>(a, k, len, buf);
    const size_t len8 = len & ~size_t(7);
    V bdot = es_splat<V>(0), bff = bdot, bqq = bdot, bdd = bdot, bsf = bdot, bsq = bdot, bsd = bdot;
    for (size_t i = 0; i < len8; i += 8) {
      const V x = es_load<V>(fb + i), y = es_load<V>(qb + i), d = y - x;
      bdot += x * y; bff += x * x; bqq += y * y; bdd += d * d;
      bsf += x; bsq += y; bsd += d;
      md = es_max(md, es_abs(d));
      mnf = es_min(mnf, x); mxf = es_max(mxf, x);
      mnq = es_min(mnq, y); mxq = es_max(mxq, y);
      if (hist) {
        alignas(32) int32_t bx[8], by[8];
        es_bins(x, a.lo, a.width, a.top, bx);
        if constexpr (kByCode) {
          const uint8_t* c = static_cast<const uint8_t*>(a.test) + k + i;
          for (int l = 0; l < 8; ++l) { cf[bx[l]] += 1; codes[256 * (l & 3) + c[l]] += 1; }
        } else {
          es_bins(y, a.lo, a.width, a.top, by);
          for (int l = 0; l < 8; ++l) { cf[bx[l]] += 1; cq[by[l]] += 1; }
        }
      }
    }
    dot += es_hsum(bdot); ff += es_hsum(bff); qq += es_hsum(bqq); dd += es_hsum(bdd);
    sf += es_hsum(bsf); sq += es_hsum(bsq); sd += es_hsum(bsd);
    for (size_t i = len8; i < len; ++i) {  // only in the last block
      const double x = fb[i], y = qb[i], d = y - x;
      dot += x * y; ff += x * x; qq += y * y; dd += d * d;
      sf += x; sq += y; sd += d;
      maxd = std::max(maxd, float(std::fabs(d)));
      fmin = std::min(fmin, fb[i]); fmax = std::max(fmax, fb[i]);
      qmin = std::min(qmin, qb[i]); qmax = std::max(qmax, qb[i]);
      if (hist) {
        cf[es_bin1(fb[i], a.lo, a.width, a.top)] += 1;
        cq[es_bin1(qb[i], a.lo, a.width, a.top)] += 1;
      }
    }
  }
  maxd = std::max(maxd, es_hmax(md));
  fmin = std::min(fmin, es_hmin(mnf)); fmax = std::max(fmax, es_hmax(mxf));
  qmin = std::min(qmin, es_hmin(mnq)); qmax = std::max(qmax, es_hmax(mxq));
  r->n = double(n); r->bad = 0; r->dot = dot; r->sff = ff; r->sqq = qq; r->sdd = dd; r->sf = sf; r->sq = sq; r->sd = sd;
  r->maxd = maxd; r->fmin = fmin; r->fmax = fmax; r->qmin = qmin; r->qmax = qmax;
  return std::isfinite(dot + ff + qq + dd + sf + sq + sd + double(maxd));
}

// max |f| of each channel of an item laid out [outer][channels][inner], into chmax (kept when larger).
template <typename V>
void es_channel_max(const float* f, size_t per_item, size_t channels, size_t inner, float* chmax) {
  for (size_t base = 0; base < per_item; base += channels * inner) {
    for (size_t c = 0; c < channels; ++c) {
      const float* p = f + base + c * inner;
      float m = chmax[c];
      size_t k = 0;
      if (inner >= 16) {
        V vm = es_splat<V>(0);
        for (; k + 8 <= inner; k += 8) vm = es_max(vm, es_abs(es_load<V>(p + k)));
        m = std::max(m, es_hmax(vm));
      }
      for (; k < inner; ++k) m = std::max(m, std::fabs(p[k]));
      chmax[c] = m;
    }
  }
}

template <typename V, typename T>
bool es_item_with_channels(const float* f, const ErrorStatsArgs& a, ErrorStatsSums* r, uint32_t* counts, float* chmax) {
  if (!es_item<V, T>(f, a, r, counts)) return false;
  if (a.channels) es_channel_max<V>(f, a.n, a.channels, a.inner, chmax);
  return true;
}

// One item with 8 lanes of representation V (v8f or F8: the same bits).
template <typename V>
bool es_dispatch(const float* f, const ErrorStatsArgs& a, ErrorStatsSums* r, uint32_t* counts, float* chmax) {
  switch (a.test_type) {
    case ErrorStatsTest::F32: return es_item_with_channels<V, float>(f, a, r, counts, chmax);
    case ErrorStatsTest::U8: return es_item_with_channels<V, uint8_t>(f, a, r, counts, chmax);
    case ErrorStatsTest::S8: return es_item_with_channels<V, int8_t>(f, a, r, counts, chmax);
    case ErrorStatsTest::U16: return es_item_with_channels<V, uint16_t>(f, a, r, counts, chmax);
    case ErrorStatsTest::S16: return es_item_with_channels<V, int16_t>(f, a, r, counts, chmax);
  }
  return false;
}

}  // namespace
}  // namespace npuq
