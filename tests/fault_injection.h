// Allocation-failure injection for one test process: SQLite's allocator
// (SQLITE_CONFIG_MALLOC, wrapping the default methods) and the global C++
// operator new count allocations together, and once armed the Nth one fails
// (SQLite sees NULL, operator new throws std::bad_alloc, nothrow new returns
// nullptr). Single-threaded use only.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fault_injection {

// Wraps SQLite's allocator and turns its lookaside off, so every SQLite
// allocation can fail. Call once, before anything initializes SQLite.
void install();

// From now on, count allocations; the nth fails, and with `persistent` every
// one after it too.
void arm(uint64_t nth, bool persistent);

struct Report {
  bool hit = false;          // an allocation was made to fail
  uint64_t allocations = 0;  // counted since arm(), failed ones included
};
// Stops counting and failing.
Report disarm();

// The largest single allocation (or reallocation) either allocator was
// asked for since the last call, pauses aside.
std::size_t take_largest_allocation();

// Failures injected so far, per allocator (to show both were exercised).
uint64_t sqlite_failures();
uint64_t cpp_failures();

// While one exists, allocations are neither counted nor failed: the test's
// own bookkeeping between calls into the code under test.
class Pause {
 public:
  Pause();
  ~Pause();
  Pause(const Pause&) = delete;
  Pause& operator=(const Pause&) = delete;
};

}  // namespace fault_injection
