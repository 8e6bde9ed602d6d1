// Instruction-set tiers and run-time CPU feature detection.
#pragma once
#include <string>
#include <vector>

namespace npuq {

// Tiers, ordered from baseline to best within each architecture.
enum class Isa : int { Scalar = 0, Avx2 = 1, Neon = 2, NeonDot = 3, Rvv = 4 };

const char* isa_name(Isa isa);
// Parses "scalar", "avx2", "neon", "neondot", "rvv"; returns false if unknown.
bool parse_isa(const std::string& name, Isa* out);

// Every tier this binary was built with AND this CPU supports, best first, always ending in Scalar.
// Detection: CPUID + XGETBV (OS saves YMM state) on x86; getauxval(AT_HWCAP) on aarch64 (ASIMD,
// ASIMDDP); AT_HWCAP 'V' bit on riscv64. Not capped by NPUQ_MAX_ISA.
std::vector<Isa> supported_isas();

// The tier kernels use: the best supported one, capped by the environment variable NPUQ_MAX_ISA
// (e.g. NPUQ_MAX_ISA=scalar) if set. Read once per process.
Isa active_isa();

// Vector length in bytes for RVV (vlenb), 0 elsewhere.
size_t rvv_vlenb();

}  // namespace npuq
