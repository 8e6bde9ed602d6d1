// ConvTranspose2dF32: per image and group, col = W_g^T [Mg*KH*KW x Cg] . x_g [Cg x pixels] with the
// tier's SGEMM (W_g^T prepacked at create), then col2im scatter-adds col into y. The input pixels go in
// chunks whose size depends only on the shape, so the order of the additions into each output (chunk,
// then kh, kw, then pixel) is the same for every tier and thread count. Then + bias, then the clamp.
#include <algorithm>
#include <vector>

#include "kernels/conv/conv-internal.h"

namespace npuq {

namespace {

class ConvTranspose2dGemm final : public ConvTranspose2dF32 {
 public:
  ConvTranspose2dGemm(Isa isa, const Conv2dShape& s, const float* weight, const float* bias,
                      const Activation& act)
      : s_(s), k_(&f32_kernels(isa)), act_(act) {
    Cg_ = s.C / s.G;
    Mg_ = s.M / s.G;
    rows_ = Mg_ * s.KH * s.KW;
    const size_t HW = s.H * s.W;
    chunk_ = std::min(HW, std::max<size_t>(64, (size_t{1} << 17) / rows_));
    group_stride_ = sgemm_packed_a_size(rows_, Cg_, k_->gemm_mr);
    w_ = AlignedFloats(group_stride_ * s.G);
    for (size_t g = 0; g < s.G; ++g)
      sgemm_pack_a_full(weight + g * Cg_ * rows_, rows_, true, rows_, Cg_, k_->gemm_mr,
                        w_.data() + g * group_stride_);
    if (bias) bias_.assign(bias, bias + s.M);
  }

  void run(const float* x, float* y, ThreadPool* pool) const override {
    const size_t tasks = s_.N * s_.G, threads = pool ? pool->threads() : 1;
    const bool outer = threads > 1 && (tasks >= 2 * threads || (tasks >= threads && tasks % threads == 0));
    if (outer) {
      pool->parallel_for(tasks, [&](size_t t) { run_one(t, x, y, nullptr); });
    } else {
      for (size_t t = 0; t < tasks; ++t) run_one(t, x, y, threads > 1 ? pool : nullptr);
    }
  }

 private:
  void run_one(size_t task, const float* x, float* y, ThreadPool* pool) const {
    const size_t n = task / s_.G, g = task % s_.G, HW = s_.H * s_.W, OHW = s_.OH * s_.OW;
    const float* xg = x + (n * s_.C + g * Cg_) * HW;
    float* yg = y + (n * s_.M + g * Mg_) * OHW;
    std::fill(yg, yg + Mg_ * OHW, 0.0f);
    AlignedFloats col(rows_ * chunk_);
    const size_t chunks = pool ? pool->threads() : 1;
    for (size_t p0 = 0; p0 < HW; p0 += chunk_) {
      const size_t pn = std::min(chunk_, HW - p0);
      const RowMajorBPacker packer(xg + p0, HW, false);
      SgemmProblem p;
      p.M = rows_;
      p.N = pn;
      p.K = Cg_;
      p.a_packed = w_.data() + g * group_stride_;
      p.b_packer = &packer;
      p.C = col.data();
      p.ldc = pn;
      sgemm_run(*k_, p, pool);
      parallel_ranges(pool, Mg_, chunks, [&](size_t mb, size_t me) {
        for (size_t m = mb; m < me; ++m) col2im(col.data(), p0, pn, m, yg + m * OHW);
      });
    }
    parallel_ranges(pool, Mg_, chunks, [&](size_t mb, size_t me) {
      for (size_t m = mb; m < me; ++m) {
        float* ym = yg + m * OHW;
        if (!bias_.empty()) {
          const float b = bias_[g * Mg_ + m];
          for (size_t i = 0; i < OHW; ++i) ym[i] = ym[i] + b;
        }
        if (act_.enabled) {
          for (size_t i = 0; i < OHW; ++i) {
            float v = ym[i];
            v = v > act_.lo ? v : act_.lo;
            ym[i] = v < act_.hi ? v : act_.hi;
          }
        }
      }
    });
  }

  // Adds the rows of output channel m for input pixels [p0, p0+pn) into its output plane.
  void col2im(const float* col, size_t p0, size_t pn, size_t m, float* ym) const {
    const long long OH = static_cast<long long>(s_.OH), OW = static_cast<long long>(s_.OW);
    for (size_t kh = 0; kh < s_.KH; ++kh) {
      for (size_t kw = 0; kw < s_.KW; ++kw) {
        const float* crow = col + ((m * s_.KH + kh) * s_.KW + kw) * pn;
        size_t i = 0, ih = p0 / s_.W, iw = p0 % s_.W;
        while (i < pn) {
          const size_t run = std::min(s_.W - iw, pn - i);
          const long long oh = static_cast<long long>(ih * s_.SH + kh * s_.DH) - static_cast<long long>(s_.PT);
          if (oh >= 0 && oh < OH) {
            float* yrow = ym + oh * OW;
            const long long ow0 = static_cast<long long>(kw * s_.DW) - static_cast<long long>(s_.PL);
            for (size_t r = 0; r < run; ++r) {
              const long long ow = ow0 + static_cast<long long>((iw + r) * s_.SW);
              if (ow >= 0 && ow < OW) yrow[ow] = yrow[ow] + crow[i + r];
            }
          }
          i += run;
          ++ih;
          iw = 0;
        }
      }
    }
  }

  Conv2dShape s_;
  const F32Kernels* k_;
  Activation act_;
  size_t Cg_ = 0, Mg_ = 0, rows_ = 0, chunk_ = 0, group_stride_ = 0;
  AlignedFloats w_;
  std::vector<float> bias_;
};

}  // namespace

std::unique_ptr<ConvTranspose2dF32> ConvTranspose2dF32::create(Isa isa, const Conv2dShape& s,
                                                               const float* weight, const float* bias,
                                                               const Activation& act) {
  validate_conv2d("ConvTranspose2dF32", s, weight, true);
  return std::make_unique<ConvTranspose2dGemm>(isa, s, weight, bias, act);
}

}  // namespace npuq
