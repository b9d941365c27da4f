// Reciprocal rank fusion: two ranked lists of rows (a vector search and a
// text search) merged into one ranking. A row at rank r (1 = best) of a list
// with weight w earns w / (constant + r); its fused score is the sum over
// the lists it appears in, so a row found by one list only still scores.
// Rows come out by score, highest first, ties by rowid. The constant damps
// the head of each list: with 60 (the usual choice, and the default of
// quiver_hybrid) ranks 1 and 2 are worth 1/61 and 1/62, nearly the same,
// so agreement between the lists matters more than either list's order.
// This layer knows nothing of SQLite.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quiver {

// One row of a ranked list, best first: its rowid and the list's own score
// (a distance, a BM25 value), passed through to the result.
struct RankedRow {
  int64_t rowid;
  double value;
};

struct FusionSettings {
  double constant = 60;       // >= 0
  double vector_weight = 1;   // > 0
  double text_weight = 1;     // > 0
};

struct FusedRow {
  int64_t rowid;
  double score;
  int64_t vector_rank;  // 1-based; 0 when the vector list does not hold the row
  int64_t text_rank;    // 1-based; 0 when the text list does not hold the row
  double distance;      // the vector list's value (when vector_rank > 0)
  double text_score;    // the text list's value (when text_rank > 0)
};

// The `limit` best rows of the fusion of `vector` and `text`. A rowid listed
// twice in one list counts at its first (best) rank.
std::vector<FusedRow> fuse_ranks(const std::vector<RankedRow>& vector, const std::vector<RankedRow>& text,
                                 const FusionSettings& settings, size_t limit);

}  // namespace quiver
