// quantize_f32_8x__avx2 / dequantize_f32_8x__avx2: 8 lanes per step, the partial last vector through
// stack buffers. Quantize: a true division (_mm256_div_ps, as x / scale in the scalar code), clamp in
// float to [qmin - zp, qmax - zp] (NaN quotients to the low bound), round (cvtps for HalfToEven,
// floor-and-fraction logic for the other modes), + zp, NaN inputs -> clamp(zp), exact packs.
// Dequantize: cvtepi32_ps(q - zp) * scale. Types U8..S16 with |zp| <= 2^20 (the driver checks).
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qvec-avx2.h"

namespace npuq {

void quantize_f32_8x__avx2(size_t n, const float* x, float scale, int32_t zp, Round round, QType t, void* y) {
  const FloatOut o = float_out(zp, tmin(t), tmax(t), round);
  const __m256 vs = _mm256_set1_ps(scale);
  const size_t es = tsize(t);
  char* py = static_cast<char*>(y);
  auto one = [&](__m256 v) { return finish8(_mm256_div_ps(v, vs), isnan8(v), o); };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) store8(py + i * es, t, one(_mm256_loadu_ps(x + i)));
  if (i < n) {
    alignas(32) float tx[8] = {0};
    alignas(32) char ty[16];
    const size_t r = n - i;
    std::memcpy(tx, x + i, r * sizeof(float));
    store8(ty, t, one(_mm256_load_ps(tx)));
    std::memcpy(py + i * es, ty, r * es);
  }
}

void dequantize_f32_8x__avx2(size_t n, const void* q, QType t, float scale, int32_t zp, float* y) {
  const __m256 vs = _mm256_set1_ps(scale);
  const __m256i vz = _mm256_set1_epi32(zp);
  const size_t es = tsize(t);
  const char* pq = static_cast<const char*>(q);
  auto one = [&](const void* p) { return _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(load8(p, t), vz)), vs); };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, one(pq + i * es));
  if (i < n) {
    alignas(32) char tq[16] = {0};
    alignas(32) float ty[8];
    const size_t r = n - i;
    std::memcpy(tq, pq + i * es, r * es);
    _mm256_store_ps(ty, one(tq));
    std::memcpy(y + i, ty, r * sizeof(float));
  }
}

}  // namespace npuq
