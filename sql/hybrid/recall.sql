-- The hybrid search walkthrough, step 4: recall@10 on the 100 held-out
-- queries (sql/hybrid/load.sql says how they are chosen), of text search
-- alone (FTS5, BM25), vector search alone (KNN through the IVF index at its
-- default probes) and quiver_hybrid fusing the two with its defaults. The
-- recall of a query is the share of its relevant documents (the other
-- packages of its source) in the top 10, out of min(10, relevant); the
-- figure is the mean over the 100 queries (a query no word of which is in
-- GloVe has no vector: the vector side finds nothing for it).
--
-- The text query is made from the held-out description in two ways:
--   all words  "w1" "w2" ...      FTS5's own reading of typed words: every
--                                 word must be in the document
--   any word   "w1" OR "w2" ...   BM25 over documents with any of them
.headers on
.mode column

CREATE TEMP TABLE relevant AS
SELECT q.id AS query, d.id AS doc FROM queries AS q JOIN docs AS d ON d.source = q.source;

CREATE TEMP TABLE text_queries AS
SELECT q.id AS query, s.style,
       (SELECT group_concat('"' || token || '"', s.separator) FROM quiver_tokens(q.description)) AS text_query
FROM queries AS q,
     (SELECT 'all words' AS style, ' ' AS separator UNION ALL SELECT 'any word', ' OR ') AS s;

CREATE TEMP TABLE found (style TEXT, method TEXT, query INTEGER, doc INTEGER);
INSERT INTO found
SELECT t.style, 'text only', t.query, f.rowid
FROM text_queries AS t, docs_fts(t.text_query) AS f
WHERE f.rowid IN (SELECT rowid FROM docs_fts(t.text_query) ORDER BY rank, rowid LIMIT 10);
INSERT INTO found
SELECT s.style, 'vector only', q.id, v.rowid
FROM (SELECT DISTINCT style FROM text_queries) AS s, queries AS q
JOIN doc_index AS v ON v.embedding MATCH q.embedding AND v.k = 10
WHERE q.embedding IS NOT NULL;
INSERT INTO found
SELECT t.style, 'hybrid', t.query, h.rowid
FROM text_queries AS t JOIN queries AS q ON q.id = t.query,
     quiver_hybrid('doc_index', 'docs_fts', q.embedding, t.text_query, 10) AS h;

.print 'recall@10 on 100 held-out queries:'
WITH per_query AS (
  SELECT m.style, m.method, q.id,
         (SELECT count(*) FROM found AS f JOIN relevant AS r ON r.query = f.query AND r.doc = f.doc
          WHERE f.style = m.style AND f.method = m.method AND f.query = q.id) * 1.0 /
         min(10, (SELECT count(*) FROM relevant AS r WHERE r.query = q.id)) AS recall
  FROM (SELECT DISTINCT style, method FROM found) AS m, queries AS q
)
SELECT style AS text_query, method, printf('%.3f', avg(recall)) AS recall_at_10
FROM per_query GROUP BY style, method
ORDER BY style, CASE method WHEN 'text only' THEN 1 WHEN 'vector only' THEN 2 ELSE 3 END;
