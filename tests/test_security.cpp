// Hostile input that is not a vector (SQLite's rule: a name is data, never
// SQL text):
//   - table, column and schema names with quotes, brackets, spaces, ';',
//     '--', '%' and printf directives, through every statement, command and
//     table-valued function, defensive mode, rename and drop;
//   - a table stored in a format newer than this build, refused by the
//     commands and the table-valued functions with the format message.
// Huge sizes (dimensions, k, probes) are refused before memory is allocated
// for them: test_limits.cpp, which can watch the allocations.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "quiver.h"
#include "support/db.h"
#include "support/sql.h"
#include "support/temp_file.h"

namespace {

using quiver_test::Bytes;
using quiver_test::quote_id;
using quiver_test::Row;
using quiver_test::Rows;
using quiver_test::TempFile;
using quiver_test::Value;

class Db : public quiver_test::Db {
 public:
  using quiver_test::Db::Db;

  std::set<std::string> tables(const std::string& schema) const {
    std::set<std::string> names;
    for (const Row& r : query("SELECT name FROM " + quote_id(schema) + ".sqlite_schema WHERE type = 'table'"))
      names.insert(r[0].s);
    return names;
  }
};

Bytes vector4(std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Bytes b(16);
  for (int i = 0; i < 4; ++i) {
    float x = dist(rng);
    std::memcpy(b.data() + 4 * i, &x, 4);
  }
  return b;
}

std::set<std::string> shadow_set(const std::string& table) {
  std::set<std::string> names{table};
  for (const char* part : {"centroids", "chunks", "config", "rows", "vectors"}) names.insert(table + "_" + part);
  return names;
}

std::vector<int64_t> rowids(const Rows& rows) {
  std::vector<int64_t> out;
  for (const Row& r : rows) out.push_back(r[0].i);
  return out;
}

// Columns named to break whatever builds SQL from them by concatenation.
const std::string kVector = "ve\"c; --";
const std::string kTag = "t'a)g, (";
const std::string kNote = "%s%n [note]";

// The whole life of an IVF table called `name` in `schema`, renamed to
// `renamed` on the way.
void exercise(const Db& db, const std::string& schema, const std::string& name, const std::string& renamed) {
  const std::string s = quote_id(schema) + ".";
  const std::string t = s + quote_id(name);
  const std::string vec = quote_id(kVector), tag = quote_id(kTag), note = quote_id(kNote);
  db.query("CREATE VIRTUAL TABLE " + t + " USING quiver(" + vec + " float[4] distance=l2, " + tag + " text, +" +
           note + " text, index=ivf, lists=2)");
  REQUIRE(db.tables(schema) == shadow_set(name));

  std::mt19937 rng(7);
  for (int64_t id = 1; id <= 40; ++id)
    db.query("INSERT INTO " + t + "(rowid, " + vec + ", " + tag + ", " + note + ") VALUES (?1, ?2, ?3, ?4)",
             {Value::integer(id), Value::blob(vector4(rng)), Value::text(id % 2 ? "a'--" : "b"),
              Value::text("%s note " + std::to_string(id))});
  const Value q = Value::blob(vector4(rng));
  // KNN with a filter against the same rows ranked by the distance function.
  auto check_knn = [&](const std::string& table) {
    Rows got = db.query("SELECT rowid FROM " + table + " WHERE " + vec + " MATCH ?1 AND k = 5 AND probes = 2 AND " +
                            tag + " = 'a''--'",
                        {q});
    REQUIRE(got.size() == 5);
    CHECK(rowids(got) == rowids(db.query("SELECT rowid FROM " + table + " WHERE " + tag +
                                             " = 'a''--' ORDER BY l2_distance(" + vec + ", ?1), rowid LIMIT 5",
                                         {q})));
  };
  check_knn(t);

  // Commands go through the hidden column named after the table.
  auto command = [&](const std::string& table, const std::string& table_sql, const char* what) {
    db.query("INSERT INTO " + table_sql + "(" + quote_id(table) + ") VALUES ('" + what + "')");
  };
  command(name, t, "rebuild");
  CHECK(db.integer("SELECT count(DISTINCT cluster) FROM " + t) == 2);
  check_knn(t);
  db.query("UPDATE " + t + " SET " + vec + " = ?1, " + note + " = 'moved' WHERE rowid = 3", {q});
  db.query("DELETE FROM " + t + " WHERE rowid IN (4, 5)");
  command(name, t, "optimize");
  command(name, t, "integrity-check");
  check_knn(t);

  // The table-valued functions take the name as a value: "schema.table"
  // outside main.
  const Value ref = Value::text(schema == "main" ? name : schema + "." + name);
  CHECK(db.integer("SELECT rows FROM quiver_stats(?1)", {ref}) == 38);
  CHECK(db.integer("SELECT sum(size) FROM quiver_clusters(?1)", {ref}) == 38);
  CHECK(db.integer("SELECT count(*) FROM quiver_pairs(?1, 0.6, 2)", {ref}) ==
        db.integer("SELECT count(*) FROM " + t + " a, " + t + " b WHERE a.rowid < b.rowid AND l2_distance(a." + vec +
                   ", b." + vec + ") <= 0.6"));

  // Defensive mode finds the owner of each shadow table through its name.
  sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  for (const char* part : {"rows", "chunks", "config"}) {
    INFO(part);
    CHECK(db.error("DELETE FROM " + s + quote_id(name + "_" + part)).find("may not be modified") !=
          std::string::npos);
  }
  sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_DEFENSIVE, 0, nullptr);

  const std::string r = s + quote_id(renamed);
  db.query("ALTER TABLE " + t + " RENAME TO " + quote_id(renamed));
  REQUIRE(db.tables(schema) == shadow_set(renamed));
  command(renamed, r, "integrity-check");
  check_knn(r);
  const Value renamed_ref = Value::text(schema == "main" ? renamed : schema + "." + renamed);
  CHECK(db.integer("SELECT rows FROM quiver_stats(?1)", {renamed_ref}) == 38);
  db.error("SELECT rows FROM quiver_stats(?1)", {ref});
  db.query("DROP TABLE " + r);
  CHECK(db.tables(schema).empty());
}

const char* const kNames[] = {
    "we\"ird tab;le", "[x] y", "100% %s%n%w%q", "it's -- not; DROP TABLE x", "a_b_rows", "таблица ✓",
};

}  // namespace

TEST_CASE("hostile table and column names work through every statement, command and table function",
          "[security]") {
  for (const char* name : kNames) {
    DYNAMIC_SECTION(name) {
      Db db;
      exercise(db, "main", name, std::string(name) + " \"renamed'%");
    }
  }
}

TEST_CASE("hostile names work in an attached schema with a hostile name", "[security]") {
  Db db;
  const std::string schema = "au\"x'%s --";
  db.query("ATTACH ':memory:' AS " + quote_id(schema));
  exercise(db, schema, "we\"ird tab;le", "[x] y");
}

TEST_CASE("a table stored in a newer format is refused by commands and table functions", "[security]") {
  TempFile file("security");
  const std::string& path = file.path();
  {
    Db db(path);
    db.query("CREATE VIRTUAL TABLE t USING quiver(embedding float[2], index=ivf, lists=1)");
    db.query("INSERT INTO t(rowid, embedding) VALUES (1, '[1, 0]'), (2, '[0, 1]')");
    db.query("UPDATE t_config SET value = '2' WHERE key = 'format'");
  }
  const std::string message = "quiver: unsupported storage format 2 in table t (this build reads format 1)";
  Db db(path);
  for (const char* sql : {"INSERT INTO t(t) VALUES ('rebuild')", "INSERT INTO t(t) VALUES ('integrity-check')",
                          "INSERT INTO t(rowid, embedding) VALUES (3, '[1, 1]')", "SELECT * FROM quiver_stats('t')",
                          "SELECT * FROM quiver_clusters('t')", "SELECT * FROM quiver_pairs('t', 1)"}) {
    INFO(sql);
    CHECK(db.error(sql) == message);
  }
}
