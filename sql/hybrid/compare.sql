-- The hybrid search walkthrough, step 3: the top 5 of text search, vector
-- search and quiver_hybrid side by side, for a held-out query (the query is
-- a held-out package's description; its relevant documents are the other
-- packages of its source, marked *), hybrid search with a filter, and a new
-- row of docs found at once (both indexes follow docs through triggers).
.headers on
.mode column --wrap 34 --wordwrap on

-- The top 5 of each side for the query `:query`, its words OR'ed.
CREATE TEMP VIEW side_by_side AS
WITH q AS (
  SELECT id, source, embedding,
         (SELECT group_concat('"' || token || '"', ' OR ') FROM quiver_tokens(description)) AS text_query
  FROM queries WHERE name = (SELECT value FROM temp.settings WHERE key = 'query')
),
text AS (
  SELECT row_number() OVER (ORDER BY f.rank, f.rowid) AS n, f.rowid AS doc
  FROM q, docs_fts(q.text_query) AS f ORDER BY f.rank, f.rowid LIMIT 5
),
vector AS (
  SELECT row_number() OVER (ORDER BY v.distance, v.rowid) AS n, v.rowid AS doc
  FROM q JOIN doc_index AS v ON v.embedding MATCH q.embedding AND v.k = 5
),
hybrid AS (
  SELECT row_number() OVER (ORDER BY h.score DESC, h.rowid) AS n, h.rowid AS doc
  FROM q, quiver_hybrid('doc_index', 'docs_fts', q.embedding, q.text_query, 5) AS h
),
shown AS (
  SELECT n, doc, (SELECT iif(d.source = q.source, '* ', '  ') || d.name FROM docs AS d, q WHERE d.id = doc) AS name
  FROM (SELECT * FROM text UNION SELECT * FROM vector UNION SELECT * FROM hybrid)
)
SELECT p.n AS "#",
       (SELECT name FROM shown JOIN text USING (n, doc) WHERE n = p.n) AS text_only,
       (SELECT name FROM shown JOIN vector USING (n, doc) WHERE n = p.n) AS vector_only,
       (SELECT name FROM shown JOIN hybrid USING (n, doc) WHERE n = p.n) AS hybrid
FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5) AS p;

CREATE TEMP TABLE settings (key TEXT PRIMARY KEY, value TEXT);

INSERT INTO settings VALUES ('query', 'dpkg');
.print 'Query: the description of dpkg, "Debian package management system"'
.print '(relevant: dpkg-dev, dselect, libdpkg-dev, libdpkg-perl)'
SELECT * FROM side_by_side;

.print
.print 'Hybrid search for "chess board game" in section games (the filter applies inside both searches):'
SELECT d.name, d.section, h.vector_rank, h.text_rank, d.description
FROM quiver_hybrid('doc_index', 'docs_fts',
       (SELECT vector_mean(vector_scale(vector_normalize(w.embedding), ln(2 + w.id)))
        FROM quiver_tokens('chess board game') AS t JOIN words AS w ON w.word = t.token),
       '"chess" OR "board" OR "game"', 5, NULL, 'section = ''games''') AS h
JOIN docs AS d ON d.id = h.rowid;

-- A new package written into docs alone: the quiver index (content = docs)
-- and the FTS5 index take it in the same statement, and lose it again with
-- the ROLLBACK.
.print
.print 'A new package in docs, found at once for "chess game for beginners" (then rolled back):'
BEGIN;
INSERT INTO docs (name, source, section, description, embedding)
SELECT 'chess-coach', 'chess-coach', 'games', 'Chess board game tutor for beginners',
       (SELECT vector_mean(vector_scale(vector_normalize(w.embedding), ln(2 + w.id)))
        FROM quiver_tokens('Chess board game tutor for beginners') AS t JOIN words AS w ON w.word = t.token);
SELECT d.name, h.vector_rank, h.text_rank, d.description
FROM quiver_hybrid('doc_index', 'docs_fts',
       (SELECT vector_mean(vector_scale(vector_normalize(w.embedding), ln(2 + w.id)))
        FROM quiver_tokens('chess game for beginners') AS t JOIN words AS w ON w.word = t.token),
       '"chess" OR "beginners"', 5, NULL, 'section = ''games''') AS h
JOIN docs AS d ON d.id = h.rowid;
ROLLBACK;
SELECT count(*) AS "chess-coach rows left in doc_index"
FROM doc_index WHERE rowid NOT IN (SELECT id FROM docs);
INSERT INTO doc_index (doc_index) VALUES ('integrity-check');
