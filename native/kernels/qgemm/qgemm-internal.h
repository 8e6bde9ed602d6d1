// The ISA-neutral integer GEMM driver shared by QGemm and QConv2d: packing, blocking, threading and the
// epilogue around the tier's microkernel (q-kernels.h).
//
// Accumulation modes (chosen at create(), never per tier, so every tier computes the same sums):
//  * int32 ("mode 32"): both operands 8-bit and, for every output channel c,
//        max|a - za| * sum_k |w[c,k] - zw[c]| + |bias[c]| <= INT32_MAX,
//    which bounds every partial sum of (a - za)(w - zw) and the biased total, so int32 never overflows.
//    With 8-bit operands |a - za| <= 255 and |w - zw| <= 255, so any K <= 33025 (33025 * 255^2 =
//    2147450625 < 2^31) with zero bias is always mode 32; the per-channel check from the actual weights
//    admits more. Operands: int16 (q - zp) (s16s16_s32 kernels, exact products through vpmaddwd /
//    vmlal_s16 / vwmacc) or, on tiers with a signed dot product, int8 offsets (s8s8_s32, below).
//  * int64 otherwise (16-bit operands, or 8-bit sums that may leave int32): int32 (q - zp) operands,
//    int64 products and sums (s32s32_s64 kernels); K <= 2^30 keeps them below 2^62.
//
// s8 operands: u8 values are stored as q - 128 and s8 as q; with off = 128 - zp (u8) or -zp (s8),
// (a - za)(b - zb) = (a' + offa)(b' + offb), so per tile
//     C = sum a'b' + offb * SA + offa * SB + K * offa * offb,   SA = sum_k a', SB = sum_k b',
// evaluated modulo 2^32 (uint32): the true value fits int32 (mode 32), so the wrapped result is exact.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dispatch/q-kernels.h"
#include "kernels/requant/requant-internal.h"

namespace npuq {

// 64-byte aligned, uninitialized bytes.
class AlignedBytes {
 public:
  AlignedBytes() = default;
  explicit AlignedBytes(size_t n);
  void* data() { return ptr_.get(); }
  const void* data() const { return ptr_.get(); }
 private:
  struct Free { void operator()(void* p) const; };
  std::unique_ptr<void, Free> ptr_;
};

inline size_t qround_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

enum class QOperand : uint8_t { S16, S8, S32 };
inline size_t qoperand_size(QOperand k) { return k == QOperand::S8 ? 1 : k == QOperand::S16 ? 2 : 4; }

// The microkernel a problem runs with, chosen at create().
struct QGemmKernel {
  QOperand kind = QOperand::S16;
  const char* name = nullptr;
  size_t mr = 1, nr = 1, kp = 1;
  QGemmS16Fn s16 = nullptr;
  QGemmS16IndirectFn s16_indirect = nullptr;  // optional, for packers that can gather
  QGemmS8Fn s8 = nullptr;
  QGemmS32Fn s32 = nullptr;
};
// mode32: the int32 bound holds (then s8 if the tier has it, else s16); otherwise s32.
QGemmKernel choose_qgemm_kernel(const QKernels& k, bool mode32);

struct QPackFormat {
  QOperand kind = QOperand::S16;
  size_t lanes = 1, kp = 1;
};
// Elements of a packed block of lc lanes x kc depth.
inline size_t qpacked_elems(const QPackFormat& f, size_t kc, size_t lc) {
  return qround_up(lc, f.lanes) * qround_up(kc, f.kp);
}

// A typed matrix seen as depth x lanes: element (k, l) at data[lane_major ? l*ld + k : k*ld + l], zero
// point zp[l * zp_stride].
struct QMatrixSource {
  const void* data = nullptr;
  QType type = QType::U8;
  size_t ld = 0;
  bool lane_major = true;
  const int32_t* zp = nullptr;
  size_t zp_stride = 0;
};

// Packs lanes [l0, l0+lc) x depth [k0, k0+kc) into panels of format f (q-kernels.h): S16 / S32 hold
// q - zp; S8 holds the offset values and adds each lane's sum of them to sums[l - l0] (if sums).
void qpack_matrix(const QMatrixSource& s, size_t k0, size_t kc, size_t l0, size_t lc, const QPackFormat& f,
                  void* dst, int32_t* sums);

// The offset of s8 operands (see above) for a value type and zero point.
inline int32_t qs8_offset(QType t, int32_t zp) { return (t == QType::U8 ? 128 : 0) - zp; }

// A right operand produced block by block at run time (im2col, the input of a 1x1 convolution).
class QRhsPacker {
 public:
  virtual ~QRhsPacker() = default;
  // Columns [n0, n0+nc) x depth [k0, k0+kc), as qpack_matrix.
  virtual void pack(size_t k0, size_t kc, size_t n0, size_t nc, const QPackFormat& f, void* dst,
                    int32_t* sums) const = 0;
  // Optional, for indirect microkernels: the addresses of depth groups [k0, k0+kc) at column n0 (group g
  // at ptrs[g], column j at + j * kp elements, NR * kp elements readable past the last column). Returns
  // false when the operand cannot be read in place.
  virtual bool gather(size_t k0, size_t kc, size_t n0, const QPackFormat& f, const void** ptrs) const { return false; }
};

class QMatrixPacker final : public QRhsPacker {
 public:
  explicit QMatrixPacker(const QMatrixSource& s) : s_(s) {}
  void pack(size_t k0, size_t kc, size_t n0, size_t nc, const QPackFormat& f, void* dst, int32_t* sums) const override {
    qpack_matrix(s_, k0, kc, n0, nc, f, dst, sums);
  }
 private:
  QMatrixSource s_;
};

// Receives finished blocks: exact sums (bias not included) of rows [m0, m1) x columns [n0, n1), row
// stride ldc. Called concurrently for disjoint blocks.
class QGemmOutput {
 public:
  virtual ~QGemmOutput() = default;
  virtual void store32(const int32_t* c, size_t ldc, size_t m0, size_t m1, size_t n0, size_t n1) const = 0;
  virtual void store64(const int64_t* c, size_t ldc, size_t m0, size_t m1, size_t n0, size_t n1) const = 0;
};

// An operand packed once over the full depth (constant weights): panel i at data + i * Kp * lanes
// elements, Kp = round_up(K, kp); for s8, per-lane sums and offsets.
struct QPackedOperand {
  AlignedBytes data;
  std::vector<int32_t> sums, offsets;
};
QPackedOperand qprepack(const QGemmKernel& k, size_t lanes_per_panel, const QMatrixSource& s, size_t K, size_t lanes);

struct QGemmProblem {
  size_t M = 0, N = 0, K = 0;
  const QGemmKernel* kern = nullptr;
  // Left operand (rows): prepacked (lhs->data; m0 of a block must be a multiple of MR), or packed per
  // task from lhs_src. lhs_off[i * lhs_off_stride]: s8 offsets per row.
  const QPackedOperand* lhs = nullptr;
  const QMatrixSource* lhs_src = nullptr;
  const int32_t* lhs_off = nullptr;
  size_t lhs_off_stride = 0;
  // Right operand (columns): prepacked (n0 a multiple of NR) or a packer.
  const QPackedOperand* rhs = nullptr;
  const QRhsPacker* rhs_packer = nullptr;
  const int32_t* rhs_off = nullptr;
  size_t rhs_off_stride = 0;
  const QGemmOutput* out = nullptr;
};

// Rows [m0, m1) x columns [n0, n1) on the calling thread.
void qgemm_run_block(const QGemmProblem& p, size_t m0, size_t m1, size_t n0, size_t n1);
// Rows [m0, m1) x columns [n0, n1) split over the pool (nullptr = serial): over columns when the right
// operand is packed at run time, else over rows.
void qgemm_run(const QGemmProblem& p, ThreadPool* pool, size_t m0, size_t m1, size_t n0, size_t n1);

// ---- create() helpers (qgemm-validate.cc); all throw std::invalid_argument naming the bad value ----
// An operand type must be U8, S8, U16 or S16.
void qcheck_operand_type(const char* what, const char* name, QType t);
// A zero point must lie in its type's range.
void qcheck_zero_point(const char* what, const char* name, int64_t zp, QType t);
// Zero points given once or per channel, expanded to `channels` entries, each checked against t.
std::vector<int32_t> qexpand_zero_points(const char* what, const char* name, const std::vector<int32_t>& zp,
                                         size_t channels, QType t);
// Bias empty (zeros) or one per channel, each |b| <= 2^62; expanded to `channels` entries.
std::vector<int64_t> qexpand_bias(const char* what, const std::vector<int64_t>& bias, size_t channels);
// Mode 32 test (see above): max_a * abs_w_sum[c] + |bias[c]| <= INT32_MAX for every channel.
bool qfits_int32(int64_t max_a, const std::vector<int64_t>& abs_w_sum, const std::vector<int64_t>& bias);
// The bias as int32 (valid in mode 32).
std::vector<int32_t> qbias32(const std::vector<int64_t>& bias);

// Largest |q - zp| over the values of type t.
inline int64_t qmax_centered(QType t, int32_t zp) {
  const int64_t a = int64_t(zp) - qtype_min(t), b = int64_t(qtype_max(t)) - zp;
  return a > b ? a : b;
}
inline bool qis_8bit(QType t) { return t == QType::U8 || t == QType::S8; }

}  // namespace npuq
