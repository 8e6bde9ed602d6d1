// ISA names, parsing, detection invariants, the NPUQ_MAX_ISA cap and the dispatch fallback.
#include <cstdlib>
#include <algorithm>
#include <set>

#include "cpu/isa-internal.h"
#include "dispatch/f32-kernels.h"
#include "test-util.h"

using namespace npuq;
using isa_detail::apply_isa_cap;

int main() {
  // Set the cap before anything reads it (active_isa() reads the environment once per process), unless
  // the caller already set one (e.g. a CI job running every test with NPUQ_MAX_ISA=scalar).
  const char* preset = std::getenv("NPUQ_MAX_ISA");
  if (!preset) setenv("NPUQ_MAX_ISA", "scalar", 1);

  const Isa all[] = {Isa::Scalar, Isa::Avx2, Isa::Neon, Isa::NeonDot, Isa::Rvv};
  for (Isa isa : all) {
    Isa back = Isa::Avx2;
    CHECK(parse_isa(isa_name(isa), &back) && back == isa, "parse_isa(isa_name(%d))", static_cast<int>(isa));
  }
  Isa out = Isa::Rvv;
  CHECK(!parse_isa("AVX2", &out) && !parse_isa("", &out) && !parse_isa("sse4", &out) && out == Isa::Rvv,
        "unknown names are refused and leave *out alone");

  const std::vector<Isa> sup = supported_isas();
  std::printf("supported:");
  for (Isa isa : sup) std::printf(" %s", isa_name(isa));
  std::printf("; active: %s; rvv_vlenb: %zu\n", isa_name(active_isa()), rvv_vlenb());
  CHECK(!sup.empty() && sup.back() == Isa::Scalar, "supported_isas ends with scalar");
  CHECK(std::set<Isa>(sup.begin(), sup.end()).size() == sup.size(), "supported_isas has no duplicates");
  for (size_t i = 0; i + 1 < sup.size(); ++i)
    CHECK(static_cast<int>(sup[i]) > static_cast<int>(sup[i + 1]), "best first: %s before %s", isa_name(sup[i]),
          isa_name(sup[i + 1]));
#if defined(__x86_64__)
  for (Isa isa : sup) CHECK(isa == Isa::Avx2 || isa == Isa::Scalar, "x86 tier %s", isa_name(isa));
#elif defined(__aarch64__)
  CHECK(sup.size() >= 2 && sup[sup.size() - 2] == Isa::Neon, "aarch64 always has ASIMD");
#endif
  const bool has_rvv = std::find(sup.begin(), sup.end(), Isa::Rvv) != sup.end();
  if (has_rvv) {
    const size_t v = rvv_vlenb();
    CHECK(v >= 16 && (v & (v - 1)) == 0, "vlenb %zu is a power of two >= 16", v);
  } else {
    CHECK(rvv_vlenb() == 0, "rvv_vlenb is 0 without RVV");
  }

  // The process cap.
  if (!preset) {
    CHECK(active_isa() == Isa::Scalar, "NPUQ_MAX_ISA=scalar gives scalar, got %s", isa_name(active_isa()));
  } else {
    CHECK(active_isa() == apply_isa_cap(sup, preset), "active_isa follows NPUQ_MAX_ISA=%s", preset);
  }
  setenv("NPUQ_MAX_ISA", "avx2", 1);
  CHECK(active_isa() == (preset ? apply_isa_cap(sup, preset) : Isa::Scalar), "read once per process");

  // The cap on synthetic machines.
  const std::vector<Isa> x86 = {Isa::Avx2, Isa::Scalar}, arm = {Isa::NeonDot, Isa::Neon, Isa::Scalar},
                         rv = {Isa::Rvv, Isa::Scalar}, base = {Isa::Scalar};
  struct { const std::vector<Isa>* sup; const char* cap; Isa want; } cases[] = {
      {&x86, nullptr, Isa::Avx2}, {&x86, "", Isa::Avx2},          {&x86, "scalar", Isa::Scalar},
      {&x86, "avx2", Isa::Avx2},  {&x86, "bogus", Isa::Avx2},     {&x86, "neon", Isa::Avx2},
      {&arm, nullptr, Isa::NeonDot}, {&arm, "neon", Isa::Neon},   {&arm, "neondot", Isa::NeonDot},
      {&arm, "scalar", Isa::Scalar}, {&arm, "avx2", Isa::NeonDot}, {&rv, "rvv", Isa::Rvv},
      {&rv, "scalar", Isa::Scalar},  {&base, "avx2", Isa::Scalar}, {&base, nullptr, Isa::Scalar},
  };
  for (const auto& c : cases)
    CHECK(apply_isa_cap(*c.sup, c.cap) == c.want, "cap '%s' on a %s machine gives %s, want %s", c.cap ? c.cap : "(unset)",
          isa_name(c.sup->front()), isa_name(apply_isa_cap(*c.sup, c.cap)), isa_name(c.want));
  CHECK(isa_detail::hwcap_has_rvv(1UL << ('V' - 'A')) && !isa_detail::hwcap_has_rvv(1UL << ('I' - 'A')),
        "riscv HWCAP V bit");

  // Dispatch: an unsupported or unbuilt tier falls back to scalar; supported tiers resolve to themselves
  // or to scalar when they have no float kernels yet.
  for (Isa isa : all) {
    const Isa r = resolve_isa(isa);
    const bool supported = std::find(sup.begin(), sup.end(), isa) != sup.end();
    CHECK(supported || r == Isa::Scalar, "resolve_isa(%s) = %s on a machine without it", isa_name(isa), isa_name(r));
    CHECK(r == isa || r == Isa::Scalar, "resolve_isa(%s) = %s", isa_name(isa), isa_name(r));
    const F32Kernels& k = f32_kernels(isa);
    CHECK(k.isa == r && k.gemm && k.dwconv && k.dwconv_c8 && k.maxpool && k.maxpool2x2 && k.avgpool && k.global_avg &&
              k.global_max && k.binary && k.unary && k.affine && k.gemm_mr && k.gemm_nr,
          "kernel table for %s is complete", isa_name(isa));
    std::printf("  %-8s -> %-8s gemm %s (%zux%zu), dwconv %s\n", isa_name(isa), isa_name(k.isa), k.gemm_name,
                k.gemm_mr, k.gemm_nr, k.dwconv_name);
  }
  CHECK(resolve_isa(static_cast<Isa>(42)) == Isa::Scalar, "out-of-range tier falls back to scalar");
  return check_summary("test_isa");
}
