// quiver_pairs, the near-duplicates table function (README "Near-duplicates,
// topics and document vectors"), through real SQLite connections, on seeded
// synthetic data, against a double-precision all-pairs brute force by the
// shared reference: flat tables and trained IVF tables at probes = lists give
// exactly the brute-force pairs (float32 cosine / l2 / dot, int8 l2 / dot /
// cosine, bit hamming; random and clustered data), the bound is inclusive,
// distances agree with the scalar SQL functions; at fewer probes exactly the
// pairs whose lists are neighbours (by quiver_clusters' centroids), recall at
// the default probes, and more probes only ever add pairs; writes after
// training, LIMIT, joins back to the table, empty tables, TEMP and ATTACHed
// schemas, errors.
#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "quiver.h"
#include "support/db.h"
#include "support/mirror_table.h"
#include "support/sql.h"

namespace {

using namespace quiver_test;

// quiver_pairs(name, bound [, probes]) as a set; every row well-formed:
// integer a < b, each pair once, the reported distance within the bound.
PairSet pairs(const Db& db, const std::string& name, double bound, int64_t probes = 0) {
  std::vector<Value> params{Value::text(name), Value::real(bound)};
  if (probes > 0) params.push_back(Value::integer(probes));
  Rows rows = db.query(probes > 0 ? "SELECT a, b, distance FROM quiver_pairs(?1, ?2, ?3)"
                                  : "SELECT a, b, distance FROM quiver_pairs(?1, ?2)",
                       params);
  // Hamming distances (bit tables) are counts, INTEGER like hamming_distance().
  bool hamming = db.integer("SELECT count(*) FROM sqlite_master WHERE name = ?1 AND instr(lower(sql), ' bit[') > 0",
                            {Value::text(name)}) == 1;
  int distance_type = hamming ? SQLITE_INTEGER : SQLITE_FLOAT;
  PairSet out;
  for (const auto& r : rows) {
    bool ok = r[0].type == SQLITE_INTEGER && r[1].type == SQLITE_INTEGER && r[2].type == distance_type &&
              r[0].i < r[1].i && r[2].number() <= bound && out.emplace(PairKey{r[0].i, r[1].i}, r[2].number()).second;
    if (ok) continue;
    INFO("bad or repeated row " << quiver_test::show(r[0]) << " " << quiver_test::show(r[1]) << " "
                                << quiver_test::show(r[2]) << " at bound " << bound);
    FAIL();
  }
  return out;
}

std::string show_keys(const PairSet& only) {
  std::string s;
  size_t n = 0;
  for (const auto& p : only) {
    if (++n > 8) return s + " ...";
    s += " (" + std::to_string(p.first.first) + "," + std::to_string(p.first.second) + ")";
  }
  return s;
}

// got and want hold the same pairs (distances are compared elsewhere).
void require_same_pairs(const PairSet& got, const PairSet& want) {
  PairSet missing, extra;
  for (const auto& p : want)
    if (!got.count(p.first)) missing.insert(p);
  for (const auto& p : got)
    if (!want.count(p.first)) extra.insert(p);
  INFO("got " << got.size() << " pairs, want " << want.size() << "; missing:" << show_keys(missing)
              << "; extra:" << show_keys(extra));
  REQUIRE(missing.empty());
  REQUIRE(extra.empty());
}

PairSet at_most(const PairSet& s, double bound, bool inclusive = true) {
  PairSet out;
  for (const auto& p : s)
    if (p.second < bound || (inclusive && p.second == bound)) out.insert(p);
  return out;
}

// A bound near the q-quantile of the pair distances. Integer-valued metrics:
// a distance that pairs have exactly (the boundary case). Otherwise the middle
// of a gap between two pair distances, wide enough that float32 rounding
// cannot move a pair across it.
double pick_bound(std::vector<double> d, double q, bool integral) {
  REQUIRE(d.size() > 10);
  auto at = d.begin() + static_cast<std::ptrdiff_t>(q * static_cast<double>(d.size()));
  std::nth_element(d.begin(), at, d.end());
  double middle = *at;
  if (integral) return middle;
  // The distances around it, in order; the gap nearest the middle.
  double window = 0.2 * (1 + std::fabs(middle));
  std::vector<double> near;
  for (double x : d)
    if (std::fabs(x - middle) <= window) near.push_back(x);
  std::sort(near.begin(), near.end());
  const auto n = static_cast<std::ptrdiff_t>(near.size());
  const auto mid = std::lower_bound(near.begin(), near.end(), middle) - near.begin();
  for (std::ptrdiff_t off = 0; off < n; ++off)
    for (std::ptrdiff_t i : {mid + off, mid - off}) {
      if (i < 0 || i + 1 >= n) continue;
      double lo = near[static_cast<size_t>(i)], hi = near[static_cast<size_t>(i + 1)];
      if (hi - lo > 4e-5 * (1 + std::fabs(lo))) return (lo + hi) / 2;
    }
  FAIL("no gap between pair distances");
  return 0;
}

// Reported distances equal the scalar SQL function's (exactly for integer
// scores, within float32 rounding otherwise).
void require_sql_distances(const Db& db, const Table& t, double bound) {
  Rows rows = db.query("SELECT p.a, p.b, p.distance, " + t.layout().sql_distance("x.embedding", "y.embedding") +
                       " FROM quiver_pairs(?1, ?2, 65536) AS p JOIN " + t.name() + " AS x ON x.rowid = p.a JOIN " +
                       t.name() + " AS y ON y.rowid = p.b",
                       {Value::text(t.name()), Value::real(bound)});
  REQUIRE_FALSE(rows.empty());
  for (const auto& r : rows) {
    double sql = r[3].type == SQLITE_INTEGER ? static_cast<double>(r[3].i) : r[3].d;
    bool integral = t.layout().integral();
    // Hamming distances, counts, come back as integers like the function's.
    bool same_type = r[3].type == SQLITE_INTEGER ? r[2].type == r[3].type : r[2].type == SQLITE_FLOAT;
    double got = r[2].number();
    if (same_type && (integral ? got == sql : std::fabs(got - sql) <= 2e-5 * (1 + std::fabs(sql))))
      continue;
    INFO("pair " << r[0].i << ", " << r[1].i << ": " << quiver_test::show(r[2]) << " vs SQL "
                 << quiver_test::show(r[3]));
    FAIL();
  }
}

// The whole exactness check of one table whose search is exact at
// `probes` (0: the default): the brute-force set at a bound clear of
// rounding, reported distances against the brute force and the SQL
// functions, and the bound inclusive at a reported distance.
void require_exact_pairs(const Db& db, const Table& t, int64_t probes) {
  const Layout& layout = t.layout();
  std::vector<double> all = t.all_distances();
  double bound = pick_bound(all, 0.02, layout.integral());
  PairSet want = t.brute(bound);
  PairSet got = pairs(db, t.name(), bound, probes);
  require_same_pairs(got, want);
  REQUIRE(got.size() > 20);
  for (const auto& p : got) {
    double truth = want.at(p.first);
    if (layout.integral() ? p.second == truth : std::fabs(p.second - truth) <= 2e-5 * (1 + std::fabs(truth))) continue;
    INFO("pair " << p.first.first << ", " << p.first.second << ": " << p.second << ", brute force " << truth);
    FAIL();
  }
  // Integer scores: the bound is a pair distance, and those pairs are in.
  if (layout.integral()) REQUIRE(at_most(got, bound, false).size() < got.size());
  // A reported distance as the bound keeps its pair; just below it, drops it.
  std::vector<double> reported;
  for (const auto& p : got) reported.push_back(p.second);
  std::sort(reported.begin(), reported.end());
  double edge = reported[reported.size() / 2];
  PairSet at_edge = pairs(db, t.name(), edge, probes);
  require_same_pairs(at_edge, at_most(got, edge));
  require_same_pairs(pairs(db, t.name(), std::nextafter(edge, -HUGE_VAL), probes), at_most(got, edge, false));
}

const Layout kLayouts[] = {
    {Kind::F32, "cosine", 20}, {Kind::F32, "l2", 20}, {Kind::F32, "dot", 20},      {Kind::I8, "l2", 20},
    {Kind::I8, "dot", 20},     {Kind::I8, "cosine", 20}, {Kind::Bit, "hamming", 64},
};


// ---- quiver_pairs ----------------------------------------------------------------

TEST_CASE("pairs: flat tables give exactly the brute-force pairs, every type and metric", "[pairs]") {
  for (const Layout& layout : kLayouts)
    for (bool clustered : {false, true}) {
      INFO(describe(layout) << (clustered ? ", clustered" : ", random"));
      Db db;
      std::mt19937 rng(11 + static_cast<unsigned>(layout.kind) * 7 + (clustered ? 1 : 0));
      Source source = clustered ? Source::clustered(rng, layout.dims, 12, 0.4f) : Source::random(layout.dims);
      Table t(db, "t", layout);
      t.fill(rng, source, 5, 300, 3);  // rowids 5, 8, 11, ...: not positions
      require_exact_pairs(db, t, 0);
      require_sql_distances(db, t, pick_bound(t.all_distances(), 0.01, layout.integral()));
    }
}

TEST_CASE("pairs: trained IVF tables at probes = lists give exactly the brute-force pairs", "[pairs]") {
  for (const Layout& layout : kLayouts)
    for (bool clustered : {false, true}) {
      INFO(describe(layout) << (clustered ? ", clustered" : ", random"));
      Db db;
      std::mt19937 rng(23 + static_cast<unsigned>(layout.kind) * 7 + (clustered ? 1 : 0));
      Source source = clustered ? Source::clustered(rng, layout.dims, 12, 0.4f) : Source::random(layout.dims);
      Table t(db, "t", layout, "index=ivf, lists=8");
      t.fill(rng, source, 1, 400);
      t.rebuild();
      REQUIRE(db.integer("SELECT lists FROM quiver_stats('t')") == 8);
      require_exact_pairs(db, t, 8);
      // Probes past the number of lists are all of them.
      double bound = pick_bound(t.all_distances(), 0.02, layout.integral());
      require_same_pairs(pairs(db, "t", bound, 1000), pairs(db, "t", bound, 8));
    }
}

// For each centroid, the `count` nearest centroids (itself among them). The
// data must have no near-tie at the cut, where float32 could rank otherwise.
std::vector<std::set<int64_t>> nearest_lists(const std::vector<std::vector<double>>& centroids, size_t count) {
  std::vector<std::set<int64_t>> out;
  for (const auto& c : centroids) {
    std::vector<std::pair<double, int64_t>> ranked;
    for (size_t m = 0; m < centroids.size(); ++m) ranked.push_back({l2sq(c, centroids[m]), static_cast<int64_t>(m)});
    std::sort(ranked.begin(), ranked.end());
    if (count < ranked.size()) REQUIRE(ranked[count].first - ranked[count - 1].first > 1e-5 * (1 + ranked[count].first));
    std::set<int64_t> near;
    for (size_t i = 0; i < count && i < ranked.size(); ++i) near.insert(ranked[i].second);
    out.push_back(std::move(near));
  }
  return out;
}

TEST_CASE("pairs: IVF at fewer probes compares neighbouring lists, with high recall on clustered data", "[pairs]") {
  for (const char* metric : {"l2", "cosine"}) {
    INFO("metric " << metric);
    Db db;
    std::mt19937 rng(4242);
    Layout layout{Kind::F32, metric, 16};
    Source source = Source::clustered(rng, 16, 40, 0.7f);
    Table t(db, "t", layout, "index=ivf, lists=16");  // default probes: 4
    t.fill(rng, source, 1, 2000);
    t.rebuild();
    REQUIRE(db.integer("SELECT probes FROM quiver_stats('t')") == 4);

    double bound = pick_bound(t.all_distances(), 0.005, false);
    PairSet truth = t.brute(bound);
    REQUIRE(truth.size() > 1000);
    PairSet at_default = pairs(db, "t", bound);
    size_t found = 0;
    for (const auto& p : at_default) found += truth.count(p.first);
    REQUIRE(found == at_default.size());  // nothing that is not a pair
    double recall = static_cast<double>(found) / static_cast<double>(truth.size());
    INFO("recall at the default probes " << recall << " (" << found << " of " << truth.size() << ")");
    // Measured 0.951 (l2) and 0.980 (cosine) on this data.
    REQUIRE(recall >= 0.9);

    // Which lists each list is compared with: its `probes` nearest centroids.
    std::map<int64_t, int64_t> list_of;
    for (const auto& r : db.query("SELECT rowid, cluster FROM t")) list_of[r[0].i] = r[1].i;
    std::vector<std::vector<double>> centroids;
    for (const auto& r : db.query("SELECT centroid FROM quiver_clusters('t') ORDER BY cluster")) centroids.push_back(centroid_of(r[0]));
    REQUIRE(centroids.size() == 16);

    PairSet previous;
    for (int64_t probes : {1, 2, 4, 8, 16}) {
      INFO("probes " << probes);
      PairSet now = pairs(db, "t", bound, probes);
      // Exactly the pairs whose lists are neighbours one way or the other.
      std::vector<std::set<int64_t>> near = nearest_lists(centroids, static_cast<size_t>(probes));
      PairSet reachable;
      for (const auto& p : truth) {
        int64_t la = list_of.at(p.first.first), lb = list_of.at(p.first.second);
        if (near[static_cast<size_t>(la)].count(lb) || near[static_cast<size_t>(lb)].count(la)) reachable.insert(p);
      }
      require_same_pairs(now, reachable);
      PairSet lost;
      for (const auto& p : previous)
        if (!now.count(p.first)) lost.insert(p);
      INFO("pairs found at fewer probes but not now:" << show_keys(lost));
      REQUIRE(lost.empty());
      if (probes == 4) require_same_pairs(now, at_default);
      previous = std::move(now);
    }
    require_same_pairs(previous, truth);
  }
}

TEST_CASE("pairs: deletes, updates and inserts after training are reflected", "[pairs]") {
  for (const char* options : {"index=flat", "index=ivf, lists=8"}) {
    INFO(options);
    Db db;
    std::mt19937 rng(77);
    Layout layout{Kind::F32, "l2", 12};
    Source source = Source::clustered(rng, 12, 10, 0.4f);
    Table t(db, "t", layout, options);
    t.fill(rng, source, 1, 400);
    t.rebuild();
    // Delete every fifth row; make rows 2, 7, 12, ... near-copies of rows
    // 252, 257, 262, ..., which usually moves them to another list; add new
    // rows.
    for (int64_t id = 5; id <= 400; id += 5) t.remove(id);
    std::vector<PairKey> copies;
    for (int64_t id = 2; id <= 150; id += 5) {
      int64_t source_id = id + 250;  // not deleted either
      Bytes v = t.rows().at(source_id).vector;
      float x;
      std::memcpy(&x, v.data(), 4);
      x += 1e-3f;
      std::memcpy(v.data(), &x, 4);
      t.set_vector(id, v);
      copies.push_back({std::min(id, source_id), std::max(id, source_id)});
    }
    t.fill(rng, source, 1001, 60);
    t.check();

    double bound = pick_bound(t.all_distances(), 0.02, false);
    PairSet truth = t.brute(bound);
    require_same_pairs(pairs(db, "t", bound, 8), truth);
    // A near-copy sits in its original's list: found at any probes.
    PairSet one = pairs(db, "t", bound, 1);
    for (const PairKey& k : copies) {
      INFO("copy pair " << k.first << ", " << k.second);
      REQUIRE(truth.count(k) == 1);
      REQUIRE(one.count(k) == 1);
    }
  }
}

TEST_CASE("pairs: LIMIT stops early, and a join back to the table filters on both sides", "[pairs]") {
  Db db;
  std::mt19937 rng(5);
  Layout layout{Kind::F32, "cosine", 16};
  Source source = Source::clustered(rng, 16, 8, 0.5f);
  Table t(db, "t", layout, "index=ivf, lists=4");
  t.fill(rng, source, 1, 300);
  t.rebuild();
  double bound = pick_bound(t.all_distances(), 0.05, false);
  PairSet truth = t.brute(bound);
  REQUIRE(truth.size() > 100);

  Rows five = db.query("SELECT a, b, distance FROM quiver_pairs('t', ?1, 4) LIMIT 5", {Value::real(bound)});
  REQUIRE(five.size() == 5);
  for (const auto& r : five) REQUIRE(truth.count({r[0].i, r[1].i}) == 1);
  REQUIRE(db.integer("SELECT count(*) FROM (SELECT 1 FROM quiver_pairs('t', 2.0) LIMIT 5)") == 5);

  Rows same_tag = db.query(
      "SELECT p.a, p.b, x.tag FROM quiver_pairs('t', ?1, 4) AS p "
      "JOIN t AS x ON x.rowid = p.a JOIN t AS y ON y.rowid = p.b "
      "WHERE x.tag = y.tag AND y.tag IN ('t1', 't2')",
      {Value::real(bound)});
  PairSet got;
  for (const auto& r : same_tag) {
    REQUIRE((r[2].s == "t1" || r[2].s == "t2"));
    got[{r[0].i, r[1].i}] = 0;
  }
  PairSet want = t.brute(bound, [](const Entry& x, const Entry& y) { return x.tag == y.tag && (y.tag == "t1" || y.tag == "t2"); });
  REQUIRE(want.size() > 5);
  require_same_pairs(got, want);
}

TEST_CASE("pairs: an OR over the result columns", "[pairs]") {
  // SQLite plans each side of an OR separately, offering xBestIndex only
  // that side's constraints; the arguments are still given.
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[2])");
  db.exec("INSERT INTO t(rowid, embedding) VALUES (1, '[0, 0]'), (2, '[3, 4]'), (3, '[0, 1]')");
  REQUIRE(db.integer("SELECT count(*) FROM quiver_pairs('t', 5) WHERE +a = 1 OR +b = 1") == 2);
  REQUIRE(db.integer("SELECT count(*) FROM quiver_pairs('t', 5) WHERE a = 1 OR b = 1") == 2);
}

TEST_CASE("pairs: tables with no rows or one row have no pairs", "[pairs]") {
  Db db;
  for (const char* options : {"index=flat", "index=ivf, lists=4"}) {
    INFO(options);
    db.exec("DROP TABLE IF EXISTS t");
    db.exec(std::string("CREATE VIRTUAL TABLE t USING quiver(embedding float[3], ") + options + ")");
    REQUIRE(pairs(db, "t", 1e9).empty());
    db.exec("INSERT INTO t(rowid, embedding) VALUES (1, '[1, 2, 3]')");
    REQUIRE(pairs(db, "t", 1e9).empty());
    db.exec("INSERT INTO t(t) VALUES ('rebuild')");
    REQUIRE(pairs(db, "t", 1e9).empty());
    db.exec("INSERT INTO t(rowid, embedding) VALUES (2, '[1, 2, 3]')");
    REQUIRE(pairs(db, "t", 0).size() == 1);  // identical vectors: distance 0 <= 0
    db.exec("DELETE FROM t");
    REQUIRE(pairs(db, "t", 1e9).empty());
  }
}

TEST_CASE("pairs: negative and huge bounds", "[pairs]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE d USING quiver(embedding float[2] distance=dot)");
  db.exec("INSERT INTO d(rowid, embedding) VALUES (1, '[1, 0]'), (2, '[3, 4]'), (3, '[0, 1]')");
  // dot: the distance is the negated inner product, so a negative bound
  // means "inner product at least": pairs (1, 2) at 3 and (2, 3) at 4.
  PairSet d = pairs(db, "d", -3);
  REQUIRE(d.size() == 2);
  REQUIRE(d.at({1, 2}) == -3.0);
  REQUIRE(d.at({2, 3}) == -4.0);
  REQUIRE(pairs(db, "d", -3.5).size() == 1);

  db.exec("CREATE VIRTUAL TABLE e USING quiver(embedding float[2] distance=l2)");
  db.exec("INSERT INTO e(rowid, embedding) VALUES (1, '[0, 0]'), (2, '[3, 4]'), (3, '[0, 1]')");
  // No Euclidean distance is negative; the bound is inclusive at 5.
  REQUIRE(pairs(db, "e", -1).empty());
  REQUIRE(pairs(db, "e", 5).size() == 3);
  REQUIRE(pairs(db, "e", std::nextafter(5.0, 0.0)).size() == 2);
  REQUIRE(pairs(db, "e", 1e300).size() == 3);
  // Text that reads as a number is a number.
  REQUIRE(db.integer("SELECT count(*) FROM quiver_pairs('e', '4.5')") == 2);
}

// Whether `body` (run in a child process, on its own connection) finishes
// within `seconds`; a child that does not is killed. Keeps a hang from
// stopping the whole test run.
bool finishes_within(double seconds, const std::function<bool()>& body) {
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    bool ok = false;
    try {
      ok = body();
    } catch (...) {
    }
    _exit(ok ? 0 : 1);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return true;
}

TEST_CASE("pairs: an infinite bound gives every pair, for every metric", "[pairs][fork]") {
  for (const char* metric : {"cosine", "dot", "l2"}) {
    INFO("metric " << metric);
    bool finished = finishes_within(2, [&] {
      sqlite3* db = nullptr;
      if (sqlite3_open(":memory:", &db) != SQLITE_OK || quiver_register(db) != SQLITE_OK) return false;
      bool ok = quiver_test::run(db, std::string("CREATE VIRTUAL TABLE t USING quiver(embedding float[2] distance=") +
                                         metric + ")")
                    .ok() &&
                quiver_test::run(db, "INSERT INTO t(rowid, embedding) VALUES (1, '[0, 1]'), (2, '[3, 4]'), (3, '[1, 1]')")
                    .ok();
      quiver_test::Result r = quiver_test::run(db, "SELECT count(*) FROM quiver_pairs('t', 9e999)");
      ok = ok && r.ok() && r.rows.size() == 1 && r.rows[0][0].i == 3;
      sqlite3_close(db);
      return ok;
    });
    REQUIRE(finished);
  }
}

TEST_CASE("pairs: tables in TEMP and ATTACHed schemas are found", "[pairs]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE temp.tt USING quiver(embedding float[2])");
  db.exec("INSERT INTO tt(rowid, embedding) VALUES (1, '[1, 0]'), (2, '[1, 0.5]'), (3, '[9, 9]')");
  db.exec("ATTACH ':memory:' AS aux");
  db.exec("CREATE VIRTUAL TABLE aux.a USING quiver(embedding float[2], index=ivf, lists=2)");
  db.exec("INSERT INTO aux.a(rowid, embedding) VALUES (5, '[1, 0]'), (6, '[1, 0.25]'), (7, '[-9, 9]'), (8, '[-9, 8]')");
  db.exec("INSERT INTO aux.a(a) VALUES ('rebuild')");
  // And a main table of the same name as the attached one.
  db.exec("CREATE VIRTUAL TABLE main.m USING quiver(embedding float[2])");
  db.exec("INSERT INTO m(rowid, embedding) VALUES (1, '[0, 0]'), (2, '[0, 3]')");
  db.exec("CREATE VIRTUAL TABLE aux.m USING quiver(embedding float[2])");
  db.exec("INSERT INTO aux.m(rowid, embedding) VALUES (1, '[0, 0]'), (2, '[0, 0.5]')");

  auto keys = [](const PairSet& s) {
    std::vector<PairKey> out;
    for (const auto& p : s) out.push_back(p.first);
    return out;
  };
  using K = std::vector<PairKey>;
  REQUIRE(keys(pairs(db, "tt", 1)) == K{{1, 2}});
  REQUIRE(keys(pairs(db, "temp.tt", 1)) == K{{1, 2}});
  REQUIRE(keys(pairs(db, "aux.a", 1, 2)) == K{{5, 6}, {7, 8}});
  REQUIRE(keys(pairs(db, "a", 1, 2)) == K{{5, 6}, {7, 8}});  // unqualified: attached schemas are searched
  REQUIRE(keys(pairs(db, "m", 1)).empty());                    // main before aux
  REQUIRE(keys(pairs(db, "aux.m", 1)) == K{{1, 2}});
  REQUIRE(keys(pairs(db, "main.m", 3)) == K{{1, 2}});
  REQUIRE(db.error("SELECT * FROM quiver_pairs('main.tt', 1)") == "quiver: no table named \"main.tt\"");
  REQUIRE(db.integer("SELECT count(*) FROM quiver_clusters('aux.a')") == 2);
  REQUIRE(db.integer("SELECT sum(size) FROM quiver_clusters('aux.a')") == 4);
}

TEST_CASE("pairs: a TEMP table that hides a quiver table of the same name is the one named", "[pairs]") {
  // SQLite finds an unqualified name in temp first, so 't' below is the
  // ordinary temp table, as README promises for table functions.
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[2])");
  db.exec("INSERT INTO t(rowid, embedding) VALUES (1, '[0, 0]'), (2, '[0, 1]')");
  db.exec("CREATE TEMP TABLE t(x)");
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t', 5)") == "quiver: \"t\" is not a quiver table");
  REQUIRE(pairs(db, "main.t", 5).size() == 1);
}

TEST_CASE("pairs: errors name the problem", "[pairs]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[2], index=ivf, lists=2)");
  db.exec("INSERT INTO t(rowid, embedding) VALUES (1, '[0, 0]'), (2, '[0, 1]'), (3, '[5, 5]')");
  db.exec("CREATE TABLE plain(x)");
  const std::string number = "quiver_pairs: the maximum distance must be a number";
  const std::string probes = "quiver_pairs: probes must be an integer from 1 to 65536, got ";
  const std::string missing = "quiver_pairs: needs a table name and a maximum distance";

  REQUIRE(db.error("SELECT * FROM quiver_pairs('nope', 1)") == "quiver: no table named \"nope\"");
  REQUIRE(db.error("SELECT * FROM quiver_pairs('plain', 1)") == "quiver: \"plain\" is not a quiver table");
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t_config', 1)") == "quiver: \"t_config\" is not a quiver table");
  REQUIRE(db.error("SELECT * FROM quiver_pairs(NULL, 1)") == "quiver_pairs: the first argument must be a table name");
  REQUIRE(db.error("SELECT * FROM quiver_pairs(42, 1)") == "quiver_pairs: the first argument must be a table name");
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t', NULL)") == number);
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t', 'abc')") == number);
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t', X'00')") == number);
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t', ?1)", {Value::real(std::nan(""))}) == number);
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t', 1, 0)") == probes + "0");
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t', 1, -3)") == probes + "-3");
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t', 1, 65537)") == probes + "65537");
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t', 1, 2.5)") == probes + "2.5");
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t', 1, 'x')") == probes + "x");
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t', 1, NULL)") == probes + "NULL");
  REQUIRE(db.error("SELECT * FROM quiver_pairs('t')") == missing);
  REQUIRE(db.error("SELECT * FROM quiver_pairs()") == missing);
  REQUIRE(db.error("SELECT * FROM quiver_pairs WHERE tbl = 't'") == missing);
  // The largest probes is accepted, and a table that is not trained yet
  // ignores probes.
  REQUIRE(pairs(db, "t", 1, 65536).size() == 1);
}

TEST_CASE("pairs: probes given as an integral real, as quiver tables accept it", "[pairs]") {
  // A bound parameter from a language without integers arrives as 4.0; the
  // table's own `probes = ?` accepts it (vtab.cpp integer_argument).
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[2], index=ivf, lists=2)");
  db.exec("INSERT INTO t(rowid, embedding) VALUES (1, '[0, 0]'), (2, '[0, 1]'), (3, '[5, 5]')");
  db.exec("INSERT INTO t(t) VALUES ('rebuild')");
  REQUIRE(db.integer("SELECT count(*) FROM t WHERE embedding MATCH '[0, 0]' AND k = 3 AND probes = 2.0") == 3);
  REQUIRE(db.integer("SELECT count(*) FROM quiver_pairs('t', 2, 2.0)") == 1);
}

}  // namespace
