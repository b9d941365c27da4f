// The MATCH query of one cursor: the plan's arguments (the query vector, k,
// probes, LIMIT and OFFSET, distance bounds, conditions on rowid and
// metadata) turned into a KNN search (ext/index/knn.h) over the table's
// stored lists, and the hits it yields, batch after batch for a stream.
#pragma once

#include <memory>
#include <vector>

#include "knn.h"
#include "plan.h"
#include "stored_lists.h"
#include "virtual_table.h"

namespace quiver {

class TableSearch {
 public:
  // Runs the search (a stream: its first batch). argv are xFilter's.
  TableSearch(VirtualTable* t, const Plan& plan, int argc, sqlite3_value** argv);
  TableSearch(const TableSearch&) = delete;
  TableSearch& operator=(const TableSearch&) = delete;

  bool eof() const { return position_ >= hits_.size(); }
  void next();
  int64_t rowid() const { return hits_[position_].rowid; }
  double distance() const { return knn_->distance(hits_[position_].score); }
  // The k the query gave (the hidden column's value), or null.
  sqlite3_value* k_value() const { return k_value_.get(); }

 private:
  StoredLists lists_;
  std::unique_ptr<KnnSearch> knn_;
  std::vector<Hit> hits_;
  size_t position_ = 0;
  // A stream (no k, LIMIT or bound) reads every row, in batches.
  bool streaming_ = false;
  // Owned from the start: freed when a later argument fails the search.
  std::unique_ptr<sqlite3_value, void (*)(sqlite3_value*)> k_value_{nullptr, sqlite3_value_free};
};

}  // namespace quiver
