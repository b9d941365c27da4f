#!/usr/bin/env bash
# Installs what the examples need (see install-deps.sh demo) and builds the
# loadable extension into build/quiver.so, quietly.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake/install-deps.sh demo
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target quiver_loadable >/dev/null
