-- Golden test of the float16 and bfloat16 vectors (DESIGN §1-2), through the
-- sqlite3 shell. Real results are rounded so every kernel family prints the
-- same text. Errors print as "Runtime error near line N: ...".

-- constructors, the byte format and the subtypes
SELECT hex(vector_f16('[1, -2, 0.5, 65504]')), hex(vector_bf16('[1, -2, 0.5, 3.3895314e38]'));
SELECT hex(vector_f16(vector('[1, 2]'))), hex(vector_bf16(vector_int8('[1, -128]')));
SELECT hex(vector_f16(X'003C00C0')), hex(vector_bf16(X'803F00C0'));
SELECT subtype(vector_f16('[1]')), subtype(vector_bf16('[1]'));
SELECT vector_type(vector_f16('[1]')), vector_type(vector_bf16('[1]')), vector_dims(vector_f16('[1, 2, 3]'));
SELECT vector_to_json(vector_f16('[0.1, -2, 3e-4, -0, 1e-7]')), vector_to_json(vector_bf16('[0.1, -2, 3e-4, -0]'));
SELECT vector_to_json(vector(vector_f16('[0.1, 0.2]'))), vector_to_json(vector(vector_bf16('[0.1]')));

-- rounding: ties to even, underflow to zero, overflow an error
SELECT hex(vector_f16('[1.00048828125, 1.00146484375, 65519.99, 2.98e-8, 2.99e-8, -1e-9]'));
SELECT hex(vector_bf16('[1.00390625, 1.01171875, 1e-45]'));
SELECT vector_f16('[1, 65520]');
SELECT vector_f16(vector('[-70000]'));
SELECT vector_bf16('[3.4028235e38]');

-- rejected input
SELECT vector_f16(X'007C');
SELECT vector_bf16(X'C1FF');
SELECT vector_f16(X'000000');
SELECT vector_f16(vector_bit(X'FF'));
SELECT vector_f16(NULL) IS NULL, vector_bf16(NULL) IS NULL, l2_distance(vector_f16('[1]'), NULL) IS NULL;

-- distances, scored in float32
SELECT round(cosine_distance(vector_f16('[1, 0]'), vector_f16('[1, 1]')), 6), round(cosine_similarity(vector_bf16('[1, 2, 3]'), vector_bf16('[-1, -2, -3]')), 6);
SELECT dot_product(vector_f16('[1, 2, 3]'), vector_f16('[4, 5, 6]')), l2_distance(vector_bf16('[0, 0]'), vector_bf16('[3, 4]'));
SELECT vector_norm(vector_f16('[3, 4]')), vector_norm(vector_bf16('[-3, 4]'));
SELECT cosine_distance(vector_f16('[1, 2]'), '[1, 2]');
SELECT dot_product(vector_f16('[1, 2]'), vector_bf16('[1, 2]'));
SELECT l2_distance(vector_bf16('[1, 2]'), vector_bf16('[1, 2, 3]'));
SELECT cosine_similarity(vector_f16('[0, 0]'), vector_f16('[1, 1]'));

-- the other functions: arithmetic gives float32, slices keep the type
SELECT vector_to_json(vector_add(vector_f16('[1, 2]'), vector_f16('[0.5, -4]'))), vector_type(vector_sub(vector_bf16('[1]'), vector_bf16('[2]')));
SELECT vector_to_json(vector_scale(vector_f16('[1, -2]'), 3)), vector_to_json(vector_normalize(vector_bf16('[3, 4]')));
SELECT hex(vector_slice(vector_f16('[1, 2, 3]'), 1, 3)), vector_type(vector_slice(vector_bf16('[1, 2, 3]'), 0, 1));
SELECT vector_to_json(vector_mean(vector_f16(j))) FROM (SELECT '[1, 2]' AS j UNION ALL SELECT '[2, 5]');
SELECT vector_to_json(vector_int8(vector_f16('[0.5, -1, 0.25]'))), hex(vector_bit(vector_bf16('[1, -1, 0, 2, 3, -4, 5, -6]')));
