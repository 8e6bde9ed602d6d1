// Resize (and Upsample, lowered to it) for any rank: nearest (any element type), linear and cubic
// (float32). Each axis gets its taps (input index, weight) once at build time; an output element is
// the tensor product of its axes' taps. Attributes after lowering: mode, coord (the
// coordinate_transformation_mode), nearest_mode, cubic_coeff_a, exclude_outside, extrapolation_value,
// scales (one per axis), roi (2 * rank; used by tf_crop_and_resize).
#include <cmath>
#include <cstring>

#include "engine/ops/ops.h"

namespace npuq {
namespace {

struct Taps {
  std::vector<std::vector<int64_t>> idx;  // per output coordinate
  std::vector<std::vector<float>> w;
  std::vector<uint8_t> outside;           // tf_crop_and_resize extrapolation
};

double to_original(const std::string& coord, double x, double scale, int64_t in, int64_t out, double roi_s, double roi_e, const OpBuild& b) {
  if (coord == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (coord == "pytorch_half_pixel") return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (coord == "align_corners") return out == 1 ? 0.0 : x * double(in - 1) / double(out - 1);
  if (coord == "asymmetric") return x / scale;
  if (coord == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  if (coord == "half_pixel_symmetric") {
    double adj = double(out) / (scale * double(in));
    double center = double(in) / 2.0;
    double offset = center * (1 - adj);
    return offset + (x + 0.5) / scale - 0.5;
  }
  if (coord == "tf_crop_and_resize")
    return out > 1 ? roi_s * double(in - 1) + x * (roi_e - roi_s) * double(in - 1) / double(out - 1)
                   : 0.5 * (roi_s + roi_e) * double(in - 1);
  b.unsupported("coordinate_transformation_mode \"" + coord + "\" is not supported");
}

int64_t nearest_index(const std::string& mode, double x, double scale, const OpBuild& b) {
  if (mode == "simple") return scale < 1.0 ? int64_t(std::ceil(x)) : int64_t(x);  // onnxruntime's Upsample/Resize-10 rule
  if (mode == "round_prefer_floor") return (x - std::floor(x) == 0.5) ? int64_t(std::floor(x)) : int64_t(std::round(x));
  if (mode == "round_prefer_ceil") return (x - std::floor(x) == 0.5) ? int64_t(std::ceil(x)) : int64_t(std::round(x));
  if (mode == "floor") return int64_t(std::floor(x));
  if (mode == "ceil") return int64_t(std::ceil(x));
  b.unsupported("nearest_mode \"" + mode + "\" is not supported");
}

struct ResizeOp : Op {
  std::vector<int64_t> xs, ys;
  std::vector<Taps> taps;
  bool nearest;
  float extrapolation;
  size_t es;
  int x, y;

  // Rows: every output index except the last axis. For each output row, the tensor product of the
  // outer axes' taps gives (input row offset, weight) pairs; the last axis is an inner loop over its
  // own taps. Nearest copies elements; linear/cubic accumulate in double in a fixed tap order.
  void run(const RunState& rs) const override {
    const uint8_t* px = rs.in<uint8_t>(x);
    uint8_t* py = rs.out<uint8_t>(y);
    const size_t r = ys.size();
    if (r == 0 || shape_numel(ys) == 0) return;
    std::vector<size_t> xst(r, 1);
    for (size_t d = r; d-- > 1;) xst[d - 1] = xst[d] * size_t(xs[d]);
    const size_t OW = size_t(ys[r - 1]);
    const Taps& last = taps[r - 1];
    size_t rows = 1;
    for (size_t d = 0; d + 1 < r; ++d) rows *= size_t(ys[d]);
    parallel_ranges(rs.pool(), rows, rows * OW >= 65536 ? 8 : 1, [&](size_t r0, size_t r1) {
      std::vector<int64_t> idx(r, 0), k(r, 0);
      std::vector<std::pair<size_t, double>> row_taps;
      size_t prev_src = 0;
      bool prev_outside = false;
      size_t rem = r0;
      for (size_t d = r - 1; d-- > 0;) { idx[d] = rem % ys[d]; rem /= ys[d]; }
      for (size_t row = r0; row < r1; ++row) {
        bool outside = false;
        for (size_t d = 0; d + 1 < r; ++d) outside = outside || taps[d].outside[idx[d]];
        // Tensor product of the outer axes' taps.
        row_taps.clear();
        std::fill(k.begin(), k.end(), 0);
        for (;;) {
          double w = 1;
          size_t off = 0;
          for (size_t d = 0; d + 1 < r; ++d) {
            w *= taps[d].w[idx[d]][k[d]];
            off += size_t(taps[d].idx[idx[d]][k[d]]) * xst[d];
          }
          row_taps.emplace_back(off, w);
          size_t d = r - 1;
          while (d-- > 0) {
            if (++k[d] < int64_t(taps[d].idx[idx[d]].size())) break;
            k[d] = 0;
          }
          if (d == size_t(-1)) break;
        }
        uint8_t* yrow = py + row * OW * es;
        if (nearest) {
          const size_t src = row_taps[0].first;
          if (row > r0 && src == prev_src && !outside && !prev_outside) {
            // Upsampling repeats input rows: this output row is the previous one.
            std::memcpy(yrow, yrow - OW * es, OW * es);
          } else {
            const uint8_t* xrow = px + src * es;
            switch (es) {
              case 1: gather(reinterpret_cast<const uint8_t*>(xrow), yrow, OW); break;
              case 2: gather(reinterpret_cast<const uint16_t*>(xrow), reinterpret_cast<uint16_t*>(yrow), OW); break;
              case 4: gather(reinterpret_cast<const uint32_t*>(xrow), reinterpret_cast<uint32_t*>(yrow), OW); break;
              case 8: gather(reinterpret_cast<const uint64_t*>(xrow), reinterpret_cast<uint64_t*>(yrow), OW); break;
              default:
                for (size_t o = 0; o < OW; ++o) std::memcpy(yrow + o * es, xrow + size_t(near_[o]) * es, es);
            }
            if (outside || extrapolate_any_) {
              for (size_t o = 0; o < OW; ++o)
                if (outside || last.outside[o]) std::memcpy(yrow + o * es, &extrapolation, es);
            }
          }
          prev_src = src;
          prev_outside = outside;
        } else {
          const float* xf = reinterpret_cast<const float*>(px);
          float* yf = reinterpret_cast<float*>(yrow);
          for (size_t o = 0; o < OW; ++o) {
            if (outside || last.outside[o]) { yf[o] = extrapolation; continue; }
            double acc = 0;
            for (const auto& rt : row_taps) {
              const float* xr = xf + rt.first;
              double inner = 0;
              for (size_t t = 0; t < last.idx[o].size(); ++t) inner += double(last.w[o][t]) * xr[last.idx[o][t]];
              acc += rt.second * inner;
            }
            yf[o] = static_cast<float>(acc);
          }
        }
        for (size_t d = r - 1; d-- > 0;) { if (++idx[d] < ys[d]) break; idx[d] = 0; }
      }
    });
  }
  bool extrapolate_any_ = false;
  std::vector<int64_t> near_;  // nearest: the source index of each output index of the last axis

  // One row of nearest: elements are copied as integers of their size (the bits, whatever the type).
  template <typename T>
  void gather(const T* x, T* y, size_t n) const {
    const int64_t* idx = near_.data();
    for (size_t o = 0; o < n; ++o) y[o] = x[idx[o]];
  }
};

std::unique_ptr<Op> make_resize(const OpBuild& b) {
  auto op = std::make_unique<ResizeOp>();
  const Attrs& a = b.node.attrs;
  op->xs = b.in(0).shape;
  op->ys = b.out(0).shape;
  const size_t r = op->xs.size();
  if (op->ys.size() != r) b.fail("output rank differs from input rank");
  std::string mode = a.str("mode", "nearest"), coord = a.str("coord", "half_pixel"), nmode = a.str("nearest_mode", "round_prefer_floor");
  op->nearest = mode == "nearest";
  if (!op->nearest && mode != "linear" && mode != "cubic") b.unsupported("mode \"" + mode + "\" is not supported");
  if (b.in(0).dtype != b.out(0).dtype) b.fail("output type differs from input type");
  if (!op->nearest) b.expect_float(0);
  op->es = dtype_size(static_cast<int>(b.in(0).dtype));
  if (op->nearest && coord == "tf_crop_and_resize" && b.in(0).dtype != DType::Float32) b.unsupported("extrapolation needs float32 data");
  auto scales = a.nums("scales");
  auto roi = a.nums("roi");
  if (scales.size() != r || roi.size() != 2 * r) b.fail("scales and roi must have rank and 2 * rank values after lowering");
  const double A = a.num("cubic_coeff_a", -0.75);
  const bool exclude = a.integer("exclude_outside", 0) != 0;
  op->extrapolation = static_cast<float>(a.num("extrapolation_value", 0));
  for (size_t d = 0; d < r; ++d) {
    const int64_t in = op->xs[d], out = op->ys[d];
    if (in <= 0 && out > 0) b.fail("cannot resize an empty axis to a non-empty one");
    Taps t;
    t.idx.resize(out);
    t.w.resize(out);
    t.outside.assign(out, 0);
    for (int64_t o = 0; o < out; ++o) {
      double xo = (in == out && scales[d] == 1.0 && coord != "tf_crop_and_resize")
                      ? double(o)
                      : to_original(coord, double(o), scales[d], in, out, roi[d], roi[d + r], b);
      if (coord == "tf_crop_and_resize" && (xo < 0 || xo > double(in - 1))) {
        t.outside[o] = 1;
        t.idx[o] = {0};
        t.w[o] = {0};
        continue;
      }
      if (op->nearest) {
        int64_t i = nearest_index(nmode, xo, scales[d], b);
        t.idx[o] = {std::min(std::max<int64_t>(i, 0), in - 1)};
        t.w[o] = {1};
      } else if (mode == "linear") {
        double xc = std::min(std::max(xo, 0.0), double(in - 1));
        int64_t i0 = std::min<int64_t>(int64_t(std::floor(xc)), in - 1), i1 = std::min<int64_t>(i0 + 1, in - 1);
        double f = xc - double(i0);
        if (i0 == i1 || f == 0) { t.idx[o] = {i0}; t.w[o] = {1}; }
        else { t.idx[o] = {i0, i1}; t.w[o] = {float(1 - f), float(f)}; }
      } else {
        double fl = std::floor(xo), rr = xo - fl;
        double c[4] = {((A * (rr + 1) - 5 * A) * (rr + 1) + 8 * A) * (rr + 1) - 4 * A,
                       ((A + 2) * rr - (A + 3)) * rr * rr + 1,
                       ((A + 2) * (1 - rr) - (A + 3)) * (1 - rr) * (1 - rr) + 1,
                       ((A * (2 - rr) - 5 * A) * (2 - rr) + 8 * A) * (2 - rr) - 4 * A};
        double sum = 0;
        for (int j = 0; j < 4; ++j) {
          int64_t i = int64_t(fl) - 1 + j;
          if (exclude && (i < 0 || i >= in)) c[j] = 0;
          sum += c[j];
        }
        for (int j = 0; j < 4; ++j) {
          int64_t i = int64_t(fl) - 1 + j;
          t.idx[o].push_back(std::min(std::max<int64_t>(i, 0), in - 1));
          t.w[o].push_back(float(exclude && sum != 0 ? c[j] / sum : c[j]));
        }
      }
    }
    for (uint8_t o : t.outside) op->extrapolate_any_ = op->extrapolate_any_ || o;
    op->taps.push_back(std::move(t));
  }
  if (op->nearest && r > 0)
    for (const auto& i : op->taps[r - 1].idx) op->near_.push_back(i[0]);
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

}  // namespace

void register_resize_ops(OpTable& t) { t.emplace_back("Resize", make_resize); }

}  // namespace npuq
