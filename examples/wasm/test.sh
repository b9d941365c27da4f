#!/usr/bin/env bash
# Builds the WebAssembly demo (build.sh), serves it on 127.0.0.1, loads it in
# headless chromium and checks the answers the page shows against a brute
# force computed in Python (check_page.py). Leaves the page's DOM and a
# screenshot in BUILD_DIR.
#   examples/wasm/test.sh [BUILD_DIR]        (default build-wasm)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-wasm}
examples/wasm/build.sh "$build"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The server lives at most as long as the checks need.
timeout 300 python3 -m http.server --bind 127.0.0.1 --directory "$build/site" "$port" >"$build/server.log" 2>&1 &
server=$!
profile=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$profile"' EXIT
url="http://127.0.0.1:$port/index.html"
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('$url')" 2>/dev/null && break
  sleep 0.1
done

browser=(timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --user-data-dir="$profile" --virtual-time-budget=10000)
"${browser[@]}" --dump-dom "$url" >"$build/page.html" 2>"$build/chromium.log"
"${browser[@]}" --window-size=1280,1000 --screenshot="$PWD/$build/page.png" "$url" >>"$build/chromium.log" 2>&1
python3 examples/wasm/check_page.py "$build/page.html"
echo "the page's DOM: $build/page.html, a screenshot: $build/page.png"
