// Quantized pooling, NEON: 8 outputs of a row per step (two int32x4) over the pre-padded int32 plane
// (rows have 8 int32 of slack; only OW outputs are stored). Average: int32 sums, then div_round by the
// window count exactly: floor(num / den) by float64 division and vrndmq (exact for |num| < 2^31), the
// remainder in int32 and the mode decided on it as div_round does. Row sums: pairwise widening adds
// (vpadal) flushed to 64 bits before they can overflow.
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qvec-neon.h"

namespace npuq {

namespace {

inline void store_part(char* y, QType t, V8 v, size_t r) {
  if (r == 8) return store8(y, t, v);
  alignas(16) char tmp[16];
  store8(tmp, t, v);
  std::memcpy(y, tmp, r * tsize(t));
}

inline int32x4_t floor_div4(int32x4_t num, int32x4_t den) {
  const float64x2_t n0 = vcvtq_f64_s64(vmovl_s32(vget_low_s32(num))), n1 = vcvtq_f64_s64(vmovl_high_s32(num));
  const float64x2_t d0 = vcvtq_f64_s64(vmovl_s32(vget_low_s32(den))), d1 = vcvtq_f64_s64(vmovl_high_s32(den));
  const int64x2_t q0 = vcvtq_s64_f64(vrndmq_f64(vdivq_f64(n0, d0)));
  const int64x2_t q1 = vcvtq_s64_f64(vrndmq_f64(vdivq_f64(n1, d1)));
  return vcombine_s32(vmovn_s64(q0), vmovn_s64(q1));
}

// div_round(num, den, m) for den >= 1, |num| < 2^31.
inline int32x4_t div_round4(int32x4_t num, int32x4_t den, Round m) {
  const int32x4_t q = floor_div4(num, den);
  const int32x4_t r = vsubq_s32(num, vmulq_s32(q, den));  // in [0, den)
  const int32x4_t other = vsubq_s32(den, r);
  const uint32x4_t gt = vcgtq_s32(r, other), tie = vceqq_s32(r, other);
  const uint32x4_t inexact = vmvnq_u32(vceqq_s32(r, vdupq_n_s32(0)));
  const uint32x4_t neg = vcltq_s32(num, vdupq_n_s32(0)), odd = vtstq_s32(q, vdupq_n_s32(1));
  return add_mask(q, up_mask(m, gt, tie, inexact, neg, odd));
}

inline int32x4_t ld(const int32_t* p) { return vld1q_s32(p); }

}  // namespace

void qmaxpool_i32plane_8x__neon(const QPoolWindow& w, QType type, void* y) {
  char* py = static_cast<char*>(y);
  const size_t es = tsize(type);
  for (size_t oh = 0; oh < w.OH; ++oh) {
    const int32_t* base = w.xp + oh * w.SH * w.row_stride;
    for (size_t ow = 0; ow < w.OW; ow += 8) {
      V8 acc = {vdupq_n_s32(INT32_MIN), vdupq_n_s32(INT32_MIN)};
      for (size_t t = 0; t < w.taps; ++t) {
        const int32_t* p = base + w.tap_off[t] + ow;
        acc.lo = vmaxq_s32(acc.lo, ld(p));
        acc.hi = vmaxq_s32(acc.hi, ld(p + 4));
      }
      store_part(py + (oh * w.OW + ow) * es, type, acc, w.OW - ow < 8 ? w.OW - ow : 8);
    }
  }
}

void qavgpool_i32plane_8x__neon(const QPoolWindow& w, const int32_t* hcount, const int32_t* wcount,
                                const QAvgPoolArgs& a, void* y) {
  char* py = static_cast<char*>(y);
  const size_t es = tsize(a.type);
  const int32x4_t zp = vdupq_n_s32(a.zp), lo = vdupq_n_s32(a.qmin), hi = vdupq_n_s32(a.qmax);
  for (size_t oh = 0; oh < w.OH; ++oh) {
    const int32_t* base = w.xp + oh * w.SH * w.row_stride;
    const int32x4_t hc = vdupq_n_s32(hcount[oh]);
    for (size_t ow = 0; ow < w.OW; ow += 8) {
      V8 acc = {vdupq_n_s32(0), vdupq_n_s32(0)};
      for (size_t t = 0; t < w.taps; ++t) {
        const int32_t* p = base + w.tap_off[t] + ow;
        acc.lo = vaddq_s32(acc.lo, ld(p));
        acc.hi = vaddq_s32(acc.hi, ld(p + 4));
      }
      const V8 q = {clamp4(vaddq_s32(div_round4(acc.lo, vmulq_s32(hc, ld(wcount + ow)), a.round), zp), lo, hi),
                    clamp4(vaddq_s32(div_round4(acc.hi, vmulq_s32(hc, ld(wcount + ow + 4)), a.round), zp), lo, hi)};
      store_part(py + (oh * w.OW + ow) * es, a.type, q, w.OW - ow < 8 ? w.OW - ow : 8);
    }
  }
}

namespace {

int64_t rowsum_u8(const uint8_t* x, size_t HW) {
  uint64x2_t acc64 = vdupq_n_u64(0);
  size_t i = 0;
  while (i + 16 <= HW) {
    uint32x4_t acc32 = vdupq_n_u32(0);  // <= 1020 per lane and step
    for (size_t s = 0; s < (size_t(1) << 20) && i + 16 <= HW; ++s, i += 16)
      acc32 = vpadalq_u16(acc32, vpaddlq_u8(vld1q_u8(x + i)));
    acc64 = vpadalq_u32(acc64, acc32);
  }
  int64_t sum = int64_t(vaddvq_u64(acc64));
  for (; i < HW; ++i) sum += x[i];
  return sum;
}

int64_t rowsum_s8(const int8_t* x, size_t HW) {
  int64x2_t acc64 = vdupq_n_s64(0);
  size_t i = 0;
  while (i + 16 <= HW) {
    int32x4_t acc32 = vdupq_n_s32(0);  // |.| <= 512 per lane and step
    for (size_t s = 0; s < (size_t(1) << 20) && i + 16 <= HW; ++s, i += 16)
      acc32 = vpadalq_s16(acc32, vpaddlq_s8(vld1q_s8(x + i)));
    acc64 = vpadalq_s32(acc64, acc32);
  }
  int64_t sum = vaddvq_s64(acc64);
  for (; i < HW; ++i) sum += x[i];
  return sum;
}

int64_t rowsum_u16(const uint16_t* x, size_t HW) {
  uint64x2_t acc64 = vdupq_n_u64(0);
  size_t i = 0;
  while (i + 8 <= HW) {
    uint32x4_t acc32 = vdupq_n_u32(0);  // <= 131070 per lane and step
    for (size_t s = 0; s < 16384 && i + 8 <= HW; ++s, i += 8) acc32 = vpadalq_u16(acc32, vld1q_u16(x + i));
    acc64 = vpadalq_u32(acc64, acc32);
  }
  int64_t sum = int64_t(vaddvq_u64(acc64));
  for (; i < HW; ++i) sum += x[i];
  return sum;
}

int64_t rowsum_s16(const int16_t* x, size_t HW) {
  int64x2_t acc64 = vdupq_n_s64(0);
  size_t i = 0;
  while (i + 8 <= HW) {
    int32x4_t acc32 = vdupq_n_s32(0);  // |.| <= 65536 per lane and step
    for (size_t s = 0; s < 16384 && i + 8 <= HW; ++s, i += 8) acc32 = vpadalq_s16(acc32, vld1q_s16(x + i));
    acc64 = vpadalq_s32(acc64, acc32);
  }
  int64_t sum = vaddvq_s64(acc64);
  for (; i < HW; ++i) sum += x[i];
  return sum;
}

}  // namespace

void qrowsum_16x__neon(size_t rows, size_t HW, QType type, const void* x, int64_t* sums) {
  for (size_t r = 0; r < rows; ++r) {
    switch (type) {
      case QType::U8: sums[r] = rowsum_u8(static_cast<const uint8_t*>(x) + r * HW, HW); break;
      case QType::S8: sums[r] = rowsum_s8(static_cast<const int8_t*>(x) + r * HW, HW); break;
      case QType::U16: sums[r] = rowsum_u16(static_cast<const uint16_t*>(x) + r * HW, HW); break;
      default: sums[r] = rowsum_s16(static_cast<const int16_t*>(x) + r * HW, HW); break;
    }
  }
}

}  // namespace npuq
