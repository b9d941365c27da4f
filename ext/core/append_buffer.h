// Appends to a table's lists held in memory within a transaction, so that
// each chunk they touch is written once, at the next flush, instead of once
// per row (no SQLite). The store flushes before anything reads or moves the
// chunks, at each savepoint and at the commit, and discards the buffer when
// SQLite rolls back: then the buffer only ever holds appends made since the
// last savepoint, which SQLite's rollback undoes everywhere else.
//
// A list's tail is its last chunk as stored (id, count, capacity) plus the
// slots appended since. The chunk grows x1.5 (at least 16 slots, at most a
// full chunk) each time those slots outgrow it, as it would one append at a
// time, so the stored layout does not depend on when it was flushed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace quiver {

// The capacity a chunk of `capacity` slots grows to when it is full.
int64_t grown_capacity(int64_t capacity, int64_t full_capacity);

struct PendingTail {
  int64_t chunk = 0;
  int64_t stored_count = 0;     // slots [0, stored_count) are in the database
  int64_t stored_capacity = 0;  // the chunk's capacity in the database
  int64_t capacity = 0;         // what the chunk must hold once flushed
  std::vector<int64_t> rowids;  // of slots stored_count, stored_count + 1, ...
  std::vector<unsigned char> vectors;
  int64_t count() const { return stored_count + static_cast<int64_t>(rowids.size()); }
  bool grows() const { return capacity != stored_capacity; }
};

class AppendBuffer {
 public:
  AppendBuffer(size_t vector_bytes, int64_t full_capacity)
      : vector_bytes_(vector_bytes), full_capacity_(full_capacity) {}

  // The list's buffered tail, or null.
  PendingTail* tail(int64_t list);
  // Starts buffering a list whose last chunk is stored with this count and
  // capacity.
  PendingTail& begin(int64_t list, int64_t chunk, int64_t count, int64_t capacity);
  // Appends a vector (vector_bytes bytes) in the tail's next slot, growing
  // the capacity if it must; false, and nothing appended, when the chunk is
  // full at full size (the list needs a new chunk).
  bool append(PendingTail& tail, int64_t rowid, const void* vector, int64_t* slot);

  bool empty() const { return tails_.empty(); }
  // Whether a buffered tail is in this chunk.
  bool holds_chunk(int64_t chunk) const {
    for (const auto& entry : tails_)
      if (entry.second.chunk == chunk) return true;
    return false;
  }
  // Bytes of buffered vectors and rowids, to bound the memory a long
  // transaction holds.
  size_t bytes() const { return bytes_; }

  // write(list, tail) for each buffered list, in list order; each is
  // forgotten once written. If write throws, the lists not yet written stay
  // buffered.
  template <class Write>
  void flush(Write&& write) {
    while (!tails_.empty()) {
      auto it = tails_.begin();
      write(it->first, it->second);
      forget(it);
    }
  }
  // Forgets one list's tail (written by the caller).
  void flush_list(int64_t list);
  // Forgets everything (the appends were rolled back).
  void discard();

 private:
  void forget(std::map<int64_t, PendingTail>::iterator it);

  size_t vector_bytes_;
  int64_t full_capacity_;
  std::map<int64_t, PendingTail> tails_;
  size_t bytes_ = 0;
};

}  // namespace quiver
