// Pieces of QConv2d shared between its files: the right-operand layout of the GEMM path and the two algorithms.
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "kernels/qgemm/qgemm-internal.h"

namespace npuq {

// The convolution's right operand without im2col (qconv-shift.cc): one image and group copied once into
// a padded, stride-phase-split buffer of the microkernel's operand kind, channels interleaved by kp, so
// each depth group of a panel is a contiguous copy. GEMM columns are "virtual pixels" q = oh * Wph + ow
// (ow < Wph); those with ow >= OW are computed and discarded. Depth k = tap * Cgp + channel.
class QShiftLayout {
 public:
  QShiftLayout(const QConv2dParams& p, QOperand kind, size_t kp);
  size_t depth() const { return KK_ * Cgp_; }
  size_t columns() const { return p_.OH * Wph_; }
  size_t row_width() const { return Wph_; }
  // Elements of the buffer, with slack so indirect microkernels may read whole panels past the end.
  size_t buffer_elems() const { return Cgp_ * P_ * PS_ + kSlack; }
  static constexpr size_t kSlack = 1024;
  size_t positions() const { return P_ * PS_; }
  size_t padded_channels() const { return Cgp_; }
  // Offset of tap t (kh-major) within a channel group's positions, in kp-element units.
  size_t tap_offset(size_t t) const { return off_[t]; }
  // buf (buffer_elems() of the operand kind) from x, the group's first input channel of one image; for
  // s8 also pos_sums (positions() entries): the sum over channels at every position.
  void fill(const void* x, void* buf, int32_t* pos_sums) const;
  // The group's weights [Mg][Cg * KH * KW] (w_type) reordered to [Mg][depth()], padded channels = zp[m].
  std::vector<uint8_t> reorder_weights(const void* w, const int32_t* zp, size_t Mg) const;

 private:
  friend class QShiftPacker;
  const QConv2dParams& p_;
  QOperand kind_;
  size_t kp_, Cg_ = 0, Cgp_ = 0, KK_ = 0, Wph_ = 0, Hph_ = 0, PS_ = 0, P_ = 1;
  std::vector<size_t> off_;  // per tap, in kp-element units
};

class QShiftPacker final : public QRhsPacker {
 public:
  QShiftPacker(const QShiftLayout& l, const void* buf, const int32_t* pos_sums) : l_(l), buf_(buf), pos_sums_(pos_sums) {}
  // s8 lane sums cover the whole depth and are added with the first depth block.
  void pack(size_t k0, size_t kc, size_t n0, size_t nc, const QPackFormat& f, void* dst, int32_t* sums) const override;
  bool gather(size_t k0, size_t kc, size_t n0, const QPackFormat& f, const void** ptrs) const override;

 private:
  const QShiftLayout& l_;
  const void* buf_;
  const int32_t* pos_sums_;
};

// Validated, expanded parameters of a convolution (qconv2d.cc).
struct QConvSetup {
  QConv2dParams p;
  std::vector<int32_t> wzp;    // M
  std::vector<int64_t> bias;   // M (zeros if none)
  std::vector<int32_t> bias32; // M, mode 32 only
  QRequantTable rq;
  bool mode32 = false;
  const QKernels* kernels = nullptr;
};

std::unique_ptr<QConv2d> make_qconv_depthwise(QConvSetup s, const void* weight);

// The direct path (qconv-direct.cc): applies when the tier has a conv_direct kernel, the sums fit int32
// with int16 operands, the convolution is not depthwise and the map is small enough.
bool qconv_direct_applies(const QConvSetup& s);
std::unique_ptr<QConv2d> make_qconv_direct(QConvSetup s, const void* weight);
// Output maps (pixels per image) above which the GEMM path stays faster (measured on AVX2, see
// qconv-direct.cc): plain 1x1 convolutions, other convolutions.
constexpr size_t kQConvDirectMax1x1Map = 4;
constexpr size_t kQConvDirectMaxMap = 1024;

}  // namespace npuq
