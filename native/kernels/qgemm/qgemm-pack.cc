// Packing of integer GEMM operands into microkernel panels (layout in q-kernels.h), and the choice of
// microkernel per accumulation mode.
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/qgemm/qgemm-internal.h"

namespace npuq {

AlignedBytes::AlignedBytes(size_t n) {
  if (n == 0) return;
  void* p = std::aligned_alloc(64, qround_up(n, 64));
  if (!p) throw std::bad_alloc();
  ptr_.reset(p);
}

void AlignedBytes::Free::operator()(void* p) const { std::free(p); }

QGemmKernel choose_qgemm_kernel(const QKernels& k, bool mode32) {
  QGemmKernel g;
  if (mode32 && k.gemm_s8.fn) {
    g.kind = QOperand::S8;
    g.name = k.gemm_s8.name;
    g.mr = k.gemm_s8.mr, g.nr = k.gemm_s8.nr, g.kp = k.gemm_s8.kp;
    g.s8 = k.gemm_s8.fn;
  } else if (mode32) {
    g.kind = QOperand::S16;
    g.name = k.gemm_s16.name;
    g.mr = k.gemm_s16.mr, g.nr = k.gemm_s16.nr, g.kp = k.gemm_s16.kp;
    g.s16 = k.gemm_s16.fn;
    g.s16_indirect = k.gemm_s16_indirect.fn;
  } else {
    g.kind = QOperand::S32;
    g.name = k.gemm_s32.name;
    g.mr = k.gemm_s32.mr, g.nr = k.gemm_s32.nr, g.kp = k.gemm_s32.kp;
    g.s32 = k.gemm_s32.fn;
  }
  return g;
}

namespace {

template <class S>
constexpr int32_t s8_shift() { return sizeof(S) == 1 && S(-1) > S(0) ? 128 : 0; }

inline void add_sum(int32_t* sums, size_t i, uint32_t v) {  // lane sums are only needed modulo 2^32
  sums[i] = static_cast<int32_t>(uint32_t(sums[i]) + v);
}

// Offset values (kind S8) or q - zp (S16, S32) of type D; KP is the microkernel's depth grouping.
template <class S, class D, bool Offset, size_t KP>
void pack_t(const QMatrixSource& s, size_t k0, size_t kc, size_t l0, size_t lc, size_t R, D* dst, int32_t* sums) {
  const size_t kcp = qround_up(kc, KP), panels = (lc + R - 1) / R;
  if (lc % R || kcp != kc) std::memset(dst, 0, panels * kcp * R * sizeof(D));
  const S* src = static_cast<const S*>(s.data);
  for (size_t p = 0; p < panels; ++p) {
    D* dp = dst + p * kcp * R;
    const size_t lane0 = l0 + p * R, lanes = lc - p * R < R ? lc - p * R : R;
    if (s.lane_major) {
      for (size_t l = 0; l < lanes; ++l) {
        const S* row = src + (lane0 + l) * s.ld + k0;
        const int32_t z = Offset ? s8_shift<S>() : s.zp[(lane0 + l) * s.zp_stride];
        D* d = dp + l * KP;
        uint32_t sum = 0;
        size_t k = 0;
        for (; k + KP <= kc; k += KP, d += R * KP)
          for (size_t e = 0; e < KP; ++e) {
            const int32_t v = int32_t(row[k + e]) - z;
            d[e] = static_cast<D>(v);
            sum += uint32_t(v);
          }
        for (size_t e = 0; k + e < kc; ++e) {
          const int32_t v = int32_t(row[k + e]) - z;
          d[e] = static_cast<D>(v);
          sum += uint32_t(v);
        }
        if (Offset && sums) add_sum(sums, p * R + l, sum);
      }
    } else {
      const bool one_zp = Offset || s.zp_stride == 0;
      const int32_t z0 = Offset ? s8_shift<S>() : s.zp[0];
      for (size_t k = 0; k < kc; k += KP) {
        D* d = dp + (k / KP) * R * KP;
        if (one_zp && k + KP <= kc) {  // KP source rows interleaved at once: contiguous stores
          const S* rows[KP];
          for (size_t e = 0; e < KP; ++e) rows[e] = src + (k0 + k + e) * s.ld + lane0;
          for (size_t l = 0; l < lanes; ++l)
            for (size_t e = 0; e < KP; ++e) d[l * KP + e] = static_cast<D>(int32_t(rows[e][l]) - z0);
          if (Offset && sums)
            for (size_t e = 0; e < KP; ++e)
              for (size_t l = 0; l < lanes; ++l) add_sum(sums, p * R + l, uint32_t(int32_t(rows[e][l]) - z0));
          continue;
        }
        for (size_t e = 0; e < KP && k + e < kc; ++e) {
          const S* row = src + (k0 + k + e) * s.ld + lane0;
          for (size_t l = 0; l < lanes; ++l) {
            const int32_t v = int32_t(row[l]) - (one_zp ? z0 : s.zp[(lane0 + l) * s.zp_stride]);
            d[l * KP + e] = static_cast<D>(v);
            if (Offset && sums) add_sum(sums, p * R + l, uint32_t(v));
          }
        }
      }
    }
  }
}

template <class S, class D, bool Offset>
void pack_kp(const QMatrixSource& s, size_t k0, size_t kc, size_t l0, size_t lc, const QPackFormat& f, void* dst,
             int32_t* sums) {
  D* d = static_cast<D*>(dst);
  switch (f.kp) {
    case 1: return pack_t<S, D, Offset, 1>(s, k0, kc, l0, lc, f.lanes, d, sums);
    case 2: return pack_t<S, D, Offset, 2>(s, k0, kc, l0, lc, f.lanes, d, sums);
    case 4: return pack_t<S, D, Offset, 4>(s, k0, kc, l0, lc, f.lanes, d, sums);
    default: return;  // microkernels group depth by 1, 2 or 4
  }
}

template <class S>
void pack_s(const QMatrixSource& s, size_t k0, size_t kc, size_t l0, size_t lc, const QPackFormat& f, void* dst,
            int32_t* sums) {
  switch (f.kind) {
    case QOperand::S16: return pack_kp<S, int16_t, false>(s, k0, kc, l0, lc, f, dst, nullptr);
    case QOperand::S32: return pack_kp<S, int32_t, false>(s, k0, kc, l0, lc, f, dst, nullptr);
    case QOperand::S8:
      if (sizeof(S) == 1) return pack_kp<S, int8_t, true>(s, k0, kc, l0, lc, f, dst, sums);
      return;  // never chosen for 16-bit operands
  }
}

}  // namespace

void qpack_matrix(const QMatrixSource& s, size_t k0, size_t kc, size_t l0, size_t lc, const QPackFormat& f,
                  void* dst, int32_t* sums) {
  switch (s.type) {
    case QType::U8: return pack_s<uint8_t>(s, k0, kc, l0, lc, f, dst, sums);
    case QType::S8: return pack_s<int8_t>(s, k0, kc, l0, lc, f, dst, sums);
    case QType::U16: return pack_s<uint16_t>(s, k0, kc, l0, lc, f, dst, sums);
    case QType::S16: return pack_s<int16_t>(s, k0, kc, l0, lc, f, dst, sums);
    case QType::S32: return;  // rejected by create()
  }
}

QPackedOperand qprepack(const QGemmKernel& k, size_t lanes_per_panel, const QMatrixSource& s, size_t K, size_t lanes) {
  QPackedOperand o;
  const QPackFormat f{k.kind, lanes_per_panel, k.kp};
  o.data = AlignedBytes(qpacked_elems(f, K, lanes) * qoperand_size(k.kind));
  if (k.kind == QOperand::S8) {
    o.sums.assign(lanes, 0);
    o.offsets.resize(lanes);
    for (size_t l = 0; l < lanes; ++l) o.offsets[l] = qs8_offset(s.type, s.zp[l * s.zp_stride]);
  }
  if (lanes) qpack_matrix(s, 0, K, 0, lanes, f, o.data.data(), o.sums.empty() ? nullptr : o.sums.data());
  return o;
}

}  // namespace npuq
