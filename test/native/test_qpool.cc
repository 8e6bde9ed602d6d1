// div_round (rounding.h) against round_mode of the double quotient (exact for |num| < 2^52: ties are
// exact halves and other quotients lie at least 1/den away from a half), then quantized max/average
// pooling and global average pooling: scalar against a naive reference written here, every tier and
// threaded runs against scalar byte for byte, over all types, zero points at the extremes, every
// rounding mode, strides, dilations, padding, ceil-mode overhang and both count_include_pad settings.
#include <algorithm>

#include "npuq/qkernels.h"
#include "test-util.h"

using namespace npuq;

namespace {

const QType kTypes[] = {QType::U8, QType::S8, QType::U16, QType::S16};
const char* tname(QType t) {
  static const char* n[] = {"u8", "s8", "u16", "s16", "s32"};
  return n[static_cast<int>(t)];
}

int64_t get(const std::vector<uint8_t>& buf, QType t, size_t i) {
  const uint8_t* p = buf.data() + i * qtype_size(t);
  switch (t) {
    case QType::U8: return *p;
    case QType::S8: return int8_t(*p);
    case QType::U16: { uint16_t v; std::memcpy(&v, p, 2); return v; }
    default: { int16_t v; std::memcpy(&v, p, 2); return v; }
  }
}

std::vector<uint8_t> rand_q(std::mt19937& rng, QType t, size_t n, int mode) {
  std::vector<uint8_t> v(n * qtype_size(t));
  for (auto& b : v) b = uint8_t(rng());
  if (mode) {  // all at one extreme: the largest sums
    const int64_t x = mode > 0 ? qtype_max(t) : qtype_min(t);
    for (size_t i = 0; i < n; ++i) std::memcpy(v.data() + i * qtype_size(t), &x, qtype_size(t));
  }
  return v;
}

// ---- div_round ----
void div_round_cases() {
  int checked = 0;
  auto one = [&](int64_t num, int64_t den) {
    for (int mi = 0; mi < kRoundModes; ++mi) {
      const Round m = static_cast<Round>(mi);
      const int64_t got = div_round(num, den, m);
      const int64_t want = static_cast<int64_t>(round_mode(double(num) / double(den), m));
      ++checked;
      if (got != want) CHECK(false, "div_round(%lld, %lld, mode %d) = %lld, want %lld", (long long)num, (long long)den, mi, (long long)got, (long long)want);
    }
  };
  for (int64_t den = -12; den <= 40; ++den)
    if (den)
      for (int64_t num = -400; num <= 400; ++num) one(num, den);
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const int64_t den = int64_t(rng() % (uint64_t(1) << (1 + rng() % 30))) + 1;
    const int64_t num = int64_t(rng() % (uint64_t(1) << 50)) - (int64_t(1) << 49);
    one(num, den);
    const int64_t k = num / (den * 2 + 1);
    if (den % 2 == 0) { one(k * den + den / 2, den); one(-(k * den + den / 2), den); }  // exact ties
    one(k * den, den);
  }
  // Exact ties and extremes by hand (HalfToEven / HalfAwayFromZero / HalfToOdd / HalfUp / HalfDown).
  CHECK(div_round(5, 2, Round::HalfToEven) == 2 && div_round(7, 2, Round::HalfToEven) == 4, "ties to even");
  CHECK(div_round(-5, 2, Round::HalfToEven) == -2 && div_round(-5, 2, Round::HalfAwayFromZero) == -3, "negative ties");
  CHECK(div_round(-5, 2, Round::HalfUp) == -2 && div_round(-5, 2, Round::HalfDown) == -3, "half up/down");
  CHECK(div_round(5, 2, Round::HalfToOdd) == 3 && div_round(3, 2, Round::HalfToOdd) == 1, "ties to odd");
  CHECK(div_round(3, -2, Round::Floor) == -2 && div_round(-3, -2, Round::Ceil) == 2, "negative divisor");
  CHECK(div_round(INT64_MAX, 2, Round::HalfUp) == (INT64_MAX / 2) + 1, "INT64_MAX / 2 rounds up");
  CHECK(div_round(INT64_MIN + 1, 3, Round::Floor) == (INT64_MIN + 1) / 3 - 1, "large negative floor");
  CHECK(div_round(7, 0, Round::HalfToEven) == 0, "zero divisor gives 0");
  std::printf("div_round: %d comparisons\n", checked);
}

// ---- 2-D pooling ----
std::string str(const QPool2dParams& p, bool avg) {
  return check::format("%s %s zp=%d round=%d inc_pad=%d N=%zu C=%zu H=%zu W=%zu OH=%zu OW=%zu K=%zux%zu S=%zux%zu D=%zux%zu "
                       "P=%zu,%zu,%zu,%zu",
                       avg ? "avg" : "max", tname(p.type), p.zp, int(p.round), int(p.count_include_pad), p.N, p.C, p.H,
                       p.W, p.OH, p.OW, p.KH, p.KW, p.SH, p.SW, p.DH, p.DW, p.PT, p.PL, p.PB, p.PR);
}

std::vector<int64_t> reference(const QPool2dParams& p, bool avg, const std::vector<uint8_t>& x) {
  std::vector<int64_t> y(p.N * p.C * p.OH * p.OW);
  const long H = long(p.H), W = long(p.W);
  for (size_t c = 0; c < p.N * p.C; ++c)
    for (size_t oh = 0; oh < p.OH; ++oh)
      for (size_t ow = 0; ow < p.OW; ++ow) {
        int64_t acc = avg ? 0 : qtype_min(p.type), count = 0;
        for (size_t kh = 0; kh < p.KH; ++kh)
          for (size_t kw = 0; kw < p.KW; ++kw) {
            const long ih = long(oh * p.SH + kh * p.DH) - long(p.PT), iw = long(ow * p.SW + kw * p.DW) - long(p.PL);
            const bool inside = ih >= 0 && iw >= 0 && ih < H && iw < W;
            const bool in_pad = ih >= -long(p.PT) && ih < H + long(p.PB) && iw >= -long(p.PL) && iw < W + long(p.PR);
            count += p.count_include_pad ? in_pad : inside;
            if (!inside) continue;
            const int64_t v = get(x, p.type, (c * p.H + size_t(ih)) * p.W + size_t(iw));
            acc = avg ? acc + (v - p.zp) : std::max(acc, v);
          }
        if (avg) {
          const double q = count ? round_mode(double(acc) / double(count), p.round) : 0.0;
          acc = std::min<int64_t>(qtype_max(p.type), std::max<int64_t>(qtype_min(p.type), int64_t(q) + p.zp));
        }
        y[(c * p.OH + oh) * p.OW + ow] = acc;
      }
  return y;
}

size_t out_size(size_t in, size_t k, size_t s, size_t d, size_t pb, size_t pe, bool ceil_mode) {
  const size_t eff = (k - 1) * d + 1;
  if (in + pb + pe < eff) return 0;
  size_t o = (in + pb + pe - eff + (ceil_mode ? s - 1 : 0)) / s + 1;
  if (ceil_mode && (o - 1) * s >= in + pb) --o;
  return o;
}

int g_cases = 0;

void run_case(const QPool2dParams& p, bool avg, const std::vector<uint8_t>& x, ThreadPool* pool) {
  ++g_cases;
  const std::string desc = str(p, avg);
  const size_t n = p.N * p.C * p.OH * p.OW, bytes = n * qtype_size(p.type);
  auto run = [&](Isa isa, ThreadPool* tp) {
    std::vector<uint8_t> y(bytes + 16, 0xCD);
    if (avg) qavgpool2d(isa, p, x.data(), y.data(), tp);
    else qmaxpool2d(isa, p, x.data(), y.data(), tp);
    return y;
  };
  const auto ref = run(Isa::Scalar, nullptr);
  const auto want = reference(p, avg, x);
  int bad = 0;
  for (size_t i = 0; i < n; ++i)
    if (get(ref, p.type, i) != want[i] && bad++ < 3)
      CHECK(false, "%s: scalar y[%zu]=%lld reference %lld", desc.c_str(), i, (long long)get(ref, p.type, i), (long long)want[i]);
  CHECK(bad == 0, "%s: %d outputs off the reference", desc.c_str(), bad);
  for (size_t i = bytes; i < ref.size(); ++i)
    if (ref[i] != 0xCD) { CHECK(false, "%s: wrote past the output", desc.c_str()); break; }
  for (Isa isa : supported_isas())
    for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), pool}) {
      if (isa == Isa::Scalar && !tp) continue;
      const auto got = run(isa, tp);
      size_t at = 0;
      while (at < got.size() && got[at] == ref[at]) ++at;
      CHECK(at == got.size(), "%s tier=%s threads=%zu: differs from scalar at byte %zu", desc.c_str(), isa_name(isa),
            tp ? tp->threads() : 1, at);
    }
}

void pool_cases(ThreadPool* pool) {
  std::mt19937 rng(31);
  struct Geo { size_t H, W, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR; bool ceil; };
  const Geo geos[] = {
      {7, 9, 2, 2, 2, 2, 1, 1, 0, 0, 0, 0, false}, {8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, false},
      {11, 13, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, true}, {9, 21, 3, 5, 1, 3, 2, 1, 2, 0, 1, 2, true},
      {5, 5, 5, 5, 1, 1, 1, 1, 4, 4, 4, 4, false}, {1, 37, 1, 7, 1, 1, 1, 3, 0, 5, 0, 5, false},
      {6, 6, 2, 3, 3, 2, 1, 2, 0, 1, 0, 1, true}, {4, 70, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, false},
      {3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, true},  // windows entirely in the padding
  };
  for (const Geo& g : geos)
    for (QType t : kTypes)
      for (int zpi = 0; zpi < 3; ++zpi)
        for (int kind = 0; kind < 3; ++kind) {
          QPool2dParams p;
          p.N = 2; p.C = 3; p.H = g.H; p.W = g.W; p.KH = g.KH; p.KW = g.KW; p.SH = g.SH; p.SW = g.SW;
          p.DH = g.DH; p.DW = g.DW; p.PT = g.PT; p.PL = g.PL; p.PB = g.PB; p.PR = g.PR;
          p.OH = out_size(g.H, g.KH, g.SH, g.DH, g.PT, g.PB, g.ceil);
          p.OW = out_size(g.W, g.KW, g.SW, g.DW, g.PL, g.PR, g.ceil);
          p.type = t;
          p.zp = zpi == 0 ? qtype_min(t) : zpi == 1 ? qtype_max(t) : (qtype_min(t) + qtype_max(t)) / 2 + 1;
          p.count_include_pad = kind == 2;
          p.round = static_cast<Round>(rng() % kRoundModes);
          const auto x = rand_q(rng, t, p.N * p.C * p.H * p.W, int(rng() % 5) - 2 > 0 ? 1 : 0);
          run_case(p, kind != 0, x, pool);
        }
  // Every rounding mode with small windows (many exact ties: counts 2 and 4), and with 3x3 (count 9).
  for (int mi = 0; mi < kRoundModes; ++mi)
    for (QType t : kTypes)
      for (size_t k : {2, 3}) {
        QPool2dParams p;
        p.N = 1; p.C = 4; p.H = 10; p.W = 29; p.KH = k; p.KW = k; p.PT = p.PL = p.PB = p.PR = 1;
        p.OH = out_size(p.H, k, 1, 1, 1, 1, false);
        p.OW = out_size(p.W, k, 1, 1, 1, 1, false);
        p.type = t;
        p.zp = (rng() & 1) ? qtype_min(t) : qtype_max(t);
        p.round = static_cast<Round>(mi);
        p.count_include_pad = (rng() & 1) != 0;
        run_case(p, true, rand_q(rng, t, p.C * p.H * p.W, int(rng() % 3) - 1), pool);
      }
  // MaxPool 2x2 stride 2 without padding (read straight from the input): even and odd sizes, floor
  // mode (a last odd row/column unread), a right/bottom pad no window reaches, many planes (threads).
  for (size_t H : {2, 3, 10, 21})
    for (size_t W : {2, 5, 16, 20, 33})
      for (QType t : kTypes) {
        QPool2dParams p;
        p.N = 3; p.C = H == 10 ? 700 : 5; p.H = H; p.W = W; p.KH = p.KW = 2; p.SH = p.SW = 2;
        p.PB = W == 5 ? 1 : 0;
        p.OH = H / 2; p.OW = W / 2;
        p.type = t;
        p.zp = qtype_min(t) + 1;
        run_case(p, false, rand_q(rng, t, p.N * p.C * p.H * p.W, int(H % 3) - 1), pool);
      }
  // Output widths 1..40 (vector tails), larger planes for the thread split.
  for (size_t W = 1; W <= 40; ++W) {
    QPool2dParams p;
    p.N = 1; p.C = 2; p.H = 3; p.W = W; p.KH = 2; p.KW = 2; p.PB = p.PR = 1;
    p.OH = 3; p.OW = W;
    p.type = kTypes[W % 4];
    p.zp = qtype_min(p.type) + int32_t(W);
    run_case(p, W & 1, rand_q(rng, p.type, p.C * p.H * p.W, 0), pool);
  }
  for (QType t : {QType::U8, QType::S16}) {
    QPool2dParams p;
    p.N = 4; p.C = 16; p.H = 28; p.W = 28; p.KH = 3; p.KW = 3; p.SH = 2; p.SW = 2; p.PT = p.PL = p.PB = p.PR = 1;
    p.OH = p.OW = 14;
    p.type = t;
    p.zp = 3;
    run_case(p, true, rand_q(rng, t, p.N * p.C * p.H * p.W, 0), pool);
    run_case(p, false, rand_q(rng, t, p.N * p.C * p.H * p.W, 0), pool);
  }
  // Windows whose int32 sums would overflow: 16-bit, 40000 taps (the drivers use the scalar kernel).
  QPool2dParams big;
  big.C = 1; big.H = 200; big.W = 200; big.KH = 200; big.KW = 200; big.OH = big.OW = 1;
  big.type = QType::U16;
  big.zp = 0;
  run_case(big, true, rand_q(rng, QType::U16, 40000, 1), pool);
  big.zp = 65535;
  run_case(big, true, rand_q(rng, QType::U16, 40000, -1), pool);
}

// ---- global average pooling ----
Requant make_requant(std::mt19937& rng, int kind, size_t HW, QType out) {
  Requant r;
  r.zero_point = int32_t(qtype_min(out) + rng() % (uint32_t(qtype_max(out) - qtype_min(out)) + 1));
  r.qmin = qtype_min(out);
  r.qmax = qtype_max(out);
  r.round = static_cast<Round>(rng() % kRoundModes);
  const double m = 0.9 / double(HW ? HW : 1);
  if (kind == 0) {
    r.method = RequantMethod::FloatScale;
    r.scale = {float(m)};
  } else {
    int32_t M;
    int sh;
    quantize_multiplier(m, &M, &sh);
    r.multiplier = {M};
    if (kind == 1) { r.method = RequantMethod::FixedPointDouble; r.shift = {sh}; }
    else { r.method = RequantMethod::MultiplierShift; r.shift = {31 - sh}; }
  }
  return r;
}

void global_cases(ThreadPool* pool) {
  std::mt19937 rng(77);
  auto one = [&](size_t NC, size_t HW, QType it, int32_t zp, const Requant& r, QType ot, int mode) {
    ++g_cases;
    const auto x = rand_q(rng, it, NC * HW, mode);
    std::vector<uint8_t> ref(NC * qtype_size(ot) + 8, 0xCD);
    qglobal_avgpool(Isa::Scalar, NC, HW, it, zp, r, ot, x.data(), ref.data(), nullptr);
    int bad = 0;
    for (size_t i = 0; i < NC; ++i) {
      int64_t sum = 0;
      for (size_t j = 0; j < HW; ++j) sum += get(x, it, i * HW + j) - zp;
      const int64_t want = requantize(sum, r, 0);
      if (get(ref, ot, i) != want && bad++ < 3)
        CHECK(false, "global %s->%s HW=%zu method=%d: y[%zu]=%lld want %lld", tname(it), tname(ot), HW, int(r.method), i,
              (long long)get(ref, ot, i), (long long)want);
    }
    for (Isa isa : supported_isas())
      for (ThreadPool* tp : {static_cast<ThreadPool*>(nullptr), pool}) {
        if (isa == Isa::Scalar && !tp) continue;
        std::vector<uint8_t> got(ref.size(), 0xCD);
        qglobal_avgpool(isa, NC, HW, it, zp, r, ot, x.data(), got.data(), tp);
        CHECK(got == ref, "global %s->%s NC=%zu HW=%zu zp=%d method=%d tier=%s threads=%zu differs from scalar", tname(it),
              tname(ot), NC, HW, zp, int(r.method), isa_name(isa), tp ? tp->threads() : 1);
      }
  };
  for (QType it : kTypes)
    for (int kind = 0; kind < 3; ++kind)
      for (size_t HW : {0, 1, 2, 7, 15, 16, 17, 31, 32, 33, 49, 64, 70, 196, 1000}) {
        const QType ot = kTypes[rng() % 4];
        const int32_t zp = (rng() & 1) ? qtype_min(it) : qtype_max(it);
        one(1 + rng() % 20, HW, it, zp, make_requant(rng, kind, HW, ot), ot, int(rng() % 3) - 1);
      }
  for (QType it : kTypes) {  // long rows (the 16-bit kernels flush their int32 lanes), many rows
    one(2, 300000, it, 0, make_requant(rng, 1, 300000, QType::S16), QType::S16, 1);
    one(1000, 49, it, qtype_min(it), make_requant(rng, 0, 49, it), it, 0);
  }
}

void error_cases() {
  uint8_t x[4] = {}, y[4] = {};
  QPool2dParams p;
  p.C = 1; p.H = p.W = 2; p.OH = p.OW = 1; p.KH = p.KW = 2;
  p.type = QType::S32;
  CHECK_THROWS(qmaxpool2d(Isa::Scalar, p, x, y, nullptr), "type");
  p.type = QType::U8;
  p.SH = 0;
  CHECK_THROWS(qavgpool2d(Isa::Scalar, p, x, y, nullptr), "stride");
  p.SH = 1;
  p.zp = -1;
  CHECK_THROWS(qavgpool2d(Isa::Scalar, p, x, y, nullptr), "zero point");
  Requant r;
  r.method = RequantMethod::FloatScale;
  r.qmin = 0; r.qmax = 255;
  CHECK_THROWS(qglobal_avgpool(Isa::Scalar, 1, 4, QType::U8, 0, r, QType::U8, x, y, nullptr), "scale");
  r.scale = {0.25f};
  r.per_channel = true;
  CHECK_THROWS(qglobal_avgpool(Isa::Scalar, 1, 4, QType::U8, 0, r, QType::U8, x, y, nullptr), "per-tensor");
  r.per_channel = false;
  r.qmin = -128;
  CHECK_THROWS(qglobal_avgpool(Isa::Scalar, 1, 4, QType::U8, 0, r, QType::U8, x, y, nullptr), "clamp");
}

}  // namespace

int main() {
  std::printf("tiers:");
  for (Isa isa : supported_isas()) std::printf(" %s", isa_name(isa));
  std::printf("\n");
  ThreadPool pool(3);
  div_round_cases();
  pool_cases(&pool);
  global_cases(&pool);
  error_cases();
  std::printf("%d pooling cases\n", g_cases);
  return check_summary("test_qpool");
}
