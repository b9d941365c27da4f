#include "fusion.h"

#include <algorithm>
#include <unordered_map>

namespace quiver {

std::vector<FusedRow> fuse_ranks(const std::vector<RankedRow>& vector, const std::vector<RankedRow>& text,
                                 const FusionSettings& settings, size_t limit) {
  std::vector<FusedRow> rows;
  rows.reserve(vector.size() + text.size());
  std::unordered_map<int64_t, size_t> index_of;  // rowid -> position in rows
  index_of.reserve(vector.size() + text.size());
  auto row_for = [&](int64_t rowid) -> FusedRow& {
    auto inserted = index_of.emplace(rowid, rows.size());
    if (inserted.second) rows.push_back(FusedRow{rowid, 0, 0, 0, 0, 0});
    return rows[inserted.first->second];
  };
  // Each list adds weight / (constant + rank) to its rows, at their first rank.
  auto add = [&](const std::vector<RankedRow>& list, double weight, int64_t FusedRow::*rank, double FusedRow::*value) {
    for (size_t i = 0; i < list.size(); ++i) {
      FusedRow& row = row_for(list[i].rowid);
      if (row.*rank) continue;
      row.*rank = static_cast<int64_t>(i + 1);
      row.*value = list[i].value;
      row.score += weight / (settings.constant + static_cast<double>(i + 1));
    }
  };
  add(vector, settings.vector_weight, &FusedRow::vector_rank, &FusedRow::distance);
  add(text, settings.text_weight, &FusedRow::text_rank, &FusedRow::text_score);
  auto better = [](const FusedRow& a, const FusedRow& b) {
    return a.score != b.score ? a.score > b.score : a.rowid < b.rowid;
  };
  size_t n = std::min(limit, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n), rows.end(), better);
  rows.resize(n);
  return rows;
}

}  // namespace quiver
