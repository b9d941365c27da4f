// A small pool of worker threads for splitting one piece of work (no SQLite).
//
// A pool of N threads is the calling thread plus N - 1 workers that sleep
// until run() hands them tasks. Work is split into fixed tasks whose bounds
// depend only on the size of the work, never on the thread count, and each
// task writes only its own outputs, so every thread count computes the same
// results as one thread; which thread ran a task is visible only through the
// `slot` it is given (for per-thread scratch). Tasks never call into SQLite.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace quiver {

class WorkerPool {
 public:
  // Starts threads - 1 workers (at least none); if the system refuses a
  // thread, the pool keeps those it has: fewer threads, same results.
  explicit WorkerPool(size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Threads that run tasks, the caller's included.
  size_t size() const { return workers_.size() + 1; }

  // Calls task(index, slot) once for every index in [0, count), slot in
  // [0, size()) naming the thread, and returns when every call has returned.
  // Threads take the next index as they get free. If a task throws, the
  // tasks not yet started are skipped and the first exception is rethrown
  // here. One run at a time; a task must not call run().
  template <class Task>
  void run(size_t count, Task&& task) {
    run_erased(count, [](void* t, size_t index, size_t slot) { (*static_cast<Task*>(t))(index, slot); },
               static_cast<void*>(&task));
  }

 private:
  using Call = void (*)(void*, size_t, size_t);
  void run_erased(size_t count, Call call, void* task);
  void work(size_t slot);
  void drain(size_t slot);

  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one run() at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  // The current run, under mutex_.
  Call call_ = nullptr;
  void* task_ = nullptr;
  size_t count_ = 0, next_ = 0, busy_ = 0;
  unsigned long long generation_ = 0;
  std::exception_ptr error_;
  bool stopping_ = false;
};

// body(begin, end, slot) for each range of `grain` items of [0, n) (the last
// one shorter): the same ranges whatever the pool, run on its threads, or in
// order on this thread without a pool.
template <class Body>
void parallel_for(WorkerPool* pool, size_t n, size_t grain, Body&& body) {
  if (n == 0) return;
  if (grain == 0) grain = 1;
  size_t ranges = (n + grain - 1) / grain;
  if (!pool || pool->size() == 1 || ranges == 1) {
    for (size_t r = 0; r < ranges; ++r) body(r * grain, std::min(n, (r + 1) * grain), size_t{0});
    return;
  }
  pool->run(ranges, [&](size_t r, size_t slot) { body(r * grain, std::min(n, (r + 1) * grain), slot); });
}

}  // namespace quiver
