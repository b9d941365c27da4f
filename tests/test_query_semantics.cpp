// Queries on a quiver table give the answers of the same queries on an
// ordinary SQLite table holding the same rows, with distances by brute force
// (the SQL distance functions): every operator on every column type and
// stored value type, collations, LIKE / GLOB / REGEXP, k under every filter
// form, OR plans, ORDER BY / LIMIT / OFFSET variants, and streams of every
// index kind read to the end. Run on Debian's SQLite and on a newer one
// (tests/run.sh --full), which passes LIMIT to virtual tables.
#include <catch2/catch.hpp>

#include <random>
#include <regex>
#include <string>
#include <vector>

#include "plan.h"
#include "support/db.h"

using namespace quiver_test;

namespace {

// REGEXP for the tests, as an application would register it.
void regexp_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const unsigned char* pattern = sqlite3_value_text(argv[0]);
  const unsigned char* text = sqlite3_value_text(argv[1]);
  if (!pattern || !text) return;
  try {
    std::regex re(reinterpret_cast<const char*>(pattern));
    sqlite3_result_int(ctx, std::regex_search(reinterpret_cast<const char*>(text), re) ? 1 : 0);
  } catch (const std::exception&) {
    sqlite3_result_error(ctx, "bad regular expression", -1);
  }
}

std::vector<int64_t> ids(const Rows& rows) {
  std::vector<int64_t> out;
  for (const Row& r : rows) out.push_back(r[0].i);
  return out;
}

// A quiver table `v` and an ordinary table `o` with the same rows: small
// integer vectors (exact distances, many ties) and metadata of every stored
// type, including values that affinity converts or keeps.
struct Pair {
  Db db{":memory:", 0, true, OnBindError::Ignore};
  std::string options;

  explicit Pair(const std::string& table_options, int rows, uint32_t seed) : options(table_options) {
    REQUIRE(sqlite3_create_function(db.handle(), "regexp", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                    regexp_function, nullptr, nullptr) == SQLITE_OK);
    db.exec("CREATE VIRTUAL TABLE v USING quiver(n integer, e float[4], r real, t text, +a integer, +b text" +
            options + ")");
    db.exec("CREATE TABLE o(id INTEGER PRIMARY KEY, n INTEGER, e BLOB, r REAL, t TEXT, a INTEGER, b TEXT)");
    std::mt19937 rng(seed);
    const char* values[] = {"NULL", "5", "'5'", "5.0", "'05'", "-2", "2.5", "'2.5'", "'a'", "'A'", "'b'",
                            "'T3'", "'t3'", "'T3 '", "'abc'", "x'35'", "x'61'", "'%'", "'_x'", "0"};
    const int nvalues = static_cast<int>(sizeof values / sizeof values[0]);
    auto pick = [&] { return std::string(values[rng() % nvalues]); };
    for (int id = 1; id <= rows; ++id) {
      std::string e = "'[";
      for (int d = 0; d < 4; ++d) e += (d ? "," : "") + std::to_string(static_cast<int>(rng() % 7) - 3);
      e += "]'";
      std::string row = std::to_string(id) + ", " + pick() + ", " + e + ", " + pick() + ", " + pick() + ", " +
                        pick() + ", " + pick();
      db.exec("INSERT INTO v(rowid, n, e, r, t, a, b) VALUES (" + row + ")");
      db.exec("INSERT INTO o(id, n, e, r, t, a, b) VALUES (" + row + ")");
    }
  }

  // The brute-force distance of o's row to the query ?1.
  static std::string distance() { return "l2_distance(vector(o.e), vector(?1))"; }
};

const std::vector<std::string>& operands() {
  static const std::vector<std::string> list = {"5", "'5'", "5.0", "'05'", "'a'", "'A'", "'T3'", "'t3 '",
                                                "NULL", "x'35'", "2.5", "'2.5'", "-1"};
  return list;
}

// Filters on one column: every comparison SQLite may offer the table, with
// and without collations, and the forms it keeps to itself.
std::vector<std::string> filters(const std::string& column) {
  std::vector<std::string> out;
  for (const std::string& x : operands()) {
    for (const char* op : {"=", "!=", "<", "<=", ">", ">=", "IS", "IS NOT"}) {
      out.push_back(column + " " + op + " " + x);
      out.push_back(column + " " + op + " " + x + " COLLATE NOCASE");
      if (std::string(op) == "=" || std::string(op) == "<") out.push_back(column + " " + op + " " + x + " COLLATE RTRIM");
    }
    out.push_back(column + " IN (" + x + ", 'b', 2.5)");
    out.push_back(column + " COLLATE NOCASE IN (" + x + ", 'B')");
    out.push_back(column + " NOT IN (" + x + ", 'b')");
    out.push_back(column + " BETWEEN " + x + " AND 'b'");
  }
  for (const char* pattern : {"'a'", "'A%'", "'T_'", "'%3%'", "'5'", "'\\%' ESCAPE '\\'", "NULL"}) {
    out.push_back(column + " LIKE " + pattern);
    out.push_back(column + " NOT LIKE " + pattern);
  }
  for (const char* pattern : {"'a'", "'T*'", "'[Tt]3'", "'5*'"}) out.push_back(column + " GLOB " + pattern);
  for (const char* pattern : {"'^T[0-9]$'", "'a'"}) out.push_back(column + " REGEXP " + pattern);
  out.push_back(column + " IS NULL");
  out.push_back(column + " IS NOT NULL");
  return out;
}

// Filters SQLite never offers a virtual table, each with the part of it
// that the search takes ("1": none). With k they apply to the k nearest rows
// afterwards (documented); the LIMIT form is always exact.
std::vector<std::pair<std::string, std::string>> kept_filters() {
  return {{"(t = 'a' OR n = 5)", "1"},
          {"(rowid = 3 OR t = 'b')", "1"},
          {"n % 2 = 0", "1"},
          {"t NOT IN ('a', 'b')", "1"},
          {"t NOT LIKE 'a'", "1"},
          {"abs(n) > 1", "1"},
          {"(n = 5 OR r > 1) AND t IS NOT NULL", "t IS NOT NULL"},
          {"t = 'a' COLLATE NOCASE AND (n = 5 OR n > 'a')", "t = 'a' COLLATE NOCASE"}};
}

// What of a filter the search takes: all of it, but for the forms SQLite
// keeps, and != / IS NOT, for which SQLite reports no collation (the search
// compares them with BINARY and SQLite again with the collation).
std::string inside_part(const std::string& f) {
  if (f.find(" NOT IN") != std::string::npos || f.find(" NOT LIKE") != std::string::npos) return "1";
  bool negated = f.find("!=") != std::string::npos || f.find(" IS NOT ") != std::string::npos;
  size_t collate = f.find(" COLLATE ");
  if (negated && collate != std::string::npos) return f.substr(0, collate);
  return f;
}

const std::string kQuery = "[1,0,-1,2]";

// Every filter: plain, with k (the k nearest among the rows that pass what
// the search takes, then SQLite's filter), and the LIMIT form (exact).
void check_filters(Pair& p, const std::vector<std::pair<std::string, std::string>>& list) {
  Value q = Value::text(kQuery);
  for (const auto& entry : list) {
    const std::string& f = entry.first;
    INFO("filter: " << f);
    Rows want = p.db.query("SELECT id, n, r, t, a, b FROM o WHERE " + f + " ORDER BY id");
    Rows got = p.db.query("SELECT rowid, n, r, t, a, b FROM v WHERE " + f + " ORDER BY rowid");
    REQUIRE(got == want);
    for (int k : {1, 7, 40}) {
      INFO("k = " << k);
      std::string nearest = "SELECT id FROM o WHERE " + f + " ORDER BY " + Pair::distance() + ", id LIMIT " +
                            std::to_string(k);
      std::string k_then_filter = "SELECT id FROM (SELECT o.*, id AS rowid, " + Pair::distance() +
                                  " AS d FROM o WHERE " + entry.second + " ORDER BY d, id LIMIT " +
                                  std::to_string(k) + ") o WHERE " + f + " ORDER BY d, id";
      std::vector<int64_t> want_k = ids(p.db.query(k_then_filter, {q}));
      std::vector<int64_t> got_k = ids(p.db.query(
          "SELECT rowid FROM v WHERE e MATCH ?1 AND k = " + std::to_string(k) + " AND " + f +
              " ORDER BY distance, rowid", {q}));
      REQUIRE(got_k == want_k);
      std::vector<int64_t> want_limit = ids(p.db.query(nearest, {q}));
      std::vector<int64_t> got_limit = ids(p.db.query(
          "SELECT rowid FROM v WHERE e MATCH ?1 AND " + f + " ORDER BY distance, rowid LIMIT " + std::to_string(k),
          {q}));
      REQUIRE(got_limit == want_limit);
    }
  }
}

}  // namespace

TEST_CASE("every column is declared with its type and stores values with its affinity", "[query][types]") {
  Pair p("", 60, 7);
  Rows info = p.db.query("SELECT name, type, hidden FROM pragma_table_xinfo('v') ORDER BY cid");
  Rows want = {{Value::text("n"), Value::text("INTEGER"), Value::integer(0)},
               {Value::text("e"), Value::text("BLOB"), Value::integer(0)},
               {Value::text("r"), Value::text("REAL"), Value::integer(0)},
               {Value::text("t"), Value::text("TEXT"), Value::integer(0)},
               {Value::text("a"), Value::text("INTEGER"), Value::integer(0)},
               {Value::text("b"), Value::text("TEXT"), Value::integer(0)},
               {Value::text("distance"), Value::text("REAL"), Value::integer(1)},
               {Value::text("k"), Value::text("INTEGER"), Value::integer(1)},
               {Value::text("probes"), Value::text("INTEGER"), Value::integer(1)},
               {Value::text("cluster"), Value::text("INTEGER"), Value::integer(1)},
               {Value::text("v"), Value::text(""), Value::integer(1)}};
  REQUIRE(info == want);
  // Stored values and their types, as the ordinary table has them.
  const char* columns = "n, typeof(n), r, typeof(r), t, typeof(t), a, typeof(a), b, typeof(b)";
  REQUIRE(p.db.query(std::string("SELECT rowid, ") + columns + " FROM v ORDER BY rowid") ==
          p.db.query(std::string("SELECT id, ") + columns + " FROM o ORDER BY id"));
  p.db.exec("UPDATE v SET n = '7', r = 3, t = 4, a = '8' WHERE rowid = 2");
  p.db.exec("UPDATE o SET n = '7', r = 3, t = 4, a = '8' WHERE id = 2");
  REQUIRE(p.db.query(std::string("SELECT ") + columns + " FROM v WHERE rowid = 2") ==
          Rows{{Value::integer(7), Value::text("integer"), Value::real(3), Value::text("real"), Value::text("4"),
                Value::text("text"), Value::integer(8), Value::text("integer"),
                p.db.query("SELECT b FROM o WHERE id = 2")[0][0],
                p.db.query("SELECT typeof(b) FROM o WHERE id = 2")[0][0]}});
  SECTION("a hamming table reports an integer distance type") {
    p.db.exec("CREATE VIRTUAL TABLE h USING quiver(e bit[8])");
    REQUIRE(p.db.text("SELECT type FROM pragma_table_xinfo('h') WHERE name = 'distance'") == "INTEGER");
  }
}

TEST_CASE("every operator on every column type and stored type answers as an ordinary table", "[query][filters]") {
  Pair p("", 120, 11);
  for (const char* column : {"n", "r", "t", "a", "b", "rowid"}) {
    INFO("column " << column);
    std::vector<std::pair<std::string, std::string>> list;
    // Auxiliary columns (a, b) are filtered by SQLite, after k.
    bool auxiliary = column[0] == 'a' || column[0] == 'b';
    for (const std::string& f : filters(column)) list.emplace_back(f, auxiliary ? "1" : inside_part(f));
    check_filters(p, list);
  }
}

TEST_CASE("filters SQLite keeps to itself apply after k, and the LIMIT form is exact", "[query][filters]") {
  Pair p("", 120, 13);
  check_filters(p, kept_filters());
  // The plan says how k combines with what it does not list.
  Rows plan = p.db.query("EXPLAIN QUERY PLAN SELECT rowid FROM v WHERE e MATCH '[0,0,0,0]' AND k = 3 AND n % 2 = 0");
  REQUIRE(plan.size() == 1);
  REQUIRE(plan[0][3].s ==
          "SCAN v VIRTUAL TABLE INDEX 75:Kq=--k=-- (k nearest first; conditions not listed here filter those k "
          "rows afterwards)");
}

TEST_CASE("filters apply inside the search on a trained IVF table too", "[query][filters][ivf-index]") {
  Pair p(", index=ivf, lists=4", 200, 17);
  p.db.exec("INSERT INTO v(v) VALUES ('rebuild')");
  // At probes = lists the index is exact.
  Value q = Value::text(kQuery);
  for (const std::string& f : {std::string("t = 'a' COLLATE NOCASE"), std::string("t LIKE 't%'"),
                               std::string("n IN ('5', 0)"), std::string("t GLOB '[Tt]3*'"),
                               std::string("r != '2.5'")}) {
    INFO("filter: " << f);
    std::vector<int64_t> want =
        ids(p.db.query("SELECT id FROM o WHERE " + f + " ORDER BY " + Pair::distance() + ", id LIMIT 10", {q}));
    REQUIRE(ids(p.db.query("SELECT rowid FROM v WHERE e MATCH ?1 AND k = 10 AND probes = 4 AND " + f +
                               " ORDER BY distance, rowid",
                           {q})) == want);
    // Any probes: never fewer rows than pass, while rows remain.
    REQUIRE(p.db.query("SELECT rowid FROM v WHERE e MATCH ?1 AND k = 10 AND probes = 1 AND " + f, {q}).size() ==
            want.size());
  }
}

TEST_CASE("OR plans over rowid and metadata give the ordinary table's answer", "[query][or]") {
  Pair p("", 80, 19);
  Value q = Value::text(kQuery);
  for (const std::string& f :
       {std::string("(rowid = 1 OR rowid = 3)"), std::string("(rowid = 2 OR rowid = 40 OR rowid = 77)"),
        std::string("(n = 5 OR n = -2)"), std::string("(t = 'a' OR t = 'b')"), std::string("(rowid = 5 OR n = 5)"),
        std::string("(t = 'a' OR rowid > 70)"), std::string("(rowid IN (1, 2) OR rowid = 9)")}) {
    INFO("filter: " << f);
    REQUIRE(ids(p.db.query("SELECT rowid FROM v WHERE " + f + " ORDER BY rowid")) ==
            ids(p.db.query("SELECT id FROM o WHERE " + f + " ORDER BY id")));
    std::vector<int64_t> nearest =
        ids(p.db.query("SELECT id FROM o WHERE " + f + " ORDER BY " + Pair::distance() + ", id LIMIT 3", {q}));
    REQUIRE(ids(p.db.query("SELECT rowid FROM v WHERE e MATCH ?1 AND " + f + " ORDER BY distance, rowid LIMIT 3",
                           {q})) == nearest);
    // Whole-column ORs become IN, which the search takes; ORs across
    // columns filter the k nearest.
    std::vector<int64_t> got =
        ids(p.db.query("SELECT rowid FROM v WHERE e MATCH ?1 AND k = 3 AND " + f + " ORDER BY distance, rowid", {q}));
    std::vector<int64_t> after = ids(p.db.query(
        "SELECT id FROM (SELECT o.*, id AS rowid, " + Pair::distance() + " AS d FROM o ORDER BY d, id LIMIT 3) o WHERE " + f +
            " ORDER BY d, id",
        {q}));
    // SQLite makes an IN of an OR of equalities on one column only.
    bool across = f.find("rowid IN") != std::string::npos;
    for (const char* other : {"n =", "t ="}) across = across || (f.find(other) != std::string::npos && f.find("rowid") != std::string::npos);
    REQUIRE(got == (across ? after : nearest));
  }
}

TEST_CASE("ORDER BY, LIMIT and OFFSET of every kind give the ordinary table's rows", "[query][order]") {
  Pair p("", 50, 23);
  Value q = Value::text(kQuery);
  std::string d = Pair::distance();
  struct Case {
    std::string quiver, ordinary;
  };
  std::vector<Case> cases = {
      {"SELECT rowid FROM v WHERE e MATCH ?1 ORDER BY distance DESC, rowid DESC LIMIT 3",
       "SELECT id FROM o ORDER BY " + d + " DESC, id DESC LIMIT 3"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 ORDER BY rowid LIMIT 3", "SELECT id FROM o ORDER BY id LIMIT 3"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 ORDER BY rowid DESC LIMIT 3 OFFSET 1",
       "SELECT id FROM o ORDER BY id DESC LIMIT 3 OFFSET 1"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 ORDER BY n, rowid LIMIT 3", "SELECT id FROM o ORDER BY n, id LIMIT 3"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 AND distance < 3 ORDER BY n, rowid LIMIT 2",
       "SELECT id FROM o WHERE " + d + " < 3 ORDER BY n, id LIMIT 2"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 ORDER BY distance, rowid LIMIT 4 OFFSET 3",
       "SELECT id FROM o ORDER BY " + d + ", id LIMIT 4 OFFSET 3"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 ORDER BY distance, rowid LIMIT 0", "SELECT id FROM o LIMIT 0"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 ORDER BY distance, rowid LIMIT -1 OFFSET 45",
       "SELECT id FROM o ORDER BY " + d + ", id LIMIT -1 OFFSET 45"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 AND k = 10 ORDER BY rowid LIMIT 2",
       "SELECT id FROM (SELECT id FROM o ORDER BY " + d + ", id LIMIT 10) ORDER BY id LIMIT 2"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 AND k = 10 ORDER BY distance DESC, rowid DESC LIMIT 3",
       "SELECT id FROM (SELECT id, " + d + " AS x FROM o ORDER BY x, id LIMIT 10) ORDER BY x DESC, id DESC LIMIT 3"},
      {"SELECT rowid FROM (SELECT rowid, distance FROM v WHERE e MATCH ?1 AND k = 1000) "
       "ORDER BY distance DESC, rowid DESC LIMIT 3",
       "SELECT id FROM o ORDER BY " + d + " DESC, id DESC LIMIT 3"},
      {"SELECT rowid FROM (SELECT rowid, distance FROM v WHERE e MATCH ?1 AND k = 5 ORDER BY distance, rowid) "
       "LIMIT 2 OFFSET 1",
       "SELECT id FROM o ORDER BY " + d + ", id LIMIT 2 OFFSET 1"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 AND k = 20 ORDER BY distance, rowid LIMIT 5",
       "SELECT id FROM o ORDER BY " + d + ", id LIMIT 5"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 AND k = 3 ORDER BY distance, rowid LIMIT 5",
       "SELECT id FROM o ORDER BY " + d + ", id LIMIT 3"},
      {"SELECT count(*) FROM (SELECT rowid FROM v WHERE e MATCH ?1 LIMIT 7)", "SELECT 7"},
      {"SELECT rowid FROM v WHERE e MATCH ?1 AND t IS NOT NULL ORDER BY t, rowid DESC LIMIT 4",
       "SELECT id FROM o WHERE t IS NOT NULL ORDER BY t, id DESC LIMIT 4"},
  };
  for (const Case& c : cases) {
    INFO("sql: " << c.quiver);
    REQUIRE(p.db.query(c.quiver, {q}) == p.db.query(c.ordinary, {q}));
  }
}

TEST_CASE("streams of every index kind read to the end are every row once in distance order", "[query][stream]") {
  for (const char* options : {"", ", index=ivf, lists=8", ", index=ivf, lists=8, probes=1"}) {
    for (bool trained : {false, true}) {
      INFO("options '" << options << "' trained " << trained);
      Pair p(options, 400, 29);
      if (trained) p.db.exec("INSERT INTO v(v) VALUES ('rebuild')");
      if (trained && *options) REQUIRE(p.db.integer("SELECT count(DISTINCT cluster) FROM v") > 1);
      Value q = Value::text(kQuery);
      for (const std::string& where :
           {std::string(""), std::string(" AND t = 'a'"), std::string(" AND distance < 4"),
            std::string(" AND distance <= 3 AND n IS NOT NULL"), std::string(" AND rowid > 100 AND probes = 1")}) {
        INFO("where" << where);
        if (!*options && where.find("probes") != std::string::npos) continue;  // probes: IVF tables only
        std::string filter = where;
        if (filter.find("probes") != std::string::npos) filter = " AND rowid > 100";
        size_t at = filter.find("distance");
        std::string o_filter = at == std::string::npos ? filter : filter.substr(0, at) + Pair::distance() + filter.substr(at + 8);
        std::vector<int64_t> want =
            ids(p.db.query("SELECT id FROM o WHERE 1" + o_filter + " ORDER BY " + Pair::distance() + ", id", {q}));
        // No ORDER BY: the order the table delivers.
        Rows got = p.db.query("SELECT rowid, distance FROM v WHERE e MATCH ?1" + where, {q});
        for (size_t i = 1; i < got.size(); ++i)
          REQUIRE((got[i - 1][1].d < got[i][1].d || (got[i - 1][1].d == got[i][1].d && got[i - 1][0].i < got[i][0].i)));
        bool range = where.find("distance") != std::string::npos;
        if (!range || !trained || !*options) {
          REQUIRE(ids(got) == want);
        } else {
          // A range through a trained index searches the probed lists: a
          // subset of the rows in range, in order.
          REQUIRE(got.size() <= want.size());
        }
      }
    }
  }
}

TEST_CASE("k, probes and distance bounds without MATCH are errors, and plans never fail a valid query",
          "[query][errors]") {
  Pair p("", 20, 31);
  REQUIRE(p.db.error("SELECT rowid FROM v WHERE k = 3") == "quiver: k needs a MATCH constraint on e");
  REQUIRE(p.db.error("SELECT rowid FROM v WHERE probes = 3") == "quiver: probes needs a MATCH constraint on e");
  REQUIRE(p.db.error("SELECT rowid FROM v WHERE distance < 3") ==
          "quiver: a distance bound needs a MATCH constraint on e");
  REQUIRE(p.db.error("SELECT rowid FROM v WHERE t = 'a' AND k = 3") == "quiver: k needs a MATCH constraint on e");
  const std::string misplaced =
      "quiver: use MATCH as \"e MATCH <query vector>\", joined to the other conditions by AND";
  REQUIRE(p.db.error("SELECT rowid FROM v WHERE '[1,0,0,0]' MATCH e AND k = 2") == misplaced);
  REQUIRE(p.db.error("SELECT rowid FROM v WHERE '[1,0,0,0]' MATCH e") == misplaced);
  REQUIRE(p.db.error("SELECT rowid FROM v WHERE t MATCH 'a'") == misplaced);
  // Two different k: SQLite folds k = 2 AND k = 3 to false, as on an
  // ordinary table; what it passes on is refused.
  REQUIRE(p.db.query("SELECT rowid FROM v WHERE e MATCH '[1,0,0,0]' AND k = 2 AND k = 3").empty());
  REQUIRE(p.db.error("SELECT rowid FROM v WHERE e MATCH '[1,0,0,0]' AND k = ?1 AND k = (SELECT ?2)",
                     {Value::integer(2), Value::integer(3)}) == "quiver: k is given twice (2 and 3)");
  // probes applies to IVF tables only (a flat table refuses any).
  Pair ivf(", index=ivf, lists=2", 20, 31);
  REQUIRE(ivf.db.error("SELECT rowid FROM v WHERE e MATCH '[1,0,0,0]' AND k = 2 AND probes = ?1 AND probes = (SELECT ?2)",
                       {Value::integer(2), Value::integer(3)}) == "quiver: probes is given twice (2 and 3)");
  REQUIRE(p.db.error("SELECT rowid FROM v WHERE e MATCH '[1,0,0,0]' AND k = 2 AND probes = 2") ==
          "quiver: probes applies to index=ivf only");
  // The same value twice is one constraint.
  REQUIRE(p.db.query("SELECT rowid FROM v WHERE e MATCH '[1,0,0,0]' AND k = ?1 AND k = ?1", {Value::integer(2)})
              .size() == 2);
  // The same query with k in a join, with MATCH depending on the outer row.
  p.db.exec("CREATE TABLE queries(q TEXT)");
  p.db.exec("INSERT INTO queries VALUES ('[1,0,0,0]'), ('[0,1,0,0]')");
  REQUIRE(p.db.query("SELECT queries.q, v.rowid FROM queries, v WHERE v.e MATCH queries.q AND v.k = 2 AND "
                     "(v.rowid = 1 OR v.rowid = 3 OR v.t = 'a')")
              .size() <= 4);
}

TEST_CASE("PRAGMA integrity_check runs the table's integrity check on SQLite 3.44+", "[query][integrity]") {
  Pair p(", index=ivf, lists=2", 40, 37);
  p.db.exec("INSERT INTO v(v) VALUES ('rebuild')");
  REQUIRE(p.db.text("PRAGMA integrity_check") == "ok");
  p.db.exec("UPDATE v_rows SET slot = slot + 1 WHERE rowid = 3");
  Rows report = p.db.query("PRAGMA integrity_check");
  if (sqlite3_libversion_number() < 3044000) {
    REQUIRE(report == Rows{{Value::text("ok")}});  // SQLite 3.40 does not ask virtual tables
    return;
  }
  REQUIRE(report.size() == 1);
  INFO(report[0][0].s);
  REQUIRE(report[0][0].s.rfind("quiver: corrupt index: ", 0) == 0);
  REQUIRE(report[0][0].s.find("(table main.v)") != std::string::npos);
}

TEST_CASE("plan strings carry collations and a note, and nothing malformed decodes", "[query][plan]") {
  quiver::Plan plan;
  plan.mode = quiver::PlanMode::Search;
  plan.args = {{quiver::ArgKind::Query, quiver::Op::Eq, -1, ""},
               {quiver::ArgKind::Metadata, quiver::Op::Eq, 3, "NOCASE"},
               {quiver::ArgKind::Metadata, quiver::Op::Like, 12, ""},
               {quiver::ArgKind::Rowid, quiver::Op::In, -1, "RTRIM"}};
  plan.note = "(a note)";
  std::string text = quiver::encode_plan(plan);
  REQUIRE(text == "Kq=--m=03(NOCASE)ml12ri--(RTRIM) (a note)");
  quiver::Plan back;
  REQUIRE(quiver::decode_plan(text.c_str(), &back).ok());
  REQUIRE(quiver::encode_plan(back) == text);
  REQUIRE(back.args[1].collation == "NOCASE");
  REQUIRE(back.args[2].op == quiver::Op::Like);
  for (const char* bad : {"", "X", "Kq=-", "Kq=--m=0", "Kq=--(NOCASE", "Kq=--m=01(", "Kq=--m=01()", "Kz=--",
                          "Km=--", "Kq<--", " Kq=--"})
    REQUIRE_FALSE(quiver::decode_plan(bad, &back).ok());
  REQUIRE_FALSE(quiver::plan_collation_ok("a b"));
  REQUIRE_FALSE(quiver::plan_collation_ok("x)"));
  REQUIRE(quiver::plan_collation_ok("my_collation"));
}
