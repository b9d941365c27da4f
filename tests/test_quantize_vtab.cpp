// Quantized virtual tables (quantize=int8|bit, rescore=N) against a plain
// twin holding the same rows, itself checked against a brute force in
// double: KNN with filters, streams and range bounds, flat and IVF, float32
// and float16, through UPDATE, DELETE, a rolled-back savepoint, 'rebuild'
// and integrity-check; the quantizer in config; the option errors.
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
#include <vector>

#include "support/db.h"
#include "support/sql.h"

namespace {

using quiver_test::Rows;
using quiver_test::Value;

constexpr size_t kDims = 21;  // odd: a padded code pair

std::string blob_of(const std::vector<float>& v) { return std::string(reinterpret_cast<const char*>(v.data()), 4 * v.size()); }

// Clustered rows: nearest neighbours share a cluster, as embeddings do.
std::vector<std::vector<float>> clustered_rows(std::mt19937& rng, size_t n) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::vector<float>> centres(12, std::vector<float>(kDims));
  for (auto& c : centres)
    for (float& x : c) x = normal(rng) + 0.5f;
  std::vector<std::vector<float>> rows(n, std::vector<float>(kDims));
  for (size_t i = 0; i < n; ++i)
    for (size_t t = 0; t < kDims; ++t) rows[i][t] = centres[i % centres.size()][t] + 0.3f * normal(rng);
  return rows;
}

double reference(const std::string& metric, const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, aa = 0, bb = 0, l2 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double{a[i]} * b[i];
    aa += double{a[i]} * a[i];
    bb += double{b[i]} * b[i];
    l2 += (double{a[i]} - b[i]) * (double{a[i]} - b[i]);
  }
  if (metric == "cosine") return 1 - dot / std::sqrt(aa * bb);
  if (metric == "dot") return -dot;
  return std::sqrt(l2);
}

std::set<int64_t> rowids(const Rows& rows) {
  std::set<int64_t> out;
  for (const auto& r : rows) out.insert(r[0].i);
  return out;
}

// Every (rowid, distance) of `got` is the twin's for that rowid.
void check_distances(const Rows& got, const std::map<int64_t, double>& twin) {
  for (const auto& r : got) {
    auto it = twin.find(r[0].i);
    REQUIRE(it != twin.end());
    CHECK(r[1].number() == it->second);
  }
}

}  // namespace

TEST_CASE("quantized tables answer as their plain twins, through writes and rebuilds", "[quantize][vtab]") {
  struct Case {
    const char* quantize;
    const char* metric;
  };
  for (Case c : {Case{"int8", "cosine"}, Case{"int8", "dot"}, Case{"int8", "l2"}, Case{"bit", "cosine"},
                 Case{"bit", "dot"}}) {
    for (const char* type : {"float", "float16"}) {
      for (const char* index : {"flat", "ivf"}) {
        INFO(c.quantize << " " << c.metric << " " << type << " " << index);
        std::mt19937 rng(61);
        std::vector<std::vector<float>> rows = clustered_rows(rng, 1500);
        quiver_test::Db db;
        std::string cols = std::string("(embedding ") + type + "[" + std::to_string(kDims) + "] distance=" + c.metric +
                           ", tag integer" + (std::string(index) == "ivf" ? ", index=ivf, lists=6, train=manual" : "");
        db.exec(std::string("CREATE VIRTUAL TABLE q USING quiver") + cols + ", quantize=" + c.quantize +
                ", rescore=8)");
        db.exec("CREATE VIRTUAL TABLE p USING quiver" + cols + ")");
        db.exec("BEGIN");
        for (size_t i = 0; i < rows.size(); ++i)
          for (const char* t : {"q", "p"})
            db.exec(std::string("INSERT INTO ") + t + "(rowid, embedding, tag) VALUES (?1, vector(?2), ?3)",
                    {Value::integer(static_cast<int64_t>(i + 1)), Value::blob(blob_of(rows[i])),
                     Value::integer(static_cast<int64_t>(i % 4))});
        db.exec("COMMIT");

        auto compare = [&](int round) {
          INFO("round " << round);
          double recall = 0;
          const int queries = 8;
          for (int qi = 0; qi < queries; ++qi) {
            std::vector<float> qv = rows[static_cast<size_t>(qi * 97 + round) % rows.size()];
            for (float& x : qv) x += 0.05f;
            Value q = Value::blob(blob_of(qv));
            const std::string probes = std::string(index) == "ivf" ? " AND probes = 6" : "";
            // The twin's distances of every row, and against a brute force.
            std::map<int64_t, double> twin;
            Rows all = db.query("SELECT rowid, distance FROM p WHERE embedding MATCH vector(?1) ORDER BY distance", {q});
            for (const auto& r : all) twin[r[0].i] = r[1].number();
            if (std::string(type) == "float")
              for (const auto& r : all)
                CHECK(r[1].number() ==
                      Approx(reference(c.metric, qv, rows[static_cast<size_t>(r[0].i - 1)])).margin(1e-4));
            // k with a filter: exact distances, most of the twin's rows.
            const char* knn = "SELECT rowid, distance FROM %s WHERE embedding MATCH vector(?1) AND k = 10 AND tag = 1%s "
                              "ORDER BY distance";
            char sql[256];
            std::snprintf(sql, sizeof sql, knn, "q", probes.c_str());
            Rows got = db.query(sql, {q});
            std::snprintf(sql, sizeof sql, knn, "p", probes.c_str());
            Rows want = db.query(sql, {q});
            REQUIRE(got.size() == want.size());
            check_distances(got, twin);
            std::set<int64_t> g = rowids(got), w = rowids(want);
            size_t common = 0;
            for (int64_t id : g) common += w.count(id);
            recall += static_cast<double>(common) / static_cast<double>(w.size()) / queries;
            for (const auto& r : got) CHECK((r[0].i - 1) % 4 == 1);
            // Streams and ranges are exact: the twin's rows exactly.
            CHECK(db.query("SELECT rowid, distance FROM q WHERE embedding MATCH vector(?1) ORDER BY distance LIMIT 40", {q}) ==
                  db.query("SELECT rowid, distance FROM p WHERE embedding MATCH vector(?1) ORDER BY distance LIMIT 40", {q}));
            Value bound = Value::real(all[25][1].number());
            CHECK(db.query("SELECT rowid, distance FROM q WHERE embedding MATCH vector(?1) AND distance < ?2" + probes +
                               " ORDER BY rowid",
                           {q, bound}) ==
                  db.query("SELECT rowid, distance FROM p WHERE embedding MATCH vector(?1) AND distance < ?2" + probes +
                               " ORDER BY rowid",
                           {q, bound}));
            CHECK(db.query("SELECT rowid, distance FROM q WHERE embedding MATCH vector(?1) AND distance <= ?2 AND k = 5 AND "
                           "tag = 2" + probes + " ORDER BY distance",
                           {q, bound})
                      .size() <= 5);
          }
          if (std::string(c.quantize) == "int8") CHECK(recall >= 0.95);
        };

        compare(0);
        db.exec("INSERT INTO q(q) VALUES ('rebuild')");
        db.exec("INSERT INTO p(p) VALUES ('rebuild')");
        // The quantizer in config: version 1, the kind, the metric, the dims.
        std::string hex = db.text("SELECT value FROM q_config WHERE key = 'quantizer'");
        CHECK(hex.substr(0, 4) == std::string("01") + (std::string(c.quantize) == "int8" ? "01" : "02"));
        CHECK(hex.size() == 2 * (7 + (std::string(c.quantize) == "int8" ? 2 : 1) * 4 * kDims));
        compare(1);
        for (const char* t : {"q", "p"}) {
          db.exec(std::string("UPDATE ") + t + " SET embedding = vector_to_json(vector(?1)) WHERE rowid = 10",
                  {Value::blob(blob_of(rows[700]))});
          db.exec(std::string("DELETE FROM ") + t + " WHERE rowid % 7 = 0");
          db.exec("SAVEPOINT s");
          db.exec(std::string("DELETE FROM ") + t + " WHERE rowid < 300");
          db.exec(std::string("INSERT INTO ") + t + "(" + t + ") VALUES ('rebuild')");
          db.exec("ROLLBACK TO s");
          db.exec("RELEASE s");
          db.exec(std::string("INSERT INTO ") + t + "(" + t + ") VALUES ('integrity-check')");
        }
        rows[9] = rows[700];  // the brute force follows the UPDATE
        CHECK(db.integer("SELECT count(*) FROM q") == db.integer("SELECT count(*) FROM p"));
        compare(2);
      }
    }
  }
}

TEST_CASE("quantize and rescore options are checked", "[quantize][vtab]") {
  quiver_test::Db db;
  CHECK(db.error("CREATE VIRTUAL TABLE t USING quiver(e float[8] distance=l2, quantize=bit)") ==
        "quiver: quantize=bit needs distance=cosine or dot");
  CHECK(db.error("CREATE VIRTUAL TABLE t USING quiver(e float[8], quantize=int4)") ==
        "quiver: unknown quantize \"int4\" (expected int8 or bit)");
  CHECK(db.error("CREATE VIRTUAL TABLE t USING quiver(e int8[8], quantize=int8)") ==
        "quiver: quantize=int8 needs a float, float16 or bfloat16 column");
  CHECK(db.error("CREATE VIRTUAL TABLE t USING quiver(e float[8], rescore=4)") ==
        "quiver: rescore applies to quantized tables only (quantize=int8 or bit)");
  CHECK(db.error("CREATE VIRTUAL TABLE t USING quiver(e float[8], quantize=int8, rescore=0)") ==
        "quiver: rescore must be an integer from 1 to 1024, got \"0\"");
  db.exec("CREATE VIRTUAL TABLE t USING quiver(e bfloat16[8] distance=dot, quantize=INT8, rescore=2)");
  db.exec("INSERT INTO t(rowid, e) VALUES (1, '[1,2,3,4,5,6,7,8]'), (2, '[-1,0,0,0,0,0,0,1]')");
  Rows r = db.query("SELECT rowid, distance FROM t WHERE e MATCH '[1,1,1,1,1,1,1,1]' AND k = 2");
  REQUIRE(r.size() == 2);
  CHECK(r[0][0].i == 1);
  CHECK(r[0][1].number() == -36);
  CHECK(r[1][1].number() == 0);
}

TEST_CASE("a flat quantized table stores its quantizer at the commit of a bulk write", "[quantize][vtab]") {
  quiver_test::Db db;
  db.exec("CREATE VIRTUAL TABLE t USING quiver(e float[4] distance=l2, quantize=int8)");
  auto insert = [&](int first, int count) {
    db.exec("BEGIN");
    for (int i = first; i < first + count; ++i)
      db.exec("INSERT INTO t(rowid, e) VALUES (?1, vector_to_json(vector(?2)))",
              {Value::integer(i), Value::blob(blob_of({float(i % 17), float(i % 5), 1, float(-i % 3)}))});
    db.exec("COMMIT");
  };
  insert(1, 999);  // below the bulk threshold: learned in memory only
  CHECK(db.query("SELECT rowid FROM t WHERE e MATCH '[3,2,1,0]' AND k = 3").size() == 3);
  CHECK(db.integer("SELECT count(*) FROM t_config WHERE key = 'quantizer'") == 0);
  insert(1000, 1000);
  CHECK(db.text("SELECT value FROM t_config WHERE key = 'quantizer_rows'") == "1999");
  std::string first = db.text("SELECT value FROM t_config WHERE key = 'quantizer'");
  insert(2000, 1000);  // not yet doubled
  CHECK(db.text("SELECT value FROM t_config WHERE key = 'quantizer'") == first);
  insert(3000, 1000);
  CHECK(db.text("SELECT value FROM t_config WHERE key = 'quantizer_rows'") == "3999");
  db.exec("INSERT INTO t(t) VALUES ('integrity-check')");
}
