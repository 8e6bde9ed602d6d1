// Public SGEMM entry points (kernels.h): argument checks, B packing, dispatch to the tier's table.
#include <stdexcept>
#include <string>

#include "kernels/gemm/sgemm-internal.h"

namespace npuq {

PackedB sgemm_pack_b(Isa isa, const float* B, size_t ldb, bool transB, size_t K, size_t N) {
  const F32Kernels& k = f32_kernels(isa);
  if (K && N && !B) throw std::invalid_argument("sgemm_pack_b: B is null");
  if (K && N && ldb < (transB ? K : N))
    throw std::invalid_argument("sgemm_pack_b: ldb " + std::to_string(ldb) + " is smaller than " +
                                std::to_string(transB ? K : N));
  PackedB pb;
  pb.isa = k.isa;
  pb.K = K;
  pb.N = N;
  const size_t NR = k.gemm_nr, panels = (N + NR - 1) / NR;
  pb.data = AlignedFloats(panels * NR * K);
  if (K && N) RowMajorBPacker(B, ldb, transB).pack(0, K, 0, N, NR, pb.data.data());
  return pb;
}

void sgemm(Isa isa, const SgemmArgs& a, ThreadPool* pool) {
  if (a.M == 0 || a.N == 0) return;
  if (a.packedB && (a.packedB->K != a.K || a.packedB->N != a.N))
    throw std::invalid_argument("sgemm: packedB is " + std::to_string(a.packedB->K) + "x" +
                                std::to_string(a.packedB->N) + " but K x N is " + std::to_string(a.K) +
                                "x" + std::to_string(a.N));
  // A PackedB is laid out for the tier that packed it; that tier computes (all tiers agree bit for bit).
  const F32Kernels& k = f32_kernels(a.packedB ? a.packedB->isa : isa);
  SgemmProblem p;
  p.M = a.M;
  p.N = a.N;
  p.K = a.K;
  p.A = a.A;
  p.lda = a.lda;
  p.transA = a.transA;
  RowMajorBPacker packer(a.B, a.ldb, a.transB);
  if (a.packedB)
    p.b_packed = a.packedB->data.data();
  else
    p.b_packer = &packer;
  p.C = a.C;
  p.ldc = a.ldc;
  p.bias = a.bias;
  p.bias_per_column = a.bias_per_column;
  p.act = a.act;
  sgemm_run(k, p, pool);
}

}  // namespace npuq
