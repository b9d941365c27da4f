#!/usr/bin/env bash
# Installs the Node example's one dependency, better-sqlite3 (pinned in
# package.json), into build/node/node_modules, once: run.js is then started
# with NODE_PATH pointing there. better-sqlite3 builds its native module
# from source with npm's own node-gyp when no prebuilt binary can be
# fetched, which takes a minute or two. Needs Node.js 20 or newer and npm.
#   examples/node/install.sh [DIR]     (default build/node)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/../../build/node}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
command -v node >/dev/null && command -v npm >/dev/null ||
  { echo "install.sh: Node.js 20+ and npm are needed" >&2; exit 1; }
if ! cmp -s "$here/package.json" "$dir/package.json" ||
   ! (cd "$dir" && node -e "new (require('better-sqlite3'))(':memory:')") 2>/dev/null; then
  cp "$here/package.json" "$dir/package.json"
  echo "installing better-sqlite3 into $dir/node_modules ..." >&2
  (cd "$dir" && npm install --no-audit --no-fund >&2)
fi
echo "$dir/node_modules"
