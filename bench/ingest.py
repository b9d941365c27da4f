#!/usr/bin/python3
"""Writes, filters, first queries, file sizes and threads: the figures of fast ingest.

On the GloVe word vectors (or their first --rows words; --queries of them,
drawn as knn.py and ivf.py draw them, are held out as queries), each table
declared as

    quiver(embedding float[100] distance=cosine, word text, tag integer[, index=ivf[, train=manual]])

with tag = id * 7919 % 1000, a metadata column that does not follow the
words' frequency order. Every database is a file in --workdir with SQLite's
defaults (rollback journal, default page cache; --wal for WAL). In one run:

  load      all base rows in one transaction (INSERT ... SELECT from an
            attached plain table) into an empty flat table, an empty IVF
            table that trains by itself (train=auto: at the commit), and an
            IVF table with train=manual followed by one 'rebuild'. Target:
            the train=auto load <= 1.5x (flat load + rebuild).
  rebuild   the same 'rebuild' at the default page cache, with
            cache_size = 1 GiB, and on a :memory: database. Target: default
            <= 1.5x :memory:.
  ingest    every base row again under rowid + 1,000,000 into copies of the
            loaded flat table and of the rebuilt (trained) IVF table: in one
            transaction, and in commits of 1,000 rows; then --single
            single-row autocommit INSERTs (median, p99, max). Target: IVF
            rows/s >= 0.5x flat; no single-row INSERT over 50 ms.
  size      file bytes / raw vector bytes (rows x 400) after each load, the
            rebuild and the ingest, with SQLite's free pages. Target: <= 1.15.
  filter    k = 10 queries/s, flat and IVF (the table's default probes),
            unfiltered and with a metadata filter that one row passes
            (word = a random base word), 0.1% (tag = 7), 1% (tag < 10) and
            90% (tag >= 100); the IVF recall@10 against the flat table's
            exact answers under the same filter. Targets: 0.1% <= 2x
            unfiltered, 90% <= 1.3x; IVF recall at 1% >= 0.95.
  first     the first and second query of a new connection while another
            connection of the process is warm, and the first query of a new
            process (database file in the OS page cache), against the warm
            median. Target: a new connection's first query <= 2x warm.
  threads   when the extension has quiver_config('threads', N): queries/s
            of flat and IVF and the 'rebuild' time at each --threads count,
            with Faiss (IndexIVFFlat, same lists, inner product on
            normalized vectors; apt-get install python3-faiss) at the same
            thread counts when it is installed. Targets: flat at 2 threads
            >= 1.7x one thread, IVF >= 1.6x, rebuild <= 0.6x.

    /usr/bin/python3 bench/ingest.py [--rows 100000] [--queries 200] [--csv ingest.csv]

Needs Debian's /usr/bin/python3 (its sqlite3 module loads extensions) and
build/quiver.so; numpy only for Faiss. The GloVe table is built once into
build/bench/glove.db (bench/common.py).
"""
import argparse
import csv
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

from common import (DIMS, GLOVE_ROWS, add_data_args, check_ext, connect, ensure_glove_db, fail, holdout_split,
                    machine_lines, percentile, remove_db, verdict)

K = 10
QUERY_COUNT = 200
PASSES = 3
WARMUP = 20
SINGLE = 2000
BATCH = 1000
COPY_OFFSET = 1000000
WORD_SEED = 20241129
TAG = "id * 7919 % 1000"
COLUMNS = "embedding float[%d] distance=cosine, word text, tag integer" % DIMS
DECLS = {
    "flat": "quiver(%s)" % COLUMNS,
    "ivf": "quiver(%s, index=ivf)" % COLUMNS,
    "manual": "quiver(%s, index=ivf, train=manual)" % COLUMNS,
}
LOAD_SQL = "INSERT INTO t(rowid, embedding, word, tag) SELECT id, embedding, word, tag FROM src.base ORDER BY id"
COPY_SQL = ("INSERT INTO t(rowid, embedding, word, tag) SELECT id + %d, embedding, word, tag FROM src.base"
            % COPY_OFFSET)
KNN_SQL = "SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = %d" % K
# name, extra WHERE terms (?2 = a random base word), share of rows passing (None: one row)
FILTERS = [
    ("none", "", 1.0),
    ("one row", " AND word = ?2", None),
    ("0.1%", " AND tag = 7", 0.001),
    ("1%", " AND tag < 10", 0.01),
    ("90%", " AND tag >= 100", 0.9),
]
FIRST_QUERY_CHILD = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(sys.argv[2])
blob = open(sys.argv[3], "rb").read()
t = time.perf_counter()
conn.execute(sys.argv[4], (blob,)).fetchall()
print(time.perf_counter() - t)
"""


class Run:
    """The options, the files, and the figures gathered (also written as CSV)."""

    def __init__(self, args):
        self.args = args
        self.rows = []  # (section, case, metric, value)

    def path(self, name):
        return os.path.join(self.args.workdir, name + ".db")

    def open(self, path, cache_size=None):
        conn = connect(path, self.args.ext)
        if self.args.wal and path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        if cache_size is not None:
            conn.execute("PRAGMA cache_size=%d" % cache_size)
        return conn

    def fresh(self, name, decl, cache_size=None):
        path = name if name == ":memory:" else self.path(name)
        if path != ":memory:":
            remove_db(path)
        conn = self.open(path, cache_size)
        conn.execute("CREATE VIRTUAL TABLE t USING " + decl)
        return conn

    def copy(self, name, to):
        remove_db(self.path(to))
        shutil.copyfile(self.path(name), self.path(to))
        return self.open(self.path(to))

    def note(self, section, case, metric, value):
        self.rows.append((section, case, metric, value))
        return value


def attach(conn, source):
    conn.execute("ATTACH DATABASE ?1 AS src", (source,))


def timed(conn, *statements):
    started = time.perf_counter()
    for sql in statements:
        conn.execute(sql)
    return time.perf_counter() - started


def file_ratio(path, raw):
    """(file bytes / raw vector bytes, free pages)."""
    conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    free = conn.execute("PRAGMA freelist_count").fetchone()[0]
    conn.close()
    size = os.path.getsize(path) + (os.path.getsize(path + "-wal") if os.path.exists(path + "-wal") else 0)
    return size / raw, free


def stats(conn):
    cur = conn.execute("SELECT * FROM quiver_stats('t')")
    return dict(zip([d[0] for d in cur.description], cur.fetchone()))


def make_source(path, base):
    """The plain table `base` (id, embedding, word, tag) every load copies from."""
    remove_db(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE base(id INTEGER PRIMARY KEY, embedding BLOB NOT NULL, word TEXT, tag INTEGER)")
    conn.executemany("INSERT INTO base VALUES (?1, ?2, ?3, %s)" % TAG.replace("id", "?1"), base)
    conn.execute("COMMIT")
    conn.close()


def words_of(db, ids):
    conn = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    out = {}
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        sql = "SELECT id, word FROM words WHERE id IN (%s)" % ",".join("?" * len(part))
        out.update(conn.execute(sql, part).fetchall())
    conn.close()
    return [(i, out[i]) for i in ids]


def knn_pass(conn, sql, params):
    """One pass over every query: (seconds, rowids per query)."""
    execute = conn.execute
    out = []
    started = time.perf_counter()
    for p in params:
        out.append([r[0] for r in execute(sql, p).fetchall()])
    return time.perf_counter() - started, out


def recall(found, truth):
    hits = sum(len(set(f) & set(t)) for f, t in zip(found, truth))
    total = sum(len(t) for t in truth)
    return hits / total if total else 1.0


def load_section(run, n, raw):
    a = run.args
    print("loads ...", file=sys.stderr)
    out = {}
    for name in ("flat", "ivf", "manual"):
        conn = run.fresh(name, DECLS[name])
        attach(conn, a.source)
        out[name] = timed(conn, "BEGIN", LOAD_SQL, "COMMIT")
        conn.execute("DETACH DATABASE src")
        out[name + "_stats"] = stats(conn)
        if name == "manual":
            out["manual_size"] = file_ratio(run.path(name), raw)
            out["rebuild"] = timed(conn, "INSERT INTO t(t) VALUES ('rebuild')")
            out["rebuilt_stats"] = stats(conn)
        conn.close()
        out["rebuilt_size" if name == "manual" else name + "_size"] = file_ratio(run.path(name), raw)
    run.note("load", "flat", "seconds", out["flat"])
    run.note("load", "ivf train=auto", "seconds", out["ivf"])
    run.note("load", "ivf train=manual", "seconds", out["manual"])
    run.note("load", "rebuild after train=manual", "seconds", out["rebuild"])
    ratio = run.note("load", "ivf auto / (flat + rebuild)", "ratio", out["ivf"] / (out["flat"] + out["rebuild"]))
    print("Bulk load, %d rows in one transaction             seconds    rows/s  lists" % n)
    for label, key, st in (("flat", "flat", "flat_stats"), ("ivf, train=auto (trains at commit)", "ivf", "ivf_stats"),
                           ("ivf, train=manual", "manual", "manual_stats"),
                           ("  then 'rebuild'", "rebuild", "rebuilt_stats")):
        print("  %-46s %8.2f %9.0f %6s" % (label, out[key], n / out[key], out[st]["lists"] or "-"))
    print("  train=auto / (flat + rebuild) = %.2fx   (target <= 1.5x: %s)" % (ratio, verdict(ratio <= 1.5)))
    print()
    return out


def rebuild_section(run, n, loads):
    a = run.args
    print("rebuilds ...", file=sys.stderr)
    times = {"default page cache (file)": loads["rebuild"]}
    for label, name, cache in (("cache_size = 1 GiB (file)", "rebuild_big", -1048576), (":memory:", ":memory:", None)):
        conn = run.fresh(name, DECLS["manual"], cache)
        attach(conn, a.source)
        timed(conn, "BEGIN", LOAD_SQL, "COMMIT")
        conn.execute("DETACH DATABASE src")
        times[label] = timed(conn, "INSERT INTO t(t) VALUES ('rebuild')")
        conn.close()
        if name != ":memory:":
            remove_db(run.path(name))
    print("'rebuild' of %d rows (train=manual table, untrained)      seconds" % n)
    for label, seconds in times.items():
        run.note("rebuild", label, "seconds", seconds)
        print("  %-54s %8.2f" % (label, seconds))
    ratio = run.note("rebuild", "default / :memory:", "ratio", times["default page cache (file)"] / times[":memory:"])
    print("  default page cache / :memory: = %.2fx   (target <= 1.5x: %s)" % (ratio, verdict(ratio <= 1.5)))
    print()


def ingest_section(run, n, raw, singles):
    a = run.args
    print("ingest into loaded tables ...", file=sys.stderr)
    one, batched, single, sizes = {}, {}, {}, {}
    for name, origin in (("flat", "flat"), ("ivf", "manual")):
        conn = run.copy(origin, "ingest")
        attach(conn, a.source)
        one[name] = timed(conn, "BEGIN", COPY_SQL, "COMMIT")
        conn.close()
        sizes[name] = file_ratio(run.path("ingest"), raw * 2)
        conn = run.copy(origin, "ingest")
        attach(conn, a.source)
        sql = COPY_SQL + " WHERE id >= ?1 AND id < ?2"
        last = conn.execute("SELECT max(id) FROM src.base").fetchone()[0]
        started = time.perf_counter()
        for first in range(0, last + 1, BATCH):
            conn.execute(sql, (first, first + BATCH))
        batched[name] = time.perf_counter() - started
        conn.execute("DETACH DATABASE src")
        ms = []
        for rowid, blob in singles:
            started = time.perf_counter()
            conn.execute("INSERT INTO t(rowid, embedding, word, tag) VALUES (?1, ?2, 'x', 0)",
                         (rowid + 2 * COPY_OFFSET, blob))
            ms.append((time.perf_counter() - started) * 1e3)
        single[name] = ms
        conn.close()
    remove_db(run.path("ingest"))
    print("Ingest %d rows into the loaded tables (the IVF one trained)        seconds    rows/s" % n)
    for name in ("flat", "ivf"):
        for how, table in (("one transaction", one), ("commits of %d rows" % BATCH, batched)):
            run.note("ingest", "%s, %s" % (name, how), "rows/s", n / table[name])
            print("  %-4s %-56s %8.2f %9.0f" % (name, how, table[name], n / table[name]))
    r1 = run.note("ingest", "ivf / flat, one transaction", "ratio", one["flat"] / one["ivf"])
    r2 = run.note("ingest", "ivf / flat, commits of %d" % BATCH, "ratio", batched["flat"] / batched["ivf"])
    print("  ivf rows/s / flat rows/s: one transaction %.2fx, commits of %d rows %.2fx   (target >= 0.5x: %s)"
          % (r1, BATCH, r2, verdict(min(r1, r2) >= 0.5)))
    print("  %d single-row autocommit INSERTs after that:   median ms   p99 ms   max ms" % len(singles))
    for name in ("flat", "ivf"):
        ms = single[name]
        run.note("ingest", name + " single-row INSERT", "max ms", max(ms))
        run.note("ingest", name + " single-row INSERT", "p99 ms", percentile(ms, 0.99))
        print("    %-42s %9.3f %8.2f %8.1f" % (name, statistics.median(ms), percentile(ms, 0.99), max(ms)))
    print("  (no single-row INSERT over 50 ms: %s)" % verdict(max(single["ivf"]) <= 50))
    print()
    return sizes


def size_section(run, loads, ingest_sizes):
    print("File size / raw vector bytes (rows x %d)      ratio   free pages" % (DIMS * 4))
    cases = (("flat, after load", loads["flat_size"]), ("ivf train=auto, after load", loads["ivf_size"]),
             ("ivf train=manual, after load", loads["manual_size"]),
             ("ivf, after 'rebuild'", loads["rebuilt_size"]),
             ("flat, after ingest (2x rows)", ingest_sizes["flat"]),
             ("ivf, after ingest (2x rows)", ingest_sizes["ivf"]))
    for label, (ratio, free) in cases:
        run.note("size", label, "file / raw", ratio)
        print("  %-40s %8.3f %10d" % (label, ratio, free))
    worst = max(r for _, (r, _) in cases)
    print("  (target <= 1.15x: %s)" % verdict(worst <= 1.15))
    print()


def filter_section(run, queries, words):
    a = run.args
    print("filtered queries ...", file=sys.stderr)
    conns = {"flat": run.open(run.path("flat")), "ivf": run.open(run.path("manual"))}
    probes = stats(conns["ivf"])["probes"]
    blobs = [q[1] for q in queries]
    results = {}
    for fname, extra, _ in FILTERS:
        sql = KNN_SQL + extra
        params = [(b, w) for b, (_, w) in zip(blobs, words)] if "?2" in extra else [(b,) for b in blobs]
        for engine, conn in conns.items():
            knn_pass(conn, sql, params[:WARMUP])
        times = {"flat": [], "ivf": []}
        found = {}
        for _ in range(a.passes):
            for engine, conn in conns.items():
                seconds, found[engine] = knn_pass(conn, sql, params)
                times[engine].append(seconds)
        results[fname] = {e: statistics.median(t) / len(params) for e, t in times.items()}
        results[fname]["recall"] = recall(found["ivf"], found["flat"])
        results[fname]["short"] = sum(1 for f, t in zip(found["ivf"], found["flat"]) if len(f) < len(t))
    warm = {e: results["none"][e] for e in conns}
    print("k = %d queries, %d queries x %d passes (median), IVF at its default probes (%d)"
          % (K, len(queries), a.passes, probes))
    print("  filter        flat ms/q  x unfiltered    ivf ms/q  x unfiltered  ivf recall@%d  ivf short" % K)
    for fname, _, _ in FILTERS:
        r = results[fname]
        for e in conns:
            run.note("filter", "%s %s" % (e, fname), "ms/query", r[e] * 1e3)
            run.note("filter", "%s %s" % (e, fname), "x unfiltered", r[e] / warm[e])
        run.note("filter", "ivf " + fname, "recall@10", r["recall"])
        print("  %-10s %11.3f %12.2f %11.3f %12.2f %13.4f %10d" % (
            fname, r["flat"] * 1e3, r["flat"] / warm["flat"], r["ivf"] * 1e3, r["ivf"] / warm["ivf"], r["recall"],
            r["short"]))
    worst01 = max(results["0.1%"][e] / warm[e] for e in conns)
    worst90 = max(results["90%"][e] / warm[e] for e in conns)
    print("  0.1%% <= 2x unfiltered: %s; 90%% <= 1.3x: %s; ivf recall at 1%% >= 0.95: %s"
          % (verdict(worst01 <= 2), verdict(worst90 <= 1.3), verdict(results["1%"]["recall"] >= 0.95)))
    print()
    first_section(run, conns, blobs, warm)
    for conn in conns.values():
        conn.close()
    return probes


def first_section(run, conns, blobs, warm):
    a = run.args
    print("first queries ...", file=sys.stderr)
    blob_path = os.path.join(a.workdir, "query.bin")
    with open(blob_path, "wb") as f:
        f.write(blobs[0])
    print("First queries (another connection of the process warm)    ms     x warm")
    for engine, name in (("flat", "flat"), ("ivf", "manual")):
        path = run.path(name)
        conn = run.open(path)
        started = time.perf_counter()
        conn.execute(KNN_SQL, (blobs[1],)).fetchall()
        first = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(KNN_SQL, (blobs[2],)).fetchall()
        second = time.perf_counter() - started
        conn.close()
        out = subprocess.run([sys.executable, "-c", FIRST_QUERY_CHILD, path, a.ext, blob_path, KNN_SQL],
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        process = float(out.strip())
        for label, seconds in (("new connection, first query", first), ("new connection, second query", second),
                               ("new process, first query", process)):
            run.note("first", "%s %s" % (engine, label), "ms", seconds * 1e3)
            run.note("first", "%s %s" % (engine, label), "x warm", seconds / warm[engine])
            print("  %-4s %-46s %9.1f %9.1f" % (engine, label, seconds * 1e3, seconds / warm[engine]))
        run.note("first", engine + " warm", "ms", warm[engine] * 1e3)
        print("  %-4s %-46s %9.1f" % (engine, "warm (median, unfiltered)", warm[engine] * 1e3))
    os.remove(blob_path)
    print("  (new connection's first query <= 2x warm: see the x warm column)")
    print()


def has_threads(run):
    conn = connect(":memory:", run.args.ext)
    try:
        conn.execute("SELECT quiver_config('threads')").fetchone()
        return True
    except sqlite3.Error:
        return False
    finally:
        conn.close()


def threads_section(run, queries, base_count, probes):
    a = run.args
    counts = [int(x) for x in a.threads.split(",") if x.strip()]
    if not has_threads(run):
        print("Threads: this build has no quiver_config('threads', N); skipped")
        print()
        return
    print("threads ...", file=sys.stderr)
    blobs = [(q[1],) for q in queries]
    qps, rebuild = {}, {}
    conns = {"flat": run.open(run.path("flat")), "ivf": run.open(run.path("manual"))}
    for engine, conn in conns.items():
        for threads in counts:
            conn.execute("SELECT quiver_config('threads', ?1)", (threads,))
            knn_pass(conn, KNN_SQL, blobs[:WARMUP])
            seconds = statistics.median(knn_pass(conn, KNN_SQL, blobs)[0] for _ in range(a.passes))
            qps[(engine, threads)] = len(blobs) / seconds
        conn.close()
    for threads in counts:
        conn = run.copy("manual", "threads")
        conn.execute("SELECT quiver_config('threads', ?1)", (threads,))
        rebuild[threads] = timed(conn, "INSERT INTO t(t) VALUES ('rebuild')")
        lists = stats(conn)["lists"]
        conn.close()
    remove_db(run.path("threads"))
    faiss_figures = faiss_threads(run, queries, counts, lists, probes)
    print("Threads (quiver_config('threads', N))   flat q/s    ivf q/s   rebuild s%s"
          % ("   faiss q/s  faiss train+add s" if faiss_figures else ""))
    for threads in counts:
        run.note("threads", "flat %d" % threads, "q/s", qps[("flat", threads)])
        run.note("threads", "ivf %d" % threads, "q/s", qps[("ivf", threads)])
        run.note("threads", "rebuild %d" % threads, "seconds", rebuild[threads])
        line = "  %-36d %10.1f %10.1f %11.2f" % (threads, qps[("flat", threads)], qps[("ivf", threads)],
                                                  rebuild[threads])
        if faiss_figures:
            f_qps, f_build = faiss_figures[threads]
            run.note("threads", "faiss %d" % threads, "q/s", f_qps)
            run.note("threads", "faiss train+add %d" % threads, "seconds", f_build)
            line += " %11.1f %18.2f" % (f_qps, f_build)
        print(line)
    if 1 in counts and 2 in counts:
        f = qps[("flat", 2)] / qps[("flat", 1)]
        i = qps[("ivf", 2)] / qps[("ivf", 1)]
        r = rebuild[2] / rebuild[1]
        print("  2 threads / 1: flat %.2fx (>= 1.7x: %s), ivf %.2fx (>= 1.6x: %s), rebuild %.2fx (<= 0.6x: %s)"
              % (f, verdict(f >= 1.7), i, verdict(i >= 1.6), r, verdict(r <= 0.6)))
        if faiss_figures:
            ratio = rebuild[2] / faiss_figures[2][1]
            print("  rebuild / faiss train+add at 2 threads: %.2fx (<= 1x: %s)" % (ratio, verdict(ratio <= 1)))
    print()


def faiss_threads(run, queries, counts, lists, probes):
    """{threads: (q/s one query per call, train + add seconds)}, or None without Faiss."""
    try:
        import faiss
        import numpy as np
    except ImportError:
        return None
    conn = sqlite3.connect("file:%s?mode=ro" % run.args.source, uri=True)
    data = conn.execute("SELECT id, embedding FROM base ORDER BY id").fetchall()
    conn.close()
    b = np.frombuffer(b"".join(r[1] for r in data), dtype="<f4").reshape(len(data), DIMS).copy()
    b /= np.linalg.norm(b, axis=1)[:, None]
    ids = np.array([r[0] for r in data], dtype=np.int64)
    q = np.frombuffer(b"".join(r[1] for r in queries), dtype="<f4").reshape(len(queries), DIMS).copy()
    q /= np.linalg.norm(q, axis=1)[:, None]
    out = {}
    for threads in counts:
        faiss.omp_set_num_threads(threads)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIMS), DIMS, lists, faiss.METRIC_INNER_PRODUCT)
        started = time.perf_counter()
        index.train(b)
        index.add_with_ids(b, ids)
        build = time.perf_counter() - started
        index.nprobe = probes
        times = []
        for _ in range(run.args.passes):
            started = time.perf_counter()
            for i in range(q.shape[0]):
                index.search(q[i:i + 1], K)
            times.append(time.perf_counter() - started)
        out[threads] = (q.shape[0] / statistics.median(times), build)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, help="use only the first ROWS words (default: all %d)" % GLOVE_ROWS)
    ap.add_argument("--queries", type=int, default=QUERY_COUNT, help="held-out queries (default %d)" % QUERY_COUNT)
    ap.add_argument("--passes", type=int, default=PASSES, help="measured query passes (default %d)" % PASSES)
    ap.add_argument("--single", type=int, default=SINGLE,
                    help="single-row autocommit INSERTs after the ingest (default %d)" % SINGLE)
    ap.add_argument("--threads", default="1,2", help="thread counts of the threads section (default 1,2)")
    ap.add_argument("--wal", action="store_true", help="WAL with synchronous=NORMAL instead of SQLite's defaults")
    ap.add_argument("--csv", default="ingest.csv", help="CSV output (default ingest.csv)")
    ap.add_argument("--workdir", default=None, help="database files (default: bench/ingest beside --ext)")
    add_data_args(ap)
    a = ap.parse_args()
    rows_wanted = min(a.rows or GLOVE_ROWS, GLOVE_ROWS)
    if a.queries < WARMUP or rows_wanted < a.queries + K or a.passes < 1 or a.single < 1:
        fail("need --queries >= %d, --rows >= queries + %d, --passes and --single >= 1" % (WARMUP, K))
    check_ext(a.ext)
    ensure_glove_db(a.db, a.ext, a.sqlite3)
    a.workdir = a.workdir or os.path.join(os.path.dirname(os.path.abspath(a.ext)), "bench", "ingest")
    os.makedirs(a.workdir, exist_ok=True)
    run = Run(a)

    base, queries = holdout_split(a.db, rows_wanted, a.queries)
    named = words_of(a.db, [r[0] for r in base])
    a.source = run.path("source")
    make_source(a.source, [(r[0], r[1], w) for r, (_, w) in zip(base, named)])
    rng = random.Random(WORD_SEED)
    words = [rng.choice(named) for _ in queries]
    singles = [(r[0], r[1]) for r in random.Random(WORD_SEED).sample(base, min(a.single, len(base)))]
    n = len(base)
    raw = n * DIMS * 4

    probe = connect(":memory:", a.ext)
    versions = probe.execute("SELECT sqlite_version(), quiver_version(), quiver_simd()").fetchone()
    probe.close()
    print("Quiver ingest, filter, first-query and threads benchmark")
    for line in machine_lines(versions):
        print(line)
    print("  data:        GloVe, first %d words, %d held out as queries, %d in the base, %d dims, cosine"
          % (rows_wanted, len(queries), n, DIMS))
    print("  tables:      %s (flat); + index=ivf (train=auto); + index=ivf, train=manual and 'rebuild'" % DECLS["flat"])
    print("  tag:         %s; journal: %s" % (TAG, "WAL, synchronous=NORMAL" if a.wal else "SQLite's defaults"))
    print("  peers:       Faiss IndexIVFFlat in the threads section, when installed")
    print()

    loads = load_section(run, n, raw)
    rebuild_section(run, n, loads)
    ingest_sizes = ingest_section(run, n, raw, singles)
    probes = filter_section(run, queries, words)
    threads_section(run, queries, n, probes)
    size_section(run, loads, ingest_sizes)

    with open(a.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "case", "metric", "value"])
        for section, case, metric, value in run.rows:
            w.writerow([section, case, metric, "%.6g" % value])
    print("wrote %s" % a.csv)
    for name in ("flat", "ivf", "manual", "source"):
        remove_db(run.path(name))


if __name__ == "__main__":
    main()
