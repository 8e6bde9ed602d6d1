// QConv2d: validation and the choice of algorithm, per shape and, for the direct path, per tier: integer
// sums are exact, so every algorithm and every tier computes the same results:
//  * depthwise (G == C, any channel multiplier M/C): padded integer planes + the tier's depthwise kernel
//    (qconv-dw.cc);
//  * small maps, on tiers with a conv_direct kernel (qconv-direct.cc): output channels in lanes, all
//    images one range of columns, read straight from the padded input (the exact sums of the GEMM);
//  * 1x1, stride 1, no padding: integer GEMM straight on the input (right operand x[C/G, H*W]);
//  * otherwise: the input padded and phase-split once per image and group (qconv-shift.cc), copied block
//    by block into the GEMM's right operand panels.
// GEMM paths use the weights as the left operand (rows = output channels), prepacked per group.
#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/conv/conv-internal.h"
#include "kernels/qconv/qconv-internal.h"

namespace npuq {

namespace {

class QConvGemm final : public QConv2d {
 public:
  QConvGemm(QConvSetup s, const void* weight) : s_(std::move(s)) {
    const QConv2dParams& p = s_.p;
    Cg_ = p.C / p.G;
    Mg_ = p.M / p.G;
    direct_ = p.KH == 1 && p.KW == 1 && p.SH == 1 && p.SW == 1 && p.PT == 0 && p.PL == 0 && p.OH == p.H && p.OW == p.W;
    kern_ = choose_qgemm_kernel(*s_.kernels, s_.mode32);
    if (!direct_) layout_ = std::make_unique<QShiftLayout>(s_.p, kern_.kind, kern_.kp);
    K_ = direct_ ? Cg_ : layout_->depth();
    N_ = direct_ ? p.OH * p.OW : layout_->columns();
    row_width_ = direct_ ? p.OW : layout_->row_width();
    const size_t wsize = qtype_size(p.w_type);
    for (size_t g = 0; g < p.G; ++g) {
      const void* wg = static_cast<const char*>(weight) + g * Mg_ * Cg_ * p.KH * p.KW * wsize;
      std::vector<uint8_t> reordered;
      if (!direct_) reordered = layout_->reorder_weights(wg, s_.wzp.data() + g * Mg_, Mg_);
      QMatrixSource w;
      w.data = direct_ ? wg : reordered.data();
      w.type = p.w_type;
      w.ld = K_;
      w.lane_major = true;
      w.zp = s_.wzp.data() + g * Mg_;
      w.zp_stride = 1;
      packed_.push_back(qprepack(kern_, kern_.mr, w, K_, Mg_));
    }
    in_off_ = qs8_offset(p.in_type, p.in_zp);
  }

  void run(const void* x, void* y, ThreadPool* pool) const override { compute(x, y, nullptr, pool); }
  void run_acc(const void* x, int64_t* acc, ThreadPool* pool) const override { compute(x, nullptr, acc, pool); }

 private:
  // Rows = output channels g*Mg + m; columns = virtual pixels q = oh * row_width + ow of image n, of
  // which ow < OW are outputs.
  class Output final : public QGemmOutput {
   public:
    Output(const QConvGemm& c, size_t n, size_t g, void* y, int64_t* acc)
        : c_(c), base_((n * c.s_.p.M + g * c.Mg_) * c.s_.p.OH * c.s_.p.OW), ch0_(g * c.Mg_),
          y_(static_cast<char*>(y)), acc_(acc) {}
    void store32(const int32_t* c, size_t ldc, size_t m0, size_t m1, size_t n0, size_t n1) const override {
      store(c, ldc, m0, m1, n0, n1);
    }
    void store64(const int64_t* c, size_t ldc, size_t m0, size_t m1, size_t n0, size_t n1) const override {
      store(c, ldc, m0, m1, n0, n1);
    }

   private:
    void run(const int32_t* c, size_t n, size_t ch, size_t o) const {
      if (acc_) {
        for (size_t j = 0; j < n; ++j) acc_[o + j] = int64_t(c[j]) + c_.s_.bias[ch];
      } else {
        c_.s_.kernels->requant(c_.s_.rq.args(ch, 0, c_.s_.bias32.data()), c, n,
                               y_ + o * qtype_size(c_.s_.p.out_type));
      }
    }
    void run(const int64_t* c, size_t n, size_t ch, size_t o) const {
      if (acc_) {
        for (size_t j = 0; j < n; ++j) acc_[o + j] = c[j] + c_.s_.bias[ch];
      } else {
        requant_s64_run(*c_.s_.kernels, c_.s_.rq.args(ch, 0, nullptr), c, &c_.s_.bias[ch], n,
                        y_ + o * qtype_size(c_.s_.p.out_type));
      }
    }
    template <class T>
    void store(const T* c, size_t ldc, size_t m0, size_t m1, size_t n0, size_t n1) const {
      const size_t OW = c_.s_.p.OW, OHW = c_.s_.p.OH * OW, vw = c_.row_width_;
      const size_t osize = acc_ ? sizeof(int64_t) : qtype_size(c_.s_.p.out_type);
      std::vector<char> row(vw == OW ? 0 : (n1 - n0) * osize);
      for (size_t m = m0; m < m1; ++m, c += ldc) {
        const size_t o = base_ + m * OHW;
        if (vw == OW) {  // no discarded columns: one run
          run(c, n1 - n0, ch0_ + m, o + n0);
          continue;
        }
        // The whole row of virtual pixels at once into scratch, then the output segments.
        run_into(c, n1 - n0, ch0_ + m, row.data());
        char* y = acc_ ? reinterpret_cast<char*>(acc_) : y_;
        for (size_t q = n0; q < n1;) {
          const size_t oh = q / vw, ow = q % vw, row_end = std::min(n1, (oh + 1) * vw);
          if (ow < OW)
            std::memcpy(y + (o + oh * OW + ow) * osize, row.data() + (q - n0) * osize,
                        (std::min(row_end, oh * vw + OW) - q) * osize);
          q = row_end;
        }
      }
    }
    // run() into a buffer of n results (int64 accumulators or out_type values).
    void run_into(const int32_t* c, size_t n, size_t ch, char* dst) const {
      if (acc_) {
        int64_t* a = reinterpret_cast<int64_t*>(dst);
        for (size_t j = 0; j < n; ++j) a[j] = int64_t(c[j]) + c_.s_.bias[ch];
      } else {
        c_.s_.kernels->requant(c_.s_.rq.args(ch, 0, c_.s_.bias32.data()), c, n, dst);
      }
    }
    void run_into(const int64_t* c, size_t n, size_t ch, char* dst) const {
      if (acc_) {
        int64_t* a = reinterpret_cast<int64_t*>(dst);
        for (size_t j = 0; j < n; ++j) a[j] = c[j] + c_.s_.bias[ch];
      } else {
        requant_s64_run(*c_.s_.kernels, c_.s_.rq.args(ch, 0, nullptr), c, &c_.s_.bias[ch], n, dst);
      }
    }
    const QConvGemm& c_;
    size_t base_, ch0_;
    char* y_;
    int64_t* acc_;
  };

  void compute(const void* x, void* y, int64_t* acc, ThreadPool* pool) const {
    const QConv2dParams& p = s_.p;
    const size_t tasks = p.N * p.G, threads = pool ? pool->threads() : 1;
    const bool outer = threads > 1 && (tasks >= 2 * threads || (tasks >= threads && tasks % threads == 0));
    if (outer) {
      pool->parallel_for(tasks, [&](size_t t) { run_one(t, x, y, acc, nullptr); });
    } else {
      for (size_t t = 0; t < tasks; ++t) run_one(t, x, y, acc, pool);
    }
  }

  void run_one(size_t task, const void* x, void* y, int64_t* acc, ThreadPool* pool) const {
    const QConv2dParams& p = s_.p;
    const size_t n = task / p.G, g = task % p.G;
    const void* xg = static_cast<const char*>(x) + (n * p.C + g * Cg_) * p.H * p.W * qtype_size(p.in_type);
    QMatrixSource xs;  // 1x1 direct: the input as [Cg, H*W]
    xs.data = xg;
    xs.type = p.in_type;
    xs.ld = p.H * p.W;
    xs.lane_major = false;
    xs.zp = &p.in_zp;
    xs.zp_stride = 0;
    const QMatrixPacker direct(xs);
    AlignedBytes buf;
    std::vector<int32_t> pos_sums;
    std::unique_ptr<QShiftPacker> shifted;
    if (!direct_) {
      buf = AlignedBytes(layout_->buffer_elems() * qoperand_size(kern_.kind));
      if (kern_.kind == QOperand::S8) pos_sums.resize(layout_->positions());
      layout_->fill(xg, buf.data(), pos_sums.empty() ? nullptr : pos_sums.data());
      shifted = std::make_unique<QShiftPacker>(*layout_, buf.data(), pos_sums.data());
    }
    const Output out(*this, n, g, y, acc);
    QGemmProblem q;
    q.M = Mg_;
    q.N = N_;
    q.K = K_;
    q.kern = &kern_;
    q.lhs = &packed_[g];
    q.lhs_off = packed_[g].offsets.data();
    q.lhs_off_stride = 1;
    q.rhs_packer = direct_ ? static_cast<const QRhsPacker*>(&direct) : shifted.get();
    q.rhs_off = &in_off_;
    q.rhs_off_stride = 0;
    q.out = &out;
    qgemm_run(q, pool, 0, Mg_, 0, N_);
  }

  QConvSetup s_;
  size_t Cg_ = 0, Mg_ = 0, K_ = 0, N_ = 0, row_width_ = 0;
  bool direct_ = false;
  std::unique_ptr<QShiftLayout> layout_;
  QGemmKernel kern_;
  std::vector<QPackedOperand> packed_;
  int32_t in_off_ = 0;
};

Conv2dShape shape_of(const QConv2dParams& p) {
  Conv2dShape s;
  s.N = p.N; s.C = p.C; s.H = p.H; s.W = p.W; s.M = p.M; s.OH = p.OH; s.OW = p.OW;
  s.KH = p.KH; s.KW = p.KW; s.SH = p.SH; s.SW = p.SW; s.DH = p.DH; s.DW = p.DW; s.PT = p.PT; s.PL = p.PL; s.G = p.G;
  return s;
}

// Sum over a channel's weights of |w - zw| (for the int32 bound).
template <class T>
std::vector<int64_t> abs_weight_sums(const T* w, size_t M, size_t K, const std::vector<int32_t>& zp) {
  std::vector<int64_t> out(M, 0);
  for (size_t m = 0; m < M; ++m)
    for (size_t k = 0; k < K; ++k) {
      const int64_t v = int64_t(w[m * K + k]) - zp[m];
      out[m] += v < 0 ? -v : v;
    }
  return out;
}

}  // namespace

std::unique_ptr<QConv2d> QConv2d::create(Isa isa, const QConv2dParams& p, const void* weight) {
  const char* what = "QConv2d";
  validate_conv2d(what, shape_of(p), static_cast<const float*>(weight), false);
  qcheck_operand_type(what, "in_type", p.in_type);
  qcheck_operand_type(what, "w_type", p.w_type);
  qcheck_zero_point(what, "in_zp", p.in_zp, p.in_type);
  QConvSetup s;
  s.p = p;
  s.kernels = &q_kernels(isa);
  s.wzp = qexpand_zero_points(what, "w_zp", p.w_zp, p.M, p.w_type);
  s.bias = qexpand_bias(what, p.bias, p.M);
  s.rq = make_requant_table(what, p.requant, p.M, p.out_type);
  const size_t K = p.C / p.G * p.KH * p.KW;
  if (K > (size_t{1} << 30)) throw std::invalid_argument("QConv2d: C/G*KH*KW=" + std::to_string(K) + " is larger than 2^30");
  if (qis_8bit(p.in_type) && qis_8bit(p.w_type)) {
    const auto absw = p.w_type == QType::U8 ? abs_weight_sums(static_cast<const uint8_t*>(weight), p.M, K, s.wzp)
                                            : abs_weight_sums(static_cast<const int8_t*>(weight), p.M, K, s.wzp);
    s.mode32 = qfits_int32(qmax_centered(p.in_type, p.in_zp), absw, s.bias);
  }
  if (s.mode32) s.bias32 = qbias32(s.bias);
  if (p.G == p.C) return make_qconv_depthwise(std::move(s), weight);
  if (qconv_direct_applies(s)) return make_qconv_direct(std::move(s), weight);
  return std::make_unique<QConvGemm>(std::move(s), weight);
}

}  // namespace npuq
