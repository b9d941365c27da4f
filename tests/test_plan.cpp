// Query plans (ext/core/plan.h):
//   - the plan text: encode_plan and decode_plan round-trip every kind,
//     operator, column and collation, the header's example is pinned, and
//     decode_plan refuses anything encode_plan would not write;
//   - the planner's decisions for constraint sets, read back from EXPLAIN
//     QUERY PLAN and decoded: which mode, which conditions go into the
//     search (MATCH, k, probes, distance bounds, rowid and metadata filters
//     with their collations) and which stay SQLite's (auxiliary columns,
//     LIKE's range helpers), and when LIMIT and OFFSET reach the table
//     (SQLite 3.41+ passes them; then only with the order the search
//     delivers and no condition SQLite checks again).
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "plan.h"
#include "support/db.h"
#include "support/sql.h"

using namespace quiver;
using quiver_test::Db;
using quiver_test::Row;

namespace {

const ArgKind kKinds[] = {ArgKind::Query, ArgKind::K,        ArgKind::Probes, ArgKind::Limit,
                          ArgKind::Offset, ArgKind::Distance, ArgKind::Rowid,  ArgKind::Metadata};
const Op kOps[] = {Op::Eq, Op::Ne,    Op::Lt,     Op::Le,        Op::Gt, Op::Ge,   Op::Is,
                   Op::IsNot, Op::IsNull, Op::IsNotNull, Op::In, Op::Like, Op::Glob, Op::Regexp};

// The operators each kind may carry (plan.h).
bool allowed(ArgKind kind, Op op) {
  switch (kind) {
    case ArgKind::Distance: return op == Op::Lt || op == Op::Le;
    case ArgKind::Rowid:
    case ArgKind::Metadata: return true;
    default: return op == Op::Eq;
  }
}

std::string token(ArgKind kind, Op op, int column = -1, const std::string& collation = "") {
  std::string s{static_cast<char>(kind), static_cast<char>(op)};
  s += column < 0 ? std::string("--") : std::string{static_cast<char>('0' + column / 10), static_cast<char>('0' + column % 10)};
  if (!collation.empty()) s += "(" + collation + ")";
  return s;
}

bool same(const Plan& a, const Plan& b) {
  if (a.mode != b.mode || a.note != b.note || a.args.size() != b.args.size()) return false;
  for (size_t i = 0; i < a.args.size(); ++i)
    if (a.args[i].kind != b.args[i].kind || a.args[i].op != b.args[i].op || a.args[i].column != b.args[i].column ||
        a.args[i].collation != b.args[i].collation)
      return false;
  return true;
}

}  // namespace

TEST_CASE("plan text: the header's example, and every kind, operator and column round-trips", "[plan]") {
  Plan example;
  example.mode = PlanMode::Search;
  example.args = {{ArgKind::Query, Op::Eq, -1, ""}, {ArgKind::K, Op::Eq, -1, ""}, {ArgKind::Metadata, Op::Eq, 1, "NOCASE"}};
  CHECK(encode_plan(example) == "Kq=--k=--m=01(NOCASE)");
  example.note = "(a note for the reader)";
  CHECK(encode_plan(example) == "Kq=--k=--m=01(NOCASE) (a note for the reader)");
  Plan back;
  REQUIRE(decode_plan(encode_plan(example).c_str(), &back).ok());
  CHECK(same(back, example));

  for (PlanMode mode : {PlanMode::FullScan, PlanMode::Rowid, PlanMode::Search}) {
    Plan plan;
    plan.mode = mode;
    std::string want(1, static_cast<char>(mode));
    for (ArgKind kind : kKinds) {
      for (Op op : kOps) {
        if (!allowed(kind, op)) continue;
        int column = kind == ArgKind::Metadata ? static_cast<int>(plan.args.size() % 100) : -1;
        std::string collation = kind == ArgKind::Metadata && op == Op::Lt ? "RTRIM" : "";
        plan.args.push_back({kind, op, column, collation});
        want += token(kind, op, column, collation);
      }
    }
    plan.args.push_back({ArgKind::Metadata, Op::Ge, 99, "my_collation"});
    want += token(ArgKind::Metadata, Op::Ge, 99, "my_collation");
    INFO(want);
    CHECK(encode_plan(plan) == want);
    Plan decoded;
    REQUIRE(decode_plan(want.c_str(), &decoded).ok());
    CHECK(same(decoded, plan));
  }
  Plan empty;
  REQUIRE(decode_plan("F", &empty).ok());
  CHECK(empty.mode == PlanMode::FullScan);
  CHECK(empty.args.empty());
  CHECK(empty.note.empty());
}

TEST_CASE("plan text: decode_plan refuses what encode_plan never writes", "[plan]") {
  // Each kind with each operator it may not carry.
  for (ArgKind kind : kKinds) {
    for (Op op : kOps) {
      if (allowed(kind, op)) continue;
      std::string text = "K" + token(kind, op, kind == ArgKind::Metadata ? 0 : -1);
      INFO(text);
      Plan p;
      CHECK_FALSE(decode_plan(text.c_str(), &p).ok());
    }
  }
  for (const char* text : {"", " F", "X", "k", "Kq", "Kq=-", "Kq=-1", "Kq=01", "Km=--", "Km=1-", "Km=a1", "Kz=--",
                           "Kq=--(", "Km=01(", "Km=01()", "Km=01(a b)", "Kq=--k"}) {
    INFO("\"" << text << "\"");
    Plan p;
    Status s = decode_plan(text, &p);
    CHECK_FALSE(s.ok());
    CHECK(s.message() == "malformed plan");
  }
  Plan p;
  CHECK_FALSE(decode_plan(nullptr, &p).ok());
  // Collation names that could not travel in a token.
  CHECK(plan_collation_ok("NOCASE"));
  CHECK(plan_collation_ok("x-y.z"));
  for (const char* bad : {"", "a b", "a(b", "a)b"}) CHECK_FALSE(plan_collation_ok(bad));
  CHECK_FALSE(plan_collation_ok(std::string("a\0b", 3)));
  // Only != and IS NOT are left for SQLite to check again.
  for (Op op : kOps) CHECK(rechecked_by_sqlite(op) == (op == Op::Ne || op == Op::IsNot));
}

namespace {

// The plan SQLite chose for the quiver table in `sql`, decoded from EXPLAIN
// QUERY PLAN's "INDEX <n>:<plan>".
struct Chosen {
  Plan plan;
  std::vector<std::string> tokens;  // sorted, for comparison whatever SQLite's constraint order
};

Chosen chosen(const Db& db, const std::string& sql) {
  std::string detail;
  for (const Row& r : db.query("EXPLAIN QUERY PLAN " + sql)) {
    const std::string& d = r.back().s;
    if (d.find("VIRTUAL TABLE INDEX") != std::string::npos) detail = d;
  }
  INFO("sql: " << sql << "\nplan: " << detail);
  size_t colon = detail.find(':', detail.find("VIRTUAL TABLE INDEX"));
  REQUIRE(colon != std::string::npos);
  Chosen c;
  REQUIRE(decode_plan(detail.c_str() + colon + 1, &c.plan).ok());
  // The mode travels in idxNum too.
  int idx_num = std::stoi(detail.substr(detail.find("INDEX ") + 6));
  REQUIRE(idx_num == static_cast<int>(c.plan.mode));
  for (const PlanArg& a : c.plan.args) c.tokens.push_back(token(a.kind, a.op, a.column, a.collation));
  std::sort(c.tokens.begin(), c.tokens.end());
  return c;
}

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

const bool kLimitsReachTables = sqlite3_libversion_number() >= 3041000;

}  // namespace

TEST_CASE("planner: each constraint set gets the mode and the search arguments it should", "[plan][query]") {
  Db db;
  // Columns: product (metadata 0), embedding, created (1), +subject
  // (auxiliary 2, never in the scan).
  db.exec("CREATE VIRTUAL TABLE t USING quiver(product text, embedding float[3], created integer, +subject text, "
          "index=ivf)");
  const std::string q = "embedding MATCH '[1,2,3]'";
  struct Case {
    std::string where;
    PlanMode mode;
    std::vector<std::string> tokens;
  };
  const Case cases[] = {
      {q + " AND k = 5", PlanMode::Search, {"q=--", "k=--"}},
      {q + " AND k = 5 AND probes = 2", PlanMode::Search, {"q=--", "k=--", "p=--"}},
      {q + " AND distance < 0.5", PlanMode::Search, {"q=--", "d<--"}},
      {q + " AND distance <= 0.5 AND distance < 2", PlanMode::Search, {"q=--", "dL--", "d<--"}},
      {q + " AND k = 5 AND created > 3 AND product IN ('a', 'b')", PlanMode::Search, {"q=--", "k=--", "m>01", "mi00"}},
      {q + " AND k = 5 AND subject = 'x'", PlanMode::Search, {"q=--", "k=--"}},
      {q + " AND k = 5 AND rowid = 7", PlanMode::Search, {"q=--", "k=--", "r=--"}},
      {q + " AND k = 5 AND product = 'a' COLLATE NOCASE", PlanMode::Search, {"q=--", "k=--", "m=00(NOCASE)"}},
      {q + " AND k = 5 AND product IS NULL AND created IS NOT NULL", PlanMode::Search, {"q=--", "k=--", "mn00", "mN01"}},
      {q + " AND k = 5 AND product != 'a' AND created IS NOT 4", PlanMode::Search, {"q=--", "k=--", "m!00", "mS01"}},
      // LIKE and GLOB decide alone: not the range SQLite adds beside them.
      {q + " AND k = 5 AND product LIKE 'ab%'", PlanMode::Search, {"q=--", "k=--", "ml00"}},
      {q + " AND k = 5 AND product GLOB 'ab*'", PlanMode::Search, {"q=--", "k=--", "mg00"}},
      // A stream: MATCH alone.
      {q, PlanMode::Search, {"q=--"}},
      // k, probes or a bound without MATCH: a search plan without its
      // query, which xFilter reports.
      {"k = 5", PlanMode::Search, {"k=--"}},
      {"distance < 1 AND created = 3", PlanMode::Search, {"d<--"}},
      // No search.
      {"rowid = 3", PlanMode::Rowid, {"r=--"}},
      {"rowid IN (1, 2, 3)", PlanMode::Rowid, {"ri--"}},
      {"rowid > 3", PlanMode::FullScan, {"r>--"}},
      {"created = 3 AND product < 'm'", PlanMode::FullScan, {"m<00", "m=01"}},
      {"subject = 'x'", PlanMode::FullScan, {}},
      {"1", PlanMode::FullScan, {}},
  };
  for (const Case& c : cases) {
    std::string sql = "SELECT rowid FROM t WHERE " + c.where;
    INFO(sql);
    Chosen got = chosen(db, sql);
    CHECK(got.plan.mode == c.mode);
    CHECK(got.tokens == sorted(c.tokens));
  }
  // Only k gets the note about conditions that filter the k rows afterwards.
  CHECK(chosen(db, "SELECT rowid FROM t WHERE " + q + " AND k = 5").plan.note == "(k nearest first; conditions not listed here filter those k rows afterwards)");
  CHECK(chosen(db, "SELECT rowid FROM t WHERE " + q + " AND distance < 1").plan.note.empty());
  // The plans without MATCH are errors naming what lacks it.
  CHECK(db.error("SELECT rowid FROM t WHERE k = 5") == "quiver: k needs a MATCH constraint on embedding");
  CHECK(db.error("SELECT rowid FROM t WHERE distance < 1 AND created = 3") ==
        "quiver: a distance bound needs a MATCH constraint on embedding");
}

TEST_CASE("planner: LIMIT and OFFSET reach the search only with the order it delivers", "[plan][query]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(product text, embedding float[3])");
  const std::string q = "SELECT rowid FROM t WHERE embedding MATCH '[1,2,3]'";
  std::vector<std::string> limit = kLimitsReachTables ? std::vector<std::string>{"l=--"} : std::vector<std::string>{};
  std::vector<std::string> both =
      kLimitsReachTables ? std::vector<std::string>{"l=--", "o=--"} : std::vector<std::string>{};
  auto with = [](std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return sorted(a);
  };
  INFO("SQLite " << sqlite3_libversion());
  CHECK(chosen(db, q + " ORDER BY distance LIMIT 3").tokens == with({"q=--"}, limit));
  CHECK(chosen(db, q + " ORDER BY distance, rowid LIMIT 3 OFFSET 2").tokens == with({"q=--"}, both));
  CHECK(chosen(db, q + " LIMIT 3").tokens == with({"q=--"}, limit));
  // An order the search does not deliver: SQLite sorts, then cuts.
  CHECK(chosen(db, q + " ORDER BY distance DESC LIMIT 3").tokens == sorted({"q=--"}));
  CHECK(chosen(db, q + " ORDER BY product LIMIT 3").tokens == sorted({"q=--"}));
  CHECK(chosen(db, q + " ORDER BY rowid, distance LIMIT 3").tokens == sorted({"q=--"}));
  // A condition SQLite checks again could remove rows after the cut.
  CHECK(chosen(db, q + " AND product != 'a' ORDER BY distance LIMIT 3").tokens == sorted({"q=--", "m!00"}));
  // Without MATCH there is no search to shorten.
  CHECK(chosen(db, "SELECT rowid FROM t WHERE product = 'a' LIMIT 3").tokens == sorted({"m=00"}));
  // ORDER BY distance is the table's: no sort step.
  std::string all;
  for (const Row& r : db.query("EXPLAIN QUERY PLAN " + q + " ORDER BY distance LIMIT 3")) all += r.back().s + "\n";
  CHECK(all.find("USE TEMP B-TREE") == std::string::npos);
}
