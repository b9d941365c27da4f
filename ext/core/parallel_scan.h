// One query's scan split across a worker pool (no SQLite).
//
// The blocks are read and prepared by the caller, on the connection's
// thread; here each thread scores whole blocks into its own collector, and
// the collectors are merged at the end. The best hits under (score, rowid)
// are one set whatever the split, and a row's score does not depend on the
// thread that computed it, so the result is the one a single thread finds.
#pragma once

#include <cstddef>
#include <vector>

#include "parallel.h"
#include "scan.h"

namespace quiver {

// Per-thread state of parallel scans, kept by the caller between them so
// the scratch buffers are reused.
struct ParallelScanScratch {
  std::vector<ScanScratch> scans;
};

// Offers the vectors of blocks[i] (those set in *masks[i], when masks is not
// null and masks[i] is not null) to `out`, which keeps the best `limit`
// within the bound and after `after` (TopK's arguments, repeated here for
// the per-thread collectors).
void scan_blocks(const Scorer& scorer, const std::vector<const Block*>& blocks,
                 const std::vector<const SlotMask*>* masks, size_t limit, double bound, bool bound_inclusive,
                 const Hit* after, WorkerPool* pool, ParallelScanScratch* scratch, TopK* out);

}  // namespace quiver
