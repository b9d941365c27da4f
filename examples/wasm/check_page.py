"""Checks the demo page's answers, as chromium left them in the DOM, against
a brute-force scan computed here from the same generated vectors.

    python3 examples/wasm/check_page.py page.html
"""
import html.parser
import math
import struct
import sys

ROWS, DIMS = 1000, 16
SHELVES = ["north", "south", "east"]
# Quiver scans in float32, the brute force here runs in double.
TOLERANCE = 1e-6


def generator(seed):
    """xorshift32, as demo.js has it."""
    x = seed
    while True:
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        yield x


def float32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def dataset():
    numbers = generator(2024)
    vector = lambda: [float32(((next(numbers) % 2001) - 1000) / 1000) for _ in range(DIMS)]
    rows = [(i, SHELVES[i % 3], vector()) for i in range(1, ROWS + 1)]
    return rows, vector()


def cosine_distance(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    norms = math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    return 1 - max(-1.0, min(1.0, dot / norms))


class Page(html.parser.HTMLParser):
    """Collects each result table's rows, the inputs and the status line."""

    def __init__(self):
        super().__init__()
        self.tables, self.inputs, self.status, self.versions = {}, {}, None, ""
        self._table = self._text = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id")
            self.tables[self._table] = {"ok": a.get("data-ok"), "rows": []}
        elif tag == "tr" and self._table and "data-rowid" in a:
            self.tables[self._table]["rows"].append((int(a["data-rowid"]), float(a["data-distance"])))
        elif tag == "input":
            self.inputs[a["id"]] = a.get("value")
        elif tag == "p" and a.get("id") in ("status", "versions"):
            self._text = a["id"]
            if self._text == "status":
                self.status = a.get("data-ok")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "p":
            self._text = None

    def handle_data(self, data):
        if self._text == "versions":
            self.versions += data


def main(path):
    page = Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    k, bound = int(page.inputs["k"]), float(page.inputs["bound"])
    rows, query = dataset()
    scored = sorted(((cosine_distance(v, query), i, shelf) for i, shelf, v in rows), key=lambda t: (t[0], t[1]))
    # A bound that a rounding difference could move a row across would make
    # the range check meaningless.
    assert all(abs(d - bound) > TOLERANCE for d, _, _ in scored), "a row lies on the range bound"
    expected = {
        "knn": scored[:k],
        "filtered": [s for s in scored if s[2] == "east"][:k],
        "range": [s for s in scored if s[0] < bound],
    }
    failures = []
    if "scalar kernels" not in page.versions:
        failures.append(f"versions line: {page.versions!r}")
    for name, want in expected.items():
        got = page.tables.get(name, {"rows": []})["rows"]
        if not want or [i for i, _ in got] != [i for _, i, _ in want] or any(
                abs(g - w[0]) > TOLERANCE for (_, g), w in zip(got, want)):
            failures.append(f"{name}: page has {got}, brute force gives {[(i, d) for d, i, _ in want]}")
        else:
            print(f"{name}: {len(got)} rows, as the brute force")
    if page.status != "true":
        failures.append(f"the page's own check says {page.status!r}")
    for f in failures:
        print("FAILED", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
