// The float32 kernel table: one entry per tier, each naming the microkernels the ISA-neutral drivers
// (native/kernels/*/ *-f32.cc) call. Kernels here take raw pointers and validated arguments only; all
// allocation, threading and shape logic lives in the drivers, so the ISA files stay small and free of
// std:: containers (an inline template instantiated in an -avx2.cc file must never be the copy the
// linker keeps for baseline code).
#pragma once
#include <cstddef>
#include <cstdint>

#include "npuq/kernels.h"

namespace npuq {

// One GEMM tile: C[mr x nr] = (first ? 0 : C) + sum_k A[k][r] * B[k][j] over one K block of kc, as an
// fma chain in k order; if last: += bias, then clamp. a: kc x MR packed, b: kc x NR packed (64-byte
// aligned, zero padded). Only the mr x nr valid part of C (and of bias) is read or written.
struct SgemmTile {
  bool first = true, last = true;
  // 0: a is a packed panel. Otherwise (tiers with gemm_raw_a only) a points at row 0 of op(A) itself,
  // row r at a + r * lda, k contiguous: no packing; only the mr valid rows are read.
  size_t lda = 0;
  const float* bias = nullptr;  // mr entries (per row) or nr entries (per column), or nullptr
  bool bias_per_column = true;
  bool act = false;
  float lo = 0, hi = 0;
};
using SgemmUkernelFn = void (*)(size_t mr, size_t nr, size_t kc, const float* a, const float* b,
                                float* c, size_t ldc, const SgemmTile& tile);

// Direct convolution through input offsets (no im2col): output channels [0, mr) of one weight panel of
// kConvDirectMr channels, for n output columns. Column j, tap k reads x[x_off[j] + row_off[k]]; channel
// i of column j goes to y[y_off[j] + i * ldy]. Each output is an fma chain over k = 0..K-1 from +0, then
// + bias[i], then the clamp: the sums of an SgemmTile over the im2col matrix, so the choice between
// this and the GEMM path changes no result.
constexpr size_t kConvDirectMr = 16;
struct ConvDirectBlock {
  size_t K = 0;
  const float* w = nullptr;           // K x 16, k-major (sgemm_pack_a_full, mr = 16), 32-byte aligned; 0 past mr
  const uint32_t* row_off = nullptr;  // K tap offsets
  const float* x = nullptr;
  const uint32_t* x_off = nullptr;    // n column origins in x
  float* y = nullptr;
  const uint32_t* y_off = nullptr;    // n column offsets in y
  size_t ldy = 0;                     // y distance between channels
  const float* bias = nullptr;        // 16 readable entries (0 past mr), or nullptr
};
using ConvDirectFn = void (*)(size_t mr, size_t n, const ConvDirectBlock& b, const Activation& act);

// Convolution rows at column stride 1 or 2 with output pixels in vector lanes (convolutions with few
// taps per output, such as one- to three-channel stems, where channels in lanes would spend more on the
// transposed store than on K = 9 or 27 taps). For output channels i < M and rows oy0 <= oy < oy1, every
// ox < OW: y[i * ldy + oy * OW + ox] = act(fma chain over k = 0..K-1 from +0 of w[(i / 4) * 4K + 4k + i % 4]
// * x[oy * ldx + ox * sx + row_off[k]], then + bias[i]): the sums of the GEMM path over the im2col matrix
// (column (oy, ox) starts at oy * SH * Wp + ox * SW of the padded planes). OW >= kConvRowsMinWidth: a
// row's last vector may overlap the one before it and store the same values again, so y must not
// overlap x. With sx = 2 a kernel may read up to 8 floats past the last tap of a row (kConvRowsSlack).
constexpr size_t kConvRowsMinWidth = 8;
constexpr size_t kConvRowsMr = 4;     // channels per weight panel
constexpr size_t kConvRowsSlack = 8;  // readable floats after x's last tap at sx = 2
struct ConvRowsBlock {
  size_t M = 0, K = 0;
  const float* w = nullptr;           // ceil(M/4) panels of K x 4, k-major; 0 past M
  const uint32_t* row_off = nullptr;  // K tap offsets
  const float* x = nullptr;
  size_t ldx = 0;                     // x distance between output rows (SH * the padded row width)
  size_t sx = 1;                      // x distance between output columns: 1 or 2
  float* y = nullptr;
  size_t OW = 0, ldy = 0;             // output row width; y distance between channels
  const float* bias = nullptr;        // M floats, or nullptr
};
using ConvRowsFn = void (*)(size_t oy0, size_t oy1, const ConvRowsBlock& b, const Activation& act);

// A sliding window over one pre-padded input plane, split into SW column phases so every tap reads
// contiguous memory: output (oh, ow), tap t reads base[tap_off[t] + ow] with base = xp + oh*SH*row_stride.
// Rows hold at least OW + max column offset floats; vector loads may read past a row's end (into the
// next row, or the 8 spare floats after the buffer's last row) in lanes that are never stored.
struct PlaneWindow {
  const float* xp = nullptr;
  size_t row_stride = 0;
  const size_t* tap_off = nullptr;  // KH*KW offsets, kh-major
  size_t taps = 0;                  // KH*KW
  size_t OH = 0, OW = 0, SH = 1;
  float* y = nullptr;               // OH x OW
};
// y = act(fma chain over taps in order of w[t] * x (+ *bias if bias)), x = 0 in the padding.
using DwConvFn = void (*)(const PlaneWindow& p, const float* w, const float* bias, const Activation& act);
// One depthwise output plane read straight from the unpadded input plane (no copy): output (oh, ow), tap
// (kh, kw) reads x[ih * W + iw] with ih = oh*SH + kh*DH - PT, iw = ow*SW + kw*DW - PL, and 0 when that
// falls outside [0, H) x [0, W). Same sums as DwConvFn over the padded plane: y = act(fma chain over the
// KH*KW taps in (kh, kw) order from +0, then + *bias). Kernels accept SW of 1 or 2 (the driver's choice).
struct DwDirectPlane {
  const float* x = nullptr;  // H x W
  size_t H = 0, W = 0, KH = 0, KW = 0, SH = 1, SW = 1, DH = 1, DW = 1, PT = 0, PL = 0;
  size_t OH = 0, OW = 0;
  float* y = nullptr;        // OH x OW
  const float* zeros = nullptr;  // W zeros: what SIMD kernels read for rows outside the plane
};
using DwDirectFn = void (*)(const DwDirectPlane& p, const float* w, const float* bias, const Activation& act);
// Depthwise convolution (channel multiplier 1) of `channels` (1..8) planes of one image at once, vectorised
// across channels (NCHW8c inside the kernel): the planes are copied into scratch as a zero-padded
// interleaved [Hp][Wp][8] image (Hp, Wp from dwconv_c8_padded), every output pixel is one 8-channel
// vector computed over [OH][OW][8] in scratch, then transposed back into the output planes. Per channel
// c, output (oh, ow): acc = +0; for (kh, kw) in order: acc = fma(w[(kh*KW + kw)*8 + c], v, acc) with v =
// x[c][ih*W + iw] (ih = oh*SH + kh*DH - PT, iw = ow*SW + kw*DW - PL) or +0 outside the plane; then
// acc + bias[c]; then the clamp. Exactly the sums of dwconv_direct_f32__scalar, any stride, dilation
// and padding. Reads only the `channels` input planes; writes only their output planes.
struct DwC8Block {
  const float* x = nullptr;  // plane c at x + c*H*W
  float* y = nullptr;        // plane c at y + c*OH*OW
  size_t channels = 8;
  size_t H = 0, W = 0, KH = 0, KW = 0, SH = 1, SW = 1, DH = 1, DW = 1, PT = 0, PL = 0;
  size_t OH = 0, OW = 0;
  const float* w = nullptr;     // KH*KW x 8, tap-major; lanes >= channels are ignored
  const float* bias = nullptr;  // 8 floats, or nullptr
  float* scratch = nullptr;     // dwconv_c8_scratch_size() floats
};
using DwC8Fn = void (*)(const DwC8Block& b, const Activation& act);
// Rows and columns of the padded copy: every input row/column some output reads, plus the padding.
inline size_t dwconv_c8_padded(size_t O, size_t K, size_t S, size_t D) { return (O - 1) * S + (K - 1) * D + 1; }
inline size_t dwconv_c8_scratch_size(const DwC8Block& b) {
  return 8 * (dwconv_c8_padded(b.OH, b.KH, b.SH, b.DH) * dwconv_c8_padded(b.OW, b.KW, b.SW, b.DW) + b.OH * b.OW);
}
// y = max over taps (acc = -inf; acc = x > acc ? x : acc), padding holds -inf.
using MaxPoolFn = void (*)(const PlaneWindow& p);
// MaxPool 2x2, stride 2, no padding, straight from the unpadded input (no copy). For r < rows and
// ow < OW: y[r*OW + ow] = max over the taps x[2r*W + 2ow], x[2r*W + 2ow+1], x[(2r+1)*W + 2ow],
// x[(2r+1)*W + 2ow+1], in that order, as acc = -inf; acc = v > acc ? v : acc (same as MaxPoolFn: a NaN
// tap never wins, ties keep the earlier tap, so -0/+0 come out as the first of them). Needs 2*OW <= W.
// Reads nothing outside the call's 2*rows input rows of W floats, writes nothing outside y[0, rows*OW)
// (a row tail may be stored as a whole vector over later rows' outputs, rewritten afterwards: y must not
// overlap x). Output row r of plane p of an H = 2*OH input is global row p*OH + r, so an even-H tensor
// is one call (or one per thread); with H = 2*OH + 1 one call per plane.
using MaxPool2x2Fn = void (*)(size_t rows, size_t W, size_t OW, const float* x, float* y);
// y = (sum over taps in order, from +0) / (hcount[oh] * wcount[ow]), padding holds 0.
using AvgPoolFn = void (*)(const PlaneWindow& p, const float* hcount, const float* wcount);
// y[i] = reduce(x[i*HW .. i*HW+HW)) in index order, for i < rows.
using GlobalPoolFn = void (*)(size_t rows, size_t HW, const float* x, float* y);
using BinaryFn = void (*)(BinaryOp op, size_t n, const float* a, size_t a_stride, const float* b,
                          size_t b_stride, float* y);
using UnaryFn = void (*)(UnaryOp op, float alpha, float beta, size_t n, const float* x, float* y);
// y[i] = fma(x[i], scale, shift)
using AffineFn = void (*)(size_t n, const float* x, float scale, float shift, float* y);

struct F32Kernels {
  Isa isa = Isa::Scalar;
  const char* gemm_name = nullptr;
  size_t gemm_mr = 0, gemm_nr = 0;
  SgemmUkernelFn gemm = nullptr;
  bool gemm_raw_a = false;  // the gemm kernel reads an unpacked row-major A (SgemmTile::lda)
  // Optional (nullptr: convolutions go through im2col + gemm, with the same sums).
  const char* conv_direct_name = nullptr;
  ConvDirectFn conv_direct = nullptr;
  const char* conv_rows_name = nullptr;
  ConvRowsFn conv_rows = nullptr;
  const char* dwconv_name = nullptr;
  DwConvFn dwconv = nullptr;
  const char* dwconv_direct_name = nullptr;
  DwDirectFn dwconv_direct = nullptr;
  const char* dwconv_c8_name = nullptr;
  DwC8Fn dwconv_c8 = nullptr;
  MaxPoolFn maxpool = nullptr;
  const char* maxpool2x2_name = nullptr;
  MaxPool2x2Fn maxpool2x2 = nullptr;
  AvgPoolFn avgpool = nullptr;
  GlobalPoolFn global_avg = nullptr, global_max = nullptr;
  BinaryFn binary = nullptr;
  UnaryFn unary = nullptr;
  AffineFn affine = nullptr;
};

// The tier that runs for a request: `isa` if this binary has kernels for it and the CPU supports it,
// else Scalar. Never aborts.
Isa resolve_isa(Isa isa);
// The kernels of resolve_isa(isa). The table is filled once (std::call_once).
const F32Kernels& f32_kernels(Isa isa);

// --- the kernels themselves (defined in native/kernels/<family>/<name>-<isa>.cc) ---
void sgemm_ukernel_4x8__scalar(size_t, size_t, size_t, const float*, const float*, float*, size_t,
                               const SgemmTile&);
void conv_direct_f32__scalar(size_t, size_t, const ConvDirectBlock&, const Activation&);
void conv_rows_f32__scalar(size_t, size_t, const ConvRowsBlock&, const Activation&);
void dwconv_f32__scalar(const PlaneWindow&, const float*, const float*, const Activation&);
void dwconv_direct_f32__scalar(const DwDirectPlane&, const float*, const float*, const Activation&);
void dwconv_c8_f32__scalar(const DwC8Block&, const Activation&);
void maxpool_f32__scalar(const PlaneWindow&);
void maxpool2x2_f32__scalar(size_t, size_t, size_t, const float*, float*);
void avgpool_f32__scalar(const PlaneWindow&, const float*, const float*);
void global_avgpool_f32__scalar(size_t, size_t, const float*, float*);
void global_maxpool_f32__scalar(size_t, size_t, const float*, float*);
void binary_f32__scalar(BinaryOp, size_t, const float*, size_t, const float*, size_t, float*);
void unary_f32__scalar(UnaryOp, float, float, size_t, const float*, float*);
void affine_f32__scalar(size_t, const float*, float, float, float*);

#if defined(NPUQ_HAVE_AVX2)
void sgemm_ukernel_6x16__avx2(size_t, size_t, size_t, const float*, const float*, float*, size_t,
                              const SgemmTile&);
void conv_direct_f32_16x6__avx2(size_t, size_t, const ConvDirectBlock&, const Activation&);
void conv_rows_f32_4x24__avx2(size_t, size_t, const ConvRowsBlock&, const Activation&);
void dwconv_f32_8x__avx2(const PlaneWindow&, const float*, const float*, const Activation&);
void dwconv_direct_f32_8x__avx2(const DwDirectPlane&, const float*, const float*, const Activation&);
void dwconv_c8_f32__avx2(const DwC8Block&, const Activation&);
void maxpool_f32_8x__avx2(const PlaneWindow&);
void maxpool2x2_f32_8x__avx2(size_t, size_t, size_t, const float*, float*);
void avgpool_f32_8x__avx2(const PlaneWindow&, const float*, const float*);
void global_avgpool_f32_8c__avx2(size_t, size_t, const float*, float*);
void global_maxpool_f32_8c__avx2(size_t, size_t, const float*, float*);
void binary_f32__avx2(BinaryOp, size_t, const float*, size_t, const float*, size_t, float*);
void unary_f32__avx2(UnaryOp, float, float, size_t, const float*, float*);
void affine_f32__avx2(size_t, const float*, float, float, float*);
#endif

#if defined(NPUQ_HAVE_NEON)
void sgemm_ukernel_8x8__neon(size_t, size_t, size_t, const float*, const float*, float*, size_t,
                             const SgemmTile&);
void conv_direct_f32_16x6__neon(size_t, size_t, const ConvDirectBlock&, const Activation&);
void conv_rows_f32_4x16__neon(size_t, size_t, const ConvRowsBlock&, const Activation&);
void maxpool2x2_f32_8x__neon(size_t, size_t, size_t, const float*, float*);
void dwconv_c8_f32__neon(const DwC8Block&, const Activation&);
#endif

#if defined(NPUQ_HAVE_RVV)
// _e32m4: any VLEN >= 128; _e32m2: VLEN >= 256 only (16 floats per m2 group), see rvv_kernels().
void sgemm_ukernel_6x16_e32m4__rvv(size_t, size_t, size_t, const float*, const float*, float*, size_t,
                                   const SgemmTile&);
void sgemm_ukernel_8x16_e32m2__rvv(size_t, size_t, size_t, const float*, const float*, float*, size_t,
                                   const SgemmTile&);
void conv_direct_f32_16x6_e32m4__rvv(size_t, size_t, const ConvDirectBlock&, const Activation&);
void conv_direct_f32_16x12_e32m2__rvv(size_t, size_t, const ConvDirectBlock&, const Activation&);
void maxpool2x2_f32_e32m2__rvv(size_t, size_t, size_t, const float*, float*);
void dwconv_c8_f32_e32m2__rvv(const DwC8Block&, const Activation&);
#endif

}  // namespace npuq
