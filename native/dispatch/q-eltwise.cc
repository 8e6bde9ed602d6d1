// The one table naming every quantized elementwise / pooling / quantize kernel per tier. Filled once,
// best tier first; a tier this binary or CPU lacks resolves to the scalar kernels.
#include "dispatch/q-eltwise.h"


namespace npuq {

namespace {

constexpr int kTiers = 5;

QEltwiseKernels scalar_kernels() {
  QEltwiseKernels k;
  k.isa = Isa::Scalar;
  k.qbinary_name = "qbinary__scalar";
  k.qbinary = qbinary__scalar;
  k.quantize_name = "quantize_f32__scalar";
  k.quantize = quantize_f32__scalar;
  k.dequantize_name = "dequantize_f32__scalar";
  k.dequantize = dequantize_f32__scalar;
  k.maxpool_name = "qmaxpool_i32plane__scalar";
  k.maxpool = qmaxpool_i32plane__scalar;
  k.avgpool_name = "qavgpool_i32plane__scalar";
  k.avgpool = qavgpool_i32plane__scalar;
  k.rowsum_name = "qrowsum__scalar";
  k.rowsum = qrowsum__scalar;
  return k;
}

#if defined(NPUQ_HAVE_AVX2)
QEltwiseKernels avx2_kernels() {
  QEltwiseKernels k;
  k.isa = Isa::Avx2;
  k.qbinary_name = "qbinary_8x__avx2";
  k.qbinary = qbinary_8x__avx2;
  k.quantize_name = "quantize_f32_8x__avx2";
  k.quantize = quantize_f32_8x__avx2;
  k.dequantize_name = "dequantize_f32_8x__avx2";
  k.dequantize = dequantize_f32_8x__avx2;
  k.maxpool_name = "qmaxpool_i32plane_8x__avx2";
  k.maxpool = qmaxpool_i32plane_8x__avx2;
  k.avgpool_name = "qavgpool_i32plane_8x__avx2";
  k.avgpool = qavgpool_i32plane_8x__avx2;
  k.rowsum_name = "qrowsum_16x__avx2";
  k.rowsum = qrowsum_16x__avx2;
  return k;
}
#endif

#if defined(NPUQ_HAVE_NEON)
QEltwiseKernels neon_kernels(Isa isa) {
  QEltwiseKernels k;
  k.isa = isa;  // Neon and NeonDot (no dot products here) share these
  k.qbinary_name = "qbinary_8x__neon";
  k.qbinary = qbinary_8x__neon;
  k.quantize_name = "quantize_f32_8x__neon";
  k.quantize = quantize_f32_8x__neon;
  k.dequantize_name = "dequantize_f32_8x__neon";
  k.dequantize = dequantize_f32_8x__neon;
  k.maxpool_name = "qmaxpool_i32plane_8x__neon";
  k.maxpool = qmaxpool_i32plane_8x__neon;
  k.avgpool_name = "qavgpool_i32plane_8x__neon";
  k.avgpool = qavgpool_i32plane_8x__neon;
  k.rowsum_name = "qrowsum_16x__neon";
  k.rowsum = qrowsum_16x__neon;
  return k;
}
#endif

#if defined(NPUQ_HAVE_RVV)
QEltwiseKernels rvv_kernels() {
  QEltwiseKernels k;
  k.isa = Isa::Rvv;
  k.qbinary_name = "qbinary_e32m2__rvv";
  k.qbinary = qbinary_e32m2__rvv;
  k.quantize_name = "quantize_f32_e32m2__rvv";
  k.quantize = quantize_f32_e32m2__rvv;
  k.dequantize_name = "dequantize_f32_e32m2__rvv";
  k.dequantize = dequantize_f32_e32m2__rvv;
  k.maxpool_name = "qmaxpool_i32plane_e32m2__rvv";
  k.maxpool = qmaxpool_i32plane_e32m2__rvv;
  k.avgpool_name = "qavgpool_i32plane_e32m2__rvv";
  k.avgpool = qavgpool_i32plane_e32m2__rvv;
  k.rowsum_name = "qrowsum_e32m2__rvv";
  k.rowsum = qrowsum_e32m2__rvv;
  return k;
}
#endif

struct Table {
  QEltwiseKernels tiers[kTiers];
};

const Table& table() {
  // A function-local static: built once, thread-safe, and read without the thread-local lookups
  // std::call_once makes on every call (this runs on every kernel dispatch).
  static const Table built = [] {
    Table t;
    for (int i = 0; i < kTiers; ++i) t.tiers[i] = scalar_kernels();
    for (Isa isa : supported_isas()) {
      QEltwiseKernels& slot = t.tiers[static_cast<int>(isa)];
      (void)slot;
#if defined(NPUQ_HAVE_AVX2)
      if (isa == Isa::Avx2) slot = avx2_kernels();
#endif
#if defined(NPUQ_HAVE_NEON)
      if (isa == Isa::Neon || isa == Isa::NeonDot) slot = neon_kernels(isa);
#endif
#if defined(NPUQ_HAVE_RVV)
      if (isa == Isa::Rvv) slot = rvv_kernels();
#endif
    }
    return t;
  }();
  return built;
}

}  // namespace

const QEltwiseKernels& q_eltwise_kernels(Isa isa) {
  const int i = static_cast<int>(isa);
  if (i < 0 || i >= kTiers) return table().tiers[0];
  return table().tiers[i];
}

const QEltwiseKernels& q_eltwise_scalar_kernels() { return table().tiers[0]; }

}  // namespace npuq
