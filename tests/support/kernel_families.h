// What the kernel suites share: the kernel families this machine runs, the
// vector lengths that cover every SIMD tail shape, and memory with guard
// pages on both sides so that a kernel reading one byte too many (or too
// early) crashes the test instead of passing by luck.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "kernels.h"

namespace quiver_test {

using quiver::Isa;
using quiver::Kernels;
using quiver::kAllIsas;
using quiver::kernels_for;

struct Family {
  Isa isa;
  const Kernels* kernels;
};

// Every family this build and this CPU can run, scalar included.
inline std::vector<Family> runnable_families() {
  std::vector<Family> out;
  for (Isa isa : kAllIsas)
    if (const Kernels* k = kernels_for(isa)) out.push_back({isa, k});
  return out;
}

// A writable area with a PROT_NONE page on each side. place_at_end() puts a
// vector so that its last byte is the last readable byte (for float32 with a
// misaligned start, fewer than 4 bytes short of it, so any extra element read
// still faults); place_at_start() puts it right after the leading guard page.
class GuardedArea {
 public:
  explicit GuardedArea(size_t max_bytes) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    data_pages_ = (max_bytes + 4 + page_ - 1) / page_;
    total_ = (data_pages_ + 2) * page_;
    void* p = mmap(nullptr, total_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("mmap failed");
    base_ = static_cast<unsigned char*>(p);
    if (mprotect(base_, page_, PROT_NONE) != 0 || mprotect(data_end(), page_, PROT_NONE) != 0)
      throw std::runtime_error("mprotect failed");
  }
  ~GuardedArea() { munmap(base_, total_); }
  GuardedArea(const GuardedArea&) = delete;
  GuardedArea& operator=(const GuardedArea&) = delete;

  unsigned char* data_begin() const { return base_ + page_; }
  unsigned char* data_end() const { return base_ + (1 + data_pages_) * page_; }

  // `element_size` 4: the start is misaligned by `misalign` (0..3) bytes from
  // a 4-byte boundary. `element_size` 1: the vector always ends exactly at
  // the guard page, so its alignment follows from its length instead.
  const void* place_at_end(const void* src, size_t bytes, size_t element_size, unsigned misalign) {
    size_t slack = element_size == 4 ? (4 - misalign % 4) % 4 : 0;
    unsigned char* p = data_end() - bytes - slack;
    std::memcpy(p, src, bytes);
    return p;
  }

  const void* place_at_start(const void* src, size_t bytes, unsigned misalign) {
    unsigned char* p = data_begin() + misalign;
    std::memcpy(p, src, bytes);
    return p;
  }

 private:
  size_t page_ = 0;
  size_t data_pages_ = 0;
  size_t total_ = 0;
  unsigned char* base_ = nullptr;
};

// All lengths 1..300 (every SIMD tail shape), then a stride up to 4100 with
// the lengths around powers of two and common embedding sizes.
inline std::vector<size_t> test_lengths() {
  std::vector<size_t> n;
  for (size_t i = 1; i <= 300; ++i) n.push_back(i);
  for (size_t i = 301; i < 4100; i += 53) n.push_back(i);
  for (size_t i : {383,  384,  385,  511,  512,  513,  767,  768,  769,  1023, 1024, 1025, 1535,
                   1536, 1537, 2047, 2048, 2049, 3071, 3072, 3073, 4095, 4096, 4097, 4099, 4100})
    n.push_back(i);
  return n;
}

constexpr size_t kMaxTestLength = 4100;

}  // namespace quiver_test
