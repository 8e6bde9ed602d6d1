// Public elementwise entry points (kernels.h): dispatch and, for channel_affine, the split over N*C.
#include "dispatch/f32-kernels.h"

namespace npuq {

void binary_f32(Isa isa, BinaryOp op, size_t n, const float* a, size_t a_stride, const float* b,
                size_t b_stride, float* y) {
  if (n == 0) return;
  f32_kernels(isa).binary(op, n, a, a_stride ? 1 : 0, b, b_stride ? 1 : 0, y);
}

void binary_rows_f32(Isa isa, BinaryOp op, size_t rows, size_t n, const float* a, const float* b, float* y,
                     ThreadPool* pool) {
  if (rows == 0 || n == 0) return;
  const BinaryFn fn = f32_kernels(isa).binary;
  const size_t threads = pool ? pool->threads() : 1;
  const size_t chunks = rows * n < 16384 ? 1 : threads * 4;
  parallel_ranges(threads > 1 ? pool : nullptr, rows, chunks, [&](size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; ++r) fn(op, n, a + r * n, 1, b + r, 0, y + r * n);
  });
}

void unary_f32(Isa isa, UnaryOp op, float alpha, float beta, size_t n, const float* x, float* y) {
  if (n == 0) return;
  f32_kernels(isa).unary(op, alpha, beta, n, x, y);
}

void channel_affine_f32(Isa isa, size_t N, size_t C, size_t inner, const float* x, const float* scale,
                        const float* shift, float* y, ThreadPool* pool) {
  const size_t planes = N * C;
  if (planes == 0 || inner == 0) return;
  const AffineFn fn = f32_kernels(isa).affine;
  const size_t threads = pool ? pool->threads() : 1;
  const size_t chunks = planes * inner < 65536 ? 1 : threads * 4;
  parallel_ranges(threads > 1 ? pool : nullptr, planes, chunks, [&](size_t b, size_t e) {
    for (size_t p = b; p < e; ++p) fn(inner, x + p * inner, scale[p % C], shift[p % C], y + p * inner);
  });
}

}  // namespace npuq
