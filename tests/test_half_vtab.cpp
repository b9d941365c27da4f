// float16[N] and bfloat16[N] virtual tables against brute force: every
// metric, flat and IVF (probing every list, so exact), KNN with filters,
// range bounds, streams, quiver_pairs, UPDATE, DELETE, rollback and
// integrity-check; the 2-byte storage; and the errors. The reference
// widens the stored 16-bit values (and the query, rounded to the table's
// type like any vector given to the table) for the shared reference.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "half.h"
#include "support/db.h"
#include "support/reference.h"
#include "support/sql.h"

namespace {

using quiver_test::Rows;
using quiver_test::Value;

struct Half {
  const char* type;  // the column type
  uint16_t (*narrow)(float);
  float (*widen)(uint16_t);
};
const Half kF16{"float16", quiver::f32_to_f16, quiver::f16_to_f32};
const Half kBF16{"bfloat16", quiver::f32_to_bf16, quiver::bf16_to_f32};

constexpr size_t kDims = 37;  // odd: every panel and kernel tail

std::vector<uint16_t> random_half(std::mt19937& rng, const Half& h) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<uint16_t> v(kDims);
  for (uint16_t& x : v) x = h.narrow(dist(rng));
  return v;
}

std::string blob_of(const std::vector<uint16_t>& v) { return std::string(reinterpret_cast<const char*>(v.data()), 2 * v.size()); }
std::string blob_of(const std::vector<float>& v) { return std::string(reinterpret_cast<const char*>(v.data()), 4 * v.size()); }

std::vector<float> widened(const Half& h, const std::vector<uint16_t>& v) {
  std::vector<float> out;
  for (uint16_t x : v) out.push_back(h.widen(x));
  return out;
}

// The distance the table reports, by the shared reference on the widened
// values.
double reference(const std::string& metric, const Half& h, const std::vector<uint16_t>& a,
                 const std::vector<uint16_t>& b) {
  return quiver_test::reference_distance(quiver_test::metric_named(metric), widened(h, a), widened(h, b));
}

struct Row {
  int64_t id;
  std::vector<uint16_t> v;
  std::string tag;
};

// (distance, rowid) of the rows passing `keep`, nearest first, ties by
// rowid: the shared reference.
std::vector<std::pair<double, int64_t>> brute_force(const std::string& metric, const Half& h,
                                                    const std::map<int64_t, Row>& rows, const std::vector<uint16_t>& q,
                                                    const std::string& tag = "") {
  std::vector<quiver_test::ReferenceRow> candidates;
  for (const auto& [id, r] : rows)
    if (tag.empty() || r.tag == tag) candidates.push_back({id, widened(h, r.v)});
  std::vector<std::pair<double, int64_t>> out;
  for (const auto& n : quiver_test::reference_nearest(quiver_test::metric_named(metric), widened(h, q), candidates))
    out.push_back({n.distance, n.rowid});
  return out;
}

// The table's answer matches the reference: the same rows, allowing a swap
// of rows whose exact distances are within float32 rounding of each other,
// and distances within float32 rounding.
void check_answer(const Rows& got, const std::vector<std::pair<double, int64_t>>& expected, size_t k) {
  REQUIRE(got.size() == std::min(k, expected.size()));
  std::map<int64_t, double> exact;
  for (const auto& [d, id] : expected) exact[id] = d;
  const double tol = 1e-5;
  for (size_t i = 0; i < got.size(); ++i) {
    int64_t id = got[i][0].i;
    REQUIRE(exact.count(id));
    INFO("rank " << i << " rowid " << id);
    CHECK(got[i][1].d == Approx(exact[id]).margin(tol));
    CHECK(exact[id] <= expected[i].first + tol);  // never a row farther than the i-th nearest
  }
}

}  // namespace

TEST_CASE("float16 and bfloat16 tables answer like brute force on every metric, flat and IVF", "[vtab][half]") {
  for (const Half* h : {&kF16, &kBF16}) {
    for (std::string metric : {"cosine", "dot", "l2"}) {
      for (std::string index : {"flat", "ivf"}) {
        DYNAMIC_SECTION(h->type << " " << metric << " " << index) {
          quiver_test::Db db;
          std::string decl = "CREATE VIRTUAL TABLE t USING quiver(embedding " + std::string(h->type) + "[" +
                             std::to_string(kDims) + "] distance=" + metric + ", tag text" +
                             (index == "ivf" ? ", index=ivf, lists=8, train=manual" : "") + ")";
          db.exec(decl);
          std::mt19937 rng(16 + metric.size() + index.size());
          std::map<int64_t, Row> rows;
          db.exec("BEGIN");
          for (int64_t id = 1; id <= 700; ++id) {
            Row r{id, random_half(rng, *h), id % 3 == 0 ? "x" : "y"};
            // Three ways in: a bare 16-bit blob, a float32 vector rounded by the table, JSON.
            std::vector<float> wide;
            for (uint16_t x : r.v) wide.push_back(h->widen(x));
            if (id % 3 == 0) {
              db.exec("INSERT INTO t(rowid, embedding, tag) VALUES (?1, ?2, ?3)",
                      {Value::integer(id), Value::blob(blob_of(r.v)), Value::text(r.tag)});
            } else if (id % 3 == 1) {
              db.exec("INSERT INTO t(rowid, embedding, tag) VALUES (?1, vector(?2), ?3)",
                      {Value::integer(id), Value::blob(blob_of(wide)), Value::text(r.tag)});
            } else {
              db.exec("INSERT INTO t(rowid, embedding, tag) VALUES (?1, vector_to_json(vector(?2)), ?3)",
                      {Value::integer(id), Value::blob(blob_of(wide)), Value::text(r.tag)});
            }
            rows[id] = r;
          }
          db.exec("COMMIT");
          if (index == "ivf") db.exec("INSERT INTO t(t) VALUES ('rebuild')");
          const std::string probes = index == "ivf" ? " AND probes = 8" : "";
          // Stored as given, 2 bytes an element.
          CHECK(db.query("SELECT embedding FROM t WHERE rowid = 5")[0][0].s == blob_of(rows[5].v));
          CHECK(db.text("SELECT vector_type(embedding) FROM t WHERE rowid = 5") == h->type);

          for (int qi = 0; qi < 12; ++qi) {
            INFO("query " << qi);
            std::vector<uint16_t> q = random_half(rng, *h);
            std::vector<float> qwide;
            for (uint16_t x : q) qwide.push_back(h->widen(x));
            Value query = Value::blob(blob_of(qwide));  // a float32 query: rounded to the type, exactly
            auto all = brute_force(metric, *h, rows, q);
            check_answer(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH vector(?1) AND k = 10" + probes,
                                  {query}),
                         all, 10);
            check_answer(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH vector(?1) AND k = 7 AND tag = 'x'" +
                                      probes,
                                  {query}),
                         brute_force(metric, *h, rows, q, "x"), 7);
            // A stream, paged.
            Rows page = db.query("SELECT rowid, distance FROM t WHERE embedding MATCH vector(?1)" + probes +
                                     " ORDER BY distance LIMIT 5 OFFSET 5",
                                 {query});
            REQUIRE(page.size() == 5);
            for (size_t i = 0; i < 5; ++i) CHECK(page[i][1].d == Approx(all[i + 5].first).margin(1e-5));
            // A range bound halfway between two distances: exactly the rows below it.
            double bound = (all[20].first + all[21].first) / 2;
            if (all[21].first - all[20].first > 1e-4) {
              Rows in_range = db.query("SELECT rowid FROM t WHERE embedding MATCH vector(?1) AND distance < ?2" + probes,
                                       {query, Value::real(bound)});
              std::set<int64_t> got, expected;
              for (const auto& r : in_range) got.insert(r[0].i);
              for (size_t i = 0; i <= 20; ++i) expected.insert(all[i].second);
              CHECK(got == expected);
            }
          }

          // UPDATE, DELETE and a rolled-back change, then the same answers.
          std::vector<uint16_t> moved = random_half(rng, *h);
          db.exec("UPDATE t SET embedding = ?1 WHERE rowid = 10", {Value::blob(blob_of(moved))});
          rows[10].v = moved;
          db.exec("DELETE FROM t WHERE rowid % 7 = 0");
          for (auto it = rows.begin(); it != rows.end();) it = it->first % 7 == 0 ? rows.erase(it) : std::next(it);
          db.exec("SAVEPOINT s");
          db.exec("DELETE FROM t WHERE rowid < 300");
          db.exec("UPDATE t SET embedding = ?1 WHERE rowid = 500", {Value::blob(blob_of(moved))});
          db.exec("ROLLBACK TO s");
          db.exec("RELEASE s");
          db.exec("INSERT INTO t(t) VALUES ('integrity-check')");
          CHECK(db.integer("SELECT count(*) FROM t") == static_cast<int64_t>(rows.size()));
          auto near_moved = brute_force(metric, *h, rows, moved);
          check_answer(db.query("SELECT rowid, distance FROM t WHERE embedding MATCH ?1 AND k = 10" + probes,
                                {Value::blob(blob_of(moved))}),
                       near_moved, 10);
          CHECK(db.query("SELECT rowid FROM t WHERE embedding MATCH ?1 AND k = 1" + probes,
                         {Value::blob(blob_of(moved))})[0][0].i == 10);
        }
      }
    }
  }
}

TEST_CASE("quiver_pairs on a float16 table finds the pairs brute force finds", "[vtab][half][pairs]") {
  quiver_test::Db db;
  db.exec("CREATE VIRTUAL TABLE p USING quiver(embedding float16[8] distance=l2)");
  std::mt19937 rng(808);
  std::uniform_real_distribution<float> dist(0.0f, 4.0f);
  std::map<int64_t, std::vector<uint16_t>> rows;
  for (int64_t id = 1; id <= 200; ++id) {
    std::vector<uint16_t> v(8);
    for (uint16_t& x : v) x = quiver::f32_to_f16(dist(rng));
    db.exec("INSERT INTO p(rowid, embedding) VALUES (?1, ?2)", {Value::integer(id), Value::blob(blob_of(v))});
    rows[id] = v;
  }
  const double bound = 1.5;
  std::set<std::pair<int64_t, int64_t>> expected;
  for (const auto& [a, va] : rows)
    for (const auto& [b, vb] : rows) {
      if (a >= b) continue;
      double d = reference("l2", kF16, va, vb);
      REQUIRE(std::fabs(d - bound) > 1e-5);  // no pair on the edge
      if (d < bound) expected.insert({a, b});
    }
  REQUIRE(expected.size() > 10);
  std::set<std::pair<int64_t, int64_t>> got;
  for (const auto& r : db.query("SELECT a, b, distance FROM quiver_pairs('p', ?1)", {Value::real(bound)})) {
    int64_t a = std::min(r[0].i, r[1].i), b = std::max(r[0].i, r[1].i);
    got.insert({a, b});
    CHECK(r[2].d == Approx(reference("l2", kF16, rows[a], rows[b])).margin(1e-5));
  }
  CHECK(got == expected);
}

TEST_CASE("float16 and bfloat16 tables refuse what does not fit, with the column named", "[vtab][half]") {
  quiver_test::Db db;
  db.exec("CREATE VIRTUAL TABLE h USING quiver(embedding float16[4] distance=cosine)");
  db.exec("CREATE VIRTUAL TABLE b USING quiver(embedding bf16[4] distance=l2)");
  CHECK(db.error("INSERT INTO h(rowid, embedding) VALUES (1, '[70000, 0, 0, 0]')") ==
        "quiver: embedding: element 0 (70000) is out of float16 range");
  CHECK(db.error("INSERT INTO h(rowid, embedding) VALUES (1, vector('[1, 2, 3, -65520]'))") ==
        "quiver: embedding: element 3 (-65520) is out of float16 range");
  CHECK(db.error("INSERT INTO b(rowid, embedding) VALUES (1, vector('[3.4028235e38, 0, 0, 0]'))") ==
        "quiver: embedding: element 0 (3.4028235e+38) is out of bfloat16 range");
  CHECK(db.error("INSERT INTO h(rowid, embedding) VALUES (1, X'007C000000000000')") ==
        "quiver: embedding: element 0 is infinite");
  CHECK(db.error("INSERT INTO h(rowid, embedding) VALUES (1, vector_bf16('[1, 2, 3, 4]'))") ==
        "quiver: embedding holds float16 vectors, got bfloat16");
  CHECK(db.error("INSERT INTO h(rowid, embedding) VALUES (1, vector_int8('[1, 2, 3, 4]'))") ==
        "quiver: embedding holds float16 vectors, got int8");
  CHECK(db.error("INSERT INTO h(rowid, embedding) VALUES (1, ?1)", {Value::blob(std::string(16, '\0'))}) ==
        "quiver: embedding: dimension mismatch: embedding holds float16[4] (8 bytes), got a bare blob of 16 bytes, "
        "the size of float32[4] (mark it as float32 with vector(...))");
  CHECK(db.error("INSERT INTO h(rowid, embedding) VALUES (1, vector_f16('[0, 0, 0, 0]'))") ==
        "quiver: embedding: a zero vector has no cosine distance");
  CHECK(db.error("CREATE VIRTUAL TABLE x USING quiver(embedding float16[8] distance=hamming)") ==
        "quiver: distance=hamming does not apply to float16 vectors");
  CHECK(db.error("SELECT rowid FROM h WHERE embedding MATCH vector('[1e5, 0, 0, 1]') AND k = 1") ==
        "quiver: query vector: element 0 (1e+05) is out of float16 range");
  db.exec("INSERT INTO b(rowid, embedding) VALUES (1, '[1, 2, 3, 4]')");
  CHECK(db.error("SELECT rowid FROM b WHERE embedding MATCH vector_f16('[1, 2, 3, 4]') AND k = 1") ==
        "quiver: query vector is float16, embedding holds bfloat16");
  CHECK(db.text("SELECT value FROM b_config WHERE key = 'type'") == "bfloat16");
}
