#!/bin/sh
# Builds quiver.so of a git revision, for the --baseline-ext option of
# bench/knn.py and bench/ivf.py, and prints the path of the .so.
#
#   bench/baseline.sh REV OUTDIR
#
# The revision's tree is exported with `git archive` into OUTDIR/src (not a
# checkout: the working tree and build/ are left alone) and configured in
# OUTDIR/build as a Release build of the loadable module only, with ccache
# when it is installed. A second call for the same commit reuses both.
# Progress goes to stderr; stdout is the path alone.
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 REV OUTDIR" >&2
  exit 2
fi
rev=$1
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
commit=$(git -C "$repo" rev-parse --verify --quiet "$rev^{commit}") || {
  echo "$0: no commit '$rev' in $repo" >&2
  exit 1
}
out=$(realpath -m "$2")
case "$out/" in
  "$(realpath "$repo")/"*)
    echo "$0: OUTDIR must lie outside the source tree ($repo)" >&2
    exit 1 ;;
esac
mkdir -p "$out"

src=$out/src
if [ "$(cat "$src/.commit" 2>/dev/null || true)" != "$commit" ]; then
  echo "exporting $commit into $src ..." >&2
  rm -rf "$src" "$out/build"
  mkdir -p "$src"
  git -C "$repo" archive "$commit" | tar -x -C "$src"
  echo "$commit" > "$src/.commit"
fi

launcher=
if command -v ccache >/dev/null 2>&1; then
  launcher="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache"
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$out}"
fi
# shellcheck disable=SC2086  # $launcher is empty or two words
cmake -S "$src" -B "$out/build" -DCMAKE_BUILD_TYPE=Release -DQUIVER_BUILD_TESTS=OFF -DQUIVER_BUILD_BENCH=OFF \
  -DQUIVER_BUILD_EXAMPLES=OFF $launcher >&2
cmake --build "$out/build" --target quiver_loadable -j2 >&2

so=$out/build/quiver.so
if [ ! -f "$so" ]; then
  echo "$0: the build made no $so" >&2
  exit 1
fi
echo "$so"
