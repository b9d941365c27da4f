// Huge sizes are refused with a message before memory is allocated for them,
// and the largest legal k costs memory for the rows it finds, not for k.
// Here because this executable sees every allocation (fault_injection.h):
// each check takes the largest single allocation made while one statement
// ran.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "fault_injection.h"
#include "quiver.h"
#include "support/sql.h"

namespace {

using namespace quiver_test;

// Far below what a vector of 65,537 float32 (256 KiB) or a k-sized heap
// (16,777,216 hits) would take.
constexpr size_t kSmall = 128 * 1024;

class Db {
 public:
  Db() {
    REQUIRE(sqlite3_open(":memory:", &db_) == SQLITE_OK);
    REQUIRE(quiver_register(db_) == SQLITE_OK);
    REQUIRE(run(db_, "CREATE VIRTUAL TABLE t USING quiver(embedding float[4])").ok());
    REQUIRE(run(db_, "INSERT INTO t(rowid, embedding) VALUES (1, '[1, 0, 0, 0]'), (2, '[0, 1, 0, 0]'), "
                     "(3, '[0, 0, 1, 0]')")
                .ok());
  }
  ~Db() { sqlite3_close(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs sql; its result, and the largest allocation made meanwhile.
  Result measure(const std::string& sql, const std::vector<Value>& params, size_t* largest) const {
    fault_injection::take_largest_allocation();
    Result r = run(db_, sql, params);
    *largest = fault_injection::take_largest_allocation();
    return r;
  }
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// A JSON array of n zeros.
std::string zeros(size_t n) {
  std::string s = "[0";
  for (size_t i = 1; i < n; ++i) s += ",0";
  return s + "]";
}

}  // namespace

TEST_CASE("k and probes beyond their maximum are refused, and the largest k costs memory for the rows only",
          "[limits]") {
  Db db;
  const std::string knn = "SELECT rowid FROM t WHERE embedding MATCH '[1, 1, 0, 0]' AND ";
  size_t largest = 0;
  Result r = db.measure(knn + "k = 16777216", {}, &largest);
  REQUIRE(r.ok());
  CHECK(r.rows.size() == 3);
  CHECK(largest < kSmall);

  struct Case {
    std::string constraint;
    std::string message;
  };
  const Case cases[] = {
      {"k = 16777217", "quiver: k must be an integer from 1 to 16777216, got 16777217"},
      {"k = 9223372036854775807", "quiver: k must be an integer from 1 to 16777216, got 9223372036854775807"},
      {"k = 1e300", "quiver: k must be an integer from 1 to 16777216, got 1.0e+300"},
      {"probes = 2", "quiver: probes applies to index=ivf only"},  // t is flat
  };
  for (const Case& c : cases) {
    INFO(c.constraint);
    r = db.measure(knn + c.constraint, {}, &largest);
    CHECK(r.error == c.message);
    CHECK(largest < kSmall);
  }
  REQUIRE(run(db.get(), "CREATE VIRTUAL TABLE u USING quiver(embedding float[4], index=ivf)").ok());
  r = db.measure("SELECT rowid FROM u WHERE embedding MATCH '[1, 1, 0, 0]' AND k = 1 AND probes = 1000000000000", {},
                 &largest);
  CHECK(r.error == "quiver: probes must be an integer from 1 to 65536, got 1000000000000");
  CHECK(largest < kSmall);
  // The most rows SQLite can ask for, from the furthest offset: nothing to
  // allocate, nothing to overflow.
  for (const char* tail : {"ORDER BY distance LIMIT 9223372036854775807",
                           "ORDER BY distance LIMIT 9223372036854775807 OFFSET 9223372036854775807"}) {
    INFO(tail);
    r = db.measure("SELECT rowid FROM t WHERE embedding MATCH '[1, 1, 0, 0]' " + std::string(tail), {}, &largest);
    REQUIRE(r.ok());
    CHECK(r.rows.size() == (std::strstr(tail, "OFFSET") ? 0u : 3u));
    CHECK(largest < kSmall);
  }
}

TEST_CASE("dimensions beyond the maximum are refused before a vector of that size is allocated", "[limits]") {
  Db db;
  size_t largest = 0;
  struct Case {
    std::string sql;
    std::string message;
  };
  const Case declarations[] = {
      {"CREATE VIRTUAL TABLE big USING quiver(embedding float[65537])",
       "quiver: the dimension of embedding must be an integer from 1 to 65536, got \"65537\""},
      {"CREATE VIRTUAL TABLE big USING quiver(embedding bit[18446744073709551624])",
       "quiver: the dimension of embedding must be an integer from 1 to 65536, got \"18446744073709551624\""},
  };
  for (const Case& c : declarations) {
    INFO(c.sql);
    Result r = db.measure(c.sql, {}, &largest);
    CHECK(r.error == c.message);
    CHECK(largest < kSmall);
  }

  // JSON text of 65,537 numbers: refused while counting them. The text is
  // bound with SQLITE_STATIC and its terminator, so SQLite does not copy it
  // either.
  const std::string json = zeros(65537);
  const Case texts[] = {
      {"INSERT INTO t(rowid, embedding) VALUES (9, ?1)", "quiver: embedding: more than 65536 dimensions"},
      {"SELECT rowid FROM t WHERE embedding MATCH ?1 AND k = 1", "quiver: query vector: more than 65536 dimensions"},
      {"SELECT vector(?1)", "vector: more than 65536 dimensions"},
  };
  for (const Case& c : texts) {
    INFO(c.sql);
    sqlite3_stmt* stmt = nullptr;
    fault_injection::take_largest_allocation();
    REQUIRE(sqlite3_prepare_v2(db.get(), c.sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_bind_text(stmt, 1, json.c_str(), -1, SQLITE_STATIC) == SQLITE_OK);
    CHECK(sqlite3_step(stmt) == SQLITE_ERROR);
    CHECK(std::string(sqlite3_errmsg(db.get())) == c.message);
    sqlite3_finalize(stmt);
    CHECK(fault_injection::take_largest_allocation() < kSmall);
  }

  // A blob of 65,538 float32: refused by its length, without a copy.
  std::vector<unsigned char> blob(4 * 65538, 0);
  sqlite3_stmt* stmt = nullptr;
  fault_injection::take_largest_allocation();
  REQUIRE(sqlite3_prepare_v2(db.get(), "SELECT rowid FROM t WHERE embedding MATCH ?1 AND k = 1", -1, &stmt, nullptr) ==
          SQLITE_OK);
  REQUIRE(sqlite3_bind_blob(stmt, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC) == SQLITE_OK);
  CHECK(sqlite3_step(stmt) == SQLITE_ERROR);
  CHECK(std::string(sqlite3_errmsg(db.get())) == "quiver: query vector: 65538 dimensions exceed the maximum of 65536");
  sqlite3_finalize(stmt);
  CHECK(fault_injection::take_largest_allocation() < kSmall);
}
