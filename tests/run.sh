#!/usr/bin/env bash
# The test command: installs what is missing, builds Quiver, and runs every
# test (Catch2 suites and SQL golden tests, under each kernel family; the
# install, the examples and the README's SQL). With --full, and in CI
# (CI=true), it also runs the Node.js example (installing better-sqlite3
# builds it, a minute or two), then the suite again built with
# AddressSanitizer and UndefinedBehaviorSanitizer (in build-asan), and each
# libFuzzer target for 60 seconds (tests/fuzz/run.sh, in build-fuzz).
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
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DQUIVER_BUILD_TESTS=ON
cmake --build build -j"$jobs"
# --full also runs the Node.js example: better-sqlite3 into build/node, once.
[ -z "$full" ] || examples/node/install.sh build/node >/dev/null
ctest --test-dir build --output-on-failure -j"$jobs"
[ -n "$full" ] || exit 0

# --full: the same tests under the sanitizers, then the fuzzers.
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUIVER_SANITIZE=ON -DQUIVER_BUILD_BENCH=OFF
cmake --build build-asan -j"$jobs"
UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan --output-on-failure -j"$jobs"
tests/fuzz/run.sh 60
