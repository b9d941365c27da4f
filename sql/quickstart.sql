-- Quiver quickstart: vectors in an ordinary table, ranked by cosine in SQL.
--   sqlite3 :memory: -cmd '.load ./build/quiver' < sql/quickstart.sql

-- A vector column is a BLOB; the CHECK keeps every row at 4 dimensions.
CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  body TEXT,
  embedding BLOB CHECK (vector_dims(embedding) = 4)
);

-- vector() turns JSON array text into a compact float32 blob (16 bytes here).
INSERT INTO notes (body, embedding) VALUES
  ('refund not received',      vector('[0.9, 0.1, 0.0, 0.2]')),
  ('money back for my order',  vector('[0.8, 0.2, 0.1, 0.3]')),
  ('app crashes on start',     vector('[0.0, 0.9, 0.4, 0.1]')),
  ('login page is blank',      vector('[0.1, 0.7, 0.6, 0.0]'));

SELECT quiver_version() IS NOT NULL AS loaded, length(embedding) AS bytes FROM notes LIMIT 1;

-- The three notes nearest to a query embedding, by cosine.
SELECT id, body, round(cosine_similarity(embedding, '[0.85, 0.15, 0.05, 0.25]'), 4) AS similarity
FROM notes
ORDER BY cosine_distance(embedding, '[0.85, 0.15, 0.05, 0.25]')
LIMIT 3;

-- Vectors come back as JSON; arithmetic works element by element.
SELECT vector_to_json(vector_mean(embedding)) AS centroid FROM notes WHERE id <= 2;
SELECT vector_to_json(vector_normalize(vector_sub(a.embedding, b.embedding))) AS direction
FROM notes a, notes b WHERE a.id = 1 AND b.id = 3;

-- Quantize for compact storage: int8 (1 byte per dimension, scaled to the
-- vector's largest element) and bit (1 bit per dimension, by sign). A blob
-- read from a table is bare: vector() marks it float32 so that vector_int8
-- quantizes it instead of taking its bytes as int8 already.
SELECT vector_to_json(vector_int8(vector(embedding))) AS int8 FROM notes WHERE id = 1;
SELECT hex(vector_bit(vector('[0.3, -0.1, 0.2, 0.9, -0.5, -0.2, 0.4, -0.7]'))) AS bits;
