-- The GloVe demo: nearest words by cosine, and word arithmetic, in plain SQL
-- over the ordinary `words` table that sql/glove/load.sql fills.
.headers on
.mode column

.print 'Nearest words to "cat", by cosine similarity:'
SELECT w.word, round(cosine_similarity(w.embedding, q.embedding), 3) AS similarity
FROM words AS w, (SELECT embedding FROM words WHERE word = 'cat') AS q
WHERE w.word <> 'cat'
ORDER BY cosine_distance(w.embedding, q.embedding)
LIMIT 5;

.print
.print 'king - man + woman ~ ?'
WITH q AS (
  SELECT vector_add(vector_sub(k.embedding, m.embedding), w.embedding) AS embedding
  FROM words k, words m, words w
  WHERE k.word = 'king' AND m.word = 'man' AND w.word = 'woman'
)
SELECT x.word, round(cosine_similarity(x.embedding, q.embedding), 3) AS similarity
FROM words AS x, q
WHERE x.word NOT IN ('king', 'man', 'woman')
ORDER BY cosine_distance(x.embedding, q.embedding)
LIMIT 5;

.print
.print 'paris - france + italy ~ ?'
WITH q AS (
  SELECT vector_add(vector_sub(p.embedding, f.embedding), i.embedding) AS embedding
  FROM words p, words f, words i
  WHERE p.word = 'paris' AND f.word = 'france' AND i.word = 'italy'
)
SELECT x.word, round(cosine_similarity(x.embedding, q.embedding), 3) AS similarity
FROM words AS x, q
WHERE x.word NOT IN ('paris', 'france', 'italy')
ORDER BY cosine_distance(x.embedding, q.embedding)
LIMIT 5;
