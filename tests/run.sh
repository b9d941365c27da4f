#!/usr/bin/env bash
# The test command: installs what is missing, builds Quiver, and runs every
# test (Catch2 suites and SQL golden tests, under each kernel family).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake/install-deps.sh test
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
