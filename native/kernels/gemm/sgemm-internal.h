// The ISA-neutral SGEMM driver: BLIS-style blocking (NC columns, KC depth, MC rows) around the tier's
// MR x NR microkernel. Partial sums of a K block are stored in C and continued from there, so the fma
// chain of every output runs over k = 0..K-1 in order exactly as the scalar specification says; bias
// and activation are applied after the last K block only.
#pragma once
#include <cstddef>

#include "dispatch/f32-kernels.h"
#include "npuq/kernels.h"

namespace npuq {

constexpr size_t kSgemmKC = 256;   // K block: one B micro-panel (KC x 16 floats = 16 KiB) stays in L1
constexpr size_t kSgemmMC = 72;    // rows of A per block (multiple of every MR: 4, 6, 8), ~72 KiB in L2
// Below ~0.5M multiply-adds (~10 us on one core) waking the other threads costs more than it saves.
constexpr double kParallelMinMacs = 524288.0;
constexpr size_t kSgemmNC = 1024;  // columns of B per block (multiple of 8 and 16), 1 MiB
// Up to this many columns, a tier with gemm_raw_a reads a row-major A in place instead of packing it:
// packing costs about a cycle per float of A, against N/16 cycles of fma per float, so it is 17% of
// digits_cnn's 64x1600x64 classifier (raw: 0.146 -> 0.119 ms, AVX2), while at 1024^3 the six row streams
// (4 KiB apart) made the kernel 3-7% slower than the packed panel.
constexpr size_t kSgemmRawAMaxN = 256;

// Produces NR-panels of op(B) for the driver: rows [k0, k0+kc) x columns [n0, n0+nc) go to
// dst + (j / nr) * kc * nr + k * nr + j % nr (j, k relative to n0, k0); columns past nc are zero.
class SgemmBPacker {
 public:
  virtual ~SgemmBPacker() = default;
  virtual void pack(size_t k0, size_t kc, size_t n0, size_t nc, size_t nr, float* dst) const = 0;
};

// Packs a row-major (or transposed) B; also used for 1x1 convolutions straight from the input.
class RowMajorBPacker final : public SgemmBPacker {
 public:
  RowMajorBPacker(const float* B, size_t ldb, bool transB) : B_(B), ldb_(ldb), trans_(transB) {}
  void pack(size_t k0, size_t kc, size_t n0, size_t nc, size_t nr, float* dst) const override;
 private:
  const float* B_;
  size_t ldb_;
  bool trans_;
};

struct SgemmProblem {
  size_t M = 0, N = 0, K = 0;
  // A: prepacked MR-panels over the full K (panel i at a_packed + i*K*MR), or raw op(A) (packed per
  // block by the driver, or read in place by a gemm_raw_a kernel).
  const float* a_packed = nullptr;
  const float* A = nullptr;
  size_t lda = 0;
  bool transA = false;
  // B: prepacked NR-panels over the full K (panel j at b_packed + j*K*NR), or a packer.
  const float* b_packed = nullptr;
  const SgemmBPacker* b_packer = nullptr;
  float* C = nullptr;
  size_t ldc = 0;
  const float* bias = nullptr;
  bool bias_per_column = true;
  Activation act;
};

// Panels of mr rows of op(A) rows [m0, m0+mc) x depth [k0, k0+kc): dst + (i / mr) * kc * mr + k * mr + i % mr.
void sgemm_pack_a_panels(const float* A, size_t lda, bool transA, size_t m0, size_t mc, size_t k0,
                         size_t kc, size_t mr, float* dst);
// Floats needed to hold op(A) [M x K] packed in full for a kernel with this MR.
inline size_t sgemm_packed_a_size(size_t M, size_t K, size_t mr) { return (M + mr - 1) / mr * mr * K; }
// Packs op(A) [M x K] in full (the a_packed layout).
void sgemm_pack_a_full(const float* A, size_t lda, bool transA, size_t M, size_t K, size_t mr, float* dst);

// Computes rows [m0, m1) x columns [n0, n1) of the problem on the calling thread. With a_packed, m0
// must be a multiple of the kernel's MR; with b_packed, n0 a multiple of NR.
void sgemm_run_block(const F32Kernels& k, const SgemmProblem& p, size_t m0, size_t m1, size_t n0, size_t n1);
// The whole problem, split over the pool's threads by column or row panels (nullptr = serial).
void sgemm_run(const F32Kernels& k, const SgemmProblem& p, ThreadPool* pool);

}  // namespace npuq
