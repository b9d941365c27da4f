// The IVF index over a Store: a k-means quantizer whose lists are the store's
// chunk lists (a flat table is the degenerate case: one list, number 0).
//
// Quantizer space. Vectors are routed in float32, transformed per metric so
// that nearest-centroid in L2 matches the table's ranking:
//   l2, hamming  as stored (bits as 0/1, whose L2 is the Hamming distance)
//   cosine       normalized to unit length (spherical k-means)
//   dot          augmented with one more coordinate sqrt(M^2 - |x|^2), M the
//                largest norm at training, and queries with 0: then
//                |q' - x'|^2 = |q|^2 + M^2 - 2 q.x, so the nearest centroid
//                in L2 is the one of largest inner product (Bachrach et al.,
//                "Speeding up the Xbox recommender system", 2014).
//
// Config keys: lists (0 until trained), norm_bound (M), trained_rows,
// trained_spread (mean quantizer distance to the own centroid at training),
// changed (rows inserted or moved since training), count (the rows, for the
// automatic training threshold).
#pragma once

#include <cstdint>
#include <vector>

#include "kmeans.h"
#include "store.h"

namespace quiver {

// Untrained IVF tables train by themselves once they hold this many rows
// (or 39 rows per requested list, if more), and train again each time the
// row count doubles, so centroids learnt on the first rows of a bulk load do
// not stay in charge of a table ten times larger.
constexpr int64_t kAutoTrainRows = 10000;
// Training moves every row, which takes seconds on a large table: it runs
// only at the commit of a transaction that inserted at least this many rows
// (a bulk load, which pays for it once), never inside a single INSERT, so
// an application writing a row at a time never waits for it.
constexpr int64_t kBulkTrainRows = 1000;
// Training sample: at most this many vectors per list, and this many floats.
constexpr int64_t kSamplePerList = 128;
constexpr int64_t kMaxSampleFloats = int64_t{64} << 20;

struct IvfStats {
  int64_t rows = 0;
  int64_t lists = 0;
  int64_t probes = 0;
  int64_t min_list = 0, median_list = 0, max_list = 0;
  int64_t trained_rows = 0;
  int64_t changed = 0;
  double trained_spread = 0;
  double spread = 0;
};

class Ivf {
 public:
  Ivf(Store& store, const Kernels& kernels);

  bool enabled() const { return store_.spec().index == IndexKind::Ivf; }
  // Trained lists (loads config and centroids if the store's cache moved on).
  int64_t lists();
  int64_t default_probes();

  // The list for a vector of the table's type.
  int64_t assign(const VectorView& v);
  // The `count` lists whose centroids are nearest to list's own, itself
  // first.
  std::vector<uint32_t> neighbour_lists(size_t list, size_t count);

  // Whether `list` is the nearest list for v, allowing for rounding (another
  // machine's kernels may break a near-tie the other way).
  bool is_home_list(const VectorView& v, int64_t list);

  // How near each list is to a query (larger = nearer, ties to the lower
  // list), from its centroid; query_norm2 is the query's squared norm
  // (scan.h's query_norm2), computed once per query.
  std::vector<float> list_scores(const VectorView& query, double query_norm2);

  // After a write: delta is +1 for an inserted row, -1 for a deleted one, 0
  // for a vector that moved to another list. Keeps the row count, the
  // changes since training and the rows this transaction inserted. Nothing
  // for a flat table.
  void note_rows(int64_t delta);
  // At the commit of a write transaction (xSync): with train=auto, trains
  // if the transaction inserted at least kBulkTrainRows rows and the table
  // has grown past the automatic threshold.
  void train_if_due();
  // The transaction ended (committed or rolled back).
  void end_transaction() { inserted_ = 0; }
  // Trains on the current rows and moves every row to its list.
  void rebuild();

  IvfStats stats();
  // Centroid of a trained list, in the quantizer's space (its first dims
  // coordinates are in the table's space, scaled for cosine).
  const float* centroid(size_t list) { load(); return centroids_.row(list); }
  // The quantizer-space vector of v, into out (quantizer_dim() floats);
  // norm2, when known (>= 0), is v's squared norm.
  void to_quantizer(const VectorView& v, bool is_query, float* out, double norm2 = -1) const;
  size_t quantizer_dim() const;

 private:
  void load();
  int64_t chosen_lists(int64_t rows) const;

  Store& store_;
  const Kernels& kernels_;
  uint64_t loaded_generation_ = UINT64_MAX;
  int64_t lists_ = 0;
  double norm_bound_ = 0;
  Centroids centroids_;
  std::vector<float> scratch_, scores_;
  int64_t inserted_ = 0;  // rows inserted in the current transaction
};

}  // namespace quiver
