// QConv2d: the scalar tier against a naive reference (int64 sums, padding = real 0, + requantize()), every
// other tier and the threaded runs against scalar bit for bit (outputs and run_acc): grouped, depthwise
// with channel multipliers, strides, dilations, pads, 1x1 direct, im2col over several depth and column
// blocks, every operand type pair, zero points at the extremes, every requantization method; ONNX
// QLinearConv / ConvInteger vectors; create() validation.
#include <stdexcept>

#include "qtest-util.h"
#include "dispatch/q-kernels.h"
#include "kernels/qconv/qconv-dw-c8.h"
#include "kernels/qconv/qconv-internal.h"
#include "kernels/qconv/qplane.h"

using namespace npuq;

namespace {

struct Case {
  QConv2dParams p;
  std::string str() const {
    return check::format("N=%zu C=%zu H=%zu W=%zu M=%zu OH=%zu OW=%zu K=%zux%zu S=%zux%zu D=%zux%zu P=%zu,%zu G=%zu "
                         "in=%s(zp %d) w=%s(zp %d%s) out=%s bias=%s %s",
                         p.N, p.C, p.H, p.W, p.M, p.OH, p.OW, p.KH, p.KW, p.SH, p.SW, p.DH, p.DW, p.PT, p.PL, p.G,
                         qt::type_name(p.in_type), p.in_zp, qt::type_name(p.w_type), p.w_zp[0],
                         p.w_zp.size() > 1 ? " per-ch" : "", qt::type_name(p.out_type),
                         p.bias.empty() ? "none" : check::format("%lld..", (long long)p.bias[0]).c_str(),
                         qt::requant_str(p.requant).c_str());
  }
};

struct Data {
  std::vector<int32_t> x, w;
  std::vector<uint8_t> xb, wb;
};

void reference(const QConv2dParams& p, const Data& d, std::vector<int64_t>& acc, std::vector<int32_t>& y) {
  const size_t Cg = p.C / p.G, Mg = p.M / p.G;
  acc.assign(p.N * p.M * p.OH * p.OW, 0);
  y.assign(acc.size(), 0);
  for (size_t n = 0; n < p.N; ++n)
    for (size_t m = 0; m < p.M; ++m) {
      const size_t g = m / Mg;
      const int64_t zw = p.w_zp.size() == 1 ? p.w_zp[0] : p.w_zp[m];
      for (size_t oh = 0; oh < p.OH; ++oh)
        for (size_t ow = 0; ow < p.OW; ++ow) {
          int64_t s = p.bias.empty() ? 0 : p.bias[m];
          for (size_t c = 0; c < Cg; ++c)
            for (size_t kh = 0; kh < p.KH; ++kh)
              for (size_t kw = 0; kw < p.KW; ++kw) {
                const long ih = long(oh * p.SH + kh * p.DH) - long(p.PT), iw = long(ow * p.SW + kw * p.DW) - long(p.PL);
                if (ih < 0 || iw < 0 || ih >= long(p.H) || iw >= long(p.W)) continue;  // (zp - zp) * w = 0
                const int64_t xv = d.x[((n * p.C + g * Cg + c) * p.H + ih) * p.W + iw];
                const int64_t wv = d.w[((m * Cg + c) * p.KH + kh) * p.KW + kw];
                s += (xv - p.in_zp) * (wv - zw);
              }
          const size_t i = ((n * p.M + m) * p.OH + oh) * p.OW + ow;
          acc[i] = s;
          y[i] = requantize(s, p.requant, m);
        }
    }
}

ThreadPool& pool2() {
  static ThreadPool p(2);
  return p;
}

struct Result {
  std::vector<uint8_t> y;
  std::vector<int64_t> acc;
};

Result run(Isa isa, const QConv2dParams& p, const Data& d, ThreadPool* pool) {
  auto conv = QConv2d::create(isa, p, d.wb.data());
  const size_t n = p.N * p.M * p.OH * p.OW;
  Result r;
  r.y.assign(n * qtype_size(p.out_type) + 1, 0x5A);
  r.acc.assign(n + 1, 0x5A5A);
  conv->run(d.xb.data(), r.y.data(), pool);
  conv->run_acc(d.xb.data(), r.acc.data(), pool);
  return r;
}

void check_case(const Case& c, const Data& d) {
  const QConv2dParams& p = c.p;
  std::vector<int64_t> racc;
  std::vector<int32_t> ry;
  reference(p, d, racc, ry);
  const Result s = run(Isa::Scalar, p, d, nullptr);
  const size_t n = racc.size();
  for (size_t i = 0, bad = 0; i < n && bad < 3; ++i) {
    const bool ok = s.acc[i] == racc[i] && qt::from_bytes(s.y, i, p.out_type) == ry[i];
    if (!ok) ++bad;
    CHECK(ok, "scalar vs reference at %zu: acc %lld/%lld y %d/%d | %s", i, (long long)s.acc[i], (long long)racc[i],
          qt::from_bytes(s.y, i, p.out_type), ry[i], c.str().c_str());
  }
  CHECK(s.y.back() == 0x5A && s.acc.back() == 0x5A5A, "scalar wrote past the output | %s", c.str().c_str());
  std::vector<Isa> tiers = tu::simd_tiers();
  tiers.push_back(Isa::Scalar);
  for (Isa isa : tiers)
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2()}) {
      if (isa == Isa::Scalar && !pool) continue;
      const Result t = run(isa, p, d, pool);
      size_t i = 0;
      while (i < n && t.acc[i] == s.acc[i] && qt::from_bytes(t.y, i, p.out_type) == qt::from_bytes(s.y, i, p.out_type)) ++i;
      CHECK(t.y == s.y && t.acc == s.acc, "%s%s vs scalar: first difference at %zu: acc %lld/%lld y %d/%d | %s",
            isa_name(isa), pool ? " (2 threads)" : "", i, i < n ? (long long)t.acc[i] : 0LL,
            i < n ? (long long)s.acc[i] : 0LL, i < n ? qt::from_bytes(t.y, i, p.out_type) : 0,
            i < n ? qt::from_bytes(s.y, i, p.out_type) : 0, c.str().c_str());
    }
}

const QType kIn[] = {QType::U8, QType::S8, QType::U16, QType::S16};
const QType kW[] = {QType::S8, QType::U8, QType::S16, QType::U16};
const QType kOut[] = {QType::U8, QType::S8, QType::U16, QType::S16, QType::S32};
bool is8(QType t) { return t == QType::U8 || t == QType::S8; }

// Geometry: pads top/left and bottom/right; OH/OW follow.
struct Geo {
  size_t N, C, H, W, M, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR, G;
};

Case make_case(std::mt19937& rng, const Geo& g, QType it, QType wt, int variant) {
  Case c;
  QConv2dParams& p = c.p;
  p.N = g.N; p.C = g.C; p.H = g.H; p.W = g.W; p.M = g.M; p.KH = g.KH; p.KW = g.KW; p.SH = g.SH; p.SW = g.SW;
  p.DH = g.DH; p.DW = g.DW; p.PT = g.PT; p.PL = g.PL; p.G = g.G;
  p.OH = (g.H + g.PT + g.PB - ((g.KH - 1) * g.DH + 1)) / g.SH + 1;
  p.OW = (g.W + g.PL + g.PR - ((g.KW - 1) * g.DW + 1)) / g.SW + 1;
  p.in_type = it; p.w_type = wt; p.out_type = kOut[variant % 5];
  p.in_zp = qt::rand_zp(rng, it);
  if (rng() % 2) {
    p.w_zp.resize(g.M);
    for (auto& z : p.w_zp) z = rng() % 3 ? 0 : qt::rand_zp(rng, wt);
  } else {
    p.w_zp = {rng() % 2 ? 0 : qt::rand_zp(rng, wt)};
  }
  if (rng() % 3) {
    p.bias.resize(g.M);
    const int64_t range = rng() % 8 == 0 ? (int64_t(1) << 40) : 100000;
    for (auto& b : p.bias) b = std::uniform_int_distribution<int64_t>(-range, range)(rng);
  }
  const double K = double(g.C / g.G * g.KH * g.KW), ea = is8(it) ? 100 : 20000, eb = is8(wt) ? 100 : 20000;
  p.requant = qt::rand_requant(rng, RequantMethod(variant % 6), Round(rng() % kRoundModes), rng() % 2, g.M, p.out_type,
                               std::sqrt(K) * ea * eb);
  return c;
}

Data make_data(const QConv2dParams& p, std::mt19937& rng) {
  Data d;
  d.x = qt::rand_q(rng, p.N * p.C * p.H * p.W, p.in_type);
  d.w = qt::rand_q(rng, p.M * (p.C / p.G) * p.KH * p.KW, p.w_type);
  d.xb = qt::to_bytes(d.x, p.in_type);
  d.wb = qt::to_bytes(d.w, p.w_type);
  return d;
}

void hand_checked() {
  // ONNX QLinearConv (test_qlinearconv): 1x1 kernel, u8 input zp 132, u8 weight 0 with zp 255.
  {
    QConv2dParams p;
    p.C = 1; p.H = p.W = 7; p.M = 1; p.OH = p.OW = 7;
    p.in_type = QType::U8; p.w_type = QType::U8; p.out_type = QType::U8;
    p.in_zp = 132; p.w_zp = {255};
    p.requant.method = RequantMethod::FloatScale;
    p.requant.round = Round::HalfToEven;
    p.requant.scale = {float(double(0.003692046971991658f) * double(0.0017279457533732057f) / double(0.001626812620088458f))};
    p.requant.zero_point = 123; p.requant.qmin = 0; p.requant.qmax = 255;
    const uint8_t x[49] = {255, 174, 162, 25, 203, 168, 58, 15, 59, 237, 95, 129, 0, 64, 56, 242, 153, 221, 168, 12, 166,
                           232, 178, 186, 195, 237, 162, 237, 188, 39, 124, 77, 80, 102, 43, 127, 230, 21, 83, 41, 40, 134,
                           255, 154, 92, 141, 42, 148, 247};
    const uint8_t want[49] = {0, 81, 93, 230, 52, 87, 197, 240, 196, 18, 160, 126, 255, 191, 199, 13, 102, 34, 87, 243, 89,
                              23, 77, 69, 60, 18, 93, 18, 67, 216, 131, 178, 175, 153, 212, 128, 25, 234, 172, 214, 215, 121,
                              0, 101, 163, 114, 213, 107, 8};
    const uint8_t w = 0;
    for (Isa isa : supported_isas()) {
      uint8_t y[49];
      QConv2d::create(isa, p, &w)->run(x, y, nullptr);
      for (int i = 0; i < 49; ++i) CHECK(y[i] == want[i], "%s QLinearConv y[%d]=%d, want %d", isa_name(isa), i, y[i], want[i]);
    }
  }
  // ONNX ConvInteger without and with padding (test_basic_convinteger, test_convinteger_with_padding).
  for (int pad = 0; pad < 2; ++pad) {
    QConv2dParams p;
    p.C = 1; p.H = p.W = 3; p.M = 1; p.KH = p.KW = 2; p.PT = p.PL = size_t(pad);
    p.OH = p.OW = pad ? 4 : 2;
    p.in_type = QType::U8; p.w_type = QType::U8; p.out_type = QType::S32;
    p.in_zp = 1; p.w_zp = {0};
    p.requant.method = RequantMethod::ShiftOnly; p.requant.shift = {0};
    p.requant.qmin = INT32_MIN; p.requant.qmax = INT32_MAX;
    const uint8_t x[9] = {2, 3, 4, 5, 6, 7, 8, 9, 10}, w[4] = {1, 1, 1, 1};
    const int32_t want0[4] = {12, 16, 24, 28};
    const int32_t want1[16] = {1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9};
    for (Isa isa : supported_isas()) {
      int32_t y[16];
      int64_t acc[16];
      auto conv = QConv2d::create(isa, p, w);
      conv->run(x, y, nullptr);
      conv->run_acc(x, acc, nullptr);
      for (size_t i = 0; i < p.OH * p.OW; ++i) {
        const int32_t want = pad ? want1[i] : want0[i];
        CHECK(y[i] == want && acc[i] == want, "%s ConvInteger pad=%d [%zu] = %d / %lld, want %d", isa_name(isa), pad, i,
              y[i], (long long)acc[i], want);
      }
    }
  }
}

void validation() {
  QConv2dParams p;
  p.C = 4; p.H = p.W = 5; p.M = 6; p.KH = p.KW = 3; p.OH = p.OW = 3; p.G = 2;
  p.w_zp = {0};
  p.requant.scale = {0.01f};
  p.requant.qmin = 0; p.requant.qmax = 255;
  std::vector<uint8_t> w(6 * 2 * 9, 1);
  auto bad = [&](void (*edit)(QConv2dParams&), const char* needle) {
    QConv2dParams q = p;
    edit(q);
    CHECK_THROWS(QConv2d::create(Isa::Scalar, q, w.data()), needle);
  };
  bad([](QConv2dParams& q) { q.G = 3; }, "C=4 is not divisible by G=3");
  bad([](QConv2dParams& q) { q.OH = 9; }, "OH=9");
  bad([](QConv2dParams& q) { q.in_type = QType::S32; }, "in_type=4");
  bad([](QConv2dParams& q) { q.in_zp = -1; }, "in_zp=-1");
  bad([](QConv2dParams& q) { q.w_zp = {1, 2}; }, "w_zp has 2 entries; expected 1 or 6");
  bad([](QConv2dParams& q) { q.bias = {1, 2, 3}; }, "bias has 3 entries");
  bad([](QConv2dParams& q) { q.bias = {0, 0, 0, 0, 0, INT64_MIN}; }, "bias[5]");
  bad([](QConv2dParams& q) { q.requant.method = RequantMethod::FixedPointSingle; q.requant.multiplier = {1}; q.requant.shift = {31}; },
      "requant.shift[0]=31");
  bad([](QConv2dParams& q) { q.requant.scale = {NAN}; }, "requant.scale[0]=nan");
  CHECK_THROWS(QConv2d::create(Isa::Scalar, p, nullptr), "weight is null");
}


// ---- depthwise, 8 channels at a time (qconv-dw-c8.h) ----------------------------------------------
// The c8 kernels of every tier against the scalar c8 kernel and, lane by lane, against the per-plane
// depthwise kernel of the same tier (QPlaneLayout + dwconv) on random windows.
void c8_kernels(std::mt19937& rng) {
  size_t cases = 0;
  for (int it = 0; it < 300; ++it) {
    WindowGeometry g;
    g.KH = 1 + rng() % 5; g.KW = 1 + rng() % 5; g.SH = 1 + rng() % 2; g.SW = 1 + rng() % 2;
    g.DH = 1 + rng() % 2; g.DW = 1 + rng() % 2; g.OH = 1 + rng() % 17; g.OW = 1 + rng() % 17;
    g.PT = g.PL = 0;
    g.H = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1;
    g.W = (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1;
    const size_t KK = g.KH * g.KW, HW = g.H * g.W;
    std::uniform_int_distribution<int> v(-255, 255);
    std::vector<int16_t> xi(HW * 8), w8(KK * 8);
    for (auto& e : xi) e = int16_t(rng() % 16 == 0 ? (rng() % 2 ? 255 : -255) : v(rng));
    for (auto& e : w8) e = int16_t(rng() % 16 == 0 ? (rng() % 2 ? 255 : -255) : v(rng));
    std::vector<size_t> off(KK);
    for (size_t kh = 0; kh < g.KH; ++kh)
      for (size_t kw = 0; kw < g.KW; ++kw) off[kh * g.KW + kw] = kh * g.DH * g.W + kw * g.DW;
    QDwC8Window win;
    win.xp = xi.data(); win.Wp = g.W; win.tap_off = off.data(); win.taps = KK;
    win.OH = g.OH; win.OW = g.OW; win.SH = g.SH; win.SW = g.SW;
    const size_t n = g.OH * g.OW * 8;
    std::vector<int32_t> ref(n + 8, 0x5A5A5A);
    q_kernels(Isa::Scalar).dwconv_c8(win, w8.data(), ref.data());
    const std::string geo = check::format("OH=%zu OW=%zu K=%zux%zu S=%zux%zu D=%zux%zu", g.OH, g.OW, g.KH, g.KW, g.SH,
                                          g.SW, g.DH, g.DW);
    CHECK(ref[n] == 0x5A5A5A, "scalar c8 wrote past the output | %s", geo.c_str());
    for (Isa isa : supported_isas()) {
      const QKernels& k = q_kernels(isa);
      std::vector<int32_t> got(n + 8, 0x5A5A5A);
      k.dwconv_c8(win, w8.data(), got.data());
      CHECK(got == ref, "%s %s vs scalar c8 | %s", isa_name(isa), k.dwconv_c8_name, geo.c_str());
      // Per plane: lane c as a plane of its own through the tier's per-row depthwise kernel.
      QPlaneLayout layout(g);
      std::vector<int16_t> plane(HW), buf(layout.buffer_size()), wc(KK);
      std::vector<int32_t> acc(g.OH * g.OW);
      for (size_t c = 0; c < 8; ++c) {
        for (size_t i = 0; i < HW; ++i) plane[i] = xi[i * 8 + c];
        for (size_t t = 0; t < KK; ++t) wc[t] = w8[t * 8 + c];
        layout.fill(plane.data(), QType::S16, 0, buf.data());
        k.dwconv(layout.window(buf.data()), wc.data(), acc.data());
        size_t bad = 0;
        for (size_t i = 0; i < acc.size(); ++i) bad += acc[i] != got[i * 8 + c];
        CHECK(bad == 0, "%s c8 lane %zu vs per-plane %s: %zu differences | %s", isa_name(isa), c, k.dwconv_name, bad,
              geo.c_str());
      }
    }
    ++cases;
  }
  std::printf("test_qconv2d: %zu c8 kernel cases\n", cases);
}

// c8_planar: every tier's equals the scalar kernel on pixel counts around the 8-pixel transpose, and
// writes nothing past the 8 planes.
void c8_planar_kernels(std::mt19937& rng) {
  for (size_t n : {0, 1, 7, 8, 9, 16, 23, 100, 256}) {
    std::vector<int32_t> acc(n * 8);
    for (auto& v : acc) v = int32_t(rng());
    std::vector<int32_t> ref(n * 8 + 4, 0x5A5A5A);
    c8_planar_s32__scalar(acc.data(), n, ref.data());
    for (size_t i = 0; i < n; ++i)
      for (size_t c = 0; c < 8; ++c) CHECK(ref[c * n + i] == acc[i * 8 + c], "scalar c8_planar n=%zu (%zu, %zu)", n, i, c);
    for (Isa isa : supported_isas()) {
      std::vector<int32_t> got(n * 8 + 4, 0x5A5A5A);
      q_kernels(isa).c8_planar(acc.data(), n, got.data());
      CHECK(got == ref, "%s c8_planar vs scalar, n=%zu", isa_name(isa), n);
    }
  }
}

// Whole depthwise convolutions of the c8 shapes (8-bit operands, M == C, small planes; some larger planes
// and the 64-bit mode fall back to the per-plane path) through check_case: scalar vs the int64
// reference, every tier and 2 threads vs scalar, outputs and run_acc.
size_t c8_convs(std::mt19937& rng, double scale) {
  const size_t Cs[] = {1, 3, 8, 9, 16, 17, 96};
  const QType t8[] = {QType::U8, QType::S8};
  size_t cases = 0, c8 = 0;
  for (int it = 0; it < 420; ++it) {
    Geo g{};
    g.N = 1 + rng() % 3; g.C = g.M = g.G = Cs[rng() % 7];
    g.H = 1 + rng() % 17; g.W = rng() % 4 == 0 ? g.H : 1 + rng() % 17;
    g.KH = g.KW = 1 + 2 * (rng() % 3);
    if (rng() % 6 == 0) g.KW = 1 + 2 * (rng() % 3);
    g.SH = g.SW = 1 + rng() % 2;
    if (rng() % 6 == 0) g.SW = 3 - g.SH;
    g.DH = g.DW = rng() % 4 == 0 ? 2 : 1;
    g.PT = rng() % 3; g.PL = rng() % 3; g.PB = rng() % 3; g.PR = rng() % 3;
    const size_t eh = (g.KH - 1) * g.DH + 1, ew = (g.KW - 1) * g.DW + 1;
    if (g.H + g.PT + g.PB < eh || g.W + g.PL + g.PR < ew || g.PT >= g.H + eh || g.PL >= g.W + ew) continue;
    if (std::uniform_real_distribution<double>(0, 1)(rng) > scale) continue;
    const Case c = make_case(rng, g, t8[rng() % 2], t8[rng() % 2], int(rng() % 60));
    check_case(c, make_data(c.p, rng));
    ++cases;
    QConvSetup s;
    s.p = c.p;
    s.mode32 = true;
    c8 += QDwConvC8::applies(s);
    if (check::failures() > 30) break;
  }
  std::printf("test_qconv2d: %zu c8-shaped convolutions (%zu small enough for the c8 path in mode 32)\n", cases, c8);
  return cases;
}
}  // namespace

int main() {
  std::mt19937 rng(4321);
  hand_checked();
  validation();
  //                 N  C   H   W   M  KH KW SH SW DH DW PT PL PB PR G
  const Geo geos[] = {{1, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
                      {2, 5, 6, 6, 7, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 1},
                      {1, 4, 9, 8, 3, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1},
                      {1, 2, 8, 11, 17, 2, 3, 1, 2, 1, 1, 0, 1, 1, 0, 1},
                      {1, 1, 6, 6, 1, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1},  // C == G == 1: depthwise path
                      {1, 6, 7, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},   // grouped
                      {2, 8, 5, 5, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 2},   // grouped 1x1 direct
                      {1, 17, 9, 7, 33, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1}, // 1x1 direct, odd counts
                      {1, 16, 9, 9, 15, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1}, // 1x1 strided: im2col
                      {1, 7, 6, 6, 5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},   // 1x1 padded: im2col
                      {1, 5, 9, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5},   // depthwise
                      {2, 6, 11, 10, 12, 3, 3, 2, 1, 1, 2, 1, 2, 0, 1, 6}, // depthwise x2, strides, dilation
                      {1, 3, 13, 12, 9, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 3},  // depthwise x3, 5x5 s2
                      {1, 4, 20, 37, 4, 7, 1, 1, 3, 1, 1, 3, 0, 3, 0, 4},  // depthwise 7x1, stride 3 wide rows
                      {1, 64, 12, 12, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, // K = 576: two depth blocks
                      {1, 8, 21, 19, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  // 399 pixels: two column blocks
                      {1, 2, 3, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 1},    // padding wider than the kernel reach
                      {1, 20, 6, 5, 100, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1},  // 100 channels: row blocks
                      {1, 3, 5, 21, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},    // depthwise x2, OW = 21
                      {1, 2, 4, 33, 2, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 2},    // depthwise 1x3, OW = 33
                      // conv_direct tiers: all images one column range, channel panels with tails
                      {5, 24, 1, 1, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},   // squeeze-excitation 1x1 on 1x1 maps
                      {3, 9, 2, 2, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},    // 1x1 on 2x2 maps
                      {4, 17, 5, 5, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   // 3x3 on 5x5, 4 images, M = 2x16 + 1
                      {2, 12, 9, 8, 18, 3, 3, 2, 2, 2, 1, 2, 1, 1, 2, 2},   // grouped, strided, dilated, padded
                      {7, 6, 4, 4, 8, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1},     // 16-pixel maps: blocks of whole images
                      // maps over the direct path's limit: the GEMM path on every tier
                      {1, 5, 34, 31, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}};  // 1054 pixels
  const double scale = qt::case_scale();
  size_t cases = 0, direct = 0;
  bool direct_tier = false;
  for (Isa isa : supported_isas()) direct_tier = direct_tier || q_kernels(isa).conv_direct != nullptr;
  for (const Geo& g : geos)
    for (QType it : kIn)
      for (QType wt : kW) {
        if (std::uniform_real_distribution<double>(0, 1)(rng) > scale) continue;
        const Case c = make_case(rng, g, it, wt, int(rng() % 60));
        check_case(c, make_data(c.p, rng));
        ++cases;
        for (Isa isa : supported_isas()) {  // shapes a conv_direct tier runs on its direct path (8-bit)
          QConvSetup s;
          s.p = c.p;
          s.kernels = &q_kernels(isa);
          s.mode32 = qis_8bit(c.p.in_type) && qis_8bit(c.p.w_type);
          if (s.kernels->conv_direct && qconv_direct_applies(s)) {
            ++direct;
            break;
          }
        }
        if (check::failures() > 30) return check_summary("test_qconv2d");
      }
  std::printf("test_qconv2d: %zu cases of the direct path's shapes with 8-bit operands\n", direct);
  CHECK(!direct_tier || direct >= 10 || scale < 1, "only %zu cases reached the conv_direct path", direct);
  c8_kernels(rng);
  c8_planar_kernels(rng);
  cases += c8_convs(rng, scale);
  std::printf("test_qconv2d: %zu cases, tiers:", cases);
  for (Isa isa : supported_isas()) std::printf(" %s", isa_name(isa));
  std::printf("\n");
  return check_summary("test_qconv2d");
}
