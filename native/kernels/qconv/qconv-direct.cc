// QConv2d through the tier's conv_direct kernel (QConvDirectBlock): output channels in vector lanes,
// every output column's depth pairs broadcast straight from the convolution's int16 buffer (the shift
// layout of the GEMM path, kp = 2). All images of a batch form one range of columns, and only real
// output pixels are columns, so small maps (10x10, 5x5, the 1x1 maps of squeeze-excitation convs) run
// in full tiles; the GEMM path computes one image at a time over "virtual pixels" with Wph - OW
// discarded columns per row. Integer sums are exact: the results are those of the GEMM path.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/gemm/sgemm-internal.h"
#include "kernels/qconv/qconv-internal.h"

namespace npuq {

namespace {

constexpr size_t kMr = kQConvDirectMr;
// Columns per kernel call (their input windows stay in L1 across panels): about 96, or whole images of
// maps up to 192 pixels, so the sums of a channel are requantized in one run per image.
constexpr size_t kCols = 96, kMaxColsPerBlock = 192;
size_t cols_per_block(size_t OHW) {
  if (OHW > kMaxColsPerBlock) return kCols;
  return OHW * std::max<size_t>(1, kCols / OHW);
}

class QConvDirect final : public QConv2d {
 public:
  QConvDirect(QConvSetup s, const void* weight) : s_(std::move(s)), layout_(s_.p, QOperand::S16, 2) {
    const QConv2dParams& p = s_.p;
    Cg_ = p.C / p.G;
    Mg_ = p.M / p.G;
    OHW_ = p.OH * p.OW;
    panels_ = (Mg_ + kMr - 1) / kMr;
    const size_t depth = layout_.depth();  // taps * Cgp, tap-major
    pairs_ = depth / 2;
    pair_off_.resize(pairs_);
    const size_t cpairs = layout_.padded_channels() / 2;
    for (size_t g = 0; g < pairs_; ++g)
      pair_off_[g] = uint32_t((g % cpairs) * layout_.positions() + layout_.tap_offset(g / cpairs));
    // Weights as the GEMM packs an s16 operand (qpack_matrix): panels of 16 lanes, depth in pairs,
    // (w - zp), 0 past the last channel.
    QGemmKernel format;
    format.kind = QOperand::S16;
    format.kp = 2;
    const size_t wsize = qtype_size(p.w_type);
    for (size_t grp = 0; grp < p.G; ++grp) {
      const void* wg = static_cast<const char*>(weight) + grp * Mg_ * Cg_ * p.KH * p.KW * wsize;
      const std::vector<uint8_t> r = layout_.reorder_weights(wg, s_.wzp.data() + grp * Mg_, Mg_);
      QMatrixSource w;
      w.data = r.data();
      w.type = p.w_type;
      w.ld = depth;
      w.lane_major = true;
      w.zp = s_.wzp.data() + grp * Mg_;
      w.zp_stride = 1;
      w_.push_back(qprepack(format, kMr, w, depth, Mg_));
    }
    bufpairs_ = layout_.buffer_elems() / 2;
    const size_t cols = p.N * OHW_;
    x_off_.resize(cols);
    for (size_t n = 0; n < p.N; ++n)
      for (size_t oh = 0; oh < p.OH; ++oh)
        for (size_t ow = 0; ow < p.OW; ++ow)
          x_off_[(n * p.OH + oh) * p.OW + ow] = uint32_t(n * p.G * bufpairs_ + oh * layout_.row_width() + ow);
  }

  void run(const void* x, void* y, ThreadPool* pool) const override { compute(x, y, nullptr, pool); }
  void run_acc(const void* x, int64_t* acc, ThreadPool* pool) const override { compute(x, nullptr, acc, pool); }

 private:
  void compute(const void* x, void* y, int64_t* acc64, ThreadPool* pool) const {
    const QConv2dParams& p = s_.p;
    const size_t threads = pool ? pool->threads() : 1, images = p.N * p.G;
    static thread_local std::vector<int32_t> buffer;  // the calling thread's; filled by the pool
    buffer.resize(images * bufpairs_);
    int32_t* buf = buffer.data();
    const size_t isz = qtype_size(p.in_type);
    parallel_ranges(threads > 1 && images > 1 ? pool : nullptr, images, threads, [&](size_t b, size_t e) {
      for (size_t t = b; t < e; ++t) {
        const size_t n = t / p.G, g = t % p.G;
        layout_.fill(static_cast<const char*>(x) + (n * p.C + g * Cg_) * p.H * p.W * isz, buf + t * bufpairs_, nullptr);
      }
    });
    const size_t cols = p.N * OHW_, bc = cols_per_block(OHW_), blocks = (cols + bc - 1) / bc;
    const double macs = static_cast<double>(cols) * p.M * pairs_ * 2;
    const size_t chunks = threads > 1 && macs >= kParallelMinMacs ? threads * 4 : 1;
    const QConvDirectFn fn = s_.kernels->conv_direct;
    parallel_ranges(chunks > 1 ? pool : nullptr, p.G * blocks, chunks, [&](size_t b, size_t e) {
      alignas(64) int32_t acc[kMr * kMaxColsPerBlock];
      alignas(64) char tmp[kMaxColsPerBlock * sizeof(int64_t)];
      QConvDirectBlock blk;
      blk.pairs = pairs_;
      blk.pair_off = pair_off_.data();
      blk.acc = acc;
      blk.ldc = bc;
      for (size_t task = b; task < e; ++task) {
        const size_t g = task / blocks, c0 = (task % blocks) * bc;
        const size_t nc = std::min(bc, cols - c0);
        blk.x = reinterpret_cast<const int16_t*>(buf + g * bufpairs_);
        blk.x_off = x_off_.data() + c0;
        for (size_t pn = 0; pn < panels_; ++pn) {
          const size_t mr = std::min(kMr, Mg_ - pn * kMr);
          blk.w = static_cast<const int16_t*>(w_[g].data.data()) + pn * pairs_ * kMr * 2;
          fn(mr, nc, blk);
          for (size_t i = 0; i < mr; ++i) store(acc + i * bc, g * Mg_ + pn * kMr + i, c0, nc, y, acc64, tmp);
        }
      }
    });
  }

  // Sums of channel ch for columns [c0, c0 + nc) to the output: requantized (or biased, for run_acc) in
  // one run, straight into the output when the columns lie in one image, else into tmp and copied out
  // image by image.
  void store(const int32_t* c, size_t ch, size_t c0, size_t nc, void* y, int64_t* acc64, char* tmp) const {
    const QConv2dParams& p = s_.p;
    const size_t osize = acc64 ? sizeof(int64_t) : qtype_size(p.out_type);
    char* out = acc64 ? reinterpret_cast<char*>(acc64) : static_cast<char*>(y);
    const size_t q0 = c0 % OHW_;
    char* dst = q0 + nc <= OHW_ ? out + ((c0 / OHW_ * p.M + ch) * OHW_ + q0) * osize : tmp;
    if (acc64) {
      int64_t* d = reinterpret_cast<int64_t*>(dst);
      for (size_t k = 0; k < nc; ++k) d[k] = int64_t(c[k]) + s_.bias[ch];
    } else {
      s_.kernels->requant(s_.rq.args(ch, 0, s_.bias32.data()), c, nc, dst);
    }
    if (dst != tmp) return;
    for (size_t j = 0; j < nc;) {
      const size_t col = c0 + j, q = col % OHW_, len = std::min(nc - j, OHW_ - q);
      std::memcpy(out + ((col / OHW_ * p.M + ch) * OHW_ + q) * osize, tmp + j * osize, len * osize);
      j += len;
    }
  }

  QConvSetup s_;
  QShiftLayout layout_;  // refers to s_.p
  size_t Cg_ = 0, Mg_ = 0, OHW_ = 0, panels_ = 0, pairs_ = 0, bufpairs_ = 0;
  std::vector<uint32_t> pair_off_, x_off_;
  std::vector<QPackedOperand> w_;  // per group
};

}  // namespace

bool qconv_direct_applies(const QConvSetup& s) {
  const QConv2dParams& p = s.p;
  if (!s.kernels->conv_direct || !s.mode32 || p.G == p.C || p.C / p.G < 2) return false;
  // Only where the tier's GEMM would take int16 operands too (a tier with an s8 dot product keeps it).
  if (choose_qgemm_kernel(*s.kernels, true).kind != QOperand::S16) return false;
  // Measured at batch 16 and 1, one thread, against the GEMM path (u8 x s8, per-channel float scale):
  //  - 3x3 convolutions: 0.49x the time on 5x5 maps, 0.72-0.76x on 10x10, 0.9x on 20x20, even at 40x40,
  //    1.04-1.17x on PP-OCR det's 80x80 and 160x160 layers (the GEMM reads 16 columns per broadcast pair);
  //  - plain 1x1: 0.25-0.5x on 1x1 and 2x2 maps (squeeze-excitation, shufflenet's last stage), 0.9-1.3x
  //    on 4x4 (by the channel tails), 1.2-1.4x from 8x8 up, where the GEMM packs straight from the
  //    input and the direct path's int16 copy costs more than it saves;
  //  - one input channel per group (stems): no faster alone, 1.15-1.2x inside the analysis graphs (half
  //    of every depth pair is padding either way).
  // NEON and RVV take the same limits, not measured there (qemu timings mean nothing).
  const size_t OHW = p.OH * p.OW;
  const bool plain_1x1 = p.KH == 1 && p.KW == 1 && p.SH == 1 && p.SW == 1 && p.PT == 0 && p.PL == 0 &&
                         p.OH == p.H && p.OW == p.W;
  if (OHW > (plain_1x1 ? kQConvDirectMax1x1Map : kQConvDirectMaxMap)) return false;
  // Offsets are 32-bit words: the whole buffer of the batch must be addressable.
  const QShiftLayout l(p, QOperand::S16, 2);
  return static_cast<double>(p.N) * p.G * (l.buffer_elems() / 2) < 4294967295.0;
}

std::unique_ptr<QConv2d> make_qconv_direct(QConvSetup s, const void* weight) {
  return std::make_unique<QConvDirect>(std::move(s), weight);
}

}  // namespace npuq
