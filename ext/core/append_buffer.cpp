#include "append_buffer.h"

#include <cstring>

namespace quiver {

int64_t grown_capacity(int64_t capacity, int64_t full_capacity) {
  int64_t grown = capacity + capacity / 2;
  if (grown < 16) grown = 16;
  return grown > full_capacity ? full_capacity : grown;
}

PendingTail* AppendBuffer::tail(int64_t list) {
  auto it = tails_.find(list);
  return it == tails_.end() ? nullptr : &it->second;
}

PendingTail& AppendBuffer::begin(int64_t list, int64_t chunk, int64_t count, int64_t capacity) {
  PendingTail& t = tails_[list];
  t = PendingTail{};
  t.chunk = chunk;
  t.stored_count = count;
  t.stored_capacity = t.capacity = capacity;
  return t;
}

bool AppendBuffer::append(PendingTail& tail, int64_t rowid, const void* vector, int64_t* slot) {
  int64_t capacity = tail.capacity;
  if (tail.count() == capacity) {
    if (capacity >= full_capacity_) return false;
    capacity = grown_capacity(capacity, full_capacity_);
  }
  size_t at = tail.vectors.size();
  tail.vectors.resize(at + vector_bytes_);
  std::memcpy(tail.vectors.data() + at, vector, vector_bytes_);
  try {
    tail.rowids.push_back(rowid);
  } catch (...) {
    tail.vectors.resize(at);
    throw;
  }
  tail.capacity = capacity;
  bytes_ += vector_bytes_ + 8;
  *slot = tail.count() - 1;
  return true;
}

void AppendBuffer::forget(std::map<int64_t, PendingTail>::iterator it) {
  bytes_ -= it->second.rowids.size() * (vector_bytes_ + 8);
  tails_.erase(it);
}

void AppendBuffer::flush_list(int64_t list) {
  auto it = tails_.find(list);
  if (it != tails_.end()) forget(it);
}

void AppendBuffer::discard() {
  tails_.clear();
  bytes_ = 0;
}

}  // namespace quiver
