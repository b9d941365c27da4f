-- The tables and parameters the README's SQL examples use, for
-- tests/readme/run.sh. They live in an attached database, which SQLite
-- searches after main: an example that creates a table of the same name
-- (the Quickstart's notes, the CREATE VIRTUAL TABLE example) gets its own,
-- and every other example finds these. An example that needs another table
-- or parameter adds it here.
ATTACH ':memory:' AS fixture;

-- The support tickets of the README's examples, and their vectors: 384
-- dimensions as in the CREATE VIRTUAL TABLE example, 200 rows in 20 groups of
-- near-duplicates, an IVF index trained on them.
CREATE TABLE fixture.tickets (id INTEGER PRIMARY KEY, subject TEXT NOT NULL,
                              product TEXT NOT NULL, created INTEGER NOT NULL);
WITH RECURSIVE n(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM n WHERE id < 200)
INSERT INTO fixture.tickets
SELECT id, 'ticket ' || id, CASE id % 3 WHEN 0 THEN 'billing' WHEN 1 THEN 'login' ELSE 'shipping' END,
       1760000000 + id * 3600
FROM n;

CREATE VIRTUAL TABLE fixture.ticket_vectors USING quiver(
  embedding float[384] distance=cosine,
  product text,
  created integer,
  +subject text,
  index=ivf, lists=4
);
WITH RECURSIVE i(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM i WHERE i < 383)
INSERT INTO fixture.ticket_vectors(rowid, embedding, product, created, subject)
SELECT id,
       (SELECT vector(json_group_array(((id % 20) * 7919 + i * 104729) % 2003 / 1001.5 - 1.0
                                       + ((id * 31 + i * 17) % 101 / 101.0 - 0.5) * 0.1))
        FROM i),
       product, created, subject
FROM fixture.tickets;
INSERT INTO fixture.ticket_vectors(ticket_vectors) VALUES ('rebuild');

-- The Quickstart's notes, for examples that use them without creating them.
CREATE TABLE fixture.notes (id INTEGER PRIMARY KEY, body TEXT,
                            embedding BLOB CHECK (vector_dims(embedding) = 4));
INSERT INTO fixture.notes (body, embedding) VALUES
  ('refund not received',     vector('[0.9, 0.1, 0.0, 0.2]')),
  ('money back for my order', vector('[0.8, 0.2, 0.1, 0.3]')),
  ('app crashes on start',    vector('[0.0, 0.9, 0.4, 0.1]'));

-- The tickets' subjects in FTS5, for the hybrid search examples.
CREATE VIRTUAL TABLE fixture.tickets_fts USING fts5(subject, content = tickets, content_rowid = id);
INSERT INTO fixture.tickets_fts (tickets_fts) VALUES ('rebuild');

-- Named parameters, bound by the shell to every statement that uses them.
.parameter set :query "(SELECT embedding FROM fixture.ticket_vectors WHERE rowid = 7)"
.parameter set :embedding "(SELECT embedding FROM fixture.ticket_vectors WHERE rowid = 8)"
.parameter set :q "(SELECT embedding FROM fixture.notes WHERE id = 1)"
.parameter set :id 7
.parameter set :k 5
.parameter set :text "'refund for my order'"
