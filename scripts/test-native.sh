#!/usr/bin/env bash
# Builds and runs the C++ (ctest) suites: natively, then cross-compiled for aarch64 and riscv64 and
# run under qemu-user (no binfmt needed: CMAKE_CROSSCOMPILING_EMULATOR calls qemu explicitly).
# Usage: scripts/test-native.sh [native|asan|aarch64|riscv64|all]   (default: native)
# Prints one line per suite: "ctest <suite>: N passed, M failed". The aarch64 binaries also run as a
# Cortex-A53 (armv8.0, no dotprod), the riscv64 ones at VLEN 256 and without V. `asan` (part of `all`)
# runs the x64 suites once more built with AddressSanitizer and UBSan (NPUQ_SANITIZE), any report fatal.
set -u
cd "$(dirname "$0")/.."
what=${1:-native}
jobs=${NPUQ_BUILD_JOBS:-2}
status=0

run_suite() {  # name build_dir cmake_args... -- ctest env
  local name=$1 dir=$2; shift 2
  local args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  if ! cmake -S . -B "$dir" -DNPUQ_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=Release "${args[@]}" > "$dir.log" 2>&1 ||
     ! cmake --build "$dir" -j "$jobs" >> "$dir.log" 2>&1; then
    echo "ctest $name: build failed (see $dir.log)"; tail -20 "$dir.log"
    echo "ctest $name: 0 passed, 1 failed"; status=1; return
  fi
  local out
  out=$(cd "$dir" && env "$@" ctest --output-on-failure 2>&1)
  echo "$out" | tail -40
  local total failed
  total=$(echo "$out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' | tail -1)
  failed=$(echo "$out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1/p' | tail -1)
  total=${total:-0}; failed=${failed:-1}
  [ "$total" = 0 ] && failed=1
  echo "ctest $name: $((total - failed)) passed, $failed failed"
  [ "$failed" = 0 ] || status=1
}

# Runs every test binary of an existing build under another emulator setting (another CPU model or
# vector length) without rebuilding.
rerun_suite() {  # name build_dir emulator...
  local name=$1 dir=$2; shift 2
  local p=0 f=0
  if [ ! -d "$dir" ]; then echo "ctest $name: 0 passed, 1 failed"; status=1; return; fi
  for t in "$dir"/test_*; do
    [ -x "$t" ] || continue
    if out=$("$@" "$t" 2>&1); then p=$((p + 1)); else f=$((f + 1)); echo "$out" | tail -20; echo "FAILED: $(basename "$t") under $*"; fi
  done
  [ $((p + f)) = 0 ] && f=1
  echo "ctest $name: $p passed, $f failed"
  [ "$f" = 0 ] || status=1
}

case $what in
  native|all) run_suite x64 build-native -- ;;
esac
case $what in
  asan|all)
    run_suite x64-asan-ubsan build-asan -DNPUQ_SANITIZE=ON -- \
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ;;
esac
case $what in
  aarch64|all)
    run_suite aarch64 build-aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake --
    # armv8.0 without dotprod: the plain NEON tier must be picked and agree.
    rerun_suite aarch64-cortex-a53 build-aarch64 qemu-aarch64-static -cpu cortex-a53 -L /usr/aarch64-linux-gnu ;;
esac
case $what in
  riscv64|all)
    run_suite riscv64-vlen128 build-riscv64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/riscv64-linux-gnu.cmake --
    rerun_suite riscv64-vlen256 build-riscv64 qemu-riscv64-static -cpu rv64,v=true,vlen=256 -L /usr/riscv64-linux-gnu
    # No V extension: the scalar fallback.
    rerun_suite riscv64-novector build-riscv64 qemu-riscv64-static -cpu rv64,v=false -L /usr/riscv64-linux-gnu ;;
esac
exit $status
