#include "knn.h"

#include <algorithm>
#include <numeric>
#include <string>
#include <unordered_map>
#include <utility>

#include "errors.h"

namespace quiver {

void ListRanking::reset(std::vector<float> scores, size_t lists) {
  scores_ = std::move(scores);
  order_.resize(lists);
  std::iota(order_.begin(), order_.end(), 0u);
  sorted_ = 0;
}

uint32_t ListRanking::at(size_t i) {
  if (i >= sorted_) {
    // Doubling: widening list by list sorts each list about once.
    size_t upto = std::min(order_.size(), std::max(i + 1, 2 * sorted_));
    auto nearer = [&](uint32_t a, uint32_t b) { return scores_[a] > scores_[b] || (scores_[a] == scores_[b] && a < b); };
    std::partial_sort(order_.begin() + static_cast<std::ptrdiff_t>(sorted_),
                      order_.begin() + static_cast<std::ptrdiff_t>(upto), order_.end(), nearer);
    sorted_ = upto;
  }
  return order_[i];
}

namespace {

// A filter's rows in one chunk: the mask the scan uses, and the rowids the
// filter gives for its slots, checked against the chunk's own.
struct ChunkFilter {
  SlotMask mask;
  std::vector<std::pair<int64_t, int64_t>> members;  // slot, rowid
};

std::unordered_map<int64_t, ChunkFilter> collect(RowFilter& filter) {
  std::unordered_map<int64_t, ChunkFilter> filters;
  filter.restart();
  int64_t chunk, slot, rowid;
  while (filter.next(&chunk, &slot, &rowid)) {
    if (slot < 0 || slot >= (int64_t{1} << 20))
      corrupt("row " + std::to_string(rowid) + " has slot " + std::to_string(slot) + ", out of range");
    ChunkFilter& f = filters[chunk];
    if (f.mask.size() <= static_cast<size_t>(slot / 64)) f.mask.resize(static_cast<size_t>(slot / 64) + 1, 0);
    f.mask[static_cast<size_t>(slot / 64)] |= uint64_t{1} << (slot % 64);
    f.members.emplace_back(slot, rowid);
  }
  return filters;
}

void check_filter(const ChunkFilter& f, const Block& block, int64_t chunk) {
  for (const auto& m : f.members)
    if (m.first >= block.count || block.rowids[static_cast<size_t>(m.first)] != m.second)
      corrupt("row " + std::to_string(m.second) + " points at slot " + std::to_string(m.first) + " of chunk " +
              std::to_string(chunk) + ", which does not hold it");
}

}  // namespace

KnnSearch::KnnSearch(ListSource& lists, Metric metric, const VectorView& query, const Kernels& kernels)
    : lists_(lists),
      query_bytes_(static_cast<const unsigned char*>(query.data),
                   static_cast<const unsigned char*>(query.data) + query.bytes()),
      query_{query.type, query.dims, query_bytes_.data()},
      norm2_(query.type == ElementType::Bit ? 0 : query_norm2(query)),
      scorer_(metric, query, kernels, norm2_),
      kernels_(kernels),
      metric_(metric) {}

void KnnSearch::set_bound(double bound, bool inclusive) {
  // Several bounds: the tightest wins.
  if (bound < bound_ || (bound == bound_ && !inclusive)) {
    bound_ = bound;
    bound_inclusive_ = inclusive;
  }
}

std::vector<Hit> KnnSearch::nearest(size_t limit) { return run(limit, nullptr, false); }

std::vector<Hit> KnnSearch::next_batch() {
  if (stream_done_) return {};
  std::vector<Hit> hits = run(batch_, streamed_ ? &last_ : nullptr, true);
  streamed_ = true;
  stream_done_ = hits.size() < batch_;
  if (!hits.empty()) last_ = hits.back();
  batch_ = std::min<size_t>(batch_ * 2, static_cast<size_t>(kMaxK));
  return hits;
}

std::vector<Hit> KnnSearch::run(size_t limit, const Hit* after, bool exact) {
  std::unordered_map<int64_t, ChunkFilter> filters;
  if (filter_) {
    filters = collect(*filter_);
    for (const auto& entry : filters) lists_.check_chunk(entry.first);
  }
  // The bound in the scorer's terms, inclusive: the scan then agrees
  // exactly with the distances it reports.
  // An infinite bound is none (+inf) or admits nothing (-inf).
  bool finite = bounded();
  double score_limit = finite ? score_bound(metric_, bound_, bound_inclusive_) : bound_;
  bool inclusive = finite ? true : bound_inclusive_;
  TopK top(limit, score_limit, inclusive, after);
  // Quantized lists: the first pass over codes collects here; `scanned`
  // remembers its chunks for the second.
  const Quantizer* quantizer = lists_.quantizer();
  std::unique_ptr<CodeScorer> codes;
  std::unique_ptr<RescoreTopK> rescored;
  std::vector<ChunkInfo> scanned;
  if (quantizer) {
    size_t rescore = rescore_                                 ? rescore_
                     : quantizer->kind == Quantization::Bit ? kDefaultBitRescore
                                                            : kDefaultInt8Rescore;
    codes.reset(new CodeScorer(*quantizer, query_, kernels_));
    rescored.reset(new RescoreTopK(limit, exact ? 0 : rescore, score_limit, inclusive, after));
  }
  auto scan = [&](const std::vector<ChunkInfo>& chunks) {
    for (const ChunkInfo& chunk : chunks) {
      ChunkFilter* filter = nullptr;
      if (filter_) {
        auto it = filters.find(chunk.id);
        if (it == filters.end()) continue;
        filter = &it->second;
      }
      const Block& block = lists_.block(chunk);
      if (filter) {
        check_filter(*filter, block, chunk.id);
        filter->mask.resize(static_cast<size_t>((block.count + 63) / 64), 0);
      }
      const SlotMask* mask = filter ? &filter->mask : nullptr;
      if (rescored) {
        if (block.codes.count != block.count) corrupt("chunk " + std::to_string(chunk.id) + " has no codes");
        scan_quantized_block(*codes, scorer_, block.codes, block, scanned.size(), mask, &rescore_scratch_,
                             rescored.get());
        scanned.push_back(chunk);
      } else {
        scan_block(scorer_, block, mask, &scratch_, &top);
      }
    }
  };
  auto found = [&] { return rescored ? rescored->size() : top.size(); };
  auto finish = [&] {
    if (!rescored) return top.take_sorted();
    rescore_all(scorer_, rescored.get(), &rescore_scratch_,
                [&](size_t i) -> const Block& { return lists_.block(scanned[i]); });
    return rescored->take_sorted();
  };
  if (exact || lists_.lists() == 0) {
    scan(lists_.chunks(-1));
    return finish();
  }
  size_t probes = probes_ > 0 ? probes_ : lists_.default_probes();
  if (!ranked_) {
    lists_.rank(query_, norm2_, &ranking_);
    ranked_ = true;
  }
  size_t probed = std::min(probes, ranking_.size());
  if (probed > 0) ranking_.at(probed - 1);  // the probed lists sorted in one pass
  for (size_t i = 0; i < probed; ++i) scan(lists_.chunks(ranking_.at(i)));
  while (limit != kUnlimited && found() < limit && probed < ranking_.size())
    scan(lists_.chunks(ranking_.at(probed++)));
  return finish();
}

}  // namespace quiver
