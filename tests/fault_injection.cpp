#include "fault_injection.h"

#include <sqlite3.h>

#include <cstddef>
#include <cstdlib>
#include <new>

namespace fault_injection {
namespace {

bool armed = false;
bool persistent_failure = false;
uint64_t target = 0;
uint64_t counted = 0;
bool hit = false;
int paused = 0;
uint64_t sqlite_failed = 0;
uint64_t cpp_failed = 0;
std::size_t largest = 0;

sqlite3_mem_methods default_methods;

bool should_fail(std::size_t bytes) {
  if (paused) return false;
  if (bytes > largest) largest = bytes;
  if (!armed) return false;
  ++counted;
  if (counted == target || (persistent_failure && counted > target)) {
    hit = true;
    return true;
  }
  return false;
}

void* sqlite_malloc(int n) {
  if (should_fail(static_cast<std::size_t>(n))) {
    ++sqlite_failed;
    return nullptr;
  }
  return default_methods.xMalloc(n);
}

void* sqlite_realloc(void* p, int n) {
  if (should_fail(static_cast<std::size_t>(n))) {
    ++sqlite_failed;
    return nullptr;
  }
  return default_methods.xRealloc(p, n);
}

void* cpp_allocate(std::size_t n, std::size_t alignment) {
  if (should_fail(n)) {
    ++cpp_failed;
    return nullptr;
  }
  if (n == 0) n = 1;
  if (alignment <= alignof(std::max_align_t)) return std::malloc(n);
  return std::aligned_alloc(alignment, (n + alignment - 1) / alignment * alignment);
}

void* cpp_allocate_or_throw(std::size_t n, std::size_t alignment) {
  void* p = cpp_allocate(n, alignment);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

void install() {
  sqlite3_config(SQLITE_CONFIG_GETMALLOC, &default_methods);
  sqlite3_mem_methods methods = default_methods;
  methods.xMalloc = sqlite_malloc;
  methods.xRealloc = sqlite_realloc;
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) != SQLITE_OK ||
      sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0) != SQLITE_OK)
    std::abort();  // SQLite was initialized already: the hooks would be missing
}

void arm(uint64_t nth, bool persistent) {
  target = nth;
  persistent_failure = persistent;
  counted = 0;
  hit = false;
  armed = true;
}

Report disarm() {
  armed = false;
  return Report{hit, counted};
}

std::size_t take_largest_allocation() {
  std::size_t n = largest;
  largest = 0;
  return n;
}

uint64_t sqlite_failures() { return sqlite_failed; }
uint64_t cpp_failures() { return cpp_failed; }

Pause::Pause() { ++paused; }
Pause::~Pause() { --paused; }

}  // namespace fault_injection

// The replaceable global allocation functions ([new.delete]), all through
// cpp_allocate so that every form can fail.
void* operator new(std::size_t n) { return fault_injection::cpp_allocate_or_throw(n, 0); }
void* operator new[](std::size_t n) { return fault_injection::cpp_allocate_or_throw(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  return fault_injection::cpp_allocate_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return fault_injection::cpp_allocate_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return fault_injection::cpp_allocate(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return fault_injection::cpp_allocate(n, 0); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return fault_injection::cpp_allocate(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return fault_injection::cpp_allocate(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
