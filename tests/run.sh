#!/usr/bin/env bash
# The test command: installs what is missing, builds Quiver, and runs every
# test (Catch2 suites and SQL golden tests, under each kernel family; the
# install, the examples and the README's SQL). With --full, and in CI
# (CI=true), it also runs the Node.js example (installing better-sqlite3
# builds it, a minute or two), the query suites (the virtual table's Catch2
# groups and the SQL golden tests, one kernel family) on a newer SQLite than
# Debian's (cmake/newer-sqlite.sh, in build-sqlite and build-newer-sqlite),
# then the suite again built with AddressSanitizer and
# UndefinedBehaviorSanitizer (in build-asan), and each libFuzzer target for
# 60 seconds (tests/fuzz/run.sh, in build-fuzz), a sample of the suite
# cross-built for aarch64 under qemu (cmake/aarch64-test.sh, in
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
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DQUIVER_BUILD_TESTS=ON
cmake --build build -j"$jobs"
# --full also runs the Node.js example: better-sqlite3 into build/node, once.
[ -z "$full" ] || examples/node/install.sh build/node >/dev/null
ctest --test-dir build --output-on-failure -j"$jobs"
[ -n "$full" ] || exit 0

# --full: the query suites on a newer SQLite (3.41+ passes LIMIT to virtual
# tables, 3.44+ runs their integrity checks), then the same tests under the
# sanitizers, then the fuzzers.
sqlite=$(cmake/newer-sqlite.sh build-sqlite)
cmake -S . -B build-newer-sqlite -DCMAKE_BUILD_TYPE=Release -DQUIVER_BUILD_BENCH=OFF \
  -DSQLite3_INCLUDE_DIR="$sqlite/include" -DSQLite3_LIBRARY="$sqlite/lib/libsqlite3.so" \
  -DSQLITE3_SHELL="$sqlite/bin/sqlite3" -DQUIVER_SQL_TEST_NORMALIZE=ON
cmake --build build-newer-sqlite -j"$jobs" --target quiver_tests quiver_loadable
build-newer-sqlite/tests/quiver_tests "[vtab],[ivf],[query]"
ctest --test-dir build-newer-sqlite --output-on-failure -j"$jobs" -R '^sql/.*/scalar$'

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUIVER_SANITIZE=ON -DQUIVER_BUILD_BENCH=OFF
cmake --build build-asan -j"$jobs"
UBSAN_OPTIONS=print_stacktrace=1 ctest --test-dir build-asan --output-on-failure -j"$jobs"
tests/fuzz/run.sh 60

# --full: the other platforms. The whole suite under qemu takes minutes
# more: cmake/aarch64-test.sh without --sample runs it.
cmake/aarch64-test.sh --sample
examples/wasm/test.sh
