// quiver_pairs(table, max_distance [, probes]): every pair of rows of a
// quiver table within max_distance of each other, as rows (a, b, distance)
// with a < b, each pair once. Rows stream out as they are found, in no
// particular order, so a LIMIT stops the work early.
//
// Work goes chunk against chunk: the rows of one chunk are scored against a
// whole prepared block at a time. A flat (or not yet trained) table is one
// list compared with itself: an exact blocked all-pairs scan. A trained IVF
// table compares each list with its `probes` nearest lists by centroid
// (default: the table's probes), so the work is about rows x probes x list
// size instead of rows^2/2; a pair whose rows sit in lists that are not
// neighbours is missed, as in any IVF search, and probes = lists is exact.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "ivf.h"
#include "pairs.h"
#include "connection.h"
#include "scan.h"
#include "guard.h"
#include "statement.h"
#include "sql_value.h"
#include "store.h"

namespace quiver {
namespace {

constexpr int kColumnA = 0, kColumnB = 1, kColumnDistance = 2, kColumnTable = 3, kColumnMax = 4, kColumnProbes = 5;

struct Pair {
  int64_t a, b;
  double distance;
};

struct PairsTable : sqlite3_vtab {
  Connection* connection;
};

struct Candidate {
  ChunkInfo chunk;
  bool same;  // the query chunk itself: only slots after the query row's
};

struct PairsCursor : sqlite3_vtab_cursor {
  QuiverTable table{nullptr, nullptr};
  double max_score = 0;
  // The lists, each with the lists it is compared with (itself first).
  std::vector<std::vector<uint32_t>> neighbours;
  std::vector<std::vector<bool>> is_neighbour;
  // Position: list li, its query chunk qi, candidate ci.
  size_t li = 0, qi = 0, ci = 0;
  std::vector<ChunkInfo> list_chunks;  // chunks of list li
  bool query_loaded = false;
  std::vector<Candidate> candidates;
  std::vector<unsigned char> query_buffer;
  ChunkView query;
  std::vector<Scorer> scorers;  // one per row of the query chunk
  std::vector<unsigned char> block_buffer;
  Block scratch;
  ScanScratch scratch_scores;
  std::vector<Pair> pending;
  size_t position = 0;
  bool done = false;
};

int pairs_connect(sqlite3* db, void* aux, int, const char* const*, sqlite3_vtab** out, char**) {
  int rc = sqlite3_declare_vtab(
      db, "CREATE TABLE x(a, b, distance, tbl HIDDEN, max_distance HIDDEN, probes HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  auto* t = new (std::nothrow) PairsTable();
  if (!t) return SQLITE_NOMEM;
  t->connection = static_cast<Connection*>(aux);
  *out = t;
  return SQLITE_OK;
}

int pairs_disconnect(sqlite3_vtab* vtab) {
  delete static_cast<PairsTable*>(vtab);
  return SQLITE_OK;
}

enum PairsPlan { kPlanDefaultProbes, kPlanWithProbes, kPlanIncomplete };

int pairs_best_index(sqlite3_vtab*, sqlite3_index_info* info) {
  int argv_of[3] = {0, 0, 0};
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (c.iColumn < kColumnTable || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!c.usable) return SQLITE_CONSTRAINT;
    argv_of[c.iColumn - kColumnTable] = i + 1;
  }
  int n = 0;
  for (int k = 0; k < 3; ++k) {
    if (!argv_of[k]) continue;
    info->aConstraintUsage[argv_of[k] - 1].argvIndex = ++n;
    info->aConstraintUsage[argv_of[k] - 1].omit = 1;
  }
  // Without both required arguments the plan fails in xFilter, if SQLite
  // picks it at all: it also asks about plans it will not use (one per term
  // of an OR), so this is not an error yet.
  bool complete = argv_of[0] && argv_of[1];
  info->idxNum = !complete ? kPlanIncomplete : argv_of[2] ? kPlanWithProbes : kPlanDefaultProbes;
  info->estimatedCost = complete ? 1e9 : 1e300;
  return SQLITE_OK;
}

int pairs_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* c = new (std::nothrow) PairsCursor();
  if (!c) return SQLITE_NOMEM;
  *out = c;
  return SQLITE_OK;
}

int pairs_close(sqlite3_vtab_cursor* cur) {
  delete static_cast<PairsCursor*>(cur);
  return SQLITE_OK;
}

// Loads query chunk qi of list li, a scorer per row, and the chunks its rows
// are compared with. A pair of lists (L, M) is compared once: from L when M
// is among L's neighbours, unless L is also among M's and M < L.
void load_query_chunk(PairsCursor* c) {
  Store& store = *c->table.store;
  const TableSpec& spec = store.spec();
  c->query = store.load(c->list_chunks[c->qi], &c->query_buffer);
  c->scorers.clear();
  for (int64_t s = 0; s < c->query.count; ++s) {
    VectorView row{spec.element_type, spec.dims, c->query.vectors + static_cast<size_t>(s) * store.vector_bytes()};
    c->scorers.emplace_back(spec.metric, row, active_kernels());
  }
  c->candidates.clear();
  uint32_t list = static_cast<uint32_t>(c->li);
  for (uint32_t m : c->neighbours[c->li]) {
    if (m == list) {
      for (size_t j = c->qi; j < c->list_chunks.size(); ++j) c->candidates.push_back({c->list_chunks[j], j == c->qi});
      continue;
    }
    if (c->is_neighbour[m][list] && m < list) continue;  // compared from m
    for (const ChunkInfo& chunk : store.chunks(m)) c->candidates.push_back({chunk, false});
  }
  c->ci = 0;
  c->query_loaded = true;
}

// Produces the next batch of pairs into c->pending; sets done at the end.
void advance(PairsCursor* c) {
  Store& store = *c->table.store;
  c->pending.clear();
  c->position = 0;
  while (c->pending.empty() && !c->done) {
    if (!c->query_loaded) {
      while (c->li < c->neighbours.size() && c->qi >= c->list_chunks.size()) {
        if (++c->li < c->neighbours.size()) c->list_chunks = store.chunks(static_cast<int64_t>(c->li));
        c->qi = 0;
      }
      if (c->li >= c->neighbours.size()) {
        c->done = true;
        return;
      }
      load_query_chunk(c);
    }
    if (c->ci >= c->candidates.size()) {
      ++c->qi;
      c->query_loaded = false;
      continue;
    }
    const Candidate& candidate = c->candidates[c->ci++];
    const Block& block = store.load_block(candidate.chunk, &c->block_buffer, &c->scratch);
    double* scores = c->scratch_scores.reserve(block);
    for (int64_t s = 0; s < c->query.count; ++s) {
      const Scorer& scorer = c->scorers[static_cast<size_t>(s)];
      scorer.score_block(block, c->scratch_scores.panel.data(), scores);
      int64_t rowid = c->query.rowids[s];
      for (int64_t r = candidate.same ? s + 1 : 0; r < block.count; ++r) {
        double score = scores[r];
        if (!(score <= c->max_score)) continue;
        int64_t other = block.rowids[static_cast<size_t>(r)];
        c->pending.push_back({std::min(rowid, other), std::max(rowid, other), scorer.distance(score)});
      }
    }
  }
}

int pairs_filter(sqlite3_vtab_cursor* cur, int idx_num, const char*, int argc, sqlite3_value** argv) {
  auto* c = static_cast<PairsCursor*>(cur);
  auto* t = static_cast<PairsTable*>(cur->pVtab);
  return guard(cur->pVtab, [&] {
    if (idx_num == kPlanIncomplete) throw SqlError(SQLITE_ERROR, "quiver_pairs: needs a table name and a maximum distance");
    const unsigned char* name = sqlite3_value_text(argv[0]);
    if (sqlite3_value_type(argv[0]) != SQLITE_TEXT || !name) throw SqlError(SQLITE_ERROR, "quiver_pairs: the first argument must be a table name");
    c->table = t->connection->open(reinterpret_cast<const char*>(name));
    int type = sqlite3_value_numeric_type(argv[1]);
    double max_distance = sqlite3_value_double(argv[1]);
    if ((type != SQLITE_INTEGER && type != SQLITE_FLOAT) || std::isnan(max_distance))
      throw SqlError(SQLITE_ERROR, "quiver_pairs: the maximum distance must be a number");
    int64_t lists = c->table.ivf->lists();
    size_t probes = static_cast<size_t>(c->table.ivf->default_probes());
    if (idx_num == kPlanWithProbes && argc > 2)
      probes = static_cast<size_t>(integer_argument(argv[2], "quiver_pairs: probes", 1, kMaxLists));
    // The bound in the scorer's terms (squared for L2).
    c->max_score = score_bound(c->table.store->spec().metric, max_distance, true);
    // Flat, or IVF before training: one list compared with itself.
    c->neighbours.clear();
    c->is_neighbour.clear();
    size_t n = static_cast<size_t>(std::max<int64_t>(1, lists));
    for (size_t list = 0; list < n; ++list)
      c->neighbours.push_back(lists > 0 ? c->table.ivf->neighbour_lists(list, probes) : std::vector<uint32_t>{0});
    c->is_neighbour.assign(n, std::vector<bool>(n, false));
    for (size_t list = 0; list < n; ++list)
      for (uint32_t m : c->neighbours[list]) c->is_neighbour[list][m] = true;
    c->li = 0;
    c->qi = 0;
    c->list_chunks = c->table.store->chunks(0);
    c->query_loaded = false;
    c->done = false;
    advance(c);
    return SQLITE_OK;
  });
}

int pairs_next(sqlite3_vtab_cursor* cur) {
  auto* c = static_cast<PairsCursor*>(cur);
  return guard(cur->pVtab, [&] {
    if (++c->position >= c->pending.size()) advance(c);
    return SQLITE_OK;
  });
}

int pairs_eof(sqlite3_vtab_cursor* cur) {
  auto* c = static_cast<PairsCursor*>(cur);
  return c->position >= c->pending.size();
}

int pairs_column(sqlite3_vtab_cursor* cur, sqlite3_context* ctx, int column) {
  auto* c = static_cast<PairsCursor*>(cur);
  const Pair& p = c->pending[c->position];
  switch (column) {
    case kColumnA: sqlite3_result_int64(ctx, p.a); break;
    case kColumnB: sqlite3_result_int64(ctx, p.b); break;
    case kColumnDistance: result_distance(ctx, c->table.store->spec().metric, p.distance); break;
    default: break;
  }
  return SQLITE_OK;
}

int pairs_rowid(sqlite3_vtab_cursor* cur, sqlite3_int64* out) {
  auto* c = static_cast<PairsCursor*>(cur);
  *out = c->pending[c->position].a;
  return SQLITE_OK;
}

sqlite3_module make_pairs_module() {
  sqlite3_module m;
  std::memset(&m, 0, sizeof m);
  m.iVersion = 1;
  m.xConnect = pairs_connect;  // eponymous only
  m.xBestIndex = pairs_best_index;
  m.xDisconnect = pairs_disconnect;
  m.xOpen = pairs_open;
  m.xClose = pairs_close;
  m.xFilter = pairs_filter;
  m.xNext = pairs_next;
  m.xEof = pairs_eof;
  m.xColumn = pairs_column;
  m.xRowid = pairs_rowid;
  return m;
}

const sqlite3_module kPairsModule = make_pairs_module();

}  // namespace

int register_pairs(Connection& connection) {
  return sqlite3_create_module_v2(connection.db(), "quiver_pairs", &kPairsModule, &connection, nullptr);
}

}  // namespace quiver
