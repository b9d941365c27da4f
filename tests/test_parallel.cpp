// The worker pool (ext/core/parallel.h) and the work split across it, without
// SQLite:
//   - run() calls every task index exactly once, on slots the pool has, and
//     two tasks really run at once on a pool of two;
//   - parallel_for hands out the same ranges whatever the pool;
//   - a task's exception reaches the caller, the rest are skipped, and the
//     pool keeps working;
//   - k-means assignment and training give bit-identical results at every
//     thread count, with each kernel family;
//   - a scan split across threads returns the hits one thread finds, in
//     the same order with the same scores, ties by rowid.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "block.h"
#include "kernels.h"
#include "kmeans.h"
#include "parallel.h"
#include "parallel_scan.h"
#include "scan.h"

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
    // k = 150 seeds from 2,400 points: more than one range of the seeding.
    for (auto [spherical, k] : {std::pair<bool, size_t>{false, 40}, {true, 40}, {false, 150}}) {
      quiver::KMeansOptions options;
      options.k = k;
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

namespace {

struct ScanCase {
  quiver::ElementType type;
  quiver::Metric metric;
  uint32_t dims;
};

// Blocks of `per_block` rows each, rowids shuffled across blocks; every
// tenth row repeats an earlier vector under another rowid, so ties by
// rowid decide.
std::vector<quiver::Block> make_blocks(const ScanCase& sc, size_t blocks, size_t per_block, std::mt19937& rng,
                                       std::vector<unsigned char>* query) {
  size_t bytes = quiver::encoded_size(sc.type, sc.dims);
  size_t n = blocks * per_block;
  std::vector<unsigned char> rows(n * bytes);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (size_t i = 0; i < n; ++i) {
    unsigned char* row = rows.data() + i * bytes;
    if (i > 0 && i % 10 == 0) {
      std::memcpy(row, rows.data() + (rng() % i) * bytes, bytes);
      continue;
    }
    if (sc.type == quiver::ElementType::Float32) {
      for (uint32_t t = 0; t < sc.dims; ++t) {
        float x = u(rng);
        std::memcpy(row + t * 4, &x, 4);
      }
    } else {
      for (size_t t = 0; t < bytes; ++t) row[t] = static_cast<unsigned char>(rng());
    }
  }
  std::vector<int64_t> rowids(n);
  for (size_t i = 0; i < n; ++i) rowids[i] = static_cast<int64_t>(i * 3 + 1);
  std::shuffle(rowids.begin(), rowids.end(), rng);
  std::vector<quiver::Block> out(blocks);
  for (size_t b = 0; b < blocks; ++b)
    quiver::prepare_block(sc.type, sc.dims, sc.metric, rows.data() + b * per_block * bytes,
                          rowids.data() + b * per_block, static_cast<int64_t>(per_block), &out[b]);
  // The query repeats a stored vector: exact ties with it.
  query->assign(rows.begin() + 5 * bytes, rows.begin() + 6 * bytes);
  return out;
}

}  // namespace

TEST_CASE("parallel: a scan split across threads finds what one thread finds", "[parallel][search]") {
  using quiver::ElementType;
  using quiver::Metric;
  const ScanCase cases[] = {{ElementType::Float32, Metric::Cosine, 37}, {ElementType::Float32, Metric::L2, 16},
                            {ElementType::Float32, Metric::Dot, 100},   {ElementType::Int8, Metric::L2, 24},
                            {ElementType::Bit, Metric::Hamming, 64}};
  std::mt19937 rng(31);
  for (const ScanCase& sc : cases) {
    std::vector<unsigned char> query_bytes;
    std::vector<quiver::Block> blocks = make_blocks(sc, 9, 53, rng, &query_bytes);
    quiver::VectorView query{sc.type, sc.dims, query_bytes.data()};
    for (const quiver::Kernels* kernels : kernel_tables()) {
      quiver::Scorer scorer(sc.metric, query, *kernels);
      std::vector<const quiver::Block*> pointers;
      for (const quiver::Block& b : blocks) pointers.push_back(&b);
      // Every other row of every third block filtered out.
      std::vector<quiver::SlotMask> mask_store(blocks.size());
      std::vector<const quiver::SlotMask*> masks(blocks.size(), nullptr);
      for (size_t b = 0; b < blocks.size(); b += 3) {
        mask_store[b].assign((blocks[b].count + 63) / 64, 0x5555555555555555ull);
        masks[b] = &mask_store[b];
      }
      for (size_t limit : {1, 10, 200, 100000}) {
        for (bool masked : {false, true}) {
          const std::vector<const quiver::SlotMask*>* m = masked ? &masks : nullptr;
          // The reference: one thread, block after block, through scan_block.
          quiver::TopK alone(limit, std::numeric_limits<double>::infinity(), true, nullptr);
          quiver::ScanScratch one;
          for (size_t b = 0; b < blocks.size(); ++b)
            quiver::scan_block(scorer, blocks[b], masked ? masks[b] : nullptr, &one, &alone);
          std::vector<quiver::Hit> expected = alone.take_sorted();
          REQUIRE(!expected.empty());
          for (size_t threads : {1, 2, 3}) {
            quiver::WorkerPool pool(threads);
            quiver::ParallelScanScratch scratch;
            quiver::TopK top(limit, std::numeric_limits<double>::infinity(), true, nullptr);
            quiver::scan_blocks(scorer, pointers, m, limit, std::numeric_limits<double>::infinity(), true, nullptr,
                                &pool, &scratch, &top);
            std::vector<quiver::Hit> got = top.take_sorted();
            REQUIRE(got.size() == expected.size());
            for (size_t i = 0; i < got.size(); ++i) {
              CHECK(got[i].rowid == expected[i].rowid);
              CHECK(got[i].score == expected[i].score);
            }
          }
        }
      }
      // A bound and a paging point carry into the per-thread collectors.
      std::vector<quiver::Hit> all;
      {
        quiver::TopK t(100000, std::numeric_limits<double>::infinity(), true, nullptr);
        quiver::ScanScratch s;
        for (const quiver::Block& b : blocks) quiver::scan_block(scorer, b, nullptr, &s, &t);
        all = t.take_sorted();
      }
      const quiver::Hit after = all[7];
      const double bound = all[40].score;
      quiver::TopK alone(10, bound, false, &after);
      quiver::ScanScratch one;
      for (const quiver::Block& b : blocks) quiver::scan_block(scorer, b, nullptr, &one, &alone);
      std::vector<quiver::Hit> expected = alone.take_sorted();
      quiver::WorkerPool pool(2);
      quiver::ParallelScanScratch scratch;
      quiver::TopK top(10, bound, false, &after);
      quiver::scan_blocks(scorer, pointers, nullptr, 10, bound, false, &after, &pool, &scratch, &top);
      std::vector<quiver::Hit> got = top.take_sorted();
      REQUIRE(got.size() == expected.size());
      for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].rowid == expected[i].rowid);
      for (const quiver::Hit& h : got) CHECK(h.score < bound);
    }
  }
}
