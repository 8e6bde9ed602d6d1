# Cross build for RISC-V 64 Linux with clang (RVV 1.0 intrinsics need clang >= 16) and lld, against
# Debian's riscv64 cross runtime in /usr/riscv64-linux-gnu (packages libc6-dev-riscv64-cross,
# libstdc++-12-dev-riscv64-cross, libgcc-12-dev-riscv64-cross). Tests run under qemu with the V
# extension at VLEN=128 (set NPUQ_RVV_VLEN=256 to try another length):
#   cmake -S . -B build-riscv64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/riscv64-linux-gnu.cmake -DNPUQ_BUILD_TESTS=ON
#   cmake --build build-riscv64 -j2 && (cd build-riscv64 && ctest --output-on-failure)
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)

set(NPUQ_CROSS_TRIPLE riscv64-linux-gnu)
find_program(NPUQ_CLANG NAMES clang-16 clang-17 clang-18 clang REQUIRED)
find_program(NPUQ_CLANGXX NAMES clang++-16 clang++-17 clang++-18 clang++ REQUIRED)
find_program(NPUQ_LLD NAMES ld.lld-16 ld.lld-17 ld.lld-18 ld.lld REQUIRED)
set(CMAKE_C_COMPILER ${NPUQ_CLANG})
set(CMAKE_CXX_COMPILER ${NPUQ_CLANGXX})
set(CMAKE_C_COMPILER_TARGET ${NPUQ_CROSS_TRIPLE})
set(CMAKE_CXX_COMPILER_TARGET ${NPUQ_CROSS_TRIPLE})
# clang finds the GCC cross installation (/usr/lib/gcc-cross/riscv64-linux-gnu) and the headers and
# libraries under /usr/riscv64-linux-gnu by itself; only the linker has to be named (no GNU cross ld).
set(CMAKE_EXE_LINKER_FLAGS_INIT "--ld-path=${NPUQ_LLD}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "--ld-path=${NPUQ_LLD}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "--ld-path=${NPUQ_LLD}")

set(CMAKE_FIND_ROOT_PATH /usr/${NPUQ_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(NOT DEFINED NPUQ_RVV_VLEN)
  set(NPUQ_RVV_VLEN 128)
  if(DEFINED ENV{NPUQ_RVV_VLEN})
    set(NPUQ_RVV_VLEN $ENV{NPUQ_RVV_VLEN})
  endif()
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-riscv64-static;-cpu;rv64,v=true,vlen=${NPUQ_RVV_VLEN};-L;/usr/${NPUQ_CROSS_TRIPLE})
