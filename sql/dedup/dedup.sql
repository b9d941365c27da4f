-- The dedup walkthrough, step 3: duplicates among Debian's package
-- descriptions, and topics.
.headers on
.mode column --wrap 44 --wordwrap on

.print 'The corpus:'
SELECT count(*) AS packages,
       count(DISTINCT description) AS distinct_texts,
       (SELECT count(*) FROM descriptions) AS embedded
FROM packages;

.print
.print 'The index:'
SELECT rows, lists, probes, min_list, median_list, max_list FROM quiver_stats('descriptions');

-- Every pair within cosine distance 0.03, through the IVF index, into a
-- table; identical texts are easy to find without vectors, so the rest of
-- the walkthrough looks at pairs worded differently.
CREATE TEMP TABLE near AS
SELECT p.a, p.b, p.distance
FROM quiver_pairs('descriptions', 0.03) AS p
JOIN packages AS x ON x.rowid = p.a
JOIN packages AS y ON y.rowid = p.b
WHERE lower(x.description) <> lower(y.description);

.print
.print 'Near-duplicate pairs worded differently, within cosine distance 0.03:'
SELECT count(*) AS pairs, (SELECT count(*) FROM (SELECT a FROM near UNION SELECT b FROM near)) AS packages_involved
FROM near;

.print
.print 'A sample: in each of 12 clusters, its loosest pair:'
SELECT round(s.distance, 3) AS distance, x.description, y.description AS other_description
FROM (
  SELECT n.a, n.b, n.distance,
         row_number() OVER (PARTITION BY d.cluster ORDER BY n.distance DESC, n.a, n.b) AS rank
  FROM near AS n JOIN descriptions AS d ON d.rowid = n.a
) AS s
JOIN packages AS x ON x.rowid = s.a
JOIN packages AS y ON y.rowid = s.b
WHERE s.rank = 1
ORDER BY s.a
LIMIT 12;

.print
.print 'Before adding a package: is there one like "Logging library for C++ programs"?'
WITH q AS (
  SELECT vector_mean(vector_scale(vector_normalize(w.embedding), ln(2 + w.id))) AS embedding
  FROM quiver_tokens('Logging library for C++ programs') AS t JOIN words AS w ON w.word = t.token
)
SELECT round(d.distance, 3) AS distance, p.name, p.description
FROM descriptions AS d, q
JOIN packages AS p ON p.rowid = d.rowid
WHERE d.embedding MATCH q.embedding AND d.distance < 0.05
ORDER BY d.distance
LIMIT 8;

.print
.print 'Topics: the largest IVF clusters, with the description nearest each centroid:'
SELECT c.cluster, c.size,
       (SELECT p.description
        FROM descriptions AS d JOIN packages AS p ON p.rowid = d.rowid
        WHERE d.embedding MATCH c.centroid AND d.k = 1) AS typical_description
FROM quiver_clusters('descriptions') AS c
ORDER BY c.size DESC
LIMIT 8;
