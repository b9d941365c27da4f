// Allocation failures in external content tables (ext/sql/content_sync.h):
// creating an index over docs, writing docs through the triggers, 'rebuild',
// 'integrity-check' and DROP, each run with its Nth allocation failing
// (fault_injection.h), on a fresh in-memory database built the same way each
// time. Whatever fails, a statement succeeds or fails with SQLITE_NOMEM, and
// nothing is half-written: the index holds exactly docs' rows with a vector
// and passes 'integrity-check', with its three triggers; or, if its CREATE
// failed or its DROP went through, neither it, its shadow tables nor a
// trigger is left.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "fault_injection.h"
#include "quiver.h"
#include "support/sql.h"

namespace {

using namespace quiver_test;
namespace fi = fault_injection;

struct Memory {
  Memory() {
    REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
    REQUIRE(quiver_register(db) == SQLITE_OK);
  }
  ~Memory() { sqlite3_close_v2(db); }
  void exec(const std::string& sql) {
    Result r = run(db, sql);
    INFO(sql << ": " << r.error);
    REQUIRE(r.ok());
  }
  sqlite3* db = nullptr;
};

const char* const kCreate =
    "CREATE VIRTUAL TABLE idx USING quiver(embedding float[4], lang text, content=docs, content_rowid=id, "
    "index=ivf, lists=2, train=manual)";

// The statements of each step, run in order; the steps before it set up.
const std::vector<std::vector<std::string>> kSteps = {
    {kCreate},
    {"BEGIN", "INSERT INTO docs VALUES (100, vector('[1, 2, 3, 4]'), 'en')",
     "UPDATE docs SET embedding = vector('[4, 3, 2, 1]') WHERE id = 2", "UPDATE docs SET id = 200 WHERE id = 3",
     "UPDATE docs SET embedding = NULL WHERE id = 4", "DELETE FROM docs WHERE id = 5",
     "REPLACE INTO docs VALUES (6, vector('[0, 1, 0, 1]'), 'de')", "COMMIT"},
    {"INSERT INTO idx(idx) VALUES ('rebuild')", "INSERT INTO idx(idx) VALUES ('integrity-check')"},
    {"DROP TABLE idx"},
};

void set_up(Memory& m, size_t step) {
  m.exec("CREATE TABLE docs(id INTEGER PRIMARY KEY, embedding BLOB, lang TEXT)");
  m.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30) "
         "INSERT INTO docs SELECT i, iif(i % 7 = 0, NULL, vector(json_array(i % 3, i % 5, 1, i % 4))), "
         "iif(i % 2, 'en', 'de') FROM n");
  for (size_t s = 0; s < step; ++s)
    for (const std::string& sql : kSteps[s]) m.exec(sql);
}

// One statement without rows, armed: the test's own copies are not counted.
Result run_armed(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
  }
  sqlite3_finalize(stmt);
  fi::Pause pause;
  Result out;
  if (rc != SQLITE_DONE && rc != SQLITE_OK) out.rc = rc, out.error = sqlite3_errmsg(db);
  return out;
}

// Runs the step with allocation `nth` failing; its allocation count.
uint64_t run_step(Memory& m, size_t step, uint64_t nth) {
  std::vector<Result> results;
  results.reserve(kSteps[step].size());
  fi::arm(nth, false);
  for (const std::string& sql : kSteps[step]) {
    Result r = run_armed(m.db, sql);
    fi::Pause pause;
    results.push_back(std::move(r));
  }
  fi::Report report = fi::disarm();
  for (size_t i = 0; i < results.size(); ++i) {
    INFO(kSteps[step][i] << ": " << results[i].error);
    CHECK((results[i].ok() || results[i].primary() == SQLITE_NOMEM ||
           // COMMIT after a failed statement that ended the transaction
           results[i].error == "cannot commit - no transaction is active"));
  }
  if (!sqlite3_get_autocommit(m.db)) m.exec("ROLLBACK");
  return report.allocations;
}

void verify(Memory& m) {
  Result tables = run(m.db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'idx%' AND type = 'table'");
  Result triggers = run(m.db, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger'");
  REQUIRE(tables.ok());
  REQUIRE(triggers.ok());
  if (tables.rows[0][0].i == 0) {
    CHECK(triggers.rows[0][0].i == 0);
    return;
  }
  CHECK(tables.rows[0][0].i == 6);  // the virtual table and its five shadow tables
  CHECK(triggers.rows[0][0].i == 3);
  Result want = run(m.db, "SELECT id, embedding, lang FROM docs WHERE embedding IS NOT NULL ORDER BY id");
  Result got = run(m.db, "SELECT rowid, embedding, lang FROM idx ORDER BY rowid");
  REQUIRE(want.ok());
  INFO(got.error);
  REQUIRE(got.ok());
  CHECK(got.rows == want.rows);
  Result check = run(m.db, "INSERT INTO idx(idx) VALUES ('integrity-check')");
  INFO(check.error);
  CHECK(check.ok());
}

}  // namespace

TEST_CASE("content tables with the Nth allocation failing are in sync with docs or absent", "[faults]") {
  uint64_t attempts = 0;
  for (size_t step = 0; step < kSteps.size(); ++step) {
    uint64_t total;
    {
      Memory m;
      set_up(m, step);
      total = run_step(m, step, UINT64_MAX);
      verify(m);
    }
    uint64_t stride = total > 400 ? total / 200 : 1;
    for (uint64_t nth = 1; nth <= total; nth += stride) {
      INFO("step " << step << " (" << kSteps[step][0] << "), allocation " << nth << " of " << total << " failing");
      Memory m;
      set_up(m, step);
      run_step(m, step, nth);
      verify(m);
      ++attempts;
    }
  }
  CHECK(attempts > 100);
}
