// Public quantized pooling entry points (qkernels.h): validation, padded int32 planes
// (qpool-plane.h), window counts, threading over planes, and the requantization of global sums.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qtype-io.h"
#include "kernels/qpool/qpool-plane.h"
#include "kernels/requant/requant-internal.h"

namespace npuq {

namespace {

[[noreturn]] void fail(const char* op, const std::string& what) {
  throw std::invalid_argument(std::string(op) + ": " + what);
}

// Largest |q - zp| over the type's values.
int64_t max_abs_offset(QType t, int32_t zp) {
  const int64_t a = int64_t(qtype_max(t)) - zp, b = int64_t(zp) - qtype_min(t);
  return a > b ? a : b;
}

// Returns false when there is nothing to compute.
bool validate(const QPool2dParams& p, const char* op) {
  if (!qtype_narrow(p.type)) fail(op, "type must be U8, S8, U16 or S16");
  if (p.zp < qtype_min(p.type) || p.zp > qtype_max(p.type))
    fail(op, "zero point " + std::to_string(p.zp) + " is outside its type's range");
  if (p.KH == 0 || p.KW == 0 || p.SH == 0 || p.SW == 0 || p.DH == 0 || p.DW == 0)
    fail(op, "kernel, stride and dilation sizes must be positive");
  if (static_cast<unsigned>(p.round) >= static_cast<unsigned>(kRoundModes)) fail(op, "unknown rounding mode");
  return p.N * p.C != 0 && p.OH != 0 && p.OW != 0;
}

QPoolGeometry geometry(const QPool2dParams& p) {
  QPoolGeometry g;
  g.H = p.H; g.W = p.W; g.OH = p.OH; g.OW = p.OW; g.KH = p.KH; g.KW = p.KW;
  g.SH = p.SH; g.SW = p.SW; g.DH = p.DH; g.DW = p.DW; g.PT = p.PT; g.PL = p.PL;
  return g;
}

// Number of taps k < K whose position o*S + k*D - P lies in [lo, hi), at least 1 (an empty window
// sums to 0, so dividing by 1 gives the zero point).
int32_t window_count(size_t o, size_t K, size_t S, size_t D, size_t P, long long lo, long long hi) {
  int32_t n = 0;
  for (size_t k = 0; k < K; ++k) {
    const long long pos = static_cast<long long>(o * S + k * D) - static_cast<long long>(P);
    n += pos >= lo && pos < hi;
  }
  return n ? n : 1;
}

template <typename F>
void for_planes(const QPool2dParams& p, const QPoolPlaneLayout& layout, ThreadPool* pool, F per_plane) {
  const size_t planes = p.N * p.C;
  const double work = static_cast<double>(planes) * p.OH * p.OW * p.KH * p.KW;
  const size_t threads = pool ? pool->threads() : 1;
  const size_t chunks = work < 32768.0 ? 1 : threads * 4;
  parallel_ranges(threads > 1 ? pool : nullptr, planes, chunks, [&](size_t b, size_t e) {
    std::vector<int32_t> buf(layout.buffer_size());
    for (size_t i = b; i < e; ++i) per_plane(i, buf.data());
  });
}

const char* byte_ptr(const void* p, size_t elems, QType t) {
  return static_cast<const char*>(p) + elems * qtype_size(t);
}
char* byte_ptr(void* p, size_t elems, QType t) { return static_cast<char*>(p) + elems * qtype_size(t); }

// MaxPool 2x2, stride 2, no padding, every window inside the plane (the common CNN downsampling):
// the max of four values straight from the input, without the padded int32 plane. The max of integers
// does not depend on the order, so this is the same result on every tier.
bool is_plain_2x2(const QPool2dParams& p) {
  return p.KH == 2 && p.KW == 2 && p.SH == 2 && p.SW == 2 && p.DH == 1 && p.DW == 1 && p.PT == 0 && p.PL == 0 &&
         2 * p.OH <= p.H && 2 * p.OW <= p.W;
}

template <typename T>
void maxpool_2x2(const QPool2dParams& p, const T* x, T* y, ThreadPool* pool) {
  const size_t planes = p.N * p.C, H = p.H, W = p.W, OH = p.OH, OW = p.OW;
  const size_t threads = pool ? pool->threads() : 1;
  const size_t chunks = planes * OH * OW < 65536 ? 1 : threads * 4;
  parallel_ranges(threads > 1 ? pool : nullptr, planes, chunks, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i)
      for (size_t oh = 0; oh < OH; ++oh) {
        const T* r0 = x + (i * H + 2 * oh) * W;
        const T* r1 = r0 + W;
        T* out = y + (i * OH + oh) * OW;
        for (size_t ow = 0; ow < OW; ++ow) {
          const T a = std::max(r0[2 * ow], r0[2 * ow + 1]), c = std::max(r1[2 * ow], r1[2 * ow + 1]);
          out[ow] = std::max(a, c);
        }
      }
  });
}

}  // namespace

void qmaxpool2d(Isa isa, const QPool2dParams& p, const void* x, void* y, ThreadPool* pool) {
  if (!validate(p, "qmaxpool2d")) return;
  if ((!x && p.H * p.W != 0) || !y) fail("qmaxpool2d", "null buffer");
  if (is_plain_2x2(p)) {
    switch (p.type) {
      case QType::U8: return maxpool_2x2(p, static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y), pool);
      case QType::S8: return maxpool_2x2(p, static_cast<const int8_t*>(x), static_cast<int8_t*>(y), pool);
      case QType::U16: return maxpool_2x2(p, static_cast<const uint16_t*>(x), static_cast<uint16_t*>(y), pool);
      case QType::S16: return maxpool_2x2(p, static_cast<const int16_t*>(x), static_cast<int16_t*>(y), pool);
      default: break;  // validate() admits only the four above
    }
  }
  const QPoolPlaneLayout layout(geometry(p));
  const QMaxPoolFn fn = q_eltwise_kernels(isa).maxpool;
  const int32_t pad = qtype_min(p.type);
  for_planes(p, layout, pool, [&](size_t i, int32_t* buf) {
    layout.fill(byte_ptr(x, i * p.H * p.W, p.type), p.type, 0, pad, buf);
    fn(layout.window(buf), p.type, byte_ptr(y, i * p.OH * p.OW, p.type));
  });
}

void qavgpool2d(Isa isa, const QPool2dParams& p, const void* x, void* y, ThreadPool* pool) {
  if (!validate(p, "qavgpool2d")) return;
  if ((!x && p.H * p.W != 0) || !y) fail("qavgpool2d", "null buffer");
  const QPoolPlaneLayout layout(geometry(p));
  // The SIMD kernels sum in int32: use them when no window sum can overflow it.
  const bool fits = double(p.KH) * double(p.KW) * double(max_abs_offset(p.type, p.zp)) <= double(INT32_MAX);
  const QAvgPoolFn fn = (fits ? q_eltwise_kernels(isa) : q_eltwise_scalar_kernels()).avgpool;
  const bool inc = p.count_include_pad;
  std::vector<int32_t> hcount(p.OH), wcount(p.OW + 8, 1);
  const long long hlo = inc ? -static_cast<long long>(p.PT) : 0, hhi = static_cast<long long>(p.H + (inc ? p.PB : 0));
  const long long wlo = inc ? -static_cast<long long>(p.PL) : 0, whi = static_cast<long long>(p.W + (inc ? p.PR : 0));
  for (size_t oh = 0; oh < p.OH; ++oh) hcount[oh] = window_count(oh, p.KH, p.SH, p.DH, p.PT, hlo, hhi);
  for (size_t ow = 0; ow < p.OW; ++ow) wcount[ow] = window_count(ow, p.KW, p.SW, p.DW, p.PL, wlo, whi);
  QAvgPoolArgs a;
  a.round = p.round;
  a.type = p.type;
  a.zp = p.zp;
  a.qmin = qtype_min(p.type);
  a.qmax = qtype_max(p.type);
  for_planes(p, layout, pool, [&](size_t i, int32_t* buf) {
    layout.fill(byte_ptr(x, i * p.H * p.W, p.type), p.type, p.zp, 0, buf);
    fn(layout.window(buf), hcount.data(), wcount.data(), a, byte_ptr(y, i * p.OH * p.OW, p.type));
  });
}

namespace {

// requantize() must find the entries it reads (it saturates instead of overflowing, rounding.h).
void check_requant(const Requant& r, QType out, const char* op) {
  if (r.per_channel) fail(op, "requant must be per-tensor");
  if (static_cast<unsigned>(r.round) >= static_cast<unsigned>(kRoundModes)) fail(op, "unknown rounding mode");
  if (r.qmin > r.qmax || r.qmin < qtype_min(out) || r.qmax > qtype_max(out))
    fail(op, "requant clamp range must be non-empty and within the output type");
  switch (r.method) {
    case RequantMethod::FloatScale:
      if (r.scale.empty()) fail(op, "FloatScale requant needs a scale");
      return;
    case RequantMethod::FixedPointDouble:
    case RequantMethod::FixedPointSingle:
      if (r.multiplier.empty() || r.shift.empty()) fail(op, "fixed-point requant needs a multiplier and a shift");
      if (r.shift[0] < -31 || r.shift[0] > 30) fail(op, "fixed-point shift must lie in [-31, 30]");
      return;
    case RequantMethod::MultiplierShift:
    case RequantMethod::MultiplierShiftFloat:
    case RequantMethod::ShiftOnly:
      if ((r.multiplier.empty() && r.method != RequantMethod::ShiftOnly) || r.shift.empty())
        fail(op, "requant needs a multiplier and a shift");
      if (r.shift[0] < -62 || r.shift[0] > 62) fail(op, "requant shift must lie in [-62, 62]");
      return;
  }
  fail(op, "unknown requant method");
}

}  // namespace

void qglobal_avgpool(Isa isa, size_t NC, size_t HW, QType in_type, int32_t in_zp, const Requant& r, QType out_type,
                     const void* x, void* y, ThreadPool* pool) {
  const char* op = "qglobal_avgpool";
  if (!qtype_narrow(in_type) || !qtype_narrow(out_type)) fail(op, "types must be U8, S8, U16 or S16");
  if (in_zp < qtype_min(in_type) || in_zp > qtype_max(in_type))
    fail(op, "input zero point is outside its type's range");
  check_requant(r, out_type, op);
  if (NC == 0) return;
  if ((!x && HW) || !y) fail(op, "null buffer");
  const QRowSumFn fn = q_eltwise_kernels(isa).rowsum;
  const QKernels& kernels = q_kernels(isa);
  const QRequantTable table = make_requant_table(op, r, 1, out_type);
  const QRequantArgs args = table.args(0, 0, nullptr);
  const int64_t zp_sum = -int64_t(HW) * in_zp;  // the bias of every row (stride 0)
  const size_t threads = pool ? pool->threads() : 1;
  const size_t chunks = NC * HW < 65536 ? 1 : threads * 2;
  parallel_ranges(threads > 1 ? pool : nullptr, NC, chunks, [&](size_t b, size_t e) {
    int64_t sums[256];
    for (size_t r0 = b; r0 < e; r0 += 256) {
      const size_t rows = e - r0 < 256 ? e - r0 : 256;
      if (HW) {
        fn(rows, HW, in_type, byte_ptr(x, r0 * HW, in_type), sums);
      } else {
        for (size_t i = 0; i < rows; ++i) sums[i] = 0;
      }
      // sum - HW * zp requantized 256 rows per call: by the tier's kernel where the values fit int32
      // (always for 8-bit inputs below 2^23 pixels), else one at a time. One scalar requantize() per
      // row cost digits_mobilenetv2's SE pools (2560 rows of 16) 50 us per 16 images.
      requant_s64_run(kernels, args, sums, &zp_sum, rows, byte_ptr(y, r0, out_type));
    }
  });
}

}  // namespace npuq
