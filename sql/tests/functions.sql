-- Golden test of the scalar and aggregate functions (DESIGN §2), through the
-- sqlite3 shell. Real results are rounded so every kernel family prints the
-- same text. Errors print as "Runtime error near line N: ...".

-- constructors and the byte format
SELECT hex(vector('[1, 2]'));
SELECT hex(vector(X'0000803F00000040'));
SELECT hex(vector_int8('[1, -1, 127, -128]'));
SELECT hex(vector_bit('[1,0,0,0,0,0,0,1, 0,1,0,0,0,0,0,0]'));
SELECT vector_to_json(vector('[0.1, -2, 3e-4, -0]'));
SELECT vector_to_json(vector_int8('[5, -7]'));
SELECT vector_to_json(vector_bit(vector('[0.5,-1,0,2,3,-4,5,-6]')));
SELECT vector_to_json(vector_int8(vector('[0.5, -1, 0.25]')));
SELECT vector_to_json(vector_int8('[0.5, -1, 1]', 'unit'));
SELECT vector_to_json(vector(vector_int8('[3, -4]')));
SELECT vector_dims('[1,2,3]'), vector_dims(vector_int8('[1,2]')), vector_dims(vector_bit(X'FF00'));
SELECT vector_type(vector('[1]')), vector_type(vector_int8('[1]')), vector_type(vector_bit(X'01')), vector_type(X'00000000');

-- arithmetic
SELECT vector_to_json(vector_add('[1, 2]', '[0.5, -4]'));
SELECT vector_to_json(vector_sub('[1, 2]', '[0.5, -4]'));
SELECT vector_to_json(vector_scale('[1, -2]', 3));
SELECT vector_to_json(vector_normalize('[3, 4]'));
SELECT vector_norm('[3, 4]'), vector_norm(vector_int8('[-3, 4]'));
SELECT vector_to_json(vector_slice('[1, 2, 3, 4]', 1, 3));
SELECT hex(vector_slice(vector_bit(X'0102'), 8, 16));

-- distances
SELECT round(cosine_similarity('[1, 0]', '[1, 1]'), 6), round(cosine_distance('[1, 0]', '[1, 1]'), 6);
SELECT round(cosine_similarity('[1, 2, 3]', '[-1, -2, -3]'), 6);
SELECT dot_product('[1, 2, 3]', '[4, 5, 6]'), l2_distance('[0, 0]', '[3, 4]');
SELECT dot_product(vector_int8('[1, 2, 3]'), vector_int8('[4, 5, 6]'));
SELECT l2_distance(vector_int8('[-128, 127]'), vector_int8('[127, -128]'));
SELECT round(cosine_distance(vector_int8('[1, 0]'), vector_int8('[0, 1]')), 6);
SELECT hamming_distance(X'FF00', X'0F01'), hamming_distance(vector_bit('[1,1,1,1,1,1,1,1]'), X'00');

-- aggregate
CREATE TABLE docs (topic TEXT, embedding BLOB);
INSERT INTO docs VALUES ('a', vector('[1, 2]')), ('a', vector('[3, 4]')), ('b', vector('[-1, 0]')), ('b', NULL);
SELECT topic, vector_to_json(vector_mean(embedding)) FROM docs GROUP BY topic ORDER BY topic;
SELECT vector_mean(embedding) IS NULL FROM docs WHERE topic = 'none';

-- NULL in, NULL out
SELECT vector(NULL) IS NULL, cosine_similarity(NULL, '[1]') IS NULL, vector_slice('[1,2]', NULL, 1) IS NULL;

-- a vector column in a STRICT table
CREATE TABLE items (id INTEGER PRIMARY KEY, embedding BLOB CHECK (vector_dims(embedding) = 3)) STRICT;
INSERT INTO items VALUES (1, vector('[1, 2, 3]'));
INSERT INTO items VALUES (2, vector('[1, 2]'));
SELECT count(*) FROM items;

-- errors, each naming the problem
SELECT vector('[1, nan]');
SELECT vector('[]');
SELECT vector('[1, 2,]');
SELECT vector('[1e999]');
SELECT vector(5);
SELECT vector(X'000000');
SELECT vector(X'0000C07F');
SELECT vector(X'0000807F');
SELECT vector(zeroblob(0));
SELECT vector(zeroblob(262148));
SELECT vector_int8('[1.5]');
SELECT vector_int8('[200]');
SELECT vector_int8('[2]', 'unit');
SELECT vector_int8('[1]', 'percent');
SELECT vector_bit('[1, 0, 1]');
SELECT cosine_similarity('[1, 2, 3]', '[1, 2]');
SELECT cosine_similarity('[1, 2]', vector_int8('[1, 2]'));
SELECT cosine_similarity('[0, 0]', '[1, 1]');
SELECT cosine_distance(vector_bit(X'01'), vector_bit(X'02'));
SELECT hamming_distance(X'01', vector('[1, 2]'));
SELECT hamming_distance(X'01', X'0102');
SELECT vector_add('[3e38]', '[3e38]');
SELECT vector_scale('[1]', 'two');
SELECT vector_normalize('[0, 0]');
SELECT vector_norm(vector_bit(X'01'));
SELECT vector_slice('[1, 2, 3]', 2, 1);
SELECT vector_slice(vector_bit(X'0102'), 4, 16);
SELECT vector_mean(embedding) FROM (SELECT vector('[1, 2]') AS embedding UNION ALL SELECT vector('[1]'));
SELECT quiver_version() = quiver_version();
