-- Golden test of quiver_tokens (README "Near-duplicates, topics and document
-- vectors"), through the sqlite3 shell: one row per word with its position
-- and byte offset; lowercased ASCII and Latin-1 capitals; other scripts
-- kept; Unicode punctuation separates; bad UTF-8 is kept, never rejected.
-- Errors print as "Parse error near line N: ...".

-- the README example
SELECT token, position, offset FROM quiver_tokens('Toner for the 3rd floor printer!');

-- no words
SELECT count(*) FROM quiver_tokens('');
SELECT count(*) FROM quiver_tokens(NULL);
SELECT count(*) FROM quiver_tokens('  ...!?  ');
SELECT count(*) FROM quiver_tokens(char(9, 10, 13, 32));

-- numbers and case; numbers and blobs are read as their text
SELECT group_concat(token, ' ') FROM quiver_tokens('12.5 v2.0-beta 1,000 HeLLo WORLD');
SELECT token, offset FROM quiver_tokens(12.5);
SELECT token, offset FROM quiver_tokens(X'4869207468657265');

-- Latin-1 capitals are lowercased (ß and ÿ stay); × and ÷ separate
SELECT group_concat(token, ' ') FROM quiver_tokens('École ÇA Þorn Straße ÿ 2×3 6÷2');
-- other scripts are kept as they are
SELECT group_concat(token, ' ') FROM quiver_tokens('Москва Ωmega 東京');
-- Unicode punctuation: — “ ” ‘ ’ … « » no-break space ¿ and CJK 。、
SELECT group_concat(token, ' ') FROM quiver_tokens('a—b “c” ‘d’ e…f «g» h' || char(160) || 'i ¿j? 東京。大阪、');
-- offsets are byte offsets into the UTF-8 text
SELECT token, position, offset FROM quiver_tokens('«Été» — Café');

-- invalid UTF-8 bytes stay inside words
SELECT hex(token), offset FROM quiver_tokens(CAST(X'41FF42206380' AS TEXT));

-- a correlated use: the words of every row
CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO docs VALUES (1, 'Printer out of toner'), (2, NULL), (3, 'Toner: ordered!'), (4, 'printer, PRINTER');
SELECT docs.id, t.position, t.token FROM docs, quiver_tokens(docs.body) AS t ORDER BY docs.id, t.position;
SELECT token, count(DISTINCT docs.id) AS documents FROM docs, quiver_tokens(docs.body)
GROUP BY token ORDER BY documents DESC, token;

-- an argument is required
SELECT * FROM quiver_tokens();
