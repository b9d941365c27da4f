// quiver_clusters and the hidden `cluster` column (README "Near-duplicates,
// topics and document vectors"), through real SQLite connections, on seeded
// synthetic data: every row's cluster is the nearest centroid of
// quiver_clusters, GROUP BY cluster gives quiver_clusters' sizes, before and
// after writes; flat and untrained tables are one cluster; errors.
#include <sqlite3.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "quiver.h"
#include "support/db.h"
#include "support/mirror_table.h"
#include "support/sql.h"

namespace {

using namespace quiver_test;

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

}  // namespace
