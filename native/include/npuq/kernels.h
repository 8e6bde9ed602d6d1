// Float32 kernels of the engine. Each family has a scalar reference (the specification) and SIMD
// versions that must produce bit-identical results on the same inputs:
//   * every output of a dot-product kernel is acc = 0; for k in order: acc = fma(a_k, b_k, acc);
//     then acc += bias; then the activation clamp. SIMD kernels keep one accumulator lane per output
//     and the same k order, so results match exactly.
//   * the clamp is x = x > lo ? x : lo; x = x < hi ? x : hi (what _mm256_max_ps/_mm256_min_ps and
//     vmaxq/vminq do for non-NaN inputs).
// `Isa isa` selects the implementation explicitly (tests compare tiers); the engine passes active_isa().
// If the requested tier is not built for this architecture the scalar one runs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "npuq/isa.h"
#include "npuq/thread_pool.h"

namespace npuq {

// Output clamp fused into the producing kernel (Relu = [0, inf), Clip/Relu6 = [lo, hi]).
struct Activation {
  bool enabled = false;
  float lo = -std::numeric_limits<float>::infinity();
  float hi = std::numeric_limits<float>::infinity();
  static Activation none() { return {}; }
  static Activation clamp(float lo, float hi) { return {true, lo, hi}; }
};

// 64-byte aligned float buffer.
struct AlignedFloats {
  AlignedFloats() = default;
  explicit AlignedFloats(size_t n);
  float* data() { return ptr_.get(); }
  const float* data() const { return ptr_.get(); }
  size_t size() const { return n_; }
 private:
  struct Free { void operator()(float* p) const; };
  std::unique_ptr<float, Free> ptr_;
  size_t n_ = 0;
};

// ---------------------------------------------------------------------------------------------
// GEMM: C[M,N] = op(A)[M,K] * op(B)[K,N] (+ bias) then activation. Row-major, leading dimensions in
// elements. op(X) = X or X^T. bias: per column (length N) when bias_per_column, else per row (M).

// B packed once for repeated use (a constant weight): layout private to the isa's microkernel.
struct PackedB {
  Isa isa = Isa::Scalar;
  size_t K = 0, N = 0;
  AlignedFloats data;
};
PackedB sgemm_pack_b(Isa isa, const float* B, size_t ldb, bool transB, size_t K, size_t N);

struct SgemmArgs {
  size_t M = 0, N = 0, K = 0;
  const float* A = nullptr; size_t lda = 0; bool transA = false;
  const float* B = nullptr; size_t ldb = 0; bool transB = false;
  const PackedB* packedB = nullptr;  // if set, used instead of B/ldb/transB
  float* C = nullptr; size_t ldc = 0;
  const float* bias = nullptr; bool bias_per_column = true;
  Activation act;
};
void sgemm(Isa isa, const SgemmArgs& args, ThreadPool* pool);

// ---------------------------------------------------------------------------------------------
// 2-D convolution, NCHW, weights [M, C/G, KH, KW]. Pads: top, left (bottom/right are implied by OH/OW).
// Grouped, depthwise (G == C == M, or channel multiplier M/G > 1), dilations, strides.
struct Conv2dShape {
  size_t N = 1, C = 0, H = 0, W = 0;   // input
  size_t M = 0, OH = 0, OW = 0;        // output channels and spatial size
  size_t KH = 1, KW = 1, SH = 1, SW = 1, DH = 1, DW = 1, PT = 0, PL = 0;
  size_t G = 1;
};

// Weights prepacked at plan load; run() may be called concurrently from several runs.
class Conv2dF32 {
 public:
  virtual ~Conv2dF32() = default;
  // weight [M, C/G, KH, KW], bias [M] or nullptr. Throws std::invalid_argument on inconsistent shapes.
  static std::unique_ptr<Conv2dF32> create(Isa isa, const Conv2dShape& s, const float* weight,
                                           const float* bias, const Activation& act);
  // x [N, C, H, W] -> y [N, M, OH, OW]
  virtual void run(const float* x, float* y, ThreadPool* pool) const = 0;
};

// Transposed convolution, NCHW, weights [C, M/G, KH, KW] (ONNX layout). Output pads are folded into
// OH/OW by the caller; PT/PL are the pads removed from the top/left of the full output.
class ConvTranspose2dF32 {
 public:
  virtual ~ConvTranspose2dF32() = default;
  // Here C is the input channel count and M the output channel count.
  static std::unique_ptr<ConvTranspose2dF32> create(Isa isa, const Conv2dShape& s, const float* weight,
                                                    const float* bias, const Activation& act);
  virtual void run(const float* x, float* y, ThreadPool* pool) const = 0;
};

// ---------------------------------------------------------------------------------------------
// Pooling, NCHW. Pads top/left; OH/OW given (ceil_mode is the caller's business). Windows are
// clipped to the input; AveragePool divides by the window size clipped to the padded input when
// count_include_pad, else by the number of valid input elements.
struct Pool2dShape {
  size_t N = 1, C = 0, H = 0, W = 0, OH = 0, OW = 0;
  size_t KH = 1, KW = 1, SH = 1, SW = 1, DH = 1, DW = 1, PT = 0, PL = 0, PB = 0, PR = 0;
};
void maxpool2d_f32(Isa isa, const Pool2dShape& s, const float* x, float* y, ThreadPool* pool);
void avgpool2d_f32(Isa isa, const Pool2dShape& s, bool count_include_pad, const float* x, float* y,
                   ThreadPool* pool);
// x [N*C, HW] -> y [N*C]: mean (sum in index order, then divided by HW) or max.
void global_avgpool_f32(Isa isa, size_t NC, size_t HW, const float* x, float* y, ThreadPool* pool);
void global_maxpool_f32(Isa isa, size_t NC, size_t HW, const float* x, float* y, ThreadPool* pool);

// ---------------------------------------------------------------------------------------------
// Elementwise. Binary ops work on a contiguous run of n outputs where each input either advances
// (stride 1) or stays (stride 0, a broadcast scalar); the engine splits broadcasting into such runs.
enum class BinaryOp : uint8_t { Add, Sub, Mul, Div, Max, Min, Pow, PRelu /* a>0 ? a : a*b */ };
void binary_f32(Isa isa, BinaryOp op, size_t n, const float* a, size_t a_stride, const float* b,
                size_t b_stride, float* y);
// rows x n: y[r*n + i] = a[r*n + i] op b[r] (a per-channel scale or shift, as in squeeze-and-excitation
// blocks), split over the pool; the same outputs as one binary_f32 run per row.
void binary_rows_f32(Isa isa, BinaryOp op, size_t rows, size_t n, const float* a, const float* b, float* y,
                     ThreadPool* pool);

enum class UnaryOp : uint8_t {
  Relu, LeakyRelu /*alpha*/, Clip /*alpha=lo, beta=hi*/, Sigmoid, HardSigmoid /*alpha, beta*/,
  HardSwish, Tanh, Exp, Log, Sqrt, Neg, Abs, Erf, Reciprocal, Floor, Ceil, Round /*half to even*/,
  Elu /*alpha*/, Selu /*alpha, beta=gamma*/, Softplus, Gelu /*erf form*/, Identity
};
// Transcendentals (Sigmoid, Tanh, Exp, Log, Erf, ...) use one polynomial implementation shared by the
// scalar and SIMD versions, accurate to a few ulp, so tiers agree bit for bit.
void unary_f32(Isa isa, UnaryOp op, float alpha, float beta, size_t n, const float* x, float* y);

// y = x * scale[c] + shift[c] per channel over [N, C, inner]: BatchNormalization in inference form,
// after the caller folded mean/var/epsilon into scale and shift.
void channel_affine_f32(Isa isa, size_t N, size_t C, size_t inner, const float* x, const float* scale,
                        const float* shift, float* y, ThreadPool* pool);

}  // namespace npuq
