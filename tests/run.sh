#!/usr/bin/env bash
# The test command: installs what is missing, builds Quiver, and runs every
# test (Catch2 suites and SQL golden tests, under each kernel family).
# With --full, and in CI (CI=true), it then runs the suite again built with
# AddressSanitizer and UndefinedBehaviorSanitizer (in build-asan), each
# libFuzzer target for 60 seconds (tests/fuzz/run.sh, in build-fuzz), a sample
# of the suite cross-built for aarch64 under qemu (cmake/aarch64-test.sh, in
# build-aarch64), and the WebAssembly build in headless chromium
# (examples/wasm/test.sh, in build-wasm).
#   tests/run.sh [--full]
set -euo pipefail
cd "$(dirname "$0")/.."
full=
case "${1:-}" in
  "") ;;
  --full) full=--full ;;
  *) echo "usage: tests/run.sh [--full]" >&2; exit 2 ;;
esac
if [ "${CI:-}" = true ]; then full=--full; fi
cmake/install-deps.sh test $full
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
[ -n "$full" ] || exit 0

# --full: the same tests under the sanitizers, then the fuzzers.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUIVER_SANITIZE=ON -DQUIVER_BUILD_BENCH=OFF
cmake --build build-asan -j"$jobs"
UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan --output-on-failure -j"$jobs"
tests/fuzz/run.sh 60

# --full: the other platforms. The whole suite under qemu takes minutes
# more: cmake/aarch64-test.sh without --sample runs it.
cmake/aarch64-test.sh --sample
examples/wasm/test.sh
