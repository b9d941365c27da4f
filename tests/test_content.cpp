// External content tables (ext/sql/content_sync.h): a quiver index declared
// with content=docs over an ordinary table docs(id, title, embedding, lang),
// through real SQLite connections, on seeded synthetic data:
//   [content]  after every kind of write to docs (INSERT, UPDATE of the
//              vector, of lang, of the rowid, to and from NULL, DELETE,
//              REPLACE with and without recursive_triggers, UPSERT, ROLLBACK,
//              ROLLBACK TO a savepoint, statements failing midway on a bad
//              vector or a constraint), flat and trained IVF: the index holds
//              exactly docs' rows with a vector, and its k nearest (filtered
//              by lang or not, probes = lists) are those of a brute-force L2
//              scan over docs' own vectors (small integer coordinates: exact
//              distances, ties broken by rowid); 'integrity-check' passes.
//              docs changed behind the triggers (dropped triggers, writes
//              into the index or its shadow tables) is caught by
//              'integrity-check' with its message, and 'rebuild' repairs it;
//              errors for a missing or unusable content table or column, a
//              bad content_rowid, a bad vector naming its row; DROP, rename
//              and attached schemas.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "support/db.h"

namespace {

using quiver_test::Db;
using quiver_test::Rows;
using quiver_test::Value;

constexpr int kDims = 4;
const char* const kLangs[] = {"en", "de", "fr"};

std::string blob_of(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::vector<float> floats_of(const std::string& blob) {
  std::vector<float> v(blob.size() / sizeof(float));
  std::memcpy(v.data(), blob.data(), v.size() * sizeof(float));
  return v;
}

// docs and its index; `options` ends the index's declaration.
struct Content {
  Db db;
  std::mt19937 rng;
  bool ivf;

  Content(bool ivf_index, unsigned seed, int rows) : rng(seed), ivf(ivf_index) {
    db.exec("CREATE TABLE docs(id INTEGER PRIMARY KEY, title TEXT UNIQUE, embedding BLOB, lang TEXT)");
    db.exec("BEGIN");
    for (int i = 0; i < rows; ++i) insert(1 + 2 * i);
    db.exec("COMMIT");
    db.exec(std::string("CREATE VIRTUAL TABLE idx USING quiver(embedding float[4] distance=l2, lang text, "
                        "content=docs, content_rowid=id") +
            (ivf ? ", index=ivf, lists=4, train=manual)" : ")"));
    if (ivf) db.exec("INSERT INTO idx(idx) VALUES ('rebuild')");  // train
  }

  Value vector() {
    std::uniform_int_distribution<int> coord(-3, 3);
    std::vector<float> v(kDims);
    for (float& x : v) x = static_cast<float>(coord(rng));
    if (std::all_of(v.begin(), v.end(), [](float x) { return x == 0; })) v[0] = 1;
    return Value::blob(blob_of(v));
  }
  // A vector, or NULL for one row in six.
  Value maybe_vector() { return std::uniform_int_distribution<int>(0, 5)(rng) == 0 ? Value::null() : vector(); }
  Value lang() { return Value::text(kLangs[std::uniform_int_distribution<int>(0, 2)(rng)]); }
  int64_t some_id() {
    return db.integer("SELECT id FROM docs ORDER BY id LIMIT 1 OFFSET abs(?1) % (SELECT count(*) FROM docs)",
                      {Value::integer(static_cast<int64_t>(rng()))});
  }
  void insert(int64_t id) {
    db.exec("INSERT INTO docs VALUES (?1, 't' || ?1, ?2, ?3)", {Value::integer(id), maybe_vector(), lang()});
  }

  // One random write to docs.
  void random_write() {
    int64_t id = some_id();
    switch (std::uniform_int_distribution<int>(0, 10)(rng)) {
      case 0: insert(db.integer("SELECT max(id) + 1 + abs(?1) % 3 FROM docs", {Value::integer(rng())})); break;
      case 1: db.exec("UPDATE docs SET embedding = ?2 WHERE id = ?1", {Value::integer(id), maybe_vector()}); break;
      case 2: db.exec("UPDATE docs SET lang = ?2 WHERE id = ?1", {Value::integer(id), lang()}); break;
      case 3: db.exec("UPDATE docs SET title = title || 'x' WHERE id = ?1", {Value::integer(id)}); break;
      case 4: {
        int64_t to = db.integer("SELECT max(id) + 1 FROM docs");
        db.exec("UPDATE docs SET id = ?2 WHERE id = ?1", {Value::integer(id), Value::integer(to)});
        break;
      }
      case 5: db.exec("DELETE FROM docs WHERE id = ?1", {Value::integer(id)}); break;
      case 6:
        db.exec("REPLACE INTO docs VALUES (?1, 'r' || ?1, ?2, ?3)", {Value::integer(id), maybe_vector(), lang()});
        break;
      case 7:
        db.exec("INSERT INTO docs VALUES (?1, 'u' || ?1, ?2, ?3) ON CONFLICT(id) DO UPDATE SET "
                "embedding = excluded.embedding, lang = excluded.lang",
                {Value::integer(id), maybe_vector(), lang()});
        break;
      // The policy of a statement on docs is imposed on the triggers' own.
      case 8:
        db.exec("UPDATE OR REPLACE docs SET id = ?2 WHERE id = ?1", {Value::integer(id), Value::integer(some_id())});
        break;
      case 9: db.exec("UPDATE OR IGNORE docs SET embedding = ?2 WHERE id = ?1", {Value::integer(id), maybe_vector()}); break;
      case 10:
        db.exec("INSERT OR IGNORE INTO docs VALUES (?1, 'i' || ?1, ?2, ?3)",
                {Value::integer(id + std::uniform_int_distribution<int>(0, 1)(rng)), maybe_vector(), lang()});
        break;
    }
  }

  // The index against docs: the same rows, and the same k nearest.
  void verify() {
    Rows want = db.query("SELECT id, embedding, lang FROM docs WHERE embedding IS NOT NULL ORDER BY id");
    Rows got = db.query("SELECT rowid, embedding, lang FROM idx ORDER BY rowid");
    REQUIRE(got == want);
    db.exec("INSERT INTO idx(idx) VALUES ('integrity-check')");
    for (int q = 0; q < 4; ++q) {
      Value query = vector();
      std::vector<float> qv = floats_of(query.s);
      bool filtered = q % 2 == 1;
      std::string lang = kLangs[q % 3];
      struct Hit {
        double d2;
        int64_t id;
      };
      std::vector<Hit> brute;
      for (const auto& row : want) {
        if (filtered && row[2].s != lang) continue;
        std::vector<float> v = floats_of(row[1].s);
        double d2 = 0;
        for (int i = 0; i < kDims; ++i) d2 += (v[i] - qv[i]) * (v[i] - qv[i]);
        brute.push_back({d2, row[0].i});
      }
      std::sort(brute.begin(), brute.end(),
                [](const Hit& a, const Hit& b) { return a.d2 != b.d2 ? a.d2 < b.d2 : a.id < b.id; });
      if (brute.size() > 10) brute.resize(10);
      std::string sql = std::string("SELECT rowid, distance FROM idx WHERE embedding MATCH ?1 AND k = 10") +
                        (ivf ? " AND probes = 4" : "") + (filtered ? " AND lang = ?2" : "") + " ORDER BY distance";
      std::vector<Value> params = {query};
      if (filtered) params.push_back(Value::text(lang));
      Rows hits = db.query(sql, params);
      INFO("query " << q << (filtered ? " lang " + lang : std::string()));
      REQUIRE(hits.size() == brute.size());
      for (size_t i = 0; i < hits.size(); ++i) {
        CHECK(hits[i][0].i == brute[i].id);
        CHECK(hits[i][1].number() == Approx(std::sqrt(brute[i].d2)).margin(1e-5));
      }
    }
  }

  Rows snapshot() { return db.query("SELECT id, title, embedding, lang FROM docs ORDER BY id"); }
};

const char* index_name(bool ivf) { return ivf ? "ivf" : "flat"; }

}  // namespace

TEST_CASE("content: existing rows are indexed at creation, rows with a NULL vector are not", "[content]") {
  for (bool ivf : {false, true}) {
    INFO(index_name(ivf));
    Content c(ivf, 11, 300);
    REQUIRE(c.db.integer("SELECT count(*) FROM docs WHERE embedding IS NULL") > 0);
    if (ivf) REQUIRE(c.db.integer("SELECT count(DISTINCT cluster) FROM idx") == 4);
    c.verify();
  }
}

TEST_CASE("content: INSERT, UPDATE, DELETE, REPLACE, UPSERT and OR IGNORE on docs keep the index in sync", "[content]") {
  for (bool ivf : {false, true}) {
    for (bool recursive : {false, true}) {
      INFO(index_name(ivf) << (recursive ? ", recursive_triggers" : ""));
      Content c(ivf, 21 + recursive, 200);
      if (recursive) c.db.exec("PRAGMA recursive_triggers = ON");
      for (int round = 0; round < 8; ++round) {
        for (int i = 0; i < 25; ++i) c.random_write();
        c.verify();
      }
    }
  }
}

TEST_CASE("content: REPLACE INTO docs with a NULL vector takes the row out of the index", "[content]") {
  for (bool recursive : {false, true}) {
    Content c(false, 31, 20);
    if (recursive) c.db.exec("PRAGMA recursive_triggers = ON");
    int64_t id = c.db.integer("SELECT min(id) FROM docs WHERE embedding IS NOT NULL");
    c.db.exec("REPLACE INTO docs VALUES (?1, 'x', NULL, 'en')", {Value::integer(id)});
    CHECK(c.db.integer("SELECT count(*) FROM idx WHERE rowid = ?1", {Value::integer(id)}) == 0);
    c.db.exec("REPLACE INTO docs VALUES (?1, 'x', vector('[1, 2, 3, 4]'), 'de')", {Value::integer(id)});
    CHECK(c.db.text("SELECT vector_to_json(embedding) || lang FROM idx WHERE rowid = ?1", {Value::integer(id)}) ==
          "[1,2,3,4]de");
    c.verify();
  }
}

TEST_CASE("content: rows a REPLACE deletes for another UNIQUE column leave the index with recursive_triggers only",
          "[content]") {
  for (bool recursive : {false, true}) {
    Content c(false, 33, 20);
    if (recursive) c.db.exec("PRAGMA recursive_triggers = ON");
    Rows two = c.db.query("SELECT id, title FROM docs WHERE embedding IS NOT NULL ORDER BY id LIMIT 2");
    // Row two[1] takes row two[0]'s title: SQLite deletes row two[0], firing
    // DELETE triggers only under recursive_triggers (as it does for FTS5's).
    c.db.exec("REPLACE INTO docs VALUES (?1, ?2, vector('[1, 2, 3, 4]'), 'en')", {two[1][0], two[0][1]});
    if (recursive) {
      c.verify();
    } else {
      CHECK(c.db.error("INSERT INTO idx(idx) VALUES ('integrity-check')") ==
            "quiver: corrupt index: idx is out of sync with its content table docs: 1 row in the index that docs "
            "lacks or has with a NULL vector (rowid " + std::to_string(two[0][0].i) + "); 'rebuild' reads docs again");
      c.db.exec("INSERT INTO idx(idx) VALUES ('rebuild')");
      c.verify();
    }
  }
}

TEST_CASE("content: ROLLBACK and ROLLBACK TO a savepoint undo the index with docs", "[content]") {
  for (bool ivf : {false, true}) {
    INFO(index_name(ivf));
    Content c(ivf, 41, 200);
    Rows before = c.snapshot();
    c.db.exec("BEGIN");
    for (int i = 0; i < 40; ++i) c.random_write();
    c.verify();  // the transaction sees its own writes
    c.db.exec("ROLLBACK");
    REQUIRE(c.snapshot() == before);
    c.verify();

    c.db.exec("BEGIN");
    for (int i = 0; i < 20; ++i) c.random_write();
    Rows at_savepoint = c.snapshot();
    c.db.exec("SAVEPOINT s");
    for (int i = 0; i < 20; ++i) c.random_write();
    c.db.exec("SAVEPOINT inner_s");
    for (int i = 0; i < 5; ++i) c.random_write();
    c.db.exec("RELEASE inner_s");
    c.db.exec("ROLLBACK TO s");
    REQUIRE(c.snapshot() == at_savepoint);
    c.verify();
    for (int i = 0; i < 20; ++i) c.random_write();
    c.db.exec("RELEASE s");
    c.db.exec("COMMIT");
    c.verify();
  }
}

TEST_CASE("content: a statement failing midway changes neither docs nor the index", "[content]") {
  for (bool ivf : {false, true}) {
    for (bool in_transaction : {false, true}) {
      INFO(index_name(ivf) << (in_transaction ? " in a transaction" : " autocommit"));
      Content c(ivf, 51, 200);
      if (in_transaction) c.db.exec("BEGIN");
      c.random_write();
      Rows before = c.snapshot();
      int64_t next = c.db.integer("SELECT max(id) + 1 FROM docs");
      // A bad vector in the third row of a multi-row INSERT: the trigger's
      // error, naming the row.
      std::string rows;
      for (int i = 0; i < 5; ++i)
        rows += std::string(i ? " UNION ALL " : "") + "SELECT " + std::to_string(next + i) + ", 'n" +
                std::to_string(i) + "', " + (i == 2 ? "vector('[1, 2, 3]')" : "vector('[1, 0, 0, " + std::to_string(i) + "]')") +
                ", 'en'";
      CHECK(c.db.error("INSERT INTO docs " + rows) ==
            "quiver: row " + std::to_string(next + 2) + " of docs: embedding: dimension mismatch: expected 4, got 3");
      REQUIRE(c.snapshot() == before);
      c.verify();
      // A constraint of docs itself (UNIQUE title) failing on the fourth row,
      // after the index took three.
      std::string dup = c.db.text("SELECT title FROM docs LIMIT 1");
      CHECK(c.db.error("WITH RECURSIVE n(value) AS (SELECT 0 UNION ALL SELECT value + 1 FROM n WHERE value < 5) "
                       "INSERT INTO docs SELECT value + ?1, CASE value WHEN 3 THEN ?2 ELSE 'm' || value END, "
                       "vector('[1, 1, 1, 1]'), 'de' FROM n",
                       {Value::integer(next), Value::text(dup)}) == "UNIQUE constraint failed: docs.title");
      REQUIRE(c.snapshot() == before);
      c.verify();
      // An UPDATE of every row whose vector turns bad at one of them.
      int64_t bad = c.db.integer("SELECT id FROM docs WHERE embedding IS NOT NULL ORDER BY id LIMIT 1 OFFSET 50");
      CHECK(c.db.error("UPDATE docs SET embedding = CASE id WHEN ?1 THEN x'00' ELSE vector('[2, 2, 2, 2]') END "
                       "WHERE embedding IS NOT NULL",
                       {Value::integer(bad)}) ==
            "quiver: row " + std::to_string(bad) +
                " of docs: embedding: blob of 1 bytes is not a float32 vector (length must be a multiple of 4)");
      REQUIRE(c.snapshot() == before);
      c.verify();
      if (in_transaction) c.db.exec("COMMIT");
      c.verify();
    }
  }
}

TEST_CASE("content: a bulk load through the triggers trains the IVF index at commit", "[content]") {
  Db db;
  db.exec("CREATE TABLE docs(id INTEGER PRIMARY KEY, embedding BLOB)");
  db.exec("CREATE VIRTUAL TABLE idx USING quiver(embedding float[4], content=docs, content_rowid=id, index=ivf, lists=8)");
  db.exec("BEGIN");
  db.exec("WITH RECURSIVE n(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM n WHERE value < 10000) "
          "INSERT INTO docs SELECT value, vector(json_array(value % 7, value % 11, value % 13, 1)) FROM n");
  CHECK(db.integer("SELECT max(cluster) FROM idx") == 0);  // not trained inside the transaction
  db.exec("COMMIT");
  CHECK(db.integer("SELECT count(DISTINCT cluster) FROM idx") == 8);
  CHECK(db.integer("SELECT count(*) FROM idx") == 10000);
  db.exec("INSERT INTO idx(idx) VALUES ('integrity-check')");
  // So does the CREATE that reads a large docs.
  db.exec("CREATE VIRTUAL TABLE idx2 USING quiver(embedding float[4], content=docs, index=ivf, lists=8)");
  CHECK(db.integer("SELECT count(DISTINCT cluster) FROM idx2") == 8);
  db.exec("INSERT INTO idx2(idx2) VALUES ('integrity-check')");
}

TEST_CASE("content: integrity-check catches docs changed behind the triggers, rebuild repairs it", "[content]") {
  for (bool ivf : {false, true}) {
    INFO(index_name(ivf));
    Content c(ivf, 61, 120);
    Rows with_vector = c.db.query("SELECT id FROM docs WHERE embedding IS NOT NULL ORDER BY id");
    Rows without = c.db.query("SELECT id FROM docs WHERE embedding IS NULL ORDER BY id");
    REQUIRE(with_vector.size() > 10);
    REQUIRE(!without.empty());
    int64_t a = with_vector[2][0].i, b = with_vector[5][0].i, d = with_vector[7][0].i, e = with_vector[9][0].i;
    c.db.exec("DROP TRIGGER idx_sync_delete");
    c.db.exec("DROP TRIGGER idx_sync_update");
    c.db.exec("DROP TRIGGER idx_sync_insert");
    c.db.exec("DELETE FROM docs WHERE id = ?1", {Value::integer(a)});                   // extra in the index
    c.db.exec("UPDATE docs SET embedding = vector('[9, 9, 9, 9]') WHERE id = ?1", {Value::integer(b)});  // differs
    c.db.exec("UPDATE docs SET embedding = NULL WHERE id = ?1", {Value::integer(d)});    // extra
    c.db.exec("INSERT INTO docs VALUES (1000, 'new', vector('[1, 1, 1, 1]'), 'en')");   // missing
    c.db.exec("UPDATE docs SET embedding = vector('[0, 0, 0, 1]') WHERE id = ?1", {Value::integer(without[0][0].i)});
    c.db.exec("UPDATE idx_rows SET c0 = 'xx' WHERE rowid = ?1", {Value::integer(e)});   // declared column differs
    std::string first_missing = std::to_string(std::min<int64_t>(1000, without[0][0].i));
    std::string second_missing = std::to_string(std::max<int64_t>(1000, without[0][0].i));
    CHECK(c.db.error("INSERT INTO idx(idx) VALUES ('integrity-check')") ==
          "quiver: corrupt index: idx is out of sync with its content table docs: 2 rows of docs missing from the "
          "index (rowid " + first_missing + ", " + second_missing + "), 2 rows in the index that docs lacks or has "
          "with a NULL vector (rowid " + std::to_string(a) + ", " + std::to_string(d) + "), 1 vector differing from "
          "docs (rowid " + std::to_string(b) + "), 1 row whose declared columns differ from docs (rowid " +
          std::to_string(e) + "); 'rebuild' reads docs again");
    c.db.exec("INSERT INTO idx(idx) VALUES ('rebuild')");
    c.verify();

    // A write into the index itself is caught the same way.
    c.db.exec("DELETE FROM idx WHERE rowid = ?1", {Value::integer(b)});
    CHECK(c.db.error("INSERT INTO idx(idx) VALUES ('integrity-check')") ==
          "quiver: corrupt index: idx is out of sync with its content table docs: 1 row of docs missing from the "
          "index (rowid " + std::to_string(b) + "); 'rebuild' reads docs again");
    c.db.exec("INSERT INTO idx(idx) VALUES ('rebuild')");
    c.verify();
  }
}

TEST_CASE("content: errors for the content table, its columns, content_rowid and bad vectors", "[content]") {
  Db db;
  db.exec("CREATE TABLE docs(id INTEGER PRIMARY KEY, title TEXT, embedding BLOB, lang TEXT)");
  db.exec("CREATE TABLE pairs(a INTEGER, b INTEGER, embedding BLOB, PRIMARY KEY (a, b))");
  db.exec("CREATE TABLE keyed(k INTEGER PRIMARY KEY, embedding BLOB) WITHOUT ROWID");
  db.exec("CREATE TABLE textkey(k TEXT PRIMARY KEY, embedding BLOB)");
  db.exec("CREATE VIEW docs_view AS SELECT * FROM docs");
  db.exec("CREATE VIRTUAL TABLE other USING quiver(embedding float[4])");
  auto create = [&](const std::string& args) {
    return db.error("CREATE VIRTUAL TABLE idx USING quiver(" + args + ")");
  };
  CHECK(create("embedding float[4], content=nodocs") ==
        "quiver: no content table \"nodocs\" in schema \"main\" (content= names an ordinary table in the index's "
        "own schema)");
  CHECK(create("embedding float[4], content=docs_view") ==
        "quiver: content table \"docs_view\" is a view (content= needs an ordinary table)");
  CHECK(create("embedding float[4], content=other") ==
        "quiver: content table \"other\" is a virtual table (content= needs an ordinary table)");
  CHECK(create("embedding float[4], content=other_rows") ==
        "quiver: content table \"other_rows\" is a shadow table (content= needs an ordinary table)");
  CHECK(create("embedding float[4], content=keyed") ==
        "quiver: content table \"keyed\" is WITHOUT ROWID (content= needs a rowid table)");
  CHECK(create("vec float[4], content=docs") == "quiver: content table \"docs\" has no column \"vec\"");
  CHECK(create("embedding float[4], lang text, +subject text, content=docs") ==
        "quiver: content table \"docs\" has no column \"subject\"");
  CHECK(create("embedding float[4], content=docs, content_rowid=ident") ==
        "quiver: content table \"docs\" has no column \"ident\"");
  CHECK(create("embedding float[4], content=docs, content_rowid=title") ==
        "quiver: content_rowid \"title\" is not the INTEGER PRIMARY KEY of \"docs\" (leave content_rowid out to use "
        "its rowid)");
  CHECK(create("embedding float[4], content=pairs, content_rowid=a") ==
        "quiver: content_rowid \"a\" is not the INTEGER PRIMARY KEY of \"pairs\" (leave content_rowid out to use its "
        "rowid)");
  CHECK(create("embedding float[4], content=textkey, content_rowid=k") ==
        "quiver: content_rowid \"k\" is not the INTEGER PRIMARY KEY of \"textkey\" (leave content_rowid out to use "
        "its rowid)");
  CHECK(create("embedding float[4], content=main.docs") ==
        "quiver: content takes a table name without a schema, got \"main.docs\" (the content table is the one in "
        "the index's own schema)");
  CHECK(create("embedding float[4], content=docs x") == "quiver: content must be a name, got \"docs x\"");
  CHECK(create("embedding float[4], content_rowid=id") ==
        "quiver: content_rowid applies to an index with content=... only");
  CHECK(db.integer("SELECT count(*) FROM sqlite_master WHERE name LIKE 'idx%'") == 0);

  // A bad vector already in docs fails the CREATE, naming the row, and
  // leaves nothing behind, in a transaction too.
  db.exec("INSERT INTO docs VALUES (1, 'a', vector('[1, 2, 3, 4]'), 'en'), (2, 'b', '[1, 2, oops]', 'en')");
  for (bool in_transaction : {false, true}) {
    if (in_transaction) db.exec("BEGIN");
    CHECK(create("embedding float[4], content='docs', content_rowid=\"id\"") ==
          "quiver: row 2 of docs: embedding: malformed JSON vector: expected a number at offset 7");
    if (in_transaction) db.exec("COMMIT");
    CHECK(db.integer("SELECT count(*) FROM sqlite_master WHERE name LIKE 'idx%'") == 0);
  }
  db.exec("UPDATE docs SET embedding = '[1, 2, 3, 5]' WHERE id = 2");  // JSON text is a vector too
  db.exec("CREATE VIRTUAL TABLE idx USING quiver(embedding float[4] distance=cosine, content=docs, content_rowid=id)");
  CHECK(db.text("SELECT vector_to_json(embedding) FROM idx WHERE rowid = 2") == "[1,2,3,5]");
  db.exec("INSERT INTO idx(idx) VALUES ('integrity-check')");
  CHECK(db.error("INSERT INTO docs VALUES (3, 'c', vector('[0, 0, 0, 0]'), 'en')") ==
        "quiver: row 3 of docs: embedding: a zero vector has no cosine distance");
  CHECK(db.error("INSERT INTO docs VALUES (3, 'c', vector_int8('[1, 2, 3, 4]'), 'en')") ==
        "quiver: row 3 of docs: embedding holds float32 vectors, got int8");
  CHECK(db.error("UPDATE docs SET embedding = 42 WHERE id = 1") ==
        "quiver: row 1 of docs: embedding: expected a vector (a BLOB or JSON array text), got integer");
  CHECK(db.integer("SELECT count(*) FROM docs") == 2);
  CHECK(db.text("SELECT vector_to_json(embedding) FROM docs WHERE id = 1") == "[1,2,3,4]");
  db.exec("INSERT INTO idx(idx) VALUES ('integrity-check')");
}

TEST_CASE("content: DROP TABLE drops the triggers, renames and attached schemas", "[content]") {
  Db db;
  db.exec("CREATE TABLE docs(embedding BLOB, lang TEXT)");  // rowid, no alias
  db.exec("INSERT INTO docs(rowid, embedding, lang) VALUES (5, vector('[1, 0]'), 'en')");
  db.exec("CREATE VIRTUAL TABLE idx USING quiver(embedding float[2], lang text, content=docs)");
  CHECK(db.integer("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'docs'") == 3);
  db.exec("UPDATE docs SET rowid = 7");
  CHECK(db.integer("SELECT rowid FROM idx") == 7);

  // Renaming the index: SQLite rewrites the triggers' bodies, which keep
  // their names; DROP TABLE still finds them.
  db.exec("ALTER TABLE idx RENAME TO idx2");
  db.exec("INSERT INTO docs(rowid, embedding, lang) VALUES (8, vector('[0, 1]'), 'de')");
  CHECK(db.integer("SELECT count(*) FROM idx2") == 2);
  db.exec("INSERT INTO idx2(idx2) VALUES ('integrity-check')");
  db.exec("DROP TABLE idx2");
  CHECK(db.integer("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'") == 0);
  db.exec("INSERT INTO docs(rowid, embedding, lang) VALUES (9, vector('[1, 1]'), 'fr')");  // no index to write

  // Renaming docs: the triggers follow it, but the index still names docs.
  db.exec("CREATE VIRTUAL TABLE idx USING quiver(embedding float[2], lang text, content=docs)");
  db.exec("ALTER TABLE docs RENAME TO docs2");
  db.exec("DELETE FROM docs2 WHERE rowid = 9");
  CHECK(db.integer("SELECT count(*) FROM idx") == 2);
  CHECK(db.error("INSERT INTO idx(idx) VALUES ('rebuild')") ==
        "quiver: no content table \"docs\" in schema \"main\" (content= names an ordinary table in the index's own "
        "schema)");
  // Dropping the content table drops the triggers; the index stays, and drops.
  db.exec("DROP TABLE docs2");
  CHECK(db.integer("SELECT count(*) FROM idx") == 2);
  db.exec("DROP TABLE idx");
  CHECK(db.integer("SELECT count(*) FROM sqlite_master") == 0);

  // An attached schema: the content table and its triggers are that schema's.
  db.exec("ATTACH ':memory:' AS aux");
  db.exec("CREATE TABLE aux.docs(id INTEGER PRIMARY KEY, embedding BLOB)");
  db.exec("CREATE TABLE main.docs(id INTEGER PRIMARY KEY, embedding BLOB)");
  db.exec("INSERT INTO aux.docs VALUES (1, vector('[1, 2]'))");
  db.exec("CREATE VIRTUAL TABLE aux.idx USING quiver(embedding float[2], content=docs, content_rowid=id)");
  db.exec("INSERT INTO aux.docs VALUES (2, vector('[2, 2]'))");
  db.exec("INSERT INTO main.docs VALUES (3, vector('[3, 2]'))");
  CHECK(db.query("SELECT rowid FROM aux.idx ORDER BY rowid") == Rows{{Value::integer(1)}, {Value::integer(2)}});
  CHECK(db.integer("SELECT count(*) FROM aux.sqlite_master WHERE type = 'trigger'") == 3);
  CHECK(db.error("CREATE VIRTUAL TABLE temp.tidx USING quiver(embedding float[2], content=docs)") ==
        "quiver: no content table \"docs\" in schema \"temp\" (content= names an ordinary table in the index's own "
        "schema)");
  db.exec("DROP TABLE aux.idx");
  CHECK(db.integer("SELECT count(*) FROM aux.sqlite_master WHERE type = 'trigger'") == 0);
}
