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
  for (size_t i = 0; i < vector.size(); ++i) {
    FusedRow& row = row_for(vector[i].rowid);
    if (row.vector_rank) continue;
    row.vector_rank = static_cast<int64_t>(i + 1);
    row.distance = vector[i].value;
    row.score += settings.vector_weight / (settings.constant + static_cast<double>(i + 1));
  }
  for (size_t i = 0; i < text.size(); ++i) {
    FusedRow& row = row_for(text[i].rowid);
    if (row.text_rank) continue;
    row.text_rank = static_cast<int64_t>(i + 1);
    row.text_score = text[i].value;
    row.score += settings.text_weight / (settings.constant + static_cast<double>(i + 1));
  }
  auto better = [](const FusedRow& a, const FusedRow& b) {
    return a.score != b.score ? a.score > b.score : a.rowid < b.rowid;
  };
  size_t n = std::min(limit, rows.size());
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n), rows.end(), better);
  rows.resize(n);
  return rows;
}

}  // namespace quiver
