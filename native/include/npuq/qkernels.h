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

// The specification of requantization: one accumulator of output channel c.
inline int32_t requantize(int64_t acc, const Requant& r, size_t c) {
  const size_t i = r.per_channel ? c : 0;
  int64_t v = 0;
  switch (r.method) {
    case RequantMethod::FloatScale: {
      const float f = static_cast<float>(acc) * r.scale[i];
      v = static_cast<int64_t>(round_mode(double(f), r.round));
      break;
    }
    case RequantMethod::FixedPointDouble:
      v = mul_by_quantized_multiplier(saturate<int32_t>(acc), r.multiplier[i], r.shift[i]);
      break;
    case RequantMethod::FixedPointSingle:
      v = mul_by_quantized_multiplier_single(saturate<int32_t>(acc), r.multiplier[i], r.shift[i]);
      break;
    case RequantMethod::MultiplierShift: v = apply_multiplier_shift(acc, r.multiplier[i], r.shift[i], r.round); break;
    case RequantMethod::MultiplierShiftFloat: v = apply_multiplier_shift_float(acc, r.multiplier[i], r.shift[i], r.round); break;
    case RequantMethod::ShiftOnly: v = rshift_round(acc, r.shift[i], r.round); break;
  }
  return static_cast<int32_t>(clamp_i64(v + r.zero_point, r.qmin, r.qmax));
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

// Elementwise Add/Sub/Mul of two quantized tensors with rescaling, broadcast runs like binary_f32.
// Add/Sub: y = requant_out( ra(a - za) +/- rb(b - zb) ) evaluated as the profile says:
//   FloatScale: float real sum, rounded per `round`; fixed-point profiles: TFLite's left-shift +
//   per-input multipliers (see qeltwise-scalar.cc for the exact formula).
// Mul: acc = (a - za) * (b - zb), then requant with the combined multiplier.
enum class QBinaryOp : uint8_t { Add, Sub, Mul };
struct QBinaryParams {
  QBinaryOp op = QBinaryOp::Add;
  QType a_type = QType::U8, b_type = QType::U8, out_type = QType::U8;
  int32_t a_zp = 0, b_zp = 0;
  Requant a_requant, b_requant;  // Add/Sub: inputs to a common accumulator scale (fixed point) or real (float)
  Requant out_requant;           // accumulator to output
  int left_shift = 20;           // Add/Sub fixed point (TFLite uses 20 for 8-bit, 15 for 16-bit)
};
void qbinary_run(Isa isa, const QBinaryParams& p, size_t n, const void* a, size_t a_stride, const void* b, size_t b_stride, void* y);

// Quantized pooling, NCHW, same window conventions as the float Pool2dShape (kernels.h). Max pooling
// works on the integers directly (input and output share scale and zero point). Average pooling sums
// (q - zp) exactly and divides by the window count with `round` (then + zp, saturate); when the
// output scale differs, `requant` (FloatScale or fixed point) maps the window mean instead, with the
// divisor folded in by the caller: requant applies to the exact integer sum and count_div is 1.
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
// Global average pool: y[nc] = requant(sum_hw (x - in_zp)) with r folding 1/HW and the scale ratio.
void qglobal_avgpool(Isa isa, size_t NC, size_t HW, QType in_type, int32_t in_zp, const Requant& r, QType out_type,
                     const void* x, void* y, ThreadPool* pool);

// 256- or 65536-entry lookup table applied to quantized values (Sigmoid, Tanh, HardSwish, ... as NPUs do).
void lut_u8(size_t n, const uint8_t* x, const uint8_t* table, uint8_t* y);
void lut_s8(size_t n, const int8_t* x, const int8_t* table, int8_t* y);
void lut_16(size_t n, const uint16_t* x, const uint16_t* table, uint16_t* y);  // s16 reinterpreted as u16 index

// Quantize / dequantize runs (QuantizeLinear, DequantizeLinear, boundaries of mixed precision).
void quantize_f32(Isa isa, size_t n, const float* x, float scale, int32_t zp, Round round, QType t, void* y);
void dequantize_f32(Isa isa, size_t n, const void* q, QType t, float scale, int32_t zp, float* y);

}  // namespace npuq
