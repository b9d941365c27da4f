#!/usr/bin/env bash
# The dedup walkthrough, end to end: Debian's package descriptions (63,000
# one-line texts written by people, already on every Debian machine) go into
# an ordinary table, get a vector each from the GloVe word vectors, and
# quiver_pairs finds the near-duplicates through an IVF index; a range query
# checks a new text before it is added; the IVF clusters give topics.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake/build-loadable.sh
glove=$(cmake/glove-db.sh)

# Step 1: package name <TAB> one-line description, from apt's cache.
apt-cache dumpavail |
  awk '/^Package: /{name = substr($0, 10)} /^Description: /{d = substr($0, 14); gsub(/\t/, " ", d); print name "\t" d}' \
    > build/packages.tsv

db=build/packages.db
rm -f "$db"
sqlite3 "$db" -cmd ".load build/quiver" -cmd "ATTACH '$glove' AS glove" \
  -cmd "CREATE TABLE packages (name TEXT PRIMARY KEY, description TEXT NOT NULL)" \
  -cmd ".mode ascii" -cmd '.separator "\t" "\n"' -cmd ".import build/packages.tsv packages" \
  < sql/dedup/embed.sql                                  # step 2
sqlite3 "$db" -cmd ".load build/quiver" -cmd "ATTACH '$glove' AS glove" \
  < sql/dedup/dedup.sql                                  # step 3
