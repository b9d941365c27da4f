// The demo page: fills a quiver table with generated vectors, runs a KNN
// query, a filtered KNN query and a range query, and checks every answer
// against a brute-force scan written here in JavaScript.
"use strict";

const ROWS = 1000;
const DIMS = 16;
const SHELVES = ["north", "south", "east"];

// xorshift32: the same numbers in every browser (and in test.sh's check).
function generator(seed) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

// Vectors of DIMS elements in [-1, 1], in steps of 0.001; then the query.
function dataset() {
  const next = generator(2024);
  const vector = () => Float32Array.from({length: DIMS}, () => ((next() % 2001) - 1000) / 1000);
  const rows = [];
  for (let id = 1; id <= ROWS; id++) rows.push({id, shelf: SHELVES[id % 3], embedding: vector()});
  return {rows, query: vector()};
}

function cosineDistance(a, b) {
  let dot = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return 1 - Math.min(1, Math.max(-1, dot / Math.sqrt(aa * bb)));
}

// The rows a query should return, nearest first, ties by rowid.
function bruteForce(rows, query, keep) {
  return rows.filter(keep)
    .map((r) => ({rowid: r.id, shelf: r.shelf, distance: cosineDistance(r.embedding, query)}))
    .sort((x, y) => x.distance - y.distance || x.rowid - y.rowid);
}

// Whether SQL's rows are the brute-force rows: same rowids in the same
// order, distances equal up to float32 rounding (the scan computes in
// float32; the brute force here in double).
function agrees(got, expected) {
  return got.length === expected.length &&
    got.every((g, i) => g.rowid === expected[i].rowid && Math.abs(g.distance - expected[i].distance) < 1e-6);
}

function timed(f) {
  const start = performance.now();
  const value = f();
  return {value, ms: performance.now() - start};
}

function renderTable(id, caption, got, expected, ms) {
  const ok = agrees(got, expected);
  const table = document.getElementById(id);
  table.innerHTML = "";
  table.createCaption().textContent = `${caption}: ${got.length} rows in ${ms.toFixed(1)} ms, ` +
    (ok ? "the same as a brute-force scan" : "DIFFERENT from a brute-force scan");
  table.dataset.ok = ok;
  const head = table.createTHead().insertRow();
  for (const h of ["#", "rowid", "shelf", "distance", "brute force"]) head.appendChild(document.createElement("th")).textContent = h;
  const body = table.createTBody();
  got.forEach((g, i) => {
    const tr = body.insertRow();
    tr.dataset.rowid = g.rowid;
    tr.dataset.distance = g.distance;
    const e = expected[i];
    for (const cell of [i + 1, g.rowid, g.shelf, g.distance.toFixed(6), e ? e.distance.toFixed(6) : "-"]) tr.insertCell().textContent = cell;
  });
  return ok;
}

function runQueries(db, data) {
  const k = Number(document.getElementById("k").value);
  const bound = Number(document.getElementById("bound").value);
  const all = bruteForce(data.rows, data.query, () => true);

  const knn = timed(() => db.query(
    "SELECT rowid, shelf, distance FROM items WHERE embedding MATCH ? AND k = ? ORDER BY distance",
    [data.query, k]));
  const filtered = timed(() => db.query(
    "SELECT rowid, shelf, distance FROM items WHERE embedding MATCH ? AND k = ? AND shelf = ? ORDER BY distance",
    [data.query, k, "east"]));
  const range = timed(() => db.query(
    "SELECT rowid, shelf, distance FROM items WHERE embedding MATCH ? AND distance < ? ORDER BY distance",
    [data.query, bound]));

  const results = [
    renderTable("knn", `The ${k} nearest rows`, knn.value, all.slice(0, k), knn.ms),
    renderTable("filtered", `The ${k} nearest rows on shelf 'east'`, filtered.value,
                all.filter((r) => r.shelf === "east").slice(0, k), filtered.ms),
    renderTable("range", `Every row within cosine distance ${bound}`, range.value,
                all.filter((r) => r.distance < bound), range.ms),
  ];
  return results.every(Boolean);
}

function setStatus(ok, text) {
  const status = document.getElementById("status");
  status.dataset.ok = ok;
  status.className = ok ? "ok" : "failed";
  status.textContent = text;
}

async function main() {
  const db = await openDatabase();
  const info = db.query("SELECT quiver_version() AS quiver, quiver_simd() AS kernels, sqlite_version() AS sqlite")[0];
  document.getElementById("versions").textContent =
    `Quiver ${info.quiver} (${info.kernels} kernels) in SQLite ${info.sqlite}, compiled to WebAssembly`;

  const data = dataset();
  db.query("CREATE VIRTUAL TABLE items USING quiver(embedding float[" + DIMS + "] distance=cosine, shelf text)");
  const insert = timed(() => {
    db.query("BEGIN");
    for (const r of data.rows)
      db.query("INSERT INTO items(rowid, embedding, shelf) VALUES (?, ?, ?)", [r.id, r.embedding, r.shelf]);
    db.query("COMMIT");
  });
  const count = db.query("SELECT count(*) AS n FROM items")[0].n;
  document.getElementById("table").textContent =
    `Inserted ${count} vectors of ${DIMS} dimensions in ${insert.ms.toFixed(0)} ms.`;

  const run = () => {
    try {
      const ok = runQueries(db, data);
      setStatus(ok, ok ? "All three answers match a brute-force scan in JavaScript."
                       : "Some answers differ from a brute-force scan.");
    } catch (e) {
      setStatus(false, "error: " + e.message);
    }
  };
  document.getElementById("form").addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  run();
}

main().catch((e) => setStatus(false, "error: " + e.message));
