// The KNN search: one query from its vector to the sorted hits, over any
// list source (list_source.h). This is the whole query path below the
// module: which lists to probe and when to widen, the filter's slot masks,
// the streams, and the scan (core/scan.h) that scores each chunk.
//
//   nearest(limit)  the `limit` nearest rows (k, or LIMIT + OFFSET), or with
//                   limit = kUnlimited every row within the distance bound.
//                   Exact when the source has no trained lists; otherwise the
//                   nearest `probes` lists, widened list by list while fewer
//                   than `limit` rows were found (a selective filter, small
//                   lists), so a query never comes back short while rows
//                   remain. A range query stops at `probes` lists.
//   Quantized lists (quantized_scan.h) are scanned in two passes: codes
//   first, then the candidates exactly (rescore x limit of them for a k
//   query; every row the codes cannot rule out for a stream or a range).
//   next_batch()    a stream (MATCH with no k, LIMIT or bound): every row
//                   once, exact whatever the index, in distance order (ties
//                   by rowid), in batches that double from 32.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "kernels.h"
#include "list_source.h"
#include "quantized_scan.h"
#include "scan.h"

namespace quiver {

// Largest k a query may ask for; memory is proportional to min(k, rows).
constexpr int64_t kMaxK = int64_t{1} << 24;
constexpr size_t kUnlimited = std::numeric_limits<size_t>::max();

class KnnSearch {
 public:
  // `query` has the source's element type and dimensions; it is copied.
  KnnSearch(ListSource& lists, Metric metric, const VectorView& query, const Kernels& kernels);
  KnnSearch(const KnnSearch&) = delete;
  KnnSearch& operator=(const KnnSearch&) = delete;

  // Only rows at `distance < bound` (or <=) are found.
  void set_bound(double bound, bool inclusive);
  // Whether a finite bound was set.
  bool bounded() const { return !std::isinf(bound_); }
  // Lists probed; 0 (the default) means the source's default.
  void set_probes(size_t probes) { probes_ = probes; }
  // Only rows the filter lets through are found.
  void set_filter(std::unique_ptr<RowFilter> filter) { filter_ = std::move(filter); }
  // Quantized lists: candidates re-ranked per row asked for; 0 (the
  // default) means the quantization's default (quantize.h).
  void set_rescore(size_t rescore) { rescore_ = rescore; }

  std::vector<Hit> nearest(size_t limit);
  std::vector<Hit> next_batch();

  // The distance reported to SQL for a hit's score.
  double distance(double score) const { return scorer_.distance(score); }

 private:
  std::vector<Hit> run(size_t limit, const Hit* after, bool exact);

  ListSource& lists_;
  std::vector<unsigned char> query_bytes_;
  VectorView query_;
  double norm2_;  // computed once, for the scorer and the ranking
  Scorer scorer_;
  ScanScratch scratch_;
  RescoreScratch rescore_scratch_;
  const Kernels& kernels_;
  size_t rescore_ = 0;
  double bound_ = std::numeric_limits<double>::infinity();
  bool bound_inclusive_ = false;
  Metric metric_;
  size_t probes_ = 0;
  std::unique_ptr<RowFilter> filter_;
  ListRanking ranking_;
  bool ranked_ = false;
  // Streams: the next batch starts after the last hit of the last one.
  size_t batch_ = 32;
  bool streamed_ = false, stream_done_ = false;
  Hit last_{0, 0};
};

}  // namespace quiver
