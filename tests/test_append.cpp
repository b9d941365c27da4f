// Buffered appends (ext/core/append_buffer.h, written by the store at savepoints,
// reads and the commit) under transactions: savepoints rolled back and
// released, a statement that fails half-way, reads inside the transaction
// and a ROLLBACK leave a trained IVF table holding exactly what an ordinary
// table given the same statements holds, and 'integrity-check' passes.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>

#include "support/db.h"
#include "support/sql.h"

using quiver_test::Db;
using quiver_test::Value;

namespace {

std::string vector_json(int64_t id) {
  std::string s = "[";
  for (int t = 0; t < 4; ++t)
    s += (t ? "," : "") + std::to_string(std::sin(static_cast<double>(id * 4 + t) * 0.7) * 10);
  return s + "]";
}

// Rows [first, last] into both tables, in the current transaction.
void insert_rows(Db& db, int64_t first, int64_t last) {
  for (int64_t id = first; id <= last; ++id) {
    db.exec("INSERT INTO t(rowid, e, tag) VALUES (?1, ?2, ?1 % 7)", {Value::integer(id), Value::text(vector_json(id))});
    db.exec("INSERT INTO m(id, v) VALUES (?1, ?2)", {Value::integer(id), Value::text(vector_json(id))});
  }
}

void check_same(Db& db) {
  int64_t rows = db.query("SELECT count(*) FROM m")[0][0].i;
  CHECK(db.query("SELECT count(*) FROM t")[0][0].i == rows);
  CHECK(db.query("SELECT count(*) FROM t JOIN m ON m.id = t.rowid WHERE l2_distance(t.e, vector(m.v)) = 0 "
                 "AND t.tag = m.id % 7")[0][0].i == rows);
  // An exact search (every list probed) finds every row.
  CHECK(db.query("SELECT count(*) FROM t WHERE e MATCH ?1 AND k = 100000 AND probes = 8",
                 {Value::text(vector_json(1))})[0][0].i == rows);
  db.exec("INSERT INTO t(t) VALUES ('integrity-check')");
}

}  // namespace

TEST_CASE("append: savepoints, failed statements and rollbacks with buffered appends", "[vtab][append]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(e float[4], tag integer, index=ivf, lists=8, train=manual);"
          "CREATE TABLE m(id INTEGER PRIMARY KEY, v TEXT)");
  insert_rows(db, 1, 800);
  db.exec("INSERT INTO t(t) VALUES ('rebuild')");
  REQUIRE(db.query("SELECT lists FROM quiver_stats('t')")[0][0].i == 8);
  check_same(db);

  db.exec("BEGIN");
  insert_rows(db, 801, 1100);
  db.exec("SAVEPOINT a");
  insert_rows(db, 1101, 1400);
  // A read inside the transaction sees the buffered rows.
  CHECK(db.query("SELECT count(*) FROM t WHERE e MATCH ?1 AND k = 100000 AND probes = 8",
                 {Value::text(vector_json(3))})[0][0].i == 1400);
  insert_rows(db, 1401, 1500);
  db.exec("ROLLBACK TO a");
  insert_rows(db, 1501, 1550);
  db.exec("RELEASE a");
  db.exec("SAVEPOINT b");
  insert_rows(db, 1551, 1570);
  db.exec("ROLLBACK TO b");
  db.exec("RELEASE b");
  // A multi-row INSERT that fails on its last row: none of its rows stay.
  db.exec("CREATE TEMP TABLE src(id INTEGER PRIMARY KEY, v TEXT)");
  for (int64_t id = 1600; id < 1700; ++id)
    db.exec("INSERT INTO src VALUES (?1, ?2)", {Value::integer(id), Value::text(vector_json(id))});
  db.exec("INSERT INTO src VALUES (1700, '[1, 2, 3]')");
  auto failed = db.run("INSERT INTO t(rowid, e) SELECT id, v FROM src ORDER BY id");
  CHECK_FALSE(failed.ok());
  db.exec("COMMIT");
  check_same(db);
  CHECK(db.query("SELECT count(*) FROM t")[0][0].i == 1150);

  // A rolled-back transaction leaves nothing buffered behind.
  db.exec("BEGIN");
  insert_rows(db, 2001, 2300);
  db.exec("ROLLBACK");
  insert_rows(db, 2301, 2310);
  check_same(db);
  CHECK(db.query("SELECT count(*) FROM t")[0][0].i == 1160);
}
