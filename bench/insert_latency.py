#!/usr/bin/python3
"""What an application writing one row at a time waits for, and what a bulk load costs.

On the GloVe word vectors (or their first --rows words), into a database
file in WAL mode with synchronous=NORMAL (how apps run SQLite):

  single   one INSERT per statement, autocommit (each timed with its commit),
           into an IVF table (cosine, index=ivf) and, as the control, into an
           ordinary table of the same rows: median, p99 and max ms per INSERT
           and how many took over 20 and 50 ms. Automatic IVF training never
           runs inside such a write (README, IVF), so the two should differ
           only by the pages each INSERT writes.
  bulk     all rows in one transaction into an IVF table that trains at its
           commit (train=auto), against train=manual and one 'rebuild': total
           seconds, the trained lists, and quiver_recall at the default probes.

    /usr/bin/python3 bench/insert_latency.py [--rows 100000] [--skip-single]
"""
import argparse
import os
import statistics
import sqlite3
import time

from common import add_data_args, check_ext, connect, ensure_glove_db, fail, percentile, remove_db

TABLE = "CREATE VIRTUAL TABLE v USING quiver(e float[100] distance=cosine, index=ivf%s)"
ORDINARY = "CREATE TABLE v(rowid INTEGER PRIMARY KEY, e BLOB)"


def open_file(path, ext):
    remove_db(path)
    conn = connect(path, ext)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def single(path, ext, rows, create):
    conn = open_file(path, ext)
    conn.execute(create)
    times = []
    for rowid, vector in rows:
        started = time.perf_counter()
        conn.execute("INSERT INTO v(rowid, e) VALUES (?, ?)", (rowid, vector))
        times.append(time.perf_counter() - started)
    conn.close()
    remove_db(path)
    ms = [t * 1e3 for t in times]
    return (statistics.median(ms), percentile(ms, 0.99), max(ms), sum(1 for t in ms if t > 20),
            sum(1 for t in ms if t > 50))


def bulk(path, ext, rows, options, rebuild):
    conn = open_file(path, ext)
    conn.execute(TABLE % options)
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO v(rowid, e) VALUES (?, ?)", rows)
    conn.execute("COMMIT")
    if rebuild:
        conn.execute("INSERT INTO v(v) VALUES ('rebuild')")
    seconds = time.perf_counter() - started
    lists, probes = conn.execute("SELECT lists, probes FROM quiver_stats('v')").fetchone()
    recall = None
    for row in conn.execute("SELECT * FROM quiver_recall('v', 200, 10)"):
        if row[0] == probes:
            recall = row[1]
    conn.close()
    remove_db(path)
    return seconds, lists, probes, recall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, help="use only the first ROWS words (default: all)")
    ap.add_argument("--skip-single", action="store_true", help="only the bulk loads")
    ap.add_argument("--workdir", default=None, help="where the database goes (default: bench/ beside --ext)")
    add_data_args(ap)
    args = ap.parse_args()
    check_ext(args.ext)
    ensure_glove_db(args.db, args.ext, args.sqlite3)
    workdir = args.workdir or os.path.join(os.path.dirname(os.path.abspath(args.ext)), "bench")
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, "insert_latency.db")
    source = sqlite3.connect(args.db)
    limit = args.rows if args.rows else -1
    rows = source.execute("SELECT id + 1, embedding FROM words ORDER BY id LIMIT ?", (limit,)).fetchall()
    source.close()
    if not rows:
        fail("no rows in %s" % args.db)
    print("%d GloVe rows, WAL, synchronous=NORMAL" % len(rows))
    if not args.skip_single:
        print("single-row autocommit INSERTs    median ms   p99 ms   max ms   >20 ms   >50 ms")
        for name, create in (("quiver index=ivf", TABLE % ""), ("ordinary table", ORDINARY)):
            print("  %-30s %9.3f %8.2f %8.1f %8d %8d" % ((name,) + single(path, args.ext, rows, create)))
    print("bulk load, one transaction       seconds   lists  probes  recall@10")
    for name, options, rebuild in (("train=auto (trains at commit)", "", False),
                                   ("train=manual + 'rebuild'", ", train=manual", True)):
        seconds, lists, probes, recall = bulk(path, args.ext, rows, options, rebuild)
        print("  %-30s %8.1f %7d %7d  %s" % (name, seconds, lists, probes,
                                             "%.4f" % recall if recall is not None else "-"))


if __name__ == "__main__":
    main()
