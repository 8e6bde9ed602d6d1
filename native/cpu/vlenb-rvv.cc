// Reads the RVV vector register length in bytes. Built with -march=rv64gcv (the -rvv suffix); called only
// after HWCAP reported the V extension.
#include <cstddef>

#include "cpu/isa-internal.h"

namespace npuq {
namespace isa_detail {

size_t read_rvv_vlenb() {
  size_t vlenb;
  __asm__ volatile("csrr %0, vlenb" : "=r"(vlenb));
  return vlenb;
}

}  // namespace isa_detail
}  // namespace npuq
