// The one table naming every float32 kernel per tier. Filled once; a tier with no kernels of its own
// (NEON and RVV float kernels are not written yet) keeps the scalar entries.
#include "dispatch/f32-kernels.h"

#include <mutex>

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
  k.maxpool = maxpool_f32__scalar;
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
  k.dwconv_name = "dwconv_f32_8x__avx2";
  k.dwconv = dwconv_f32_8x__avx2;
  k.dwconv_direct_name = "dwconv_direct_f32_8x__avx2";
  k.dwconv_direct = dwconv_direct_f32_8x__avx2;
  k.maxpool = maxpool_f32_8x__avx2;
  k.avgpool = avgpool_f32_8x__avx2;
  k.global_avg = global_avgpool_f32_8c__avx2;
  k.global_max = global_maxpool_f32_8c__avx2;
  k.binary = binary_f32__avx2;
  k.unary = unary_f32__avx2;
  k.affine = affine_f32__avx2;
  return k;
}
#endif

struct Table {
  F32Kernels tiers[kTiers];
  bool runnable[kTiers] = {};
};

const Table& table() {
  static std::once_flag once;
  static Table t;
  std::call_once(once, [] {
    for (int i = 0; i < kTiers; ++i) t.tiers[i] = scalar_kernels();
    t.runnable[static_cast<int>(Isa::Scalar)] = true;
    for (Isa isa : supported_isas()) {
      t.runnable[static_cast<int>(isa)] = true;
#if defined(NPUQ_HAVE_AVX2)
      if (isa == Isa::Avx2) t.tiers[static_cast<int>(isa)] = avx2_kernels();
#endif
    }
  });
  return t;
}

}  // namespace

Isa resolve_isa(Isa isa) {
  int i = static_cast<int>(isa);
  if (i < 0 || i >= kTiers || !table().runnable[i]) return Isa::Scalar;
  return table().tiers[i].isa;
}

const F32Kernels& f32_kernels(Isa isa) { return table().tiers[static_cast<int>(resolve_isa(isa))]; }

}  // namespace npuq
