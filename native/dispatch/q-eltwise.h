// The quantized elementwise / pooling / quantize kernel table: one entry per tier naming the
// microkernels the ISA-neutral drivers call (native/kernels/{qeltwise,quantize,qpool}/*.cc without an
// ISA suffix). Kernels take plain structs and validated arguments only; std:: containers, validation,
// fallbacks and threading stay in the drivers, and ISA files call no inline function of a shared header
// (an out-of-line copy compiled with -mavx2 must never be the one baseline code links to).
//
// Every SIMD kernel equals its scalar kernel bit for bit on the arguments the driver hands it; the
// drivers send to the scalar kernel whatever a SIMD kernel does not cover (see `*_simd_ok` in them).
#pragma once
#include <cstddef>
#include <cstdint>

#include "npuq/qkernels.h"

namespace npuq {

// ---- elementwise Add/Sub/Mul (decoded QBinaryParams, see qkernels.h for the formulas) -------------
struct QBinaryArgs {
  QBinaryOp op = QBinaryOp::Add;
  RequantMethod method = RequantMethod::FloatScale;  // SIMD: FloatScale, FixedPointDouble, MultiplierShift*,
                                                     // (Mul) ShiftOnly
  Round round = Round::HalfToEven;
  QType a_type = QType::U8, b_type = QType::U8, out_type = QType::U8;
  int32_t a_zp = 0, b_zp = 0;
  float a_scale = 1, b_scale = 1;     // Add/Sub FloatScale
  float out_scale = 1;                // Add/Sub FloatScale: divisor; Mul FloatScale: multiplier
  int32_t a_mult = 0, a_shift = 0, b_mult = 0, b_shift = 0;  // Add/Sub fixed point
  int32_t out_mult = 0, out_shift = 0;                       // fixed point
  int32_t left_shift = 0;
  int32_t out_zp = 0, qmin = 0, qmax = 255;
  const Requant* requant = nullptr;   // Mul with another method: the scalar kernel calls requantize()
  bool mul_wide = false;              // Mul: some (xa - za) * (xb - zb) exceeds int32 (16-bit inputs);
                                      // SIMD FloatScale then multiplies in double (exact below 2^53)
  bool mlas = false;                  // onnxruntime MLAS x64 arithmetic (8-bit types; every tier)
  float mlas_ra = 0, mlas_rb = 0;     // MLAS Add: float32 sa / so, sb / so
  float mlas_fixed = 0;               // MLAS Add: float(zo) - fma(ra, float(za), rb * float(zb))
  // Add/Sub MultiplierShift / MultiplierShiftFloat (TPU-MLIR): a_mult/a_shift, b_mult/b_shift (right
  // shifts), out_mult/out_shift, with `round`. SIMD kernels get them (any of the ten rounding modes, any
  // shift in [0, 62]) only when, with X = max |q - zp| over each input type, |Xa * Ma| and |Xb * Mb| <=
  // INT32_MAX, (Ya + Yb) * |Mo| <= INT32_MAX with Y = ceil(|X * M| / 2^shift), and ceil(that / 2^sho) +
  // |out_zp| <= INT32_MAX: every step then fits int32 lanes, nothing reaches the scalar's +-2^62
  // saturation, and MultiplierShiftFloat's double products are exact, so both methods share one kernel.
  // Mul MultiplierShift / MultiplierShiftFloat / ShiftOnly: out_mult (1 for ShiftOnly) and out_shift
  // copied from out_requant; SIMD when out_shift is in [0, 62], Xa * Xb <= INT32_MAX, Xa * Xb * |Mo| <=
  // INT32_MAX and ceil(that / 2^sho) + |out_zp| <= INT32_MAX.
};
// y[i] = op(a[i * as], b[i * bs]) for i < n; SIMD kernels are called with as, bs in {0, 1} only.
using QBinaryFn = void (*)(const QBinaryArgs& p, size_t n, const void* a, size_t as, const void* b, size_t bs,
                           void* y);

// ---- quantize / dequantize -----------------------------------------------------------------------
// y[i] = quantize_value(x[i], scale, zp, round, qtype_min(type), qtype_max(type)).
// SIMD kernels: type != S32 and |zp| <= 2^20 (bounds qmin - zp, qmax - zp exact in float).
using QuantizeFn = void (*)(size_t n, const float* x, float scale, int32_t zp, Round round, QType type, void* y);
// y[i] = float(q[i] - zp) * scale. SIMD kernels: type != S32 and |zp| <= 2^30 (q - zp fits int32).
using DequantizeFn = void (*)(size_t n, const void* q, QType type, float scale, int32_t zp, float* y);

// ---- pooling over a pre-padded int32 plane ---------------------------------------------------------
// The driver copies one input plane into int32 rows (padding included, columns split into SW phases,
// the layout of conv/plane-window.h): output (oh, ow), tap t reads xp[oh*SH*row_stride + tap_off[t] + ow].
// Each row has at least 8 int32 of slack past the last column an output reads.
struct QPoolWindow {
  const int32_t* xp = nullptr;
  size_t row_stride = 0;
  const size_t* tap_off = nullptr;  // taps offsets, kh-major
  size_t taps = 0, OH = 0, OW = 0, SH = 1;
};
// Plane holds raw q, padding = qtype_min(type): y[oh, ow] = max over taps, stored as `type`.
using QMaxPoolFn = void (*)(const QPoolWindow& w, QType type, void* y);
// Plane holds q - zp, padding = 0: y = clamp(div_round(sum over taps, hcount[oh] * wcount[ow], round)
// + zp, qmin, qmax) stored as `type`. Counts >= 1 (the driver turns 0 into 1; the sum is 0 there),
// taps * 65535 < 2^31 (sums in int32). wcount has OW + 8 readable entries.
struct QAvgPoolArgs {
  Round round = Round::HalfToEven;
  QType type = QType::U8;
  int32_t zp = 0, qmin = 0, qmax = 255;
};
using QAvgPoolFn = void (*)(const QPoolWindow& w, const int32_t* hcount, const int32_t* wcount,
                            const QAvgPoolArgs& a, void* y);
// sums[r] = sum of the raw values x[r*HW .. r*HW + HW) of `type` (U8..S16), exactly, for r < rows.
using QRowSumFn = void (*)(size_t rows, size_t HW, QType type, const void* x, int64_t* sums);

struct QEltwiseKernels {
  Isa isa = Isa::Scalar;
  const char* qbinary_name = nullptr;
  QBinaryFn qbinary = nullptr;
  const char* quantize_name = nullptr;
  QuantizeFn quantize = nullptr;
  const char* dequantize_name = nullptr;
  DequantizeFn dequantize = nullptr;
  const char* maxpool_name = nullptr;
  QMaxPoolFn maxpool = nullptr;
  const char* avgpool_name = nullptr;
  QAvgPoolFn avgpool = nullptr;
  const char* rowsum_name = nullptr;
  QRowSumFn rowsum = nullptr;
};

// The kernels for `isa` if this binary has them and the CPU supports the tier (NeonDot uses the NEON
// kernels), else the scalar ones. Filled once (std::call_once). Never aborts.
const QEltwiseKernels& q_eltwise_kernels(Isa isa);
// The scalar (specification) kernels, for the drivers' fallbacks.
const QEltwiseKernels& q_eltwise_scalar_kernels();

// --- the kernels themselves (native/kernels/{qeltwise,quantize,qpool}/<name>-<isa>.cc) ---
void qbinary__scalar(const QBinaryArgs&, size_t, const void*, size_t, const void*, size_t, void*);
void quantize_f32__scalar(size_t, const float*, float, int32_t, Round, QType, void*);
void dequantize_f32__scalar(size_t, const void*, QType, float, int32_t, float*);
void qmaxpool_i32plane__scalar(const QPoolWindow&, QType, void*);
void qavgpool_i32plane__scalar(const QPoolWindow&, const int32_t*, const int32_t*, const QAvgPoolArgs&, void*);
void qrowsum__scalar(size_t, size_t, QType, const void*, int64_t*);

#if defined(NPUQ_HAVE_AVX2)
void qbinary_8x__avx2(const QBinaryArgs&, size_t, const void*, size_t, const void*, size_t, void*);
void quantize_f32_8x__avx2(size_t, const float*, float, int32_t, Round, QType, void*);
void dequantize_f32_8x__avx2(size_t, const void*, QType, float, int32_t, float*);
void qmaxpool_i32plane_8x__avx2(const QPoolWindow&, QType, void*);
void qavgpool_i32plane_8x__avx2(const QPoolWindow&, const int32_t*, const int32_t*, const QAvgPoolArgs&, void*);
void qrowsum_16x__avx2(size_t, size_t, QType, const void*, int64_t*);
#endif

#if defined(NPUQ_HAVE_NEON)
void qbinary_8x__neon(const QBinaryArgs&, size_t, const void*, size_t, const void*, size_t, void*);
void quantize_f32_8x__neon(size_t, const float*, float, int32_t, Round, QType, void*);
void dequantize_f32_8x__neon(size_t, const void*, QType, float, int32_t, float*);
void qmaxpool_i32plane_8x__neon(const QPoolWindow&, QType, void*);
void qavgpool_i32plane_8x__neon(const QPoolWindow&, const int32_t*, const int32_t*, const QAvgPoolArgs&, void*);
void qrowsum_16x__neon(size_t, size_t, QType, const void*, int64_t*);
#endif

#if defined(NPUQ_HAVE_RVV)
void qbinary_e32m2__rvv(const QBinaryArgs&, size_t, const void*, size_t, const void*, size_t, void*);
void quantize_f32_e32m2__rvv(size_t, const float*, float, int32_t, Round, QType, void*);
void dequantize_f32_e32m2__rvv(size_t, const void*, QType, float, int32_t, float*);
void qmaxpool_i32plane_e32m2__rvv(const QPoolWindow&, QType, void*);
void qavgpool_i32plane_e32m2__rvv(const QPoolWindow&, const int32_t*, const int32_t*, const QAvgPoolArgs&, void*);
void qrowsum_e32m2__rvv(size_t, size_t, QType, const void*, int64_t*);
#endif

}  // namespace npuq
