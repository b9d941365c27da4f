#include "parallel.h"

#include <new>
#include <system_error>

namespace quiver {

WorkerPool::WorkerPool(size_t threads) {
  if (threads < 2) return;
  try {
    workers_.reserve(threads - 1);
    for (size_t slot = 1; slot < threads; ++slot) workers_.emplace_back([this, slot] { work(slot); });
  } catch (const std::system_error&) {
    // Keep the workers already running.
  } catch (const std::bad_alloc&) {
  }
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void WorkerPool::run_erased(size_t count, Call call, void* task) {
  if (count == 0) return;
  std::lock_guard<std::mutex> one_run(run_mutex_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    call_ = call;
    task_ = task;
    count_ = count;
    next_ = 0;
    busy_ = 0;
    error_ = nullptr;
    ++generation_;
  }
  if (!workers_.empty()) wake_.notify_all();
  drain(0);
  std::unique_lock<std::mutex> lock(mutex_);
  // Every index is taken once drain() returns; wait for the calls still
  // running on workers to return.
  done_.wait(lock, [this] { return busy_ == 0; });
  call_ = nullptr;
  task_ = nullptr;
  std::exception_ptr error = std::move(error_);
  error_ = nullptr;
  lock.unlock();
  if (error) std::rethrow_exception(error);
}

// Takes indices of the current run until none is left.
void WorkerPool::drain(size_t slot) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (next_ < count_) {
    size_t index = next_++;
    ++busy_;
    Call call = call_;
    void* task = task_;
    lock.unlock();
    std::exception_ptr error;
    try {
      call(task, index, slot);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    --busy_;
    if (error) {
      if (!error_) error_ = error;
      next_ = count_;  // skip the tasks not started
    }
  }
  if (busy_ == 0) done_.notify_all();
}

void WorkerPool::work(size_t slot) {
  unsigned long long seen = 0;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
    }
    drain(slot);
  }
}

}  // namespace quiver
