// The IVF index of the `quiver` virtual table (README "IVF"), through real
// SQLite connections, on seeded synthetic data:
//   - recall@10 against the shared brute-force reference on clustered data,
//     rising with probes; exactness at probes = lists for every metric and
//     vector type (float32 cosine / l2 / dot, int8, bit);
//   - an untrained table answers exactly; automatic training and retraining;
//   - inserts, deletes, updates, rowid changes and INSERT OR REPLACE after
//     training, checked against a mirror kept here and by 'integrity-check';
//   - drift and 'rebuild'; selective filters; range queries;
//   - 'integrity-check' against damaged shadow tables;
//   - quiver_stats and quiver_recall;
//   - ROLLBACK of a rebuild, and a second connection seeing one;
//   - LIMIT / OFFSET streams and correlated KNN through the index.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "quiver.h"
#include "support/db.h"
#include "support/reference.h"
#include "support/recall.h"
#include "support/sql.h"
#include "support/temp_file.h"

namespace {

using quiver_test::Bytes;
using quiver_test::Db;
using quiver_test::Row;
using quiver_test::Rows;
using quiver_test::TempFile;
using quiver_test::Value;

// Two connections to one file wait up to 5 s for each other's locks.
constexpr int kBusyTimeoutMs = 5000;

// ---- vectors and a mirror of a table ----------------------------------------------

enum class Type { F32, I8, Bit };
using quiver_test::Metric;

Bytes f32_bytes(const std::vector<float>& v) {
  Bytes b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

size_t dims_of(Type type, const Bytes& v) { return type == Type::F32 ? v.size() / 4 : type == Type::I8 ? v.size() : v.size() * 8; }

// A vector's elements as floats, for the shared reference.
std::vector<float> elements(Type type, const Bytes& v) {
  using quiver::ElementType;
  ElementType t = type == Type::F32 ? ElementType::Float32 : type == Type::I8 ? ElementType::Int8 : ElementType::Bit;
  return quiver_test::elements(t, v.data(), dims_of(type, v));
}

// The table's distance, by the shared reference.
double distance(Type type, Metric metric, const Bytes& a, const Bytes& b) {
  return quiver_test::reference_distance(metric, elements(type, a), elements(type, b));
}

using Hit = quiver_test::Neighbour;

struct Entry {
  Bytes vector;
  std::string tag;
};

// A quiver table `name` with columns (embedding, tag text, n integer), and a
// mirror of its rows kept here.
class Table {
 public:
  Table(const Db& db, std::string name, Type type, Metric metric, size_t dims, const std::string& options)
      : db_(db), name_(std::move(name)), type_(type), metric_(metric), dims_(dims) {
    std::string kind = type == Type::F32 ? "float" : type == Type::I8 ? "int8" : "bit";
    const char* m = metric == Metric::L2 ? "l2" : metric == Metric::Cosine ? "cosine" : metric == Metric::Dot ? "dot" : "hamming";
    db.exec("CREATE VIRTUAL TABLE " + name_ + " USING quiver(embedding " + kind + "[" + std::to_string(dims) +
            "] distance=" + m + ", tag text, n integer, index=ivf" + (options.empty() ? "" : ", " + options) + ")");
  }

  const std::string& name() const { return name_; }
  const std::map<int64_t, Entry>& rows() const { return rows_; }
  Type type() const { return type_; }
  Metric metric() const { return metric_; }

  // Inserts many rows in one transaction.
  void insert(const std::vector<std::pair<int64_t, Entry>>& batch) {
    db_.exec("BEGIN");
    sqlite3_stmt* stmt = nullptr;
    std::string sql = "INSERT INTO " + name_ + "(rowid, embedding, tag, n) VALUES (?1, ?2, ?3, ?1)";
    REQUIRE(sqlite3_prepare_v2(db_.handle(), sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
    for (const auto& r : batch) {
      sqlite3_bind_int64(stmt, 1, r.first);
      sqlite3_bind_blob(stmt, 2, r.second.vector.data(), static_cast<int>(r.second.vector.size()), SQLITE_STATIC);
      sqlite3_bind_text(stmt, 3, r.second.tag.c_str(), -1, SQLITE_STATIC);
      int rc = sqlite3_step(stmt);
      INFO("insert " << r.first << ": " << sqlite3_errmsg(db_.handle()));
      REQUIRE(rc == SQLITE_DONE);
      sqlite3_reset(stmt);
      rows_[r.first] = r.second;
    }
    sqlite3_finalize(stmt);
    db_.exec("COMMIT");
  }
  // Mirror-only changes, for statements the test runs itself.
  std::map<int64_t, Entry>& mirror() { return rows_; }

  std::vector<Hit> knn(const Bytes& q, int64_t k, int64_t probes, const std::string& where = "") const {
    std::string sql = "SELECT rowid, distance FROM " + name_ + " WHERE embedding MATCH ?1 AND k = ?2" +
                      (probes > 0 ? " AND probes = ?3" : "") + (where.empty() ? "" : " AND " + where) +
                      " ORDER BY distance";
    std::vector<Value> params{Value::blob(q), Value::integer(k)};
    if (probes > 0) params.push_back(Value::integer(probes));
    return hits(db_.query(sql, params), metric_);
  }
  std::vector<Hit> range(const Bytes& q, double bound, int64_t probes) const {
    std::string sql = "SELECT rowid, distance FROM " + name_ + " WHERE embedding MATCH ?1 AND distance < ?2" +
                      (probes > 0 ? " AND probes = ?3" : "");
    std::vector<Value> params{Value::blob(q), Value::real(bound)};
    if (probes > 0) params.push_back(Value::integer(probes));
    return hits(db_.query(sql, params), metric_);
  }
  static std::vector<Hit> hits(const Rows& rows, Metric metric = Metric::L2) {
    std::vector<Hit> out;
    for (const Row& r : rows) {
      REQUIRE(r[0].type == SQLITE_INTEGER);
      // Hamming distances are counts, INTEGER like hamming_distance().
      REQUIRE(r[1].type == (metric == Metric::Hamming ? SQLITE_INTEGER : SQLITE_FLOAT));
      out.push_back({r[0].i, r[1].number()});
    }
    return out;
  }

  double dist(const Bytes& q, int64_t rowid) const { return distance(type_, metric_, q, rows_.at(rowid).vector); }

  // Brute force over the mirror (the shared reference): nearest first, ties
  // by rowid.
  std::vector<Hit> brute(const Bytes& q, size_t k, const std::function<bool(int64_t, const Entry&)>& pass = nullptr) const {
    std::vector<quiver_test::ReferenceRow> candidates;
    for (const auto& r : rows_)
      if (!pass || pass(r.first, r.second)) candidates.push_back({r.first, elements(type_, r.second.vector)});
    return quiver_test::reference_nearest(metric_, elements(type_, q), candidates, k);
  }

  // The search is exact: the same rowids in the same order as brute force,
  // except where float32 rounding may order a near-tie the other way (then
  // the distances must agree). Integer-valued metrics allow no exception.
  void require_exact(const Bytes& q, const std::vector<Hit>& got, const std::vector<Hit>& truth) const {
    REQUIRE(got.size() == truth.size());
    bool integral = type_ == Type::Bit || (type_ == Type::I8 && metric_ != Metric::Cosine);
    std::set<int64_t> seen;
    for (size_t i = 0; i < got.size(); ++i) {
      INFO("position " << i << ": got row " << got[i].rowid << " at " << got[i].distance << ", brute force row "
                       << truth[i].rowid << " at " << truth[i].distance);
      REQUIRE(rows_.count(got[i].rowid) == 1);
      REQUIRE(seen.insert(got[i].rowid).second);
      double tol = 2e-5 * (1 + std::fabs(truth[i].distance));
      REQUIRE(std::fabs(got[i].distance - truth[i].distance) <= tol);
      if (got[i].rowid != truth[i].rowid) {
        REQUIRE_FALSE(integral);
        REQUIRE(std::fabs(dist(q, got[i].rowid) - truth[i].distance) <= tol);
      }
    }
  }

  // Row count in the table and the mirror agree, and the index is sound.
  void check() const {
    db_.exec("INSERT INTO " + name_ + "(" + name_ + ") VALUES ('integrity-check')");
    REQUIRE(db_.integer("SELECT count(*) FROM " + name_) == static_cast<int64_t>(rows_.size()));
  }

  // The list a row is stored in, read from the shadow tables.
  int64_t list_of(int64_t rowid) const {
    return db_.integer("SELECT c.list FROM " + name_ + "_rows r JOIN " + name_ + "_chunks c ON c.id = r.chunk WHERE r.rowid = ?1",
                       {Value::integer(rowid)});
  }

 private:
  const Db& db_;
  std::string name_;
  Type type_;
  Metric metric_;
  size_t dims_;
  std::map<int64_t, Entry> rows_;
};

struct Stats {
  int64_t rows, lists, probes, min_list, median_list, max_list, trained_rows, changed;
  std::string index;
  double trained_spread, spread;
};

Stats stats(const Db& db, const std::string& table) {
  Rows r = db.query(
      "SELECT rows, \"index\", lists, probes, min_list, median_list, max_list, trained_rows, changed, trained_spread, "
      "spread FROM quiver_stats(?1)",
      {Value::text(table)});
  REQUIRE(r.size() == 1);
  const Row& x = r[0];
  for (int c : {0, 2, 3, 4, 5, 6, 7, 8}) REQUIRE(x[c].type == SQLITE_INTEGER);
  REQUIRE(x[1].type == SQLITE_TEXT);
  REQUIRE(x[9].type == SQLITE_FLOAT);
  REQUIRE(x[10].type == SQLITE_FLOAT);
  return Stats{x[0].i, x[2].i, x[3].i, x[4].i, x[5].i, x[6].i, x[7].i, x[8].i, x[1].s, x[9].d, x[10].d};
}

// Sizes of the lists, from the shadow tables.
std::map<int64_t, int64_t> list_sizes(const Db& db, const std::string& table) {
  std::map<int64_t, int64_t> sizes;
  for (const Row& r : db.query("SELECT list, sum(count) FROM " + table + "_chunks GROUP BY list")) sizes[r[0].i] = r[1].i;
  return sizes;
}

// ---- data ----------------------------------------------------------------------

// Points around `centres` random centres: centre ~ N(0, 1) per coordinate,
// point = centre + N(0, sigma); the norm is scaled by a factor drawn from
// [norm_lo, norm_hi] (1 by default).
struct Clusters {
  size_t dim;
  std::vector<std::vector<float>> centres;
  float sigma;
  float norm_lo = 1, norm_hi = 1;

  Clusters(std::mt19937& rng, size_t count, size_t dim_, float sigma_, float shift = 0) : dim(dim_), sigma(sigma_) {
    std::normal_distribution<float> g(0, 1);
    centres.resize(count, std::vector<float>(dim));
    for (auto& c : centres)
      for (float& x : c) x = g(rng) + shift;
  }
  std::vector<float> point(std::mt19937& rng) const {
    std::normal_distribution<float> g(0, sigma);
    std::uniform_real_distribution<float> scale(norm_lo, norm_hi);
    const std::vector<float>& c = centres[rng() % centres.size()];
    std::vector<float> v(dim);
    for (size_t t = 0; t < dim; ++t) v[t] = c[t] + g(rng);
    if (norm_lo != 1 || norm_hi != 1) {
      float s = scale(rng);
      for (float& x : v) x *= s;
    }
    return v;
  }
};

Bytes to_type(Type type, const std::vector<float>& v, float int8_scale = 40) {
  if (type == Type::F32) return f32_bytes(v);
  if (type == Type::I8) {
    Bytes b(v.size());
    for (size_t t = 0; t < v.size(); ++t) {
      long q = std::lround(v[t] * int8_scale);
      b[t] = static_cast<unsigned char>(static_cast<int8_t>(std::max(-127L, std::min(127L, q))));
    }
    return b;
  }
  Bytes b(v.size() / 8, 0);
  for (size_t t = 0; t < v.size(); ++t)
    if (v[t] > 0) b[t / 8] |= static_cast<unsigned char>(1u << (t % 8));
  return b;
}

std::vector<std::pair<int64_t, Entry>> make_rows(std::mt19937& rng, const Clusters& c, Type type, int64_t first,
                                                 int64_t count,
                                                 const std::function<std::string(int64_t)>& tag = nullptr) {
  std::vector<std::pair<int64_t, Entry>> out;
  for (int64_t id = first; id < first + count; ++id) out.push_back({id, Entry{to_type(type, c.point(rng)), tag ? tag(id) : "x"}});
  return out;
}

std::vector<Bytes> make_queries(std::mt19937& rng, const Clusters& c, Type type, size_t count) {
  std::vector<Bytes> out;
  for (size_t i = 0; i < count; ++i) out.push_back(to_type(type, c.point(rng)));
  return out;
}

// Mean recall@k of the table at `probes` over the queries.
double recall(const Table& t, const std::vector<Bytes>& queries, const std::vector<std::vector<Hit>>& truth, int64_t k,
              int64_t probes) {
  double sum = 0;
  for (size_t i = 0; i < queries.size(); ++i) {
    std::vector<Hit> got = t.knn(queries[i], k, probes);
    REQUIRE(got.size() == truth[i].size());  // IVF never comes back short
    sum += quiver_test::recall_of(got, truth[i]);
  }
  return sum / static_cast<double>(queries.size());
}

std::vector<std::vector<Hit>> truths(const Table& t, const std::vector<Bytes>& queries, size_t k) {
  std::vector<std::vector<Hit>> out;
  for (const Bytes& q : queries) out.push_back(t.brute(q, k));
  return out;
}

void rebuild(const Db& db, const std::string& t) { db.exec("INSERT INTO " + t + "(" + t + ") VALUES ('rebuild')"); }
std::string integrity_error(const Db& db, const std::string& t) {
  return db.error("INSERT INTO " + t + "(" + t + ") VALUES ('integrity-check')");
}

// Every query at probes = lists matches brute force.
void require_exact_at_all_lists(const Table& t, const std::vector<Bytes>& queries, int64_t lists, int64_t k) {
  for (size_t i = 0; i < queries.size(); ++i) {
    INFO("query " << i);
    t.require_exact(queries[i], t.knn(queries[i], k, lists), t.brute(queries[i], static_cast<size_t>(k)));
  }
}

// A database file removed (with its journal) when the test ends, failed or
// not; declare it before the connections so that they close first.
}  // namespace

// ---- recall and exactness ------------------------------------------------------------

TEST_CASE("ivf: recall@10 on clustered l2 data rises with probes, probes = lists is exact", "[ivf][recall]") {
  std::mt19937 rng(1001);
  Db db;
  // 20,000 vectors in 48 dimensions around 150 centres; the noise (radius
  // about 7.6) is a little smaller than the distance between centres (about
  // 9.8), so clusters overlap and a query's neighbours spread over lists.
  Clusters c(rng, 150, 48, 1.1f);
  Table t(db, "t", Type::F32, Metric::L2, 48, "lists=64");
  t.insert(make_rows(rng, c, Type::F32, 1, 20000));  // one bulk write: trains at its commit
  REQUIRE(stats(db, "t").trained_rows == 20000);
  rebuild(db, "t");
  Stats st = stats(db, "t");
  REQUIRE(st.lists == 64);
  REQUIRE(st.probes == 8);  // round(sqrt(64))
  REQUIRE(st.rows == 20000);
  REQUIRE(st.trained_rows == 20000);
  REQUIRE(st.changed == 0);
  t.check();

  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 100);
  auto truth = truths(t, queries, 10);
  double r1 = recall(t, queries, truth, 10, 1), r4 = recall(t, queries, truth, 10, 4),
         r8 = recall(t, queries, truth, 10, 8), r16 = recall(t, queries, truth, 10, 16),
         r_default = recall(t, queries, truth, 10, 0);
  INFO("recall@10 at probes 1: " << r1 << ", 4: " << r4 << ", 8: " << r8 << ", 16: " << r16);
  // Measured: 0.771, 0.907, 0.952, 0.982.
  CHECK(r_default == r8);
  CHECK(r1 < r4);
  CHECK(r4 < r16);
  CHECK(r1 > 0.6);
  CHECK(r1 < 0.9);  // the data is not trivial
  CHECK(r4 > 0.85);
  CHECK(r8 > 0.92);
  CHECK(r16 > 0.96);
  require_exact_at_all_lists(t, queries, 64, 10);
  // probes beyond lists is the same as all lists.
  for (size_t i = 0; i < 10; ++i) t.require_exact(queries[i], t.knn(queries[i], 10, 1000), truth[i]);
}

TEST_CASE("ivf: cosine trains on directions, recall rises with probes, probes = lists is exact", "[ivf][recall]") {
  std::mt19937 rng(1002);
  Db db;
  Clusters c(rng, 60, 32, 1.2f);
  c.norm_lo = 0.2f;  // lengths vary and must not matter
  c.norm_hi = 5.0f;
  Table t(db, "t", Type::F32, Metric::Cosine, 32, "lists=32");
  t.insert(make_rows(rng, c, Type::F32, 1, 6000));
  rebuild(db, "t");
  Stats st = stats(db, "t");
  REQUIRE(st.lists == 32);
  // The quantizer works on unit vectors: distances to the (unit) centroids
  // stay below 2 although the rows' lengths go up to 5.
  REQUIRE(st.trained_spread < 1.5);
  REQUIRE(std::fabs(st.spread - st.trained_spread) <= 1e-5);
  t.check();
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 60);
  auto truth = truths(t, queries, 10);
  double r1 = recall(t, queries, truth, 10, 1), r4 = recall(t, queries, truth, 10, 4),
         r8 = recall(t, queries, truth, 10, 8), r16 = recall(t, queries, truth, 10, 16);
  INFO("cosine recall@10 at probes 1: " << r1 << ", 4: " << r4 << ", 8: " << r8);
  // Measured: 0.592, 0.817, 0.923, 0.983.
  CHECK(r1 < r4);
  CHECK(r4 < r8);
  CHECK(r8 < r16);
  CHECK(r1 > 0.45);
  CHECK(r1 < 0.8);
  CHECK(r8 > 0.88);
  CHECK(r16 > 0.96);
  require_exact_at_all_lists(t, queries, 32, 10);
}

TEST_CASE("ivf: dot (maximum inner product) on vectors of varied norms", "[ivf][recall]") {
  std::mt19937 rng(1003);
  Db db;
  Clusters c(rng, 60, 32, 0.8f);
  c.norm_lo = 0.3f;
  c.norm_hi = 3.0f;
  Table t(db, "t", Type::F32, Metric::Dot, 32, "lists=32");
  t.insert(make_rows(rng, c, Type::F32, 1, 6000));
  rebuild(db, "t");
  REQUIRE(stats(db, "t").lists == 32);
  t.check();
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 60);
  auto truth = truths(t, queries, 10);
  double r1 = recall(t, queries, truth, 10, 1), r4 = recall(t, queries, truth, 10, 4),
         r8 = recall(t, queries, truth, 10, 8), r16 = recall(t, queries, truth, 10, 16);
  INFO("dot recall@10 at probes 1: " << r1 << ", 4: " << r4 << ", 8: " << r8 << ", 16: " << r16);
  // Measured: 0.632, 0.920, 0.945, 0.992.
  CHECK(r1 < r4);
  CHECK(r4 < r16);
  CHECK(r1 < 0.85);
  CHECK(r4 > 0.85);
  CHECK(r8 > 0.9);
  CHECK(r16 > 0.97);
  require_exact_at_all_lists(t, queries, 32, 10);
  // Rows inserted after training with a norm beyond the training maximum are
  // still found (their augmented coordinate is 0).
  std::vector<float> big = c.point(rng);
  for (float& x : big) x *= 10;
  t.insert({{100000, Entry{f32_bytes(big), "big"}}});
  t.check();
  std::vector<Hit> got = t.knn(f32_bytes(big), 1, 0);
  REQUIRE(got.size() == 1);
  REQUIRE(got[0].rowid == 100000);
}

TEST_CASE("ivf: int8 tables are exact at probes = lists for l2, dot and cosine", "[ivf][exact]") {
  std::mt19937 rng(1004);
  Clusters c(rng, 40, 48, 1.0f);
  for (Metric m : {Metric::L2, Metric::Dot, Metric::Cosine}) {
    INFO("metric " << static_cast<int>(m));
    Db db;
    Table t(db, "t", Type::I8, m, 48, "lists=16");
    auto rows = make_rows(rng, c, Type::I8, 1, 3000);
    // Exact duplicates, so that ties have to be broken by rowid.
    for (int64_t i = 0; i < 100; ++i) rows.push_back({5000 + i, Entry{rows[static_cast<size_t>(i)].second.vector, "dup"}});
    t.insert(rows);
    rebuild(db, "t");
    REQUIRE(stats(db, "t").lists == 16);
    t.check();
    std::vector<Bytes> queries = make_queries(rng, c, Type::I8, 30);
    for (int64_t i = 0; i < 10; ++i) queries.push_back(rows[static_cast<size_t>(i)].second.vector);
    require_exact_at_all_lists(t, queries, 16, 10);
    auto truth = truths(t, queries, 10);
    double r4 = recall(t, queries, truth, 10, 4);
    INFO("int8 recall@10 at probes 4: " << r4);
    CHECK(r4 > 0.9);  // measured 0.998 (l2), 0.983 (dot), 0.998 (cosine)
  }
}

TEST_CASE("ivf: bit tables (hamming) are exact at probes = lists, ties by rowid", "[ivf][exact]") {
  std::mt19937 rng(1005);
  Db db;
  Clusters c(rng, 40, 128, 1.5f);
  Table t(db, "t", Type::Bit, Metric::Hamming, 128, "lists=16");
  auto rows = make_rows(rng, c, Type::Bit, 1, 4000);
  for (int64_t i = 0; i < 50; ++i) rows.push_back({9000 - i, Entry{rows[static_cast<size_t>(i)].second.vector, "dup"}});
  t.insert(rows);
  rebuild(db, "t");
  REQUIRE(stats(db, "t").lists == 16);
  t.check();
  std::vector<Bytes> queries = make_queries(rng, c, Type::Bit, 40);
  for (int64_t i = 0; i < 10; ++i) queries.push_back(rows[static_cast<size_t>(i)].second.vector);
  require_exact_at_all_lists(t, queries, 16, 10);
  // k = 50: many rows at equal distances.
  for (size_t i = 0; i < 10; ++i) t.require_exact(queries[i], t.knn(queries[i], 50, 16), t.brute(queries[i], 50));
  auto truth = truths(t, queries, 10);
  double r1 = recall(t, queries, truth, 10, 1), r4 = recall(t, queries, truth, 10, 4),
         r8 = recall(t, queries, truth, 10, 8);
  INFO("hamming recall@10 at probes 1: " << r1 << ", 4: " << r4 << ", 8: " << r8);
  // Measured: 0.750, 0.908, 0.974.
  CHECK(r1 < r4);
  CHECK(r4 < r8);
  CHECK(r1 < 0.9);
  CHECK(r4 > 0.85);
  CHECK(r8 > 0.93);
}

// ---- training ------------------------------------------------------------------------------

TEST_CASE("ivf: before training the table answers exactly at any probes", "[ivf][training]") {
  std::mt19937 rng(1006);
  Db db;
  Clusters c(rng, 20, 16, 0.8f);
  Table t(db, "t", Type::F32, Metric::L2, 16, "lists=64");  // trains at max(10000, 39 * 64) rows
  t.insert(make_rows(rng, c, Type::F32, 1, 500));
  Stats st = stats(db, "t");
  REQUIRE(st.lists == 0);
  REQUIRE(st.rows == 500);
  REQUIRE(st.index == "ivf");
  REQUIRE(st.trained_rows == 0);
  REQUIRE(st.probes == 1);
  REQUIRE(st.min_list == 500);
  REQUIRE(st.max_list == 500);
  REQUIRE(db.integer("SELECT count(*) FROM t_centroids") == 0);
  t.check();
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 20);
  for (int64_t probes : {0, 1, 2, 64})
    for (size_t i = 0; i < queries.size(); ++i) {
      INFO("probes " << probes << " query " << i);
      t.require_exact(queries[i], t.knn(queries[i], 10, probes), t.brute(queries[i], 10));
      t.require_exact(queries[i], t.knn(queries[i], 10, probes, "tag = 'x' AND n > 250"),
                      t.brute(queries[i], 10, [](int64_t id, const Entry&) { return id > 250; }));
    }
  // A rebuild trains even below the threshold.
  rebuild(db, "t");
  st = stats(db, "t");
  REQUIRE(st.lists == 64);
  REQUIRE(st.trained_rows == 500);
  REQUIRE(db.integer("SELECT count(*) FROM t_centroids") == 64);
  t.check();
  require_exact_at_all_lists(t, queries, 64, 10);
}

TEST_CASE("ivf: a bulk write past the threshold trains at its commit, again when the rows double", "[ivf][training]") {
  std::mt19937 rng(1007);
  Db db;
  Clusters c(rng, 10, 8, 0.5f);
  Table t(db, "t", Type::F32, Metric::L2, 8, "lists=4");
  t.insert(make_rows(rng, c, Type::F32, 1, 9999));
  REQUIRE(stats(db, "t").lists == 0);
  // Small transactions never train, past the threshold or not: a single
  // INSERT never waits for training.
  t.insert(make_rows(rng, c, Type::F32, 10000, 1));
  t.insert(make_rows(rng, c, Type::F32, 10001, 999));
  Stats st = stats(db, "t");
  REQUIRE(st.rows == 10999);
  REQUIRE(st.lists == 0);
  // A transaction of 1,000 rows trains at its commit.
  t.insert(make_rows(rng, c, Type::F32, 11000, 1000));
  st = stats(db, "t");
  REQUIRE(st.lists == 4);
  REQUIRE(st.trained_rows == 11999);
  REQUIRE(st.changed == 0);
  REQUIRE(st.min_list + st.max_list <= 11999);
  REQUIRE(st.trained_spread > 0);
  t.check();
  // Deletes never train; the count follows them.
  db.exec("DELETE FROM t WHERE rowid <= 100");
  for (int64_t id = 1; id <= 100; ++id) t.mirror().erase(id);
  t.check();
  st = stats(db, "t");
  REQUIRE(st.rows == 11899);
  REQUIRE(st.trained_rows == 11999);
  REQUIRE(st.changed == 0);
  // 12,098 more rows: 23,997, short of twice the trained 11,999.
  t.insert(make_rows(rng, c, Type::F32, 20001, 12098));
  st = stats(db, "t");
  REQUIRE(st.rows == 23997);
  REQUIRE(st.trained_rows == 11999);
  REQUIRE(st.changed == 12098);
  // Doubled, but by a single row: no retraining until a bulk write.
  t.insert(make_rows(rng, c, Type::F32, 40000, 1));
  REQUIRE(stats(db, "t").trained_rows == 11999);
  t.check();
  t.insert(make_rows(rng, c, Type::F32, 40001, 1000));
  st = stats(db, "t");
  REQUIRE(st.rows == 24998);
  REQUIRE(st.trained_rows == 24998);
  REQUIRE(st.changed == 0);
  t.check();
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 10);
  require_exact_at_all_lists(t, queries, 4, 10);
}

TEST_CASE("ivf: train=manual trains on 'rebuild' only, and a rolled-back bulk write does not train", "[ivf][training]") {
  std::mt19937 rng(1010);
  Db db;
  Clusters c(rng, 10, 8, 0.5f);
  Table t(db, "t", Type::F32, Metric::L2, 8, "lists=4, train=manual");
  t.insert(make_rows(rng, c, Type::F32, 1, 12000));
  REQUIRE(stats(db, "t").lists == 0);
  rebuild(db, "t");
  REQUIRE(stats(db, "t").trained_rows == 12000);
  t.insert(make_rows(rng, c, Type::F32, 12001, 13000));
  REQUIRE(stats(db, "t").trained_rows == 12000);
  t.check();
  // train=auto: the rows of a rolled-back transaction do not count towards
  // the next one.
  Table u(db, "u", Type::F32, Metric::L2, 8, "lists=4, train=auto");
  u.insert(make_rows(rng, c, Type::F32, 1, 9500));
  db.exec("BEGIN");
  for (int64_t id = 20000; id < 20600; ++id)
    db.exec("INSERT INTO u(rowid, embedding) VALUES (?1, ?2)",
            {Value::integer(id), Value::blob(make_rows(rng, c, Type::F32, id, 1)[0].second.vector)});
  db.exec("ROLLBACK");
  u.insert(make_rows(rng, c, Type::F32, 9501, 600));
  REQUIRE(stats(db, "u").lists == 0);  // 10,100 rows, but 600 in the last write
  u.insert(make_rows(rng, c, Type::F32, 10101, 1000));
  REQUIRE(stats(db, "u").trained_rows == 11100);
  u.check();
  REQUIRE(db.error("CREATE VIRTUAL TABLE f USING quiver(embedding float[2], train=manual)") ==
          "quiver: train applies to index=ivf only");
  REQUIRE(db.error("CREATE VIRTUAL TABLE f USING quiver(embedding float[2], index=ivf, train=later)") ==
          "quiver: unknown train \"later\" (expected auto or manual)");
}

TEST_CASE("ivf: with many lists the threshold is 39 rows per list", "[ivf][training]") {
  std::mt19937 rng(1008);
  Db db;
  Clusters c(rng, 50, 4, 0.5f);
  Table t(db, "t", Type::F32, Metric::L2, 4, "lists=300");  // threshold 11,700
  t.insert(make_rows(rng, c, Type::F32, 1, 11699));
  REQUIRE(stats(db, "t").lists == 0);
  t.insert(make_rows(rng, c, Type::F32, 20000, 1000));
  Stats st = stats(db, "t");
  REQUIRE(st.lists == 300);
  REQUIRE(st.trained_rows == 12699);
  REQUIRE(st.probes == 17);  // round(sqrt(300))
  REQUIRE(st.min_list >= 1);  // no list left empty
  t.check();
}

TEST_CASE("ivf: without a lists option the table picks rows / 1000 lists", "[ivf][training]") {
  std::mt19937 rng(1009);
  Db db;
  Clusters c(rng, 10, 4, 0.5f);
  Table t(db, "t", Type::F32, Metric::L2, 4, "probes=2");
  t.insert(make_rows(rng, c, Type::F32, 1, 3500));
  rebuild(db, "t");
  Stats st = stats(db, "t");
  REQUIRE(st.lists == 3);
  REQUIRE(st.probes == 2);
  // Fewer than 1000 rows: one list.
  Table u(db, "u", Type::F32, Metric::L2, 4, "");
  u.insert(make_rows(rng, c, Type::F32, 1, 10));
  rebuild(db, "u");
  REQUIRE(stats(db, "u").lists == 1);
  u.check();
  // An empty table has nothing to train on.
  Table e(db, "e", Type::F32, Metric::L2, 4, "lists=8");
  rebuild(db, "e");
  REQUIRE(stats(db, "e").lists == 0);
  e.check();
}

// ---- writes after training ---------------------------------------------------------------

TEST_CASE("ivf: inserts, deletes and updates after training keep every row in its nearest list", "[ivf][writes]") {
  std::mt19937 rng(1010);
  Db db;
  Clusters c(rng, 30, 16, 0.6f);
  Table t(db, "t", Type::F32, Metric::L2, 16, "lists=16");
  t.insert(make_rows(rng, c, Type::F32, 1, 3000));
  rebuild(db, "t");
  REQUIRE(stats(db, "t").lists == 16);
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 20);
  int64_t changed = 0;
  auto verify = [&](const char* what) {
    INFO("after " << what);
    t.check();
    require_exact_at_all_lists(t, queries, 16, 10);
    Stats st = stats(db, "t");
    REQUIRE(st.rows == static_cast<int64_t>(t.rows().size()));
    REQUIRE(st.trained_rows == 3000);
    REQUIRE(st.changed == changed);
    int64_t total = 0;
    for (const auto& s : list_sizes(db, "t")) total += s.second;
    REQUIRE(total == st.rows);
  };
  verify("training");

  // Inserts land in their nearest list.
  auto fresh = make_rows(rng, c, Type::F32, 10001, 500);
  t.insert(fresh);
  changed += 500;
  verify("inserts");
  for (const auto& r : fresh) {
    // Each new row is found at distance 0 at probes = 1 (its own list comes first).
    std::vector<Hit> got = t.knn(r.second.vector, 1, 1);
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].distance == 0);
  }

  // Deletes: the rows never come back, whatever the probes.
  std::vector<int64_t> gone;
  for (int64_t id = 1; id <= 3000; id += 7) gone.push_back(id);
  db.exec("BEGIN");
  for (int64_t id : gone) {
    db.exec("DELETE FROM t WHERE rowid = ?1", {Value::integer(id)});
  }
  db.exec("COMMIT");
  std::vector<Bytes> gone_vectors;
  for (int64_t id : gone) {
    gone_vectors.push_back(t.mirror().at(id).vector);
    t.mirror().erase(id);
  }
  verify("deletes");
  for (size_t i = 0; i < gone.size(); i += 5) {
    for (const Hit& h : t.knn(gone_vectors[i], 20, 16)) REQUIRE(std::find(gone.begin(), gone.end(), h.rowid) == gone.end());
    REQUIRE(db.integer("SELECT count(*) FROM t WHERE rowid = ?1", {Value::integer(gone[i])}) == 0);
  }

  // UPDATE of a vector: moved to a far centre, the row changes list and a
  // query there finds it at probes = 1.
  int moved = 0;
  for (int64_t id = 2; id <= 400; id += 3) {
    if (!t.rows().count(id)) continue;
    const std::vector<float>& target = c.centres[static_cast<size_t>(id) % c.centres.size()];
    std::vector<float> v = target;
    std::normal_distribution<float> g(0, 0.05f);
    for (float& x : v) x += g(rng);
    int64_t before = t.list_of(id);
    db.exec("UPDATE t SET embedding = ?1 WHERE rowid = ?2", {Value::blob(f32_bytes(v)), Value::integer(id)});
    t.mirror()[id].vector = f32_bytes(v);
    int64_t after = t.list_of(id);
    if (after != before) {
      ++changed;
      ++moved;
    }
    std::vector<Hit> got = t.knn(f32_bytes(v), 1, 1);
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].rowid == id);
    REQUIRE(got[0].distance == 0);
  }
  REQUIRE(moved > 50);  // most of them did change list
  verify("vector updates");

  // UPDATE of metadata only: no move, nothing changed.
  db.exec("UPDATE t SET tag = 'meta' WHERE rowid BETWEEN 500 AND 600");
  for (auto& r : t.mirror())
    if (r.first >= 500 && r.first <= 600) r.second.tag = "meta";
  verify("metadata updates");
  REQUIRE(db.integer("SELECT count(*) FROM t WHERE tag = 'meta'") ==
          static_cast<int64_t>(std::count_if(t.rows().begin(), t.rows().end(), [](const auto& r) { return r.second.tag == "meta"; })));

  // UPDATE of an identical vector: stays where it is.
  {
    int64_t id = 1001;
    int64_t before = t.list_of(id);
    db.exec("UPDATE t SET embedding = embedding WHERE rowid = ?1", {Value::integer(id)});
    REQUIRE(t.list_of(id) == before);
    verify("an identical vector");
  }

  // Rowid changes, with and without a new vector.
  db.exec("UPDATE t SET rowid = rowid + 100000 WHERE rowid BETWEEN 1500 AND 1519");
  for (int64_t id = 1500; id <= 1519; ++id) {
    if (!t.rows().count(id)) continue;
    t.mirror()[id + 100000] = t.mirror().at(id);
    t.mirror().erase(id);
    ++changed;
  }
  verify("rowid changes");
  {
    std::vector<float> v = c.point(rng);
    REQUIRE(t.rows().count(1600) == 1);
    db.exec("UPDATE t SET rowid = 200000, embedding = ?1 WHERE rowid = 1600", {Value::blob(f32_bytes(v))});
    t.mirror()[200000] = Entry{f32_bytes(v), t.mirror().at(1600).tag};
    t.mirror().erase(1600);
    ++changed;
    verify("a rowid change with a new vector");
    std::vector<Hit> got = t.knn(f32_bytes(v), 1, 1);
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].rowid == 200000);
  }
  // A rowid change onto an existing row fails without OR REPLACE and
  // replaces it with.
  REQUIRE(t.rows().count(1700) == 1);
  REQUIRE(t.rows().count(1701) == 1);
  REQUIRE(db.error("UPDATE t SET rowid = 1700 WHERE rowid = 1701").find("UNIQUE") != std::string::npos);
  verify("a failed rowid change");
  REQUIRE(t.rows().count(1703) == 1);
  db.exec("UPDATE OR REPLACE t SET rowid = 1700 WHERE rowid = 1703");
  t.mirror()[1700] = t.mirror().at(1703);
  t.mirror().erase(1703);
  ++changed;
  verify("UPDATE OR REPLACE");

  // INSERT OR REPLACE: the old row goes, the new one lands in its list.
  db.exec("BEGIN");
  for (int64_t id = 1800; id < 1850; ++id) {
    std::vector<float> v = c.point(rng);
    db.exec("INSERT OR REPLACE INTO t(rowid, embedding, tag, n) VALUES (?1, ?2, 'replaced', ?1)",
            {Value::integer(id), Value::blob(f32_bytes(v))});
    t.mirror()[id] = Entry{f32_bytes(v), "replaced"};
    ++changed;
  }
  db.exec("COMMIT");
  verify("INSERT OR REPLACE");
  REQUIRE(db.integer("SELECT count(*) FROM t WHERE tag = 'replaced'") == 50);
  // Plain INSERT onto an existing rowid fails and changes nothing.
  REQUIRE(db.error("INSERT INTO t(rowid, embedding) VALUES (1800, ?1)", {Value::blob(queries[0])}).find("UNIQUE") !=
          std::string::npos);
  verify("a failed insert");

  // A statement that fails half-way leaves nothing behind, also in lists.
  {
    std::vector<float> v = c.point(rng);
    std::string bad = "[1, 2]";
    REQUIRE(db.error("INSERT INTO t(rowid, embedding) VALUES (300001, ?1), (300002, ?2)",
                     {Value::blob(f32_bytes(v)), Value::text(bad)})
                .find("dimension") != std::string::npos);
    verify("a failed multi-row insert");
  }

  // Automatic rowids after training.
  {
    std::vector<float> v = c.point(rng);
    db.exec("INSERT INTO t(embedding, tag) VALUES (?1, 'auto')", {Value::blob(f32_bytes(v))});
    int64_t id = db.integer("SELECT rowid FROM t WHERE tag = 'auto'");
    REQUIRE(id == t.rows().rbegin()->first + 1);
    t.mirror()[id] = Entry{f32_bytes(v), "auto"};
    ++changed;
    verify("an automatic rowid");
  }
}

// ---- drift and rebuild ---------------------------------------------------------------------

TEST_CASE("ivf: after drift the spread grows, a rebuild brings it back and recall improves", "[ivf][rebuild]") {
  std::mt19937 rng(1011);
  Db db;
  Clusters before(rng, 12, 24, 0.6f);
  Clusters after(rng, 12, 24, 0.6f);  // other centres
  Table t(db, "t", Type::F32, Metric::L2, 24, "lists=32, probes=2");
  t.insert(make_rows(rng, before, Type::F32, 1, 3000));
  rebuild(db, "t");
  Stats trained = stats(db, "t");
  REQUIRE(trained.lists == 32);
  REQUIRE(trained.trained_spread > 0);
  REQUIRE(std::fabs(trained.spread - trained.trained_spread) <= 1e-5 * trained.trained_spread);
  // 2,900 rows of the new distribution: short of doubling, no retraining.
  t.insert(make_rows(rng, after, Type::F32, 10001, 2900));
  Stats drifted = stats(db, "t");
  REQUIRE(drifted.trained_rows == 3000);
  REQUIRE(drifted.changed == 2900);
  REQUIRE(drifted.trained_spread == trained.trained_spread);
  INFO("trained spread " << trained.trained_spread << ", drifted " << drifted.spread);
  REQUIRE(drifted.spread > 1.3 * drifted.trained_spread);
  std::vector<Bytes> queries = make_queries(rng, after, Type::F32, 60);
  auto truth = truths(t, queries, 10);
  double recall_drifted = recall(t, queries, truth, 10, 0);
  t.check();

  rebuild(db, "t");
  Stats rebuilt = stats(db, "t");
  INFO("rebuilt spread " << rebuilt.spread);
  REQUIRE(rebuilt.trained_rows == 5900);
  REQUIRE(rebuilt.changed == 0);
  REQUIRE(rebuilt.spread < 0.8 * drifted.spread);
  REQUIRE(std::fabs(rebuilt.spread - rebuilt.trained_spread) <= 1e-5 * rebuilt.trained_spread);
  double recall_rebuilt = recall(t, queries, truth, 10, 0);
  INFO("recall@10 at probes 2: drifted " << recall_drifted << ", rebuilt " << recall_rebuilt);
  // Measured: spread 2.82 at training, 4.32 drifted, 2.88 rebuilt; recall
  // 0.72 drifted, 0.99 rebuilt.
  REQUIRE(recall_drifted < 0.85);
  REQUIRE(recall_rebuilt > 0.95);
  REQUIRE(recall_rebuilt > recall_drifted + 0.1);
  t.check();
  require_exact_at_all_lists(t, queries, 32, 10);
}

TEST_CASE("ivf: training is deterministic for given rows: a second rebuild trains the same index", "[ivf][rebuild]") {
  // README: "training is deterministic for given rows". Rebuilding a table
  // whose rows did not change must give the same centroids and lists.
  std::mt19937 rng(1020);
  Clusters c(rng, 12, 8, 0.6f);
  auto rows = make_rows(rng, c, Type::F32, 1, 2000);
  for (int64_t count : {300, 2000}) {  // a sample of every row, and of some
    INFO(count << " rows");
    Db db;
    Table t(db, "t", Type::F32, Metric::L2, 8, "lists=8");
    t.insert(std::vector<std::pair<int64_t, Entry>>(rows.begin(), rows.begin() + count));
    rebuild(db, "t");
    Rows first = db.query("SELECT centroid FROM t_centroids ORDER BY list");
    Stats st = stats(db, "t");
    rebuild(db, "t");
    Rows second = db.query("SELECT centroid FROM t_centroids ORDER BY list");
    REQUIRE(first.size() == second.size());
    size_t same = 0;
    for (size_t i = 0; i < first.size(); ++i) same += first[i][0].s == second[i][0].s;
    CHECK(same == first.size());
    CHECK(stats(db, "t").trained_spread == st.trained_spread);
    t.check();
  }
}

// ---- filters ---------------------------------------------------------------------------------

TEST_CASE("ivf: a selective filter still returns k rows, exactly the nearest at probes = lists", "[ivf][filters]") {
  std::mt19937 rng(1012);
  Db db;
  Clusters c(rng, 64, 32, 0.6f);
  Table t(db, "t", Type::F32, Metric::L2, 32, "lists=64");
  auto tag = [](int64_t id) {
    if (id == 17 || id == 5003 || id == 9999) return std::string("trio");
    return std::string(id % 100 == 0 ? "rare" : "common");
  };
  t.insert(make_rows(rng, c, Type::F32, 1, 10000, tag));
  rebuild(db, "t");
  REQUIRE(stats(db, "t").lists == 64);
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 30);
  auto rare = [](int64_t, const Entry& e) { return e.tag == "rare"; };
  auto trio = [](int64_t, const Entry& e) { return e.tag == "trio"; };
  for (size_t i = 0; i < queries.size(); ++i) {
    INFO("query " << i);
    for (int64_t probes : {1, 2, 8}) {
      std::vector<Hit> got = t.knn(queries[i], 10, probes, "tag = 'rare'");
      REQUIRE(got.size() == 10);
      for (const Hit& h : got) REQUIRE(h.rowid % 100 == 0);
      REQUIRE(std::is_sorted(got.begin(), got.end(), [](const Hit& a, const Hit& b) { return a.distance < b.distance; }));
      // Every row that passes the filter, if asked for more than there are.
      REQUIRE(t.knn(queries[i], 500, probes, "tag = 'rare'").size() == 100);
      // Three rows.
      std::vector<Hit> three = t.knn(queries[i], 10, probes, "tag = 'trio'");
      t.require_exact(queries[i], three, t.brute(queries[i], 10, trio));
      REQUIRE(t.knn(queries[i], 10, probes, "tag = 'none'").empty());
      // Filters on the integer column and on rowid work the same way.
      REQUIRE(t.knn(queries[i], 10, probes, "n IN (1, 2, 3)").size() == 3);
      REQUIRE(t.knn(queries[i], 10, probes, "rowid IN (4, 5, 6, 7)").size() == 4);
    }
    t.require_exact(queries[i], t.knn(queries[i], 10, 64, "tag = 'rare'"), t.brute(queries[i], 10, rare));
    t.require_exact(queries[i], t.knn(queries[i], 10, 64, "tag = 'common' AND n > 5000"),
                    t.brute(queries[i], 10, [](int64_t id, const Entry& e) { return e.tag == "common" && id > 5000; }));
  }
  // LIMIT instead of k, streaming: as many rows as asked for.
  Rows limited = db.query("SELECT rowid FROM t WHERE embedding MATCH ?1 AND probes = 1 AND tag = 'rare' ORDER BY distance LIMIT 25",
                          {Value::blob(queries[0])});
  REQUIRE(limited.size() == 25);
}

// ---- range queries ------------------------------------------------------------------------------

TEST_CASE("ivf: range queries are exact at probes = lists and grow with probes", "[ivf][range]") {
  std::mt19937 rng(1013);
  Db db;
  Clusters c(rng, 40, 16, 0.6f);
  Table t(db, "t", Type::F32, Metric::L2, 16, "lists=32");
  t.insert(make_rows(rng, c, Type::F32, 1, 5000));
  rebuild(db, "t");
  REQUIRE(stats(db, "t").lists == 32);
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 25);
  size_t nonempty = 0;
  for (size_t i = 0; i < queries.size(); ++i) {
    INFO("query " << i);
    // A bound that takes in about 100 rows.
    std::vector<Hit> near = t.brute(queries[i], 100);
    double bound = near.back().distance;
    std::set<int64_t> truth;
    for (const auto& r : t.rows())
      if (t.dist(queries[i], r.first) < bound) truth.insert(r.first);
    std::set<int64_t> all;
    for (const Hit& h : t.range(queries[i], bound, 32)) {
      REQUIRE(h.distance < bound);
      all.insert(h.rowid);
    }
    // Rows within rounding of the bound may fall either way.
    for (int64_t id : truth)
      if (!all.count(id)) REQUIRE(t.dist(queries[i], id) > bound - 1e-5 * (1 + bound));
    for (int64_t id : all)
      if (!truth.count(id)) REQUIRE(t.dist(queries[i], id) < bound + 1e-5 * (1 + bound));
    std::set<int64_t> previous;
    for (int64_t probes : {1, 2, 4, 8, 16, 32}) {
      std::set<int64_t> got;
      for (const Hit& h : t.range(queries[i], bound, probes)) {
        REQUIRE(h.distance < bound);
        got.insert(h.rowid);
      }
      INFO("probes " << probes);
      REQUIRE(std::includes(got.begin(), got.end(), previous.begin(), previous.end()));
      REQUIRE(std::includes(all.begin(), all.end(), got.begin(), got.end()));
      previous = got;
    }
    REQUIRE(previous == all);
    nonempty += t.range(queries[i], bound, 1).size() < all.size();
    // With k as well: the k nearest within the bound.
    std::vector<Hit> both = Table::hits(db.query(
        "SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND distance < ?2 AND k = 5 AND probes = 32",
        {Value::blob(queries[i]), Value::real(bound)}));
    t.require_exact(queries[i], both, t.brute(queries[i], 5));
  }
  // For most queries one list does not hold the whole ball.
  REQUIRE(nonempty > queries.size() / 2);
}

// ---- integrity-check ---------------------------------------------------------------------------

namespace {

int64_t rowid_at(const Db& db, const std::string& table, int64_t chunk, int64_t slot) {
  Rows r = db.query("SELECT rowids FROM " + table + "_vectors WHERE id = ?1", {Value::integer(chunk)});
  REQUIRE(r.size() == 1);
  int64_t id;
  std::memcpy(&id, r[0][0].s.data() + 8 * slot, 8);
  return id;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("ivf: integrity-check finds rows in the wrong list and a wrong row count", "[ivf][integrity]") {
  std::mt19937 rng(1014);
  Db db;
  int off = 1;
  REQUIRE(sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_DEFENSIVE, 0, &off) == SQLITE_OK);
  Clusters c(rng, 16, 8, 0.2f);  // well apart: every row is far nearer its own centroid
  Table t(db, "t", Type::F32, Metric::L2, 8, "lists=8");
  t.insert(make_rows(rng, c, Type::F32, 1, 2000));
  rebuild(db, "t");
  REQUIRE(stats(db, "t").lists == 8);
  t.check();
  Rows chunks = db.query("SELECT id, list, count FROM t_chunks ORDER BY count DESC, id");
  REQUIRE(chunks.size() >= 8);
  int64_t big = chunks[0][0].i, big_list = chunks[0][1].i;
  int64_t other = -1;
  for (const Row& r : chunks)
    if (r[1].i != big_list) {
      other = r[0].i;
      break;
    }
  REQUIRE(other >= 0);

  SECTION("a chunk moved to another list") {
    db.exec("BEGIN");
    db.exec("UPDATE t_chunks SET list = ?1 WHERE id = ?2", {Value::integer((big_list + 1) % 8), Value::integer(big)});
    std::string e = integrity_error(db, "t");
    INFO(e);
    REQUIRE(contains(e, "quiver: corrupt index:"));
    REQUIRE(contains(e, "list"));
    db.exec("ROLLBACK");
  }
  SECTION("a chunk moved to a list that does not exist") {
    db.exec("BEGIN");
    db.exec("UPDATE t_chunks SET list = 99 WHERE id = ?1", {Value::integer(big)});
    std::string e = integrity_error(db, "t");
    INFO(e);
    REQUIRE(contains(e, "in list 99"));
    db.exec("ROLLBACK");
  }
  SECTION("two vectors swapped between lists") {
    db.exec("BEGIN");
    Rows a = db.query("SELECT vectors FROM t_vectors WHERE id = ?1", {Value::integer(big)});
    Rows b = db.query("SELECT vectors FROM t_vectors WHERE id = ?1", {Value::integer(other)});
    std::string va = a[0][0].s, vb = b[0][0].s;
    std::swap_ranges(va.begin(), va.begin() + 32, vb.begin());  // slot 0: 8 floats
    db.exec("UPDATE t_vectors SET vectors = ?1 WHERE id = ?2",
            {Value::blob(Bytes(va.begin(), va.end())), Value::integer(big)});
    db.exec("UPDATE t_vectors SET vectors = ?1 WHERE id = ?2",
            {Value::blob(Bytes(vb.begin(), vb.end())), Value::integer(other)});
    std::string e = integrity_error(db, "t");
    INFO(e);
    int64_t first = std::min(big, other);
    int64_t row = rowid_at(db, "t", first, 0);
    int64_t list =
        first == big ? big_list : db.integer("SELECT list FROM t_chunks WHERE id = ?1", {Value::integer(other)});
    REQUIRE(e == "quiver: corrupt index: row " + std::to_string(row) + " is in list " + std::to_string(list) +
                     ", not the list of its nearest centroid");
    db.exec("ROLLBACK");
  }
  SECTION("a centroid moved far away") {
    db.exec("BEGIN");
    db.exec("UPDATE t_centroids SET centroid = ?1 WHERE list = ?2",
            {Value::blob(f32_bytes(std::vector<float>(8, 1000.0f))), Value::integer(big_list)});
    std::string e = integrity_error(db, "t");
    INFO(e);
    REQUIRE(contains(e, "is in list " + std::to_string(big_list) + ", not the list of its nearest centroid"));
    db.exec("ROLLBACK");
  }
  SECTION("a centroid missing") {
    db.exec("BEGIN");
    db.exec("DELETE FROM t_centroids WHERE list = 7");
    std::string e = integrity_error(db, "t");
    INFO(e);
    REQUIRE(contains(e, "7 centroids but config says 8 lists"));
    db.exec("ROLLBACK");
  }
  SECTION("a wrong row count in t_config") {
    db.exec("BEGIN");
    db.exec("UPDATE t_config SET value = '2001' WHERE key = 'count'");
    REQUIRE(integrity_error(db, "t") == "quiver: corrupt index: config count is 2001 but the chunks hold 2000 rows");
    db.exec("ROLLBACK");
  }
  // Each damage was rolled back: the table is sound again.
  t.check();
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 5);
  require_exact_at_all_lists(t, queries, 8, 10);
}

// ---- diagnostics ------------------------------------------------------------------------------

TEST_CASE("ivf: quiver_recall reaches 1.0 at probes = lists, quiver_stats is consistent", "[ivf][diagnostics]") {
  std::mt19937 rng(1015);
  Db db;
  Clusters c(rng, 40, 16, 1.2f);
  Table t(db, "t", Type::F32, Metric::L2, 16, "lists=32");
  t.insert(make_rows(rng, c, Type::F32, 1, 5000));
  rebuild(db, "t");
  Stats st = stats(db, "t");
  REQUIRE(st.index == "ivf");
  REQUIRE(st.lists == 32);
  REQUIRE(st.probes == 6);
  REQUIRE(st.rows == 5000);
  REQUIRE(st.trained_rows == 5000);
  REQUIRE(st.changed == 0);
  REQUIRE(st.trained_spread > 0);
  REQUIRE(std::fabs(st.spread - st.trained_spread) <= 1e-5 * st.trained_spread);
  REQUIRE(st.min_list >= 1);
  REQUIRE(st.min_list <= st.median_list);
  REQUIRE(st.median_list <= st.max_list);
  REQUIRE(st.min_list * st.lists <= st.rows);
  REQUIRE(st.max_list * st.lists >= st.rows);
  std::map<int64_t, int64_t> sizes = list_sizes(db, "t");
  REQUIRE(sizes.size() == 32);
  std::vector<int64_t> sorted;
  for (const auto& s : sizes) sorted.push_back(s.second);
  std::sort(sorted.begin(), sorted.end());
  REQUIRE(sorted.front() == st.min_list);
  REQUIRE(sorted.back() == st.max_list);
  REQUIRE(sorted[16] == st.median_list);
  REQUIRE(std::accumulate(sorted.begin(), sorted.end(), int64_t{0}) == st.rows);
  REQUIRE(sizes.begin()->first == 0);
  REQUIRE(sizes.rbegin()->first == 31);

  Rows r = db.query("SELECT probes, recall, ms_per_query FROM quiver_recall('t', 50, 10)");
  REQUIRE(r.size() == 4);
  std::vector<int64_t> probes;
  for (const Row& row : r) {
    REQUIRE(row[0].type == SQLITE_INTEGER);
    REQUIRE(row[1].type == SQLITE_FLOAT);
    REQUIRE(row[1].d >= 0);
    REQUIRE(row[1].d <= 1);
    // ms_per_query is a timing: its type is pinned, its value belongs to
    // the benchmarks.
    REQUIRE(row[2].type == SQLITE_FLOAT);
    probes.push_back(row[0].i);
  }
  REQUIRE(probes == std::vector<int64_t>{6, 12, 24, 32});
  for (size_t i = 1; i < r.size(); ++i) REQUIRE(r[i][1].d >= r[i - 1][1].d - 0.02);
  REQUIRE(r.back()[1].d == 1.0);
  INFO("recall at probes 6: " << r[0][1].d);
  REQUIRE(r[0][1].d > 0.8);   // measured 0.914, then 0.982, 1, 1
  REQUIRE(r[0][1].d < 0.97);  // the data is not trivial
  // The default arguments and the table's own probes.
  REQUIRE(db.query("SELECT * FROM quiver_recall('t')").size() == 4);
  // Integer arguments are checked as k is in a query: 50.0 is 50.
  REQUIRE(db.query("SELECT probes, recall FROM quiver_recall('t', 50.0, 10.0)") ==
          db.query("SELECT probes, recall FROM quiver_recall('t', 50, 10)"));
  REQUIRE(db.error("SELECT * FROM quiver_recall('t', 2.5)") ==
          "quiver_recall: samples must be an integer from 1 to 100000, got 2.5");
  Table p(db, "p", Type::F32, Metric::L2, 16, "lists=32, probes=3");
  p.insert(make_rows(rng, c, Type::F32, 1, 2000));
  rebuild(db, "p");
  REQUIRE(stats(db, "p").probes == 3);
  Rows rp = db.query("SELECT probes, recall FROM quiver_recall('p', 20, 5)");
  std::vector<int64_t> pp;
  for (const Row& row : rp) pp.push_back(row[0].i);
  REQUIRE(pp == std::vector<int64_t>{3, 6, 12, 24, 32});
  REQUIRE(rp.back()[1].d == 1.0);
  // Stats follow writes: the sizes still add up.
  db.exec("DELETE FROM t WHERE rowid % 3 = 0");
  st = stats(db, "t");
  REQUIRE(st.rows == 5000 - 1666);
  int64_t total = 0;
  for (const auto& s : list_sizes(db, "t")) total += s.second;
  REQUIRE(total == st.rows);
  REQUIRE(st.min_list <= st.median_list);
  REQUIRE(st.median_list <= st.max_list);
  // An untrained and a flat table: one list, recall 1.
  Table u(db, "u", Type::F32, Metric::L2, 16, "lists=32");
  u.insert(make_rows(rng, c, Type::F32, 1, 100));
  Rows ru = db.query("SELECT probes, recall FROM quiver_recall('u', 10, 5)");
  REQUIRE(ru.size() == 1);
  REQUIRE(ru[0][0].i == 1);
  REQUIRE(ru[0][1].d == 1.0);
  db.exec("CREATE VIRTUAL TABLE f USING quiver(embedding float[4])");
  db.exec("INSERT INTO f(rowid, embedding) VALUES (1, '[1,2,3,4]'), (2, '[0,1,0,1]')");
  Stats sf = stats(db, "f");
  REQUIRE(sf.index == "flat");
  REQUIRE(sf.lists == 0);
  REQUIRE(sf.rows == 2);
  REQUIRE(sf.min_list == 2);
  REQUIRE(sf.max_list == 2);
  REQUIRE(db.error("SELECT * FROM quiver_stats('nope')") == "quiver: no table named \"nope\"");
  REQUIRE(db.error("SELECT * FROM quiver_stats('t_config')") == "quiver: \"t_config\" is not a quiver table");
}

// ---- transactions and connections ------------------------------------------------------------

namespace {

struct Snapshot {
  Stats st;
  std::vector<std::string> centroids;
  std::vector<std::vector<Hit>> results;
  std::map<int64_t, int64_t> sizes;
};

Snapshot snapshot(const Db& db, const Table& t, const std::vector<Bytes>& queries) {
  Snapshot s{stats(db, t.name()), {}, {}, list_sizes(db, t.name())};
  for (const Row& r : db.query("SELECT centroid FROM " + t.name() + "_centroids ORDER BY list")) s.centroids.push_back(r[0].s);
  for (const Bytes& q : queries) s.results.push_back(t.knn(q, 10, 1));
  return s;
}

void require_same(const Snapshot& a, const Snapshot& b) {
  REQUIRE(a.st.rows == b.st.rows);
  REQUIRE(a.st.lists == b.st.lists);
  REQUIRE(a.st.min_list == b.st.min_list);
  REQUIRE(a.st.median_list == b.st.median_list);
  REQUIRE(a.st.max_list == b.st.max_list);
  REQUIRE(a.st.trained_rows == b.st.trained_rows);
  REQUIRE(a.st.changed == b.st.changed);
  REQUIRE(a.st.trained_spread == b.st.trained_spread);
  REQUIRE(a.st.spread == b.st.spread);
  REQUIRE(a.centroids == b.centroids);
  REQUIRE(a.sizes == b.sizes);
  REQUIRE(a.results.size() == b.results.size());
  for (size_t i = 0; i < a.results.size(); ++i) {
    REQUIRE(a.results[i].size() == b.results[i].size());
    for (size_t j = 0; j < a.results[i].size(); ++j) {
      REQUIRE(a.results[i][j].rowid == b.results[i][j].rowid);
      REQUIRE(a.results[i][j].distance == b.results[i][j].distance);
    }
  }
}

bool same_results(const Snapshot& a, const Snapshot& b) {
  for (size_t i = 0; i < a.results.size(); ++i)
    for (size_t j = 0; j < a.results[i].size(); ++j)
      if (a.results[i][j].rowid != b.results[i][j].rowid) return false;
  return true;
}

}  // namespace

TEST_CASE("ivf: ROLLBACK of a rebuild restores the previous index", "[ivf][transactions]") {
  std::mt19937 rng(1016);
  Db db;
  Clusters before(rng, 30, 16, 0.6f);
  Clusters after(rng, 30, 16, 0.6f, 2.0f);
  Table t(db, "t", Type::F32, Metric::L2, 16, "lists=16");
  t.insert(make_rows(rng, before, Type::F32, 1, 2000));
  rebuild(db, "t");
  t.insert(make_rows(rng, after, Type::F32, 10001, 1500));  // drifted, not retrained
  std::vector<Bytes> queries = make_queries(rng, after, Type::F32, 20);
  Snapshot old = snapshot(db, t, queries);
  REQUIRE(old.st.trained_rows == 2000);
  REQUIRE(old.st.changed == 1500);

  SECTION("ROLLBACK") {
    db.exec("BEGIN");
    rebuild(db, "t");
    Snapshot mid = snapshot(db, t, queries);
    REQUIRE(mid.st.trained_rows == 3500);
    REQUIRE(mid.st.changed == 0);
    REQUIRE(mid.centroids != old.centroids);
    REQUIRE_FALSE(same_results(mid, old));
    t.check();
    require_exact_at_all_lists(t, queries, 16, 10);
    db.exec("ROLLBACK");
  }
  SECTION("ROLLBACK TO a savepoint") {
    db.exec("BEGIN");
    db.exec("SAVEPOINT s");
    rebuild(db, "t");
    REQUIRE(stats(db, "t").trained_rows == 3500);
    REQUIRE(t.knn(queries[0], 10, 1).size() == 10);
    db.exec("ROLLBACK TO s");
    db.exec("RELEASE s");
    require_same(snapshot(db, t, queries), old);
    db.exec("COMMIT");
  }
  SECTION("a rebuild and more rows, rolled back") {
    db.exec("BEGIN");
    std::vector<float> v = after.point(rng);
    db.exec("INSERT INTO t(rowid, embedding) VALUES (99999, ?1)", {Value::blob(f32_bytes(v))});
    rebuild(db, "t");
    db.exec("DELETE FROM t WHERE rowid < 100");
    REQUIRE(stats(db, "t").rows == 3500 + 1 - 99);
    db.exec("ROLLBACK");
  }
  Snapshot now = snapshot(db, t, queries);
  require_same(now, old);
  t.check();
  require_exact_at_all_lists(t, queries, 16, 10);

  // Committed, the rebuild stays.
  db.exec("BEGIN");
  rebuild(db, "t");
  db.exec("COMMIT");
  Snapshot committed = snapshot(db, t, queries);
  REQUIRE(committed.st.trained_rows == 3500);
  REQUIRE(committed.centroids != old.centroids);
  t.check();
}

TEST_CASE("ivf: a rolled-back bulk write past the threshold leaves the table untrained", "[ivf][transactions]") {
  std::mt19937 rng(1017);
  Db db;
  Clusters c(rng, 10, 8, 0.5f);
  Table t(db, "t", Type::F32, Metric::L2, 8, "lists=4");
  t.insert(make_rows(rng, c, Type::F32, 1, 9990));
  db.exec("BEGIN");
  std::vector<float> v = c.point(rng);
  for (int64_t id = 20000; id < 21020; ++id)
    db.exec("INSERT INTO t(rowid, embedding) VALUES (?1, ?2)", {Value::integer(id), Value::blob(f32_bytes(v))});
  REQUIRE(stats(db, "t").lists == 0);  // training waits for the commit
  db.exec("ROLLBACK");
  Stats st = stats(db, "t");
  REQUIRE(st.lists == 0);
  REQUIRE(st.rows == 9990);
  REQUIRE(db.integer("SELECT count(*) FROM t_centroids") == 0);
  t.check();
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 5);
  for (const Bytes& q : queries) t.require_exact(q, t.knn(q, 10, 1), t.brute(q, 10));
}

TEST_CASE("ivf: a second connection sees a rebuild committed by the first", "[ivf][transactions]") {
  std::mt19937 rng(1018);
  TempFile file("ivf");
  {
    Db a(file.path(), kBusyTimeoutMs), b(file.path(), kBusyTimeoutMs);
    Clusters before(rng, 30, 16, 0.6f);
    Clusters after(rng, 30, 16, 0.6f, 2.0f);
    Table t(a, "t", Type::F32, Metric::L2, 16, "lists=8, probes=1");
    t.insert(make_rows(rng, before, Type::F32, 1, 2000));
    rebuild(a, "t");
    std::vector<Bytes> queries = make_queries(rng, after, Type::F32, 20);
    auto knn_b = [&](const Bytes& q, int64_t probes) {
      return Table::hits(b.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = 10 AND probes = ?2",
                                 {Value::blob(q), Value::integer(probes)}));
    };
    auto same = [](const std::vector<Hit>& x, const std::vector<Hit>& y) {
      REQUIRE(x.size() == y.size());
      for (size_t i = 0; i < x.size(); ++i) {
        REQUIRE(x[i].rowid == y[i].rowid);
        REQUIRE(x[i].distance == y[i].distance);
      }
    };
    // b loads the centroids.
    for (const Bytes& q : queries) same(knn_b(q, 1), t.knn(q, 10, 1));
    std::vector<std::vector<Hit>> old_b;
    for (const Bytes& q : queries) old_b.push_back(knn_b(q, 1));

    // a drifts and rebuilds.
    t.insert(make_rows(rng, after, Type::F32, 10001, 1500));
    rebuild(a, "t");
    size_t differ = 0;
    for (size_t i = 0; i < queries.size(); ++i) {
      std::vector<Hit> now_a = t.knn(queries[i], 10, 1);
      same(knn_b(queries[i], 1), now_a);
      differ += now_a[0].rowid != old_b[i][0].rowid;
    }
    REQUIRE(differ > 0);  // the rebuild did change what probes = 1 finds
    b.exec("INSERT INTO t(t) VALUES ('integrity-check')");

    // b writes with the new centroids; a sees them in the right lists.
    auto fresh = make_rows(rng, after, Type::F32, 50001, 200);
    b.exec("BEGIN");
    for (const auto& r : fresh)
      b.exec("INSERT INTO t(rowid, embedding, tag) VALUES (?1, ?2, 'b')",
             {Value::integer(r.first), Value::blob(r.second.vector)});
    b.exec("COMMIT");
    for (const auto& r : fresh) t.mirror()[r.first] = Entry{r.second.vector, "b"};
    t.check();
    require_exact_at_all_lists(t, queries, 8, 10);
    for (const auto& r : fresh) {
      std::vector<Hit> got = t.knn(r.second.vector, 1, 1);
      REQUIRE(got.size() == 1);
      REQUIRE(got[0].distance == 0);
    }
    Stats sa = stats(a, "t"), sb = stats(b, "t");
    REQUIRE(sa.rows == 3700);
    REQUIRE(sb.rows == 3700);
    REQUIRE(sb.changed == sa.changed);
    REQUIRE(sb.spread == sa.spread);
  }
}

TEST_CASE("ivf: quiver_stats and quiver_recall in a second connection see a committed retraining", "[ivf][transactions]") {
  std::mt19937 rng(1019);
  TempFile file("ivf");
  {
    Db a(file.path(), kBusyTimeoutMs), b(file.path(), kBusyTimeoutMs);
    Clusters c(rng, 20, 8, 0.5f);
    Table t(a, "t", Type::F32, Metric::L2, 8, "");  // lists = rows / 1000
    t.insert(make_rows(rng, c, Type::F32, 1, 2000));
    rebuild(a, "t");
    REQUIRE(stats(a, "t").lists == 2);
    // b connects and reads the index.
    std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 3);
    REQUIRE(b.query("SELECT rowid FROM t WHERE embedding MATCH ?1 AND k = 3", {Value::blob(queries[0])}).size() == 3);
    Stats sb = stats(b, "t");
    REQUIRE(sb.lists == 2);
    REQUIRE(sb.trained_rows == 2000);
    // a doubles the rows: the 4,000th insert retrains with 4 lists.
    t.insert(make_rows(rng, c, Type::F32, 2001, 2000));
    Stats sa = stats(a, "t");
    REQUIRE(sa.lists == 4);
    REQUIRE(sa.trained_rows == 4000);
    // b asks for statistics before running any query.
    SECTION("quiver_stats") {
      std::string e = b.run("SELECT lists, trained_rows, max_list FROM quiver_stats('t')").error;
      INFO("quiver_stats in b: " << e);
      REQUIRE(e == "");
      sb = stats(b, "t");
      REQUIRE(sb.lists == 4);
      REQUIRE(sb.trained_rows == 4000);
      REQUIRE(sb.max_list == sa.max_list);
      REQUIRE(sb.spread == sa.spread);
    }
    SECTION("quiver_recall") {
      Rows r = b.query("SELECT probes, recall FROM quiver_recall('t', 20, 5)");
      REQUIRE_FALSE(r.empty());
      REQUIRE(r.back()[0].i == 4);
      REQUIRE(r.back()[1].d == 1.0);
    }
  }
}

// ---- streaming, joins, an emptied table ---------------------------------------------------------

TEST_CASE("ivf: LIMIT streams in distance order through the index", "[ivf][stream]") {
  std::mt19937 rng(1021);
  Db db;
  Clusters c(rng, 30, 16, 0.8f);
  Table t(db, "t", Type::F32, Metric::L2, 16, "lists=16");
  t.insert(make_rows(rng, c, Type::F32, 1, 3000));
  rebuild(db, "t");
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 10);
  for (size_t i = 0; i < queries.size(); ++i) {
    INFO("query " << i);
    const Bytes& q = queries[i];
    // LIMIT / OFFSET at probes = lists: brute force, paged.
    std::vector<Hit> truth = t.brute(q, 40);
    std::vector<Hit> page = Table::hits(db.query(
        "SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND probes = 16 ORDER BY distance LIMIT 10 OFFSET 30",
        {Value::blob(q)}));
    t.require_exact(q, page, std::vector<Hit>(truth.begin() + 30, truth.end()));
    // A LIMIT that SQLite passes down (3.41+) makes a search with k at the
    // query's probes; a LIMIT SQLite keeps (3.40) reads an exact stream.
    for (int64_t probes : {1, 3}) {
      std::vector<Hit> limited = Table::hits(db.query(
          "SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND probes = ?2 ORDER BY distance LIMIT 10",
          {Value::blob(q), Value::integer(probes)}));
      std::vector<Hit> k = sqlite3_libversion_number() >= 3041000 ? t.knn(q, 10, probes) : t.brute(q, 10);
      REQUIRE(limited.size() == 10);
      for (size_t j = 0; j < 10; ++j) REQUIRE(limited[j].rowid == k[j].rowid);
    }
    // A whole stream, whatever the probes, is every row once in exact
    // distance order.
    for (int64_t probes : {1, 16}) {
      std::vector<Hit> every = Table::hits(db.query(
          "SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND probes = ?2", {Value::blob(q), Value::integer(probes)}));
      t.require_exact(q, every, t.brute(q, 3000));
    }
  }
  // A correlated KNN through the index.
  Rows pairs = db.query(
      "SELECT a.rowid, b.rowid, b.distance FROM t a JOIN t b ON b.embedding MATCH a.embedding AND b.k = 3 AND "
      "b.probes = 16 WHERE a.rowid <= 20 ORDER BY a.rowid, b.distance");
  REQUIRE(pairs.size() == 60);
  for (size_t j = 0; j < pairs.size(); j += 3) {
    const Bytes& q = t.rows().at(pairs[j][0].i).vector;
    std::vector<Hit> got;
    for (size_t m = j; m < j + 3; ++m) got.push_back({pairs[m][1].i, pairs[m][2].d});
    t.require_exact(q, got, t.brute(q, 3));
  }
  // probes out of range.
  REQUIRE(db.error("SELECT rowid FROM t WHERE embedding MATCH ?1 AND k = 1 AND probes = 0",
                   {Value::blob(queries[0])}) == "quiver: probes must be an integer from 1 to 65536, got 0");
}

TEST_CASE("ivf: a trained table emptied and filled again", "[ivf][writes]") {
  std::mt19937 rng(1022);
  Db db;
  Clusters c(rng, 20, 8, 0.6f);
  Table t(db, "t", Type::F32, Metric::L2, 8, "lists=8");
  t.insert(make_rows(rng, c, Type::F32, 1, 1000));
  rebuild(db, "t");
  db.exec("DELETE FROM t");
  t.mirror().clear();
  t.check();
  Stats st = stats(db, "t");
  REQUIRE(st.rows == 0);
  REQUIRE(st.lists == 8);  // the quantizer stays
  REQUIRE(st.max_list == 0);
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 5);
  REQUIRE(t.knn(queries[0], 10, 1).empty());
  REQUIRE(t.knn(queries[0], 10, 8).empty());
  rebuild(db, "t");  // nothing to train on
  t.check();
  t.insert(make_rows(rng, c, Type::F32, 5000, 300));
  t.check();
  require_exact_at_all_lists(t, queries, 8, 10);
  for (const Bytes& q : queries) REQUIRE(t.knn(q, 10, 1).size() == 10);
  st = stats(db, "t");
  REQUIRE(st.rows == 300);
  REQUIRE(st.changed == 300);
}

TEST_CASE("ivf: a stream without LIMIT through a trained index yields every row once", "[ivf][stream]") {
  // MATCH with neither k, LIMIT nor a bound streams the table in distance
  // order; through IVF each batch probes the nearest lists
  // until it has enough rows beyond the previous batch's last row. Rows
  // nearer than that last row, in lists the earlier batches did not probe,
  // must not be lost: the stream is the whole table.
  std::mt19937 rng(1023);
  Db db;
  Clusters c(rng, 30, 16, 0.8f);
  Table t(db, "t", Type::F32, Metric::L2, 16, "lists=16");
  t.insert(make_rows(rng, c, Type::F32, 1, 3000));
  rebuild(db, "t");
  std::vector<Bytes> queries = make_queries(rng, c, Type::F32, 3);
  for (const Bytes& q : queries) {
    for (int64_t probes : {1, 4}) {
      INFO("probes " << probes);
      CHECK(db.integer("SELECT count(*) FROM t WHERE embedding MATCH ?1 AND probes = ?2",
                       {Value::blob(q), Value::integer(probes)}) == 3000);
      CHECK(db.integer("SELECT count(*) FROM (SELECT rowid FROM t WHERE embedding MATCH ?1 AND probes = ?2 "
                       "ORDER BY distance LIMIT 1000 OFFSET 2000)",
                       {Value::blob(q), Value::integer(probes)}) == 1000);
    }
  }
}
