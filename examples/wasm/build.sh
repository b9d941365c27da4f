#!/usr/bin/env bash
# Builds SQLite and Quiver into one WebAssembly module with Debian's
# emscripten, and puts it next to the demo page:
#   examples/wasm/build.sh [BUILD_DIR]        (default build-wasm)
# BUILD_DIR/site/ then holds index.html, demo.js, sqlite.js and
# quiver-sqlite.js (the module, its wasm embedded). SQLite's C source comes
# from the better-sqlite3 package tarball, which ships the amalgamation.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-wasm}
cmake/install-deps.sh wasm
export NODE_PATH=/usr/share/nodejs  # emscripten's JavaScript tools need acorn from there
sqlite=$(cmake/fetch-npm.sh better-sqlite3@12.11.1)/deps/sqlite3
mkdir -p "$build"
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

# SQLite: one thread, no extension loading (Quiver is linked in).
if [ ! -f "$build/libsqlite3.a" ] || [ "$sqlite/sqlite3.c" -nt "$build/libsqlite3.a" ]; then
  echo "compiling sqlite3.c ..." >&2
  emcc -O2 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_DQS=0 \
    -c "$sqlite/sqlite3.c" -o "$build/sqlite3.o"
  emar rcs "$build/libsqlite3.a" "$build/sqlite3.o"
fi

# Quiver's static library, through its own CMake build. Emscripten reports
# an x86 processor, which selects no SIMD kernel files: the scalar kernels
# run. Quiver's exception barrier needs -fexceptions.
emcmake cmake -S . -B "$build/quiver" -DCMAKE_BUILD_TYPE=Release \
  -DQUIVER_BUILD_TESTS=OFF -DQUIVER_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS=-fexceptions "${launcher[@]}" \
  -DSQLite3_INCLUDE_DIR="$sqlite" -DSQLite3_LIBRARY="$PWD/$build/libsqlite3.a" -Wno-dev >/dev/null
cmake --build "$build/quiver" --target quiver_static -j2

# One JavaScript file with the wasm inside (no second fetch), exporting the
# C API that sqlite.js wraps.
functions=(malloc free quiver_register sqlite3_open sqlite3_close_v2 sqlite3_errmsg
  sqlite3_prepare_v2 sqlite3_step sqlite3_finalize sqlite3_bind_blob sqlite3_bind_double
  sqlite3_bind_int sqlite3_bind_text sqlite3_bind_null sqlite3_column_count sqlite3_column_name
  sqlite3_column_type sqlite3_column_double sqlite3_column_text sqlite3_column_blob
  sqlite3_column_bytes)
exported=$(printf '"_%s",' "${functions[@]}")
emcc -O2 -fexceptions "$build/quiver/libquiver.a" "$build/libsqlite3.a" \
  -sSINGLE_FILE=1 -sMODULARIZE=1 -sEXPORT_NAME=QuiverSQLite -sALLOW_MEMORY_GROWTH=1 \
  -sEXPORTED_FUNCTIONS="[${exported%,}]" \
  -sEXPORTED_RUNTIME_METHODS='["getValue","UTF8ToString","stringToUTF8","lengthBytesUTF8"]' \
  -o "$build/quiver-sqlite.js"

mkdir -p "$build/site"
cp examples/wasm/index.html examples/wasm/demo.js examples/wasm/sqlite.js "$build/quiver-sqlite.js" "$build/site/"
echo "built $build/site/quiver-sqlite.js ($(stat -c %s "$build/quiver-sqlite.js") bytes)"
