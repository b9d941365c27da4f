// Quiver from Node.js through better-sqlite3 (see package.json for the
// version): loads the extension, stores vectors made as Float32Array, runs a
// filtered KNN query and a range query, and checks the answers against a
// brute force in JavaScript.
//
//   examples/node/install.sh            # better-sqlite3 into build/node
//   NODE_PATH=build/node/node_modules node examples/node/example.js [path/to/quiver]
'use strict';
const Database = require('better-sqlite3');

const DIMS = 16;
const TOLERANCE = 1e-5; // Quiver scores in float32, the brute force in float64

const db = new Database(':memory:');
db.loadExtension(process.argv[2] || 'build/quiver');
const [version, simd, sqlite] = db.prepare('SELECT quiver_version(), quiver_simd(), sqlite_version()').raw().get();
console.log(`quiver ${version} (${simd} kernels), SQLite ${sqlite}`);

db.exec(`CREATE VIRTUAL TABLE articles USING quiver(
  embedding float[${DIMS}] distance=l2,
  section text, year integer,
  +title text)`);

// A vector as Quiver stores it is little-endian float32 bytes: a
// Float32Array's buffer on every little-endian machine.
const asBlob = (vector) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
// A blob read back, as a Float32Array (copied: a Buffer may be unaligned).
const asVector = (blob) => new Float32Array(new Uint8Array(blob).buffer);

// A small seeded generator, so every run stores the same vectors.
let seed = 12;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randomVector = () => Float32Array.from({ length: DIMS }, () => random() * 2 - 1);

const sections = ['news', 'sport', 'science'];
const rows = new Map(); // rowid -> { vector, section, year }
const insert = db.prepare('INSERT INTO articles(rowid, embedding, section, year, title) VALUES (?, ?, ?, ?, ?)');
db.transaction(() => {
  for (let rowid = 1; rowid <= 500; rowid++) {
    const row = { vector: randomVector(), section: sections[rowid % 3], year: 2015 + (rowid % 10) };
    rows.set(rowid, row);
    insert.run(rowid, asBlob(row.vector), row.section, row.year, `article ${rowid}`);
  }
})();
console.log('inserted 500 vectors from Float32Array');

const stored = db.prepare('SELECT embedding FROM articles WHERE rowid = 7').pluck().get();
if (asVector(stored).some((x, i) => x !== rows.get(7).vector[i])) throw new Error('row 7 does not read back');

const l2 = (a, b) => Math.sqrt(a.reduce((sum, x, i) => sum + (x - b[i]) ** 2, 0));
const query = randomVector();
const distanceOf = new Map([...rows].map(([rowid, row]) => [rowid, l2(query, row.vector)]));

// The rows and distances must be the brute force's; rows whose distances
// differ by less than float32 rounding may trade places.
function check(name, answer, expected) {
  for (const { rowid, distance } of answer) {
    if (Math.abs(distance - distanceOf.get(rowid)) > TOLERANCE)
      throw new Error(`${name}: row ${rowid} at ${distance}, brute force ${distanceOf.get(rowid)}`);
  }
  const want = expected.map((r) => distanceOf.get(r)).sort((a, b) => a - b);
  const have = answer.map((row) => distanceOf.get(row.rowid));
  if (have.length !== want.length || have.some((d, i) => Math.abs(d - want[i]) > TOLERANCE))
    throw new Error(`${name}: got ${answer.map((row) => row.rowid)}, brute force ${expected}`);
  console.log(`${name}: ${answer.length} rows, as the brute force`);
}

// KNN with metadata filters, which apply inside the search. `k = ?` asks
// for the k nearest rows on every SQLite version.
const knn = db.prepare(`SELECT rowid, distance, title FROM articles
                        WHERE embedding MATCH ? AND k = ? AND section = ? AND year >= ?
                        ORDER BY distance`).all(asBlob(query), 5, 'news', 2020);
for (const row of knn) console.log(`  ${row.title.padEnd(12)} distance ${row.distance.toFixed(4)}`);
const passing = [...rows].filter(([, row]) => row.section === 'news' && row.year >= 2020).map(([rowid]) => rowid);
passing.sort((a, b) => distanceOf.get(a) - distanceOf.get(b));
check("knn k=5 section='news' year>=2020", knn, passing.slice(0, 5));

// Range: every row within a distance.
const radius = 2.2;
const within = db.prepare('SELECT rowid, distance FROM articles WHERE embedding MATCH ? AND distance < ? ORDER BY distance')
  .all(asBlob(query), radius);
const inside = [...rows.keys()].filter((r) => distanceOf.get(r) < radius - TOLERANCE);
const borderline = within.map((row) => row.rowid).filter((r) => Math.abs(distanceOf.get(r) - radius) <= TOLERANCE);
check(`range distance<${radius}`, within, inside.concat(borderline));
