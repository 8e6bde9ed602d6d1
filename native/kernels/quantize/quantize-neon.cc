// quantize_f32_8x__neon / dequantize_f32_8x__neon: 8 elements per step (two float32x4), the partial
// last vector through stack buffers. Quantize: vdivq (a true division, as the scalar x / scale), clamp
// with FMAXNM/FMINNM to [qmin - zp, qmax - zp], round (vcvtnq for HalfToEven, see qvec-neon.h), + zp,
// NaN inputs -> clamp(zp). Dequantize: vcvtq_f32(q - zp) * scale. Types U8..S16, |zp| <= 2^20.
#include "dispatch/q-eltwise.h"
#include "kernels/qeltwise/qvec-neon.h"

namespace npuq {

void quantize_f32_8x__neon(size_t n, const float* x, float scale, int32_t zp, Round round, QType t, void* y) {
  const FloatOut o = float_out(zp, tmin(t), tmax(t), round);
  const float32x4_t vs = vdupq_n_f32(scale);
  const size_t es = tsize(t);
  char* py = static_cast<char*>(y);
  auto one = [&](float32x4_t v) { return finish4(vdivq_f32(v, vs), isnan4(v), o); };
  auto eight = [&](const float* p) { return V8{one(vld1q_f32(p)), one(vld1q_f32(p + 4))}; };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) store8(py + i * es, t, eight(x + i));
  if (i < n) {
    alignas(16) float tx[8] = {0};
    alignas(16) char ty[16];
    const size_t r = n - i;
    std::memcpy(tx, x + i, r * sizeof(float));
    store8(ty, t, eight(tx));
    std::memcpy(py + i * es, ty, r * es);
  }
}

void dequantize_f32_8x__neon(size_t n, const void* q, QType t, float scale, int32_t zp, float* y) {
  const float32x4_t vs = vdupq_n_f32(scale);
  const int32x4_t vz = vdupq_n_s32(zp);
  const size_t es = tsize(t);
  const char* pq = static_cast<const char*>(q);
  auto eight = [&](const void* p, float* out) {
    const V8 v = load8(p, t);
    vst1q_f32(out, vmulq_f32(vcvtq_f32_s32(vsubq_s32(v.lo, vz)), vs));
    vst1q_f32(out + 4, vmulq_f32(vcvtq_f32_s32(vsubq_s32(v.hi, vz)), vs));
  };
  size_t i = 0;
  for (; i + 8 <= n; i += 8) eight(pq + i * es, y + i);
  if (i < n) {
    alignas(16) char tq[16] = {0};
    alignas(16) float ty[8];
    const size_t r = n - i;
    std::memcpy(tq, pq + i * es, r * es);
    eight(tq, ty);
    std::memcpy(y + i, ty, r * sizeof(float));
  }
}

}  // namespace npuq
