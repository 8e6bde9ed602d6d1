// Data movement for any element type: Concat, Split, Slice, Transpose, Gather, Pad, Tile,
// DepthToSpace, SpaceToDepth. Attributes are normalized by lower.ts (non-negative axes, per-axis
// starts/steps for Slice, pads [begin..., end...] for Pad).
#include <cstring>

#include "engine/ops/ops.h"

namespace npuq {
namespace {

std::vector<size_t> strides_of(const std::vector<int64_t>& s) {
  std::vector<size_t> st(s.size(), 1);
  for (size_t d = s.size(); d-- > 1;) st[d - 1] = st[d] * size_t(s[d]);
  return st;
}

size_t norm_axis(const OpBuild& b, int64_t axis, size_t rank) {
  if (axis < 0) axis += int64_t(rank);
  if (axis < 0 || axis >= int64_t(rank)) b.fail("axis is out of range for rank " + std::to_string(rank));
  return size_t(axis);
}

// Output element -> input element offset map over a multi-index, used by Slice/Transpose/Tile/
// DepthToSpace: out[o] = in[sum_d idx_d * in_step[d] + base]. Copies element by element, or whole
// rows when the innermost step is 1.
struct GatherCopy : Op {
  std::vector<int64_t> out_dims;
  std::vector<int64_t> in_step;  // per output dim, in elements (may be negative for Slice)
  int64_t base = 0;
  size_t es;
  int x, y;
  // Merges adjacent output dims that are also adjacent in the input (a transpose that keeps H, W in
  // order, a slice of the channel axis only), so inner runs are long: [N,2,24,8,8] perm (0,2,1,3,4)
  // copies rows of 64 floats instead of 8. Drops size-1 dims.
  void canonicalize() {
    std::vector<int64_t> d, st;
    for (size_t i = 0; i < out_dims.size(); ++i) {
      if (out_dims[i] == 1) continue;
      if (!d.empty() && st.back() == in_step[i] * out_dims[i]) {
        d.back() *= out_dims[i];
        st.back() = in_step[i];
      } else {
        d.push_back(out_dims[i]);
        st.push_back(in_step[i]);
      }
    }
    if (d.empty()) { d.push_back(1); st.push_back(1); }
    out_dims = d;
    in_step = st;
  }
  void run(const RunState& rs) const override {
    const uint8_t* px = rs.in<uint8_t>(x);
    uint8_t* py = rs.out<uint8_t>(y);
    const size_t r = out_dims.size();
    if (r == 0) { std::memcpy(py, px + base * es, es); return; }
    const size_t inner = out_dims[r - 1];
    const int64_t istep = in_step[r - 1];
    size_t outer = 1;
    for (size_t d = 0; d + 1 < r; ++d) outer *= out_dims[d];
    if (inner == 0) return;
    parallel_ranges(rs.pool(), outer, outer * inner >= 65536 ? 8 : 1, [&](size_t o0, size_t o1) {
      std::vector<int64_t> idx(r, 0);
      int64_t off = base;
      size_t rem = o0;
      for (size_t d = r - 1; d-- > 0;) { idx[d] = rem % out_dims[d]; rem /= out_dims[d]; off += idx[d] * in_step[d]; }
      for (size_t o = o0; o < o1; ++o) {
        uint8_t* dst = py + o * inner * es;
        if (istep == 1) {
          std::memcpy(dst, px + off * es, inner * es);
        } else if (es == 4) {
          const uint32_t* s = reinterpret_cast<const uint32_t*>(px) + off;
          uint32_t* d4 = reinterpret_cast<uint32_t*>(dst);
          for (size_t i = 0; i < inner; ++i) d4[i] = s[int64_t(i) * istep];
        } else {
          for (size_t i = 0; i < inner; ++i) std::memcpy(dst + i * es, px + (off + int64_t(i) * istep) * es, es);
        }
        for (size_t d = r - 1; d-- > 0;) {
          ++idx[d];
          off += in_step[d];
          if (idx[d] < out_dims[d]) break;
          off -= in_step[d] * idx[d];
          idx[d] = 0;
        }
      }
    });
  }
};

std::unique_ptr<GatherCopy> gather_copy(const OpBuild& b) {
  if (b.in(0).dtype != b.out(0).dtype) b.fail("output type differs from input type");
  auto op = std::make_unique<GatherCopy>();
  op->out_dims = b.out(0).shape;
  op->es = dtype_size(static_cast<int>(b.out(0).dtype));
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

std::unique_ptr<Op> make_transpose(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  auto op = gather_copy(b);
  const auto& xs = b.in(0).shape;
  auto perm = b.node.attrs.ints("perm");
  if (perm.size() != xs.size() || op->out_dims.size() != xs.size()) b.fail("perm and the output must have one entry per input dimension");
  auto st = strides_of(xs);
  std::vector<bool> seen(xs.size(), false);
  for (size_t d = 0; d < perm.size(); ++d) {
    size_t p = norm_axis(b, perm[d], xs.size());
    if (seen[p]) b.fail("perm repeats an axis");
    seen[p] = true;
    if (op->out_dims[d] != xs[p]) b.fail("output shape does not match the permutation");
    op->in_step.push_back(int64_t(st[p]));
  }
  op->canonicalize();
  return op;
}

// starts/steps: one per input dim (normalized, starts clamped into range); output shape from the plan.
std::unique_ptr<Op> make_slice(const OpBuild& b) {
  auto op = gather_copy(b);
  const auto& xs = b.in(0).shape;
  auto starts = b.node.attrs.ints("starts"), steps = b.node.attrs.ints("steps");
  if (starts.size() != xs.size() || steps.size() != xs.size() || op->out_dims.size() != xs.size())
    b.fail("starts/steps must have one value per dimension after lowering");
  auto st = strides_of(xs);
  for (size_t d = 0; d < xs.size(); ++d) {
    if (steps[d] == 0) b.fail("steps must not be 0");
    int64_t n = op->out_dims[d];
    if (n > 0) {
      int64_t last = starts[d] + (n - 1) * steps[d];
      if (starts[d] < 0 || starts[d] >= xs[d] || last < 0 || last >= xs[d]) b.fail("slice of axis " + std::to_string(d) + " leaves the input");
    }
    op->base += starts[d] * int64_t(st[d]);
    op->in_step.push_back(steps[d] * int64_t(st[d]));
  }
  op->canonicalize();
  return op;
}

std::unique_ptr<Op> make_tile(const OpBuild& b) {
  auto op = gather_copy(b);
  const auto& xs = b.in(0).shape;
  if (xs.size() != op->out_dims.size()) b.fail("output rank differs from input rank");
  // Tile as a gather over a virtual [repeat, dim] split of each output axis is awkward; instead expand
  // each output axis o -> o % dim with a per-element loop (Tile is rare and small in CNNs).
  struct TileOp : Op {
    std::vector<int64_t> xs, ys;
    size_t es;
    int x, y;
    void run(const RunState& rs) const override {
      const uint8_t* px = rs.in<uint8_t>(x);
      uint8_t* py = rs.out<uint8_t>(y);
      auto xst = strides_of(xs);
      size_t total = shape_numel(ys), r = ys.size();
      std::vector<int64_t> idx(r, 0);
      for (size_t o = 0; o < total; ++o) {
        size_t off = 0;
        for (size_t d = 0; d < r; ++d) off += size_t(idx[d] % xs[d]) * xst[d];
        std::memcpy(py + o * es, px + off * es, es);
        for (size_t d = r; d-- > 0;) { if (++idx[d] < ys[d]) break; idx[d] = 0; }
      }
    }
  };
  auto t = std::make_unique<TileOp>();
  t->xs = xs; t->ys = op->out_dims; t->es = op->es; t->x = op->x; t->y = op->y;
  for (size_t d = 0; d < xs.size(); ++d)
    if (xs[d] == 0 ? t->ys[d] != 0 : t->ys[d] % xs[d] != 0) b.fail("output dims must be multiples of the input dims");
  return t;
}

// DepthToSpace (DCR/CRD) and SpaceToDepth as 6-D transposes of reshaped views.
std::unique_ptr<Op> make_depth_space(const OpBuild& b) {
  b.expect_counts(1, 1, 1, 1);
  auto op = gather_copy(b);
  const auto& xs = b.in(0).shape;
  if (xs.size() != 4) b.fail("input must be 4-D");
  int64_t bs = b.node.attrs.integer("blocksize");
  if (bs < 1) b.fail("blocksize must be >= 1");
  int64_t N = xs[0], C = xs[1], H = xs[2], W = xs[3];
  // Express out[n, c', h', w'] in terms of a 6-D output index and input steps.
  if (b.node.op == "DepthToSpace") {
    if (C % (bs * bs)) b.fail("channels must be divisible by blocksize^2");
    int64_t Co = C / (bs * bs);
    bool crd = b.node.attrs.str("mode", "DCR") == "CRD";
    // out viewed as [N, Co, H, bs(i), W, bs(j)]; input channel = DCR: (i*bs + j)*Co + c ; CRD: c*bs*bs + i*bs + j
    op->out_dims = {N, Co, H, bs, W, bs};
    int64_t cs = H * W;
    op->in_step = {C * H * W, crd ? bs * bs * cs : cs, W, crd ? bs * cs : bs * Co * cs, 1, crd ? cs : Co * cs};
  } else {
    if (H % bs || W % bs) b.fail("height and width must be divisible by blocksize");
    int64_t Ho = H / bs, Wo = W / bs;
    // out channel = (i*bs + j)*C + c; out viewed as [N, bs(i), bs(j), C, Ho, Wo]
    op->out_dims = {N, bs, bs, C, Ho, Wo};
    op->in_step = {C * H * W, W, 1, H * W, bs * W, bs};
  }
  if (shape_numel(op->out_dims) != b.out(0).numel) b.fail("output size mismatch");
  op->canonicalize();
  return op;
}

struct ConcatOp : Op {
  std::vector<int> ins;
  std::vector<size_t> chunk;  // bytes per outer index, per input
  size_t outer, out_chunk;
  int y;
  void run(const RunState& rs) const override {
    uint8_t* py = rs.out<uint8_t>(y);
    for (size_t o = 0; o < outer; ++o) {
      uint8_t* dst = py + o * out_chunk;
      for (size_t i = 0; i < ins.size(); ++i) {
        std::memcpy(dst, rs.in<uint8_t>(ins[i]) + o * chunk[i], chunk[i]);
        dst += chunk[i];
      }
    }
  }
};

std::unique_ptr<Op> make_concat(const OpBuild& b) {
  if (b.num_inputs() < 1) b.fail("needs at least one input");
  const auto& ys = b.out(0).shape;
  size_t axis = norm_axis(b, b.node.attrs.integer("axis"), ys.size());
  size_t es = dtype_size(static_cast<int>(b.out(0).dtype));
  auto op = std::make_unique<ConcatOp>();
  op->outer = 1;
  for (size_t d = 0; d < axis; ++d) op->outer *= ys[d];
  size_t inner = es;
  for (size_t d = axis + 1; d < ys.size(); ++d) inner *= ys[d];
  int64_t total = 0;
  for (size_t i = 0; i < b.num_inputs(); ++i) {
    const auto& s = b.in(i).shape;
    if (b.in(i).dtype != b.out(0).dtype || s.size() != ys.size()) b.fail("input " + std::to_string(i) + " differs in type or rank");
    for (size_t d = 0; d < s.size(); ++d) if (d != axis && s[d] != ys[d]) b.fail("input " + std::to_string(i) + " " + shape_str(s) + " does not match output " + shape_str(ys));
    total += s[axis];
    op->ins.push_back(b.in_id(i));
    op->chunk.push_back(size_t(s[axis]) * inner);
  }
  if (total != ys[axis]) b.fail("input sizes along the axis do not add up to the output's");
  op->out_chunk = size_t(ys[axis]) * inner;
  op->y = b.out_id(0);
  return op;
}

struct SplitOp : Op {
  std::vector<int> outs;
  std::vector<size_t> chunk;
  size_t outer, in_chunk;
  int x;
  void run(const RunState& rs) const override {
    const uint8_t* px = rs.in<uint8_t>(x);
    for (size_t o = 0; o < outer; ++o) {
      const uint8_t* src = px + o * in_chunk;
      for (size_t i = 0; i < outs.size(); ++i) {
        std::memcpy(rs.out<uint8_t>(outs[i]) + o * chunk[i], src, chunk[i]);
        src += chunk[i];
      }
    }
  }
};

std::unique_ptr<Op> make_split(const OpBuild& b) {
  const auto& xs = b.in(0).shape;
  size_t axis = norm_axis(b, b.node.attrs.integer("axis", 0), xs.size());
  size_t es = dtype_size(static_cast<int>(b.in(0).dtype));
  auto op = std::make_unique<SplitOp>();
  op->outer = 1;
  for (size_t d = 0; d < axis; ++d) op->outer *= xs[d];
  size_t inner = es;
  for (size_t d = axis + 1; d < xs.size(); ++d) inner *= xs[d];
  int64_t total = 0;
  for (size_t i = 0; i < b.num_outputs(); ++i) {
    const auto& s = b.out(i).shape;
    if (b.out(i).dtype != b.in(0).dtype || s.size() != xs.size()) b.fail("output " + std::to_string(i) + " differs in type or rank");
    total += s[axis];
    op->outs.push_back(b.out_id(i));
    op->chunk.push_back(size_t(s[axis]) * inner);
  }
  if (total != xs[axis]) b.fail("output sizes along the axis do not add up to the input's");
  op->in_chunk = size_t(xs[axis]) * inner;
  op->x = b.in_id(0);
  return op;
}

struct GatherOp : Op {
  size_t outer, axis_dim, inner_bytes, nidx;
  bool idx64;
  int x, ind, y;
  void run(const RunState& rs) const override {
    const uint8_t* px = rs.in<uint8_t>(x);
    uint8_t* py = rs.out<uint8_t>(y);
    std::vector<size_t> idx(nidx);
    for (size_t k = 0; k < nidx; ++k) {
      int64_t v = idx64 ? rs.in<int64_t>(ind)[k] : rs.in<int32_t>(ind)[k];
      if (v < 0) v += int64_t(axis_dim);
      if (v < 0 || v >= int64_t(axis_dim))
        throw EngineError("INVALID_DATA", "index " + std::to_string(idx64 ? rs.in<int64_t>(ind)[k] : rs.in<int32_t>(ind)[k]) +
                                              " is out of range for an axis of size " + std::to_string(axis_dim));
      idx[k] = size_t(v);
    }
    for (size_t o = 0; o < outer; ++o)
      for (size_t k = 0; k < nidx; ++k)
        std::memcpy(py + (o * nidx + k) * inner_bytes, px + (o * axis_dim + idx[k]) * inner_bytes, inner_bytes);
  }
};

std::unique_ptr<Op> make_gather(const OpBuild& b) {
  b.expect_counts(2, 2, 1, 1);
  const auto& xs = b.in(0).shape;
  size_t axis = norm_axis(b, b.node.attrs.integer("axis", 0), xs.size());
  auto op = std::make_unique<GatherOp>();
  DType it = b.in(1).dtype;
  if (it != DType::Int64 && it != DType::Int32) b.fail("indices must be int32 or int64");
  op->idx64 = it == DType::Int64;
  op->outer = 1;
  for (size_t d = 0; d < axis; ++d) op->outer *= xs[d];
  op->axis_dim = xs[axis];
  op->inner_bytes = dtype_size(static_cast<int>(b.in(0).dtype));
  for (size_t d = axis + 1; d < xs.size(); ++d) op->inner_bytes *= xs[d];
  op->nidx = b.in(1).numel;
  if (b.out(0).dtype != b.in(0).dtype || b.out(0).bytes != op->outer * op->nidx * op->inner_bytes) b.fail("output shape or type mismatch");
  op->x = b.in_id(0); op->ind = b.in_id(1); op->y = b.out_id(0);
  return op;
}

struct PadOp : Op {
  std::vector<int64_t> xs, ys, begin;
  int mode;  // 0 constant, 1 reflect, 2 edge
  std::vector<uint8_t> value;  // one element
  size_t es;
  int x, y;
  void run(const RunState& rs) const override {
    const uint8_t* px = rs.in<uint8_t>(x);
    uint8_t* py = rs.out<uint8_t>(y);
    auto xst = strides_of(xs);
    const size_t r = ys.size(), total = shape_numel(ys);
    std::vector<int64_t> idx(r, 0);
    for (size_t o = 0; o < total; ++o) {
      bool inside = true;
      size_t off = 0;
      for (size_t d = 0; d < r && inside; ++d) {
        int64_t i = idx[d] - begin[d], n = xs[d];
        if (i < 0 || i >= n) {
          if (mode == 0 || n == 0) { inside = false; break; }
          if (mode == 2) i = i < 0 ? 0 : n - 1;
          else {  // reflect without repeating the edge
            if (n == 1) i = 0;
            else {
              int64_t period = 2 * (n - 1);
              i = ((i % period) + period) % period;
              if (i >= n) i = period - i;
            }
          }
        }
        off += size_t(i) * xst[d];
      }
      std::memcpy(py + o * es, inside ? px + off * es : value.data(), es);
      for (size_t d = r; d-- > 0;) { if (++idx[d] < ys[d]) break; idx[d] = 0; }
    }
  }
};

template <class T> void put_value(std::vector<uint8_t>& v, double d) {
  T t = static_cast<T>(d);
  v.resize(sizeof(T));
  std::memcpy(v.data(), &t, sizeof(T));
}

std::unique_ptr<Op> make_pad(const OpBuild& b) {
  auto op = std::make_unique<PadOp>();
  op->xs = b.in(0).shape;
  op->ys = b.out(0).shape;
  const size_t r = op->xs.size();
  auto pads = b.node.attrs.ints("pads");
  if (pads.size() != 2 * r || op->ys.size() != r) b.fail("pads must have 2 * rank values after lowering");
  for (size_t d = 0; d < r; ++d) {
    op->begin.push_back(pads[d]);
    if (op->xs[d] + pads[d] + pads[d + r] != op->ys[d]) b.fail("output shape does not match the pads");
  }
  std::string mode = b.node.attrs.str("mode", "constant");
  op->mode = mode == "constant" ? 0 : mode == "reflect" ? 1 : mode == "edge" ? 2 : -1;
  if (op->mode < 0) b.unsupported("pad mode \"" + mode + "\" is not supported (constant, reflect, edge are)");
  if (op->mode == 1)
    for (size_t d = 0; d < r; ++d)
      if ((pads[d] > 0 || pads[d + r] > 0) && op->xs[d] == 0) b.fail("cannot reflect-pad an empty axis");
  DType dt = b.in(0).dtype;
  if (b.out(0).dtype != dt) b.fail("output type differs from input type");
  op->es = dtype_size(static_cast<int>(dt));
  double v = b.node.attrs.num("value", 0);
  switch (dt) {
    case DType::Float32: put_value<float>(op->value, v); break;
    case DType::Float64: put_value<double>(op->value, v); break;
    case DType::Int64: put_value<int64_t>(op->value, v); break;
    case DType::Int32: put_value<int32_t>(op->value, v); break;
    case DType::Int8: put_value<int8_t>(op->value, v); break;
    case DType::Uint8: case DType::Bool: put_value<uint8_t>(op->value, v); break;
    case DType::Int16: put_value<int16_t>(op->value, v); break;
    case DType::Uint16: put_value<uint16_t>(op->value, v); break;
    default: op->value.assign(op->es, 0); break;
  }
  op->x = b.in_id(0);
  op->y = b.out_id(0);
  return op;
}

}  // namespace

void register_movement_ops(OpTable& t) {
  t.emplace_back("Concat", make_concat);
  t.emplace_back("Split", make_split);
  t.emplace_back("Slice", make_slice);
  t.emplace_back("Transpose", make_transpose);
  t.emplace_back("Gather", make_gather);
  t.emplace_back("Pad", make_pad);
  t.emplace_back("Tile", make_tile);
  t.emplace_back("DepthToSpace", make_depth_space);
  t.emplace_back("SpaceToDepth", make_depth_space);
}

}  // namespace npuq
