// The scan: chunks of contiguous vectors go through one distance kernel into
// a bounded collector. No SQLite here.
//
// Ranking works on a "score" that is monotone in the reported distance, so
// the hot loop skips work: L2 ranks by squared distance (sqrt only for the
// rows returned), dot by the negated inner product. Ties break by rowid.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "kernels.h"
#include "table_spec.h"
#include "vector.h"

namespace quiver {

struct Hit {
  double score;
  int64_t rowid;
  bool operator<(const Hit& o) const { return score < o.score || (score == o.score && rowid < o.rowid); }
};

// Computes scores of stored vectors against one query vector.
class Scorer {
 public:
  // The query must have the table's element type and dimensions.
  Scorer(Metric metric, const VectorView& query, const Kernels& kernels);
  double score(const void* stored) const { return sign_ * kernel_(query_, stored, n_); }
  // The distance reported to SQL for a score, and the score of a distance.
  double distance(double score) const;
  double score_bound(double distance) const;

 private:
  Metric metric_;
  DistanceKernel kernel_;
  const void* query_;
  size_t n_;
  double sign_ = 1;
};

// Keeps the best `limit` hits that are strictly after `after` (for paging
// through a stream) and within `bound` (inclusive or not).
class TopK {
 public:
  TopK(size_t limit, double bound, bool bound_inclusive, const Hit* after);
  // Whether a hit with this score could enter; lets the scan skip rows.
  bool admits(double score) const { return score < worst_ || (score == worst_ && admit_equal_); }
  void offer(const Hit& hit);
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

// Offers every live slot of a chunk (or those set in `mask`, if any).
void scan_chunk(const Scorer& scorer, const unsigned char* vectors, size_t vector_bytes, const int64_t* rowids,
                int64_t count, const SlotMask* mask, TopK* out);

}  // namespace quiver
