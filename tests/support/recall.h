// Recall of a search's hits against the true ones: the fraction of the
// truth's rowids found, for any hit type with a `rowid` member.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <vector>

namespace quiver_test {

template <class H>
double recall_of(const std::vector<H>& got, const std::vector<H>& truth) {
  std::set<int64_t> want;
  for (const H& h : truth) want.insert(h.rowid);
  size_t found = 0;
  for (const H& h : got) found += want.count(h.rowid);
  return truth.empty() ? 1.0 : static_cast<double>(found) / static_cast<double>(truth.size());
}

}  // namespace quiver_test
