-- Golden test of external content tables (README "External content"): a
-- quiver index over the embedding column of an ordinary table, kept in sync
-- by the triggers it creates. Vectors have small integer elements, so every
-- kernel family prints the same distances. Errors print as "Runtime error
-- near line N: ...".

CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, lang TEXT, embedding BLOB);
INSERT INTO docs VALUES
  (1, 'refund',        'en', vector('[1, 0, 0, 0]')),
  (2, 'late parcel',   'en', vector('[0, 2, 0, 0]')),
  (3, 'no vector yet', 'de', NULL),
  (4, 'rückerstattung','de', '[1, 1, 0, 0]');

-- Creation reads the rows that have a vector, and adds the triggers.
CREATE VIRTUAL TABLE doc_index USING quiver(
  embedding float[4] distance=l2, lang text,
  content=docs, content_rowid=id
);
SELECT type, name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name;
SELECT rowid, vector_to_json(embedding), lang FROM doc_index ORDER BY rowid;

-- Writes to docs reach the index in the same statement.
INSERT INTO docs VALUES (5, 'invoice', 'en', vector('[0, 0, 3, 0]'));
UPDATE docs SET embedding = vector('[0, 0, 0, 4]') WHERE id = 3;  -- from NULL: indexed
UPDATE docs SET embedding = NULL WHERE id = 2;                   -- to NULL: out
UPDATE docs SET lang = 'fr' WHERE id = 4;
UPDATE docs SET id = 40 WHERE id = 4;
DELETE FROM docs WHERE id = 1;
REPLACE INTO docs VALUES (5, 'invoice (fixed)', 'en', vector('[0, 0, 2, 0]'));
SELECT rowid, vector_to_json(embedding), lang FROM doc_index ORDER BY rowid;

SELECT d.title, i.distance
FROM doc_index AS i JOIN docs AS d ON d.id = i.rowid
WHERE i.embedding MATCH '[0, 0, 1, 0]' AND i.k = 2 AND i.lang = 'en';

-- A rollback undoes both; a bad vector fails the write to docs, naming the row.
BEGIN;
DELETE FROM docs;
SELECT count(*) FROM doc_index;
ROLLBACK;
SELECT count(*) FROM doc_index;
INSERT INTO docs VALUES (6, 'short', 'en', vector('[1, 2, 3]'));
SELECT count(*) FROM docs WHERE id = 6;
INSERT INTO doc_index(doc_index) VALUES ('integrity-check');

-- Behind the triggers' back: integrity-check says what differs, rebuild repairs.
DROP TRIGGER doc_index_sync_update;
UPDATE docs SET embedding = vector('[5, 5, 5, 5]') WHERE id = 40;
INSERT INTO doc_index(doc_index) VALUES ('integrity-check');
INSERT INTO doc_index(doc_index) VALUES ('rebuild');
INSERT INTO doc_index(doc_index) VALUES ('integrity-check');
SELECT rowid, vector_to_json(embedding) FROM doc_index WHERE rowid = 40;

-- DROP TABLE takes the triggers with it.
DROP TABLE doc_index;
SELECT count(*) FROM sqlite_master WHERE type = 'trigger';

-- Errors.
CREATE VIRTUAL TABLE doc_index USING quiver(embedding float[4], content=nodocs);
CREATE VIRTUAL TABLE doc_index USING quiver(embedding float[4], topic text, content=docs);
CREATE VIRTUAL TABLE doc_index USING quiver(embedding float[4], content=docs, content_rowid=title);
CREATE VIRTUAL TABLE doc_index USING quiver(embedding float[4], content=main.docs);
