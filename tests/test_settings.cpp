// quiver_config (ext/sql/settings.h): the connection's threads setting, its
// errors, and that 'rebuild' and training at commit give the same index at
// two threads as at one: the same centroids, every row in the same list, the
// same answers.
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "support/db.h"

namespace {

using quiver_test::Db;
using quiver_test::Rows;
using quiver_test::Value;

std::string random_json(std::mt19937& rng, int dims) {
  std::normal_distribution<float> normal;
  std::string s = "[";
  for (int i = 0; i < dims; ++i) s += (i ? "," : "") + std::to_string(normal(rng));
  return s + "]";
}

// The same rows into `table` of a connection whose threads setting is
// `threads`; the index trained by 'rebuild'.
void load(const Db& db, const std::string& table, int threads, const std::string& metric) {
  REQUIRE(db.integer("SELECT quiver_config('threads', " + std::to_string(threads) + ")") == threads);
  db.exec("CREATE VIRTUAL TABLE " + table + " USING quiver(v float[24] distance=" + metric +
          ", index=ivf, lists=40, train=manual)");
  std::mt19937 rng(7);
  db.exec("BEGIN");
  for (int i = 1; i <= 3000; ++i)
    db.exec("INSERT INTO " + table + "(rowid, v) VALUES (?1, ?2)", {Value::integer(i), Value::text(random_json(rng, 24))});
  db.exec("COMMIT");
  db.exec("INSERT INTO " + table + "(" + table + ") VALUES ('rebuild')");
}

}  // namespace

TEST_CASE("quiver_config reads and sets the connection's threads", "[settings]") {
  Db db;
  REQUIRE(db.integer("SELECT quiver_config('threads')") == 1);
  REQUIRE(db.integer("SELECT quiver_config('threads', 2)") == 2);
  REQUIRE(db.integer("SELECT quiver_config('threads')") == 2);
  REQUIRE(db.integer("SELECT quiver_config('threads', 3.0)") == 3);
  // Another connection has its own setting.
  Db other;
  REQUIRE(other.integer("SELECT quiver_config('threads')") == 1);
  const std::string range = "quiver_config: threads must be an integer from 1 to 256, got ";
  REQUIRE(db.error("SELECT quiver_config('threads', 0)") == range + "0");
  REQUIRE(db.error("SELECT quiver_config('threads', 257)") == range + "257");
  REQUIRE(db.error("SELECT quiver_config('threads', 1.5)") == range + "1.5");
  REQUIRE(db.error("SELECT quiver_config('threads', NULL)") == range + "NULL");
  REQUIRE(db.error("SELECT quiver_config('cache')") == "quiver_config: unknown setting \"cache\" (expected 'threads')");
  REQUIRE(db.error("SELECT quiver_config(1)") == "quiver_config: the setting must be named by text");
  // A refused value leaves the setting as it was.
  REQUIRE(db.integer("SELECT quiver_config('threads')") == 3);
  // A setting of the connection: not callable from a view or a trigger.
  db.exec("CREATE VIEW settings AS SELECT quiver_config('threads') AS threads");
  REQUIRE(db.error("SELECT * FROM settings") == "unsafe use of quiver_config()");
}

TEST_CASE("rebuild at two threads trains the index one thread trains", "[settings][ivf]") {
  for (const char* metric : {"l2", "cosine", "dot"}) {
    INFO("distance=" << metric);
    Db db;
    load(db, "one", 1, metric);
    load(db, "two", 2, metric);
    REQUIRE(db.query("SELECT cluster, size, centroid FROM quiver_clusters('one')") ==
            db.query("SELECT cluster, size, centroid FROM quiver_clusters('two')"));
    REQUIRE(db.query("SELECT rowid, cluster FROM one ORDER BY rowid") ==
            db.query("SELECT rowid, cluster FROM two ORDER BY rowid"));
    std::mt19937 rng(99);
    for (int q = 0; q < 10; ++q) {
      Value query = Value::text(random_json(rng, 24));
      REQUIRE(db.query("SELECT rowid, distance FROM one WHERE v MATCH ?1 AND k = 10", {query}) ==
              db.query("SELECT rowid, distance FROM two WHERE v MATCH ?1 AND k = 10", {query}));
    }
  }
}
