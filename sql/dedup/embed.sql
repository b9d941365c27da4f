-- The dedup walkthrough, step 2: a vector per package description.
--
-- Expects `packages(name, description)` and the GloVe `words` table (the
-- walkthrough attaches build/glove.db). The pooling is the recipe of
-- sql/recipes/document_vectors.sql: normalized word vectors weighted by
-- ln(2 + frequency rank), averaged.
CREATE VIRTUAL TABLE descriptions USING quiver(
  embedding float[100] distance=cosine,
  index=ivf
);

BEGIN;
INSERT INTO descriptions (rowid, embedding)
SELECT p.rowid, vector_mean(vector_scale(vector_normalize(w.embedding), ln(2 + w.id)))
FROM packages AS p, quiver_tokens(p.description) AS t
JOIN words AS w ON w.word = t.token
GROUP BY p.rowid;
COMMIT;

-- Train the IVF lists on everything that is in now (tables also train by
-- themselves as they grow; this makes the result independent of that).
INSERT INTO descriptions (descriptions) VALUES ('rebuild');
