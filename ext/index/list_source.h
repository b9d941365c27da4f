// What a KNN search reads, in the spirit of Faiss's InvertedLists: the
// index's lists ranked for a query, the chunks of each list, each chunk
// borrowed prepared for scanning, and the rows a filter lets through. The
// index implements it over the shadow tables (StoredLists, stored_lists.h); the tests
// implement it in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "block.h"
#include "quantize.h"
#include "vector.h"

namespace quiver {

struct ChunkInfo {
  int64_t id = 0;
  int64_t list = 0;
  int64_t count = 0;
  int64_t capacity = 0;
};

// The lists in order of nearness to one query, from scores computed once:
// ranked as far as a search asks (a query usually needs its nearest few).
class ListRanking {
 public:
  // scores[list], larger = nearer; ties go to the lower list.
  void reset(std::vector<float> scores, size_t lists);
  size_t size() const { return order_.size(); }
  // The i-th nearest list, i < size().
  uint32_t at(size_t i);

 private:
  std::vector<float> scores_;
  std::vector<uint32_t> order_;
  size_t sorted_ = 0;
};

class ListSource {
 public:
  virtual ~ListSource() = default;
  // Trained lists; 0 when the rows are one list, scanned whole (a flat or
  // untrained table).
  virtual size_t lists() = 0;
  virtual size_t default_probes() = 0;
  // Ranks the lists for a query whose squared norm is query_norm2.
  virtual void rank(const VectorView& query, double query_norm2, ListRanking* out) = 0;
  // The chunks of one list; list < 0: every chunk.
  virtual std::vector<ChunkInfo> chunks(int64_t list) = 0;
  // A chunk prepared for scanning, borrowed until the next call.
  virtual const Block& block(const ChunkInfo& chunk) = 0;
  // Quantized lists: the quantizer of every block's codes (Block::codes);
  // nullptr when the blocks have none.
  virtual const Quantizer* quantizer() { return nullptr; }
  // Throws when no chunk has this id: a filter row that points at one is
  // damage, reported even if the search never reaches its list.
  virtual void check_chunk(int64_t /*chunk*/) {}
};

// The rows a filter lets through, read again from the start for each pass
// of a search (the statement reading a stream may write in between).
class RowFilter {
 public:
  virtual ~RowFilter() = default;
  virtual void restart() = 0;
  // The next row: false at the end.
  virtual bool next(int64_t* chunk, int64_t* slot, int64_t* rowid) = 0;
};

}  // namespace quiver
