// Integer kernels: exact integer arithmetic, so every tier (scalar, AVX2, NEON, NEON dotprod, RVV)
// must produce the same integers bit for bit. The scalar kernels are the specification.
//
// Quantized values: real = (q - zero_point) * scale. Activations are u8/s8/u16/s16, weights s8/u8/
// s16. A dot product accumulates (a - za) * (w - zw) exactly in int32 (8-bit operands) or int64
// (16-bit operands: 32767 * 32767 * K overflows int32), adds an integer bias, then requantizes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "npuq/isa.h"
#include "npuq/rounding.h"
#include "npuq/thread_pool.h"

namespace npuq {

enum class QType : uint8_t { U8 = 0, S8 = 1, U16 = 2, S16 = 3, S32 = 4 };
inline size_t qtype_size(QType t) { return t == QType::U8 || t == QType::S8 ? 1 : t == QType::S32 ? 4 : 2; }
inline int32_t qtype_min(QType t) { return t == QType::U8 || t == QType::U16 ? 0 : t == QType::S8 ? -128 : t == QType::S16 ? -32768 : INT32_MIN; }
inline int32_t qtype_max(QType t) { return t == QType::U8 ? 255 : t == QType::S8 ? 127 : t == QType::U16 ? 65535 : t == QType::S16 ? 32767 : INT32_MAX; }

// How an accumulator becomes an output integer (quantization-facts.md section 1).
enum class RequantMethod : uint8_t {
  FloatScale = 0,        // v = float(acc) * scale (float32 multiply), round(v) per `round`, + zp   (onnxruntime MLAS, ncnn)
  FixedPointDouble,      // mul_by_quantized_multiplier(acc, M, shift) + zp                           (TFLite/gemmlowp)
  FixedPointSingle,      // mul_by_quantized_multiplier_single(acc, M, shift) + zp                    (ruy, TFLite single rounding)
  MultiplierShift,       // rshift_round(acc * M, shift, round) + zp                                  (TPU-MLIR BM1684X)
  MultiplierShiftFloat,  // round(double(acc) * M / 2^shift) + zp                                     (CV18xx)
  ShiftOnly,             // rshift_round(acc, shift, round) + zp (shift < 0 shifts left)              (BM1684, DFP)
};

// Per-output-channel (or per-tensor, when the arrays have one entry and per_channel is false)
// requantization. qmin/qmax are the output type's range narrowed by a fused Relu/Clip.
struct Requant {
  RequantMethod method = RequantMethod::FloatScale;
  Round round = Round::HalfToEven;
  bool per_channel = false;
  std::vector<float> scale;          // FloatScale
  std::vector<int32_t> multiplier;   // FixedPoint*, MultiplierShift*
  std::vector<int32_t> shift;        // FixedPoint*: gemmlowp convention (> 0 = left); others: right shift
  int32_t zero_point = 0;
  int32_t qmin = -128, qmax = 127;
};

// The specification of requantization for one accumulator, given the parameters of its channel (scale
// for FloatScale; multiplier and shift for the others, as the method needs them). Values that cannot
// be represented on the way (a float product beyond int64, a left shift or product past 2^62)
// saturate at +-2^62 before the zero point is added, so the final clamp decides, never an overflow.
inline int32_t requantize_one(int64_t acc, RequantMethod method, Round round, float scale, int32_t multiplier,
                              int32_t shift, int32_t zero_point, int32_t qmin, int32_t qmax) {
  int64_t v = 0;
  switch (method) {
    case RequantMethod::FloatScale: {
      const float f = static_cast<float>(acc) * scale;
      v = double_to_i64_sat(round_mode(double(f), round));
      break;
    }
    case RequantMethod::FixedPointDouble:
      v = mul_by_quantized_multiplier(saturate<int32_t>(acc), multiplier, shift);
      break;
    case RequantMethod::FixedPointSingle:
      v = mul_by_quantized_multiplier_single(saturate<int32_t>(acc), multiplier, shift);
      break;
    case RequantMethod::MultiplierShift: v = apply_multiplier_shift(acc, multiplier, shift, round); break;
    case RequantMethod::MultiplierShiftFloat: v = apply_multiplier_shift_float(acc, multiplier, shift, round); break;
    case RequantMethod::ShiftOnly: v = rshift_round(acc, shift, round); break;
  }
  v = clamp_i64(v, -kRoundSat, kRoundSat);
  return static_cast<int32_t>(clamp_i64(v + zero_point, qmin, qmax));
}

// The specification of requantization: one accumulator of output channel c.
inline int32_t requantize(int64_t acc, const Requant& r, size_t c) {
  const size_t i = r.per_channel ? c : 0;
  const bool fs = r.method == RequantMethod::FloatScale;
  const bool mul = !fs && r.method != RequantMethod::ShiftOnly;
  return requantize_one(acc, r.method, r.round, fs ? r.scale[i] : 0.0f, mul ? r.multiplier[i] : 0,
                        fs ? 0 : r.shift[i], r.zero_point, r.qmin, r.qmax);
}

// Requantizes a run of accumulators of one channel (the vectorizable loop).
void requantize_run(Isa isa, const int32_t* acc, size_t n, const Requant& r, size_t channel, QType out_type, void* out);

// ---------------------------------------------------------------------------------------------
// Quantized 2-D convolution, NCHW, weights [M, C/G, KH, KW], grouped and depthwise. Padding
// reads the input zero point (real 0). Weight zero points per output channel (symmetric: all 0).
struct QConv2dParams {
  size_t N = 1, C = 0, H = 0, W = 0, M = 0, OH = 0, OW = 0;
  size_t KH = 1, KW = 1, SH = 1, SW = 1, DH = 1, DW = 1, PT = 0, PL = 0, G = 1;
  QType in_type = QType::U8, w_type = QType::S8, out_type = QType::U8;
  int32_t in_zp = 0;
  std::vector<int32_t> w_zp;     // one per output channel, or one for all
  std::vector<int64_t> bias;     // one per output channel (already in accumulator units), or empty
  Requant requant;               // per output channel
};

class QConv2d {
 public:
  virtual ~QConv2d() = default;
  // weight: M * C/G * KH * KW values of w_type. Throws std::invalid_argument on bad parameters.
  static std::unique_ptr<QConv2d> create(Isa isa, const QConv2dParams& p, const void* weight);
  // x [N,C,H,W] of in_type -> y [N,M,OH,OW] of out_type.
  virtual void run(const void* x, void* y, ThreadPool* pool) const = 0;
  // Raw accumulators (bias included, before requantization): [N,M,OH,OW] int64. For tests and analysis.
  virtual void run_acc(const void* x, int64_t* acc, ThreadPool* pool) const = 0;
};

// Quantized matrix product: Y[M,N] = requant(sum_k (A[m,k] - za) * (B[k,n] - zb[n]) + bias[n]),
// per-column (output feature) requantization, B constant and prepacked. (Gemm, MatMul with constant B.)
struct QGemmParams {
  size_t M = 0, N = 0, K = 0;
  QType a_type = QType::U8, b_type = QType::S8, out_type = QType::U8;
  int32_t a_zp = 0;
  std::vector<int32_t> b_zp;     // per column or one
  std::vector<int64_t> bias;     // per column or empty
  Requant requant;               // per column
  bool transB = false;           // B given as [N,K]
};

class QGemm {
 public:
  virtual ~QGemm() = default;
  static std::unique_ptr<QGemm> create(Isa isa, const QGemmParams& p, const void* B);
  virtual void run(const void* A, void* Y, ThreadPool* pool) const = 0;
  virtual void run_acc(const void* A, int64_t* acc, ThreadPool* pool) const = 0;
};

// Elementwise Add/Sub/Mul of two quantized tensors with rescaling. qbinary_run computes a run of n
// outputs where each input advances by its stride in elements (1 = elementwise, 0 = a broadcast
// scalar; other strides are accepted and run on the scalar kernel), the way binary_f32 does.
// Types: a_type, b_type, out_type each U8/S8/U16/S16 (not S32); a_zp/b_zp within their type's range.
// The method is out_requant.method; out_requant.zero_point is the output zero point and the result
// is clamped to [out_requant.qmin, out_requant.qmax] (the output type's range, or narrower for a fused
// Relu/Clip; must lie within out_type). With xa = a - a_zp, xb = b - b_zp (exact int32):
//
// Add/Sub, FloatScale -- QDQ semantics, as onnxruntime executes DequantizeLinear -> Add -> QuantizeLinear
//   with graph optimizations disabled (every operation in float32, no fused multiply-add):
//     real = float(xa) * sa  +/-  float(xb) * sb,   sa = a_requant.scale[0], sb = b_requant.scale[0]
//     y    = quantize_value(real, so, zo, out_requant.round, qmin, qmax)        (rounding.h)
//          = clamp(round(real / so) + zo)  -- division by so = out_requant.scale[0], the output scale
//            itself (ONNX QuantizeLinear divides; NOT multiplied like requantize()); NaN -> zo.
// Add/Sub, FixedPointDouble -- TFLite's quantized ADD/SUB (tensorflow/lite/kernels/internal/
//   reference/add.h, sub.h; parameters as in kernels/add.cc, sub.cc Prepare):
//     sxa = mul_by_quantized_multiplier(xa * 2^left_shift, Ma, sha)   Ma, sha = a_requant.multiplier[0], shift[0]
//     sxb = mul_by_quantized_multiplier(xb * 2^left_shift, Mb, shb)
//     raw = saturate_int32(sxa +/- sxb)
//     y   = clamp(mul_by_quantized_multiplier(raw, Mo, sho) + zo)        Mo, sho = out_requant.multiplier[0], shift[0]
//   mul_by_quantized_multiplier with shift <= 0 is exactly TFLite's
//   MultiplyByQuantizedMultiplierSmallerThanOneExp (gemmlowp SaturatingRoundingDoublingHighMul, then
//   RoundingDivideByPOT); positive shifts are allowed and shift left first. left_shift: TFLite uses 20
//   for 8-bit and 15 for 16-bit outputs; it must keep max|xa|, max|xb| * 2^left_shift within int32.
//   TFLite adds in int32 without overflow for its own parameters; the saturation only defines what
//   other parameters give. Multipliers from qbinary_params_tflite() below.
// Add/Sub, FixedPointSingle -- the same with mul_by_quantized_multiplier_single everywhere (TFLite built
//   with TFLITE_SINGLE_ROUNDING). Scalar kernel on every tier.
// Mul, any RequantMethod -- acc = xa * xb exactly (int64; |acc| < 2^32), then
//     y = requantize(acc, out_requant, 0)     (the inline specification above; fixed-point methods
//                                              saturate acc to int32 first, as requantize() does)
//   FloatScale: float(acc) * scale in float32, round, + zo. out_requant.scale[0] = float32(sa * sb) / so
//   evaluated in float32, as onnxruntime's QLinearMul computes its ratio (mlas/lib/qlmul.cpp,
//   `ScaleA * ScaleB / ScaleC`). Differences from that kernel: it adds float(zo) *before* rounding
//   (vcvtnq/cvtps of float(acc) * ratio + zo) and saturates through packs, so the two can differ by one
//   where adding zo to the float product loses fraction bits (|product| >= 2^22 or a fraction within
//   float epsilon of .5); its pure C++ fallback computes (float(xa)*sa * float(xb)*sb) / so, QDQ-style.
//   FixedPointDouble: TFLite MUL (reference/mul.h): MultiplyByQuantizedMultiplier(acc, M, shift) + zo,
//   M, shift = QuantizeMultiplier(double(sa) * double(sb) / double(so)) (kernels/mul.cc).
// Add/Sub, MultiplierShift -- TPU-MLIR BM1684/BM1684X symmetric int8 Add/Sub (tpu::AddOp::inference,
//   lib/Dialect/Tpu/Interfaces/Common/Add.cpp, non-CV18xx branch): each input rescaled on its own,
//     ya  = rshift_round(xa * Ma, sha, round)      Ma, sha = a_requant.multiplier[0], shift[0] (right shift)
//     yb  = rshift_round(xb * Mb, shb, round)
//     y   = clamp(rshift_round((ya +/- yb) * Mo, sho, round) + zo)   Mo, sho = out_requant (TPU-MLIR: 1, 0)
//   round = out_requant.round (TPU-MLIR applyMultiplierAndRShift default: HalfUp).
// Add/Sub, MultiplierShiftFloat -- the CV18xx variant (same file, CV18xx branch): the same steps with
//   apply_multiplier_shift_float (round(double(v) * M / 2^shift), exact for these magnitudes, as
//   CV18xx's float to_int(v * m / 2^rshift)); TPU-MLIR: Ma, Mb with shift 0, Mo = 1 and sho = its rshift.
//   Shifts of both methods in [0, 62].
// Add, FloatScale with mlas -- onnxruntime MLAS QLinearAdd on x64 AVX2 (mlas/lib/intrinsics/avx2/
//   qladd_avx2.cpp, 8-bit types only), with raw (not zero-point-shifted) inputs a, b and float32 maths:
//     ra = sa / so, rb = sb / so,  fixed = float(zo) - fma(ra, float(za), rb * float(zb))
//     v  = fma(float(a), ra, fma(float(b), rb, fixed))   (a broadcast, a_stride 0: b and a swap roles,
//          v = fma(float(b), rb, fma(float(a), ra, fixed)), as MLAS's IsScalarA kernel)
//     y  = clamp(cvt(v)), cvt = round half to even, INT32_MIN when |v| >= 2^31 (cvtps_epi32), the clamp
//          to [qmin, qmax] standing for packs_epi32 + packus/packs.
// Mul, FloatScale with mlas -- MLAS QLinearMul on x64 (mlas/lib/qlmul.cpp, SSE2): with
//   r = out_requant.scale[0], v = (float(xa * xb) * r) + float(zo) (two float32 roundings), y = clamp(cvt(v)).
// SIMD tiers vectorize FloatScale (MLAS included; Mul products beyond int32 exactly in double) and
// FixedPointDouble (Mul on 16-bit inputs only when |xa*xb| fits int32 for the given zero points), and Add/Sub/Mul with MultiplierShift or
// MultiplierShiftFloat (Mul also ShiftOnly) when every step provably fits int32 (bounds in
// dispatch/q-eltwise.h);
// everything else runs the scalar kernel, so every tier agrees.
// Throws std::invalid_argument on inconsistent parameters (missing scale/multiplier entries, a type,
// zero point, shift (fixed point: [-31, 30]) or clamp range out of range, an unsupported Add/Sub method).
enum class QBinaryOp : uint8_t { Add, Sub, Mul };
struct QBinaryParams {
  QBinaryOp op = QBinaryOp::Add;
  QType a_type = QType::U8, b_type = QType::U8, out_type = QType::U8;
  int32_t a_zp = 0, b_zp = 0;
  Requant a_requant, b_requant;  // Add/Sub: scale[0] (FloatScale) or multiplier[0]/shift[0] (fixed point); Mul: unused
  Requant out_requant;           // method, round (FloatScale), scale[0] or multiplier[0]/shift[0],
                                 // zero_point, qmin/qmax
  int left_shift = 20;           // Add/Sub fixed point (TFLite uses 20 for 8-bit, 15 for 16-bit), in [0, 30]
  bool mlas = false;             // Add/Mul FloatScale, 8-bit types: onnxruntime MLAS x64 arithmetic (above)
};
void qbinary_run(Isa isa, const QBinaryParams& p, size_t n, const void* a, size_t a_stride, const void* b, size_t b_stride, void* y);
// qbinary_run with the parameters validated, decoded and the kernel chosen once, for runs whose strides
// are known in advance (an operator's broadcast runs: a squeeze-excitation scale is one short run per
// channel, where decoding per run cost more than the arithmetic). The same results. The constructor
// throws std::invalid_argument as qbinary_run does.
class QBinaryKernel {
 public:
  QBinaryKernel(Isa isa, const QBinaryParams& p, size_t a_stride, size_t b_stride);
  ~QBinaryKernel();
  QBinaryKernel(const QBinaryKernel&) = delete;
  QBinaryKernel& operator=(const QBinaryKernel&) = delete;
  void run(size_t n, const void* a, const void* b, void* y) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parameters as TFLite derives them from float scales (kernels/add.cc, sub.cc, mul.cc Prepare):
// Add: twice_max = 2 * max(sa, sb) (double), Ma = QuantizeMultiplier(sa / twice_max),
// Mb = QuantizeMultiplier(sb / twice_max), Mo = QuantizeMultiplier(twice_max / (float(2^left_shift) * so));
// left_shift = 15 when any of the three types is 16-bit (TFLite: a 16-bit output), else 20. Sub: the
// same with twice_max and the three ratios in float32 (sub.cc). Mul: M = QuantizeMultiplier(double(sa) *
// double(sb) / double(so)). Method FixedPointDouble, clamp = out_type's range. Throws
// std::invalid_argument on non-positive or non-finite scales and zero points outside their types.
QBinaryParams qbinary_params_tflite(QBinaryOp op, QType a_type, float sa, int32_t za, QType b_type, float sb,
                                    int32_t zb, QType out_type, float so, int32_t zo);
// QDQ / onnxruntime parameters: Add/Sub FloatScale with scales sa, sb, so as above; Mul FloatScale with
// out_requant.scale[0] = float32(sa * sb) / so. Rounding `round` (HalfToEven = ONNX).
QBinaryParams qbinary_params_qdq(QBinaryOp op, QType a_type, float sa, int32_t za, QType b_type, float sb,
                                 int32_t zb, QType out_type, float so, int32_t zo, Round round = Round::HalfToEven);

// Quantized pooling, NCHW, same window conventions as the float Pool2dShape (kernels.h): output (oh, ow)
// reads input (oh*SH + kh*DH - PT, ow*SW + kw*DW - PL); PB/PR only matter for count_include_pad.
// type is U8/S8/U16/S16; input and output share type, scale and zero point.
// Max pooling works on the integers directly: y = max over the taps inside the input; a window with no
// tap inside the input gives the type's minimum.
// Average pooling: sum = sum over the taps inside the input of (q - zp), exactly (int64), count = the
// number of taps inside the input (count_include_pad=false) or inside the padded extent
// [-PT, H+PB) x [-PL, W+PR) (true; taps beyond it, as ceil_mode may produce, are never counted), then
//   y = clamp(div_round(sum, count, round) + zp, type range)     (div_round: rounding.h, exact)
// and a window with count 0 gives zp. (Rescaling to another output scale is not part of this op: run
// qglobal_avgpool's Requant form or a requantize step.) Planes (N*C) split over `pool`; results are
// identical with and without it. Throws std::invalid_argument on zero kernel/stride/dilation sizes,
// an S32 type or a zero point outside the type.
struct QPool2dParams {
  size_t N = 1, C = 0, H = 0, W = 0, OH = 0, OW = 0;
  size_t KH = 1, KW = 1, SH = 1, SW = 1, DH = 1, DW = 1, PT = 0, PL = 0, PB = 0, PR = 0;
  QType type = QType::U8;
  int32_t zp = 0;
  bool count_include_pad = false;
  Round round = Round::HalfToEven;
};
void qmaxpool2d(Isa isa, const QPool2dParams& p, const void* x, void* y, ThreadPool* pool);
void qavgpool2d(Isa isa, const QPool2dParams& p, const void* x, void* y, ThreadPool* pool);
// Global average pool over x [NC, HW] of in_type: y[i] = requantize(sum_hw (x - in_zp), r, 0) stored as
// out_type, the sum exact in int64; r folds 1/HW and the scale ratio (e.g. FloatScale with
// scale = s_in / (HW * s_out), or a fixed-point multiplier), r.zero_point is the output zero point and
// [r.qmin, r.qmax] must lie within out_type. r is per-tensor (per_channel is rejected). Throws
// std::invalid_argument on bad arguments.
void qglobal_avgpool(Isa isa, size_t NC, size_t HW, QType in_type, int32_t in_zp, const Requant& r, QType out_type,
                     const void* x, void* y, ThreadPool* pool);

// 256- or 65536-entry lookup table applied to quantized values (Sigmoid, Tanh, HardSwish, ... as NPUs do):
// y[i] = table[index(x[i])] with the index the value's bit pattern read as unsigned: lut_u8 table[x],
// lut_s8 table[(uint8_t)x] (x = 0..127 -> entries 0..127, x = -128..-1 -> entries 128..255; note that
// TFLite's int8 LUT uses table[x + 128] instead), lut_16 table[(uint16_t)x] for u16 and s16 alike
// (65536 entries). In-place (y == x) is allowed.
void lut_u8(size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y);
void lut_s8(size_t n, const int8_t* x, const int8_t* table, int8_t* y);
void lut_16(size_t n, const uint16_t* x, const uint16_t* table, uint16_t* y);

// Quantize / dequantize runs (QuantizeLinear, DequantizeLinear, boundaries of mixed precision).
// quantize_f32: y[i] = quantize_value(x[i], scale, zp, round, qtype_min(t), qtype_max(t)) (rounding.h):
//   x / scale in float32 (a true division, as ONNX specifies), rounded per `round`, + zp, saturated;
//   NaN -> clamp(zp); +-inf and any overflow saturate; a NaN quotient of a non-NaN x (0/0, inf/inf)
//   gives qtype_min. Any QType including S32.
// dequantize_f32: y[i] = float(q - zp) * scale in float32 (q - zp exact in int64, then rounded to float
//   once: exact for 8/16-bit types). Any QType.
// Both assume the default floating-point environment (round to nearest), like all float code here.
// Throws std::invalid_argument on an unknown QType value.
void quantize_f32(Isa isa, size_t n, const float* x, float scale, int32_t zp, Round round, QType t, void* y);
void dequantize_f32(Isa isa, size_t n, const void* q, QType t, float scale, int32_t zp, float* y);

}  // namespace npuq
