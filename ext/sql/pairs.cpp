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
#include "statement.h"
#include "sql_value.h"
#include "store.h"
#include "table_function.h"

namespace quiver {
namespace {

constexpr int kColumnA = 0, kColumnB = 1, kColumnDistance = 2;

struct Pair {
  int64_t a, b;
  double distance;
};

struct Candidate {
  ChunkInfo chunk;
  bool same;  // the query chunk itself: only slots after the query row's
};

// The stream of pairs: a cursor over lists, query chunks and candidates.
struct PairsCursor : ResultStream {
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

  bool eof() const override { return position >= pending.size(); }
  void next() override;
  int64_t rowid() const override { return pending[position].a; }
  void column(sqlite3_context* ctx, int column) const override {
    const Pair& p = pending[position];
    switch (column) {
      case kColumnA: sqlite3_result_int64(ctx, p.a); break;
      case kColumnB: sqlite3_result_int64(ctx, p.b); break;
      case kColumnDistance: result_distance(ctx, table.store->spec().metric, p.distance); break;
      default: break;
    }
  }
};

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

void PairsCursor::next() {
  if (++position >= pending.size()) advance(this);
}

std::unique_ptr<ResultStream> open_pairs(Connection& connection, int argc, sqlite3_value** argv) {
  std::unique_ptr<PairsCursor> c(new PairsCursor());  // the new cursor starts at list 0, chunk 0
  const unsigned char* name = sqlite3_value_text(argv[0]);
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT || !name) throw SqlError(SQLITE_ERROR, "quiver_pairs: the first argument must be a table name");
  c->table = connection.open(reinterpret_cast<const char*>(name));
  int type = sqlite3_value_numeric_type(argv[1]);
  double max_distance = sqlite3_value_double(argv[1]);
  if ((type != SQLITE_INTEGER && type != SQLITE_FLOAT) || std::isnan(max_distance))
    throw SqlError(SQLITE_ERROR, "quiver_pairs: the maximum distance must be a number");
  int64_t lists = c->table.ivf->lists();
  size_t probes = static_cast<size_t>(c->table.ivf->default_probes());
  if (argc > 2)
    probes = static_cast<size_t>(integer_argument(argv[2], "quiver_pairs: probes", 1, kMaxLists));
  // The bound in the scorer's terms (squared for L2).
  c->max_score = score_bound(c->table.store->spec().metric, max_distance, true);
  // Flat, or IVF before training: one list compared with itself.
  size_t n = static_cast<size_t>(std::max<int64_t>(1, lists));
  for (size_t list = 0; list < n; ++list)
    c->neighbours.push_back(lists > 0 ? c->table.ivf->neighbour_lists(list, probes) : std::vector<uint32_t>{0});
  c->is_neighbour.assign(n, std::vector<bool>(n, false));
  for (size_t list = 0; list < n; ++list)
    for (uint32_t m : c->neighbours[list]) c->is_neighbour[list][m] = true;
  c->list_chunks = c->table.store->chunks(0);
  advance(c.get());
  return std::unique_ptr<ResultStream>(c.release());
}

const TableFunction kPairs = {
    "quiver_pairs", "CREATE TABLE x(a, b, distance, tbl HIDDEN, max_distance HIDDEN, probes HIDDEN)", 3, 2, 3,
    open_pairs, "needs a table name and a maximum distance"};

}  // namespace

int register_pairs(Connection& connection) { return register_table_function(connection, kPairs); }

}  // namespace quiver
