// Allocation failures, SQLite's way: any allocation may fail, a failure
// surfaces as SQLITE_NOMEM, and it leaves nothing half-written.
//
// A workload on a flat and an IVF quiver table (create, inserts, training,
// KNN, range, filtered and streamed queries, quiver_pairs, updates, deletes,
// commands, rename, drop) runs step by step. Each step is first run without
// failures (the baseline: its answers and its allocation count A), then again
// for N = 1, 2, ... with the Nth allocation failing, where SQLite's allocator
// and C++ operator new count together (fault_injection.h). Every attempt
// starts from the same database file and a fresh connection, so allocations
// come in the same order up to the failure; each N runs twice, once on a cold
// connection (the step's first statement connects the tables) and once on a
// warm one (the tables were queried first, so blocks and centroids are
// cached).
//
// A step's writes run in one transaction. When a statement fails and the
// transaction is still open, the step goes on and commits, as an application
// would: the failed statement alone must be undone. After each attempt, with
// failures off and on the connection that saw the failure: every statement
// either succeeded (a query with the baseline's exact answer) or failed with
// SQLITE_NOMEM (or the error the statement is meant to give); the schema
// holds exactly the expected tables; a KNN query agrees with a brute force
// over the mirror; every table's rows equal the mirror of what committed;
// 'integrity-check' and PRAGMA integrity_check pass; the connection closes
// with nothing left open.
//
// By default every N up to kDense is tried, then a stride; QUIVER_FAULT_ALL=1
// tries every N (minutes instead of seconds).
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fault_injection.h"
#include "quiver.h"
#include "support/reference.h"
#include "support/sql.h"

namespace {

using namespace quiver_test;
namespace fi = fault_injection;

constexpr uint32_t kDims = 8;
constexpr int kLists = 4;
// Every N up to kDense, then about kSparse more spread over the rest.
constexpr uint64_t kDense = 80;
constexpr uint64_t kSparse = 40;

const char* const kShadowParts[] = {"centroids", "chunks", "config", "rows", "vectors"};

// ---- the mirror: what the tables hold after the statements that committed ----

struct MirrorRow {
  Bytes vector;
  Value tag, n, note;
};

struct MirrorTable {
  std::string metric;  // "cosine" or "l2"
  std::map<int64_t, MirrorRow> rows;
};

using Mirror = std::map<std::string, MirrorTable>;  // by table name

std::vector<float> floats(const Bytes& v) { return quiver_test::elements(quiver::ElementType::Float32, v.data(), kDims); }

double distance(const std::string& metric, const Bytes& a, const Bytes& b) {
  return quiver_test::reference_distance(quiver_test::metric_named(metric), floats(a), floats(b));
}

// ---- steps -----------------------------------------------------------------

struct Statement {
  std::string sql;
  std::vector<Value> params;
  std::function<void(Mirror&)> apply;  // a write's effect on the mirror; empty for a query
  std::string expected_error;          // set: the statement must fail with this message
  int expected_rc = SQLITE_OK;         // and this result code
};

// Writes run in one transaction; a query runs alone.
struct Step {
  std::string name;
  std::vector<Statement> statements;
  bool writes() const { return statements.front().apply != nullptr; }
};

class Workload {
 public:
  Workload() : rng_(20240611) {}

  Bytes vector() {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    Bytes b(4 * kDims);
    for (uint32_t i = 0; i < kDims; ++i) {
      float x = dist(rng_);
      std::memcpy(b.data() + 4 * i, &x, 4);
    }
    return b;
  }

  MirrorRow row() {
    ++made_;
    static const char* const tags[] = {"a", "b", nullptr};
    const char* tag = tags[made_ % 3];
    return MirrorRow{vector(), tag ? Value::text(tag) : Value::null(), Value::integer(made_ % 10),
                     Value::text("note " + std::to_string(made_))};
  }

  // INSERT [OR REPLACE] of one row; no rowid: the table picks max + 1.
  Statement insert(const std::string& table, std::optional<int64_t> rowid, bool replace = false) {
    MirrorRow r = row();
    return Statement{std::string(replace ? "INSERT OR REPLACE" : "INSERT") + " INTO " + quote_id(table) +
                         "(rowid, embedding, tag, n, note) VALUES (?1, ?2, ?3, ?4, ?5)",
                     {rowid ? Value::integer(*rowid) : Value::null(), Value::blob(r.vector), r.tag, r.n, r.note},
                     [table, rowid, r](Mirror& m) {
                       auto& rows = m.at(table).rows;
                       int64_t id = rowid ? *rowid : rows.empty() ? 1 : rows.rbegin()->first + 1;
                       rows[id] = r;
                     },
                     ""};
  }

  Statement query(const std::string& sql, std::vector<Value> params = {}, std::string expected_error = "",
                  int expected_rc = SQLITE_OK) {
    return Statement{sql, std::move(params), nullptr, std::move(expected_error), expected_rc};
  }

  std::vector<Step> steps() {
    const std::string f = "f", v = "v";
    Value q = Value::blob(vector());
    std::vector<Step> out;
    out.push_back({"create",
                   {{"CREATE VIRTUAL TABLE f USING quiver(embedding float[8] distance=cosine, tag text, "
                     "n integer, +note text)",
                     {}, [](Mirror& m) { m["f"] = MirrorTable{"cosine", {}}; }, ""},
                    {"CREATE VIRTUAL TABLE v USING quiver(embedding float[8], tag text, n integer, +note text, "
                     "index=ivf, lists=4, probes=2)",
                     {}, [](Mirror& m) { m["v"] = MirrorTable{"l2", {}}; }, ""}}});
    Step fill{"insert", {}};
    for (int64_t id = 1; id <= 20; ++id) {
      fill.statements.push_back(insert(f, id));
      fill.statements.push_back(insert(v, id));
    }
    fill.statements.push_back(insert(f, std::nullopt));
    fill.statements.push_back(insert(v, std::nullopt));
    out.push_back(fill);
    out.push_back({"rebuild", {{"INSERT INTO v(v) VALUES ('rebuild')", {}, [](Mirror&) {}, ""}}});
    out.push_back({"knn ivf", {query("SELECT rowid, distance FROM v WHERE embedding MATCH ?1 AND k = 5", {q})}});
    out.push_back({"knn flat", {query("SELECT rowid, distance, note FROM f WHERE embedding MATCH ?1 AND k = 5", {q})}});
    out.push_back({"range", {query("SELECT rowid, distance FROM f WHERE embedding MATCH ?1 AND distance < 0.7", {q})}});
    out.push_back({"filtered knn", {query("SELECT rowid, distance, note FROM v WHERE embedding MATCH ?1 AND k = 4 "
                                          "AND tag = 'a' AND n > 3",
                                          {q})}});
    out.push_back({"stream", {query("SELECT rowid, distance FROM v WHERE embedding MATCH ?1 "
                                    "ORDER BY distance LIMIT 6 OFFSET 2",
                                    {q})}});
    out.push_back({"pairs", {query("SELECT a, b, distance FROM quiver_pairs('v', 1.2) ORDER BY a, b")}});
    out.push_back({"clusters", {query("SELECT rowid, cluster, tag FROM v ORDER BY rowid")}});
    // Past twice the trained rows: one of these inserts retrains the index.
    Step more{"insert and retrain", {}};
    for (int64_t id = 22; id <= 46; ++id) more.statements.push_back(insert(v, id));
    out.push_back(more);
    Step update{"update", {}};
    for (int64_t id : {2, 9, 30}) {
      Bytes b = vector();
      update.statements.push_back({"UPDATE v SET embedding = ?2 WHERE rowid = ?1",
                                   {Value::integer(id), Value::blob(b)},
                                   [id, b](Mirror& m) {
                                     auto& rows = m.at("v").rows;
                                     if (rows.count(id)) rows[id].vector = b;
                                   },
                                   ""});
    }
    update.statements.push_back({"UPDATE f SET tag = 'b', note = 'changed' WHERE n < 6", {},
                                 [](Mirror& m) {
                                   for (auto& [id, r] : m.at("f").rows)
                                     if (r.n.i < 6) r.tag = Value::text("b"), r.note = Value::text("changed");
                                 },
                                 ""});
    update.statements.push_back({"UPDATE v SET rowid = 500 WHERE rowid = 3", {},
                                 [](Mirror& m) {
                                   auto& rows = m.at("v").rows;
                                   auto it = rows.find(3);
                                   if (it == rows.end()) return;
                                   rows[500] = it->second;
                                   rows.erase(3);
                                 },
                                 ""});
    update.statements.push_back(insert(v, 4, true));
    out.push_back(update);
    out.push_back({"delete",
                   {{"DELETE FROM v WHERE n % 3 = 0", {},
                     [](Mirror& m) {
                       auto& rows = m.at("v").rows;
                       for (auto it = rows.begin(); it != rows.end();) it = it->second.n.i % 3 == 0 ? rows.erase(it) : std::next(it);
                     },
                     ""},
                    {"DELETE FROM f WHERE rowid IN (2, 5, 7)", {},
                     [](Mirror& m) {
                       for (int64_t id : {2, 5, 7}) m.at("f").rows.erase(id);
                     },
                     ""}}});
    out.push_back({"insert and optimize",
                   {insert(v, 901),
                    {"INSERT INTO v(v) VALUES ('optimize')", {}, [](Mirror&) {}, ""},
                    {"INSERT INTO f(f) VALUES ('optimize')", {}, [](Mirror&) {}, ""}}});
    Step mixed{"errors in a transaction", {}};
    mixed.statements.push_back({"INSERT INTO v(rowid, embedding) VALUES (900, '[1, 2]')", {}, [](Mirror&) {},
                                "quiver: embedding: dimension mismatch: expected 8, got 2", SQLITE_ERROR});
    mixed.statements.push_back(insert(v, 902));
    mixed.statements.push_back({"INSERT INTO v(rowid, embedding) VALUES (901, ?1)", {q}, [](Mirror&) {},
                                "UNIQUE constraint failed: v.rowid", SQLITE_CONSTRAINT});
    out.push_back(mixed);
    out.push_back({"bad k", {query("SELECT rowid FROM v WHERE embedding MATCH ?1 AND k = 2.5", {q},
                                   "quiver: k must be an integer from 1 to 16777216, got 2.5", SQLITE_ERROR)}});
    out.push_back({"stats", {query("SELECT * FROM quiver_stats('v')")}});
    out.push_back({"rename", {{"ALTER TABLE f RENAME TO \"f 2\"", {},
                               [](Mirror& m) {
                                 m["f 2"] = m.at("f");
                                 m.erase("f");
                               },
                               ""}}});
    out.push_back({"knn renamed", {query("SELECT rowid, distance FROM \"f 2\" WHERE embedding MATCH ?1 AND k = 3", {q})}});
    out.push_back({"drop", {{"DROP TABLE \"f 2\"", {}, [](Mirror& m) { m.erase("f 2"); }, ""}}});
    return out;
  }

 private:
  std::mt19937 rng_;
  int64_t made_ = 0;
};

// ---- one attempt -------------------------------------------------------------

class Connection {
 public:
  explicit Connection(const std::string& path) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK);
    REQUIRE(quiver_register(db_) == SQLITE_OK);
    REQUIRE(run(db_, "PRAGMA synchronous = OFF").ok());  // no fsync: the failures are in memory
  }
  ~Connection() {
    if (db_) sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  sqlite3* get() const { return db_; }
  // Fails if a statement or blob handle was left open.
  void close() {
    int rc = sqlite3_close(db_);
    INFO(sqlite3_errmsg(db_));
    REQUIRE(rc == SQLITE_OK);
    db_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
};

// run() with the test's own copies of rows and messages kept out of the count.
Result run_armed(sqlite3* db, const std::string& sql, const std::vector<Value>& params) {
  Result out;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc == SQLITE_OK) rc = bind_values(stmt, params);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      fi::Pause pause;
      out.rows.push_back(read_row(stmt));
    }
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK) {
    fi::Pause pause;
    out.rc = rc;
    out.error = sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  return out;
}

struct Attempt {
  fi::Report fault;
  Result begin, commit;
  std::vector<Result> results;  // one per statement run
  bool committed = false;
};

// Runs the step with the nth allocation failing.
Attempt run_step(sqlite3* db, const Step& step, uint64_t nth, bool persistent) {
  Attempt a;
  a.results.reserve(step.statements.size());
  bool transaction = step.writes();
  fi::arm(nth, persistent);
  if (transaction) a.begin = run_armed(db, "BEGIN", {});
  if (a.begin.ok()) {
    for (const Statement& s : step.statements) {
      Result r = run_armed(db, s.sql, s.params);
      bool rolled_back = transaction && !r.ok() && sqlite3_get_autocommit(db);
      {
        fi::Pause pause;
        a.results.push_back(std::move(r));
      }
      if (rolled_back) break;
    }
    if (transaction && !sqlite3_get_autocommit(db)) {
      a.commit = run_armed(db, "COMMIT", {});
      a.committed = a.commit.ok();
    }
  }
  a.fault = fi::disarm();
  if (transaction && !sqlite3_get_autocommit(db)) REQUIRE(run(db, "ROLLBACK").ok());
  return a;
}

std::string describe(const Step& step, uint64_t nth, bool persistent, bool warm) {
  std::ostringstream o;
  o << "step \"" << step.name << "\", allocation " << nth << (persistent ? " and every later one" : "")
    << " failing, " << (warm ? "warm" : "cold") << " connection";
  return o.str();
}

// A failure is fine if it is SQLITE_NOMEM or the statement's own error.
// SQLite copies an error message into the connection as a benign
// allocation: when that fails the code stays and the message becomes the
// generic one for the code.
void check_failure(const Result& r, const std::string& what, const Statement* s = nullptr) {
  if (r.ok()) return;
  INFO(what << ": " << r.error << " (result code " << r.rc << ")");
  bool own = s && !s->expected_error.empty() && r.primary() == s->expected_rc &&
             (r.error == s->expected_error || r.error == sqlite3_errstr(s->expected_rc));
  CHECK((r.primary() == SQLITE_NOMEM || own));
}

// The checks on what the attempt reported; the mirror after it.
Mirror judge(const Step& step, const Attempt& a, const Attempt& baseline, const Mirror& before) {
  check_failure(a.begin, "BEGIN");
  check_failure(a.commit, "COMMIT");
  for (size_t i = 0; i < a.results.size(); ++i) {
    const Statement& s = step.statements[i];
    const Result& r = a.results[i];
    INFO("statement: " << s.sql);
    check_failure(r, "the statement", &s);
    if (!s.expected_error.empty()) {
      CHECK_FALSE(r.ok());
    } else if (r.ok() && !s.apply) {
      INFO("rows: " << show(r.rows) << "\nbaseline: " << show(baseline.results[i].rows));
      CHECK(r.rows == baseline.results[i].rows);
    }
  }
  if (!a.fault.hit) {
    // Nothing failed, so everything must have gone as in the baseline.
    CHECK(a.results.size() == step.statements.size());
    CHECK((!step.writes() || a.committed));
  }
  Mirror after = before;
  if (step.writes() && a.committed)
    for (size_t i = 0; i < a.results.size(); ++i)
      if (a.results[i].ok()) step.statements[i].apply(after);
  return after;
}

// The database as the connection sees it against the mirror.
void verify(sqlite3* db, const Mirror& mirror, const Bytes& probe) {
  std::set<std::string> expected_names;
  for (const auto& [name, table] : mirror) {
    expected_names.insert(name);
    for (const char* part : kShadowParts) expected_names.insert(name + "_" + part);
  }
  Result schema = run(db, "SELECT name FROM sqlite_schema WHERE type = 'table'");
  REQUIRE(schema.ok());
  std::set<std::string> names;
  for (const Row& r : schema.rows) names.insert(r[0].s);
  CHECK(names == expected_names);

  for (const auto& [name, table] : mirror) {
    INFO("table " << name);
    // First, while the connection's caches are as the attempt left them.
    // Every list of the IVF table v; f is flat, where probes is an error.
    std::string probes = name == "v" ? " AND probes = " + std::to_string(kLists) : "";
    Result knn = run(db, "SELECT rowid FROM " + quote_id(name) + " WHERE embedding MATCH ?1 AND k = 5" + probes,
                     {Value::blob(probe)});
    INFO(knn.error);
    REQUIRE(knn.ok());
    std::vector<quiver_test::ReferenceRow> candidates;
    for (const auto& [id, row] : table.rows) candidates.push_back({id, floats(row.vector)});
    std::vector<quiver_test::Neighbour> want =
        quiver_test::reference_nearest(quiver_test::metric_named(table.metric), floats(probe), candidates, 5);
    REQUIRE(knn.rows.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      auto it = table.rows.find(knn.rows[i][0].i);
      REQUIRE(it != table.rows.end());
      CHECK(std::fabs(distance(table.metric, probe, it->second.vector) - want[i].distance) < 1e-5);
    }

    Result rows = run(db, "SELECT rowid, embedding, tag, n, note FROM " + quote_id(name) + " ORDER BY rowid");
    REQUIRE(rows.ok());
    Rows expected;
    for (const auto& [id, r] : table.rows)
      expected.push_back({Value::integer(id), Value::blob(r.vector), r.tag, r.n, r.note});
    INFO("rows: " << show(rows.rows) << "\nmirror: " << show(expected));
    CHECK(rows.rows == expected);

    Result check = run(db, "INSERT INTO " + quote_id(name) + "(" + quote_id(name) + ") VALUES ('integrity-check')");
    INFO(check.error);
    CHECK(check.ok());
  }
  Result pragma = run(db, "PRAGMA integrity_check");
  REQUIRE(pragma.ok());
  CHECK(pragma.rows == Rows{{Value::text("ok")}});
}

// ---- files ---------------------------------------------------------------------

class DatabaseFile {
 public:
  explicit DatabaseFile(const std::string& tag) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/quiver_faults_" + tag + "_" + std::to_string(getpid()) + ".db";
    remove();
  }
  ~DatabaseFile() { remove(); }
  const std::string& path() const { return path_; }

  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  void restore(const std::string& bytes) const {
    remove();
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    REQUIRE(out.good());
  }

 private:
  void remove() const {
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) std::remove((path_ + suffix).c_str());
  }
  std::string path_;
};

std::vector<uint64_t> schedule(uint64_t allocations) {
  const char* all = std::getenv("QUIVER_FAULT_ALL");
  bool every = all && std::string(all) == "1";
  std::vector<uint64_t> out;
  uint64_t dense = every ? allocations : std::min(allocations, kDense);
  for (uint64_t n = 1; n <= dense; ++n) out.push_back(n);
  if (dense < allocations) {
    uint64_t stride = std::max<uint64_t>(1, (allocations - dense) / kSparse);
    for (uint64_t n = dense + stride / 2 + 1; n <= allocations; n += stride) out.push_back(n);
  }
  return out;
}

void warm_up(sqlite3* db, const Mirror& mirror, const Bytes& probe) {
  for (const auto& entry : mirror) {
    Result r = run(db, "SELECT rowid FROM " + quote_id(entry.first) + " WHERE embedding MATCH ?1 AND k = 3",
                   {Value::blob(probe)});
    REQUIRE(r.ok());
  }
}

void run_workload(bool persistent) {
  DatabaseFile file(persistent ? "persistent" : "transient");
  Workload workload;
  std::vector<Step> steps = workload.steps();
  const Bytes probe = workload.vector();
  Mirror mirror;
  std::string snapshot;  // the database before the current step
  uint64_t attempts = 0, failures = 0;
  for (const Step& step : steps) {
    Mirror after;
    std::string next_snapshot;
    for (bool warm : {false, true}) {
      // The baseline: no failure (armed for an allocation that never comes,
      // to count them); its answers and allocation count.
      file.restore(snapshot);
      Attempt baseline;
      {
        Connection c(file.path());
        if (warm) warm_up(c.get(), mirror, probe);
        baseline = run_step(c.get(), step, UINT64_MAX, persistent);
        REQUIRE_FALSE(baseline.fault.hit);
        INFO("baseline of step \"" << step.name << "\"");
        after = judge(step, baseline, baseline, mirror);
        for (size_t i = 0; i < baseline.results.size(); ++i) {
          INFO(step.statements[i].sql << ": " << baseline.results[i].error);
          CHECK(baseline.results[i].ok() == step.statements[i].expected_error.empty());
          CHECK(baseline.results[i].error == step.statements[i].expected_error);
        }
        verify(c.get(), after, probe);
        c.close();
      }
      next_snapshot = file.contents();
      const uint64_t total = baseline.fault.allocations;
      for (uint64_t nth : schedule(total)) {
        INFO(describe(step, nth, persistent, warm));
        file.restore(snapshot);
        Connection c(file.path());
        if (warm) warm_up(c.get(), mirror, probe);
        Attempt a = run_step(c.get(), step, nth, persistent);
        ++attempts;
        if (a.fault.hit) ++failures;
        Mirror now = judge(step, a, baseline, mirror);
        verify(c.get(), now, probe);
        c.close();
        if (!a.fault.hit) break;  // the step got through before the Nth allocation
      }
    }
    mirror = after;
    snapshot = next_snapshot;
  }
  std::printf("fault injection (%s): %llu attempts, %llu with a failed allocation\n",
              persistent ? "persistent" : "transient", static_cast<unsigned long long>(attempts),
              static_cast<unsigned long long>(failures));
  CHECK(failures > 0);
  CHECK(fi::sqlite_failures() > 0);
  CHECK(fi::cpp_failures() > 0);
}

}  // namespace

TEST_CASE("a workload with its Nth allocation failing leaves the tables as committed (one failure)", "[faults]") {
  run_workload(false);
}

TEST_CASE("a workload with every allocation from the Nth failing leaves the tables as committed", "[faults]") {
  run_workload(true);
}
