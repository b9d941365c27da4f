-- The hybrid search walkthrough, step 2: documents, their full-text index,
-- their vectors, the vector index, and 100 held-out queries.
--
-- Expects `packages(name, source, section, description)` (every Debian
-- package, see examples/hybrid/hybrid.sh) and the GloVe `words` table
-- (the walkthrough attaches build/glove.db).
--
-- The queries, chosen the same way on every run over the same package
-- lists: the source packages that build at least three binary packages,
-- in name order, every n-th of them so that 100 are spread over the whole
-- list. Of each, the binary package whose name sorts first is held out: it
-- is not among the documents, and its description is the query. The
-- relevant documents of a query are the other binary packages of the same
-- source (libfoo-dev, libfoo-doc, foo-utils ... for a held-out libfoo1).

-- A vector per text: normalized GloVe word vectors weighted by
-- ln(2 + frequency rank), averaged (sql/recipes/document_vectors.sql).
CREATE TEMP VIEW text_vectors AS
SELECT p.name, vector_mean(vector_scale(vector_normalize(w.embedding), ln(2 + w.id))) AS embedding
FROM packages AS p, quiver_tokens(p.description) AS t
JOIN words AS w ON w.word = t.token
GROUP BY p.name;

BEGIN;
CREATE TABLE queries (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,         -- the held-out package
  source TEXT NOT NULL,
  description TEXT NOT NULL,
  embedding BLOB              -- NULL when no word of it is in GloVe
);
WITH sources AS (
  SELECT source, row_number() OVER (ORDER BY source) AS n
  FROM packages GROUP BY source HAVING count(*) >= 3
)
INSERT INTO queries (name, source, description)
SELECT (SELECT min(name) FROM packages AS p WHERE p.source = s.source), s.source, ''
FROM sources AS s
WHERE s.n % ((SELECT count(*) FROM sources) / 100) = 0
ORDER BY s.source LIMIT 100;
UPDATE queries SET
  description = (SELECT description FROM packages AS p WHERE p.name = queries.name),
  embedding = (SELECT embedding FROM text_vectors AS v WHERE v.name = queries.name);

-- The documents: every other package, with its vector beside it.
CREATE TABLE docs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  section TEXT NOT NULL,
  description TEXT NOT NULL,
  embedding BLOB              -- NULL when no word of the description is in GloVe
);
INSERT INTO docs (name, source, section, description, embedding)
SELECT p.name, p.source, p.section, p.description, v.embedding
FROM packages AS p LEFT JOIN text_vectors AS v ON v.name = p.name
WHERE p.name NOT IN (SELECT name FROM queries)
ORDER BY p.name;

-- FTS5 over the descriptions, reading the text from docs (external content).
-- FTS5 leaves the sync of an external-content index to the user's own
-- triggers: these are FTS5's documented ones.
CREATE VIRTUAL TABLE docs_fts USING fts5(description, content = docs, content_rowid = id);
INSERT INTO docs_fts (docs_fts) VALUES ('rebuild');
CREATE TRIGGER docs_fts_insert AFTER INSERT ON docs BEGIN
  INSERT INTO docs_fts (rowid, description) VALUES (new.id, new.description);
END;
CREATE TRIGGER docs_fts_delete AFTER DELETE ON docs BEGIN
  INSERT INTO docs_fts (docs_fts, rowid, description) VALUES ('delete', old.id, old.description);
END;
CREATE TRIGGER docs_fts_update AFTER UPDATE OF id, description ON docs BEGIN
  INSERT INTO docs_fts (docs_fts, rowid, description) VALUES ('delete', old.id, old.description);
  INSERT INTO docs_fts (rowid, description) VALUES (new.id, new.description);
END;

-- The vector index over docs' own embedding column (external content): it
-- reads the rows that have a vector now, and triggers on docs keep it in
-- sync from then on. The section is a filterable column, read from docs too.
CREATE VIRTUAL TABLE doc_index USING quiver(
  embedding float[100] distance=cosine,
  section text,
  content = docs, content_rowid = id,
  index=ivf
);
COMMIT;
INSERT INTO doc_index (doc_index) VALUES ('rebuild');
