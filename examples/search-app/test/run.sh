#!/usr/bin/env bash
# The search app's test: indexes the fixture folder with a tiny vocabulary,
# checks the answers against what the fixture was written to give and
# against a brute-force ranking computed in SQL, then re-indexes after a
# change and a removal, and checks the error messages.
#   test/run.sh SEARCH_APP SQLITE3_SHELL QUIVER_MODULE WORK_DIR
#
# words.tsv has 8 dimensions: 0-4 are topics (astronomy, cooking, music,
# gardening, computing) and 5-7 sub-topics. A topic word is its topic's axis
# plus 0.6 on its sub-topic's; a function word ("the", "of") is 0.2 on each
# sub-topic axis. Each paragraph of the fixture uses one sub-topic's words.
set -euo pipefail
app=$1 sqlite3=$2 module=$3 work=$4
here=$(cd "$(dirname "$0")" && pwd)
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# expect NAME ACTUAL EXPECTED
expect() {
  if [ "$2" != "$3" ]; then fail "$1"$'\n'"expected: $3"$'\n'"got:      $2"; fi
}

rm -rf "$work"
mkdir -p "$work"
docs=$work/docs
cp -r "$here/fixture" "$docs"
gzip "$docs/garden/notes.txt"                     # read through zlib
printf 'PNG\0\1\2 not text\n' > "$docs/image.png" # a NUL byte: binary, skipped
"$sqlite3" "$work/words.db" -cmd ".mode tabs" -cmd ".import $here/words.tsv words"
db=$work/index.db

# 1. A first index: 8 files, the binary one skipped, unknown.txt has no
# known word; 14 paragraphs, 13 distinct (garden/copy.txt repeats one of
# notes.txt). Output is not a terminal: plain progress lines.
"$app" index "$docs" "$db" --words "$work/words.db" > "$work/out" 2> "$work/err"
expect "index summary" "$(cat "$work/out")" \
"8 files: 8 read (1 binary or unreadable, skipped), 0 unchanged, 0 removed
14 paragraphs written, 14 in the index (13 distinct); exact search (small collection); 0 s"
grep -q '^indexing: 100%  8/8 files  14 paragraphs' "$work/err" || fail "no plain progress line: $(cat "$work/err")"

# The top hit of a query, as "path:line" relative to the folder.
top() { "$app" query "$db" "$1" -k 1 | sed -n "s|^ 1\. [0-9.]*  $docs/||p"; }
# The k nearest as "path:line distance", from the app, then by brute force:
# every passage's vector pooled again in SQL (vector_mean over
# quiver_tokens), ranked by cosine_distance, ties by id, shown at its first
# place by path and line.
nearest_app() {
  "$app" query "$db" "$1" -k "$2" | sed -n "s|^ *[0-9]*\. \([0-9.]*\)  $docs/\([^ ]*\).*|\2 \1|p"
}
nearest_sql() {
  "$sqlite3" "$db" -cmd ".load $module" -cmd ".parameter set :q '$1'" -cmd ".parameter set :k $2" "
    WITH q(v) AS (SELECT vector_mean(w.vector) FROM quiver_tokens(:q) AS t JOIN words AS w ON w.word = t.token),
         pv(id, v) AS (SELECT s.id, vector_mean(w.vector) FROM passages AS s, quiver_tokens(s.text) AS t
                       JOIN words AS w ON w.word = t.token GROUP BY s.id),
         places(passage_id, place, n) AS (
           SELECT p.passage_id, substr(f.path, length('$docs/') + 1) || ':' || p.line,
                  row_number() OVER (PARTITION BY p.passage_id ORDER BY f.path, p.line)
           FROM paragraphs AS p JOIN files AS f ON f.id = p.file_id)
    SELECT places.place || ' ' || printf('%.3f', cosine_distance(pv.v, q.v))
    FROM pv, q JOIN places ON places.passage_id = pv.id AND places.n = 1
    ORDER BY cosine_distance(pv.v, q.v), pv.id LIMIT :k"
}

# 2. The paragraphs the fixture was written for.
expect "telescope" "$(top 'the telescope and the rings of a planet')" "astronomy.txt:3"
expect "comet" "$(top 'comet orbit')" "astronomy.txt:5"
expect "night sky" "$(top 'notes on the night sky')" "astronomy.txt:1"
expect "bake" "$(top 'how do I bake in a hot oven')" "kitchen/bread.md:6"
expect "dough" "$(top 'yeast dough')" "kitchen/bread.md:3"
expect "tomato" "$(top 'tomato seed in the soil')" "garden/notes.txt.gz:3"
expect "piano" "$(top 'piano melody')" "music.txt:3"
expect "compiler" "$(top 'the compiler crashed')" "computing.txt:1"
expect "copies" "$(top 'water the garden in the evening')" "garden/copy.txt:1  (and 1 more)"
# 3. The same ranking as brute force, distances to three decimals.
for q in 'the telescope and the rings of a planet' 'yeast dough' 'kernel bug in my guitar'; do
  expect "brute force: $q" "$(nearest_app "$q" 5)" "$(nearest_sql "$q" 5)"
done
"$app" query "$db" 'telescope zyx' -k 1 | grep -q '^1 result in [0-9.]* ms (not in the vocabulary, ignored: zyx)$' ||
  fail "the unknown word is not reported"

# 4. Nothing changed: nothing read.
"$app" index "$docs" "$db" > "$work/out" 2> /dev/null
expect "unchanged" "$(head -1 "$work/out")" "8 files: 0 read (0 binary or unreadable, skipped), 8 unchanged, 0 removed"

# 5. A changed file is read again, all of it; its new paragraph is found.
printf '\nDrums and rhythm, drums and rhythm.\n' >> "$docs/music.txt"
"$app" index "$docs" "$db" > "$work/out" 2> /dev/null
expect "changed" "$(cat "$work/out")" \
"8 files: 1 read (0 binary or unreadable, skipped), 7 unchanged, 0 removed
3 paragraphs written, 15 in the index (14 distinct); exact search (small collection); 0 s"
expect "new paragraph" "$(top 'drums rhythm')" "music.txt:5"

# 6. A removed file leaves the index, its paragraphs and the passages no
# other file has with it.
rm "$docs/computing.txt" "$docs/garden/copy.txt"
"$app" index "$docs" "$db" > "$work/out" 2> /dev/null
expect "removed" "$(cat "$work/out")" \
"6 files: 0 read (0 binary or unreadable, skipped), 6 unchanged, 2 removed
0 paragraphs written, 12 in the index (12 distinct); exact search (small collection); 0 s"
case "$(top 'the compiler crashed')" in computing.txt:*) fail "a removed file is still found" ;; esac
expect "copy removed" "$(top 'water the garden in the evening')" "garden/notes.txt.gz:6"
expect "integrity" "$("$sqlite3" "$db" -cmd ".load $module" \
  "INSERT INTO passage_vectors (passage_vectors) VALUES ('integrity-check');
   SELECT (SELECT count(*) FROM passage_vectors) || ' ' || (SELECT count(*) FROM passages)
          || ' ' || (SELECT count(*) FROM paragraphs) || ' ' || (SELECT count(*) FROM files)" 2>&1)" "12 12 12 6"

# 7. The prompt: one answer per line, errors shown and the prompt goes on,
# "quit" ends it; "search-app DB" is the same as "search-app shell DB".
for form in shell bare; do
  args=(shell "$db")
  [ "$form" = shell ] || args=("$db")
  out=$(printf 'comet orbit\n\n???\nquit\npiano melody\n' | "$app" "${args[@]}" -k 1)
  expect "prompt ($form)" "$(echo "$out" | sed -n "s|^ 1\. [0-9.]*  $docs/||p; /^the query/p")" \
"astronomy.txt:5
the query has no words: \"???\""
done

# 8. Errors, on stderr with exit status 1.
error() {
  local status=0
  "$app" "$@" > /dev/null 2> "$work/err" || status=$?
  [ "$status" -eq 1 ] || fail "$*: exit status $status"
  cat "$work/err"
}
expect "no index" "$(error query "$work/missing.db" 'comet')" \
  "search-app: no index at \"$work/missing.db\" (make one with: search-app index FOLDER $work/missing.db)"
expect "empty query" "$(error query "$db" '  ')" "search-app: the query is empty"
expect "no words" "$(error query "$db" '?!')" 'search-app: the query has no words: "?!"'
expect "unknown words" "$(error query "$db" 'zyx plk')" 'search-app: no word of the query is in the vocabulary: "zyx plk"'
expect "not an index" "$(error query "$work/words.db" 'comet')" "search-app: \"$work/words.db\" is not a search-app index"
expect "no folder" "$(error index "$work/nowhere" "$db")" "search-app: no folder \"$work/nowhere\""
expect "words again" "$(error index "$docs" "$db" --words "$work/words.db")" \
  "search-app: \"$db\" already has its word vectors; --words is for a new index"
expect "no words file" "$(error index "$docs" "$work/new.db" --words "$work/none.db")" \
  "search-app: no word vectors at \"$work/none.db\" (build them with cmake/glove-db.sh, or name a database with a words table: --words FILE)"
[ ! -e "$work/new.db" ] || fail "a failed index left $work/new.db behind"

# 9. Past 10,000 paragraphs the index is IVF: the run trains it once on all
# 14,000 (the table is train=manual); a small addition later keeps the lists. The answers are as near as
# the brute-force ones. Paragraphs of five words, generated, all different.
many=$work/many
mkdir -p "$many"
generate() {  # FROM TO
  awk -F'\t' -v from="$1" -v to="$2" 'NR > 1 { w[n++] = $2 }
    END { for (i = from; i < to; i++)
            printf "%s %s %s %s %s\n\n", w[(i * 7) % n], w[(i * 13 + 5) % n], w[(i * 31 + 11) % n],
                   w[int(i / n) % n], w[int(i / n / n)] }' "$here/words.tsv"
}
generate 0 14000 > "$many/generated.txt"
db=$work/many.db
untimed() { sed -E 's/; [0-9:]+( s)?$//'; }
"$app" index "$many" "$db" --words "$work/words.db" 2> /dev/null | untimed > "$work/out"
expect "ivf index" "$(cat "$work/out")" \
"1 files: 1 read (0 binary or unreadable, skipped), 0 unchanged, 0 removed
14,000 paragraphs written, 14,000 in the index (14,000 distinct); IVF index trained: 14 lists"
generate 14000 14100 > "$many/more.txt"
"$app" index "$many" "$db" 2> /dev/null | untimed > "$work/out"
expect "ivf kept" "$(tail -1 "$work/out")" "100 paragraphs written, 14,100 in the index (14,100 distinct); IVF index: 14 lists"
docs=$many
for q in 'telescope comet bread' 'guitar soil kernel' 'piano and the song'; do
  expect "ivf against brute force: $q" "$(nearest_app "$q" 10 | cut -d' ' -f2)" "$(nearest_sql "$q" 10 | cut -d' ' -f2)"
done

# 10. SQLite is linked in, not loaded from the system.
if command -v readelf > /dev/null && readelf -d "$app" | grep -q 'NEEDED.*libsqlite3'; then
  fail "search-app needs the shared libsqlite3"
fi

if [ "$failures" -gt 0 ]; then
  echo "search-app test: $failures failed" >&2
  exit 1
fi
echo "search-app test: all checks passed"
