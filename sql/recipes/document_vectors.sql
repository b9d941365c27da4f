-- Recipe: a vector per document from word vectors, in SQL.
--
-- The classic way to embed short texts without a model at hand: split the
-- text into words (quiver_tokens), look each word up in a word-vector table
-- (GloVe, see sql/glove/load.sql), and pool them into one vector with the
-- vector_mean aggregate. Frequent words carry little meaning, so each word
-- vector is normalized and weighted by ln(2 + its frequency rank): "the"
-- counts 0.7, a rank-10,000 word 9.2. Words missing from the vocabulary
-- (most product and package names) are skipped.
--
-- Run against a database holding the `words` table:
--   sqlite3 build/glove.db -cmd '.load build/quiver' < sql/recipes/document_vectors.sql
-- Everything it creates is TEMP: the database is left as it was.
.headers on
.mode column

CREATE TEMP TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
INSERT INTO notes (body) VALUES
  ('The printer on the third floor is out of toner again.'),
  ('Toner for the 3rd floor printer has run out.'),
  ('I cannot log in to my email since this morning.'),
  ('Email login fails with a password error.'),
  ('Can we order more coffee for the kitchen?'),
  ('The kitchen coffee machine is leaking water.');

-- The words of one text:
SELECT token, position FROM quiver_tokens('Toner for the 3rd floor printer!');

-- One vector per note, into a quiver table (cosine distance).
CREATE VIRTUAL TABLE temp.note_vectors USING quiver(embedding float[100] distance=cosine);
INSERT INTO note_vectors (rowid, embedding)
SELECT n.id, vector_mean(vector_scale(vector_normalize(w.embedding), ln(2 + w.id)))
FROM notes AS n, quiver_tokens(n.body) AS t
JOIN words AS w ON w.word = t.token
GROUP BY n.id;

.print
.print 'Notes nearest to "my printer needs new toner":'
SELECT n.body, round(v.distance, 3) AS distance
FROM note_vectors AS v JOIN notes AS n ON n.id = v.rowid
WHERE v.embedding MATCH (
  SELECT vector_mean(vector_scale(vector_normalize(w.embedding), ln(2 + w.id)))
  FROM quiver_tokens('my printer needs new toner') AS t JOIN words AS w ON w.word = t.token)
  AND v.k = 3;

.print
.print 'Pairs of notes within cosine distance 0.1 (likely duplicates):'
SELECT a.body AS note, b.body AS duplicate, round(p.distance, 3) AS distance
FROM quiver_pairs('note_vectors', 0.1) AS p
JOIN notes AS a ON a.id = p.a
JOIN notes AS b ON b.id = p.b
ORDER BY p.distance;
