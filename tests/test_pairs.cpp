// The table-valued functions for near-duplicates, topics and document
// vectors (DESIGN section 4, README "Near-duplicates, topics and document
// vectors"), through real SQLite connections, on seeded synthetic data:
//   [pairs]    quiver_pairs against a double-precision all-pairs brute force:
//              flat tables and trained IVF tables at probes = lists give
//              exactly the brute-force pairs (float32 cosine / l2 / dot, int8
//              l2 / dot / cosine, bit hamming; random and clustered data), the
//              bound is inclusive, distances agree with the scalar SQL
//              functions; at fewer probes exactly the pairs whose lists are
//              neighbours (by quiver_clusters' centroids), recall at the
//              default probes, and more probes only ever add pairs; writes
//              after training, LIMIT, joins back to the table, empty tables,
//              TEMP and ATTACHed schemas, errors;
//   [clusters] the hidden `cluster` column against the nearest centroid of
//              quiver_clusters, GROUP BY cluster against quiver_clusters'
//              sizes, flat and untrained tables as one cluster;
//   [tokens]   quiver_tokens on edge cases (empty, NULL, separators only,
//              numbers, Latin-1 capitals, other scripts, Unicode punctuation,
//              invalid UTF-8), byte offsets, a correlated join, and random
//              texts against a reference tokenizer written from the rules.
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
#include "support/sql.h"

namespace {

using quiver_test::Bytes;
using quiver_test::Db;
using quiver_test::Rows;
using quiver_test::Value;

// ---- vectors and their distances in double precision ------------------------------

enum class Kind { F32, I8, Bit };

struct Layout {
  Kind kind;
  const char* metric;  // as in CREATE VIRTUAL TABLE
  size_t dims;
  const char* name() const {
    static const char* names[] = {"float", "int8", "bit"};
    return names[static_cast<int>(kind)];
  }
  // Scores are exact integers: the brute force and the table agree exactly.
  bool integral() const { return kind == Kind::Bit || (kind == Kind::I8 && std::strcmp(metric, "cosine") != 0); }
  // The scalar SQL function for the table's distance.
  std::string sql_distance(const std::string& a, const std::string& b) const {
    std::string m = metric;
    if (m == "cosine") return "cosine_distance(" + a + ", " + b + ")";
    if (m == "l2") return "l2_distance(" + a + ", " + b + ")";
    if (m == "dot") return "-dot_product(" + a + ", " + b + ")";
    return "hamming_distance(" + a + ", " + b + ")";
  }
};

double element(Kind kind, const Bytes& v, size_t t) {
  switch (kind) {
    case Kind::F32: {
      float f;
      std::memcpy(&f, v.data() + 4 * t, 4);
      return f;
    }
    case Kind::I8: return static_cast<int8_t>(v[t]);
    case Kind::Bit: return (v[t / 8] >> (t % 8)) & 1;
  }
  return 0;
}

// The elements of a vector of the table's type (bits as 0/1).
std::vector<double> widen(const Layout& layout, const Bytes& v) {
  std::vector<double> out(layout.dims);
  for (size_t t = 0; t < layout.dims; ++t) out[t] = element(layout.kind, v, t);
  return out;
}

// The table's distance between widened vectors, in double precision.
double distance(const std::string& metric, const std::vector<double>& a, const std::vector<double>& b) {
  double dot = 0, aa = 0, bb = 0, l2 = 0;
  for (size_t t = 0; t < a.size(); ++t) {
    dot += a[t] * b[t];
    aa += a[t] * a[t];
    bb += b[t] * b[t];
    l2 += (a[t] - b[t]) * (a[t] - b[t]);
  }
  if (metric == "cosine") return 1 - std::max(-1.0, std::min(1.0, dot / std::sqrt(aa * bb)));
  if (metric == "l2") return std::sqrt(l2);
  if (metric == "dot") return -dot;
  return l2;  // hamming: bits differ where the squared difference is 1
}

Bytes encode(Kind kind, const std::vector<float>& v) {
  if (kind == Kind::F32) {
    Bytes b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
  }
  if (kind == Kind::I8) {
    Bytes b(v.size());
    for (size_t t = 0; t < v.size(); ++t)
      b[t] = static_cast<unsigned char>(static_cast<int8_t>(std::max(-127L, std::min(127L, std::lround(v[t] * 40)))));
    return b;
  }
  Bytes b(v.size() / 8, 0);
  for (size_t t = 0; t < v.size(); ++t)
    if (v[t] > 0) b[t / 8] |= static_cast<unsigned char>(1u << (t % 8));
  return b;
}

// Points: N(0, 1) per coordinate ("random"), or around `centres` centres
// drawn N(0, 1), at N(0, sigma) from their centre ("clustered").
struct Source {
  size_t dims;
  std::vector<std::vector<float>> centres;  // none: random
  float sigma = 1;

  static Source random(size_t dims) { return Source{dims, {}, 1}; }
  static Source clustered(std::mt19937& rng, size_t dims, size_t count, float sigma) {
    Source s{dims, std::vector<std::vector<float>>(count, std::vector<float>(dims)), sigma};
    std::normal_distribution<float> g(0, 1);
    for (auto& c : s.centres)
      for (float& x : c) x = g(rng);
    return s;
  }
  std::vector<float> point(std::mt19937& rng) const {
    std::normal_distribution<float> g(0, sigma);
    std::vector<float> v(dims);
    const std::vector<float>* c = centres.empty() ? nullptr : &centres[rng() % centres.size()];
    for (size_t t = 0; t < dims; ++t) v[t] = (c ? (*c)[t] : 0.0f) + g(rng);
    return v;
  }
};

// ---- a quiver table and a mirror of its rows ---------------------------------------

using PairKey = std::pair<int64_t, int64_t>;
using PairSet = std::map<PairKey, double>;  // (a, b) -> distance

struct PairDistance {
  int64_t a, b;
  double distance;
};

struct Entry {
  Bytes vector;
  std::string tag;
};

class Table {
 public:
  // A quiver table `name` (embedding, tag text); `options` such as
  // "index=ivf, lists=8".
  Table(const Db& db, std::string name, Layout layout, const std::string& options = "")
      : db_(db), name_(std::move(name)), layout_(layout) {
    db.exec("CREATE VIRTUAL TABLE " + name_ + " USING quiver(embedding " + layout.name() + "[" +
            std::to_string(layout.dims) + "] distance=" + layout.metric + ", tag text" +
            (options.empty() ? "" : ", " + options) + ")");
  }
  const std::string& name() const { return name_; }
  const Layout& layout() const { return layout_; }
  const std::map<int64_t, Entry>& rows() const { return rows_; }

  // Rows with rowids first, first + step, ...; tags cycle through "t0".."t3".
  void fill(std::mt19937& rng, const Source& source, int64_t first, int64_t count, int64_t step = 1) {
    db_.exec("BEGIN");
    for (int64_t i = 0; i < count; ++i) {
      int64_t id = first + i * step;
      put(id, Entry{encode(layout_.kind, source.point(rng)), "t" + std::to_string(id % 4)});
    }
    db_.exec("COMMIT");
  }
  void put(int64_t id, const Entry& e) {
    all_.clear();
    db_.exec("INSERT OR REPLACE INTO " + name_ + "(rowid, embedding, tag) VALUES (?1, ?2, ?3)",
             {Value::integer(id), Value::blob(e.vector), Value::text(e.tag)});
    rows_[id] = e;
  }
  void remove(int64_t id) {
    all_.clear();
    db_.exec("DELETE FROM " + name_ + " WHERE rowid = ?1", {Value::integer(id)});
    rows_.erase(id);
  }
  void set_vector(int64_t id, const Bytes& v) {
    all_.clear();
    db_.exec("UPDATE " + name_ + " SET embedding = ?2 WHERE rowid = ?1", {Value::integer(id), Value::blob(v)});
    rows_[id].vector = v;
  }
  void rebuild() const { db_.exec("INSERT INTO " + name_ + "(" + name_ + ") VALUES ('rebuild')"); }
  void check() const {
    db_.exec("INSERT INTO " + name_ + "(" + name_ + ") VALUES ('integrity-check')");
    REQUIRE(db_.integer("SELECT count(*) FROM " + name_) == static_cast<int64_t>(rows_.size()));
  }

  // Every pair (a < b) within the bound, by brute force over the mirror.
  PairSet brute(double bound, const std::function<bool(const Entry&, const Entry&)>& pass = nullptr) const {
    PairSet out;
    for (const PairDistance& p : all_pairs())
      if (p.distance <= bound && (!pass || pass(rows_.at(p.a), rows_.at(p.b)))) out[{p.a, p.b}] = p.distance;
    return out;
  }
  std::vector<double> all_distances() const {
    std::vector<double> out;
    for (const PairDistance& p : all_pairs()) out.push_back(p.distance);
    return out;
  }
  // Every pair of rows with its distance, computed once per state.
  const std::vector<PairDistance>& all_pairs() const {
    if (!all_.empty() || rows_.size() < 2) return all_;
    std::vector<int64_t> ids;
    std::vector<std::vector<double>> wide;
    for (const auto& r : rows_) {
      ids.push_back(r.first);
      wide.push_back(widen(layout_, r.second.vector));
    }
    all_.reserve(ids.size() * (ids.size() - 1) / 2);
    for (size_t i = 0; i < ids.size(); ++i)
      for (size_t j = i + 1; j < ids.size(); ++j) all_.push_back({ids[i], ids[j], distance(layout_.metric, wide[i], wide[j])});
    return all_;
  }

 private:
  const Db& db_;
  std::string name_;
  Layout layout_;
  std::map<int64_t, Entry> rows_;
  mutable std::vector<PairDistance> all_;
};

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

std::string describe(const Layout& l) { return std::string(l.name()) + "[" + std::to_string(l.dims) + "] " + l.metric; }

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

double l2sq(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t t = 0; t < a.size(); ++t) s += (a[t] - b[t]) * (a[t] - b[t]);
  return s;
}

// A float32 vector blob as doubles.
std::vector<double> centroid_of(const Value& v) {
  std::vector<double> out(v.s.size() / 4);
  for (size_t t = 0; t < out.size(); ++t) {
    float f;
    std::memcpy(&f, v.s.data() + 4 * t, 4);
    out[t] = f;
  }
  return out;
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

// ---- clusters ----------------------------------------------------------------------

// cluster column, GROUP BY cluster and quiver_clusters agree; every row is in
// the list of its nearest centroid in the quantizer space (within rounding).
void require_consistent_clusters(const Db& db, const Table& t, int64_t lists) {
  const Layout& layout = t.layout();
  Rows clusters = db.query("SELECT cluster, size, centroid, vector_dims(centroid) FROM quiver_clusters(?1) ORDER BY cluster",
                           {Value::text(t.name())});
  REQUIRE(static_cast<int64_t>(clusters.size()) == lists);
  std::vector<std::vector<double>> centroids;
  int64_t total = 0;
  for (size_t i = 0; i < clusters.size(); ++i) {
    REQUIRE(clusters[i][0].i == static_cast<int64_t>(i));
    REQUIRE(clusters[i][2].type == SQLITE_BLOB);
    REQUIRE(clusters[i][3].i == static_cast<int64_t>(layout.dims));
    centroids.push_back(centroid_of(clusters[i][2]));
    if (std::string(layout.metric) == "cosine")  // unit length
      REQUIRE(std::fabs(l2sq(centroids.back(), std::vector<double>(layout.dims, 0)) - 1) < 1e-4);
    total += clusters[i][1].i;
  }
  REQUIRE(total == static_cast<int64_t>(t.rows().size()));

  // GROUP BY cluster gives the non-empty clusters with their sizes.
  std::map<int64_t, int64_t> grouped;
  for (const auto& r : db.query("SELECT cluster, count(*) FROM " + t.name() + " GROUP BY cluster")) grouped[r[0].i] = r[1].i;
  for (const auto& c : clusters) {
    INFO("cluster " << c[0].i);
    REQUIRE((grouped.count(c[0].i) ? grouped[c[0].i] : 0) == c[1].i);
    if (c[1].i > 0)
      REQUIRE(db.integer("SELECT count(*) FROM " + t.name() + " WHERE cluster = ?1", {Value::integer(c[0].i)}) ==
              c[1].i);
  }
  REQUIRE(grouped.size() <= clusters.size());

  if (std::string(layout.metric) == "dot") return;  // its quantizer has one more coordinate than quiver_clusters shows
  for (const auto& r : db.query("SELECT rowid, cluster FROM " + t.name())) {
    std::vector<double> x = widen(layout, t.rows().at(r[0].i).vector);
    if (std::string(layout.metric) == "cosine") {
      double n = std::sqrt(l2sq(x, std::vector<double>(x.size(), 0)));
      for (double& e : x) e /= n;
    }
    double best = HUGE_VAL;
    for (const auto& c : centroids) best = std::min(best, l2sq(x, c));
    INFO("row " << r[0].i << " in cluster " << r[1].i);
    REQUIRE(r[1].i >= 0);
    REQUIRE(r[1].i < lists);
    REQUIRE(l2sq(x, centroids[static_cast<size_t>(r[1].i)]) <= best + 1e-4 * (1 + best));
  }
}

TEST_CASE("clusters: every row's cluster is its nearest centroid, and GROUP BY cluster matches quiver_clusters",
          "[clusters]") {
  for (const Layout& layout : {Layout{Kind::F32, "l2", 16}, Layout{Kind::F32, "cosine", 16}, Layout{Kind::F32, "dot", 16},
                               Layout{Kind::I8, "l2", 16}, Layout{Kind::Bit, "hamming", 64}}) {
    INFO(describe(layout));
    Db db;
    std::mt19937 rng(31);
    Source source = Source::clustered(rng, layout.dims, 10, 0.4f);
    Table t(db, "t", layout, "index=ivf, lists=6");
    t.fill(rng, source, 1, 500);
    t.rebuild();
    t.check();
    require_consistent_clusters(db, t, 6);
    // Writes after training: rows go to their nearest list, and moved rows
    // move cluster.
    for (int64_t id = 1; id <= 100; id += 3) t.set_vector(id, encode(layout.kind, source.point(rng)));
    for (int64_t id = 2; id <= 200; id += 7) t.remove(id);
    t.fill(rng, source, 2000, 50);
    t.check();
    require_consistent_clusters(db, t, 6);
  }
}

TEST_CASE("clusters: a flat table and an untrained IVF table are one cluster without a centroid", "[clusters]") {
  for (const char* options : {"index=flat", "index=ivf, lists=4"}) {
    INFO(options);
    Db db;
    std::mt19937 rng(3);
    Table t(db, "t", Layout{Kind::F32, "l2", 8}, options);
    Rows empty = db.query("SELECT cluster, size, centroid FROM quiver_clusters('t')");
    REQUIRE(empty.size() == 1);
    REQUIRE(empty[0][0].i == 0);
    REQUIRE(empty[0][1].i == 0);
    REQUIRE(empty[0][2].type == SQLITE_NULL);

    t.fill(rng, Source::random(8), 1, 50);
    Rows one = db.query("SELECT cluster, size, centroid FROM quiver_clusters('t')");
    REQUIRE(one.size() == 1);
    REQUIRE(one[0][0].i == 0);
    REQUIRE(one[0][1].i == 50);
    REQUIRE(one[0][2].type == SQLITE_NULL);
    REQUIRE(db.integer("SELECT count(*) FROM t WHERE cluster = 0") == 50);
    REQUIRE(db.integer("SELECT count(DISTINCT cluster) FROM t") == 1);
    // 'rebuild' trains the IVF table and does nothing to the flat one.
    t.rebuild();
    int64_t lists = std::string(options) == "index=flat" ? 1 : 4;
    REQUIRE(db.integer("SELECT count(*) FROM quiver_clusters('t')") == lists);
    REQUIRE(db.integer("SELECT count(*) FROM quiver_clusters('t') WHERE centroid IS NULL") == (lists == 1 ? 1 : 0));
    REQUIRE(db.integer("SELECT sum(size) FROM quiver_clusters('t')") == 50);
  }
}

TEST_CASE("clusters: an OR over the result columns", "[clusters]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[2])");
  db.exec("INSERT INTO t(rowid, embedding) VALUES (1, '[0, 0]'), (2, '[3, 4]')");
  REQUIRE(db.integer("SELECT count(*) FROM quiver_clusters('t') WHERE +cluster = 0 OR +size = 5") == 1);
  REQUIRE(db.integer("SELECT count(*) FROM quiver_clusters('t') WHERE cluster = 0 OR size = 5") == 1);
}

TEST_CASE("clusters: errors name the problem", "[clusters]") {
  Db db;
  db.exec("CREATE TABLE plain(x)");
  REQUIRE(db.error("SELECT * FROM quiver_clusters('nope')") == "quiver: no table named \"nope\"");
  REQUIRE(db.error("SELECT * FROM quiver_clusters('plain')") == "quiver: \"plain\" is not a quiver table");
  REQUIRE(db.error("SELECT * FROM quiver_clusters(NULL)") == "quiver_clusters: the argument must be a table name");
  REQUIRE(db.error("SELECT * FROM quiver_clusters()") == "quiver_clusters: missing argument");
}

// ---- tokens ------------------------------------------------------------------------

struct Tok {
  std::string token;
  int64_t position, offset;
  bool operator==(const Tok& o) const { return token == o.token && position == o.position && offset == o.offset; }
};

std::ostream& operator<<(std::ostream& os, const Tok& t) {
  return os << "{'" << t.token << "', " << t.position << ", " << t.offset << "}";
}

std::vector<Tok> tokens(const Db& db, const Value& text) {
  std::vector<Tok> out;
  for (const auto& r : db.query("SELECT token, position, offset FROM quiver_tokens(?1)", {text})) {
    REQUIRE(r[0].type == SQLITE_TEXT);
    out.push_back({r[0].s, r[1].i, r[2].i});
  }
  return out;
}
std::vector<Tok> tokens(const Db& db, const std::string& text) { return tokens(db, Value::text(text)); }

// Just the words.
std::vector<std::string> words(const Db& db, const std::string& text) {
  std::vector<std::string> out;
  for (const Tok& t : tokens(db, text)) out.push_back(t.token);
  return out;
}
using W = std::vector<std::string>;

TEST_CASE("tokens: empty, NULL and separator-only texts have no words", "[tokens]") {
  Db db;
  REQUIRE(tokens(db, "").empty());
  REQUIRE(tokens(db, Value::null()).empty());
  REQUIRE(tokens(db, "!?.,;:'\"()[]{}<>/\\|-_+=*&^%$#@~`").empty());
  REQUIRE(tokens(db, " \t\n\r\v\f ").empty());
  REQUIRE(tokens(db, "\xE2\x80\x94 \xC2\xAB\xC2\xBB\xC2\xA0\xE2\x80\xA6\xE3\x80\x82").empty());  // — «» nbsp … 。
  REQUIRE(db.error("SELECT * FROM quiver_tokens()") == "quiver_tokens: missing argument");
}

TEST_CASE("tokens: words, numbers and case", "[tokens]") {
  Db db;
  REQUIRE(tokens(db, "Toner for the 3rd floor printer!") ==
          std::vector<Tok>{{"toner", 0, 0}, {"for", 1, 6}, {"the", 2, 10}, {"3rd", 3, 14}, {"floor", 4, 18}, {"printer", 5, 24}});
  REQUIRE(tokens(db, "12.5") == std::vector<Tok>{{"12", 0, 0}, {"5", 1, 3}});
  REQUIRE(words(db, "v2.0-beta_3 x86_64 1,000") == W{"v2", "0", "beta", "3", "x86", "64", "1", "000"});
  REQUIRE(words(db, "HeLLo WORLD abcXYZ") == W{"hello", "world", "abcxyz"});
  REQUIRE(words(db, "don't") == W{"don", "t"});
  // Numbers and blobs are read as their text.
  REQUIRE(tokens(db, Value::real(12.5)) == std::vector<Tok>{{"12", 0, 0}, {"5", 1, 3}});
  REQUIRE(tokens(db, Value::integer(-42)) == std::vector<Tok>{{"42", 0, 1}});
  REQUIRE(tokens(db, Value::blob(Bytes{'A', 'b', ' ', 'c'})) == std::vector<Tok>{{"ab", 0, 0}, {"c", 1, 3}});
}

TEST_CASE("tokens: Latin-1 capitals are lowercased, other scripts kept, Unicode punctuation separates", "[tokens]") {
  Db db;
  REQUIRE(words(db, "\xC3\x89" "cole \xC3\x87" "A \xC3\x80 \xC3\x9E" "orn \xC3\x96L") ==
          W{"\xC3\xA9" "cole", "\xC3\xA7" "a", "\xC3\xA0", "\xC3\xBE" "orn", "\xC3\xB6l"});  // École ÇA À Þorn ÖL
  REQUIRE(words(db, "stra\xC3\x9F" "e \xC3\xBF") == W{"stra\xC3\x9F" "e", "\xC3\xBF"});          // ß, ÿ stay
  REQUIRE(words(db, "2\xC3\x97" "3 6\xC3\xB7" "2") == W{"2", "3", "6", "2"});                    // × ÷ separate
  // Cyrillic, Greek and CJK are words, kept as they are (no case folding).
  REQUIRE(words(db, "\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0 \xCE\xA9mega \xE6\x9D\xB1\xE4\xBA\xAC") ==
          W{"\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0", "\xCE\xA9mega", "\xE6\x9D\xB1\xE4\xBA\xAC"});
  // — “ ” … « » nbsp ¿ ‘ ’ and CJK 。、 between words.
  REQUIRE(words(db,
                "a\xE2\x80\x94" "b\xE2\x80\x9C" "c\xE2\x80\x9D" "d\xE2\x80\xA6" "e\xC2\xAB" "f\xC2\xBB" "g\xC2\xA0" "h\xC2\xBF" "i"
                "\xE2\x80\x98" "j\xE2\x80\x99" "k") == W{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"});
  REQUIRE(words(db, "\xE6\x9D\xB1\xE4\xBA\xAC\xE3\x80\x82\xE5\xA4\xA7\xE9\x98\xAA\xE3\x80\x81") ==
          W{"\xE6\x9D\xB1\xE4\xBA\xAC", "\xE5\xA4\xA7\xE9\x98\xAA"});  // 東京。大阪、
}

TEST_CASE("tokens: invalid UTF-8 is kept as part of words, never rejected", "[tokens]") {
  Db db;
  REQUIRE(tokens(db, "a\xFF" "b c\x80") == std::vector<Tok>{{"a\xFF" "b", 0, 0}, {"c\x80", 1, 4}});
  REQUIRE(tokens(db, "x \xE2") == std::vector<Tok>{{"x", 0, 0}, {"\xE2", 1, 2}});          // a truncated — at the end
  REQUIRE(tokens(db, "\xC2 y") == std::vector<Tok>{{"\xC2", 0, 0}, {"y", 1, 2}});          // a lone lead byte
  REQUIRE(tokens(db, "\xC3") == std::vector<Tok>{{"\xC3", 0, 0}});                          // a truncated capital
  REQUIRE(tokens(db, "\xE2\x80") == std::vector<Tok>{{"\xE2\x80", 0, 0}});
  // Through SQL with a cast blob, too.
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens(CAST(X'41FF42200043' AS TEXT))") == 2);
}

TEST_CASE("tokens: offsets point at each word in the original bytes, and positions count up", "[tokens]") {
  Db db;
  const std::string ascii = "  The QUICK brown-fox, (jumps) over 13 lazy dogs... again!";
  // ASCII: substr by characters is by bytes.
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens(?1)", {Value::text(ascii)}) == 10);
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens(?1) WHERE lower(substr(?1, offset + 1, length(token))) = token",
                     {Value::text(ascii)}) == 10);
  // Any text: compare bytes.
  const std::string mixed = "\xC2\xAB\xC3\x89t\xC3\xA9\xC2\xBB \xE2\x80\x94 Caf\xC3\x89 \xE6\x9D\xB1\xE4\xBA\xAC, na\xC3\xAFve\xE2\x80\xA6 X";
  std::vector<Tok> got = tokens(db, mixed);
  REQUIRE(got.size() == 5);
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens(?1) AS t WHERE t.position = (SELECT count(*) FROM "
                     "quiver_tokens(?1) AS u WHERE u.offset < t.offset)",
                     {Value::text(mixed)}) == 5);
  for (size_t i = 0; i < got.size(); ++i) {
    INFO(got[i]);
    REQUIRE(got[i].position == static_cast<int64_t>(i));
    if (i > 0) REQUIRE(got[i].offset > got[i - 1].offset);
    std::string original = mixed.substr(static_cast<size_t>(got[i].offset), got[i].token.size());
    // Lowercase the original as the tokenizer does: ASCII and Latin-1 capitals.
    for (size_t b = 0; b < original.size(); ++b) {
      unsigned char c = static_cast<unsigned char>(original[b]);
      if (c >= 'A' && c <= 'Z') original[b] = static_cast<char>(c + 32);
      if (c == 0xC3 && b + 1 < original.size() && static_cast<unsigned char>(original[b + 1]) >= 0x80 &&
          static_cast<unsigned char>(original[b + 1]) <= 0x9E) {
        original[b + 1] = static_cast<char>(static_cast<unsigned char>(original[b + 1]) + 0x20);
        ++b;
      }
    }
    REQUIRE(original == got[i].token);
  }
  REQUIRE(got[0].token == "\xC3\xA9t\xC3\xA9");
  REQUIRE(got[1].token == "caf\xC3\xA9");
}

TEST_CASE("tokens: a correlated join over a table of texts", "[tokens]") {
  Db db;
  db.exec("CREATE TABLE docs(id INTEGER PRIMARY KEY, body TEXT)");
  db.exec("INSERT INTO docs VALUES (1, 'Printer out of toner'), (2, NULL), (3, ''), (4, 'Toner: ordered!'), "
          "(5, 'printer, printer')");
  Rows rows = db.query("SELECT docs.id, t.token, t.position FROM docs, quiver_tokens(docs.body) AS t ORDER BY docs.id, t.position");
  std::vector<std::tuple<int64_t, std::string, int64_t>> got;
  for (const auto& r : rows) got.emplace_back(r[0].i, r[1].s, r[2].i);
  REQUIRE(got == std::vector<std::tuple<int64_t, std::string, int64_t>>{{1, "printer", 0},
                                                                          {1, "out", 1},
                                                                          {1, "of", 2},
                                                                          {1, "toner", 3},
                                                                          {4, "toner", 0},
                                                                          {4, "ordered", 1},
                                                                          {5, "printer", 0},
                                                                          {5, "printer", 1}});
  // Document frequency of each word.
  Rows df = db.query("SELECT token, count(DISTINCT docs.id) FROM docs, quiver_tokens(docs.body) GROUP BY token ORDER BY token");
  REQUIRE(df.size() == 5);
  REQUIRE(df[3][0].s == "printer");
  REQUIRE(df[3][1].i == 2);
  REQUIRE(df[4][0].s == "toner");
  REQUIRE(df[4][1].i == 2);
}

TEST_CASE("tokens: an OR over the result columns", "[tokens]") {
  Db db;
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens('a b c') WHERE +token = 'a' OR +position = 2") == 2);
  REQUIRE(db.integer("SELECT count(*) FROM quiver_tokens('a b c') WHERE token = 'a' OR position = 2") == 2);
}

TEST_CASE("tokens: random texts against a reference tokenizer", "[tokens]") {
  // Pieces with their role and lowercased form, glued at random.
  struct Piece {
    const char* text;
    bool word;
    const char* lower;
  };
  const Piece pieces[] = {
      {"a", true, "a"},          {"Z", true, "z"},           {"7", true, "7"},
      {"q", true, "q"},          {"\xC3\x89", true, "\xC3\xA9"},  // É
      {"\xC3\xA9", true, "\xC3\xA9"},                           // é
      {"\xC3\x9E", true, "\xC3\xBE"},                           // Þ
      {"\xC3\x9F", true, "\xC3\x9F"},                           // ß
      {"\xD0\x96", true, "\xD0\x96"},                           // Ж
      {"\xE6\x9D\xB1", true, "\xE6\x9D\xB1"},                   // 東
      {"\xFF", true, "\xFF"},                                   // invalid bytes
      {"\x80", true, "\x80"},
      {" ", false, ""},          {",", false, ""},           {"\n", false, ""},
      {".", false, ""},          {"'", false, ""},           {"\xC3\x97", false, ""},  // ×
      {"\xC2\xA0", false, ""},                                                      // nbsp
      {"\xC2\xAB", false, ""},                                                      // «
      {"\xE2\x80\x94", false, ""},                                                  // —
      {"\xE2\x80\x9D", false, ""},                                                  // ”
      {"\xE2\x80\xA6", false, ""},                                                  // …
      {"\xE3\x80\x81", false, ""},                                                  // 、
  };
  const size_t n = sizeof pieces / sizeof pieces[0];
  Db db;
  std::mt19937 rng(2024);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    std::vector<Tok> want;
    bool in_word = false;
    size_t length = rng() % 40;
    for (size_t i = 0; i < length; ++i) {
      const Piece& p = pieces[rng() % n];
      if (p.word) {
        if (!in_word) want.push_back({"", static_cast<int64_t>(want.size()), static_cast<int64_t>(text.size())});
        want.back().token += p.lower;
      }
      in_word = p.word;
      text += p.text;
    }
    INFO("text: " << text);
    REQUIRE(tokens(db, text) == want);
  }
}

}  // namespace
