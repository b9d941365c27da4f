// The scan: prepared chunks (block.h) go through one kernel into a bounded
// collector (TopK). No SQLite here; ext/index/knn.cpp drives it over an
// index's lists.
//
// Ranking works on a "score" that is monotone in the reported distance, so
// the hot loop skips work: L2 ranks by squared distance (sqrt only for the
// rows returned), dot by the negated inner product. Ties break by rowid.
// float32 scores are computed in float32, like the stored vectors, kept in
// range by the block's scales (block.h) or recomputed in double where
// float32 would overflow or underflow, so every finite vector gets a finite
// score; int8 and bit scores are exact integers, kept as doubles.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "block.h"
#include "kernels.h"
#include "table_spec.h"
#include "vector.h"

namespace quiver {

struct Hit {
  double score;
  int64_t rowid;
  bool operator<(const Hit& o) const { return score < o.score || (score == o.score && rowid < o.rowid); }
};

// The distance reported to SQL for a score.
double score_to_distance(Metric metric, double score);
// The largest score whose distance passes `distance < bound` (or <=), to use
// as an inclusive bound: the scan then agrees exactly with the distances it
// reports.
double score_bound(Metric metric, double bound, bool inclusive);

// Scores stored vectors against one query vector.
class Scorer {
 public:
  // The query must have the table's element type and dimensions.
  // query_norm2, when known (>= 0), is the query's squared norm summed in
  // double over its elements (query_norm2()), so that it is computed once
  // per query.
  Scorer(Metric metric, const VectorView& query, const Kernels& kernels, double query_norm2 = -1);
  // Scores of the block's vectors into out; `scratch` and `out` have room
  // for the panel's padded count.
  void score_block(const Block& block, float* scratch, double* out) const {
    score_rows(block, 0, static_cast<size_t>(block.count), scratch, out);
  }
  // The same for rows [first, first + n) of the block, first a multiple of
  // kPanelWidth: the scores are those score_block gives them.
  void score_rows(const Block& block, size_t first, size_t n, float* scratch, double* out) const;
  // The distance reported to SQL for a score.
  double distance(double score) const { return score_to_distance(metric_, score); }

 private:
  Metric metric_;
  ElementType type_;
  const Kernels& kernels_;
  // An exact L2 score in double, for a row float32 cannot score.
  double exact_l2sq(const Block& block, size_t row) const;

  std::vector<float> query_;  // a copy, aligned (whole floats even for int8 and bit)
  size_t dims_, bytes_;
  double scale_ = 1;     // float32 dot and cosine: query_ = query / scale_ (block.h)
  float inv_norm_ = 0;   // cosine: 1 / |query_|
};

// Sum of the squares of a query's elements, in double.
double query_norm2(const VectorView& query);

// Keeps the best `limit` hits that are strictly after `after` (for paging
// through a stream) and within `bound` (inclusive or not).
class TopK {
 public:
  TopK(size_t limit, double bound, bool bound_inclusive, const Hit* after);
  // Whether a hit with this score could enter; lets the scan skip rows.
  bool admits(double score) const { return score < worst_ || (score == worst_ && admit_equal_); }
  // The same for one hit: on a full heap its rowid settles a tie with the
  // worst, so many equal scores (bit codes) cost no work.
  bool admits(const Hit& hit) const {
    return heap_.size() < limit_ ? admits(hit.score) : admits(hit.score) && hit < heap_.front();
  }
  void offer(const Hit& hit);
  // Scores above this cannot enter.
  double worst() const { return worst_; }
  size_t size() const { return heap_.size(); }
  // The hits in ascending order; the collector is empty afterwards.
  std::vector<Hit> take_sorted();

 private:
  size_t limit_;
  double bound_;
  bool bound_inclusive_;
  bool has_after_;
  Hit after_;
  std::vector<Hit> heap_;  // max-heap by (score, rowid)
  double worst_;           // scores above this cannot enter
  bool admit_equal_ = true;
};

// Rows of a chunk a filter lets through: one bit per slot.
using SlotMask = std::vector<uint64_t>;

// Scratch space of a scan, reused across blocks.
struct ScanScratch {
  std::vector<float> panel;
  std::vector<double> scores;
  // Room for a block's padded count; returns scores.data().
  double* reserve(const Block& block);
};

// Offers every vector of the block (or those set in `mask`, if any).
void scan_block(const Scorer& scorer, const Block& block, const SlotMask* mask, ScanScratch* scratch, TopK* out);

}  // namespace quiver
