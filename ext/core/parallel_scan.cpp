#include "parallel_scan.h"

namespace quiver {

void scan_blocks(const Scorer& scorer, const std::vector<const Block*>& blocks,
                 const std::vector<const SlotMask*>* masks, size_t limit, double bound, bool bound_inclusive,
                 const Hit* after, WorkerPool* pool, ParallelScanScratch* scratch, TopK* out) {
  size_t threads = pool ? pool->size() : 1;
  if (scratch->scans.size() < threads) scratch->scans.resize(threads);
  auto mask_of = [&](size_t i) { return masks ? (*masks)[i] : nullptr; };
  if (threads == 1 || blocks.size() < 2) {
    for (size_t i = 0; i < blocks.size(); ++i) scan_block(scorer, *blocks[i], mask_of(i), &scratch->scans[0], out);
    return;
  }
  std::vector<TopK> tops;
  tops.reserve(threads);
  for (size_t t = 0; t < threads; ++t) tops.emplace_back(limit, bound, bound_inclusive, after);
  pool->run(blocks.size(), [&](size_t i, size_t slot) {
    scan_block(scorer, *blocks[i], mask_of(i), &scratch->scans[slot], &tops[slot]);
  });
  for (TopK& top : tops)
    for (const Hit& hit : top.take_sorted()) out->offer(hit);
}

}  // namespace quiver
