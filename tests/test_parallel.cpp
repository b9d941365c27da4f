// The worker pool (ext/parallel.h) and the work split across it, without
// SQLite:
//   - run() calls every task index exactly once, on slots the pool has, and
//     two tasks really run at once on a pool of two;
//   - parallel_for hands out the same ranges whatever the pool;
//   - a task's exception reaches the caller, the rest are skipped, and the
//     pool keeps working;
//   - k-means assignment and training give bit-identical results at every
//     thread count, with each kernel family.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "kernels.h"
#include "kmeans.h"
#include "parallel.h"

namespace {

using quiver::WorkerPool;

std::vector<const quiver::Kernels*> kernel_tables() {
  std::vector<const quiver::Kernels*> out{&quiver::scalar_kernels()};
  if (&quiver::active_kernels() != &quiver::scalar_kernels()) out.push_back(&quiver::active_kernels());
  return out;
}

// n points of dim coordinates around `clusters` random centres.
std::vector<float> clustered_points(size_t n, size_t dim, size_t clusters, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-4.0f, 4.0f);
  std::normal_distribution<float> noise(0.0f, 0.7f);
  std::vector<float> centres(clusters * dim), points(n * dim);
  for (float& x : centres) x = u(rng);
  for (size_t i = 0; i < n; ++i) {
    size_t c = rng() % clusters;
    for (size_t t = 0; t < dim; ++t) points[i * dim + t] = centres[c * dim + t] + noise(rng);
  }
  return points;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

TEST_CASE("parallel: run calls every index once, on the pool's slots", "[parallel]") {
  for (size_t threads : {0, 1, 2, 3, 5}) {
    WorkerPool pool(threads);
    REQUIRE(pool.size() == std::max<size_t>(threads, 1));
    for (size_t count : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> calls(count);
      std::atomic<bool> bad_slot{false};
      pool.run(count, [&](size_t index, size_t slot) {
        calls[index].fetch_add(1);
        if (slot >= pool.size()) bad_slot = true;
      });
      for (size_t i = 0; i < count; ++i) CHECK(calls[i].load() == 1);
      CHECK_FALSE(bad_slot.load());
    }
  }
}

TEST_CASE("parallel: a pool of two runs two tasks at once", "[parallel]") {
  WorkerPool pool(2);
  REQUIRE(pool.size() == 2);
  // Each task waits until both have started: one thread alone would wait
  // out the (generous) timeout and see one.
  std::mutex m;
  std::condition_variable cv;
  int started = 0;
  std::vector<int> seen(2);
  std::vector<size_t> slots(2);
  pool.run(2, [&](size_t index, size_t slot) {
    std::unique_lock<std::mutex> lock(m);
    ++started;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(30), [&] { return started == 2; });
    seen[index] = started;
    slots[index] = slot;
  });
  CHECK(seen == std::vector<int>{2, 2});
  CHECK(slots[0] != slots[1]);
}

TEST_CASE("parallel: parallel_for gives the same ranges whatever the pool", "[parallel]") {
  using Range = std::pair<size_t, size_t>;
  auto ranges_of = [](WorkerPool* pool, size_t n, size_t grain) {
    std::mutex m;
    std::vector<Range> out;
    quiver::parallel_for(pool, n, grain, [&](size_t begin, size_t end, size_t) {
      std::lock_guard<std::mutex> lock(m);
      out.emplace_back(begin, end);
    });
    std::sort(out.begin(), out.end());
    return out;
  };
  for (size_t n : {0, 1, 15, 16, 17, 1000}) {
    for (size_t grain : {1, 16, 64}) {
      std::vector<Range> alone = ranges_of(nullptr, n, grain);
      // The ranges tile [0, n) in steps of grain.
      size_t at = 0;
      for (const Range& r : alone) {
        CHECK(r.first == at);
        CHECK(r.second == std::min(n, at + grain));
        at = r.second;
      }
      CHECK(at == n);
      for (size_t threads : {1, 2, 4}) {
        WorkerPool pool(threads);
        CHECK(ranges_of(&pool, n, grain) == alone);
      }
    }
  }
}

TEST_CASE("parallel: a task's exception reaches the caller and the pool keeps working", "[parallel]") {
  for (size_t threads : {1, 2, 3}) {
    WorkerPool pool(threads);
    std::atomic<size_t> ran{0};
    CHECK_THROWS_WITH(pool.run(10000,
                               [&](size_t index, size_t) {
                                 ran.fetch_add(1);
                                 if (index == 3) throw std::runtime_error("task 3 failed");
                               }),
                      "task 3 failed");
    // Tasks not started when it threw were skipped.
    CHECK(ran.load() < 10000);
    std::atomic<size_t> sum{0};
    pool.run(100, [&](size_t index, size_t) { sum.fetch_add(index); });
    CHECK(sum.load() == 4950);
  }
}

TEST_CASE("parallel: many short runs in a row", "[parallel]") {
  WorkerPool pool(3);
  uint64_t total = 0;
  for (size_t run = 0; run < 2000; ++run) {
    std::vector<uint64_t> part(run % 7 + 1);
    pool.run(part.size(), [&](size_t index, size_t) { part[index] = run * 10 + index; });
    for (uint64_t x : part) total += x;
  }
  uint64_t expected = 0;
  for (size_t run = 0; run < 2000; ++run)
    for (size_t index = 0; index <= run % 7; ++index) expected += run * 10 + index;
  CHECK(total == expected);
}

TEST_CASE("parallel: k-means assignment is the same at every thread count", "[parallel][kmeans]") {
  const size_t n = 5003, dim = 24, k = 37;
  std::vector<float> points = clustered_points(n, dim, 50, 11);
  for (const quiver::Kernels* kernels : kernel_tables()) {
    quiver::Centroids centroids(k, dim, std::vector<float>(points.begin(), points.begin() + k * dim));
    std::vector<uint32_t> alone(n);
    std::vector<float> alone_best(n);
    centroids.assign(points.data(), n, alone.data(), alone_best.data(), *kernels);
    // Against one row at a time through nearest().
    std::vector<float> scores(centroids.padded_k());
    for (size_t i = 0; i < n; i += 97)
      CHECK(centroids.nearest(points.data() + i * dim, scores.data(), *kernels) == alone[i]);
    for (size_t threads : {1, 2, 3, 4}) {
      WorkerPool pool(threads);
      std::vector<uint32_t> nearest(n, UINT32_MAX);
      std::vector<float> best(n);
      centroids.assign(points.data(), n, nearest.data(), best.data(), *kernels, &pool);
      CHECK(nearest == alone);
      CHECK(same_bits(best, alone_best));
    }
  }
}

TEST_CASE("parallel: k-means training is the same at every thread count", "[parallel][kmeans]") {
  const size_t n = 6000, dim = 16;
  std::vector<float> points = clustered_points(n, dim, 40, 23);
  for (const quiver::Kernels* kernels : kernel_tables()) {
    for (bool spherical : {false, true}) {
      quiver::KMeansOptions options;
      options.k = 40;
      options.spherical = spherical;
      quiver::Centroids alone = quiver::train_kmeans(points.data(), n, dim, options, *kernels);
      for (size_t threads : {2, 3}) {
        WorkerPool pool(threads);
        options.pool = &pool;
        quiver::Centroids threaded = quiver::train_kmeans(points.data(), n, dim, options, *kernels);
        CHECK(threaded.k() == alone.k());
        CHECK(same_bits(threaded.rows(), alone.rows()));
      }
      options.pool = nullptr;
    }
  }
}
