// SGEMM driver: cache blocking, packing and threading around the tier's microkernel (ISA-neutral).
#include <algorithm>

#include "kernels/gemm/sgemm-internal.h"

namespace npuq {

namespace {

size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

// K == 0: every output is act(0 + bias).
void fill_bias_only(const SgemmProblem& p, size_t m0, size_t m1, size_t n0, size_t n1) {
  for (size_t i = m0; i < m1; ++i) {
    for (size_t j = n0; j < n1; ++j) {
      float v = 0.0f;
      if (p.bias) v += p.bias_per_column ? p.bias[j] : p.bias[i];
      if (p.act.enabled) {
        v = v > p.act.lo ? v : p.act.lo;
        v = v < p.act.hi ? v : p.act.hi;
      }
      p.C[i * p.ldc + j] = v;
    }
  }
}

}  // namespace

void sgemm_run_block(const F32Kernels& kern, const SgemmProblem& p, size_t m0, size_t m1, size_t n0,
                     size_t n1) {
  if (m0 >= m1 || n0 >= n1) return;
  if (p.K == 0) return fill_bias_only(p, m0, m1, n0, n1);
  const size_t MR = kern.gemm_mr, NR = kern.gemm_nr, K = p.K;
  const size_t kc_max = std::min(kSgemmKC, K);
  AlignedFloats bbuf(p.b_packed ? 0 : round_up(std::min(kSgemmNC, n1 - n0), NR) * kc_max);
  // A raw row-major A goes to a kernel that reads it in place when few column panels would share each
  // packed block; otherwise A is packed block by block.
  const bool raw_a = !p.a_packed && !p.transA && p.lda != 0 && kern.gemm_raw_a && n1 - n0 <= kSgemmRawAMaxN;
  AlignedFloats abuf(p.a_packed || raw_a ? 0 : round_up(std::min(kSgemmMC, m1 - m0), MR) * kc_max);
  SgemmTile tile;
  tile.lda = raw_a ? p.lda : 0;
  tile.bias_per_column = p.bias_per_column;
  tile.act = p.act.enabled;
  tile.lo = p.act.lo;
  tile.hi = p.act.hi;
  for (size_t nb = n0; nb < n1; nb += kSgemmNC) {
    const size_t nc = std::min(kSgemmNC, n1 - nb);
    for (size_t k0 = 0; k0 < K; k0 += kSgemmKC) {
      const size_t kc = std::min(kSgemmKC, K - k0);
      tile.first = k0 == 0;
      tile.last = k0 + kc == K;
      if (!p.b_packed) p.b_packer->pack(k0, kc, nb, nc, NR, bbuf.data());
      for (size_t mb = m0; mb < m1; mb += kSgemmMC) {
        const size_t mc = std::min(kSgemmMC, m1 - mb);
        if (!p.a_packed && !raw_a) sgemm_pack_a_panels(p.A, p.lda, p.transA, mb, mc, k0, kc, MR, abuf.data());
        for (size_t jr = 0; jr < nc; jr += NR) {
          const size_t n = nb + jr;
          const float* bp = p.b_packed ? p.b_packed + (n / NR) * K * NR + k0 * NR : bbuf.data() + (jr / NR) * kc * NR;
          for (size_t ir = 0; ir < mc; ir += MR) {
            const size_t m = mb + ir;
            const float* ap = p.a_packed ? p.a_packed + (m / MR) * K * MR + k0 * MR
                              : raw_a      ? p.A + m * p.lda + k0
                                           : abuf.data() + (ir / MR) * kc * MR;
            tile.bias = !p.bias ? nullptr : p.bias_per_column ? p.bias + n : p.bias + m;
            kern.gemm(std::min(MR, m1 - m), std::min(NR, n1 - n), kc, ap, bp, p.C + m * p.ldc + n, p.ldc, tile);
          }
        }
      }
    }
  }
}

void sgemm_run(const F32Kernels& kern, const SgemmProblem& p, ThreadPool* pool) {
  if (p.M == 0 || p.N == 0) return;
  const size_t threads = pool ? pool->threads() : 1;
  const size_t MR = kern.gemm_mr, NR = kern.gemm_nr;
  const size_t m_tiles = (p.M + MR - 1) / MR, n_tiles = (p.N + NR - 1) / NR;
  const double macs = static_cast<double>(p.M) * p.N * std::max<size_t>(p.K, 1);
  if (threads <= 1 || macs < kParallelMinMacs || (m_tiles < 2 && n_tiles < 2)) {
    sgemm_run_block(kern, p, 0, p.M, 0, p.N);
    return;
  }
  // Split the dimension with more panels; each task packs its own B columns (and all of A if raw).
  if (n_tiles >= m_tiles || n_tiles >= 4 * threads) {
    parallel_ranges(pool, n_tiles, threads, [&](size_t b, size_t e) {
      sgemm_run_block(kern, p, 0, p.M, b * NR, std::min(p.N, e * NR));
    });
  } else {
    parallel_ranges(pool, m_tiles, threads, [&](size_t b, size_t e) {
      sgemm_run_block(kern, p, b * MR, std::min(p.M, e * MR), 0, p.N);
    });
  }
}

}  // namespace npuq
