// Run-time CPU feature detection and the NPUQ_MAX_ISA cap. Only tiers whose kernels are compiled in
// (NPUQ_HAVE_* from CMake) are ever reported.
#include "npuq/isa.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "cpu/isa-internal.h"

#if defined(NPUQ_HAVE_AVX2) && (defined(__x86_64__) || defined(_M_X64))
#define NPUQ_DETECT_X86 1
#if defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

#if (defined(NPUQ_HAVE_NEON) || defined(NPUQ_HAVE_NEONDOT)) && defined(__aarch64__)
#define NPUQ_DETECT_ARM 1
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#elif defined(__APPLE__)
#include <sys/sysctl.h>
#endif
#endif

#if defined(NPUQ_HAVE_RVV) && defined(__riscv) && defined(__linux__)
#define NPUQ_DETECT_RVV 1
#include <sys/auxv.h>
#endif

namespace npuq {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Neon: return "neon";
    case Isa::NeonDot: return "neondot";
    case Isa::Rvv: return "rvv";
  }
  return "unknown";
}

bool parse_isa(const std::string& name, Isa* out) {
  static const Isa all[] = {Isa::Scalar, Isa::Avx2, Isa::Neon, Isa::NeonDot, Isa::Rvv};
  for (Isa isa : all) {
    if (name == isa_name(isa)) {
      if (out) *out = isa;
      return true;
    }
  }
  return false;
}

namespace isa_detail {

int isa_family(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return 0;
    case Isa::Avx2: return 1;
    case Isa::Neon:
    case Isa::NeonDot: return 2;
    case Isa::Rvv: return 3;
  }
  return -1;
}

Isa apply_isa_cap(const std::vector<Isa>& supported, const char* cap) {
  Isa best = supported.empty() ? Isa::Scalar : supported.front();
  Isa limit;
  if (!cap || !*cap || !parse_isa(cap, &limit)) return best;
  if (limit == Isa::Scalar) return Isa::Scalar;
  if (isa_family(limit) != isa_family(best)) return best;  // a tier of another architecture: no cap
  for (Isa isa : supported) {
    if (isa == Isa::Scalar) return isa;
    if (isa_family(isa) == isa_family(limit) && static_cast<int>(isa) <= static_cast<int>(limit)) return isa;
  }
  return Isa::Scalar;
}

}  // namespace isa_detail

namespace {

#if defined(NPUQ_DETECT_X86)
void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
#if defined(_MSC_VER)
  int regs[4];
  __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(sub));
  for (int i = 0; i < 4; ++i) r[i] = static_cast<unsigned>(regs[i]);
#else
  __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
#endif
}

unsigned long long xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
#endif
}

bool x86_has_avx2_fma() {
  unsigned r[4];
  cpuid(0, 0, r);
  if (r[0] < 7) return false;
  cpuid(1, 0, r);
  const bool fma = (r[2] >> 12) & 1, osxsave = (r[2] >> 27) & 1, avx = (r[2] >> 28) & 1,
             f16c = (r[2] >> 29) & 1;
  if (!(fma && osxsave && avx && f16c)) return false;
  if ((xgetbv0() & 0x6) != 0x6) return false;  // the OS saves XMM and YMM state
  cpuid(7, 0, r);
  return (r[1] >> 5) & 1;  // AVX2
}
#endif

std::vector<Isa> detect() {
  std::vector<Isa> out;
#if defined(NPUQ_DETECT_X86)
  if (x86_has_avx2_fma()) out.push_back(Isa::Avx2);
#endif
#if defined(NPUQ_DETECT_ARM)
  bool asimd = false, dot = false;
#if defined(__linux__)
  unsigned long hw = getauxval(AT_HWCAP);
  asimd = (hw & HWCAP_ASIMD) != 0;
  dot = (hw & HWCAP_ASIMDDP) != 0;
#elif defined(__APPLE__)
  asimd = true;
  int v = 0;
  size_t len = sizeof(v);
  dot = sysctlbyname("hw.optional.arm.FEAT_DotProd", &v, &len, nullptr, 0) == 0 && v != 0;
#else
  asimd = true;  // ASIMD is part of the AArch64 baseline
#endif
#if defined(NPUQ_HAVE_NEONDOT)
  if (asimd && dot) out.push_back(Isa::NeonDot);
#endif
#if defined(NPUQ_HAVE_NEON)
  if (asimd) out.push_back(Isa::Neon);
#endif
  (void)dot;
#endif
#if defined(NPUQ_DETECT_RVV)
  if (isa_detail::hwcap_has_rvv(getauxval(AT_HWCAP))) out.push_back(Isa::Rvv);
#endif
  out.push_back(Isa::Scalar);
  return out;
}

}  // namespace

std::vector<Isa> supported_isas() {
  static const std::vector<Isa> isas = detect();
  return isas;
}

Isa active_isa() {
  static const Isa isa = isa_detail::apply_isa_cap(supported_isas(), std::getenv("NPUQ_MAX_ISA"));
  return isa;
}

size_t rvv_vlenb() {
#if defined(NPUQ_DETECT_RVV)
  static const size_t vlenb = [] {
    for (Isa isa : supported_isas())
      if (isa == Isa::Rvv) return isa_detail::read_rvv_vlenb();
    return size_t{0};
  }();
  return vlenb;
#else
  return 0;
#endif
}

}  // namespace npuq
