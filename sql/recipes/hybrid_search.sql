-- Recipe: hybrid search in plain SQL, text (FTS5, BM25) and vectors (a
-- quiver KNN) fused by reciprocal rank fusion, for those who want their own
-- fusion; quiver_hybrid does the same in one call.
--
-- Reciprocal rank fusion: each search ranks its best rows 1, 2, 3 ...; a
-- row scores weight / (60 + rank) in each search that found it, summed.
-- The constant 60 keeps one list's first place from outweighing agreement
-- between the lists; a row that only one search found still scores.
--
-- Run: sqlite3 :memory: -cmd '.load build/quiver' < sql/recipes/hybrid_search.sql
.headers on
.mode column

-- The documents, with a (made-up, 3-dimensional) embedding beside each.
CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT NOT NULL, lang TEXT NOT NULL, embedding BLOB);
INSERT INTO docs VALUES
  (1, 'How to reset a forgotten password',          'en', vector('[0.9, 0.1, 0.0]')),
  (2, 'Password reset email never arrives',         'en', vector('[0.8, 0.3, 0.1]')),
  (3, 'Cannot sign in after changing my login',     'en', vector('[0.85, 0.2, 0.05]')),
  (4, 'Kennwort vergessen: so setzen Sie es zurück', 'de', vector('[0.88, 0.12, 0.02]')),
  (5, 'Printer shows a paper jam',                  'en', vector('[0.0, 0.2, 0.9]')),
  (6, 'Reset the printer to factory settings',      'en', vector('[0.1, 0.3, 0.8]')),
  (7, 'Invoice total looks wrong',                  'en', vector('[0.2, 0.9, 0.1]'));

-- Full text over docs.body (FTS5 external content: the text stays in docs),
-- and the vectors in a quiver table, both keyed by docs.id.
CREATE VIRTUAL TABLE docs_fts USING fts5(body, content = docs, content_rowid = id);
INSERT INTO docs_fts (docs_fts) VALUES ('rebuild');
CREATE VIRTUAL TABLE doc_vectors USING quiver(embedding float[3] distance=cosine, lang text);
INSERT INTO doc_vectors (rowid, embedding, lang) SELECT id, embedding, lang FROM docs;

-- The query: its text (an FTS5 query) and its embedding.
CREATE TEMP TABLE query AS
SELECT '"reset" OR "password"' AS text, vector('[0.86, 0.18, 0.03]') AS embedding;

.print 'Text alone (BM25), vectors alone (cosine), each ranked:'
SELECT 'text' AS side, row_number() OVER (ORDER BY f.rank, f.rowid) AS rank, f.rowid, d.body
FROM query AS q, docs_fts(q.text) AS f JOIN docs AS d ON d.id = f.rowid
UNION ALL
SELECT 'vector', row_number() OVER (ORDER BY v.distance, v.rowid), v.rowid, d.body
FROM query AS q JOIN doc_vectors AS v ON v.embedding MATCH q.embedding AND v.k = 5
JOIN docs AS d ON d.id = v.rowid;

-- The fusion: the top 5 of each side, weights 1 and 1, constant 60.
.print
.print 'Fused by reciprocal rank fusion, in SQL:'
WITH
vector_side AS (
  SELECT v.rowid AS id, row_number() OVER (ORDER BY v.distance, v.rowid) AS r
  FROM query AS q JOIN doc_vectors AS v ON v.embedding MATCH q.embedding AND v.k = 5
),
text_side AS (
  SELECT id, r FROM (
    SELECT f.rowid AS id, row_number() OVER (ORDER BY f.rank, f.rowid) AS r
    FROM query AS q, docs_fts(q.text) AS f)
  WHERE r <= 5
),
fused AS (
  SELECT id, sum(score) AS score, max(vector_rank) AS vector_rank, max(text_rank) AS text_rank
  FROM (SELECT id, 1.0 / (60 + r) AS score, r AS vector_rank, NULL AS text_rank FROM vector_side
        UNION ALL
        SELECT id, 1.0 / (60 + r), NULL, r FROM text_side)
  GROUP BY id
)
SELECT f.id, printf('%.6f', f.score) AS score, f.vector_rank, f.text_rank, d.body
FROM fused AS f JOIN docs AS d ON d.id = f.id
ORDER BY f.score DESC, f.id LIMIT 5;

.print
.print 'The same with quiver_hybrid:'
SELECT h.rowid AS id, printf('%.6f', h.score) AS score, h.vector_rank, h.text_rank, d.body
FROM query AS q, quiver_hybrid('doc_vectors', 'docs_fts', q.embedding, q.text, 5) AS h
JOIN docs AS d ON d.id = h.rowid;

-- A filter belongs in both searches: by hand, `AND v.lang = 'en'` in the
-- vector side and a join to docs with `d.lang = 'en'` in the text side;
-- quiver_hybrid takes it as its seventh argument (conditions on the quiver
-- table's metadata columns) and options (weights, constant, depth) as its
-- sixth.
.print
.print 'English only, text weighted twice, each side ranking 10 rows:'
SELECT h.rowid AS id, printf('%.6f', h.score) AS score, h.vector_rank, h.text_rank, d.body
FROM query AS q,
     quiver_hybrid('doc_vectors', 'docs_fts', q.embedding, q.text, 5, 'text_weight=2, depth=10', 'lang = ''en''') AS h
JOIN docs AS d ON d.id = h.rowid;
