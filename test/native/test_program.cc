// Program::run_rows (engine/program.h) on a small plan x [b, C, L] -> Relu -> r -> Copy -> s,
// x -> Clip(0, 6) -> c, outputs s and c:
//  * every row count from 1 to 3b + 2 (chunks more than threads, a padded last chunk) gives each
//    row's own results, on 1, 2 and 3 threads and every ISA tier;
//  * run_rows of exactly b rows equals run();
//  * wrong sizes and zero rows are refused with INVALID_ARGUMENT, and a plan whose outputs do not
//    share the inputs' first dimension has no rows (batch_rows() == 0) and refuses run_rows.
#include <algorithm>
#include <cstring>
#include <functional>
#include <random>

#include "engine/program.h"
#include "plan-util.h"
#include "test-util.h"

using namespace npuq;

namespace {

// Tensors: 0 x, 1 r, 2 s, 3 c, all [b, C, L]; with `summed`, output c is [1, C, L] instead (its
// first dimension is not the batch).
PlanDesc make_plan(size_t b, size_t C, size_t L, bool summed = false) {
  PlanDesc p;
  for (int i = 0; i < 4; ++i) tu::add_f32_tensor(p, {int64_t(summed && i == 3 ? 1 : b), int64_t(C), int64_t(L)});
  NodeDesc relu{"Relu", "relu", {0}, {1}, {}};
  NodeDesc copy{"Copy", "copy", {1}, {2}, {}};
  NodeDesc clip{"Clip", "clip", {summed ? 2 : 0}, {3}, {}};
  clip.attrs.values["lo"] = tu::attr_num(0);
  clip.attrs.values["hi"] = tu::attr_num(6);
  if (summed) {
    // ReduceSum over the batch axis, kept: [b, C, L] -> [1, C, L].
    AttrValue axes;
    axes.kind = AttrValue::Numbers;
    axes.numbers = {0};
    NodeDesc sum{"ReduceSum", "sum", {2}, {3}, {}};
    sum.attrs.values["axes"] = axes;
    p.nodes = {relu, copy, sum};
  } else {
    p.nodes = {relu, copy, clip};
  }
  p.inputs = {0};
  p.outputs = {2, 3};
  return p;
}

std::vector<float> floats_of(const std::vector<uint8_t>& b) {
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), b.size());
  return v;
}

bool refused(const std::function<void()>& f, const char* code) {
  try {
    f();
  } catch (const EngineError& e) {
    return e.code() == code;
  }
  return false;
}

void rows_cases() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-9.f, 9.f);
  const size_t C = 3, L = 5;
  for (size_t b : {1, 3, 4}) {
    for (Isa isa : supported_isas()) {
      for (size_t threads : {1, 2, 3}) {
        Program prog(make_plan(b, C, L), isa, threads);
        CHECK(prog.batch_rows() == b, "batch_rows %zu, want %zu", prog.batch_rows(), b);
        for (size_t rows = 1; rows <= 3 * b + 2; ++rows) {
          std::vector<float> x(rows * C * L);
          for (float& v : x) v = u(rng);
          std::vector<uint8_t> in(x.size() * 4);
          std::memcpy(in.data(), x.data(), in.size());
          const auto outs = prog.run_rows({in}, rows);
          CHECK(outs.size() == 2 && outs[0].size() == in.size() && outs[1].size() == in.size(),
                "b %zu rows %zu: output sizes %zu %zu", b, rows, outs.size() > 0 ? outs[0].size() : 0, outs.size() > 1 ? outs[1].size() : 0);
          if (outs.size() != 2 || outs[0].size() != in.size() || outs[1].size() != in.size()) continue;
          const std::vector<float> s = floats_of(outs[0]), c = floats_of(outs[1]);
          size_t bad = x.size();
          for (size_t i = 0; i < x.size() && bad == x.size(); ++i)
            if (s[i] != std::max(x[i], 0.f) || c[i] != std::min(std::max(x[i], 0.f), 6.f)) bad = i;
          CHECK(bad == x.size(), "%s threads %zu b %zu rows %zu: element %zu (row %zu) is %g/%g for x %g", isa_name(isa), threads, b, rows,
                bad, bad / (C * L), bad < x.size() ? s[bad] : 0.f, bad < x.size() ? c[bad] : 0.f, bad < x.size() ? x[bad] : 0.f);
          if (rows == b) CHECK(prog.run({in}) == outs, "%s threads %zu b %zu: run_rows of b rows differs from run()", isa_name(isa), threads, b);
        }
      }
    }
  }
}

void refusals() {
  Program prog(make_plan(4, 3, 5), active_isa(), 2);
  const std::vector<uint8_t> seven(7 * 15 * 4);
  CHECK(refused([&] { prog.run_rows({seven}, 6); }, "INVALID_ARGUMENT"), "6 rows over a 7-row buffer must be refused");
  CHECK(refused([&] { prog.run_rows({seven}, 0); }, "INVALID_ARGUMENT"), "0 rows must be refused");
  CHECK(refused([&] { prog.run_rows({}, 7); }, "INVALID_ARGUMENT"), "a missing input must be refused");
  CHECK(refused([&] { prog.run_rows({std::vector<uint8_t>(7 * 15 * 4 + 4)}, 7); }, "INVALID_ARGUMENT"), "a ragged buffer must be refused");
  // A count whose byte size wraps around: 2^62 + 7 rows of 60 bytes are, modulo 2^64, 420 bytes.
  CHECK(refused([&] { prog.run_rows({std::vector<uint8_t>(420)}, (size_t(1) << 62) + 7); }, "INVALID_ARGUMENT"),
        "a row count whose byte size wraps around must be refused");
  Program summed(make_plan(4, 3, 5, true), active_isa(), 2);
  CHECK(summed.batch_rows() == 0, "a plan with a [1, C, L] output has batch_rows %zu, want 0", summed.batch_rows());
  CHECK(refused([&] { summed.run_rows({std::vector<uint8_t>(8 * 15 * 4)}, 8); }, "INVALID_ARGUMENT"), "run_rows without rows must be refused");
}

}  // namespace

int main() {
  rows_cases();
  refusals();
  return check_summary("test_program");
}
