// The append buffer (ext/core/append_buffer.h), without SQLite:
//   - a tail grows through the capacities one append at a time would give,
//     and refuses an append once full at full size;
//   - slots continue from the stored count; vectors and rowids are kept in
//     slot order, byte for byte;
//   - flush hands the lists over in list order and forgets each one written;
//     a write that throws leaves the rest buffered; discard forgets all;
//   - bytes() follows what is buffered.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "append_buffer.h"

using quiver::AppendBuffer;
using quiver::PendingTail;

namespace {

std::vector<unsigned char> vec(int64_t seed, size_t bytes) {
  std::vector<unsigned char> v(bytes);
  for (size_t i = 0; i < bytes; ++i) v[i] = static_cast<unsigned char>(seed * 31 + static_cast<int64_t>(i));
  return v;
}

}  // namespace

TEST_CASE("append buffer: chunks grow as one append at a time would grow them", "[append-buffer]") {
  CHECK(quiver::grown_capacity(1, 640) == 16);
  CHECK(quiver::grown_capacity(16, 640) == 24);
  CHECK(quiver::grown_capacity(609, 640) == 640);
  CHECK(quiver::grown_capacity(640, 640) == 640);
  const size_t bytes = 12;
  const int64_t full = 100;
  AppendBuffer buffer(bytes, full);
  PendingTail& t = buffer.begin(3, 42, 10, 16);
  std::vector<int64_t> capacities;
  int64_t slot = -1;
  int64_t appended = 0;
  while (true) {
    std::vector<unsigned char> v = vec(appended, bytes);
    if (!buffer.append(t, 1000 + appended, v.data(), &slot)) break;
    CHECK(slot == 10 + appended);
    ++appended;
    if (capacities.empty() || capacities.back() != t.capacity) capacities.push_back(t.capacity);
  }
  CHECK(capacities == std::vector<int64_t>{16, 24, 36, 54, 81, 100});
  CHECK(appended == 90);
  CHECK(t.count() == full);
  CHECK(t.stored_capacity == 16);
  CHECK(t.grows());
  REQUIRE(t.rowids.size() == 90);
  REQUIRE(t.vectors.size() == 90 * bytes);
  for (int64_t i = 0; i < 90; ++i) {
    CHECK(t.rowids[static_cast<size_t>(i)] == 1000 + i);
    CHECK(std::memcmp(t.vectors.data() + i * bytes, vec(i, bytes).data(), bytes) == 0);
  }
  CHECK(buffer.bytes() == 90 * (bytes + 8));
}

TEST_CASE("append buffer: a tail with room does not grow", "[append-buffer]") {
  AppendBuffer buffer(4, 640);
  PendingTail& t = buffer.begin(0, 7, 3, 24);
  int64_t slot;
  for (int i = 0; i < 21; ++i) REQUIRE(buffer.append(t, i, "abcd", &slot));
  CHECK(slot == 23);
  CHECK_FALSE(t.grows());
  REQUIRE(buffer.append(t, 99, "abcd", &slot));
  CHECK(t.grows());
  CHECK(t.capacity == 36);
}

TEST_CASE("append buffer: flush in list order, throwing writes, discard", "[append-buffer]") {
  AppendBuffer buffer(4, 640);
  int64_t slot;
  for (int64_t list : {9, 2, 5}) {
    PendingTail& t = buffer.begin(list, list * 10, 0, 16);
    for (int64_t i = 0; i <= list; ++i) REQUIRE(buffer.append(t, list * 100 + i, "wxyz", &slot));
  }
  CHECK(buffer.tail(5) != nullptr);
  CHECK(buffer.tail(4) == nullptr);
  CHECK(buffer.bytes() == (10 + 3 + 6) * 12);
  std::vector<int64_t> order;
  CHECK_THROWS_AS(buffer.flush([&](int64_t list, const PendingTail& t) {
    if (list == 5) throw std::runtime_error("disk full");
    order.push_back(list);
    CHECK(t.chunk == list * 10);
    CHECK(t.count() == list + 1);
  }),
                  std::runtime_error);
  CHECK(order == std::vector<int64_t>{2});
  CHECK(buffer.tail(2) == nullptr);
  REQUIRE(buffer.tail(5) != nullptr);
  CHECK(buffer.bytes() == (10 + 6) * 12);
  buffer.flush_list(9);
  CHECK(buffer.tail(9) == nullptr);
  CHECK(buffer.bytes() == 6 * 12);
  buffer.discard();
  CHECK(buffer.empty());
  CHECK(buffer.bytes() == 0);
  buffer.flush([&](int64_t, const PendingTail&) { FAIL("nothing is buffered"); });
}
