// The one table naming every integer kernel per tier. Filled once, best tier first; a tier reuses the
// kernels of the tier below for what it has no kernel of its own (NeonDot: everything but the s8 GEMM).
#include "dispatch/q-kernels.h"


namespace npuq {

namespace {

constexpr int kTiers = 5;

template <class Fn>
QUkernel<Fn> uk(const char* name, size_t mr, size_t nr, size_t kp, Fn fn) {
  QUkernel<Fn> k;
  k.name = name;
  k.mr = mr;
  k.nr = nr;
  k.kp = kp;
  k.fn = fn;
  return k;
}

QKernels scalar_kernels() {
  QKernels k;
  k.isa = Isa::Scalar;
  k.gemm_s16 = uk("qgemm_s16s16_s32_4x4__scalar", 4, 4, 1, qgemm_s16s16_s32_4x4__scalar);
  k.gemm_s32 = uk("qgemm_s32s32_s64_4x4__scalar", 4, 4, 1, qgemm_s32s32_s64_4x4__scalar);
  k.dwconv_name = "qdwconv_s16s16_s32__scalar";
  k.dwconv = qdwconv_s16s16_s32__scalar;
  k.dwconv_wide_name = "qdwconv_s32s32_s64__scalar";
  k.dwconv_wide = qdwconv_s32s32_s64__scalar;
  k.dwconv_c8_name = "qdwconv_c8_s16s16_s32__scalar";
  k.dwconv_c8 = qdwconv_c8_s16s16_s32__scalar;
  k.c8_planar = c8_planar_s32__scalar;
  k.requant_name = "requant_s32__scalar";
  k.requant = requant_s32__scalar;
  return k;
}

#if defined(NPUQ_HAVE_AVX2)
QKernels avx2_kernels() {
  QKernels k;
  k.isa = Isa::Avx2;
  k.gemm_s16 = uk("qgemm_s16s16_s32_6x16c2__avx2", 6, 16, 2, qgemm_s16s16_s32_6x16c2__avx2);
  k.gemm_s16_indirect =
      uk("qgemm_s16s16_s32_6x16c2_indirect__avx2", 6, 16, 2, qgemm_s16s16_s32_6x16c2_indirect__avx2);
  k.gemm_s32 = uk("qgemm_s32s32_s64_4x8__avx2", 4, 8, 1, qgemm_s32s32_s64_4x8__avx2);
  k.dwconv_name = "qdwconv_s16s16_s32_16x__avx2";
  k.dwconv = qdwconv_s16s16_s32_16x__avx2;
  k.dwconv_wide_name = "qdwconv_s32s32_s64_16x__avx2";
  k.dwconv_wide = qdwconv_s32s32_s64_16x__avx2;
  k.dwconv_c8_name = "qdwconv_c8_s16s16_s32__avx2";
  k.dwconv_c8 = qdwconv_c8_s16s16_s32__avx2;
  k.c8_planar = c8_planar_s32__avx2;
  k.conv_direct_name = "qconv_direct_s16s16_s32_16x5__avx2";
  k.conv_direct = qconv_direct_s16s16_s32_16x5__avx2;
  k.requant_name = "requant_s32_8x__avx2";
  k.requant = requant_s32_8x__avx2;
  return k;
}
#endif

#if defined(NPUQ_HAVE_NEON)
QKernels neon_kernels() {
  QKernels k;
  k.isa = Isa::Neon;
  k.gemm_s16 = uk("qgemm_s16s16_s32_8x8__neon", 8, 8, 1, qgemm_s16s16_s32_8x8__neon);
  k.gemm_s32 = uk("qgemm_s32s32_s64_4x8__neon", 4, 8, 1, qgemm_s32s32_s64_4x8__neon);
  k.dwconv_name = "qdwconv_s16s16_s32_8x__neon";
  k.dwconv = qdwconv_s16s16_s32_8x__neon;
  k.dwconv_wide_name = "qdwconv_s32s32_s64_8x__neon";
  k.dwconv_wide = qdwconv_s32s32_s64_8x__neon;
  k.dwconv_c8_name = "qdwconv_c8_s16s16_s32__neon";
  k.dwconv_c8 = qdwconv_c8_s16s16_s32__neon;
  k.c8_planar = c8_planar_s32__scalar;
  k.conv_direct_name = "qconv_direct_s16s16_s32_16x5__neon";
  k.conv_direct = qconv_direct_s16s16_s32_16x5__neon;
  k.requant_name = "requant_s32_4x__neon";
  k.requant = requant_s32_4x__neon;
  return k;
}
#endif

#if defined(NPUQ_HAVE_NEON) && defined(NPUQ_HAVE_NEONDOT)
QKernels neondot_kernels() {
  QKernels k = neon_kernels();
  k.isa = Isa::NeonDot;
  k.gemm_s8 = uk("qgemm_s8s8_s32_8x8c4__neondot", 8, 8, 4, qgemm_s8s8_s32_8x8c4__neondot);
  return k;
}
#endif

#if defined(NPUQ_HAVE_RVV)
QKernels rvv_kernels() {  // called only when the CPU has V: the NR queries read the vector length
  QKernels k;
  k.isa = Isa::Rvv;
  k.gemm_s16 = uk("qgemm_s16s16_s32_4xv__rvv", 4, qgemm_s16s16_s32_4xv_nr__rvv(), 1, qgemm_s16s16_s32_4xv__rvv);
  k.gemm_s32 = uk("qgemm_s32s32_s64_4xv__rvv", 4, qgemm_s32s32_s64_4xv_nr__rvv(), 1, qgemm_s32s32_s64_4xv__rvv);
  k.dwconv_name = "qdwconv_s16s16_s32_v__rvv";
  k.dwconv = qdwconv_s16s16_s32_v__rvv;
  k.dwconv_wide_name = "qdwconv_s32s32_s64_v__rvv";
  k.dwconv_wide = qdwconv_s32s32_s64_v__rvv;
  k.dwconv_c8_name = "qdwconv_c8_s16s16_s32__rvv";
  k.dwconv_c8 = qdwconv_c8_s16s16_s32__rvv;
  k.c8_planar = c8_planar_s32__scalar;
  // 16 int32 channels per accumulator: an m4 group at VLEN 128; from VLEN 256 up the m2 kernel, whose
  // half-size groups hold twice the columns.
  if (rvv_vlenb() >= 32) {
    k.conv_direct_name = "qconv_direct_s16s16_s32_16x12_e32m2__rvv";
    k.conv_direct = qconv_direct_s16s16_s32_16x12_e32m2__rvv;
  } else {
    k.conv_direct_name = "qconv_direct_s16s16_s32_16x6_e32m4__rvv";
    k.conv_direct = qconv_direct_s16s16_s32_16x6_e32m4__rvv;
  }
  k.requant_name = "requant_s32_v__rvv";
  k.requant = requant_s32_v__rvv;
  return k;
}
#endif

struct Table {
  QKernels tiers[kTiers];
  bool runnable[kTiers] = {};
};

const Table& table() {
  // A function-local static: built once, thread-safe, and read without the thread-local lookups
  // std::call_once makes on every call (this runs on every kernel dispatch).
  static const Table built = [] {
    Table t;
    for (int i = 0; i < kTiers; ++i) t.tiers[i] = scalar_kernels();
    t.runnable[static_cast<int>(Isa::Scalar)] = true;
    for (Isa isa : supported_isas()) {
      const int i = static_cast<int>(isa);
#if defined(NPUQ_HAVE_AVX2)
      if (isa == Isa::Avx2) t.tiers[i] = avx2_kernels();
#endif
#if defined(NPUQ_HAVE_NEON)
      if (isa == Isa::Neon) t.tiers[i] = neon_kernels();
#endif
#if defined(NPUQ_HAVE_NEON) && defined(NPUQ_HAVE_NEONDOT)
      if (isa == Isa::NeonDot) t.tiers[i] = neondot_kernels();
#endif
#if defined(NPUQ_HAVE_RVV)
      if (isa == Isa::Rvv) t.tiers[i] = rvv_kernels();
#endif
      t.runnable[i] = t.tiers[i].isa == isa;
    }
    return t;
  }();
  return built;
}

}  // namespace

Isa q_resolve_isa(Isa isa) {
  const int i = static_cast<int>(isa);
  if (i < 0 || i >= kTiers || !table().runnable[i]) return Isa::Scalar;
  return table().tiers[i].isa;
}

const QKernels& q_kernels(Isa isa) { return table().tiers[static_cast<int>(q_resolve_isa(isa))]; }

}  // namespace npuq
