// The body of the ErrorStats item kernel (the analysis probe, native/engine/ops/analysis.cc), written
// once with GCC/Clang vector extensions over 8 float lanes and compiled by each tier's file
// (error-stats-<isa>.cc) with that tier's flags: AVX2 gets one ymm register per sum, the baseline x86-64
// build two xmm, aarch64 two NEON q registers. The lane structure, the block size, the order of every
// addition and the absence of contraction (-ffp-contract=off) are the same in every compilation, so
// every tier returns the same bits (test/native/test_error_stats.cc checks it on each arch). Two spots
// use the tier's intrinsics where GCC's vector code for them is poor: MINPS / MAXPS, and widening 8- or
// 16-bit test values to int32 lanes (same results: integers and exact selects).
//
// bench/native/bench_error_stats.cc, [16, 24, 16, 16] int8 test side, AVX2, ns per pair: sums 0.35,
// with histograms 1.02 (two counter increments per pair are most of it), everything 1.07.
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
#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

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
// min is x < y ? x : y and max x > y ? x : y, lane by lane: exactly x86's MINPS / MAXPS (the second
// operand on NaN and on equal values, +0 and -0 alike), one instruction where the tier has it; GCC does
// not see that the mask select is one (it emitted compare + blend).
#if defined(__AVX__)
inline v8f es_min(v8f x, v8f y) { return __builtin_ia32_minps256(x, y); }
inline v8f es_max(v8f x, v8f y) { return __builtin_ia32_maxps256(x, y); }
#else
inline v8f es_min(v8f x, v8f y) { return sel<v8f, v8i>(x < y, x, y); }
inline v8f es_max(v8f x, v8f y) { return sel<v8f, v8i>(x > y, x, y); }
#endif
#if defined(__SSE__)
inline v4f es_min4(v4f x, v4f y) { return __builtin_ia32_minps(x, y); }
inline v4f es_max4(v4f x, v4f y) { return __builtin_ia32_maxps(x, y); }
#else
inline v4f es_min4(v4f x, v4f y) { return sel<v4f, v4i>(x < y, x, y); }
inline v4f es_max4(v4f x, v4f y) { return sel<v4f, v4i>(x > y, x, y); }
#endif
inline F8 es_min(F8 x, F8 y) { return {es_min4(x.a, y.a), es_min4(x.b, y.b)}; }
inline F8 es_max(F8 x, F8 y) { return {es_max4(x.a, y.a), es_max4(x.b, y.b)}; }
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

// The test side of eight pairs as float: the float tensor itself, or its integers dequantized exactly
// as DequantizeLinear does (float(int64(q) - zp) * scale; int32 is exact here, |q - zp| < 2^17, and
// converts to the same float), in registers: no dequantized copy of the block.
template <typename T> struct EsTest {
  static_assert(sizeof(T) <= 2, "8- or 16-bit integers");
  typedef T v8t __attribute__((vector_size(8 * sizeof(T))));
  typedef T v4t __attribute__((vector_size(4 * sizeof(T))));
  static v8f load(const T* p, v8i zp, v8f scale) {
#if defined(__AVX2__)
    // GCC 12 widens an 8-byte vector lane by lane through general registers: one VPMOVSX/ZX instead.
    __m256i w;
    if constexpr (std::is_same<T, uint8_t>::value) w = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    else if constexpr (std::is_same<T, int8_t>::value) w = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    else if constexpr (std::is_same<T, uint16_t>::value) w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    else w = _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return __builtin_convertvector((v8i)w - zp, v8f) * scale;
#else
    v8t t;
    std::memcpy(&t, p, sizeof t);
    return __builtin_convertvector(__builtin_convertvector(t, v8i) - zp, v8f) * scale;
#endif
  }
  static F8 load(const T* p, F8 zp, F8 scale) {
    v4i a, b;
#if defined(__ARM_NEON)
    // (GCC 12 widens short vectors lane by lane through general registers on aarch64 and SSE2 too.)
    if constexpr (std::is_same<T, uint8_t>::value) {
      const uint16x8_t w = vmovl_u8(vld1_u8(p));
      a = (v4i)vmovl_u16(vget_low_u16(w));
      b = (v4i)vmovl_u16(vget_high_u16(w));
    } else if constexpr (std::is_same<T, int8_t>::value) {
      const int16x8_t w = vmovl_s8(vld1_s8(p));
      a = (v4i)vmovl_s16(vget_low_s16(w));
      b = (v4i)vmovl_s16(vget_high_s16(w));
    } else if constexpr (std::is_same<T, uint16_t>::value) {
      const uint16x8_t w = vld1q_u16(p);
      a = (v4i)vmovl_u16(vget_low_u16(w));
      b = (v4i)vmovl_u16(vget_high_u16(w));
    } else {
      const int16x8_t w = vld1q_s16(p);
      a = (v4i)vmovl_s16(vget_low_s16(w));
      b = (v4i)vmovl_s16(vget_high_s16(w));
    }
#elif defined(__SSE2__)
    // Bytes and halves widened by unpacking: with zeros (unsigned) or with themselves and an
    // arithmetic shift (signed).
    __m128i w;
    if constexpr (sizeof(T) == 1) {
      const __m128i v = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
      w = std::is_signed<T>::value ? _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8) : _mm_unpacklo_epi8(v, _mm_setzero_si128());
    } else {
      w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    }
    if constexpr (std::is_signed<T>::value) {
      a = (v4i)_mm_srai_epi32(_mm_unpacklo_epi16(w, w), 16);
      b = (v4i)_mm_srai_epi32(_mm_unpackhi_epi16(w, w), 16);
    } else {
      a = (v4i)_mm_unpacklo_epi16(w, _mm_setzero_si128());
      b = (v4i)_mm_unpackhi_epi16(w, _mm_setzero_si128());
    }
#else
    v4t ta, tb;
    std::memcpy(&ta, p, sizeof ta);
    std::memcpy(&tb, p + 4, sizeof tb);
    a = __builtin_convertvector(ta, v4i);
    b = __builtin_convertvector(tb, v4i);
#endif
    return {__builtin_convertvector(a - (v4i)zp.a, v4f) * scale.a, __builtin_convertvector(b - (v4i)zp.b, v4f) * scale.b};
  }
};
// The splatted zero point, in the integer lanes of the same representation (F8 carries them bitwise).
inline v8i es_zp(int32_t zp, v8f*) { return v8i{zp, zp, zp, zp, zp, zp, zp, zp}; }
inline F8 es_zp(int32_t zp, F8*) { const v4i z = {zp, zp, zp, zp}; return {(v4f)z, (v4f)z}; }

template <typename V, typename T, typename Z>
inline V es_load_test(const T* p, Z zp, V scale) {
  if constexpr (std::is_same<T, float>::value) return es_load<V>(p);
  else return EsTest<T>::load(p, zp, scale);
}

template <typename T> inline float es_test1(const T* p, const ErrorStatsArgs& a) {
  if constexpr (std::is_same<T, float>::value) return *p;
  else return static_cast<float>(int32_t(*p) - a.zero_point) * a.scale;
}

inline size_t es_bin1(float v, float lo, float width, float top) {
  float t = (v - lo) * width;
  t = t > 0 ? t : 0;
  t = t < top ? t : top;
  return size_t(t) * 8;
}

// The histogram counts of one block, after its sums: the bins of a vector of eight at a time into a
// block of indices, then the increments in one tight loop (lane l of each eight at 8 * bin + l; an
// 8-bit test side by code, element i in table i % 8), so the sums loop keeps its accumulators in
// registers and runs of one bin or code do not wait on each other's increments.
template <typename V, typename T, typename Z>
void es_count_block(const float* fb, const T* qb, size_t len, const ErrorStatsArgs& a, Z zp, V scale, uint32_t* counts) {
  constexpr bool kByCode = sizeof(T) == 1;
  alignas(32) int32_t bx[kErrBlock], by[kByCode ? 1 : kErrBlock];
  const size_t len8 = len & ~size_t(7);
  for (size_t i = 0; i < len8; i += 8) {
    es_bins(es_load<V>(fb + i), a.lo, a.width, a.top, bx + i);
    if constexpr (!kByCode) es_bins(es_load_test<V, T>(qb + i, zp, scale), a.lo, a.width, a.top, by + i);
  }
  uint32_t* cf = counts;
  uint32_t* cq = counts + 8 * a.bins;
  uint32_t* codes = counts + 16 * a.bins;
  const uint8_t* code = static_cast<const uint8_t*>(static_cast<const void*>(qb));  // 8-bit test side
  for (size_t i = 0; i < len8; i += 8) {
    for (int l = 0; l < 8; ++l) {
      cf[bx[i + l]] += 1;
      if constexpr (kByCode) codes[256 * l + code[i + l]] += 1;
      else cq[by[i + l]] += 1;
    }
  }
  for (size_t i = len8; i < len; ++i) {  // only in the last block
    cf[es_bin1(fb[i], a.lo, a.width, a.top)] += 1;
    cq[es_bin1(es_test1(qb + i, a), a.lo, a.width, a.top)] += 1;
  }
}

// One item of the probe, fast path: no branch per element. Returns false (and leaves *r unspecified)
// when a sum came out non-finite, i.e. a NaN or an infinity in the item (or a block sum overflowing
// float at |x| > ~1e17): the caller then redoes the item on the careful path.
template <typename V, typename T, bool kHist>
bool es_item(const float* f, const ErrorStatsArgs& a, ErrorStatsSums* r, uint32_t* counts) {
  const size_t n = a.n;
  if (n == 0) return false;
  const T* q = static_cast<const T*>(a.test);
  const auto zp = es_zp(a.zero_point, static_cast<V*>(nullptr));
  const V scale = es_splat<V>(a.scale);
  double dot = 0, ff = 0, qq = 0, dd = 0, sf = 0, sq = 0, sd = 0;
  const float q0 = es_test1(q, a);
  V md = es_splat<V>(0), mnf = es_splat<V>(f[0]), mxf = mnf, mnq = es_splat<V>(q0), mxq = mnq;
  float maxd = 0, fmin = f[0], fmax = f[0], qmin = q0, qmax = q0;
  for (size_t k = 0; k < n; k += kErrBlock) {
    const size_t len = std::min(kErrBlock, n - k);
    const float* fb = f + k;
    const T* qb = q + k;
    const size_t len8 = len & ~size_t(7);
    V bdot = es_splat<V>(0), bff = bdot, bqq = bdot, bdd = bdot, bsf = bdot, bsq = bdot, bsd = bdot;
    for (size_t i = 0; i < len8; i += 8) {
      const V x = es_load<V>(fb + i), y = es_load_test<V, T>(qb + i, zp, scale), d = y - x;
      bdot += x * y; bff += x * x; bqq += y * y; bdd += d * d;
      bsf += x; bsq += y; bsd += d;
      md = es_max(md, es_abs(d));
      mnf = es_min(mnf, x); mxf = es_max(mxf, x);
      mnq = es_min(mnq, y); mxq = es_max(mxq, y);
    }
    dot += es_hsum(bdot); ff += es_hsum(bff); qq += es_hsum(bqq); dd += es_hsum(bdd);
    sf += es_hsum(bsf); sq += es_hsum(bsq); sd += es_hsum(bsd);
    for (size_t i = len8; i < len; ++i) {  // only in the last block
      const float qv = es_test1(qb + i, a);
      const double x = fb[i], y = qv, d = y - x;
      dot += x * y; ff += x * x; qq += y * y; dd += d * d;
      sf += x; sq += y; sd += d;
      maxd = std::max(maxd, float(std::fabs(d)));
      fmin = std::min(fmin, fb[i]); fmax = std::max(fmax, fb[i]);
      qmin = std::min(qmin, qv); qmax = std::max(qmax, qv);
    }
    if constexpr (kHist) es_count_block<V, T>(fb, qb, len, a, zp, scale, counts);
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
  if (!(counts ? es_item<V, T, true>(f, a, r, counts) : es_item<V, T, false>(f, a, r, counts))) return false;
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
