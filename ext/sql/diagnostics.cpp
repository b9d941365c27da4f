// Table-valued functions that report on a quiver table:
//
//   SELECT * FROM quiver_clusters('t');
//     one row per IVF list (its k-means cluster): cluster, size, centroid
//     (a float32 vector; unit length for cosine tables, NULL before
//     training). A flat table is one cluster, 0.
//
//   SELECT * FROM quiver_stats('t');
//     one row: rows, index, lists, probes, min_list, median_list, max_list,
//     trained_rows, changed (rows inserted or moved since training),
//     trained_spread and spread (mean distance of a row to its list's
//     centroid, at training and now: when spread grows well past
//     trained_spread, or changed nears trained_rows, a 'rebuild' pays off).
//
//   SELECT * FROM quiver_recall('t' [, samples [, k]]);
//     samples stored vectors (default 100, deterministic) as queries, each
//     run through the index at the table's probes and at 2x, 4x, ... up to
//     all lists, against an exact scan: one row per probe count with
//     probes, recall (mean recall@k, the query row itself left out) and
//     ms_per_query.
#include <algorithm>
#include <chrono>
#include <memory>
#include <new>
#include <cstring>
#include <string>
#include <vector>

#include "diagnostics.h"
#include "connection.h"
#include "ivf.h"
#include "kmeans.h"
#include "guard.h"
#include "statement.h"
#include "sql_value.h"
#include "store.h"
#include "table_function.h"

namespace quiver {
namespace {

std::string text_arg(sqlite3_value* v, const char* what) {
  const unsigned char* s = sqlite3_value_text(v);
  if (sqlite3_value_type(v) != SQLITE_TEXT || !s) throw SqlError(SQLITE_ERROR, std::string(what) + " must be a table name");
  return reinterpret_cast<const char*>(s);
}

// ---- quiver_stats ------------------------------------------------------------

Rows produce_stats(Connection& connection, int, sqlite3_value** argv) {
  QuiverTable t = connection.open(text_arg(argv[0], "quiver_stats: the argument"));
  IvfStats st = t.ivf->stats();
  return Rows{{Cell::integer(st.rows), Cell::text(index_kind_name(t.store->spec().index)), Cell::integer(st.lists),
               Cell::integer(st.probes), Cell::integer(st.min_list), Cell::integer(st.median_list),
               Cell::integer(st.max_list), Cell::integer(st.trained_rows), Cell::integer(st.changed),
               Cell::real(st.trained_spread), Cell::real(st.spread)}};
}

// ---- quiver_recall -------------------------------------------------------------

// The rowids `search` finds for a vector with k and probes.
std::vector<int64_t> knn(Statement& search, const std::vector<unsigned char>& vector, int64_t k, int64_t probes) {
  search.reset();
  search.bind_blob(1, vector.data(), vector.size()).bind(2, k).bind(3, probes);
  std::vector<int64_t> out;
  while (search.step()) out.push_back(search.int_at(0));
  return out;
}

Rows produce_recall(Connection& connection, int argc, sqlite3_value** argv) {
  sqlite3* db = connection.db();
  std::string name = text_arg(argv[0], "quiver_recall: the first argument");
  int64_t samples = argc > 1 ? integer_argument(argv[1], "quiver_recall: samples", 1, 100000) : 100;
  int64_t k = argc > 2 ? integer_argument(argv[2], "quiver_recall: k", 1, 10000) : 10;
  QuiverTable t = connection.open(name);
  const TableSpec& spec = t.store->spec();
  int64_t lists = std::max<int64_t>(1, t.ivf->lists());

  // A deterministic sample of stored rows: every row is a candidate with
  // equal chance (reservoir over the rows table in rowid order).
  std::vector<int64_t> rowids;
  {
    Statement all = t.store->select_rows(RowSelection::Rowids, {});
    Rng rng(0x5245434cull);
    int64_t seen = 0;
    while (all.step()) {
      int64_t id = all.int_at(0);
      if (seen < samples) {
        rowids.push_back(id);
      } else {
        uint64_t j = rng.below(static_cast<uint64_t>(seen) + 1);
        if (j < static_cast<uint64_t>(samples)) rowids[j] = id;
      }
      ++seen;
    }
  }

  const char* schema = t.store->schema().c_str();
  const char* table = t.store->table().c_str();
  Statement search(db, sql_format("SELECT rowid FROM \"%w\".\"%w\" WHERE \"%w\" MATCH ?1 AND k = ?2 AND probes = ?3",
                                  schema, table, spec.vector_column.c_str()));
  Statement fetch(db, sql_format("SELECT \"%w\" FROM \"%w\".\"%w\" WHERE rowid = ?1", spec.vector_column.c_str(),
                                 schema, table));

  std::vector<std::vector<unsigned char>> queries;
  for (int64_t id : rowids) {
    fetch.reset();
    fetch.bind(1, id);
    if (fetch.step()) {
      const unsigned char* b = static_cast<const unsigned char*>(sqlite3_column_blob(fetch.get(), 0));
      queries.emplace_back(b, b + sqlite3_column_bytes(fetch.get(), 0));
    }
  }
  // Exact neighbours, leaving out the query row itself.
  auto without = [](std::vector<int64_t> ids, int64_t self, int64_t k) {
    ids.erase(std::remove(ids.begin(), ids.end(), self), ids.end());
    if (static_cast<int64_t>(ids.size()) > k) ids.resize(static_cast<size_t>(k));
    return ids;
  };
  std::vector<std::vector<int64_t>> truth;
  for (size_t i = 0; i < queries.size(); ++i)
    truth.push_back(without(knn(search, queries[i], k + 1, lists),
                            rowids[i], k));

  std::vector<int64_t> probe_counts;
  for (int64_t p = std::min(t.ivf->default_probes(), lists); p < lists; p *= 2) probe_counts.push_back(p);
  probe_counts.push_back(lists);
  Rows rows;
  for (int64_t probes : probe_counts) {
    double found = 0, wanted = 0;
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < queries.size(); ++i) {
      std::vector<int64_t> got =
          without(knn(search, queries[i], k + 1, probes), rowids[i], k);
      for (int64_t id : got) found += std::count(truth[i].begin(), truth[i].end(), id) ? 1 : 0;
      wanted += static_cast<double>(truth[i].size());
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    rows.push_back({Cell::integer(probes), Cell::real(wanted > 0 ? found / wanted : 1.0),
                    Cell::real(queries.empty() ? 0 : ms / static_cast<double>(queries.size()))});
  }
  return rows;
}

// ---- quiver_clusters -----------------------------------------------------------

Rows produce_clusters(Connection& connection, int, sqlite3_value** argv) {
  QuiverTable t = connection.open(text_arg(argv[0], "quiver_clusters: the argument"));
  const TableSpec& spec = t.store->spec();
  int64_t lists = t.ivf->lists();
  std::vector<int64_t> sizes(static_cast<size_t>(std::max<int64_t>(1, lists)), 0);
  for (const ChunkInfo& c : t.store->chunks(-1))
    if (c.list >= 0 && c.list < static_cast<int64_t>(sizes.size())) sizes[static_cast<size_t>(c.list)] += c.count;
  Rows rows;
  for (size_t list = 0; list < sizes.size(); ++list) {
    Cell centroid;  // NULL until trained
    if (lists > 0) centroid = Cell::vector(t.ivf->centroid(list), spec.dims);
    rows.push_back({Cell::integer(static_cast<int64_t>(list)), Cell::integer(sizes[list]), centroid});
  }
  return rows;
}

const TableFunction kFunctions[] = {
    {"quiver_stats",
     "CREATE TABLE x(rows, \"index\", lists, probes, min_list, median_list, max_list, trained_rows, changed, "
     "trained_spread, spread, tbl HIDDEN)",
     11, 1, 1, produce_stats},
    {"quiver_recall", "CREATE TABLE x(probes, recall, ms_per_query, tbl HIDDEN, samples HIDDEN, k HIDDEN)", 3, 1, 3,
     produce_recall},
    {"quiver_clusters", "CREATE TABLE x(cluster, size, centroid, tbl HIDDEN)", 3, 1, 1, produce_clusters},
};

}  // namespace

int register_diagnostics(Connection& connection) {
  for (const TableFunction& f : kFunctions) {
    int rc = register_table_function(connection, f);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace quiver
