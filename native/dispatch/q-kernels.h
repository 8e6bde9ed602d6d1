// The integer kernel table (quantized GEMM / convolution / requantization): one entry per tier, naming the
// microkernels the ISA-neutral drivers (native/kernels/qgemm, qconv, requant) call. Same rules as
// f32-kernels.h: kernels take raw pointers and validated arguments only, and the ISA files use no inline
// functions or templates shared with baseline code (an -avx2.cc copy must never be the one the linker
// keeps); they call the scalar kernels, which are ordinary functions, for what they do not vectorize.
//
// Every kernel computes exact integer results, so all tiers agree bit for bit by construction; the tests
// check it anyway.
#pragma once
#include <cstddef>
#include <cstdint>

#include "npuq/qkernels.h"

namespace npuq {

// ---- GEMM microkernels ----------------------------------------------------------------------------
// Operands come packed in panels of R lanes (R = MR rows of the left operand, NR columns of the right)
// by kc depth rounded up to kp: element (k, l) of a panel sits at (k / kp) * R * kp + l * kp + k % kp.
// Lanes and depth past the valid range hold 0. A microkernel computes one tile:
//   C[i][j] = (accumulate ? C[i][j] : 0) + sum_{k < kc} a(k, i) * b(k, j)   for i < mr, j < nr,
// C row-major with row stride ldc; only the mr x nr valid part of C is read or written. kc is a multiple
// of kp. No sum may overflow: the drivers guarantee it (qgemm-internal.h, "accumulation modes").
//
// s16s16_s32: operands are (q - zero_point) of 8-bit values, |x| <= 255, as int16; int32 sums.
using QGemmS16Fn = void (*)(size_t mr, size_t nr, size_t kc, const int16_t* a, const int16_t* b, int32_t* c,
                            size_t ldc, bool accumulate);
// Indirect s16s16_s32 (same tile and panel layout as the tier's s16s16_s32 kernel): depth group g of the
// right operand is read at b[g] + b_off (NR columns of kp values, contiguous) instead of from a packed
// panel; columns past nr are read (and ignored), so the source needs NR * kp readable elements of slack.
using QGemmS16IndirectFn = void (*)(size_t mr, size_t nr, size_t kc, const int16_t* a, const int16_t* const* b,
                                    size_t b_off, int32_t* c, size_t ldc, bool accumulate);
// s8s8_s32: operands are 8-bit values offset to int8 (u8 - 128, s8 as is); the zero points are applied
// afterwards from lane sums (qgemm-driver.cc). Only tiers with a signed 8-bit dot product have one.
using QGemmS8Fn = void (*)(size_t mr, size_t nr, size_t kc, const int8_t* a, const int8_t* b, int32_t* c,
                           size_t ldc, bool accumulate);
// s32s32_s64: operands are (q - zero_point) of 16-bit values (or of 8-bit values whose sums need more than
// int32) as int32, |x| <= 65535; int64 sums.
using QGemmS32Fn = void (*)(size_t mr, size_t nr, size_t kc, const int32_t* a, const int32_t* b, int64_t* c,
                            size_t ldc, bool accumulate);

// ---- depthwise convolution -----------------------------------------------------------------------
// A pre-padded, phase-split input plane holding (x - zero_point), 0 in the padding (see qplane.h):
// output (oh, ow), tap t reads xp[oh * SH * row_stride + tap_off[t] + ow]. Rows hold at least 32 readable
// elements past the last one an output needs. int16 for 8-bit operands, int32 for 16-bit ones.
template <class T>
struct QPlaneWindowOf {
  const T* xp = nullptr;
  size_t row_stride = 0;
  const size_t* tap_off = nullptr;  // taps offsets, kh-major
  size_t taps = 0;
  size_t OH = 0, OW = 0, SH = 1;
};
using QPlaneWindow = QPlaneWindowOf<int16_t>;
using QPlaneWindow32 = QPlaneWindowOf<int32_t>;
// acc[oh * OW + ow] = sum_t xp(...) * w[t], w[t] = (weight - zero point) of 8-bit weights; int32 exact.
using QDwConvS16Fn = void (*)(const QPlaneWindow& p, const int16_t* w, int32_t* acc);
// The same over an int32 plane with int32 weights (16-bit operands), int64 exact:
// acc[oh * OW + ow] = sum_t int64(xp(...)) * w[t].
using QDwConvS32Fn = void (*)(const QPlaneWindow32& p, const int32_t* w, int64_t* acc);

// Depthwise convolution of 8 channels at once (small planes, where per-plane rows are too short for the
// kernel above): an int16 buffer of pixels [rows][Wp][8] holding (x - zero_point) of 8 channels
// interleaved, 0 in the padding; no stride phases. Unused channel lanes (a last group of fewer than 8)
// have weight 0, their inputs may hold any int16. For oh < OH, ow < OW, c < 8:
//   acc[(oh * OW + ow) * 8 + c] = sum_{t < taps} xp[(oh * SH * Wp + ow * SW + tap_off[t]) * 8 + c] * w[t * 8 + c]
// tap_off in pixels (kh * DH * Wp + kw * DW, kh-major); w[t * 8 + c] = (weight - zero point) of 8-bit
// weights (0 for unused lanes); int32 exact (the driver guarantees no overflow, any order).
struct QDwC8Window {
  const int16_t* xp = nullptr;
  size_t Wp = 0;
  const size_t* tap_off = nullptr;
  size_t taps = 0;
  size_t OH = 0, OW = 0, SH = 1, SW = 1;
};
using QDwConvC8Fn = void (*)(const QDwC8Window& p, const int16_t* w, int32_t* acc);
// The c8 sums back to channel planes: planar[c * n + i] = acc[i * 8 + c], c < 8, i < n.
using QC8PlanarFn = void (*)(const int32_t* acc, size_t n, int32_t* planar);

// ---- direct convolution: output channels in lanes --------------------------------------------------
// A block of up to kQConvDirectMr output channels x n output columns, read straight from the
// convolution's int16 input buffer (qconv-shift.cc with kp = 2: (x - zero_point) of 8-bit values, 0 in
// the padding, input channels interleaved in pairs), so no im2col panel is written. Depth pair g of
// column j is the int16 pair at x + 2 * (x_off[j] + pair_off[g]); w holds, per depth pair, the 16
// channels' weight pairs (w - zero point): channel i of pair g at w[(g * 16 + i) * 2 + {0, 1}], 0 for
// channels past mr and for padded depth. For i < mr, j < n:
//   acc[i * ldc + j] = sum_{g < pairs} w[(g*16+i)*2] * x[2*(x_off[j]+pair_off[g])] + w[(g*16+i)*2+1] * x[...+1]
// int32 exact (mode 32: the driver guarantees no partial sum overflows, in any order); nothing else of
// acc is written.
constexpr size_t kQConvDirectMr = 16;
struct QConvDirectBlock {
  size_t pairs = 0;
  const int16_t* w = nullptr;          // pairs x 16 x 2, 32-byte aligned
  const uint32_t* pair_off = nullptr;  // per depth pair, in int16 pairs
  const int16_t* x = nullptr;          // 4-byte aligned
  const uint32_t* x_off = nullptr;     // per column, in int16 pairs
  int32_t* acc = nullptr;
  size_t ldc = 0;
};
using QConvDirectFn = void (*)(size_t mr, size_t n, const QConvDirectBlock& b);

// ---- requantization --------------------------------------------------------------------------------
// out[i] = requantize_one(int64(acc[i]) + bias[i * stride], method, round, scale[i * stride],
//                         multiplier[i * stride], shift[i * stride], zp, qmin, qmax)
// stored as out_type. stride 0: every element is of one channel; 1: element i is of channel i. Arrays
// the method does not use may be null; bias may be null (0). SIMD tiers require acc[i] + bias to fit
// int32 (the drivers guarantee it); requantize_run's public entry has no bias.
struct QRequantArgs {
  RequantMethod method = RequantMethod::FloatScale;
  Round round = Round::HalfToEven;
  QType out_type = QType::U8;
  int32_t zp = 0, qmin = 0, qmax = 255;
  const float* scale = nullptr;
  const int32_t* multiplier = nullptr;
  const int32_t* shift = nullptr;
  const int32_t* bias = nullptr;
  size_t stride = 0;
  bool right_shifts = false;  // every shift the run reads is >= 0 (decided where the parameters are made,
                              // not per call): MultiplierShift / ShiftOnly runs are vectorized only then
};
using QRequantFn = void (*)(const QRequantArgs& a, const int32_t* acc, size_t n, void* out);

template <class Fn>
struct QUkernel {
  const char* name = nullptr;
  size_t mr = 0, nr = 0, kp = 1;
  Fn fn = nullptr;
};

struct QKernels {
  Isa isa = Isa::Scalar;
  QUkernel<QGemmS16Fn> gemm_s16;
  QUkernel<QGemmS16IndirectFn> gemm_s16_indirect;  // fn == nullptr when the tier has none
  QUkernel<QGemmS8Fn> gemm_s8;  // fn == nullptr when the tier has none
  QUkernel<QGemmS32Fn> gemm_s32;
  const char* dwconv_name = nullptr;
  QDwConvS16Fn dwconv = nullptr;
  const char* dwconv_wide_name = nullptr;
  QDwConvS32Fn dwconv_wide = nullptr;
  const char* dwconv_c8_name = nullptr;
  QDwConvC8Fn dwconv_c8 = nullptr;
  QC8PlanarFn c8_planar = nullptr;
  const char* conv_direct_name = nullptr;  // nullptr when the tier has none (the GEMM path runs instead)
  QConvDirectFn conv_direct = nullptr;
  const char* requant_name = nullptr;
  QRequantFn requant = nullptr;
};

// The tier that runs for a request: `isa` if this binary has kernels for it and the CPU supports it,
// else Scalar. Never aborts.
Isa q_resolve_isa(Isa isa);
// The kernels of q_resolve_isa(isa). The table is filled once (std::call_once).
const QKernels& q_kernels(Isa isa);

// --- the kernels (native/kernels/{qgemm,qconv,requant}/<name>-<isa>.cc) ---
void qgemm_s16s16_s32_4x4__scalar(size_t, size_t, size_t, const int16_t*, const int16_t*, int32_t*, size_t, bool);
void qgemm_s32s32_s64_4x4__scalar(size_t, size_t, size_t, const int32_t*, const int32_t*, int64_t*, size_t, bool);
void qdwconv_s16s16_s32__scalar(const QPlaneWindow&, const int16_t*, int32_t*);
void qdwconv_s32s32_s64__scalar(const QPlaneWindow32&, const int32_t*, int64_t*);
void qdwconv_c8_s16s16_s32__scalar(const QDwC8Window&, const int16_t*, int32_t*);
void c8_planar_s32__scalar(const int32_t*, size_t, int32_t*);
void qconv_direct_s16s16_s32__scalar(size_t, size_t, const QConvDirectBlock&);  // the spec; in no table
void requant_s32__scalar(const QRequantArgs&, const int32_t*, size_t, void*);

#if defined(NPUQ_HAVE_AVX2)
void qgemm_s16s16_s32_6x16c2__avx2(size_t, size_t, size_t, const int16_t*, const int16_t*, int32_t*, size_t, bool);
void qgemm_s16s16_s32_6x16c2_indirect__avx2(size_t, size_t, size_t, const int16_t*, const int16_t* const*, size_t,
                                            int32_t*, size_t, bool);
void qgemm_s32s32_s64_4x8__avx2(size_t, size_t, size_t, const int32_t*, const int32_t*, int64_t*, size_t, bool);
void qdwconv_s16s16_s32_16x__avx2(const QPlaneWindow&, const int16_t*, int32_t*);
void qdwconv_s32s32_s64_16x__avx2(const QPlaneWindow32&, const int32_t*, int64_t*);
void qdwconv_c8_s16s16_s32__avx2(const QDwC8Window&, const int16_t*, int32_t*);
void c8_planar_s32__avx2(const int32_t*, size_t, int32_t*);
void qconv_direct_s16s16_s32_16x5__avx2(size_t, size_t, const QConvDirectBlock&);
void requant_s32_8x__avx2(const QRequantArgs&, const int32_t*, size_t, void*);
#endif

#if defined(NPUQ_HAVE_NEON)
void qgemm_s16s16_s32_8x8__neon(size_t, size_t, size_t, const int16_t*, const int16_t*, int32_t*, size_t, bool);
void qgemm_s32s32_s64_4x8__neon(size_t, size_t, size_t, const int32_t*, const int32_t*, int64_t*, size_t, bool);
void qdwconv_s16s16_s32_8x__neon(const QPlaneWindow&, const int16_t*, int32_t*);
void qdwconv_s32s32_s64_8x__neon(const QPlaneWindow32&, const int32_t*, int64_t*);
void qdwconv_c8_s16s16_s32__neon(const QDwC8Window&, const int16_t*, int32_t*);
void qconv_direct_s16s16_s32_16x5__neon(size_t, size_t, const QConvDirectBlock&);
void requant_s32_4x__neon(const QRequantArgs&, const int32_t*, size_t, void*);
#endif

#if defined(NPUQ_HAVE_NEONDOT)
void qgemm_s8s8_s32_8x8c4__neondot(size_t, size_t, size_t, const int8_t*, const int8_t*, int32_t*, size_t, bool);
#endif

#if defined(NPUQ_HAVE_RVV)
// "v": NR is the vector length (vlenb int16 lanes at LMUL 2 for s16, vlenb / 2 int32 lanes for s32).
void qgemm_s16s16_s32_4xv__rvv(size_t, size_t, size_t, const int16_t*, const int16_t*, int32_t*, size_t, bool);
void qgemm_s32s32_s64_4xv__rvv(size_t, size_t, size_t, const int32_t*, const int32_t*, int64_t*, size_t, bool);
size_t qgemm_s16s16_s32_4xv_nr__rvv();
size_t qgemm_s32s32_s64_4xv_nr__rvv();
void qdwconv_s16s16_s32_v__rvv(const QPlaneWindow&, const int16_t*, int32_t*);
void qdwconv_s32s32_s64_v__rvv(const QPlaneWindow32&, const int32_t*, int64_t*);
void qdwconv_c8_s16s16_s32__rvv(const QDwC8Window&, const int16_t*, int32_t*);
// conv_direct by VLEN: e32m4 runs at any VLEN >= 128, e32m2 needs VLEN >= 256 (16 int32 in an m2 group).
void qconv_direct_s16s16_s32_16x6_e32m4__rvv(size_t, size_t, const QConvDirectBlock&);
void qconv_direct_s16s16_s32_16x12_e32m2__rvv(size_t, size_t, const QConvDirectBlock&);
void requant_s32_v__rvv(const QRequantArgs&, const int32_t*, size_t, void*);
#endif

}  // namespace npuq
