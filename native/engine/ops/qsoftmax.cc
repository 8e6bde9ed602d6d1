// QSoftmax: onnxruntime's QLinearSoftmax (com.microsoft, CPU), which onnxruntime fuses from
// DequantizeLinear -> Softmax -> QuantizeLinear on 8-bit tensors. Sources (microsoft/onnxruntime):
// contrib_ops/cpu/quantization/qlinear_softmax.cc (QlinearBuildLookupTableUint32, QlinearSoftmaxCPU,
// Y_scale = floor(1 / y_scale)) and core/mlas/lib/qsoftmax*.cpp (the same table, per-row kernels).
//
//   table[i] = float(exp((i - 255 + b / s_x) * s_x)), i = 0..255, b = max(0, log(FLT_MAX / D) - 5)
//     (indexed by uint8(i - 128) for int8 inputs)
//   per row: e_k = table[255 - max + x_k] (uint8) or table[uint8(127 - max + x_k)] (int8),
//            sum = float sum of e_k in order, Y = floor(1.0f / s_y),
//            y_k = clamp(nearbyintf(float(e_k * Y) / sum) + z_y, qmin, qmax)
// Measured against onnxruntime-node 1.30 on x64 AVX2 (test/quantize/qsoftmax.test.ts): results saturate
// to the type's range (the source's scalar int8 path would wrap), and a product e_k * Y that overflows
// float gives the type's minimum (an x86 conversion of +inf gives INT32_MIN, then saturation).
//
// Inputs: x (uint8 or int8). Attributes: x_scale, y_scale (float), y_zp, axis (normalized),
// legacy (1 for opset < 13: the input is coerced to 2-D at axis), out_dtype (= the input's type).
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>

#include "engine/ops/ops.h"
#include "engine/ops/qtypes.h"

namespace npuq {
namespace {

struct QSoftmaxOp : Op {
  bool is_signed = false;
  float table[256];
  float y_mult = 0;  // floor(1 / y_scale)
  int32_t y_zp = 0, qmin = 0, qmax = 255;
  size_t outer = 1, n = 1, inner = 1;
  int x = -1, y = -1;

  int32_t out_value(float e, float sum) const {
    const float p = (e * y_mult) / sum;
    // nearbyintf under the default rounding mode (half to even); +inf converts to INT32_MIN on x86.
    const int64_t v = std::isfinite(p) ? int64_t(std::nearbyintf(p)) + y_zp : int64_t(INT32_MIN);
    return int32_t(std::min<int64_t>(qmax, std::max<int64_t>(qmin, v)));
  }

  template <class T> void run_rows(const T* px, T* py, size_t o0, size_t o1) const {
    for (size_t o = o0; o < o1; ++o)
      for (size_t j = 0; j < inner; ++j) {
        const T* xr = px + o * n * inner + j;
        T* yr = py + o * n * inner + j;
        int32_t mx = xr[0];
        for (size_t i = 1; i < n; ++i) mx = std::max<int32_t>(mx, xr[i * inner]);
        auto e = [&](size_t i) -> float {
          const int32_t v = xr[i * inner];
          return is_signed ? table[uint8_t(127 - mx + v)] : table[255 - mx + v];
        };
        float sum = 0;
        for (size_t i = 0; i < n; ++i) sum += e(i);
        for (size_t i = 0; i < n; ++i) yr[i * inner] = T(out_value(e(i), sum));
      }
  }

  void run(const RunState& rs) const override {
    parallel_ranges(rs.pool(), outer, outer >= 64 ? 8 : 1, [&](size_t o0, size_t o1) {
      if (is_signed) run_rows(rs.in<int8_t>(x), rs.out<int8_t>(y), o0, o1);
      else run_rows(rs.in<uint8_t>(x), rs.out<uint8_t>(y), o0, o1);
    });
  }
};

std::unique_ptr<Op> make_qsoftmax(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  const DType dt = b.in(0).dtype;
  if (dt != DType::Uint8 && dt != DType::Int8) b.unsupported("QSoftmax takes uint8 or int8 input (onnxruntime's QLinearSoftmax)");
  b.expect_dtype(b.out(0), dt, "output");
  const auto& xs = b.in(0).shape;
  int64_t axis = b.node.attrs.integer("axis", -1);
  if (axis < 0) axis += int64_t(xs.size());
  if (xs.empty() || axis < 0 || axis >= int64_t(xs.size())) b.fail("axis is out of range");
  const float xsc = static_cast<float>(b.node.attrs.num("x_scale", 0));
  const float ysc = static_cast<float>(b.node.attrs.num("y_scale", 0));
  if (!(xsc > 0) || !std::isfinite(xsc) || !(ysc > 0) || !std::isfinite(ysc)) b.fail("x_scale and y_scale must be positive finite numbers");
  const bool legacy = b.node.attrs.integer("legacy", 0) != 0;
  auto op = std::make_unique<QSoftmaxOp>();
  op->is_signed = dt == DType::Int8;
  op->qmin = op->is_signed ? -128 : 0;
  op->qmax = op->is_signed ? 127 : 255;
  const int64_t zp = b.node.attrs.integer("y_zp", 0);
  if (zp < op->qmin || zp > op->qmax) b.fail("y_zp is outside the output type's range");
  op->y_zp = int32_t(zp);
  for (int64_t i = 0; i < axis; ++i) op->outer *= size_t(xs[i]);
  op->n = legacy ? b.in(0).numel / std::max<size_t>(op->outer, 1) : size_t(xs[axis]);
  op->inner = legacy ? 1 : b.in(0).numel / std::max<size_t>(op->outer * op->n, 1);
  if (b.in(0).numel == 0 || op->n == 0) b.fail("the softmax axis is empty");
  // QlinearBuildLookupTableUint32 with EXP_OUT_DTYPE = float: FLT_MAX / D in float, log and exp in double.
  double shift = std::log(double(std::numeric_limits<float>::max() / float(op->n)));
  shift = std::max(0.0, shift - 5.0) / double(xsc);
  for (int32_t i = 0; i < 256; ++i) {
    const double e = std::exp((double(i) - 255 + shift) * double(xsc));
    op->table[uint8_t(op->is_signed ? i - 128 : i)] = static_cast<float>(e);
  }
  op->y_mult = std::floor(1.0f / ysc);
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

}  // namespace

void register_qsoftmax_ops(OpTable& t) { t.emplace_back("QSoftmax", make_qsoftmax); }

}  // namespace npuq
