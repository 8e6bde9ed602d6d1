// QShiftLayout / QShiftPacker: the right operand of the convolution GEMM without im2col arithmetic.
//
// One image and group is copied once into a buffer of the microkernel's operand type (q - zp, or the s8
// offset values), padded, split into SH x SW stride phases and with channels interleaved by kp
// (channels padded to a multiple of kp with real zeros). With "virtual pixels" q = oh * Wph + ow,
// ow in [0, Wph), tap (kh, kw) reads phase ((kh*DH) % SH, (kw*DW) % SW) at q + (kh*DH / SH) * Wph +
// (kw*DW / SW): a constant offset per tap. So with the depth ordered tap-major, channel-minor
// (k = t * Cgp + c), every depth group of a panel is one contiguous copy of R * kp elements. Columns
// with ow >= OW are computed and discarded (Wph - OW = (KW-1)*DW / SW of them per row).
#include <cstring>

#include "kernels/qconv/qconv-internal.h"

namespace npuq {

QShiftLayout::QShiftLayout(const QConv2dParams& p, QOperand kind, size_t kp) : p_(p), kind_(kind), kp_(kp) {
  Cg_ = p.C / p.G;
  Cgp_ = qround_up(Cg_, kp);
  KK_ = p.KH * p.KW;
  const size_t amax = (p.KH - 1) * p.DH / p.SH, bmax = (p.KW - 1) * p.DW / p.SW;
  Wph_ = p.OW + bmax;
  Hph_ = p.OH + amax + 1;  // one more row: the discarded columns of the last row read into it
  PS_ = Hph_ * Wph_;
  P_ = p.SH * p.SW;
  off_.resize(KK_);
  for (size_t kh = 0; kh < p.KH; ++kh)
    for (size_t kw = 0; kw < p.KW; ++kw) {
      const size_t rr = kh * p.DH, cc = kw * p.DW;
      off_[kh * p.KW + kw] = ((rr % p.SH) * p.SW + cc % p.SW) * PS_ + (rr / p.SH) * Wph_ + cc / p.SW;
    }
}

namespace {

template <class S>
constexpr int32_t s8_shift() { return sizeof(S) == 1 && S(-1) > S(0) ? 128 : 0; }

// d[2j] = a[j] - z, d[2j + 1] = b[j] - z.
template <class S, class D>
void interleave2(const S* __restrict a, const S* __restrict b, size_t n, int32_t z, D* __restrict d) {
  for (size_t j = 0; j < n; ++j) {
    d[2 * j] = static_cast<D>(int32_t(a[j]) - z);
    d[2 * j + 1] = static_cast<D>(int32_t(b[j]) - z);
  }
}

template <class S, class D, size_t KP, bool Offset>
void fill_t(const QConv2dParams& p, size_t Cg, size_t Cgp, size_t Hph, size_t Wph, const S* x, D* buf) {
  const int32_t z = Offset ? s8_shift<S>() : p.in_zp;
  const D padv = static_cast<D>(p.in_zp - z);
  const long long H = (long long)p.H, W = (long long)p.W, SW = (long long)p.SW;
  const std::vector<S> zrow(p.W * p.SW + 1, static_cast<S>(p.in_zp));  // stands in for padding rows
  for (size_t cq = 0; cq < Cgp / KP; ++cq)
    for (size_t ph = 0; ph < p.SH; ++ph)
      for (size_t pw = 0; pw < p.SW; ++pw) {
        D* plane = buf + ((cq * p.SH + ph) * p.SW + pw) * Hph * Wph * KP;
        // Columns j with 0 <= j*SW + pw - PL < W: [jlo, jhi).
        const long long c0 = (long long)pw - (long long)p.PL;
        long long jlo = c0 >= 0 ? 0 : (-c0 + SW - 1) / SW, jhi = c0 >= W ? 0 : (W - c0 + SW - 1) / SW;
        jlo = jlo < (long long)Wph ? jlo : (long long)Wph;
        jhi = jhi < jlo ? jlo : jhi < (long long)Wph ? jhi : (long long)Wph;
        const size_t n = size_t(jhi - jlo);
        for (size_t i = 0; i < Hph; ++i) {
          D* d = plane + i * Wph * KP;
          const long long ih = (long long)(i * p.SH + ph) - (long long)p.PT;
          const S* rows[KP];
          bool any = false;
          for (size_t e = 0; e < KP; ++e) {
            const size_t c = cq * KP + e;
            const bool in = c < Cg && ih >= 0 && ih < H;
            rows[e] = in ? x + (c * p.H + size_t(ih)) * p.W + (jlo * SW + c0) : zrow.data();
            any = any || in;
          }
          if (!any || n == 0) {
            for (size_t j = 0; j < Wph * KP; ++j) d[j] = padv;
            continue;
          }
          for (size_t j = 0; j < size_t(jlo) * KP; ++j) d[j] = padv;
          D* dv = d + size_t(jlo) * KP;
          if (SW == 1 && KP == 2) {  // the common case, written so the compiler vectorizes it
            interleave2<S, D>(rows[0], rows[1], n, z, dv);
          } else if (SW == 1) {
            for (size_t j = 0; j < n; ++j)
              for (size_t e = 0; e < KP; ++e) dv[j * KP + e] = static_cast<D>(int32_t(rows[e][j]) - z);
          } else {
            for (size_t j = 0; j < n; ++j)
              for (size_t e = 0; e < KP; ++e) dv[j * KP + e] = static_cast<D>(int32_t(rows[e][j * p.SW]) - z);
          }
          for (size_t j = size_t(jhi) * KP; j < Wph * KP; ++j) d[j] = padv;
        }
      }
}

template <class S, class D, bool Offset>
void fill_kp(const QConv2dParams& p, size_t Cg, size_t Cgp, size_t Hph, size_t Wph, size_t kp, const void* x, void* buf) {
  const S* xs = static_cast<const S*>(x);
  D* b = static_cast<D*>(buf);
  switch (kp) {
    case 1: return fill_t<S, D, 1, Offset>(p, Cg, Cgp, Hph, Wph, xs, b);
    case 2: return fill_t<S, D, 2, Offset>(p, Cg, Cgp, Hph, Wph, xs, b);
    case 4: return fill_t<S, D, 4, Offset>(p, Cg, Cgp, Hph, Wph, xs, b);
    default: return;
  }
}

template <class S>
void fill_s(const QConv2dParams& p, size_t Cg, size_t Cgp, size_t Hph, size_t Wph, QOperand kind, size_t kp,
            const void* x, void* buf) {
  switch (kind) {
    case QOperand::S16: return fill_kp<S, int16_t, false>(p, Cg, Cgp, Hph, Wph, kp, x, buf);
    case QOperand::S32: return fill_kp<S, int32_t, false>(p, Cg, Cgp, Hph, Wph, kp, x, buf);
    case QOperand::S8:
      if (sizeof(S) == 1) fill_kp<S, int8_t, true>(p, Cg, Cgp, Hph, Wph, kp, x, buf);
      return;
  }
}

// Copies n elements of es bytes; the common whole-panel sizes become fixed-size moves.
inline void copy_elems(void* d, const void* s, size_t bytes) {
  switch (bytes) {
    case 8: std::memcpy(d, s, 8); break;
    case 16: std::memcpy(d, s, 16); break;
    case 32: std::memcpy(d, s, 32); break;
    case 64: std::memcpy(d, s, 64); break;
    default: std::memcpy(d, s, bytes); break;
  }
}

}  // namespace

void QShiftLayout::fill(const void* x, void* buf, int32_t* pos_sums) const {
  switch (p_.in_type) {
    case QType::U8: fill_s<uint8_t>(p_, Cg_, Cgp_, Hph_, Wph_, kind_, kp_, x, buf); break;
    case QType::S8: fill_s<int8_t>(p_, Cg_, Cgp_, Hph_, Wph_, kind_, kp_, x, buf); break;
    case QType::U16: fill_s<uint16_t>(p_, Cg_, Cgp_, Hph_, Wph_, kind_, kp_, x, buf); break;
    case QType::S16: fill_s<int16_t>(p_, Cg_, Cgp_, Hph_, Wph_, kind_, kp_, x, buf); break;
    case QType::S32: break;
  }
  const size_t es = qoperand_size(kind_);  // the slack is read by indirect kernels: keep it defined
  std::memset(static_cast<char*>(buf) + (buffer_elems() - kSlack) * es, 0, kSlack * es);
  if (kind_ != QOperand::S8 || !pos_sums) return;
  // s8: the sum over all channels at every position, so column sums are a sum over taps.
  const size_t positions = P_ * PS_;
  const int8_t* b = static_cast<const int8_t*>(buf);
  std::vector<uint32_t> s(positions, 0);
  for (size_t cq = 0; cq < Cgp_ / kp_; ++cq)
    for (size_t q = 0; q < positions; ++q)
      for (size_t e = 0; e < kp_; ++e) s[q] += uint32_t(int32_t(b[(cq * positions + q) * kp_ + e]));
  for (size_t q = 0; q < positions; ++q) pos_sums[q] = static_cast<int32_t>(s[q]);
}

std::vector<uint8_t> QShiftLayout::reorder_weights(const void* w, const int32_t* zp, size_t Mg) const {
  const size_t es = qtype_size(p_.w_type), Kp = depth();
  std::vector<uint8_t> out(Mg * Kp * es);
  const uint8_t* src = static_cast<const uint8_t*>(w);
  for (size_t m = 0; m < Mg; ++m)
    for (size_t t = 0; t < KK_; ++t)
      for (size_t c = 0; c < Cgp_; ++c) {
        uint8_t* d = out.data() + (m * Kp + t * Cgp_ + c) * es;
        if (c < Cg_) {
          std::memcpy(d, src + (m * Cg_ * KK_ + c * KK_ + t) * es, es);
        } else {  // a padded channel holds the zero point: (w - zw) = 0
          const int32_t z = zp[m];
          switch (p_.w_type) {
            case QType::U8: *d = static_cast<uint8_t>(z); break;
            case QType::S8: *d = static_cast<uint8_t>(static_cast<int8_t>(z)); break;
            case QType::U16: { const uint16_t v = static_cast<uint16_t>(z); std::memcpy(d, &v, 2); break; }
            case QType::S16: { const int16_t v = static_cast<int16_t>(z); std::memcpy(d, &v, 2); break; }
            case QType::S32: break;
          }
        }
      }
  return out;
}

bool QShiftPacker::gather(size_t k0, size_t kc, size_t n0, const QPackFormat& f, const void** ptrs) const {
  const QShiftLayout& L = l_;
  const size_t KP = f.kp, es = qoperand_size(f.kind), gstride = L.P_ * L.PS_;
  if (f.kind == QOperand::S8 || f.lanes * KP > QShiftLayout::kSlack) return false;
  const char* buf = static_cast<const char*>(buf_);
  for (size_t g = 0; g < qround_up(kc, KP) / KP; ++g) {
    const size_t k = k0 + g * KP, t = k / L.Cgp_, cq = (k % L.Cgp_) / KP;
    ptrs[g] = buf + (cq * gstride + L.off_[t] + n0) * KP * es;
  }
  return true;
}

void QShiftPacker::pack(size_t k0, size_t kc, size_t n0, size_t nc, const QPackFormat& f, void* dst,
                        int32_t* sums) const {
  const QShiftLayout& L = l_;
  const size_t KP = f.kp, R = f.lanes, es = qoperand_size(f.kind), panels = (nc + R - 1) / R;
  const size_t kcp = qround_up(kc, KP), gstride = L.P_ * L.PS_;  // kc is a multiple of KP here
  const char* buf = static_cast<const char*>(buf_);
  char* out = static_cast<char*>(dst);
  for (size_t g = 0; g < kcp / KP; ++g) {  // sequential reads: one depth group of every panel
    const size_t k = k0 + g * KP, t = k / L.Cgp_, cq = (k % L.Cgp_) / KP;
    const char* src = buf + (cq * gstride + L.off_[t] + n0) * KP * es;
    for (size_t p = 0; p < panels; ++p) {
      char* d = out + (p * kcp * R + g * R * KP) * es;
      const size_t lanes = nc - p * R < R ? nc - p * R : R;
      copy_elems(d, src + p * R * KP * es, lanes * KP * es);
      if (lanes < R) std::memset(d + lanes * KP * es, 0, (R - lanes) * KP * es);
    }
  }
  if (sums && k0 == 0) {  // the whole depth at once (the driver accepts sums added in any block)
    for (size_t j = 0; j < nc; ++j) {
      uint32_t s = 0;
      for (size_t t = 0; t < L.KK_; ++t) s += uint32_t(pos_sums_[L.off_[t] + n0 + j]);
      sums[j] = static_cast<int32_t>(uint32_t(sums[j]) + s);
    }
  }
}

}  // namespace npuq
