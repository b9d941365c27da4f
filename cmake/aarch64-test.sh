#!/usr/bin/env bash
# Cross-builds Quiver and its Catch2 suites for aarch64 with Debian's
# g++-aarch64-linux-gnu and the multiarch arm64 libraries, then runs them
# under qemu-user: the NEON kernels against the scalar reference, and the SQL
# layer on NEON and on the scalar reference. Installs what it needs.
#   cmake/aarch64-test.sh            # every test case (several minutes)
#   cmake/aarch64-test.sh --sample   # kernels, vector, functions and vtab (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
sample=
case "${1:-}" in
  "") ;;
  --sample) sample=1 ;;
  *) echo "usage: cmake/aarch64-test.sh [--sample]" >&2; exit 2 ;;
esac
build=build-aarch64
cmake/install-deps.sh aarch64

# Catch2 for arm64: catch2:arm64 cannot be installed next to the amd64
# package (it is Multi-Arch: foreign), so unpack it into the build folder.
catch2="$build/catch2-arm64"
if [ ! -f "$catch2/usr/lib/cmake/Catch2/Catch2Config.cmake" ]; then
  mkdir -p "$catch2"
  (cd "$catch2" && apt-get download -qq catch2:arm64 2>/dev/null && dpkg-deb -x catch2_*_arm64.deb . && rm catch2_*_arm64.deb)
fi

# qemu without -L: the arm64 loader and libc are installed by multiarch, the
# cross toolchain's libstdc++ lives in /usr/aarch64-linux-gnu/lib.
qemu=(qemu-aarch64 -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib)
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-toolchain.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DQUIVER_BUILD_BENCH=OFF "${launcher[@]}" \
  -DCatch2_DIR="$PWD/$catch2/usr/lib/cmake/Catch2" \
  -DCMAKE_CROSSCOMPILING_EMULATOR="$(IFS=';'; echo "${qemu[*]}")" >/dev/null
targets=(quiver_loadable quiver_static quiver_tests)
[ -n "$sample" ] || targets+=(quiver_fault_tests)
jobs=$(nproc)
[ "$jobs" -le 2 ] || jobs=2
SECONDS=0
cmake --build "$build" -j"$jobs" --target "${targets[@]}"
echo "built in ${SECONDS} s"

# The kernel family an application gets: examples/static-link on arm64.
aarch64-linux-gnu-gcc -O2 -Iext -c examples/static-link/main.c -o "$build/quiver_example.o"
aarch64-linux-gnu-g++ "$build/quiver_example.o" "$build/libquiver.a" -lsqlite3 -o "$build/quiver_example"
example=$("${qemu[@]}" "$build/quiver_example")
echo "$example"
kernels=$(sed -n 's/.*kernels=\([^ ]*\).*/\1/p' <<<"$example")
echo "kernel family in use: $kernels"
[ "$kernels" = neon ] || { echo "aarch64-test.sh: expected the neon kernels, got \"$kernels\"" >&2; exit 1; }

# Test cases tagged [fork] are skipped: under qemu-user 7.2 a forked child
# crashes (or, with -L, hangs) on its own, whatever the test does.
tests=("${qemu[@]}" "$build/tests/quiver_tests")
if [ -n "$sample" ]; then
  spec="[kernels]~[fork],[vector]~[fork],[functions]~[fork],[vtab]~[fork]"
else
  spec="~[fork]"
fi
echo "skipping the [fork] test cases: qemu-user cannot run a forked child" >&2
SECONDS=0
"${tests[@]}" "$spec"
# The NEON section of the kernel check on its own: it must exist and assert.
neon=$("${tests[@]}" "every kernel family matches the scalar reference\, never reading out of bounds" -c "isa neon")
grep -q "All tests passed ([1-9][0-9]* assertions" <<<"$neon" ||
  { echo "$neon"; echo "aarch64-test.sh: the NEON kernels were not compared with the reference" >&2; exit 1; }
echo "NEON kernels against the scalar reference: $(grep -o "[0-9]* assertions" <<<"$neon")"
# The SQL functions again on the scalar reference.
QUIVER_SIMD=scalar "${tests[@]}" "[simd-env],[functions]"
[ -n "$sample" ] || "${qemu[@]}" "$build/tests/quiver_fault_tests" "~[fork]"
echo "tests ran under qemu in ${SECONDS} s"
