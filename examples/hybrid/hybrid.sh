#!/usr/bin/env bash
# The hybrid search walkthrough, end to end: Debian's package descriptions
# (64,000 one-line texts written by people, on every Debian machine) go into
# an ordinary table `docs` with an FTS5 index and a GloVe-pooled vector per
# row, indexed by an external-content quiver table (content=docs); quiver_hybrid
# fuses the two searches.
# Prints side-by-side top 5s and recall@10 of text only, vector only and
# hybrid on 100 held-out queries. About half a minute after the demo.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake/build-loadable.sh
glove=$(cmake/glove-db.sh)

# Step 1: name <TAB> source <TAB> section <TAB> description, one per package.
apt-cache dumpavail | awk -f examples/hybrid/packages.awk > build/hybrid-packages.tsv

db=build/hybrid.db
rm -f "$db"
sqlite3 "$db" -cmd ".load build/quiver" -cmd "ATTACH '$glove' AS glove" \
  -cmd "CREATE TABLE packages (name TEXT PRIMARY KEY, source TEXT NOT NULL, section TEXT NOT NULL, description TEXT NOT NULL)" \
  -cmd ".mode ascii" -cmd '.separator "\t" "\n"' -cmd ".import build/hybrid-packages.tsv packages" \
  < sql/hybrid/load.sql                                          # step 2
sqlite3 "$db" -cmd ".load build/quiver" -cmd "ATTACH '$glove' AS glove" \
  < sql/hybrid/compare.sql                                       # step 3
sqlite3 "$db" -cmd ".load build/quiver" < sql/hybrid/recall.sql  # step 4
