// Conv2dF32: picks one algorithm per shape (and, for conv_direct, per tier: the sums are the same):
//  * depthwise with multiplier 1, at least 8 channels and planes up to about 56x56
//    (conv2d_depthwise_c8_fits): 8 channels at a time, one vector per output pixel (dwconv-c8.cc);
//  * other depthwise (G == C, any channel multiplier M/C): column stride 1 or 2 with a multiplier below
//    4 reads the input planes in place (the tier's dwconv_direct kernel), otherwise padded planes + the
//    tier's dwconv kernel;
//  * when the tier has a conv_rows kernel and try_make_conv2d_rows takes the shape (at most 27 taps per
//    output, column stride 1 or 2, rows of 8 or more): output pixels in lanes, one output row at a time
//    (conv2d-rows.cc), for one- to three-channel stems;
//  * when the tier has a conv_direct kernel and try_make_conv2d_direct takes the shape (depth per
//    group >= 32 or tiny maps, not plain 1x1 on large maps): output channels in lanes, taps broadcast
//    from the input in place (conv2d-direct.cc), no im2col;
//  * 1x1, stride 1, no padding: GEMM straight on the input (B = x[C/G, H*W]);
//  * otherwise: im2col packed block by block into the GEMM's B panels.
// All of these compute the same fma chains, so a shape's result does not depend on the path.
// GEMM paths use the weights as the A operand, prepacked per group at create().
#include <algorithm>
#include <vector>

#include "kernels/conv/conv-internal.h"
#include "kernels/conv/plane-window.h"

namespace npuq {

namespace {

class Conv2dGemm final : public Conv2dF32 {
 public:
  Conv2dGemm(Isa isa, const Conv2dShape& s, const float* weight, const float* bias, const Activation& act)
      : s_(s), k_(&f32_kernels(isa)), act_(act) {
    Cg_ = s.C / s.G;
    Mg_ = s.M / s.G;
    Kg_ = Cg_ * s.KH * s.KW;
    direct_ = s.KH == 1 && s.KW == 1 && s.SH == 1 && s.SW == 1 && s.PT == 0 && s.PL == 0 && s.OH == s.H &&
              s.OW == s.W;
    group_stride_ = sgemm_packed_a_size(Mg_, Kg_, k_->gemm_mr);
    w_ = AlignedFloats(group_stride_ * s.G);
    for (size_t g = 0; g < s.G; ++g)
      sgemm_pack_a_full(weight + g * Mg_ * Kg_, Kg_, false, Mg_, Kg_, k_->gemm_mr, w_.data() + g * group_stride_);
    if (bias) bias_.assign(bias, bias + s.M);
    const size_t OHW = s.OH * s.OW;
    // Small feature maps with a batch: one GEMM over several images (columns = image x position),
    // so the microkernel sees wide N instead of 25-100 columns per image. Same sums, same order.
    batched_ = s.G == 1 && s.N > 1 && OHW < 256;
    if (!direct_ || batched_) tables_ = Im2colTables::make(s);
    if (batched_) {
      images_per_chunk_ = std::min(s.N, std::max<size_t>(1, 1024 / OHW));
      const size_t img_stride = tables_.needs_padding ? Cg_ * tables_.Hp * tables_.Wp : s.C * s.H * s.W;
      chunk_tables_ = tables_;
      chunk_tables_.col_off.clear();
      for (size_t n = 0; n < images_per_chunk_; ++n)
        for (size_t j = 0; j < OHW; ++j) chunk_tables_.col_off.push_back(uint32_t(n * img_stride + tables_.col_off[j]));
    }
  }

  void run(const float* x, float* y, ThreadPool* pool) const override {
    if (batched_) return run_batched(x, y, pool);
    const size_t tasks = s_.N * s_.G, threads = pool ? pool->threads() : 1;
    const bool outer = threads > 1 && (tasks >= 2 * threads || (tasks >= threads && tasks % threads == 0));
    if (outer) {
      pool->parallel_for(tasks, [&](size_t t) { run_one(t, x, y, nullptr); });
    } else {
      for (size_t t = 0; t < tasks; ++t) run_one(t, x, y, pool);
    }
  }

 private:
  void run_batched(const float* x, float* y, ThreadPool* pool) const {
    const size_t threads = pool ? pool->threads() : 1;
    size_t chunks = (s_.N + images_per_chunk_ - 1) / images_per_chunk_;
    // As many chunks per thread as possible, so no thread waits on a last odd chunk (64 images of
    // 10x10: 8 chunks of 8 rather than 7 of 10). A chunk of fewer images uses a prefix of the tables.
    if (threads > 1 && chunks >= threads) chunks = (chunks + threads - 1) / threads * threads;
    const size_t per = (s_.N + chunks - 1) / chunks;
    chunks = (s_.N + per - 1) / per;
    if (threads > 1 && chunks >= threads) pool->parallel_for(chunks, [&](size_t c) { run_chunk(c, per, x, y, nullptr); });
    else for (size_t c = 0; c < chunks; ++c) run_chunk(c, per, x, y, pool);
  }

  void run_chunk(size_t chunk, size_t per, const float* x, float* y, ThreadPool* pool) const {
    const size_t n0 = chunk * per, count = std::min(per, s_.N - n0);
    const size_t OHW = s_.OH * s_.OW, cols = count * OHW, image = s_.C * s_.H * s_.W;
    static thread_local std::vector<float> padded, out;
    const float* xp = x + n0 * image;
    if (tables_.needs_padding) {
      const size_t plane_set = Cg_ * tables_.Hp * tables_.Wp;
      padded.resize(count * plane_set);
      for (size_t n = 0; n < count; ++n) tables_.pad(s_, x + (n0 + n) * image, Cg_, padded.data() + n * plane_set);
      xp = padded.data();
    }
    out.resize(s_.M * cols);
    const Im2colBPacker packer(xp, chunk_tables_);
    SgemmProblem p;
    p.M = Mg_;
    p.N = cols;
    p.K = Kg_;
    p.a_packed = w_.data();
    p.b_packer = &packer;
    p.C = out.data();
    p.ldc = cols;
    p.bias = bias_.empty() ? nullptr : bias_.data();
    p.bias_per_column = false;
    p.act = act_;
    sgemm_run(*k_, p, pool);
    for (size_t n = 0; n < count; ++n)
      for (size_t m = 0; m < s_.M; ++m)
        std::copy_n(out.data() + m * cols + n * OHW, OHW, y + ((n0 + n) * s_.M + m) * OHW);
  }

  void run_one(size_t task, const float* x, float* y, ThreadPool* pool) const {
    const size_t n = task / s_.G, g = task % s_.G, OHW = s_.OH * s_.OW;
    const float* xg = x + (n * s_.C + g * Cg_) * s_.H * s_.W;
    const RowMajorBPacker direct(xg, s_.H * s_.W, false);
    // A padded copy of this image's group (thread-local scratch, reused across runs).
    static thread_local std::vector<float> padded;
    const float* xp = xg;
    if (!direct_ && tables_.needs_padding) {
      padded.resize(Cg_ * tables_.Hp * tables_.Wp);
      tables_.pad(s_, xg, Cg_, padded.data());
      xp = padded.data();
    }
    const Im2colBPacker im2col(xp, tables_);
    SgemmProblem p;
    p.M = Mg_;
    p.N = OHW;
    p.K = Kg_;
    p.a_packed = w_.data() + g * group_stride_;
    p.b_packer = direct_ ? static_cast<const SgemmBPacker*>(&direct) : &im2col;
    p.C = y + (n * s_.M + g * Mg_) * OHW;
    p.ldc = OHW;
    p.bias = bias_.empty() ? nullptr : bias_.data() + g * Mg_;
    p.bias_per_column = false;
    p.act = act_;
    sgemm_run(*k_, p, pool);
  }

  Conv2dShape s_;
  const F32Kernels* k_;
  Activation act_;
  size_t Cg_ = 0, Mg_ = 0, Kg_ = 0, group_stride_ = 0;
  bool direct_ = false, batched_ = false;
  size_t images_per_chunk_ = 1;
  Im2colTables tables_, chunk_tables_;
  AlignedFloats w_;
  std::vector<float> bias_;
};

WindowGeometry window_geometry(const Conv2dShape& s) {
  WindowGeometry g;
  g.H = s.H; g.W = s.W; g.OH = s.OH; g.OW = s.OW; g.KH = s.KH; g.KW = s.KW;
  g.SH = s.SH; g.SW = s.SW; g.DH = s.DH; g.DW = s.DW; g.PT = s.PT; g.PL = s.PL;
  return g;
}

class Conv2dDepthwise final : public Conv2dF32 {
 public:
  Conv2dDepthwise(Isa isa, const Conv2dShape& s, const float* weight, const float* bias, const Activation& act)
      : s_(s), k_(&f32_kernels(isa)), act_(act), layout_(window_geometry(s)),
        w_(weight, weight + s.M * s.KH * s.KW) {
    if (bias) bias_.assign(bias, bias + s.M);
    // Reading the input in place (dwconv_direct) wins for column stride 2 (the phase-split copy costs
    // more than the sums) and for narrow planes at stride 1 (border tiles dominate either way, and the
    // copy is pure overhead); wide stride-1 planes, larger strides and channel multipliers of 4 or more
    // (a 1-channel stem: one padded copy serves many output planes) go through the padded copy, whose
    // tiles need no masks (bench/native/bench_dwconv.cc). The choice depends on the shape only, so every
    // tier computes the same sums.
    direct_ = s.M / s.C < 4 && (s.SW == 2 || (s.SW == 1 && s.W < 24));
    DwDirectPlane& d = direct_plane_;
    d.H = s.H; d.W = s.W; d.KH = s.KH; d.KW = s.KW; d.SH = s.SH; d.SW = s.SW; d.DH = s.DH; d.DW = s.DW;
    d.PT = s.PT; d.PL = s.PL; d.OH = s.OH; d.OW = s.OW;
    if (direct_) {
      zeros_.assign(s.W + 16, 0.0f);
      d.zeros = zeros_.data();
    }
  }

  void run(const float* x, float* y, ThreadPool* pool) const override {
    const size_t planes = s_.N * s_.C, mult = s_.M / s_.C, KK = s_.KH * s_.KW;
    const size_t threads = pool ? pool->threads() : 1;
    const double work = static_cast<double>(s_.N) * s_.M * s_.OH * s_.OW * KK;
    const size_t chunks = work < 32768.0 ? 1 : threads * 4;
    if (direct_) {
      const DwDirectFn fn = k_->dwconv_direct;
      parallel_ranges(threads > 1 ? pool : nullptr, planes, chunks, [&](size_t b, size_t e) {
        DwDirectPlane d = direct_plane_;
        for (size_t p = b; p < e; ++p) {
          const size_t n = p / s_.C, c = p % s_.C;
          d.x = x + p * s_.H * s_.W;
          for (size_t j = 0; j < mult; ++j) {
            const size_t m = c * mult + j;
            d.y = y + (n * s_.M + m) * s_.OH * s_.OW;
            fn(d, w_.data() + m * KK, bias_.empty() ? nullptr : &bias_[m], act_);
          }
        }
      });
      return;
    }
    const DwConvFn fn = k_->dwconv;
    parallel_ranges(threads > 1 ? pool : nullptr, planes, chunks, [&](size_t b, size_t e) {
      AlignedFloats buf(layout_.buffer_size());
      for (size_t p = b; p < e; ++p) {
        const size_t n = p / s_.C, c = p % s_.C;
        layout_.fill(x + p * s_.H * s_.W, 0.0f, buf.data());
        for (size_t j = 0; j < mult; ++j) {
          const size_t m = c * mult + j;
          fn(layout_.window(buf.data(), y + (n * s_.M + m) * s_.OH * s_.OW), w_.data() + m * KK,
             bias_.empty() ? nullptr : &bias_[m], act_);
        }
      }
    });
  }

 private:
  Conv2dShape s_;
  const F32Kernels* k_;
  Activation act_;
  PlaneWindowLayout layout_;
  std::vector<float> w_, bias_;
  bool direct_ = false;
  DwDirectPlane direct_plane_;
  std::vector<float> zeros_;
};

}  // namespace

std::unique_ptr<Conv2dF32> Conv2dF32::create(Isa isa, const Conv2dShape& s, const float* weight,
                                             const float* bias, const Activation& act) {
  validate_conv2d("Conv2dF32", s, weight, false);
  // A one-channel stem (C = G = 1) is an ordinary convolution with K = KH*KW: the GEMM reads each
  // input tap once for all M outputs, where the depthwise kernels would reread it per output plane.
  if (s.G == s.C && !(s.C == 1 && s.M >= 4)) {
    if (conv2d_depthwise_c8_fits(s)) return make_conv2d_depthwise_c8(isa, s, weight, bias, act);
    return std::make_unique<Conv2dDepthwise>(isa, s, weight, bias, act);
  }
  if (auto rows = try_make_conv2d_rows(isa, s, weight, bias, act)) return rows;
  if (auto direct = try_make_conv2d_direct(isa, s, weight, bias, act)) return direct;
  return std::make_unique<Conv2dGemm>(isa, s, weight, bias, act);
}

}  // namespace npuq
