// Pure helpers behind isa.h, exposed for tests (test_isa.cc) so parsing and the NPUQ_MAX_ISA cap can be
// checked without depending on the machine or on the process environment.
#pragma once
#include <vector>

#include "npuq/isa.h"

namespace npuq {
namespace isa_detail {

// The architecture family of a tier: 0 = any (Scalar), 1 = x86, 2 = Arm, 3 = RISC-V.
int isa_family(Isa isa);

// The tier to use given the supported tiers (best first, ending in Scalar) and the NPUQ_MAX_ISA value
// (nullptr or "" = no cap). The cap keeps the best supported tier that is not better than it within its
// architecture: "scalar" always gives Scalar, "neon" on a NeonDot machine gives Neon. An unknown name,
// or a tier of another architecture (e.g. "avx2" on aarch64), leaves the choice uncapped.
Isa apply_isa_cap(const std::vector<Isa>& supported, const char* cap);

// riscv64 AT_HWCAP: single-letter extensions are bits (letter - 'A').
inline bool hwcap_has_rvv(unsigned long hwcap) { return (hwcap >> ('V' - 'A')) & 1UL; }

// Reads the vlenb CSR. Defined only when NPUQ_HAVE_RVV (native/cpu/vlenb-rvv.cc); call only on a CPU
// with the V extension.
size_t read_rvv_vlenb();

}  // namespace isa_detail
}  // namespace npuq
