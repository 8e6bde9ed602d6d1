// The one table naming every float32 kernel per tier. Filled once; a tier with no kernels of its own
// keeps the scalar entries (NEON has its own GEMM, conv_direct, conv_rows, MaxPool 2x2 and dwconv_c8
// kernels so far; RVV its own GEMM and conv_direct, chosen by VLEN, MaxPool 2x2 and dwconv_c8).
// conv_direct and conv_rows are optional: the scalar tier leaves them empty (conv_direct_f32__scalar and
// conv_rows_f32__scalar are the specifications the tests hold the vector kernels to) and its
// convolutions run im2col + gemm, with the same sums.
#include "dispatch/f32-kernels.h"


namespace npuq {

namespace {

constexpr int kTiers = 5;

F32Kernels scalar_kernels() {
  F32Kernels k;
  k.isa = Isa::Scalar;
  k.gemm_name = "sgemm_ukernel_4x8__scalar";
  k.gemm_mr = 4;
  k.gemm_nr = 8;
  k.gemm = sgemm_ukernel_4x8__scalar;
  k.dwconv_name = "dwconv_f32__scalar";
  k.dwconv = dwconv_f32__scalar;
  k.dwconv_direct_name = "dwconv_direct_f32__scalar";
  k.dwconv_direct = dwconv_direct_f32__scalar;
  k.dwconv_c8_name = "dwconv_c8_f32__scalar";
  k.dwconv_c8 = dwconv_c8_f32__scalar;
  k.maxpool = maxpool_f32__scalar;
  k.maxpool2x2_name = "maxpool2x2_f32__scalar";
  k.maxpool2x2 = maxpool2x2_f32__scalar;
  k.avgpool = avgpool_f32__scalar;
  k.global_avg = global_avgpool_f32__scalar;
  k.global_max = global_maxpool_f32__scalar;
  k.binary = binary_f32__scalar;
  k.unary = unary_f32__scalar;
  k.affine = affine_f32__scalar;
  return k;
}

#if defined(NPUQ_HAVE_AVX2)
F32Kernels avx2_kernels() {
  F32Kernels k;
  k.isa = Isa::Avx2;
  k.gemm_name = "sgemm_ukernel_6x16__avx2";
  k.gemm_mr = 6;
  k.gemm_nr = 16;
  k.gemm = sgemm_ukernel_6x16__avx2;
  k.gemm_raw_a = true;
  k.conv_direct_name = "conv_direct_f32_16x6__avx2";
  k.conv_direct = conv_direct_f32_16x6__avx2;
  k.conv_rows_name = "conv_rows_f32_4x24__avx2";
  k.conv_rows = conv_rows_f32_4x24__avx2;
  k.dwconv_name = "dwconv_f32_8x__avx2";
  k.dwconv = dwconv_f32_8x__avx2;
  k.dwconv_direct_name = "dwconv_direct_f32_8x__avx2";
  k.dwconv_direct = dwconv_direct_f32_8x__avx2;
  k.dwconv_c8_name = "dwconv_c8_f32__avx2";
  k.dwconv_c8 = dwconv_c8_f32__avx2;
  k.maxpool = maxpool_f32_8x__avx2;
  k.maxpool2x2_name = "maxpool2x2_f32_8x__avx2";
  k.maxpool2x2 = maxpool2x2_f32_8x__avx2;
  k.avgpool = avgpool_f32_8x__avx2;
  k.global_avg = global_avgpool_f32_8c__avx2;
  k.global_max = global_maxpool_f32_8c__avx2;
  k.binary = binary_f32__avx2;
  k.unary = unary_f32__avx2;
  k.affine = affine_f32__avx2;
  return k;
}
#endif

#if defined(NPUQ_HAVE_NEON)
// Neon and NeonDot alike (no float kernel uses dotprod).
F32Kernels neon_kernels(Isa isa) {
  F32Kernels k = scalar_kernels();
  k.isa = isa;
  k.gemm_name = "sgemm_ukernel_8x8__neon";
  k.gemm_mr = 8;
  k.gemm_nr = 8;
  k.gemm = sgemm_ukernel_8x8__neon;
  k.conv_direct_name = "conv_direct_f32_16x6__neon";
  k.conv_direct = conv_direct_f32_16x6__neon;
  k.conv_rows_name = "conv_rows_f32_4x16__neon";
  k.conv_rows = conv_rows_f32_4x16__neon;
  k.maxpool2x2_name = "maxpool2x2_f32_8x__neon";
  k.maxpool2x2 = maxpool2x2_f32_8x__neon;
  k.dwconv_c8_name = "dwconv_c8_f32__neon";
  k.dwconv_c8 = dwconv_c8_f32__neon;
  return k;
}
#endif

#if defined(NPUQ_HAVE_RVV)
// Called only when the CPU has V. The GEMM and conv_direct tiles keep 16 floats per vector: an m4 group
// at VLEN 128; from VLEN 256 up the m2 kernels, whose half-size groups hold twice the accumulators.
// gemm_mr follows the choice (the packing reads it from this table), gemm_nr is 16 either way.
F32Kernels rvv_kernels() {
  F32Kernels k = scalar_kernels();
  k.isa = Isa::Rvv;
  if (rvv_vlenb() >= 32) {
    k.gemm_name = "sgemm_ukernel_8x16_e32m2__rvv";
    k.gemm_mr = 8;
    k.gemm = sgemm_ukernel_8x16_e32m2__rvv;
    k.conv_direct_name = "conv_direct_f32_16x12_e32m2__rvv";
    k.conv_direct = conv_direct_f32_16x12_e32m2__rvv;
  } else {
    k.gemm_name = "sgemm_ukernel_6x16_e32m4__rvv";
    k.gemm_mr = 6;
    k.gemm = sgemm_ukernel_6x16_e32m4__rvv;
    k.conv_direct_name = "conv_direct_f32_16x6_e32m4__rvv";
    k.conv_direct = conv_direct_f32_16x6_e32m4__rvv;
  }
  k.gemm_nr = 16;
  k.maxpool2x2_name = "maxpool2x2_f32_e32m2__rvv";
  k.maxpool2x2 = maxpool2x2_f32_e32m2__rvv;
  k.dwconv_c8_name = "dwconv_c8_f32_e32m2__rvv";
  k.dwconv_c8 = dwconv_c8_f32_e32m2__rvv;
  return k;
}
#endif

struct Table {
  F32Kernels tiers[kTiers];
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
      t.runnable[static_cast<int>(isa)] = true;
#if defined(NPUQ_HAVE_AVX2)
      if (isa == Isa::Avx2) t.tiers[static_cast<int>(isa)] = avx2_kernels();
#endif
#if defined(NPUQ_HAVE_NEON)
      if (isa == Isa::Neon || isa == Isa::NeonDot) t.tiers[static_cast<int>(isa)] = neon_kernels(isa);
#endif
#if defined(NPUQ_HAVE_RVV)
      if (isa == Isa::Rvv) t.tiers[static_cast<int>(isa)] = rvv_kernels();
#endif
    }
    return t;
  }();
  return built;
}

}  // namespace

Isa resolve_isa(Isa isa) {
  int i = static_cast<int>(isa);
  if (i < 0 || i >= kTiers || !table().runnable[i]) return Isa::Scalar;
  return table().tiers[i].isa;
}

const F32Kernels& f32_kernels(Isa isa) { return table().tiers[static_cast<int>(resolve_isa(isa))]; }

}  // namespace npuq
