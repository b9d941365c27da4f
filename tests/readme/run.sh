#!/usr/bin/env bash
# Runs every ```sql block of the README through the real sqlite3 shell, with
# the extension loaded and the tables and parameters of fixture.sql, each
# block in a fresh in-memory database, and fails if any block errors; it
# names each failing block by its line in the README and shows the error.
#
# A block that is not meant to run (a fragment, a syntax sketch) says so on
# the line just above its fence, with a reason:
#   <!-- not run by tests/readme: REASON -->
#
#   tests/readme/run.sh README SQLITE3 MODULE WORK_DIR
# ctest runs it as readme/sql-blocks.
set -euo pipefail
readme=$1 sqlite3=$2 module=$3 work=$4
fixture=$(cd "$(dirname "$0")" && pwd)/fixture.sql
rm -rf "$work"
mkdir -p "$work/build"
# The Quickstart's `.load ./build/quiver`, run in $work, loads the module
# under test.
ln -s "$module" "$work/build/quiver.so"

# Split the README into block-<line>.sql (line: the first line of SQL) and
# a list of the blocks, each with its skip reason if it has one.
awk -v dir="$work" '
  inside && /^[ \t]*```[ \t]*$/ { inside = 0; close(file); next }
  inside { print > file; next }
  /^[ \t]*```sql[ \t]*$/ {
    inside = 1; file = dir "/block-" (NR + 1) ".sql"; printf "" > file
    reason = ""
    if (previous ~ /^<!-- not run by tests\/readme: .+ -->$/) {
      reason = previous; sub(/^<!-- not run by tests\/readme: /, "", reason); sub(/ -->$/, "", reason)
    }
    print (NR + 1) "\t" reason > (dir "/blocks.tsv")
  }
  /[^ \t]/ { previous = $0 }
' "$readme"
[ -s "$work/blocks.tsv" ] || { echo "no \`\`\`sql block in $readme" >&2; exit 1; }

name=$(basename "$readme")
ran=0 skipped=0 failed=0
while IFS=$'\t' read -r line reason; do
  if [ -n "$reason" ]; then
    echo "$name line $line: not run ($reason)"
    skipped=$((skipped + 1))
    continue
  fi
  ran=$((ran + 1))
  if (cd "$work" && "$sqlite3" -batch -bail -cmd ".load $module" -cmd ".read $fixture" :memory: \
        < "block-$line.sql" > "block-$line.out" 2> "block-$line.err") && [ ! -s "$work/block-$line.err" ]; then
    echo "$name line $line: ok"
    continue
  fi
  failed=$((failed + 1))
  # The shell counts lines from the start of the block: "near line N".
  error=$(cat "$work/block-$line.err")
  near=$(sed -n 's/.*near line \([0-9][0-9]*\).*/\1/p' <<< "$error" | head -n 1)
  at=$line
  [ -z "$near" ] || at=$((line + near - 1))
  echo "$name line $line: FAILED (the statement at line $at)"
  sed 's/^/    /' <<< "$error"
done < "$work/blocks.tsv"
echo "$ran blocks run, $skipped not run, $failed failed"
[ "$failed" -eq 0 ]
