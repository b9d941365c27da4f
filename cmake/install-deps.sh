#!/usr/bin/env bash
# Installs the Debian packages Quiver needs for one purpose, if any are
# missing: build (the extension), test (build + tests; with --full also clang
# and its libFuzzer, numpy, and npm for the Node example and the newer SQLite,
# as tests/run.sh --full needs), demo (build + npm for the GloVe data), bench
# (demo + the peers' references: numpy and Faiss for the Python benchmarks),
# aarch64 (the cross compiler, qemu-user and the arm64 libraries, for
# cmake/aarch64-test.sh), wasm (emscripten and chromium, for
# examples/wasm/test.sh).
#   cmake/install-deps.sh test [--full]
set -euo pipefail
purpose=${1:-build}
packages=(cmake g++ make libsqlite3-dev sqlite3 libxsimd-dev)
apt_options=()
case "$purpose" in
  build) ;;
  test)
    # pkg-config and zlib1g-dev: the install test links a consumer with
    # `pkg-config --static`, which follows sqlite3.pc to -lz; python3: the
    # Python example (Debian's, whose sqlite3 module loads extensions).
    packages+=(catch2 pkg-config zlib1g-dev python3)
    # --full also runs the Python example with numpy and the Node example
    # (its install script builds better-sqlite3 with npm).
    if [ "${2:-}" = --full ]; then packages+=(clang-14 libclang-rt-14-dev python3-numpy npm); fi
    ;;
  demo) packages+=(npm) ;;
  bench) packages+=(npm catch2 python3 python3-numpy python3-faiss) ;;
  aarch64) packages+=(catch2 g++-aarch64-linux-gnu qemu-user libsqlite3-dev:arm64 libxsimd-dev:arm64) ;;
  # emscripten's recommends are not needed; chromium runs headless.
  wasm) packages+=(npm emscripten chromium); apt_options+=(--no-install-recommends) ;;
  *) echo "install-deps.sh: unknown purpose \"$purpose\" (build, test, demo, bench, aarch64 or wasm)" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  # An npm already on PATH (say, from a Node.js install) will do.
  [ "$p" = npm ] && command -v npm >/dev/null && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing ${missing[*]} ..." >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "install-deps.sh: please install: ${missing[*]}" >&2
  exit 1
fi
# The arm64 packages come from Debian's multiarch archive.
if [ "$purpose" = aarch64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  "${sudo[@]}" dpkg --add-architecture arm64
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${apt_options[@]}" "${missing[@]}" >/dev/null
