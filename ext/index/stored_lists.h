// The list source (list_source.h) of a stored table: its IVF lists ranked
// by their centroids, its chunks through the store's cache, and the rows a
// search filter lets through, read from T_rows. One per search: it owns the
// scratch space the borrowed chunks live in.
#pragma once

#include <vector>

#include "ivf.h"
#include "list_source.h"
#include "statement.h"
#include "store.h"

namespace quiver {

class StoredLists : public ListSource {
 public:
  StoredLists(Store& store, Ivf& ivf) : store_(store), ivf_(ivf) {}

  size_t lists() override { return static_cast<size_t>(ivf_.lists()); }
  size_t default_probes() override { return static_cast<size_t>(ivf_.default_probes()); }
  void rank(const VectorView& query, double query_norm2, ListRanking* out) override {
    out->reset(ivf_.list_scores(query, query_norm2), lists());
  }
  std::vector<ChunkInfo> chunks(int64_t list) override { return store_.chunks(list); }
  const Block& block(const ChunkInfo& chunk) override { return store_.load_block(chunk, &buffer_, &scratch_); }
  void check_chunk(int64_t chunk) override { store_.list_of(chunk); }
  const Quantizer* quantizer() override { return store_.quantizer(); }

 private:
  Store& store_;
  Ivf& ivf_;
  std::vector<unsigned char> buffer_;
  Block scratch_;
};

// The rows passing a search's conditions on rowid and metadata: one
// statement, prepared once and run again from the start for each pass.
class StoredRowFilter : public RowFilter {
 public:
  StoredRowFilter(Store& store, const std::vector<RowCondition>& conditions)
      : rows_(store.select_rows(RowSelection::Locations, conditions)) {}
  void restart() override { rows_.reset(); }
  bool next(int64_t* chunk, int64_t* slot, int64_t* rowid) override {
    if (!rows_.step()) return false;
    *chunk = rows_.int_at(0);
    *slot = rows_.int_at(1);
    *rowid = rows_.int_at(2);
    return true;
  }

 private:
  Statement rows_;
};

}  // namespace quiver
