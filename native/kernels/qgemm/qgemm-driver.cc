// Integer GEMM driver: BLIS-style blocking (NC columns, KC depth, MC rows) around the tier's MR x NR
// microkernel. Sums of a depth block are stored in an int32 (or int64) block buffer and continued from
// there; after the last depth block the s8 zero-point corrections are applied and the finished block goes
// to the output (requantization or raw accumulators). Integer sums are exact, so the blocking and the
// threading never change a result.
#include <algorithm>
#include <cstring>

#include "kernels/qgemm/qgemm-internal.h"

namespace npuq {

namespace {

constexpr size_t kNC = 256;  // columns per block (rounded to NR)
constexpr size_t kMC = 96;   // rows per block (rounded to MR): MC x KC of the left operand stays in L2

// Depth per block: the right operand's NR x KC micro-panel stays in L1.
size_t kc_max(QOperand k) { return k == QOperand::S8 ? 1024 : k == QOperand::S16 ? 768 : 256; }

// C[i][j] += offb[j] * SA[i] + offa[i] * (SB[j] + K * offb[j])  (mod 2^32), see qgemm-internal.h.
void s8_corrections(int32_t* c, size_t ldc, size_t rows, size_t cols, size_t K, const int32_t* sa, const int32_t* offa,
                    size_t offa_stride, const int32_t* sb, const int32_t* offb, size_t offb_stride) {
  std::vector<uint32_t> t(cols), ob(cols);
  for (size_t j = 0; j < cols; ++j) {
    ob[j] = uint32_t(offb[j * offb_stride]);
    t[j] = uint32_t(sb[j]) + uint32_t(K) * ob[j];
  }
  for (size_t i = 0; i < rows; ++i) {
    const uint32_t s = uint32_t(sa[i]), oa = uint32_t(offa[i * offa_stride]);
    uint32_t* ci = reinterpret_cast<uint32_t*>(c + i * ldc);
    for (size_t j = 0; j < cols; ++j) ci[j] += ob[j] * s + oa * t[j];
  }
}

}  // namespace

void qgemm_run_block(const QGemmProblem& p, size_t m0, size_t m1, size_t n0, size_t n1) {
  if (m0 >= m1 || n0 >= n1) return;
  const QGemmKernel& k = *p.kern;
  const size_t MR = k.mr, NR = k.nr, KP = k.kp, es = qoperand_size(k.kind), K = p.K;
  const size_t Kp = qround_up(K, KP), rows = m1 - m0;
  const bool wide = k.kind == QOperand::S32, s8 = k.kind == QOperand::S8;

  // Left operand: full-depth panels of rows [m0, m1).
  AlignedBytes lhs_buf;
  std::vector<int32_t> lhs_sums;
  const char* lhs;
  const int32_t* sa = nullptr;
  if (p.lhs) {
    lhs = static_cast<const char*>(p.lhs->data.data()) + (m0 / MR) * Kp * MR * es;
    if (s8) sa = p.lhs->sums.data() + m0;
  } else {
    const QPackFormat f{k.kind, MR, KP};
    lhs_buf = AlignedBytes(qpacked_elems(f, K, rows) * es);
    if (s8) lhs_sums.assign(rows, 0);
    qpack_matrix(*p.lhs_src, 0, K, m0, rows, f, lhs_buf.data(), s8 ? lhs_sums.data() : nullptr);
    lhs = static_cast<const char*>(lhs_buf.data());
    sa = lhs_sums.data();
  }

  const size_t kblocks = K == 0 ? 1 : (K + kc_max(k.kind) - 1) / kc_max(k.kind);
  const size_t KC = std::max<size_t>(4, qround_up((K + kblocks - 1) / kblocks, 4));  // multiple of KP (1, 2, 4)
  const size_t NC = std::min(qround_up(kNC, NR), qround_up(n1 - n0, NR)), MC = qround_up(kMC, MR);
  const size_t ldc = NC;
  // Accumulator tiles, not cleared: the first depth block of every tile writes it (accumulate = false),
  // and K = 0 clears it below. (Clearing 64 KB per image was 6.6% of a 16-image 1x1 16->64 16x16 conv.)
  AlignedBytes c_buf(rows * NC * (wide ? sizeof(int64_t) : sizeof(int32_t)));
  int32_t* c32 = wide ? nullptr : static_cast<int32_t*>(c_buf.data());
  int64_t* c64 = wide ? static_cast<int64_t*>(c_buf.data()) : nullptr;
  AlignedBytes rhs_buf;  // allocated at the first block that is copied (not gathered)
  std::vector<int32_t> rhs_sums(s8 && p.rhs_packer ? NC : 0);
  const bool try_gather = k.kind == QOperand::S16 && k.s16_indirect && p.rhs_packer;
  std::vector<const void*> bptrs(try_gather ? KC / KP : 0);

  for (size_t nb = n0; nb < n1; nb += NC) {
    const size_t nc = std::min(NC, n1 - nb);
    if (!rhs_sums.empty()) std::fill(rhs_sums.begin(), rhs_sums.end(), 0);
    if (K == 0) std::memset(c_buf.data(), 0, rows * NC * (wide ? sizeof(int64_t) : sizeof(int32_t)));
    for (size_t k0 = 0; k0 < K; k0 += KC) {
      const size_t kc = std::min(KC, K - k0), kcp = qround_up(kc, KP);
      const QPackFormat f{k.kind, NR, KP};
      const bool gathered = try_gather && p.rhs_packer->gather(k0, kc, nb, f, bptrs.data());
      if (p.rhs_packer && !gathered) {
        if (!rhs_buf.data()) rhs_buf = AlignedBytes(qpacked_elems(f, KC, NC) * es);
        p.rhs_packer->pack(k0, kc, nb, nc, f, rhs_buf.data(), s8 ? rhs_sums.data() : nullptr);
      }
      for (size_t mb = 0; mb < rows; mb += MC) {
        const size_t mend = std::min(rows, mb + MC);
        for (size_t jr = 0; jr < nc; jr += NR) {
          const char* b = p.rhs_packer ? static_cast<const char*>(rhs_buf.data()) + (jr / NR) * kcp * NR * es
                                       : static_cast<const char*>(p.rhs->data.data()) + ((nb + jr) / NR) * Kp * NR * es +
                                             k0 * NR * es;
          const size_t nr = std::min(NR, nc - jr);
          for (size_t ir = mb; ir < mend; ir += MR) {
            const char* a = lhs + (ir / MR) * Kp * MR * es + k0 * MR * es;
            const size_t mr = std::min(MR, rows - ir);
            if (gathered) {
              k.s16_indirect(mr, nr, kcp, reinterpret_cast<const int16_t*>(a),
                             reinterpret_cast<const int16_t* const*>(bptrs.data()), jr * KP,
                             c32 + ir * ldc + jr, ldc, k0 > 0);
            } else if (wide) {
              k.s32(mr, nr, kcp, reinterpret_cast<const int32_t*>(a), reinterpret_cast<const int32_t*>(b),
                    c64 + ir * ldc + jr, ldc, k0 > 0);
            } else if (s8) {
              k.s8(mr, nr, kcp, reinterpret_cast<const int8_t*>(a), reinterpret_cast<const int8_t*>(b),
                   c32 + ir * ldc + jr, ldc, k0 > 0);
            } else {
              k.s16(mr, nr, kcp, reinterpret_cast<const int16_t*>(a), reinterpret_cast<const int16_t*>(b),
                    c32 + ir * ldc + jr, ldc, k0 > 0);
            }
          }
        }
      }
    }
    if (wide) {
      p.out->store64(c64, ldc, m0, m1, nb, nb + nc);
      continue;
    }
    if (s8) {
      const int32_t* sb = p.rhs_packer ? rhs_sums.data() : p.rhs->sums.data() + nb;
      s8_corrections(c32, ldc, rows, nc, K, sa, p.lhs_off + m0 * p.lhs_off_stride, p.lhs_off_stride, sb,
                     p.rhs_off + nb * p.rhs_off_stride, p.rhs_off_stride);
    }
    p.out->store32(c32, ldc, m0, m1, nb, nb + nc);
  }
}

void qgemm_run(const QGemmProblem& p, ThreadPool* pool, size_t m0, size_t m1, size_t n0, size_t n1) {
  if (m0 >= m1 || n0 >= n1) return;
  const size_t threads = pool ? pool->threads() : 1;
  const size_t MR = p.kern->mr, NR = p.kern->nr;
  const size_t m_tiles = (m1 - m0 + MR - 1) / MR, n_tiles = (n1 - n0 + NR - 1) / NR;
  const double macs = double(m1 - m0) * double(n1 - n0) * double(std::max<size_t>(p.K, 1));
  if (threads <= 1 || macs < 262144.0 || (m_tiles < 2 && n_tiles < 2)) return qgemm_run_block(p, m0, m1, n0, n1);
  // Split the operand packed at run time, so no task packs what another one packs too.
  const bool by_columns = p.rhs_packer ? n_tiles >= 2 : m_tiles < 2;
  if (by_columns) {
    parallel_ranges(pool, n_tiles, threads, [&](size_t b, size_t e) {
      qgemm_run_block(p, m0, m1, n0 + b * NR, std::min(n1, n0 + e * NR));
    });
  } else {
    parallel_ranges(pool, m_tiles, threads, [&](size_t b, size_t e) {
      qgemm_run_block(p, m0 + b * MR, std::min(m1, m0 + e * MR), n0, n1);
    });
  }
}

}  // namespace npuq
