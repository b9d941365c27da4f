-- The hybrid search walkthrough, step 4: recall@10 on the 100 held-out
-- queries (sql/hybrid/load.sql says how they are chosen), of text search
-- alone (FTS5, BM25), vector search alone (KNN through the IVF index) and
-- quiver_hybrid fusing the two. The recall of a query is the share of its
-- relevant documents (the other packages of its source) in the top 10, out
-- of min(10, relevant); the figure is the mean over the queries.
.headers on
.mode column

CREATE TEMP TABLE relevant AS
SELECT q.id AS query, d.id AS doc FROM queries AS q JOIN docs AS d ON d.source = q.source;

CREATE TEMP TABLE found (method TEXT, query INTEGER, doc INTEGER);
INSERT INTO found
SELECT 'text only', q.id, f.rowid
FROM queries AS q, docs_fts(q.text_query) AS f
WHERE f.rowid IN (SELECT rowid FROM docs_fts(q.text_query) ORDER BY rank, rowid LIMIT 10);
INSERT INTO found
SELECT 'vector only', q.id, v.rowid
FROM queries AS q JOIN doc_index AS v ON v.embedding MATCH q.embedding AND v.k = 10
WHERE q.embedding IS NOT NULL;
INSERT INTO found
SELECT 'hybrid', q.id, h.rowid
FROM queries AS q, quiver_hybrid('doc_index', 'docs_fts', q.embedding, q.text_query, 10) AS h;

WITH per_query AS (
  SELECT m.method, q.id,
         (SELECT count(*) FROM found AS f JOIN relevant AS r ON r.query = f.query AND r.doc = f.doc
          WHERE f.method = m.method AND f.query = q.id) * 1.0 /
         min(10, (SELECT count(*) FROM relevant AS r WHERE r.query = q.id)) AS recall
  FROM (SELECT DISTINCT method FROM found) AS m, queries AS q
)
SELECT method, count(*) AS queries, printf('%.3f', avg(recall)) AS recall_at_10
FROM per_query GROUP BY method ORDER BY avg(recall);
