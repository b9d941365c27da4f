"""Quiver from Python's standard sqlite3 module.

Loads the extension, stores vectors made with array('f') and, when numpy is
installed, with numpy arrays, then runs a filtered KNN query, a range query
and quiver_pairs, and checks every answer against a brute force in Python.

    /usr/bin/python3 examples/python/example.py [path/to/quiver]

Debian's /usr/bin/python3 can load extensions; a Python built without
loadable-extension support has no enable_load_extension.
"""
import math
import random
import sqlite3
import sys
from array import array

DIMS = 16
TOLERANCE = 1e-5  # Quiver scores in float32, the brute force in float64

module = sys.argv[1] if len(sys.argv) > 1 else "build/quiver"
db = sqlite3.connect(":memory:")
db.enable_load_extension(True)
db.load_extension(module)
db.enable_load_extension(False)
version, simd = db.execute("SELECT quiver_version(), quiver_simd()").fetchone()
print(f"quiver {version} ({simd} kernels), SQLite {sqlite3.sqlite_version}")

db.execute(f"""CREATE VIRTUAL TABLE articles USING quiver(
  embedding float[{DIMS}] distance=cosine,
  section text, year integer,
  +title text)""")


def float32_blob(values):
    """A vector as Quiver stores it: little-endian float32, no header."""
    vector = array("f", values)
    if sys.byteorder == "big":
        vector.byteswap()
    return vector.tobytes()


rng = random.Random(12)
sections = ["news", "sport", "science"]
rows = {}  # rowid -> (vector as floats, section, year)


def add(rowid, vector, blob):
    section, year = sections[rowid % 3], 2015 + rowid % 10
    rows[rowid] = (vector, section, year)
    return (rowid, blob, section, year, f"article {rowid}")


insert = "INSERT INTO articles(rowid, embedding, section, year, title) VALUES (?, ?, ?, ?, ?)"
batch = []
for rowid in range(1, 301):
    vector = [rng.gauss(0, 1) for _ in range(DIMS)]
    batch.append(add(rowid, list(array("f", vector)), float32_blob(vector)))
db.executemany(insert, batch)
print("inserted 300 vectors from array('f')")

try:
    import numpy
except ImportError:
    numpy = None
if numpy is None:
    print("numpy not installed (apt-get install python3-numpy): skipped the numpy vectors")
else:
    # A C-contiguous little-endian float32 array binds as the blob itself;
    # float64 rows would be read as twice the dimensions, so convert first.
    matrix = numpy.random.default_rng(34).standard_normal((300, DIMS)).astype("<f4")
    db.executemany(insert, (add(301 + i, row.tolist(), memoryview(row)) for i, row in enumerate(matrix)))
    print("inserted 300 vectors from a numpy array")


def cosine_distance(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return 1 - dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def check(name, answer, expected_rowids, distance_of):
    """The rows and distances must be the brute force's; rows whose
    distances differ by less than float32 rounding may trade places."""
    got = [rowid for rowid, _ in answer]
    for rowid, distance in answer:
        if abs(distance - distance_of[rowid]) > TOLERANCE:
            sys.exit(f"{name}: row {rowid} at distance {distance}, brute force {distance_of[rowid]}")
    want = sorted(distance_of[r] for r in expected_rowids)
    have = [distance_of[r] for r in got]
    if len(have) != len(want) or any(abs(h - w) > TOLERANCE for h, w in zip(have, want)):
        sys.exit(f"{name}: got rows {got}, brute force {expected_rowids}")
    print(f"{name}: {len(got)} rows, as the brute force")


query = [rng.gauss(0, 1) for _ in range(DIMS)]
query32 = list(array("f", query))
distance_of = {rowid: cosine_distance(query32, v) for rowid, (v, _, _) in rows.items()}

# KNN with metadata filters: they apply inside the search, so k = 5 gives
# the 5 nearest rows that pass them.
knn = db.execute("""SELECT rowid, distance, title FROM articles
                    WHERE embedding MATCH ? AND k = ? AND section = ? AND year >= ?
                    ORDER BY distance""", (float32_blob(query), 5, "science", 2020)).fetchall()
for rowid, distance, title in knn:
    print(f"  {title:12}  {rows[rowid][1]:8} {rows[rowid][2]}  distance {distance:.4f}")
passing = [r for r, (_, section, year) in rows.items() if section == "science" and year >= 2020]
check("knn k=5 section='science' year>=2020", [(r, d) for r, d, _ in knn],
      sorted(passing, key=distance_of.get)[:5], distance_of)

# Range: every row within a distance.
radius = 0.5
within = db.execute("SELECT rowid, distance FROM articles WHERE embedding MATCH ? AND distance < ? ORDER BY distance",
                    (float32_blob(query), radius)).fetchall()
check(f"range distance<{radius}", within,
      [r for r in rows if distance_of[r] < radius - TOLERANCE]
      + [r for r, _ in within if abs(distance_of[r] - radius) <= TOLERANCE], distance_of)

# Near-duplicates: every pair within a distance, each pair once (a < b).
threshold = 0.3
pairs = db.execute("SELECT a, b, distance FROM quiver_pairs('articles', ?)", (threshold,)).fetchall()
got_pairs = {(a, b): d for a, b, d in pairs}
for (a, b), d in got_pairs.items():
    exact = cosine_distance(rows[a][0], rows[b][0])
    if a >= b or abs(d - exact) > TOLERANCE or exact >= threshold + TOLERANCE:
        sys.exit(f"quiver_pairs: pair ({a}, {b}) at {d}, brute force {exact}")
ids = sorted(rows)
for i, a in enumerate(ids):
    for b in ids[i + 1:]:
        if cosine_distance(rows[a][0], rows[b][0]) < threshold - TOLERANCE and (a, b) not in got_pairs:
            sys.exit(f"quiver_pairs: missing the pair ({a}, {b})")
print(f"quiver_pairs within {threshold}: {len(pairs)} pairs, as the brute force")
