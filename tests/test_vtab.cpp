// The `quiver` virtual table (README "The `quiver` virtual table"), flat
// index, through real SQLite connections:
//   - exact search: the whole stream of a query (MATCH alone) against the SQL
//     distance functions over an ordinary mirror table (same rows, distances
//     within float32 rounding, ties by rowid; exact where the scores are
//     exact integers) and against a double-precision brute force; every other
//     form (k, LIMIT / OFFSET, range, JSON / blob / typed query, correlated
//     join) must then be exactly a slice or subset of that stream. Every
//     vector type and metric, dimensions that are not multiples of 8 or 16;
//   - metadata filters applied inside the scan, rowids, auxiliary columns;
//   - writes of every kind checked against the mirror after each batch, with
//     'integrity-check';
//   - transactions, savepoints, failed statements, a second connection;
//   - a large batch and the file size; rename, drop, odd names;
//   - defensive mode, damaged shadow tables, and exact error messages.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cfloat>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "quiver.h"
#include "support/db.h"
#include "support/reference.h"
#include "support/sql.h"
#include "support/temp_file.h"

namespace {

using quiver_test::Bytes;
using quiver_test::quote_id;
using quiver_test::Result;
using quiver_test::Row;
using quiver_test::Rows;
using quiver_test::show;
using quiver_test::TempFile;
using quiver_test::Value;

// ---- a connection and prepared statements ----------------------------------------

// Connections to one file wait up to 2 s for each other's locks.
class Db : public quiver_test::Db {
 public:
  explicit Db(const std::string& path = ":memory:") : quiver_test::Db(path, 2000) {}

  void integrity(const std::string& table) const {
    query("INSERT INTO " + quote_id(table) + "(" + quote_id(table) + ") VALUES ('integrity-check')");
  }
};

// A statement prepared once and run many times (bulk inserts).
class Prepared {
 public:
  Prepared(const Db& db, const std::string& sql) : db_(db.handle()) {
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt_, nullptr);
    INFO("sql: " << sql << ": " << sqlite3_errmsg(db_));
    REQUIRE(rc == SQLITE_OK);
  }
  ~Prepared() { sqlite3_finalize(stmt_); }
  Prepared(const Prepared&) = delete;
  Prepared& operator=(const Prepared&) = delete;

  // "" or the error message.
  std::string run(const std::vector<Value>& params) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    quiver_test::bind_values(stmt_, params);
    int rc;
    while ((rc = sqlite3_step(stmt_)) == SQLITE_ROW) {
    }
    std::string error = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
    sqlite3_reset(stmt_);
    return error;
  }
  void ok(const std::vector<Value>& params) {
    std::string e = run(params);
    if (!e.empty()) FAIL("statement failed: " << e);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// ---- vector types, references -------------------------------------------------------

enum class Kind { F32, I8, Bit };

struct Config {
  Kind kind;
  uint32_t dims;
  std::string metric;  // cosine | dot | l2 | hamming
};

std::string type_name(const Config& c) {
  return c.kind == Kind::F32 ? "float" : c.kind == Kind::I8 ? "int8" : "bit";
}
std::string declaration(const Config& c) {
  return type_name(c) + "[" + std::to_string(c.dims) + "] distance=" + c.metric;
}
size_t vector_bytes(const Config& c) {
  return c.kind == Kind::F32 ? 4u * c.dims : c.kind == Kind::I8 ? c.dims : c.dims / 8;
}
// The SQL function that turns a bare blob into a typed vector of the table's type.
std::string typed(const Config& c, const std::string& arg) {
  return (c.kind == Kind::F32 ? "vector(" : c.kind == Kind::I8 ? "vector_int8(" : "vector_bit(") + arg + ")";
}
// The distance of the table's metric with the SQL scalar functions
// (cosine_distance, -dot_product, l2_distance, hamming_distance).
std::string sql_distance(const Config& c, const std::string& q, const std::string& e) {
  std::string a = c.kind == Kind::F32 ? q : typed(c, q);
  std::string b = c.kind == Kind::F32 ? e : typed(c, e);
  if (c.metric == "cosine") return "cosine_distance(" + a + ", " + b + ")";
  if (c.metric == "dot") return "(-dot_product(" + a + ", " + b + "))";
  if (c.metric == "l2") return "l2_distance(" + a + ", " + b + ")";
  return "hamming_distance(" + a + ", " + b + ")";
}

Bytes random_vector(std::mt19937& rng, const Config& c) {
  Bytes b(vector_bytes(c));
  if (c.kind == Kind::F32) {
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (uint32_t i = 0; i < c.dims; ++i) {
      float x = dist(rng);
      std::memcpy(b.data() + 4 * i, &x, 4);
    }
  } else if (c.kind == Kind::I8) {
    std::uniform_int_distribution<int> dist(-128, 127);
    bool zero = true;
    for (auto& x : b) {
      x = static_cast<unsigned char>(static_cast<int8_t>(dist(rng)));
      zero = zero && x == 0;
    }
    if (zero) b[0] = 1;  // cosine has no distance for a zero vector
  } else {
    std::uniform_int_distribution<int> dist(0, 255);
    for (auto& x : b) x = static_cast<unsigned char>(dist(rng));
  }
  return b;
}

double element(const Config& c, const Bytes& v, uint32_t i) {
  if (c.kind == Kind::F32) {
    float x;
    std::memcpy(&x, v.data() + 4 * i, 4);
    return x;
  }
  if (c.kind == Kind::I8) return static_cast<int8_t>(v[i]);
  return (v[i / 8] >> (i % 8)) & 1;
}

std::string json_of(const Config& c, const Bytes& v) {
  std::string s = "[";
  char buf[32];
  for (uint32_t i = 0; i < c.dims; ++i) {
    if (i) s += ", ";
    if (c.kind == Kind::F32) {
      float x;
      std::memcpy(&x, v.data() + 4 * i, 4);
      auto r = std::to_chars(buf, buf + sizeof buf, x);  // shortest round trip
      s.append(buf, r.ptr);
    } else {
      s += std::to_string(static_cast<int>(element(c, v, i)));
    }
  }
  return s + "]";
}

// How far the table's distances may be from the distance functions'. The
// table scores in float32 (scan.h): float32 vectors with another summation
// order than the functions' kernels, int8 and bit distances rounded to
// float32. Bit distances and int8 dot / l2 below 2^24 are exact integers, so
// there the rowids must agree exactly, ties by rowid; elsewhere two rows whose
// reference distances are within the tolerance may come in either order.
struct Tolerance {
  bool exact = false;
  double abs = 0, rel = 0;
  double of(double d) const { return exact ? 1e-12 * (1 + std::fabs(d)) : abs + rel * std::fabs(d); }
};

Tolerance tolerance_for(const Config& c) {
  Tolerance t;
  if (c.kind == Kind::Bit) {
    t.exact = true;
  } else if (c.kind == Kind::I8) {
    if (c.metric == "dot" && c.dims * 16384.0 < 16777216.0) t.exact = true;
    else if (c.metric == "l2" && c.dims * 65025.0 < 16777216.0) t.exact = true;
    else if (c.metric == "cosine") t.abs = 3e-7;
    else t.rel = 1.2e-7;  // an exact integer rounded to float32
  } else {
    t.abs = 1e-6 + 1.2e-7 * c.dims;
    t.rel = 2e-6;
  }
  return t;
}

// Distance in double precision, and how far the table may be from it.
struct Truth {
  double distance;
  double tolerance;
};

// The shared reference's view of a vector of the table's type.
std::vector<float> elements(const Config& c, const Bytes& v) {
  using quiver::ElementType;
  ElementType type = c.kind == Kind::F32 ? ElementType::Float32 : c.kind == Kind::I8 ? ElementType::Int8 : ElementType::Bit;
  return quiver_test::elements(type, v.data(), c.dims);
}

Truth brute(const Config& c, const Bytes& q, const Bytes& v) {
  double d = quiver_test::reference_distance(quiver_test::metric_named(c.metric), elements(c, q), elements(c, v));
  // Bit distances are counts: exact.
  if (c.kind == Kind::Bit) return {d, 0};
  return {d, tolerance_for(c).of(d) + 1e-9 * (1 + std::fabs(d))};
}

// The rows of a table, for the brute-force reference.
struct Dataset {
  Config cfg;
  std::map<int64_t, Bytes> rows;
};

// An exact search for q over the rows `keep` admits returned `got` (rowid,
// distance): `expected` rows, each at its true distance, in order, none
// repeated, and no row left out was nearer than the last one returned.
void brute_check(const Dataset& data, const Bytes& q, const Rows& got, size_t expected,
                 const std::function<bool(int64_t)>& keep = nullptr) {
  std::map<int64_t, Truth> truth;
  for (const auto& [id, v] : data.rows)
    if (!keep || keep(id)) truth[id] = brute(data.cfg, q, v);
  INFO("brute force: got " << show(got, 0, 15));
  REQUIRE(got.size() == expected);
  std::set<int64_t> seen;
  Truth previous{-std::numeric_limits<double>::infinity(), 0};
  for (const Row& r : got) {
    REQUIRE(r.size() >= 2);
    REQUIRE(r[0].type == SQLITE_INTEGER);
    int64_t id = r[0].i;
    INFO("rowid " << id);
    auto it = truth.find(id);
    REQUIRE(it != truth.end());
    REQUIRE(seen.insert(id).second);
    const Truth& t = it->second;
    REQUIRE(std::fabs(r[1].number() - t.distance) <= t.tolerance);
    REQUIRE(t.distance >= previous.distance - previous.tolerance - t.tolerance);
    previous = t;
  }
  if (!got.empty() && got.size() < truth.size()) {
    for (const auto& [id, t] : truth) {
      if (seen.count(id)) continue;
      INFO("rowid " << id << " at " << t.distance << " was left out; the last returned is at " << previous.distance);
      REQUIRE(t.distance >= previous.distance - previous.tolerance - t.tolerance);
    }
  }
}

// The table's answer (rowid, distance) against the reference over the mirror
// (rowid, distance by the SQL functions, ORDER BY distance, rowid), both
// complete: the same rows, each at the reference distance within the
// tolerance, in the reference order up to near-ties, and in the table's own
// order exactly (distance, then rowid).
void near_same_hits(const Rows& got, const Rows& want, const Tolerance& tol, const std::string& what) {
  INFO(what);
  size_t first_difference = 0;
  while (first_difference < got.size() && first_difference < want.size() &&
         got[first_difference][0].i == want[first_difference][0].i)
    ++first_difference;
  size_t from = first_difference > 5 ? first_difference - 5 : 0;
  INFO("first difference at " << first_difference);
  INFO("got:  " << show(got, from, 15));
  INFO("want: " << show(want, from, 15));
  REQUIRE(got.size() == want.size());
  std::map<int64_t, double> reference;
  for (const Row& r : want) reference[r[0].i] = r[1].number();
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("position " << i);
    REQUIRE(got[i][0].type == SQLITE_INTEGER);
    // Hamming distances are counts, INTEGER like hamming_distance(); the
    // others REAL.
    REQUIRE(got[i][1].type == (want[i][1].type == SQLITE_INTEGER ? SQLITE_INTEGER : SQLITE_FLOAT));
    int64_t id = got[i][0].i;
    auto it = reference.find(id);
    REQUIRE(it != reference.end());
    double g = got[i][1].number(), r = it->second, w = want[i][1].number();
    REQUIRE(std::fabs(g - r) <= tol.of(r));
    if (tol.exact) {
      REQUIRE(id == want[i][0].i);
    } else {
      REQUIRE(std::fabs(r - w) <= 2 * tol.of(r));  // a near-tie, if the rowids differ
    }
    if (i > 0) {
      double p = got[i - 1][1].number();
      REQUIRE((g > p || (g == p && id > got[i - 1][0].i)));
    }
  }
  std::set<int64_t> ids;
  for (const Row& r : got) ids.insert(r[0].i);
  REQUIRE(ids.size() == got.size());
}

// Two result sets with identical values, column for column.
void same_rows(const Rows& got, const Rows& want, const std::string& what) {
  INFO(what);
  size_t first_difference = 0;
  while (first_difference < got.size() && first_difference < want.size()) {
    const Row& a = got[first_difference];
    const Row& b = want[first_difference];
    bool same = a.size() == b.size();
    for (size_t c = 0; same && c < a.size(); ++c) same = a[c] == b[c];
    if (!same) break;
    ++first_difference;
  }
  size_t from = first_difference > 3 ? first_difference - 3 : 0;
  INFO("first difference at " << first_difference);
  INFO("got:  " << show(got, from, 10));
  INFO("want: " << show(want, from, 10));
  REQUIRE(got.size() == want.size());
  REQUIRE(first_difference == got.size());
}

Rows slice(const Rows& rows, size_t offset, size_t limit) {
  Rows out;
  for (size_t i = offset; i < rows.size() && out.size() < limit; ++i) out.push_back(rows[i]);
  return out;
}

Rows filter_rows(const Rows& rows, const std::function<bool(const Row&)>& keep) {
  Rows out;
  for (const Row& r : rows)
    if (keep(r)) out.push_back(r);
  return out;
}

Rows with_ids(const Rows& rows, const std::set<int64_t>& ids) {
  return filter_rows(rows, [&](const Row& r) { return ids.count(r[0].i) > 0; });
}

bool compare(double a, const std::string& op, double b) { return op == "<" ? a < b : a <= b; }

// ---- exact search, every type and metric ------------------------------------------

// Every form of search is checked against the whole stream of the same query
// (MATCH with neither k, LIMIT nor bound), which is checked against the
// distance functions over the mirror and against a brute force.
void check_exact_search(const Config& cfg, size_t n, uint32_t seed) {
  INFO("table: " << declaration(cfg) << ", " << n << " rows, seed " << seed);
  std::mt19937 rng(seed);
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding " + declaration(cfg) + ")");
  db.exec("CREATE TABLE m(rowid INTEGER PRIMARY KEY, embedding BLOB NOT NULL)");
  Dataset data{cfg, {}};
  // Rowids in random order (so slot order is not rowid order), some negative.
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i) * 3 - 150;
  std::shuffle(ids.begin(), ids.end(), rng);
  // 40 exact copies of one vector: ties across the stream's first batch (32).
  Bytes popular = random_vector(rng, cfg);
  {
    db.exec("BEGIN");
    Prepared into_t(db, "INSERT INTO t(rowid, embedding) VALUES (?1, ?2)");
    Prepared into_m(db, "INSERT INTO m(rowid, embedding) VALUES (?1, ?2)");
    for (size_t i = 0; i < n; ++i) {
      Bytes v;
      if (i < 40)
        v = popular;
      else if (i % 23 == 0)
        v = data.rows.at(ids[std::uniform_int_distribution<size_t>(0, i - 1)(rng)]);  // more ties
      else
        v = random_vector(rng, cfg);
      into_t.ok({Value::integer(ids[i]), Value::blob(v)});
      into_m.ok({Value::integer(ids[i]), Value::blob(v)});
      data.rows[ids[i]] = v;
    }
    db.exec("COMMIT");
  }
  db.integrity("t");
  REQUIRE(db.integer("SELECT count(*) FROM t") == static_cast<int64_t>(n));

  const std::string D = sql_distance(cfg, "?1", "embedding");
  const Tolerance tol = tolerance_for(cfg);
  const int64_t N = static_cast<int64_t>(n);
  std::vector<Bytes> queries = {random_vector(rng, cfg), popular, data.rows.at(ids[n / 2])};
  for (size_t qn = 0; qn < queries.size(); ++qn) {
    const Bytes& q = queries[qn];
    Rows reference = db.query("SELECT rowid, " + D + " AS d FROM m ORDER BY d, rowid", {Value::blob(q)});
    REQUIRE(reference.size() == n);
    // The query as a bare blob, as JSON text, and as a typed vector.
    struct Form {
      std::string match;
      Value value;
    };
    std::vector<Form> forms = {
        {"?1", Value::blob(q)}, {"?1", Value::text(json_of(cfg, q))}, {typed(cfg, "?1"), Value::blob(q)}};
    Rows first_stream;
    for (size_t f = 0; f < forms.size(); ++f) {
      INFO("query " << qn << ", form " << f << " (MATCH " << forms[f].match << ")");
      const std::string head = "SELECT rowid, distance FROM t WHERE embedding MATCH " + forms[f].match;
      const Value& qv = forms[f].value;

      // The whole stream: every row, nearest first, ties by rowid.
      Rows stream = db.query(head, {qv});
      if (f == 0) {
        near_same_hits(stream, reference, tol, "whole stream against the distance functions");
        brute_check(data, q, stream, n);
        first_stream = stream;
      } else {
        same_rows(stream, first_stream, "the same query in another form");
      }

      for (int64_t k : {int64_t{1}, int64_t{10}, int64_t{100}, N + 5}) {
        Rows got = db.query(head + " AND k = ?2 ORDER BY distance", {qv, Value::integer(k)});
        same_rows(got, slice(stream, 0, static_cast<size_t>(k)), "k = " + std::to_string(k));
        if (f == 0 && k == 10) brute_check(data, q, got, 10);
      }
      same_rows(db.query(head + " AND k = 20", {qv}), slice(stream, 0, 20), "k = 20, no ORDER BY");
      same_rows(db.query(head + " AND k = 20 ORDER BY distance, rowid", {qv}), slice(stream, 0, 20),
                "k = 20, ORDER BY distance, rowid");

      // ORDER BY distance LIMIT / OFFSET: streamed in batches.
      for (auto [limit, offset] : std::vector<std::pair<int64_t, int64_t>>{
               {10, 0}, {50, 20}, {200, 0}, {25, N - 10}, {5, N + 3}, {1, 31}, {2, 32}, {70, 90}}) {
        Rows got = db.query(head + " ORDER BY distance LIMIT ?2 OFFSET ?3",
                            {qv, Value::integer(limit), Value::integer(offset)});
        same_rows(got, slice(stream, static_cast<size_t>(offset), static_cast<size_t>(limit)),
                  "LIMIT " + std::to_string(limit) + " OFFSET " + std::to_string(offset));
      }
      same_rows(db.query(head + " LIMIT 12", {qv}), slice(stream, 0, 12), "LIMIT without ORDER BY");
      // Farthest first: SQLite sorts the stream.
      same_rows(db.query(head + " ORDER BY distance DESC, rowid DESC LIMIT 7", {qv}),
                Rows(stream.rbegin(), stream.rbegin() + 7), "ORDER BY distance DESC");

      // Range: bounds between two distances, and beyond every row. The rows
      // are exactly those of the stream within the bound. (A bound equal to a
      // reported distance: see "a distance bound equal to a row's distance".)
      size_t j = 20;
      while (j + 1 < n && stream[j][1].number() == stream[j + 1][1].number()) ++j;
      REQUIRE(j + 1 < n);
      double mid = (stream[j][1].number() + stream[j + 1][1].number()) / 2;
      size_t h = n / 2;
      while (h + 1 < n && stream[h][1].number() == stream[h + 1][1].number()) ++h;
      REQUIRE(h + 1 < n);
      double mid_half = (stream[h][1].number() + stream[h + 1][1].number()) / 2;
      for (const std::string op : {"<", "<="}) {
        for (double bound : {mid, mid_half, stream[n - 1][1].number() + 1, -3.0}) {
          Rows want = filter_rows(stream, [&](const Row& r) { return compare(r[1].number(), op, bound); });
          char label[96];
          std::snprintf(label, sizeof label, "distance %s %.17g", op.c_str(), bound);
          same_rows(db.query(head + " AND distance " + op + " ?2", {qv, Value::real(bound)}), want, label);
          // With k, and with LIMIT / OFFSET.
          same_rows(db.query(head + " AND distance " + op + " ?2 AND k = 5", {qv, Value::real(bound)}),
                    slice(want, 0, 5), std::string(label) + " AND k = 5");
          same_rows(db.query(head + " AND distance " + op + " ?2 ORDER BY distance LIMIT 3 OFFSET 1",
                             {qv, Value::real(bound)}),
                    slice(want, 1, 3), std::string(label) + " LIMIT 3 OFFSET 1");
        }
      }
      // Two bounds: the tighter one wins. An integer bound.
      {
        Rows want = filter_rows(stream, [&](const Row& r) { return r[1].number() < mid; });
        same_rows(
            db.query(head + " AND distance < ?2 AND distance <= ?3", {qv, Value::real(mid), Value::real(mid + 100)}),
            want, "two bounds");
        same_rows(
            db.query(head + " AND distance <= ?3 AND distance < ?2", {qv, Value::real(mid), Value::real(mid + 100)}),
            want, "two bounds, the other way round");
        same_rows(db.query(head + " AND distance < 1", {qv}),
                  filter_rows(stream, [&](const Row& r) { return r[1].number() < 1; }), "distance < 1");
      }
    }
  }

  // A correlated KNN: each outer row's vector is the inner query.
  {
    std::vector<int64_t> outer = {ids[0], ids[1], ids[n / 3], ids[n - 1], ids[41]};
    std::sort(outer.begin(), outer.end());
    std::string list;
    for (int64_t id : outer) list += (list.empty() ? "" : ", ") + std::to_string(id);
    Rows want;
    for (int64_t id : outer) {
      Rows near = db.query("SELECT ?2, distance, rowid FROM t WHERE embedding MATCH ?1 AND k = 3",
                           {Value::blob(data.rows.at(id)), Value::integer(id)});
      REQUIRE(near.size() == 3);
      want.insert(want.end(), near.begin(), near.end());
    }
    same_rows(db.query("SELECT a.rowid, b.distance, b.rowid FROM t a JOIN t b ON b.embedding MATCH a.embedding "
                       "AND b.k = 3 WHERE a.rowid IN (" + list + ") ORDER BY a.rowid, b.distance, b.rowid"),
              want, "correlated join");
    // The same with an ordinary table on the outside.
    same_rows(db.query("SELECT a.rowid, b.distance, b.rowid FROM m a JOIN t b ON b.embedding MATCH " +
                       typed(cfg, "a.embedding") + " AND b.k = 3 WHERE a.rowid IN (" + list +
                       ") ORDER BY a.rowid, b.distance, b.rowid"),
              want, "correlated join from an ordinary table");
  }
}

TEST_CASE("flat search on float32 vectors is exact for cosine and dot and l2", "[vtab][exact]") {
  check_exact_search({Kind::F32, 7, "cosine"}, 2500, 11);
  check_exact_search({Kind::F32, 64, "dot"}, 2000, 12);
  check_exact_search({Kind::F32, 100, "l2"}, 2000, 13);
  check_exact_search({Kind::F32, 130, "cosine"}, 2000, 14);
  check_exact_search({Kind::F32, 7, "l2"}, 3000, 15);
  check_exact_search({Kind::F32, 130, "dot"}, 2000, 16);
  check_exact_search({Kind::F32, 17, "l2"}, 2000, 17);
}

TEST_CASE("flat search on int8 vectors is exact for cosine and dot and l2", "[vtab][exact]") {
  check_exact_search({Kind::I8, 7, "cosine"}, 2500, 21);
  check_exact_search({Kind::I8, 64, "l2"}, 2000, 22);
  check_exact_search({Kind::I8, 100, "dot"}, 2000, 23);
  check_exact_search({Kind::I8, 130, "cosine"}, 2000, 24);
  check_exact_search({Kind::I8, 7, "dot"}, 3000, 25);  // many exact ties
  check_exact_search({Kind::I8, 33, "l2"}, 2000, 26);
}

TEST_CASE("flat search on bit vectors is exact for hamming", "[vtab][exact]") {
  check_exact_search({Kind::Bit, 8, "hamming"}, 3000, 31);  // 256 distinct vectors: ties everywhere
  check_exact_search({Kind::Bit, 136, "hamming"}, 2000, 32);
  check_exact_search({Kind::Bit, 1024, "hamming"}, 2000, 33);
}

TEST_CASE("without a distance option a bit table is hamming and a float table l2", "[vtab][exact]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE b USING quiver(embedding bit[16])");
  db.exec("CREATE VIRTUAL TABLE f USING quiver(embedding float[2])");
  db.exec("INSERT INTO b(rowid, embedding) VALUES (1, X'FF00'), (2, X'0F00'), (3, X'0000')");
  db.exec("INSERT INTO f(rowid, embedding) VALUES (1, '[3, 4]'), (2, '[1, 0]'), (3, '[0, -2]')");
  same_rows(db.query("SELECT rowid, distance FROM b WHERE embedding MATCH X'0100' AND k = 3"),
            Rows{{Value::integer(3), Value::integer(1)},
                 {Value::integer(2), Value::integer(3)},
                 {Value::integer(1), Value::integer(7)}},
            "bit default metric: Hamming distances are integers, as hamming_distance() gives them");
  same_rows(db.query("SELECT rowid, distance FROM f WHERE embedding MATCH '[0, 0]' AND k = 3"),
            Rows{{Value::integer(2), Value::real(1)},
                 {Value::integer(3), Value::real(2)},
                 {Value::integer(1), Value::real(5)}},
            "float default metric");
}

TEST_CASE("int8 dot products and distances are exact integers also beyond 2^24", "[vtab][exact]") {
  // The flat index is exact and int8 sums are exact
  // integers: the table must rank and report them like dot_product() and
  // l2_distance() do, not rounded to float32.
  Db db;
  const uint32_t dims = 2048;
  db.exec("CREATE VIRTUAL TABLE d USING quiver(embedding int8[2048] distance=dot)");
  db.exec("CREATE VIRTUAL TABLE e USING quiver(embedding int8[2048] distance=l2)");
  Bytes q(dims, static_cast<unsigned char>(-128));
  q[dims - 1] = 1;
  Bytes v1 = q;  // q . v1 = 2047 * 16384 + 1 = 33538049
  Bytes v2 = q;
  v2[dims - 1] = 0;  // q . v2 = 33538048
  // Rowid 1 is v2, rowid 2 is v1: v1 is nearer (distance -33538049).
  db.query("INSERT INTO d(rowid, embedding) VALUES (1, ?1), (2, ?2)", {Value::blob(v2), Value::blob(v1)});
  same_rows(db.query("SELECT rowid, distance FROM d WHERE embedding MATCH ?1 AND k = 2", {Value::blob(q)}),
            Rows{{Value::integer(2), Value::real(-33538049)}, {Value::integer(1), Value::real(-33538048)}},
            "dot beyond 2^24");
  REQUIRE(db.query("SELECT -dot_product(vector_int8(?1), vector_int8(?2))", {Value::blob(q), Value::blob(v1)})[0][0]
              .number() == -33538049);
  // l2: squared distances 127^2 * 1041 + 1 and 127^2 * 1041 + 4 (above 2^24).
  Bytes a(dims, 0), b1(dims, 0), b2(dims, 0);
  for (uint32_t i = 0; i < 1041; ++i) b1[i] = b2[i] = 127;
  b1[2000] = 1;
  b2[2000] = 2;
  db.query("INSERT INTO e(rowid, embedding) VALUES (1, ?1), (2, ?2)", {Value::blob(b2), Value::blob(b1)});
  Rows got = db.query("SELECT rowid, distance FROM e WHERE embedding MATCH ?1 AND k = 2", {Value::blob(a)});
  same_rows(got,
            Rows{{Value::integer(2), Value::real(std::sqrt(127.0 * 127.0 * 1041 + 1))},
                 {Value::integer(1), Value::real(std::sqrt(127.0 * 127.0 * 1041 + 4))}},
            "l2 beyond 2^24");
}

TEST_CASE("a distance bound equal to a row's distance includes it with <= and excludes it with <", "[vtab][exact]") {
  // The bound is honoured against the distance the table reports: a row
  // whose distance column is exactly x passes `distance <= x` and fails
  // `distance < x`, for every metric.
  const std::vector<Config> configs = {{Kind::F32, 100, "l2"}, {Kind::F32, 7, "l2"},     {Kind::F32, 64, "cosine"},
                                       {Kind::F32, 64, "dot"},  {Kind::I8, 64, "l2"},     {Kind::I8, 33, "cosine"},
                                       {Kind::I8, 100, "dot"},  {Kind::Bit, 64, "hamming"}};
  for (const Config& cfg : configs) {
    INFO(declaration(cfg));
    std::mt19937 rng(cfg.dims + cfg.metric.size());
    Db db;
    db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding " + declaration(cfg) + ")");
    db.exec("BEGIN");
    for (int64_t i = 1; i <= 300; ++i)
      db.query("INSERT INTO t(rowid, embedding) VALUES (?1, ?2)",
               {Value::integer(i), Value::blob(random_vector(rng, cfg))});
    db.exec("COMMIT");
    Bytes q = random_vector(rng, cfg);
    Rows stream = db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1", {Value::blob(q)});
    REQUIRE(stream.size() == 300);
    for (size_t i = 0; i < stream.size(); i += 7) {
      double x = stream[i][1].number();
      char label[64];
      std::snprintf(label, sizeof label, "bound %.17g (row %lld)", x, static_cast<long long>(stream[i][0].i));
      INFO(label);
      // Checked without stopping, to show every metric that fails.
      Rows le = db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND distance <= ?2",
                         {Value::blob(q), Value::real(x)});
      Rows le_want = filter_rows(stream, [&](const Row& r) { return r[1].number() <= x; });
      INFO("distance <= x: got " << le.size() << " rows, want " << le_want.size());
      CHECK(le == le_want);
      Rows lt = db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND distance < ?2",
                         {Value::blob(q), Value::real(x)});
      Rows lt_want = filter_rows(stream, [&](const Row& r) { return r[1].number() < x; });
      INFO("distance < x: got " << lt.size() << " rows, want " << lt_want.size());
      CHECK(lt == lt_want);
    }
  }
}

// ---- metadata filters and auxiliary columns -----------------------------------------

struct FilterFixture {
  Config cfg{Kind::F32, 24, "cosine"};
  size_t n = 3000;
  Db db;
  Dataset data{cfg, {}};
  std::string D = sql_distance(cfg, "?1", "embedding");
  std::mt19937 rng{41};

  FilterFixture() {
    db.exec(
        "CREATE VIRTUAL TABLE t USING quiver(embedding float[24] distance=cosine, product text, created integer, "
        "score real, +subject text, +payload blob)");
    db.exec(
        "CREATE TABLE m(rowid INTEGER PRIMARY KEY, embedding BLOB, product TEXT, created INTEGER, score REAL, "
        "subject TEXT, payload BLOB)");
    std::vector<int64_t> ids(n);
    for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i) + 1;
    std::shuffle(ids.begin(), ids.end(), rng);
    std::uniform_real_distribution<double> unit(0, 1);
    db.exec("BEGIN");
    Prepared into_t(db, "INSERT INTO t(rowid, embedding, product, created, score, subject, payload) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    Prepared into_m(db, "INSERT INTO m(rowid, embedding, product, created, score, subject, payload) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    for (size_t i = 0; i < n; ++i) {
      Bytes v = i % 97 == 5 ? data.rows.begin()->second : random_vector(rng, cfg);  // some duplicates
      double p = unit(rng);
      Value product = p < 0.01   ? Value::null()
                      : p < 0.31 ? Value::text("billing")
                      : p < 0.61 ? Value::text("shipping")
                      : p < 0.81 ? Value::text("returns")
                                 : Value::text("other");
      Value created =
          unit(rng) < 0.05 ? Value::null() : Value::integer(std::uniform_int_distribution<int>(0, 999)(rng));
      Value score = unit(rng) < 0.05 ? Value::null() : Value::real(unit(rng));
      Value subject = Value::text("subject " + std::to_string(i % 7));
      Value payload = i % 3 == 0 ? Value::null() : Value::blob(random_vector(rng, Config{Kind::I8, 5, "l2"}));
      std::vector<Value> row = {Value::integer(ids[i]), Value::blob(v), product, created, score, subject, payload};
      into_t.ok(row);
      into_m.ok(row);
      data.rows[ids[i]] = v;
    }
    db.exec("COMMIT");
  }

  std::set<int64_t> passing(const std::string& condition) {
    std::set<int64_t> ids;
    for (const Row& r : db.query("SELECT rowid FROM m WHERE " + condition)) ids.insert(r[0].i);
    return ids;
  }

  // The unfiltered stream for q, checked against the reference.
  Rows stream(const Bytes& q) {
    Rows s = db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1", {Value::blob(q)});
    near_same_hits(s, db.query("SELECT rowid, " + D + " AS d FROM m ORDER BY d, rowid", {Value::blob(q)}),
                   tolerance_for(cfg), "the unfiltered stream");
    brute_check(data, q, s, n);
    return s;
  }
};

TEST_CASE("metadata filters apply inside the scan: k nearest among the rows that pass", "[vtab][filters]") {
  FilterFixture fx;
  Db& db = fx.db;
  db.integrity("t");
  std::vector<Bytes> queries = {random_vector(fx.rng, fx.cfg), fx.data.rows.at(1234)};
  const std::vector<std::string> conditions = {
      "product = 'billing'",
      "product != 'billing'",
      "product < 'returns'",
      "product <= 'returns'",
      "product > 'other'",
      "product >= 'other'",
      "product IN ('billing', 'returns')",
      "product IN ('returns')",
      "product IS NULL",
      "product IS NOT NULL",
      "product IS 'shipping'",
      "product IS NOT 'shipping'",
      "product = 'nothing at all'",
      "created = 500",
      "created != 500",
      "created < 10",  // about 1% of the rows
      "created <= 10",
      "created > 990",
      "created >= 990",
      "created IN (1, 2, 3, 500, 999, 5000)",
      "created IS NULL",
      "created IS NOT NULL",
      "created = '500'",  // INTEGER affinity, as in an ordinary table
      "created > 5000",   // nothing
      "created < 2.5",
      "score < 0.25",
      "score >= 0.9",
      "score > 0.5 AND score < 0.52",
      "score IS NULL",
      "score > 2",
      "product = 'billing' AND created < 100",
      "product = 'billing' AND created IS NULL",
      "product IN ('billing', 'other') AND created IN (10, 20, 30, 40, 50) AND score IS NOT NULL",
      "rowid = 17",
      "rowid IN (5, 17, 2999, 100000)",
      "rowid IN (5, 17, 1234) AND product = 'billing'",
      "rowid = 1234 AND created IS NOT NULL",
  };
  for (size_t qn = 0; qn < queries.size(); ++qn) {
    const Bytes& q = queries[qn];
    Rows stream = fx.stream(q);
    for (const std::string& cond : conditions) {
      INFO("query " << qn << ", WHERE " << cond);
      std::set<int64_t> pass = fx.passing(cond);
      Rows expected = with_ids(stream, pass);  // the stream's rows that pass, in its order
      auto keep = [&](int64_t id) { return pass.count(id) > 0; };
      same_rows(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND " + cond, {Value::blob(q)}),
                expected, "filtered stream");
      for (int64_t k : {1, 10, 1000}) {
        Rows got = db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = ?2 AND " + cond,
                            {Value::blob(q), Value::integer(k)});
        same_rows(got, slice(expected, 0, static_cast<size_t>(k)), "k = " + std::to_string(k));
        if (k == 10) brute_check(fx.data, q, got, std::min<size_t>(10, pass.size()), keep);
      }
      same_rows(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND " + cond +
                             " ORDER BY distance LIMIT 10 OFFSET 3",
                         {Value::blob(q)}),
                slice(expected, 3, 10), "stream with LIMIT and OFFSET");
      same_rows(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND distance < 0.85 AND " + cond,
                         {Value::blob(q)}),
                filter_rows(expected, [](const Row& r) { return r[1].d < 0.85; }), "range");
      if (qn == 0) {
        // No MATCH: a scan in rowid order (or a rowid lookup).
        same_rows(db.query("SELECT rowid, product, created, score, subject, payload FROM t WHERE " + cond),
                  db.query("SELECT rowid, product, created, score, subject, payload FROM m WHERE " + cond +
                           " ORDER BY rowid"),
                  "no MATCH");
      }
    }
    // Bound parameters in filters.
    same_rows(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = 10 AND product = ?2 AND "
                       "created >= ?3",
                       {Value::blob(q), Value::text("returns"), Value::integer(500)}),
              slice(with_ids(stream, fx.passing("product = 'returns' AND created >= 500")), 0, 10),
              "bound filter values");
    // An OR is SQLite's to evaluate: with LIMIT (a stream) the answer is still right.
    same_rows(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND (product = 'other' OR "
                       "created < 50) ORDER BY distance LIMIT 15",
                       {Value::blob(q)}),
              slice(with_ids(stream, fx.passing("product = 'other' OR created < 50")), 0, 15), "OR");
  }
}

TEST_CASE("rowid ranges apply inside the scan like metadata filters", "[vtab][filters]") {
  // `k = 10 AND rowid > x` means the 10 nearest rows above x, as
  // `k = 10 AND created > x` does: a condition SQLite applied after the k
  // nearest were chosen would return fewer rows.
  FilterFixture fx;
  Db& db = fx.db;
  Bytes q = random_vector(fx.rng, fx.cfg);
  Rows stream = fx.stream(q);
  for (std::string cond : {"rowid > 2900", "rowid >= 2900", "rowid < 50", "rowid <= 50", "rowid BETWEEN 100 AND 140",
                           "rowid != 5"}) {
    INFO("WHERE " << cond);
    Rows expected = with_ids(stream, fx.passing(cond));
    same_rows(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND " + cond, {Value::blob(q)}),
              expected, "filtered stream");
    same_rows(
        db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = 10 AND " + cond, {Value::blob(q)}),
        slice(expected, 0, 10), "k = 10");
  }
}

TEST_CASE("rowid lookups with and without MATCH", "[vtab][filters]") {
  FilterFixture fx;
  Db& db = fx.db;
  const char* cols = "rowid, product, created, score, subject, payload";
  same_rows(db.query(std::string("SELECT ") + cols + " FROM t WHERE rowid = 17"),
            db.query(std::string("SELECT ") + cols + " FROM m WHERE rowid = 17"), "rowid =");
  REQUIRE(db.query("SELECT rowid FROM t WHERE rowid = 100000").empty());
  same_rows(db.query(std::string("SELECT ") + cols + " FROM t WHERE rowid IN (3, 1, 2, 77777) ORDER BY rowid"),
            db.query(std::string("SELECT ") + cols + " FROM m WHERE rowid IN (3, 1, 2, 77777) ORDER BY rowid"),
            "rowid IN");
  same_rows(db.query("SELECT rowid, embedding FROM t WHERE rowid = ?1", {Value::integer(42)}),
            Rows{{Value::integer(42), Value::blob(fx.data.rows.at(42))}}, "the vector by rowid");
  same_rows(db.query("SELECT rowid, embedding FROM t WHERE rowid BETWEEN 10 AND 20"),
            db.query("SELECT rowid, embedding FROM m WHERE rowid BETWEEN 10 AND 20"), "rowid range");
  same_rows(db.query("SELECT rowid, embedding, product, created, score, subject, payload FROM t"),
            db.query("SELECT rowid, embedding, product, created, score, subject, payload FROM m ORDER BY rowid"),
            "everything");
  // MATCH with a rowid: the distance of that row.
  Bytes q = random_vector(fx.rng, fx.cfg);
  Rows stream = fx.stream(q);
  same_rows(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND rowid = 42", {Value::blob(q)}),
            with_ids(stream, {42}), "MATCH and rowid =");
  same_rows(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND rowid IN (42, 7, 99999) AND k = 5",
                     {Value::blob(q)}),
            with_ids(stream, {42, 7}), "MATCH and rowid IN");
  // The hidden columns: k echoes, distance is NULL without MATCH.
  same_rows(db.query("SELECT k FROM t WHERE embedding MATCH ?1 AND k = 2", {Value::blob(q)}),
            Rows{{Value::integer(2)}, {Value::integer(2)}}, "k column");
  same_rows(db.query("SELECT distance FROM t WHERE rowid = 5"), Rows{{Value::null()}}, "distance without MATCH");
  // SELECT * shows the declared columns only, in order.
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db.handle(), "SELECT * FROM t", -1, &stmt, nullptr) == SQLITE_OK);
  std::vector<std::string> names;
  for (int i = 0; i < sqlite3_column_count(stmt); ++i) names.push_back(sqlite3_column_name(stmt, i));
  sqlite3_finalize(stmt);
  REQUIRE(names == std::vector<std::string>{"embedding", "product", "created", "score", "subject", "payload"});
}

TEST_CASE("auxiliary columns are stored and returned and SQLite filters on them afterwards", "[vtab][filters]") {
  FilterFixture fx;
  Db& db = fx.db;
  Bytes q = random_vector(fx.rng, fx.cfg);
  Rows stream = fx.stream(q);
  // Returned with the hits, exactly as stored (NULLs and blobs included).
  std::map<int64_t, Row> stored;
  for (const Row& r : db.query("SELECT rowid, subject, payload, product, created, score FROM m")) stored[r[0].i] = r;
  Rows hits = db.query("SELECT rowid, distance, subject, payload, product, created, score FROM t "
                       "WHERE embedding MATCH ?1 AND k = 200",
                       {Value::blob(q)});
  Rows want;
  for (const Row& r : slice(stream, 0, 200)) {
    Row row = r;
    const Row& s = stored.at(r[0].i);
    row.insert(row.end(), s.begin() + 1, s.end());
    want.push_back(row);
  }
  same_rows(hits, want, "values of the hits");
  // Each condition, and the part of it on metadata columns (applied inside the scan).
  for (auto [cond, metadata] : std::vector<std::pair<std::string, std::string>>{
           {"subject = 'subject 3'", "1"},
           {"payload IS NULL", "1"},
           {"subject IN ('subject 1', 'subject 6')", "1"},
           {"subject > 'subject 4' AND product = 'returns'", "product = 'returns'"},
           {"hex(payload) LIKE 'A%'", "1"}}) {
    INFO("WHERE " << cond);
    std::set<int64_t> pass = fx.passing(cond);
    // A stream with LIMIT: the nearest rows that pass.
    same_rows(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND " + cond +
                           " ORDER BY distance LIMIT 10",
                       {Value::blob(q)}),
              slice(with_ids(stream, pass), 0, 10), "stream");
    // With k, the filter applies to the k nearest (sqlite-vec's semantics for
    // columns the table does not filter).
    same_rows(
        db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = 60 AND " + cond, {Value::blob(q)}),
        with_ids(slice(with_ids(stream, fx.passing(metadata)), 0, 60), pass), "k");
    // Without MATCH.
    same_rows(db.query("SELECT rowid, subject, payload FROM t WHERE " + cond),
              db.query("SELECT rowid, subject, payload FROM m WHERE " + cond + " ORDER BY rowid"), "scan");
  }
}

TEST_CASE("EXPLAIN QUERY PLAN shows the plan string", "[vtab][plan]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[3], product text, created integer, +subject text)");
  auto plan = [&](const std::string& sql) {
    std::string all;
    for (const Row& r : db.query("EXPLAIN QUERY PLAN " + sql)) all += r.back().s + "\n";
    return all;
  };
  std::string knn = plan("SELECT rowid FROM t WHERE embedding MATCH '[1,2,3]' AND k = 5");
  INFO(knn);
  CHECK(knn.find("INDEX 75:K") != std::string::npos);
  CHECK(knn.find("q=--") != std::string::npos);
  CHECK(knn.find("k=--") != std::string::npos);
  std::string filtered = plan(
      "SELECT rowid FROM t WHERE embedding MATCH '[1,2,3]' AND k = 5 AND created > 3 AND product IN ('a', 'b') "
      "AND distance <= 2 AND subject = 'x'");
  INFO(filtered);
  CHECK(filtered.find("INDEX 75:K") != std::string::npos);
  CHECK(filtered.find("m>01") != std::string::npos);
  CHECK(filtered.find("mi00") != std::string::npos);
  CHECK(filtered.find("dL--") != std::string::npos);
  CHECK(filtered.find("02") == std::string::npos);  // auxiliary: not in the scan
  std::string stream = plan("SELECT rowid FROM t WHERE embedding MATCH '[1,2,3]' ORDER BY distance LIMIT 3");
  INFO(stream);
  CHECK(stream.find("INDEX 75:K") != std::string::npos);
  CHECK(stream.find("USE TEMP B-TREE") == std::string::npos);  // the order is the table's
  std::string lookup = plan("SELECT * FROM t WHERE rowid = 3");
  INFO(lookup);
  CHECK(lookup.find("INDEX 82:R") != std::string::npos);
  std::string scan = plan("SELECT * FROM t WHERE created = 3");
  INFO(scan);
  CHECK(scan.find("INDEX 70:F") != std::string::npos);
  CHECK(scan.find("m=01") != std::string::npos);
}

// ---- writes against a mirror ----------------------------------------------------------

// A quiver table `w` (vector column second, one metadata column either side,
// an auxiliary column) and its ordinary mirror `wm`, written in step.
struct Harness {
  Config cfg;
  Db& db;
  std::mt19937 rng;
  std::string D;

  Harness(Db& database, const Config& config, uint32_t seed, bool create = true)
      : cfg(config), db(database), rng(seed), D(sql_distance(config, "?1", "embedding")) {
    if (!create) return;
    db.exec("CREATE VIRTUAL TABLE w USING quiver(product text, embedding " + declaration(cfg) +
            ", created integer, +subject text)");
    db.exec("CREATE TABLE wm(rowid INTEGER PRIMARY KEY, product TEXT, embedding BLOB, created INTEGER, subject TEXT)");
  }

  Bytes vec() { return random_vector(rng, cfg); }
  Value product() {
    int p = std::uniform_int_distribution<int>(0, 9)(rng);
    return p == 0 ? Value::null() : Value::text(p < 5 ? "a" : p < 8 ? "b" : "c");
  }
  Value created() { return Value::integer(std::uniform_int_distribution<int>(0, 999)(rng)); }
  Value subject() { return Value::text("s" + std::to_string(std::uniform_int_distribution<int>(0, 99)(rng))); }

  // Runs the statement on both tables ({t} names the table); both must
  // succeed, or both fail with the same message (up to the table name).
  void both(const std::string& sql, const std::vector<Value>& params = {}) { both_on(db, sql, params); }
  void both_on(const Db& on, const std::string& sql, const std::vector<Value>& params = {}) {
    auto with = [&](const std::string& table) {
      std::string s = sql;
      for (size_t at; (at = s.find("{t}")) != std::string::npos;) s.replace(at, 3, table);
      return s;
    };
    Result a = on.run(with("w"), params);
    int a_changes = sqlite3_changes(on.handle());
    Result b = on.run(with("wm"), params);
    int b_changes = sqlite3_changes(on.handle());
    INFO("sql: " << sql);
    std::string b_error = b.error;
    for (size_t at; (at = b_error.find("wm.")) != std::string::npos;) b_error.replace(at, 3, "w.");
    REQUIRE(a.error == b_error);
    REQUIRE(a.primary() == b.primary());
    if (a.ok()) REQUIRE(a_changes == b_changes);  // sqlite3_changes() as for an ordinary table
  }

  std::vector<int64_t> rowids(const Db& on) {
    std::vector<int64_t> ids;
    for (const Row& r : on.query("SELECT rowid FROM wm ORDER BY rowid")) ids.push_back(r[0].i);
    return ids;
  }
  int64_t pick(const std::vector<int64_t>& ids) {
    return ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)];
  }

  void insert(int64_t rowid) {
    both("INSERT INTO {t}(rowid, product, embedding, created, subject) VALUES (?1, ?2, ?3, ?4, ?5)",
         {Value::integer(rowid), product(), Value::blob(vec()), created(), subject()});
  }

  // Random writes of every kind.
  void random_writes(size_t count) {
    std::vector<int64_t> ids = rowids(db);
    for (size_t i = 0; i < count; ++i) {
      int op = std::uniform_int_distribution<int>(0, 9)(rng);
      if (ids.empty()) op = 0;
      if (op <= 2) {
        insert(std::uniform_int_distribution<int64_t>(-1000, 2000000)(rng));
      } else if (op == 3) {
        both("UPDATE {t} SET embedding = ?2 WHERE rowid = ?1", {Value::integer(pick(ids)), Value::blob(vec())});
      } else if (op == 4) {
        both("UPDATE {t} SET product = ?2, created = ?3, subject = ?4 WHERE rowid = ?1",
             {Value::integer(pick(ids)), product(), created(), subject()});
      } else if (op == 5) {
        both(
            "UPDATE {t} SET rowid = ?2 WHERE rowid = ?1",
            {Value::integer(pick(ids)), Value::integer(std::uniform_int_distribution<int64_t>(3000000, 4000000)(rng))});
      } else if (op == 6) {
        both("INSERT OR REPLACE INTO {t}(rowid, product, embedding, created, subject) VALUES (?1, ?2, ?3, ?4, ?5)",
             {Value::integer(pick(ids)), product(), Value::blob(vec()), created(), subject()});
      } else {
        both("DELETE FROM {t} WHERE rowid = ?1", {Value::integer(pick(ids))});
      }
      if (op >= 3 && i % 16 == 0) ids = rowids(db);
    }
  }

  Rows content(const Db& on, const std::string& table) {
    return on.query("SELECT rowid, product, embedding, created, subject FROM " + table + " ORDER BY rowid");
  }

  // 'integrity-check' passes, the table holds what the mirror holds, and
  // searches agree with the mirror exactly.
  void verify(const std::string& label) { verify_on(db, label); }
  // 'integrity-check' is an INSERT: it needs the write lock, which a reader
  // cannot have while another connection writes (check_integrity = false).
  void verify_on(const Db& on, const std::string& label, bool check_integrity = true) {
    INFO("verify: " << label << " (" << declaration(cfg) << ")");
    if (check_integrity) on.integrity("w");
    Rows want = content(on, "wm");
    same_rows(content(on, "w"), want, "content");
    REQUIRE(on.integer("SELECT count(*) FROM w") == static_cast<int64_t>(want.size()));
    int64_t n = static_cast<int64_t>(want.size());
    std::vector<Bytes> queries = {vec(), vec()};
    if (!want.empty()) {
      const std::string& s = want[want.size() / 2][2].s;
      queries.push_back(Bytes(s.begin(), s.end()));
    }
    std::set<int64_t> product_a;
    for (const Row& r : on.query("SELECT rowid FROM wm WHERE product = 'a'")) product_a.insert(r[0].i);
    std::map<int64_t, Row> stored;
    for (const Row& r : want) stored[r[0].i] = r;
    for (const Bytes& q : queries) {
      // The whole stream against the distance functions; every other form
      // against the stream.
      Rows stream = on.query("SELECT rowid, distance FROM w WHERE embedding MATCH ?1", {Value::blob(q)});
      near_same_hits(stream, on.query("SELECT rowid, " + D + " AS d FROM wm ORDER BY d, rowid", {Value::blob(q)}),
                     tolerance_for(cfg), "whole stream");
      for (int64_t k : {int64_t{10}, n + 1}) {
        same_rows(on.query("SELECT rowid, distance FROM w WHERE embedding MATCH ?1 AND k = ?2",
                           {Value::blob(q), Value::integer(k)}),
                  slice(stream, 0, static_cast<size_t>(k)), "k = " + std::to_string(k));
      }
      Rows filtered;
      for (const Row& r : slice(with_ids(stream, product_a), 0, 7)) {
        const Row& s = stored.at(r[0].i);
        filtered.push_back({r[0], r[1], s[1], s[3], s[4]});
      }
      same_rows(on.query("SELECT rowid, distance, product, created, subject FROM w WHERE embedding MATCH ?1 "
                         "AND product = 'a' AND k = 7",
                         {Value::blob(q)}),
                filtered, "filtered");
      same_rows(on.query("SELECT rowid, distance FROM w WHERE embedding MATCH ?1 ORDER BY distance LIMIT 40 OFFSET 5",
                         {Value::blob(q)}),
                slice(stream, 5, 40), "stream with LIMIT and OFFSET");
    }
  }
};

void check_writes(const Config& cfg, size_t n, uint32_t seed) {
  Db db;
  Harness h(db, cfg, seed);
  INFO("table: " << declaration(cfg));

  // Explicit rowids, in random order, some negative.
  db.exec("BEGIN");
  std::vector<int64_t> fresh;
  for (size_t i = 0; i < n; ++i) fresh.push_back(static_cast<int64_t>(i) * 7 - 20);
  std::shuffle(fresh.begin(), fresh.end(), h.rng);
  for (int64_t id : fresh) h.insert(id);
  db.exec("COMMIT");
  h.verify("explicit rowids");

  // Automatic rowids: max(rowid) + 1, as in an ordinary rowid table.
  for (int i = 0; i < 30; ++i) {
    Value p = h.product(), c = h.created(), s = h.subject();
    Bytes v = h.vec();
    std::string sql = i % 2 ? "INSERT INTO w(product, embedding, created, subject) VALUES (?1, ?2, ?3, ?4)"
                            : "INSERT INTO w(rowid, product, embedding, created, subject) VALUES (NULL, ?1, ?2, ?3, ?4)";
    db.query(sql, {p, Value::blob(v), c, s});
    int64_t got = sqlite3_last_insert_rowid(db.handle());
    db.query("INSERT INTO wm(product, embedding, created, subject) VALUES (?1, ?2, ?3, ?4)", {p, Value::blob(v), c, s});
    REQUIRE(got == sqlite3_last_insert_rowid(db.handle()));
  }
  // A rowid given as text that looks like an integer, as SQLite converts it.
  h.both("INSERT INTO {t}(rowid, product, embedding, created, subject) VALUES ('9999999', 'a', ?1, 1, 'x')",
         {Value::blob(h.vec())});
  h.verify("automatic rowids");

  // UPDATE the vector, the metadata, the auxiliary column, several at once.
  std::vector<int64_t> ids = h.rowids(db);
  for (int i = 0; i < 40; ++i)
    h.both("UPDATE {t} SET embedding = ?2 WHERE rowid = ?1", {Value::integer(h.pick(ids)), Value::blob(h.vec())});
  for (int i = 0; i < 40; ++i)
    h.both("UPDATE {t} SET product = ?2, created = ?3 WHERE rowid = ?1",
           {Value::integer(h.pick(ids)), h.product(), h.created()});
  for (int i = 0; i < 40; ++i)
    h.both("UPDATE {t} SET subject = ?2 WHERE rowid = ?1", {Value::integer(h.pick(ids)), h.subject()});
  for (int i = 0; i < 20; ++i)
    h.both("UPDATE {t} SET subject = ?2, embedding = ?3, product = NULL WHERE rowid = ?1",
           {Value::integer(h.pick(ids)), h.subject(), Value::blob(h.vec())});
  h.both("UPDATE {t} SET created = created + 1, subject = subject || '!' WHERE product = 'b'");
  h.both("UPDATE {t} SET product = 'c' WHERE created < 100");
  h.both("UPDATE {t} SET embedding = embedding WHERE created > 900");
  h.verify("updates");

  // UPDATE of the rowid, alone and with the vector.
  h.both("UPDATE {t} SET rowid = rowid + 5000000 WHERE created < 150");
  ids = h.rowids(db);
  for (int i = 0; i < 20; ++i)
    h.both("UPDATE {t} SET rowid = ?2, embedding = ?3 WHERE rowid = ?1",
           {Value::integer(h.pick(ids)), Value::integer(-100000 - i), Value::blob(h.vec())});
  h.verify("rowid updates");

  // INSERT OR REPLACE, REPLACE, UPDATE OR REPLACE.
  ids = h.rowids(db);
  for (int i = 0; i < 30; ++i)
    h.both("INSERT OR REPLACE INTO {t}(rowid, product, embedding, created, subject) VALUES (?1, ?2, ?3, ?4, ?5)",
           {Value::integer(h.pick(ids)), h.product(), Value::blob(h.vec()), h.created(), h.subject()});
  h.both("REPLACE INTO {t}(rowid, product, embedding, created, subject) VALUES (?1, 'a', ?2, 5, 'r')",
         {Value::integer(ids[3]), Value::blob(h.vec())});
  h.both("UPDATE OR REPLACE {t} SET rowid = ?2 WHERE rowid = ?1", {Value::integer(ids[10]), Value::integer(ids[11])});
  h.both("UPDATE OR REPLACE {t} SET rowid = ?2, embedding = ?3 WHERE rowid = ?1",
         {Value::integer(ids[20]), Value::integer(ids[21]), Value::blob(h.vec())});
  h.verify("replace");

  // Duplicate rowids: the error of an ordinary table, and OR IGNORE / OR FAIL.
  ids = h.rowids(db);
  REQUIRE(db.error("INSERT INTO w(rowid, embedding) VALUES (?1, ?2)", {Value::integer(ids[5]), Value::blob(h.vec())}) ==
          "UNIQUE constraint failed: w.rowid");
  REQUIRE(db.run("INSERT INTO w(rowid, embedding) VALUES (?1, ?2)", {Value::integer(ids[5]), Value::blob(h.vec())})
              .primary() == SQLITE_CONSTRAINT);
  REQUIRE(db.error("UPDATE w SET rowid = ?2 WHERE rowid = ?1", {Value::integer(ids[5]), Value::integer(ids[6])}) ==
          "UNIQUE constraint failed: w.rowid");
  h.both(
      "INSERT OR IGNORE INTO {t}(rowid, product, embedding, created, subject) VALUES (?1, 'z', ?2, 1, 'z'), "
      "(?3, 'z', ?4, 2, 'z'), (?5, 'z', ?6, 3, 'z')",
      {Value::integer(ids[7]), Value::blob(h.vec()), Value::integer(8888888), Value::blob(h.vec()),
       Value::integer(ids[8]), Value::blob(h.vec())});
  h.both("UPDATE OR IGNORE {t} SET rowid = ?2 WHERE rowid = ?1", {Value::integer(ids[9]), Value::integer(ids[12])});
  h.both("INSERT OR FAIL INTO {t}(rowid, product, embedding, created, subject) VALUES (7777771, 'f', ?1, 1, 'f'), "
         "(?2, 'f', ?3, 2, 'f'), (7777772, 'f', ?4, 3, 'f')",
         {Value::blob(h.vec()), Value::integer(ids[13]), Value::blob(h.vec()), Value::blob(h.vec())});
  h.both("INSERT INTO {t}(rowid, product, embedding, created, subject) VALUES (7777773, 'g', ?1, 1, 'g'), "
         "(?2, 'g', ?3, 2, 'g')",
         {Value::blob(h.vec()), Value::integer(ids[14]), Value::blob(h.vec())});  // ABORT: neither row stays
  REQUIRE(db.query("SELECT rowid FROM w WHERE rowid IN (7777771, 7777772, 7777773) ORDER BY rowid").size() == 1);
  h.verify("duplicates");

  // INSERT ... SELECT from the table itself (SQLite reads it all first), from
  // a KNN on it, and from the mirror.
  h.both("INSERT INTO {t}(rowid, product, embedding, created, subject) "
         "SELECT rowid + 20000000, product, embedding, created, subject FROM {t} WHERE created < 60");
  {
    Bytes q = h.vec();
    Rows near = db.query("SELECT rowid FROM w WHERE embedding MATCH ?1 AND k = 5", {Value::blob(q)});
    db.query("INSERT INTO w(rowid, product, embedding, created, subject) SELECT rowid + 30000000, product, "
             "embedding, created, subject FROM w WHERE embedding MATCH ?1 AND k = 5",
             {Value::blob(q)});
    std::string list;
    for (const Row& r : near) list += (list.empty() ? "" : ", ") + std::to_string(r[0].i);
    db.query("INSERT INTO wm(rowid, product, embedding, created, subject) SELECT rowid + 30000000, product, "
             "embedding, created, subject FROM wm WHERE rowid IN (" + list + ")");
  }
  db.query("INSERT INTO w(rowid, product, embedding, created, subject) SELECT rowid + 40000000, product, "
           "embedding, created, subject FROM wm WHERE created > 980");
  db.query("INSERT INTO wm(rowid, product, embedding, created, subject) SELECT rowid + 40000000, product, "
           "embedding, created, subject FROM wm WHERE created > 980 AND rowid < 40000000");
  h.verify("insert select");

  // Deletes: some, then most, then all but two, then all; then refill.
  ids = h.rowids(db);
  for (int i = 0; i < 30; ++i) h.both("DELETE FROM {t} WHERE rowid = ?1", {Value::integer(h.pick(ids))});
  h.both("DELETE FROM {t} WHERE created > 900");
  h.both("DELETE FROM {t} WHERE rowid = 123456789");  // no such row
  h.verify("deletes");
  h.both("DELETE FROM {t} WHERE rowid % 10 != 3");
  h.verify("most rows deleted");
  ids = h.rowids(db);
  REQUIRE(ids.size() > 2);
  h.both("DELETE FROM {t} WHERE rowid NOT IN (?1, ?2)", {Value::integer(ids[0]), Value::integer(ids.back())});
  h.verify("two rows left");
  h.both("DELETE FROM {t}");
  h.verify("empty");
  REQUIRE(db.query("SELECT rowid FROM w WHERE embedding MATCH ?1 AND k = 10", {Value::blob(h.vec())}).empty());
  REQUIRE(db.query("SELECT count(*) FROM w_chunks").at(0).at(0).i == 0);
  for (int64_t i = 0; i < static_cast<int64_t>(n) / 2; ++i) h.insert(i * 11);
  h.verify("refilled");
  h.random_writes(300);
  h.verify("random writes");
}

TEST_CASE("writes of every kind keep the table equal to an ordinary mirror", "[vtab][writes]") {
  check_writes({Kind::F32, 13, "l2"}, 1500, 51);        // one chunk that grows
  check_writes({Kind::F32, 1024, "cosine"}, 400, 52);   // 64 vectors a chunk: deletes move across chunks
}

TEST_CASE("writes keep int8 and bit tables equal to an ordinary mirror", "[vtab][writes]") {
  check_writes({Kind::I8, 4096, "dot"}, 300, 53);
  check_writes({Kind::Bit, 32768, "hamming"}, 300, 54);
  check_writes({Kind::I8, 9, "cosine"}, 800, 55);
}

TEST_CASE("a failed write leaves nothing half-written", "[vtab][writes]") {
  Db db;
  Harness h(db, {Kind::F32, 1024, "l2"}, 61);
  for (int64_t i = 1; i <= 300; ++i) h.insert(i);
  h.verify("start");
  Rows before = h.content(db, "w");
  // INSERT ... SELECT whose last row has the wrong dimension.
  const char* bad_insert =
      "INSERT INTO w(rowid, product, embedding, created, subject) SELECT rowid + 1000, product, "
      "CASE WHEN rowid = 300 THEN '[1, 2]' ELSE embedding END, created, subject FROM wm ORDER BY rowid";
  REQUIRE(db.error(bad_insert) == "quiver: embedding: dimension mismatch: expected 1024, got 2");
  same_rows(h.content(db, "w"), before, "after a failed INSERT ... SELECT");
  db.integrity("w");
  // A multi-row UPDATE whose last row fails, and a DELETE + UPDATE mix.
  REQUIRE(db.error("UPDATE w SET embedding = CASE WHEN rowid = 250 THEN NULL ELSE ?1 END, product = 'x'",
                   {Value::blob(h.vec())}) == "quiver: embedding must not be NULL");
  same_rows(h.content(db, "w"), before, "after a failed UPDATE");
  REQUIRE(db.error("UPDATE w SET rowid = rowid + 1 WHERE rowid >= 100") == "UNIQUE constraint failed: w.rowid");
  same_rows(h.content(db, "w"), before, "after a failed rowid UPDATE");
  db.integrity("w");
  // The same inside a transaction: the statement is undone, the transaction goes on.
  db.exec("BEGIN");
  h.both("DELETE FROM {t} WHERE rowid < 50");
  Rows mid = h.content(db, "w");
  REQUIRE(db.error(bad_insert) == "quiver: embedding: dimension mismatch: expected 1024, got 2");
  same_rows(h.content(db, "w"), mid, "after a failed statement in a transaction");
  db.integrity("w");
  REQUIRE(db.error("UPDATE w SET embedding = CASE WHEN rowid = 250 THEN '[1]' ELSE ?1 END", {Value::blob(h.vec())}) ==
          "quiver: embedding: dimension mismatch: expected 1024, got 1");
  same_rows(h.content(db, "w"), mid, "after a failed UPDATE in a transaction");
  h.both("UPDATE {t} SET embedding = ?1 WHERE rowid = 200", {Value::blob(h.vec())});
  db.exec("COMMIT");
  h.verify("committed");
}

// ---- transactions -----------------------------------------------------------------------

TEST_CASE("ROLLBACK restores the table exactly", "[vtab][transactions]") {
  Db db;
  Harness h(db, {Kind::F32, 64, "l2"}, 71);  // 1024 vectors a chunk
  db.exec("BEGIN");
  for (int64_t i = 1; i <= 2500; ++i) h.insert(i * 2);
  db.exec("COMMIT");
  h.verify("start");  // also fills the cache
  Rows before = h.content(db, "w");

  db.exec("BEGIN");
  h.random_writes(400);
  h.both("DELETE FROM {t} WHERE rowid < 1500");
  h.verify("inside the transaction");  // uncommitted rows are visible
  db.exec("ROLLBACK");
  same_rows(h.content(db, "w"), before, "after ROLLBACK");
  h.verify("after ROLLBACK");

  // A vector changed and rolled back: searches see the old one again.
  Bytes q = h.vec();
  Rows near = db.query("SELECT rowid, distance FROM w WHERE embedding MATCH ?1 AND k = 3", {Value::blob(q)});
  db.exec("BEGIN");
  std::vector<float> far(64, 1000.0f);
  Bytes far_bytes(256);
  std::memcpy(far_bytes.data(), far.data(), 256);
  db.query("UPDATE w SET embedding = ?2 WHERE rowid = ?1", {near[0][0], Value::blob(far_bytes)});
  Rows during = db.query("SELECT rowid, distance FROM w WHERE embedding MATCH ?1 AND k = 3", {Value::blob(q)});
  REQUIRE(during[0][0].i != near[0][0].i);
  db.exec("ROLLBACK");
  same_rows(db.query("SELECT rowid, distance FROM w WHERE embedding MATCH ?1 AND k = 3", {Value::blob(q)}), near,
            "after rolling back a vector update");

  // Committed writes stay.
  db.exec("BEGIN");
  h.random_writes(200);
  db.exec("COMMIT");
  h.verify("after COMMIT");
}

TEST_CASE("SAVEPOINT and ROLLBACK TO and RELEASE behave as on an ordinary table", "[vtab][transactions]") {
  Db db;
  Harness h(db, {Kind::F32, 1024, "dot"}, 72);  // 64 vectors a chunk
  for (int64_t i = 1; i <= 500; ++i) h.insert(i);
  h.verify("start");
  Rows s0 = h.content(db, "w");

  db.exec("BEGIN");
  db.exec("SAVEPOINT one");
  h.random_writes(100);
  Rows s1 = h.content(db, "w");
  db.exec("SAVEPOINT two");
  h.random_writes(100);
  h.both("DELETE FROM {t} WHERE created < 300");
  h.verify("inside two");
  db.exec("ROLLBACK TO two");
  same_rows(h.content(db, "w"), s1, "ROLLBACK TO two");
  h.verify("after ROLLBACK TO two");
  h.random_writes(100);
  db.exec("RELEASE two");
  h.verify("after RELEASE two");
  db.exec("ROLLBACK TO one");
  same_rows(h.content(db, "w"), s0, "ROLLBACK TO one");
  h.verify("after ROLLBACK TO one");
  h.random_writes(100);
  db.exec("RELEASE one");
  db.exec("COMMIT");
  h.verify("committed");

  // A SAVEPOINT outside BEGIN starts the transaction.
  Rows s2 = h.content(db, "w");
  db.exec("SAVEPOINT outer_sp");
  h.random_writes(50);
  db.exec("ROLLBACK TO outer_sp");
  db.exec("RELEASE outer_sp");
  same_rows(h.content(db, "w"), s2, "SAVEPOINT as a transaction");
  h.verify("end");
}

TEST_CASE("a second connection sees committed changes of the first", "[vtab][transactions]") {
  for (bool wal : {false, true}) {
    INFO((wal ? "WAL" : "rollback journal"));
    TempFile file(wal ? "wal" : "journal");
    Db a(file.path());
    if (wal) REQUIRE(a.text("PRAGMA journal_mode=WAL") == "wal");
    Harness h(a, {Kind::F32, 256, "cosine"}, 81);  // 256 vectors a chunk
    a.exec("BEGIN");
    for (int64_t i = 1; i <= 1200; ++i) h.insert(i);
    a.exec("COMMIT");
    Db b(file.path());
    h.verify_on(b, "b, first read");
    h.verify_on(b, "b, second read (cached)");

    // Vectors updated in place: same chunk counts, new contents.
    for (int64_t i = 1; i <= 1200; i += 7)
      h.both("UPDATE {t} SET embedding = ?2 WHERE rowid = ?1", {Value::integer(i), Value::blob(h.vec())});
    h.verify_on(b, "b after a's vector updates");
    // Deletes move vectors between slots and chunks.
    h.both("DELETE FROM {t} WHERE rowid % 5 = 1");
    h.verify_on(b, "b after a's deletes");
    for (int i = 0; i < 30; ++i) h.both("DELETE FROM {t} WHERE rowid = ?1", {Value::integer(h.pick(h.rowids(a)))});
    h.verify_on(b, "b after a's single deletes");
    h.both("UPDATE {t} SET rowid = rowid + 100000 WHERE rowid % 3 = 0");
    h.verify_on(b, "b after a's rowid updates");
    for (int64_t i = 5000; i < 5100; ++i) h.insert(i);
    h.verify_on(b, "b after a's inserts");
    h.both("UPDATE {t} SET product = 'b', subject = 'moved' WHERE created < 500");
    h.verify_on(b, "b after a's metadata updates");

    // An open transaction in a: b reads the last committed state.
    Rows committed = h.content(b, "w");
    a.exec("BEGIN");
    h.random_writes(100);
    if (wal) {
      same_rows(h.content(b, "w"), committed, "b during a's transaction");
      h.verify_on(b, "b during a's transaction", false);
    }
    a.exec("COMMIT");
    h.verify_on(b, "b after a's commit");

    // And the other way round.
    h.verify_on(a, "a reads");
    for (int i = 0; i < 50; ++i)
      h.both_on(b, "UPDATE {t} SET embedding = ?2 WHERE rowid = ?1",
                {Value::integer(h.pick(h.rowids(b))), Value::blob(h.vec())});
    h.both_on(b, "DELETE FROM {t} WHERE created > 800");
    h.verify_on(a, "a after b's writes");
    h.verify("a, again");
  }
}

// ---- a large batch and the file size ---------------------------------------------------

TEST_CASE("100000 inserts in one transaction and a file close to the size of its data", "[vtab][bulk]") {
  TempFile file("bulk");
  Db db(file.path());
  const Config cfg{Kind::F32, 16, "l2"};
  const int64_t n = 100000;
  std::mt19937 rng(91);
  db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[16] distance=l2, tag integer)");
  Dataset data{cfg, {}};
  auto start = std::chrono::steady_clock::now();
  db.exec("BEGIN");
  {
    Prepared insert(db, "INSERT INTO t(rowid, embedding, tag) VALUES (?1, ?2, ?3)");
    for (int64_t i = 1; i <= n; ++i) {
      Bytes v = random_vector(rng, cfg);
      insert.ok({Value::integer(i), Value::blob(v), Value::integer(i % 100)});
      data.rows.emplace(i, std::move(v));
    }
  }
  db.exec("COMMIT");
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("100,000 inserts of float[16] took " << seconds << " s");  // about 0.6 s in Release
  REQUIRE(db.integer("SELECT count(*) FROM t") == n);
  db.integrity("t");

  for (int i = 0; i < 3; ++i) {
    Bytes q = random_vector(rng, cfg);
    brute_check(data, q,
                db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = 10", {Value::blob(q)}), 10);
    brute_check(data, q,
                db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = 1000 AND tag = 7",
                         {Value::blob(q)}),
                1000, [](int64_t id) { return id % 100 == 7; });
  }

  // Raw data per row: the vector (64 bytes), its rowid beside it in the chunk
  // (8), the rows table's record with its b-tree cell (rowid key varint 3,
  // record header 4, chunk 1, slot 2, tag 1, cell pointer 2, about 14 bytes
  // in all), and the tag index's entry (header 3, tag 1, rowid 3, cell
  // pointer 2: 9 bytes). A table filled once must stay within 15% of that:
  // no slack from growing chunks, no free pages, no half-empty b-tree pages.
  // (Measured: 9.95 MB for 9.50 MB raw, 1.048x, no free pages.)
  int64_t page_size = db.integer("PRAGMA page_size");
  int64_t pages = db.integer("PRAGMA page_count");
  int64_t freelist = db.integer("PRAGMA freelist_count");
  double raw = static_cast<double>(n) * (64 + 8 + 14 + 9);
  double file_bytes = static_cast<double>(pages * page_size);
  INFO("file " << file_bytes << " bytes (" << pages << " pages, " << freelist << " free) for " << raw
               << " raw bytes: " << file_bytes / raw << "x");
  CHECK(file_bytes <= 1.15 * raw);
  CHECK(freelist * page_size <= 0.02 * file_bytes);
}

// ---- rename, drop, names -----------------------------------------------------------------

std::vector<std::string> schema_names(const Db& db, const std::string& schema = "main") {
  std::vector<std::string> names;
  for (const Row& r :
       db.query("SELECT name FROM " + quote_id(schema) + ".sqlite_master WHERE type = 'table' ORDER BY name"))
    names.push_back(r[0].s);
  return names;
}

TEST_CASE("ALTER TABLE RENAME moves every shadow table and DROP TABLE removes them", "[vtab][ddl]") {
  TempFile file("rename");
  std::mt19937 rng(101);
  const Config cfg{Kind::F32, 8, "cosine"};
  std::vector<Bytes> vectors;
  {
    Db db(file.path());
    db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[8] distance=cosine, product text)");
    db.exec("CREATE TABLE other(x)");
    for (int i = 1; i <= 100; ++i) {
      vectors.push_back(random_vector(rng, cfg));
      db.query("INSERT INTO t(rowid, embedding, product) VALUES (?1, ?2, 'p')",
               {Value::integer(i), Value::blob(vectors.back())});
    }
    REQUIRE(schema_names(db) ==
            std::vector<std::string>{"other", "t", "t_centroids", "t_chunks", "t_config", "t_rows", "t_vectors"});
    Rows before =
        db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = 5", {Value::blob(vectors[0])});
    db.exec("ALTER TABLE t RENAME TO u");
    REQUIRE(schema_names(db) ==
            std::vector<std::string>{"other", "u", "u_centroids", "u_chunks", "u_config", "u_rows", "u_vectors"});
    same_rows(db.query("SELECT rowid, distance FROM u WHERE embedding MATCH ?1 AND k = 5", {Value::blob(vectors[0])}),
              before, "after rename");
    db.query("INSERT INTO u(rowid, embedding, product) VALUES (101, ?1, 'q')", {Value::blob(random_vector(rng, cfg))});
    db.query("DELETE FROM u WHERE rowid = 3");
    db.integrity("u");
    REQUIRE(db.integer("SELECT count(*) FROM u") == 100);
    REQUIRE(db.error("SELECT * FROM t").find("no such table: t") != std::string::npos);
    // Rename inside a transaction, rolled back.
    db.exec("BEGIN; ALTER TABLE u RENAME TO v; ROLLBACK");
    REQUIRE(db.integer("SELECT count(*) FROM u") == 100);
    db.integrity("u");
  }
  {
    // A new connection reads the renamed table.
    Db db(file.path());
    REQUIRE(db.integer("SELECT count(*) FROM u WHERE embedding MATCH ?1 AND k = 1000", {Value::blob(vectors[5])}) ==
            100);
    db.integrity("u");
    db.exec("DROP TABLE u");
    REQUIRE(schema_names(db) == std::vector<std::string>{"other"});
    // A table of the old name can be made again.
    db.exec("CREATE VIRTUAL TABLE u USING quiver(embedding float[8])");
    REQUIRE(db.integer("SELECT count(*) FROM u") == 0);
    db.exec("DROP TABLE u");
    REQUIRE(schema_names(db) == std::vector<std::string>{"other"});
  }
}

TEST_CASE("DROP TABLE in a rolled-back transaction keeps the table", "[vtab][ddl]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[2])");
  db.exec("INSERT INTO t(rowid, embedding) VALUES (1, '[1, 2]'), (2, '[3, 4]')");
  db.exec("BEGIN; DROP TABLE t; ROLLBACK");
  REQUIRE(db.integer("SELECT count(*) FROM t") == 2);
  db.integrity("t");
  same_rows(db.query("SELECT rowid FROM t WHERE embedding MATCH '[3, 4]' AND k = 1"), Rows{{Value::integer(2)}},
            "after");
}

TEST_CASE("table and column names with quotes and spaces and SQL metacharacters work", "[vtab][ddl]") {
  Db db;
  const std::string table = "we\"ird tab;le' --";
  db.exec("CREATE VIRTUAL TABLE " + quote_id(table) +
          " USING quiver(\"my \"\"vec\"\"\" float[4] distance=l2, \"pro'duct; --\" text, [a b] integer, "
          "+`x,y` text, \"select\" real)");
  std::vector<std::string> names = schema_names(db);
  REQUIRE(names == std::vector<std::string>{table, table + "_centroids", table + "_chunks", table + "_config",
                                            table + "_rows", table + "_vectors"});
  const std::string t = quote_id(table);
  db.exec("INSERT INTO " + t +
          "(rowid, \"my \"\"vec\"\"\", \"pro'duct; --\", [a b], `x,y`, \"select\") VALUES "
          "(1, '[0, 0, 0, 1]', 'a', 1, 'one', 0.5), (2, '[0, 0, 1, 1]', 'b', 2, 'two', 1.5), "
          "(3, '[0, 1, 1, 1]', 'a', 3, 'three', 2.5)");
  same_rows(db.query("SELECT rowid, distance, \"x,y\" FROM " + t +
                     " WHERE \"my \"\"vec\"\"\" MATCH '[0,0,0,0]' "
                     "AND k = 2 AND \"pro'duct; --\" = 'a' AND \"a b\" >= 1 AND \"select\" < 3"),
            Rows{{Value::integer(1), Value::real(1), Value::text("one")},
                 {Value::integer(3), Value::real(std::sqrt(3.0)), Value::text("three")}},
            "query");
  db.integrity(table);
  db.query("UPDATE " + t + " SET \"pro'duct; --\" = 'c', \"my \"\"vec\"\"\" = '[9, 9, 9, 9]' WHERE rowid = 2");
  db.query("DELETE FROM " + t + " WHERE rowid = 1");
  const std::string renamed = "an\"other name]";
  db.exec("ALTER TABLE " + t + " RENAME TO " + quote_id(renamed));
  REQUIRE(schema_names(db) == std::vector<std::string>{renamed, renamed + "_centroids", renamed + "_chunks",
                                                       renamed + "_config", renamed + "_rows", renamed + "_vectors"});
  db.integrity(renamed);
  same_rows(db.query("SELECT rowid, \"pro'duct; --\", `x,y` FROM " + quote_id(renamed) + " ORDER BY rowid"),
            Rows{{Value::integer(2), Value::text("c"), Value::text("two")},
                 {Value::integer(3), Value::text("a"), Value::text("three")}},
            "renamed");
  db.exec("DROP TABLE " + quote_id(renamed));
  REQUIRE(schema_names(db).empty());
}

TEST_CASE("tables in an attached and in the temp schema", "[vtab][ddl]") {
  Db db;
  db.exec("ATTACH ':memory:' AS aux");
  db.exec("CREATE VIRTUAL TABLE aux.t USING quiver(embedding float[2], tag text)");
  db.exec("CREATE VIRTUAL TABLE temp.t2 USING quiver(embedding float[2], tag text)");
  db.exec("INSERT INTO aux.t(rowid, embedding, tag) VALUES (1, '[0, 1]', 'x'), (2, '[5, 5]', 'y')");
  db.exec("INSERT INTO t2(rowid, embedding, tag) VALUES (7, '[0, 1]', 'x')");
  REQUIRE(schema_names(db).empty());
  REQUIRE(schema_names(db, "aux") ==
          std::vector<std::string>{"t", "t_centroids", "t_chunks", "t_config", "t_rows", "t_vectors"});
  same_rows(db.query("SELECT rowid, tag FROM aux.t WHERE embedding MATCH '[4, 4]' AND k = 1 AND tag = 'y'"),
            Rows{{Value::integer(2), Value::text("y")}}, "attached");
  same_rows(db.query("SELECT rowid FROM t2 WHERE embedding MATCH '[4, 4]' AND k = 1"), Rows{{Value::integer(7)}},
            "temp");
  db.integrity("t2");
  db.exec("INSERT INTO aux.t(t) VALUES ('integrity-check')");
  db.exec("ALTER TABLE aux.t RENAME TO s");
  REQUIRE(schema_names(db, "aux") ==
          std::vector<std::string>{"s", "s_centroids", "s_chunks", "s_config", "s_rows", "s_vectors"});
  db.exec("DROP TABLE aux.s");
  REQUIRE(schema_names(db, "aux").empty());
}

// ---- defensive mode and damaged shadow tables ----------------------------------------------

TEST_CASE("shadow tables are read-only to SQL in defensive mode", "[vtab][shadow]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[2], tag text)");
  db.exec("INSERT INTO t(rowid, embedding, tag) VALUES (1, '[1, 2]', 'a')");
  int on = -1;
  REQUIRE(sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_DEFENSIVE, 1, &on) == SQLITE_OK);
  REQUIRE(on == 1);
  for (const std::string part : {"config", "chunks", "vectors", "rows", "centroids"}) {
    std::string name = "t_" + part;
    INFO(name);
    const std::string message = "table " + name + " may not be modified";
    REQUIRE(db.error("DELETE FROM " + name) == message);
    REQUIRE(db.error("UPDATE " + name + " SET rowid = rowid") == message);
    REQUIRE(db.error("INSERT INTO " + name + " SELECT * FROM " + name) == message);
    db.query("SELECT * FROM " + name);  // reading is fine
  }
  REQUIRE(db.error("DROP TABLE t_rows") == "table t_rows may not be dropped");
  // The table itself still writes them.
  db.exec("INSERT INTO t(rowid, embedding, tag) VALUES (2, '[3, 4]', 'b')");
  db.exec("UPDATE t SET embedding = '[5, 6]', tag = 'c' WHERE rowid = 1");
  db.exec("DELETE FROM t WHERE rowid = 2");
  db.integrity("t");
  same_rows(db.query("SELECT rowid, tag FROM t"), Rows{{Value::integer(1), Value::text("c")}},
            "writes through the table");
  // Without defensive mode they are ordinary tables.
  REQUIRE(sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_DEFENSIVE, 0, &on) == SQLITE_OK);
  REQUIRE(on == 0);
  db.exec("UPDATE t_rows SET c0 = 'd' WHERE rowid = 1");
  same_rows(db.query("SELECT rowid, tag FROM t"), Rows{{Value::integer(1), Value::text("d")}},
            "shadow write without defensive");
  db.integrity("t");
}

// The result of a query after damage must be an error naming the problem or
// exactly the answer of the undamaged table: never a wrong answer.
void error_or_same(const Result& o, const Rows& right, const std::string& what) {
  INFO(what);
  if (!o.ok()) {
    INFO("error " << o.rc << ": " << o.error);
    CHECK((o.rc == SQLITE_CORRUPT_VTAB || o.error.rfind("quiver:", 0) == 0));
    return;
  }
  INFO("answered without an error: " << show(o.rows, 0, 8));
  INFO("the right answer: " << show(right, 0, 8));
  CHECK(o.rows == right);
}

void integrity_fails(const Db& db, const std::string& table) {
  Result o = db.run("INSERT INTO " + quote_id(table) + "(" + quote_id(table) + ") VALUES ('integrity-check')");
  INFO("integrity-check: " << o.rc << ": " << o.error);
  REQUIRE_FALSE(o.ok());
  REQUIRE(o.rc == SQLITE_CORRUPT_VTAB);
  REQUIRE(o.error.rfind("quiver: corrupt index: ", 0) == 0);
}

TEST_CASE("damaged shadow tables give errors and never a wrong answer", "[vtab][corruption]") {
  TempFile file("corrupt");
  const Config cfg{Kind::F32, 1024, "l2"};  // 64 vectors a chunk
  std::mt19937 rng(111);
  const int64_t n = 300;
  std::vector<Bytes> vectors;
  const std::string knn_all = "SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = 1000";
  const std::string knn_near = "SELECT rowid, distance, embedding, tag FROM t WHERE embedding MATCH ?1 AND k = 5";
  const std::string knn_tag = "SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = 20 AND tag < 50";
  const std::string stream = "SELECT rowid, distance FROM t WHERE embedding MATCH ?1 ORDER BY distance LIMIT 50";
  const std::string scan = "SELECT rowid, embedding, tag FROM t";
  const std::string one = "SELECT embedding, tag FROM t WHERE rowid = ?1";
  struct Right {
    Rows all, near, tag, stream, scan, one;
  } right;
  Bytes q = random_vector(rng, cfg);
  // The row the damage is aimed at: in the first chunk (slot 5).
  int64_t target = 0;
  {
    Db db(file.path());
    db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[1024] distance=l2, tag integer)");
    db.exec("BEGIN");
    for (int64_t i = 1; i <= n; ++i) {
      vectors.push_back(random_vector(rng, cfg));
      db.query("INSERT INTO t(rowid, embedding, tag) VALUES (?1, ?2, ?3)",
               {Value::integer(i * 10), Value::blob(vectors.back()), Value::integer(i % 100)});
    }
    db.exec("COMMIT");
    REQUIRE(db.integer("SELECT count(*) FROM t_chunks") >= 4);
    target = db.integer("SELECT rowid FROM t_rows WHERE chunk = (SELECT min(id) FROM t_chunks) AND slot = 5");
    Bytes tq(vectors[static_cast<size_t>(target / 10 - 1)]);
    right.all = db.query(knn_all, {Value::blob(q)});
    REQUIRE(right.all.size() == static_cast<size_t>(n));
    right.near = db.query(knn_near, {Value::blob(tq)});
    right.tag = db.query(knn_tag, {Value::blob(tq)});
    right.stream = db.query(stream, {Value::blob(tq)});
    right.scan = db.query(scan);
    right.one = db.query(one, {Value::integer(target)});
    db.integrity("t");
  }
  Bytes tq(vectors[static_cast<size_t>(target / 10 - 1)]);

  struct Damage {
    const char* name;
    std::string sql;
    bool by_rows = true;  // check the queries that go through the rows table (filter, scan, lookup)
  };
  const std::string first_chunk = "(SELECT min(id) FROM t_chunks)";
  const std::vector<Damage> damages = {
      {"vectors blob truncated", "UPDATE t_vectors SET vectors = substr(vectors, 1, 10) WHERE id = " + first_chunk},
      {"rowids blob truncated", "UPDATE t_vectors SET rowids = substr(rowids, 1, 16) WHERE id = " + first_chunk},
      {"vectors blob empty", "UPDATE t_vectors SET vectors = zeroblob(0) WHERE id = " + first_chunk},
      {"vectors row deleted", "DELETE FROM t_vectors WHERE id = " + first_chunk},
      {"chunks row deleted", "DELETE FROM t_chunks WHERE id = " + first_chunk},
      {"rows row at a wrong slot", "UPDATE t_rows SET slot = 6 WHERE rowid = " + std::to_string(target)},
      {"rows row at a slot past the capacity", "UPDATE t_rows SET slot = 100 WHERE rowid = " + std::to_string(target)},
      {"rows row in a missing chunk", "UPDATE t_rows SET chunk = 999 WHERE rowid = " + std::to_string(target)},
      // The row's metadata is gone: a filter, a scan or a lookup cannot tell
      // it from a row that does not exist, so only the searches are checked.
      {"rows row deleted", "DELETE FROM t_rows WHERE rowid = " + std::to_string(target), false},
      {"count beyond capacity", "UPDATE t_chunks SET count = capacity + 1 WHERE id = " + first_chunk},
      {"count negative", "UPDATE t_chunks SET count = -1 WHERE id = " + first_chunk},
      {"capacity changed", "UPDATE t_chunks SET capacity = capacity * 2 WHERE id = " + first_chunk},
      {"count zero", "UPDATE t_chunks SET count = 0 WHERE id = " + first_chunk},
  };
  for (const Damage& d : damages) {
    DYNAMIC_SECTION(d.name) {
      {
        Db db(file.path());
        sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_DEFENSIVE, 0, nullptr);
        db.exec(d.sql);
      }
      Db db(file.path());  // a fresh connection: nothing cached
      integrity_fails(db, "t");
      error_or_same(db.run(knn_all, {Value::blob(q)}), right.all, "k = all");
      error_or_same(db.run(knn_near, {Value::blob(tq)}), right.near, "k = 5 near the damaged row, with its vector");
      error_or_same(db.run(stream, {Value::blob(tq)}), right.stream, "stream");
      if (d.by_rows) {
        error_or_same(db.run(knn_tag, {Value::blob(tq)}), right.tag, "k = 20 with a filter");
        error_or_same(db.run(scan), right.scan, "scan");
        error_or_same(db.run(one, {Value::integer(target)}), right.one, "rowid lookup");
      }
      // Writes must not crash either (any outcome).
      db.run("DELETE FROM t WHERE rowid = ?1", {Value::integer(target)});
      db.run("INSERT INTO t(rowid, embedding, tag) VALUES (5, ?1, 1)", {Value::blob(tq)});
      db.run("UPDATE t SET embedding = ?1 WHERE rowid = ?2", {Value::blob(q), Value::integer(target + 10)});
    }
  }
  SECTION("a vector turned NaN in its blob") {
    {
      Db db(file.path());
      db.exec("UPDATE t_vectors SET vectors = X'0000C07F' || substr(vectors, 5) WHERE id = " + first_chunk);
    }
    Db db(file.path());
    integrity_fails(db, "t");
  }
  SECTION("the same damage seen by a connection that had cached the table") {
    Db reader(file.path());
    same_rows(reader.query(knn_all, {Value::blob(q)}), right.all, "before");
    {
      Db db(file.path());
      db.exec("UPDATE t_vectors SET vectors = substr(vectors, 1, 10) WHERE id = " + first_chunk);
    }
    error_or_same(reader.run(knn_all, {Value::blob(q)}), right.all, "cached reader");
    integrity_fails(reader, "t");
  }
}

TEST_CASE("a config that disagrees with the declaration is refused on connect", "[vtab][corruption]") {
  TempFile file("config");
  {
    Db db(file.path());
    db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[7] distance=cosine)");
    db.exec("INSERT INTO t(rowid, embedding) VALUES (1, '[1, 2, 3, 4, 5, 6, 7]')");
  }
  struct Case {
    std::string sql;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"UPDATE t_config SET value = '2' WHERE key = 'format'",
       "quiver: unsupported storage format 2 in table t (this build reads format 1)"},
      {"DELETE FROM t_config WHERE key = 'format'",
       "quiver: unsupported storage format (missing) in table t (this build reads format 1)"},
      {"UPDATE t_config SET value = '8' WHERE key = 'dims'",
       "quiver: corrupt index: config dims is \"8\" but the table declares \"7\""},
      {"UPDATE t_config SET value = 'l2' WHERE key = 'metric'",
       "quiver: corrupt index: config metric is \"l2\" but the table declares \"cosine\""},
      {"UPDATE t_config SET value = 'int8' WHERE key = 'type'",
       "quiver: corrupt index: config type is \"int8\" but the table declares \"float32\""},
      {"UPDATE t_config SET value = '0' WHERE key = 'chunk'", "quiver: corrupt index: config chunk is \"0\""},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.sql) {
      {
        Db db(file.path());
        sqlite3_db_config(db.handle(), SQLITE_DBCONFIG_DEFENSIVE, 0, nullptr);
        db.exec(c.sql);
        // The connection that was already open finds it in 'integrity-check'.
        Result o = db.run("INSERT INTO t(t) VALUES ('integrity-check')");
        INFO(o.error);
        REQUIRE_FALSE(o.ok());
        REQUIRE(o.error.rfind("quiver: ", 0) == 0);
      }
      Db db(file.path());
      REQUIRE(db.error("SELECT count(*) FROM t") == c.message);
      REQUIRE(db.error("SELECT rowid FROM t WHERE embedding MATCH '[1,1,1,1,1,1,1]' AND k = 1") == c.message);
    }
  }
}

// ---- errors ----------------------------------------------------------------------------

TEST_CASE("CREATE VIRTUAL TABLE rejects bad arguments with exact messages", "[vtab][errors]") {
  Db db;
  struct Case {
    const char* args;
    const char* message;
  };
  const Case cases[] = {
      {"embedding float[3], nprobe=3", "unknown option \"nprobe\""},
      {"embedding float[0]", "the dimension of embedding must be an integer from 1 to 65536, got \"0\""},
      {"embedding float[65537]", "the dimension of embedding must be an integer from 1 to 65536, got \"65537\""},
      {"embedding float[x]", "the dimension of embedding must be an integer from 1 to 65536, got \"x\""},
      {"embedding int8[-1]", "the dimension of embedding must be an integer from 1 to 65536, got \"-1\""},
      {"embedding float[3], p text, p integer", "duplicate column \"p\""},
      {"embedding float[3], P text, +p integer", "duplicate column \"p\""},
      {"embedding float[3], embedding text", "duplicate column \"embedding\""},
      {"embedding float[3], distance real", "column name \"distance\" is reserved"},
      {"embedding float[3], k integer", "column name \"k\" is reserved"},
      {"embedding float[3], K integer", "column name \"K\" is reserved"},
      {"embedding float[3], probes integer", "column name \"probes\" is reserved"},
      {"embedding float[3], rowid integer", "column name \"rowid\" is reserved"},
      {"embedding float[3], oid integer", "column name \"oid\" is reserved"},
      {"embedding float[3], _rowid_ integer", "column name \"_rowid_\" is reserved"},
      {"distance float[3]", "column name \"distance\" is reserved"},
      {"p text", "no vector column (declare one, e.g. embedding float[384])"},
      {"", "no vector column (declare one, e.g. embedding float[384])"},
      {"embedding bit[12]", "bit vectors need a multiple of 8 dimensions, got 12"},
      {"embedding bit[16] distance=cosine", "distance=cosine does not apply to bit vectors"},
      {"embedding int8[16] distance=hamming", "distance=hamming does not apply to int8 vectors"},
      {"embedding float[16] distance=manhattan", "unknown distance \"manhattan\" (expected cosine, dot, l2 or hamming)"},
      {"embedding float[16], p varchar",
       "unknown type \"varchar\" for column p (expected float[N], float16[N], bfloat16[N], int8[N], bit[N], integer, real, text)"},
      {"embedding vec[16]",
       "unknown type \"vec[16]\" for column embedding (expected float[N], float16[N], bfloat16[N], int8[N], bit[N], integer, real, text)"},
      {"embedding float[16], p", "column \"p\" needs a type"},
      {"embedding float[16], lists=4", "lists and probes apply to index=ivf only"},
      {"embedding float[16], index=flat, probes=4", "lists and probes apply to index=ivf only"},
      {"embedding float[16], index=hnsw", "unknown index \"hnsw\" (expected flat or ivf)"},
      {"embedding float[16], e2 float[4]", "only one vector column is allowed (\"embedding\" and \"e2\")"},
      {"embedding float[16], p blob", "metadata column p cannot be blob (declare it auxiliary: +p)"},
      {"+embedding float[16]", "the vector column embedding cannot be auxiliary"},
      {"embedding float[16] metric=l2", "unexpected \"metric=l2\" after vector column embedding (expected distance=...)"},
      {"embedding float[16], p text primary", "unexpected \"primary\" after column p"},
      {"embedding float[16], cache_mb=-1", "cache_mb must be an integer from 0 to 1048576, got \"-1\""},
      {"embedding float[16], a text", "column name \"a\" is the table's name"},
      {"A float[16]", "column name \"a\" is the table's name"},  // (the message names the table)
      {"embedding float[3], index=ivf, lists=2, lists=3", "duplicate option \"lists\""},
      {"embedding float[3], cache_mb=1, cache_mb=1", "duplicate option \"cache_mb\""},
      {"embedding float[3], index=ivf, index=flat", "duplicate option \"index\""},
      {"embedding float[3], index=ivf, probes = 1, probes=2", "duplicate option \"probes\""},
      {"embedding float",
       "no vector column (\"embedding float\" declares a real column; a vector column needs its dimensions, e.g. "
       "embedding float[384])"},
      {"embedding float[3] distance=cosine extra", "unexpected \"extra\" after distance=cosine"},
      {"embedding float[3] distance = cosine distance=l2", "unexpected \"distance=l2\" after distance=cosine"},
      {"embedding float[3] distance=", "distance needs a value (cosine, dot, l2 or hamming)"},
      {"embedding float[3] distance", "unexpected \"distance\" after vector column embedding (expected distance=...)"},
      {"embedding float[ x ]", "the dimension of embedding must be an integer from 1 to 65536, got \"x\""},
  };
  for (const Case& c : cases) {
    INFO(c.args);
    std::string sql = std::string("CREATE VIRTUAL TABLE a USING quiver(") + c.args + ")";
    REQUIRE(db.error(sql) == std::string("quiver: ") + c.message);
  }
  REQUIRE(db.error("CREATE VIRTUAL TABLE a USING quiver") ==
          "quiver: no vector column (declare one, e.g. embedding float[384])");
  // A table cannot take the name of one of its hidden columns.
  for (const char* name : {"k", "distance", "Probes", "cluster"})
    REQUIRE(db.error(std::string("CREATE VIRTUAL TABLE \"") + name + "\" USING quiver(embedding float[3])") ==
            std::string("quiver: a table cannot be named \"") + name +
                "\": distance, k, probes and cluster are the names of its hidden columns");
  // Nothing was left behind.
  REQUIRE(schema_names(db).empty());
  // Vector types written with spaces.
  db.exec("CREATE VIRTUAL TABLE s1 USING quiver(embedding float[ 4 ])");
  db.exec("CREATE VIRTUAL TABLE s2 USING quiver(embedding int8 [ 4 ]  distance = dot)");
  db.exec("INSERT INTO s1(rowid, embedding) VALUES (1, '[1, 2, 3, 4]')");
  db.exec("INSERT INTO s2(rowid, embedding) VALUES (1, '[1, 2, 3, 4]')");
  same_rows(db.query("SELECT distance FROM s2 WHERE embedding MATCH '[1, 1, 1, 1]' AND k = 1"),
            Rows{{Value::real(-10.0)}}, "int8 [ 4 ]  distance = dot");
  db.exec("DROP TABLE s1");
  db.exec("DROP TABLE s2");
  // The limits themselves are fine.
  db.exec("CREATE VIRTUAL TABLE a USING quiver(embedding float[65536])");
  db.exec("CREATE VIRTUAL TABLE b USING quiver(embedding bit[8], \"index\" text, \"Lists\" integer)");
  db.exec("CREATE VIRTUAL TABLE c USING quiver(tag text, embedding int8[1] distance = dot, cache_mb=0)");
  db.exec("INSERT INTO c(rowid, tag, embedding) VALUES (1, 'x', '[5]'), (2, 'y', '[-3]')");
  same_rows(db.query("SELECT rowid, tag FROM c WHERE embedding MATCH '[1]' AND k = 1"),
            Rows{{Value::integer(1), Value::text("x")}}, "cache_mb=0, vector column second");
}

TEST_CASE("bad rows and queries and commands fail with exact messages", "[vtab][errors]") {
  Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(embedding float[3] distance=cosine, product text)");
  db.exec("CREATE VIRTUAL TABLE i USING quiver(embedding int8[4] distance=dot)");
  db.exec("CREATE VIRTUAL TABLE b USING quiver(embedding bit[16])");
  db.exec("INSERT INTO t(rowid, embedding, product) VALUES (1, '[1, 0, 0]', 'a'), (2, '[0, 1, 0]', 'b')");
  db.exec("INSERT INTO i(rowid, embedding) VALUES (1, '[1, 2, 3, 4]')");
  db.exec("INSERT INTO b(rowid, embedding) VALUES (1, X'FF00')");
  struct Case {
    std::string sql;
    std::vector<Value> params;
    std::string message;
  };
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Bytes nan_blob(12, 0);
  std::memcpy(nan_blob.data() + 4, &nan, 4);
  const std::vector<Case> cases = {
      // rows
      {"INSERT INTO t(rowid, embedding) VALUES (9, '[1, 2]')", {}, "quiver: embedding: dimension mismatch: expected 3, got 2"},
      {"INSERT INTO t(rowid, embedding) VALUES (9, ?1)", {Value::blob(Bytes(16, 0))},
       "quiver: embedding: dimension mismatch: expected 3, got 4"},
      {"INSERT INTO t(rowid, embedding) VALUES (9, NULL)", {}, "quiver: embedding must not be NULL"},
      {"INSERT INTO t(rowid, product) VALUES (9, 'x')", {}, "quiver: embedding must not be NULL"},
      {"INSERT INTO t(rowid, embedding) VALUES (9, '[1, nan, 2]')", {},
       "quiver: embedding: malformed JSON vector: expected a number at offset 4"},
      {"INSERT INTO t(rowid, embedding) VALUES (9, ?1)", {Value::blob(nan_blob)},
       "quiver: embedding: element 1 is NaN"},
      {"INSERT INTO t(rowid, embedding) VALUES (9, X'0000803F0000803F00C07F')", {},
       "quiver: embedding: blob of 11 bytes is not a float32 vector (length must be a multiple of 4)"},
      {"INSERT INTO t(rowid, embedding) VALUES (9, 5)", {},
       "quiver: embedding: expected a vector (a BLOB or JSON array text), got integer"},
      {"INSERT INTO t(rowid, embedding) VALUES (9, vector_int8('[1, 2, 3]'))", {},
       "quiver: embedding holds float32 vectors, got int8"},
      {"INSERT INTO t(rowid, embedding) VALUES (9, '[0, 0, 0]')", {},
       "quiver: embedding: a zero vector has no cosine distance"},
      {"INSERT INTO t(rowid, embedding) VALUES (9, '[0, -0, 0]')", {},
       "quiver: embedding: a zero vector has no cosine distance"},
      {"INSERT INTO t(rowid, embedding) VALUES ('abc', '[1, 0, 0]')", {}, "datatype mismatch"},
      {"INSERT INTO t(rowid, embedding) VALUES (1, '[1, 0, 0]')", {}, "UNIQUE constraint failed: t.rowid"},
      {"UPDATE t SET embedding = NULL WHERE rowid = 1", {}, "quiver: embedding must not be NULL"},
      {"UPDATE t SET embedding = '[1, 2, 3, 4]' WHERE rowid = 1", {},
       "quiver: embedding: dimension mismatch: expected 3, got 4"},
      {"UPDATE t SET rowid = 2 WHERE rowid = 1", {}, "UNIQUE constraint failed: t.rowid"},
      {"INSERT INTO i(rowid, embedding) VALUES (9, '[1, 2.5, 3, 4]')", {},
       "quiver: embedding: element 1 (2.5) is not an integer in [-128, 127]"},
      {"INSERT INTO i(rowid, embedding) VALUES (9, '[1, 200, 3, 4]')", {},
       "quiver: embedding: element 1 (200) is not an integer in [-128, 127]"},
      {"INSERT INTO i(rowid, embedding) VALUES (9, vector('[1, 2, 3, 4]'))", {},
       "quiver: embedding holds int8 vectors, got float32"},
      {"INSERT INTO b(rowid, embedding) VALUES (9, '[1,0,1,0,1,0,1,0,1,1,1,1]')", {},
       "quiver: embedding: a bit vector needs a multiple of 8 dimensions, got 12"},
      {"INSERT INTO b(rowid, embedding) VALUES (9, X'FF')", {},
       "quiver: embedding: dimension mismatch: embedding holds bit[16] (2 bytes), got a bare blob of 1 byte"},
      // a bare float32 blob for an int8 table names both types
      {"INSERT INTO i(rowid, embedding) VALUES (9, X'0000803F000000400000404000008040')", {},
       "quiver: embedding: dimension mismatch: embedding holds int8[4] (4 bytes), got a bare blob of 16 bytes, the size "
       "of float32[4] (convert it with vector_int8(vector(...)))"},
      {"INSERT INTO i(rowid, embedding) VALUES (9, '[1, 2, 3]')", {}, "quiver: embedding: dimension mismatch: expected 4, got 3"},
      // hidden columns are computed, commands come alone
      {"INSERT INTO t(embedding, distance) VALUES ('[1, 0, 0]', 0.5)", {},
       "quiver: cannot write the hidden column distance (it is computed by searches)"},
      {"INSERT INTO t(embedding, k) VALUES ('[1, 0, 0]', 3)", {},
       "quiver: cannot write the hidden column k (it is computed by searches)"},
      {"INSERT INTO t(embedding, probes) VALUES ('[1, 0, 0]', 3)", {},
       "quiver: cannot write the hidden column probes (it is computed by searches)"},
      {"INSERT INTO t(embedding, cluster) VALUES ('[1, 0, 0]', 3)", {},
       "quiver: cannot write the hidden column cluster (it is computed by searches)"},
      {"UPDATE t SET distance = 0 WHERE rowid = 1", {},
       "quiver: cannot write the hidden column distance (it is computed by searches)"},
      {"UPDATE t SET cluster = 1 WHERE rowid = 1", {},
       "quiver: cannot write the hidden column cluster (it is computed by searches)"},
      {"UPDATE t SET k = 1 WHERE embedding MATCH '[1,0,0]' AND k = 1", {},
       "quiver: cannot write the hidden column k (it is computed by searches)"},
      {"UPDATE t SET t = 'rebuild' WHERE rowid = 1", {},
       "quiver: commands are run by INSERT INTO t(t) VALUES (...), not by UPDATE"},
      {"INSERT INTO t(t, embedding) VALUES ('rebuild', '[1, 0, 0]')", {},
       "quiver: a command takes no other column, got a value for embedding"},
      {"INSERT INTO t(t, product) VALUES ('integrity-check', 'a')", {},
       "quiver: a command takes no other column, got a value for product"},
      {"INSERT INTO t(t, distance) VALUES ('rebuild', 1)", {},
       "quiver: cannot write the hidden column distance (it is computed by searches)"},
      {"INSERT INTO t(rowid, t) VALUES (7, 'rebuild')", {}, "quiver: a command takes no rowid"},
      // queries
      {"SELECT rowid FROM t WHERE embedding MATCH '[1,0,0]' AND k = 0", {},
       "quiver: k must be an integer from 1 to 16777216, got 0"},
      {"SELECT rowid FROM t WHERE embedding MATCH '[1,0,0]' AND k = -1", {},
       "quiver: k must be an integer from 1 to 16777216, got -1"},
      {"SELECT rowid FROM t WHERE embedding MATCH '[1,0,0]' AND k = 'x'", {},
       "quiver: k must be an integer from 1 to 16777216, got x"},
      {"SELECT rowid FROM t WHERE embedding MATCH '[1,0,0]' AND k = 16777217", {},
       "quiver: k must be an integer from 1 to 16777216, got 16777217"},
      {"SELECT rowid FROM t WHERE embedding MATCH '[1,0,0]' AND k = ?1", {Value::null()},
       "quiver: k must be an integer from 1 to 16777216, got NULL"},
      {"SELECT rowid FROM t WHERE embedding MATCH '[1,0,0]' AND k = 2.5", {},
       "quiver: k must be an integer from 1 to 16777216, got 2.5"},
      {"SELECT rowid FROM t WHERE embedding MATCH '[1,0]' AND k = 1", {}, "quiver: dimension mismatch: expected 3, got 2"},
      {"SELECT rowid FROM t WHERE embedding MATCH ?1 AND k = 1", {Value::blob(Bytes(8, 0))},
       "quiver: dimension mismatch: expected 3, got 2"},
      {"SELECT rowid FROM t WHERE embedding MATCH '[0,0,0]' AND k = 1", {},
       "quiver: the query vector is zero, which has no cosine distance"},
      {"SELECT rowid FROM t WHERE embedding MATCH '[0,0,0]' ORDER BY distance LIMIT 1", {},
       "quiver: the query vector is zero, which has no cosine distance"},
      {"SELECT rowid FROM t WHERE embedding MATCH NULL AND k = 1", {}, "quiver: the query vector is NULL"},
      {"SELECT rowid FROM t WHERE embedding MATCH 5 AND k = 1", {},
       "quiver: query vector: expected a vector (a BLOB or JSON array text), got integer"},
      {"SELECT rowid FROM t WHERE embedding MATCH '[1, 2' AND k = 1", {},
       "quiver: query vector: malformed JSON vector: expected ',' or ']' at offset 5"},
      {"SELECT rowid FROM t WHERE embedding MATCH vector_int8('[1,2,3]') AND k = 1", {},
       "quiver: query vector is int8, embedding holds float32"},
      {"SELECT rowid FROM i WHERE embedding MATCH vector('[1,2,3,4]') AND k = 1", {},
       "quiver: query vector is float32, embedding holds int8"},
      {"SELECT rowid FROM b WHERE embedding MATCH X'0F' AND k = 1", {},
       "quiver: dimension mismatch: embedding holds bit[16] (2 bytes), got a bare blob of 1 byte"},
      {"SELECT rowid FROM i WHERE embedding MATCH X'0000803F000000400000404000008040' AND k = 1", {},
       "quiver: dimension mismatch: embedding holds int8[4] (4 bytes), got a bare blob of 16 bytes, the size of "
       "float32[4] (convert it with vector_int8(vector(...)))"},
      {"SELECT rowid FROM t WHERE embedding MATCH '[1,0,0]' AND k = 1 AND probes = 2", {},
       "quiver: probes applies to index=ivf only"},
      {"SELECT rowid FROM t WHERE k = 3", {}, "quiver: k needs a MATCH constraint on embedding"},
      {"SELECT rowid FROM t WHERE product = 'a' AND k = 3", {}, "quiver: k needs a MATCH constraint on embedding"},
      {"SELECT rowid FROM t WHERE embedding MATCH '[1,0,0]' AND distance < 'x'", {},
       "quiver: distance bound must be a number"},
      {"SELECT rowid FROM t WHERE product MATCH 'x'", {},
       "quiver: use MATCH as \"embedding MATCH <query vector>\", joined to the other conditions by AND"},
      // commands
      {"INSERT INTO t(t) VALUES ('frobnicate')", {},
       "quiver: unknown command \"frobnicate\" (expected 'integrity-check', 'optimize' or 'rebuild')"},
      {"INSERT INTO t(t) VALUES ('INTEGRITY-CHECK')", {},
       "quiver: unknown command \"INTEGRITY-CHECK\" (expected 'integrity-check', 'optimize' or 'rebuild')"},
  };
  Rows before = db.query("SELECT rowid, embedding, product FROM t ORDER BY rowid");
  for (const Case& c : cases) {
    INFO(c.sql);
    REQUIRE(db.error(c.sql, c.params) == c.message);
  }
  // Nothing was written by any of them.
  same_rows(db.query("SELECT rowid, embedding, product FROM t ORDER BY rowid"), before, "after the errors");
  REQUIRE(db.integer("SELECT count(*) FROM i") == 1);
  REQUIRE(db.integer("SELECT count(*) FROM b") == 1);
  db.integrity("t");
  db.integrity("i");
  db.integrity("b");
  // An UPDATE through a search, or of other columns, leaves the hidden
  // columns alone: not a write into them.
  db.exec("UPDATE t SET product = 'z' WHERE embedding MATCH '[1, 0, 0]' AND k = 1");
  db.exec("UPDATE t SET embedding = '[1, 0.5, 0]' WHERE rowid = 2");
  same_rows(db.query("SELECT rowid, product, vector_to_json(embedding) FROM t ORDER BY rowid"),
            Rows{{Value::integer(1), Value::text("z"), Value::text("[1,0,0]")},
                 {Value::integer(2), Value::text("b"), Value::text("[1,0.5,0]")}},
            "updates beside the hidden columns");
  db.exec("UPDATE t SET product = 'a' WHERE rowid = 1");
  db.exec("UPDATE t SET embedding = '[0, 1, 0]' WHERE rowid = 2");
  // The largest k is allowed, and the commands that exist run.
  REQUIRE(db.query("SELECT rowid FROM t WHERE embedding MATCH '[1,0,0]' AND k = 16777216").size() == 2);
  db.exec("INSERT INTO t(t) VALUES ('optimize')");
  db.exec("INSERT INTO t(t) VALUES ('rebuild')");
  db.integrity("t");
  // The largest rowid is usable; after it an automatic rowid cannot be found.
  db.exec("INSERT INTO t(rowid, embedding) VALUES (9223372036854775807, '[1, 1, 1]')");
  Result full = db.run("INSERT INTO t(embedding) VALUES ('[1, 1, 0]')");
  REQUIRE(full.error == "quiver: no rowid left (the largest rowid is in use)");
  REQUIRE(full.primary() == SQLITE_FULL);
  db.integrity("t");
}

}  // namespace

// ---- extreme magnitudes ----------------------------------------------------------

namespace {

Value f32_blob(const std::vector<float>& v) {
  std::string bytes(v.size() * 4, '\0');
  std::memcpy(&bytes[0], v.data(), bytes.size());
  return Value::blob(bytes);
}

// The distance of x from q by the table's metric: the shared reference.
long double brute_distance(const std::string& metric, const std::vector<float>& x, const std::vector<float>& q) {
  return quiver_test::reference_distance(quiver_test::metric_named(metric), x, q);
}

// Within the scorer's tolerance (tests/test_search.cpp): 1e-5 of |x| |q|
// for dot, 1e-5 for cosine, 1e-5 of itself for l2.
bool close_enough(const std::string& metric, double got, long double want, const std::vector<float>& x,
                  const std::vector<float>& q) {
  if (!std::isfinite(got)) return false;
  long double xx = 0, qq = 0;
  for (size_t t = 0; t < x.size(); ++t) xx += static_cast<long double>(x[t]) * x[t], qq += static_cast<long double>(q[t]) * q[t];
  long double scale = metric == "dot" ? std::sqrt(xx) * std::sqrt(qq) : metric == "l2" ? std::fabs(want) : 1;
  return std::fabs(static_cast<long double>(got) - want) <= 1e-5L * scale;
}

}  // namespace

TEST_CASE("no row is dropped and every distance is finite at norms from 1e-45 to 3.4e38", "[vtab][extreme]") {
  // The issue's rows and more: norms from the smallest subnormal to FLT_MAX,
  // in every float metric, flat and IVF (every list probed), through KNN,
  // a distance bound, a stream read to the end and the SQL functions.
  std::vector<std::vector<float>> rows = {
      {1, 0, 0, 0},          {1e-30f, 0, 0, 0},     {1e25f, 0, 0, 0},      {0, 1, 0, 0},
      {3e19f, 0, 0, 0},      {-3e38f, 0, 0, 0},     {1.4e-45f, 0, 0, 0},   {0, 1e-40f, -1e-40f, 0},
      {1e30f, 1e-30f, 0, 1}, {FLT_MAX, FLT_MAX, -FLT_MAX, FLT_MAX},       {1e-20f, 2e-20f, -3e-20f, 4e-20f},
      {1e20f, -1e20f, 1e20f, -1e20f}, {0.5f, -0.25f, 2, 8},               {-1e10f, 1e-10f, 1e10f, 3},
  };
  const size_t n = rows.size();
  for (const char* metric : {"cosine", "dot", "l2"}) {
    for (bool ivf : {false, true}) {
      Db db;
      std::string m = metric;
      INFO(m << (ivf ? " ivf" : " flat"));
      db.exec(std::string("CREATE VIRTUAL TABLE v USING quiver(e float[4] distance=") + metric +
              (ivf ? ", index=ivf, lists=3, probes=3)" : ")"));
      for (size_t i = 0; i < n; ++i)
        db.exec("INSERT INTO v(rowid, e) VALUES (?, ?)", {Value::integer(static_cast<int64_t>(i + 1)), f32_blob(rows[i])});
      if (ivf) {
        db.exec("INSERT INTO v(v) VALUES ('rebuild')");
        REQUIRE(db.integer("SELECT count(DISTINCT cluster) FROM v") > 1);
      }
      db.integrity("v");
      for (size_t qi = 0; qi < n; ++qi) {
        const std::vector<float>& q = rows[qi];
        INFO("query row " << qi + 1);
        std::vector<Value> p = {f32_blob(q)};
        const std::string match = "SELECT rowid, distance FROM v WHERE e MATCH ?";
        Rows forms[] = {db.query(match + " AND k = 100", p), db.query(match + " AND distance < 1e300", p),
                        db.query(match + " ORDER BY distance", p),
                        db.query("SELECT rowid, distance FROM v WHERE e MATCH ? ORDER BY distance LIMIT 100", p)};
        for (const Rows& got : forms) {
          REQUIRE(got.size() == n);
          std::set<int64_t> seen;
          for (size_t j = 0; j < got.size(); ++j) {
            int64_t rowid = got[j][0].i;
            seen.insert(rowid);
            const std::vector<float>& x = rows[static_cast<size_t>(rowid - 1)];
            double d = got[j][1].number();
            INFO("row " << rowid << " distance " << d << " want " << static_cast<double>(brute_distance(m, x, q)));
            CHECK(close_enough(m, d, brute_distance(m, x, q), x, q));
            if (j) CHECK(got[j - 1][1].number() <= d);
          }
          CHECK(seen.size() == n);
        }
        // quiver_pairs scores with the same scorer: every pair, finite.
        if (qi == 0) {
          Rows pairs = db.query("SELECT a, b, distance FROM quiver_pairs('v', 1e300)");
          CHECK(pairs.size() == n * (n - 1) / 2);
          for (const Row& r : pairs) {
            const std::vector<float>&x = rows[static_cast<size_t>(r[0].i - 1)], &y = rows[static_cast<size_t>(r[1].i - 1)];
            INFO("pair " << r[0].i << ", " << r[1].i << ": " << r[2].number());
            CHECK(close_enough(m, r[2].number(), brute_distance(m, x, y), x, y));
          }
        }
        // The SQL functions agree with the table and the brute force.
        const char* function = m == "dot" ? "-dot_product" : m == "l2" ? "l2_distance" : "cosine_distance";
        Rows f = db.query(std::string("SELECT rowid, ") + function + "(e, ?) FROM v ORDER BY rowid", p);
        REQUIRE(f.size() == n);
        for (const Row& r : f) {
          const std::vector<float>& x = rows[static_cast<size_t>(r[0].i - 1)];
          INFO("function, row " << r[0].i << ": " << r[1].number());
          CHECK(close_enough(m, r[1].number(), brute_distance(m, x, q), x, q));
        }
      }
    }
  }
}
