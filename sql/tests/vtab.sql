-- Golden test of the quiver virtual table (DESIGN §3), flat index, through
-- the sqlite3 shell. Vectors have small integer elements, so every kernel
-- family prints the same distances; cosine distances are rounded. Errors
-- print as "Runtime error near line N: ..." (or "Parse error").

CREATE VIRTUAL TABLE docs USING quiver(
  embedding float[4] distance=l2,
  product text,
  created integer,
  +subject text
);
INSERT INTO docs(rowid, embedding, product, created, subject) VALUES
  (1, '[0, 0, 0, 0]', 'billing', 10, 'refund'),
  (2, '[1, 0, 0, 0]', 'shipping', 20, 'late parcel'),
  (3, '[0, 2, 0, 0]', 'billing', 30, 'double charge'),
  (4, '[0, 0, 3, 0]', 'returns', 40, NULL),
  (5, '[1, 0, 0, 0]', 'billing', 50, 'refund again'),
  (6, '[0, 0, 0, 4]', NULL, NULL, 'no product');
SELECT type, name FROM sqlite_master ORDER BY name;

-- k nearest; rows 2 and 5 hold the same vector: the tie goes by rowid
SELECT rowid, distance, subject FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 3;
SELECT rowid, distance FROM docs WHERE embedding MATCH '[1, 0, 0, 0]' AND k = 100;
SELECT k, count(*) FROM docs WHERE embedding MATCH '[1, 0, 0, 0]' AND k = 4;

-- metadata filters inside the scan: the k nearest rows that pass
SELECT rowid, distance FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 2 AND product = 'billing' AND created > 10;
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 10 AND product IN ('returns', 'shipping');
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 10 AND product IS NULL;
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 1 AND created >= 35;
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 3 AND product = 'none';
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 3 AND rowid IN (6, 4, 99);

-- streamed in distance order: ORDER BY distance LIMIT / OFFSET
SELECT rowid, distance FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' ORDER BY distance LIMIT 2 OFFSET 1;
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' ORDER BY distance DESC, rowid DESC LIMIT 2;

-- range queries, alone and with k
SELECT rowid, distance FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND distance < 2;
SELECT rowid, distance FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND distance <= 2;
SELECT rowid, distance FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND distance <= 3 AND k = 2;

-- a blob query, and the stored vector back with its subtype
SELECT rowid FROM docs WHERE embedding MATCH vector('[0, 0, 3, 0]') AND k = 1;
SELECT rowid, vector_to_json(embedding), vector_type(embedding), hex(embedding) FROM docs WHERE rowid = 4;

-- an auxiliary column: SQLite filters it after the table
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND subject LIKE 'refund%' ORDER BY distance LIMIT 5;

-- a join with an ordinary table, and a correlated KNN
CREATE TABLE tickets(id INTEGER PRIMARY KEY, title TEXT);
INSERT INTO tickets VALUES (1, 'A'), (2, 'B'), (3, 'C'), (4, 'D'), (5, 'E'), (6, 'F');
SELECT t.title, v.distance FROM docs v JOIN tickets t ON t.id = v.rowid WHERE v.embedding MATCH '[0, 2, 0, 0]' AND v.k = 2;
SELECT a.rowid, b.rowid, b.distance FROM docs a JOIN docs b ON b.embedding MATCH a.embedding AND b.k = 2
  WHERE a.rowid IN (2, 4) ORDER BY a.rowid, b.distance, b.rowid;

-- the whole table, in rowid order
SELECT rowid, vector_to_json(embedding), product, created, subject FROM docs;

-- writes
UPDATE docs SET embedding = '[0, 0, 0, 0.5]', subject = 'moved' WHERE rowid = 6;
DELETE FROM docs WHERE rowid = 1;
INSERT OR REPLACE INTO docs(rowid, embedding, product) VALUES (3, '[0, 0, 0, 1]', 'returns');
INSERT INTO docs(embedding, product) VALUES ('[9, 9, 9, 9]', 'other');
UPDATE docs SET rowid = 10 WHERE rowid = 2;
INSERT OR IGNORE INTO docs(rowid, embedding) VALUES (10, '[5, 5, 5, 5]');
SELECT rowid, vector_to_json(embedding), product, created, subject FROM docs;
SELECT rowid, distance FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 3;
INSERT INTO docs(docs) VALUES ('integrity-check');

-- transactions
BEGIN;
DELETE FROM docs WHERE rowid > 4;
SELECT count(*) FROM docs;
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 10;
ROLLBACK;
SELECT count(*) FROM docs;
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 10;
SAVEPOINT a;
INSERT INTO docs(rowid, embedding) VALUES (20, '[0, 0, 0, 0]');
ROLLBACK TO a;
RELEASE a;
SELECT count(*) FROM docs WHERE rowid = 20;
INSERT INTO docs(docs) VALUES ('integrity-check');

-- int8 with dot, float with cosine, bit with hamming (the bit default)
CREATE VIRTUAL TABLE i8 USING quiver(embedding int8[3] distance=dot);
INSERT INTO i8(rowid, embedding) VALUES (1, '[1, 2, 3]'), (2, '[-1, 0, 5]'), (3, '[100, -100, 0]'), (4, X'FF0102');
SELECT rowid, distance, vector_to_json(embedding) FROM i8 WHERE embedding MATCH '[1, 1, 1]' AND k = 4;
CREATE VIRTUAL TABLE cos USING quiver(embedding float[2] distance=cosine);
INSERT INTO cos(rowid, embedding) VALUES (1, '[1, 0]'), (2, '[0, 1]'), (3, '[-1, 0]'), (4, '[1, 1]');
SELECT rowid, round(distance, 6) FROM cos WHERE embedding MATCH '[2, 0]' AND k = 4;
CREATE VIRTUAL TABLE bits USING quiver(embedding bit[16]);
INSERT INTO bits(rowid, embedding) VALUES (1, X'FF00'), (2, X'0F00'), (3, X'0000');
SELECT rowid, distance FROM bits WHERE embedding MATCH X'0100' AND k = 3;
SELECT rowid, distance FROM bits WHERE embedding MATCH '[1,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0]' AND distance <= 3;

-- the plan, as EXPLAIN QUERY PLAN shows it
EXPLAIN QUERY PLAN SELECT rowid FROM docs WHERE embedding MATCH '[0,0,0,0]' AND k = 3;
EXPLAIN QUERY PLAN SELECT rowid FROM docs WHERE rowid = 3;

-- errors
CREATE VIRTUAL TABLE bad USING quiver(embedding float[3], nprobe=3);
CREATE VIRTUAL TABLE bad USING quiver(embedding float[0]);
CREATE VIRTUAL TABLE bad USING quiver(embedding bit[12]);
CREATE VIRTUAL TABLE bad USING quiver(embedding bit[16] distance=cosine);
CREATE VIRTUAL TABLE bad USING quiver(embedding float[3], distance real);
CREATE VIRTUAL TABLE bad USING quiver(product text);
INSERT INTO docs(rowid, embedding) VALUES (50, '[1, 2]');
INSERT INTO docs(rowid, embedding) VALUES (50, NULL);
INSERT INTO docs(rowid, embedding) VALUES (4, '[1, 2, 3, 4]');
INSERT INTO cos(rowid, embedding) VALUES (50, '[0, 0]');
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 0;
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0]' AND k = 1;
SELECT rowid FROM docs WHERE k = 3;
-- an integral real is an integer k (bound from a language without integers)
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 2.0;
SELECT rowid FROM docs WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 2.5;
INSERT INTO docs(docs) VALUES ('vacuum');
SELECT count(*) FROM docs;

-- rename and drop: the shadow tables follow
ALTER TABLE docs RENAME TO notes;
SELECT name FROM sqlite_master WHERE name LIKE 'notes%' OR name LIKE 'docs%' ORDER BY name;
SELECT rowid FROM notes WHERE embedding MATCH '[0, 0, 0, 0]' AND k = 2;
INSERT INTO notes(notes) VALUES ('integrity-check');
DROP TABLE notes;
SELECT count(*) FROM sqlite_master WHERE name LIKE 'notes%';

-- a vector column named like an option keeps its declared place
CREATE VIRTUAL TABLE o USING quiver(a integer, "index" float[2] distance=l2, index=ivf, lists=1, b text);
INSERT INTO o(rowid, a, "index", b) VALUES (1, 7, '[1, 2]', 'x');
SELECT group_concat(name, ' ') FROM pragma_table_xinfo('o') WHERE hidden = 0;
SELECT a, vector_to_json("index"), b FROM o;
DROP TABLE o;
