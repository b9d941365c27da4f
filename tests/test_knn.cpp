// The KNN search (ext/index/knn.h) over a list source held in memory, no
// SQLite: the lists, their chunks and the filter are built here, and every
// answer is checked against the shared brute-force reference.
//   - flat (lists() == 0): nearest(k) is the exact k nearest, every element
//     type and metric, with a filter and with bounds;
//   - IVF: nearest(k) searches exactly the `probes` nearest lists (ranked
//     here from the centroids), widened list by list while fewer than k rows
//     were found, so a selective filter never makes a query come back short;
//     a range query stays within its probes;
//   - next_batch: every row once, exact whatever the index, in distance
//     order with ties by rowid, in batches that double from 32;
//   - a filter whose rows disagree with the chunks is reported as damage,
//     and every chunk it names is checked with the source (check_chunk);
//   - ListRanking against a sort of the scores.
// Float32 rows have small integer coordinates, so that their L2 and dot
// distances are exact in float32 and ties are real.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "block.h"
#include "errors.h"
#include "kernels.h"
#include "knn.h"
#include "list_source.h"
#include "support/reference.h"

using namespace quiver;
using quiver_test::Neighbour;

namespace {

// A stored row of the in-memory index.
struct MemoryRow {
  int64_t rowid;
  int64_t list;
  std::vector<unsigned char> vector;
};

// An index in memory: `lists` lists (0: flat, one list scanned whole) with
// their centroids, chunks of `capacity` rows, each list's rows in the order
// added. It records which lists the search asked for.
class MemoryLists : public ListSource {
 public:
  MemoryLists(ElementType type, uint32_t dims, Metric metric, std::vector<std::vector<float>> centroids,
              size_t default_probes, int64_t capacity)
      : type_(type), dims_(dims), metric_(metric), centroids_(std::move(centroids)), default_probes_(default_probes),
        capacity_(capacity) {}

  void add(int64_t list, int64_t rowid, const std::vector<unsigned char>& vector) {
    ChunkInfo* last = nullptr;
    for (ChunkInfo& c : chunks_)
      if (c.list == list) last = &c;
    if (!last || last->count == last->capacity) {
      chunks_.push_back(ChunkInfo{next_id_, list, 0, capacity_});
      next_id_ += 3;  // ids need not be dense
      payload_[chunks_.back().id] = {};
      last = &chunks_.back();
    }
    payload_[last->id].push_back(MemoryRow{rowid, list, vector});
    ++last->count;
  }

  // Where each row is: chunk id and slot.
  struct Place {
    int64_t chunk, slot;
  };
  std::map<int64_t, Place> places() const {
    std::map<int64_t, Place> out;
    for (const auto& [id, rows] : payload_)
      for (size_t s = 0; s < rows.size(); ++s) out[rows[s].rowid] = {id, static_cast<int64_t>(s)};
    return out;
  }
  std::vector<MemoryRow> rows() const {
    std::vector<MemoryRow> out;
    for (const auto& p : payload_) out.insert(out.end(), p.second.begin(), p.second.end());
    return out;
  }

  // The lists nearest to q first (ties: lower list), by the same scores
  // rank() gives ListRanking, sorted here.
  std::vector<int64_t> lists_by_nearness(const std::vector<float>& q) const {
    std::vector<int64_t> order(centroids_.size());
    std::iota(order.begin(), order.end(), 0);
    std::vector<float> s = scores(q);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return s[a] > s[b]; });
    return order;
  }

  size_t lists() override { return centroids_.size(); }
  size_t default_probes() override { return default_probes_; }
  void rank(const VectorView& query, double, ListRanking* out) override {
    ++ranked;
    out->reset(scores(quiver_test::elements(query.type, query.data, query.dims)), centroids_.size());
  }
  std::vector<ChunkInfo> chunks(int64_t list) override {
    asked.push_back(list);
    std::vector<ChunkInfo> out;
    for (const ChunkInfo& c : chunks_)
      if (list < 0 || c.list == list) out.push_back(c);
    return out;
  }
  const Block& block(const ChunkInfo& chunk) override {
    const std::vector<MemoryRow>& rows = payload_.at(chunk.id);
    REQUIRE(static_cast<int64_t>(rows.size()) == chunk.count);
    size_t bytes = encoded_size(type_, dims_);
    std::vector<unsigned char> packed;
    std::vector<int64_t> rowids;
    for (const MemoryRow& r : rows) {
      packed.insert(packed.end(), r.vector.begin(), r.vector.end());
      rowids.push_back(r.rowid);
    }
    REQUIRE(packed.size() == bytes * rows.size());
    prepare_block(type_, dims_, metric_, packed.data(), rowids.data(), chunk.count, &block_);
    return block_;
  }

  void check_chunk(int64_t chunk) override {
    checked.insert(chunk);
    if (!payload_.count(chunk)) corrupt("no chunk " + std::to_string(chunk));
  }

  std::vector<int64_t> asked;  // the lists chunks() was asked for, in order (-1: all)
  int ranked = 0;
  std::set<int64_t> checked;  // the chunks check_chunk() was asked about

 private:
  // Nearer = larger: minus the squared L2 distance to the centroid.
  std::vector<float> scores(const std::vector<float>& q) const {
    std::vector<float> s;
    for (const auto& c : centroids_) s.push_back(static_cast<float>(-std::pow(quiver_test::reference_distance(Metric::L2, q, c), 2)));
    return s;
  }

  ElementType type_;
  uint32_t dims_;
  Metric metric_;
  std::vector<std::vector<float>> centroids_;
  size_t default_probes_;
  int64_t capacity_;
  std::vector<ChunkInfo> chunks_;
  std::map<int64_t, std::vector<MemoryRow>> payload_;
  int64_t next_id_ = 5;
  Block block_;
};

// The rows whose rowid `keep` admits, as (chunk, slot, rowid) in rowid order.
class MemoryFilter : public RowFilter {
 public:
  MemoryFilter(const MemoryLists& lists, const std::function<bool(int64_t)>& keep, int* restarts = nullptr)
      : restarts_(restarts) {
    for (const auto& [rowid, place] : lists.places())
      if (keep(rowid)) rows.push_back({place.chunk, place.slot, rowid});
  }
  void restart() override {
    at_ = 0;
    if (restarts_) ++*restarts_;
  }
  bool next(int64_t* chunk, int64_t* slot, int64_t* rowid) override {
    if (at_ >= rows.size()) return false;
    *chunk = rows[at_].chunk;
    *slot = rows[at_].slot;
    *rowid = rows[at_].rowid;
    ++at_;
    return true;
  }
  struct Entry {
    int64_t chunk, slot, rowid;
  };
  std::vector<Entry> rows;  // public: the tests damage them

 private:
  size_t at_ = 0;
  int* restarts_;
};

// One layout of the tests: element type, metric, dimensions.
struct Layout {
  ElementType type;
  Metric metric;
  uint32_t dims;
  // Distances are exact in the search's arithmetic: the order must match
  // the reference exactly, ties by rowid.
  bool exact() const { return metric != Metric::Cosine; }
};

const Layout kLayouts[] = {
    {ElementType::Float32, Metric::L2, 8},  {ElementType::Float32, Metric::Dot, 8},
    {ElementType::Float32, Metric::Cosine, 8}, {ElementType::Int8, Metric::L2, 8},
    {ElementType::Int8, Metric::Dot, 8},    {ElementType::Int8, Metric::Cosine, 8},
    {ElementType::Bit, Metric::Hamming, 16},
};

std::string describe(const Layout& l) {
  return std::string(element_type_name(l.type)) + "[" + std::to_string(l.dims) + "] " + metric_name(l.metric);
}

// A random vector of small integers (bits for bit vectors), never zero.
std::vector<unsigned char> random_vector(std::mt19937& rng, const Layout& l) {
  std::vector<unsigned char> out(encoded_size(l.type, l.dims));
  std::uniform_int_distribution<int> small(-3, 3);
  for (;;) {
    bool zero = true;
    for (uint32_t t = 0; t < l.dims; ++t) {
      int x = small(rng);
      if (l.type == ElementType::Float32) {
        float f = static_cast<float>(x);
        std::memcpy(out.data() + 4 * t, &f, 4);
      } else if (l.type == ElementType::Int8) {
        out[t] = static_cast<unsigned char>(static_cast<int8_t>(x));
      } else if (x > 0) {
        out[t / 8] = static_cast<unsigned char>(out[t / 8] | (1u << (t % 8)));
      }
      zero = zero && (l.type == ElementType::Bit ? x <= 0 : x == 0);
    }
    if (!zero) return out;
    std::fill(out.begin(), out.end(), 0);
  }
}

std::vector<float> floats(const Layout& l, const std::vector<unsigned char>& v) {
  return quiver_test::elements(l.type, v.data(), l.dims);
}

// An index of `n` random rows with rowids 1, 4, 7, ...: flat when
// `lists` = 0, else each row in the list of its nearest centroid.
std::unique_ptr<MemoryLists> make_index(std::mt19937& rng, const Layout& l, size_t lists, size_t n, int64_t capacity,
                                        size_t default_probes = 2) {
  std::vector<std::vector<float>> centroids;
  for (size_t i = 0; i < lists; ++i) centroids.push_back(floats(l, random_vector(rng, l)));
  auto index = std::make_unique<MemoryLists>(l.type, l.dims, l.metric, centroids, default_probes, capacity);
  for (size_t i = 0; i < n; ++i) {
    std::vector<unsigned char> v = random_vector(rng, l);
    int64_t list = 0;
    if (lists > 0) list = index->lists_by_nearness(floats(l, v)).front();
    index->add(list, static_cast<int64_t>(1 + 3 * i), v);
  }
  return index;
}

// The reference over the rows of `lists` (all when empty) that `keep`
// admits, within the bound.
std::vector<Neighbour> reference(const Layout& l, const MemoryLists& index, const std::vector<unsigned char>& q,
                                 size_t k, const std::function<bool(int64_t)>& keep = nullptr,
                                 const std::set<int64_t>* lists = nullptr, double bound = HUGE_VAL,
                                 bool inclusive = false) {
  std::vector<quiver_test::ReferenceRow> rows;
  for (const MemoryRow& r : index.rows())
    if ((!keep || keep(r.rowid)) && (!lists || lists->count(r.list))) rows.push_back({r.rowid, floats(l, r.vector)});
  std::vector<Neighbour> all = quiver_test::reference_nearest(l.metric, floats(l, q), rows);
  std::vector<Neighbour> out;
  for (const Neighbour& n : all)
    if ((n.distance < bound || (inclusive && n.distance == bound)) && out.size() < k) out.push_back(n);
  return out;
}

// The search's hits against the reference: the same rows in the same order
// (exact layouts), else each hit at the reference distance of the same
// position within float32 rounding, and its own row at that distance too.
void require_same(const Layout& l, const KnnSearch& search, const std::vector<Hit>& got,
                  const std::vector<Neighbour>& want, const MemoryLists& index, const std::vector<unsigned char>& q) {
  std::map<int64_t, double> truth;
  for (const MemoryRow& r : index.rows())
    truth[r.rowid] = quiver_test::reference_distance(l.metric, floats(l, q), floats(l, r.vector));
  REQUIRE(got.size() == want.size());
  std::set<int64_t> seen;
  for (size_t i = 0; i < got.size(); ++i) {
    double d = search.distance(got[i].score);
    INFO("position " << i << ": got row " << got[i].rowid << " at " << d << ", reference row " << want[i].rowid << " at "
                     << want[i].distance);
    REQUIRE(seen.insert(got[i].rowid).second);
    if (l.exact()) {
      REQUIRE(got[i].rowid == want[i].rowid);
      REQUIRE(d == want[i].distance);
    } else {
      double tol = 1e-5 * (1 + std::fabs(want[i].distance));
      REQUIRE(std::fabs(d - want[i].distance) <= tol);
      REQUIRE(std::fabs(truth.at(got[i].rowid) - want[i].distance) <= tol);
    }
  }
}

// The lists an IVF nearest(k) must search: the `probes` nearest, then one
// more at a time while the rows they hold that pass fall short of k.
std::set<int64_t> lists_to_search(const Layout& l, const MemoryLists& index, const std::vector<unsigned char>& q,
                                  size_t probes, size_t k, const std::function<bool(int64_t)>& keep,
                                  double bound = HUGE_VAL, bool inclusive = false) {
  std::vector<int64_t> order = index.lists_by_nearness(floats(l, q));
  std::set<int64_t> lists;
  size_t i = 0;
  for (; i < std::min(probes, order.size()); ++i) lists.insert(order[i]);
  while (k != kUnlimited && reference(l, index, q, k, keep, &lists, bound, inclusive).size() < k && i < order.size())
    lists.insert(order[i++]);
  return lists;
}

}  // namespace

TEST_CASE("knn: a flat source gives the exact k nearest, every type and metric", "[knn]") {
  std::mt19937 rng(1);
  for (const Layout& l : kLayouts) {
    INFO(describe(l));
    for (int64_t capacity : {7, 150}) {
      auto index = make_index(rng, l, 0, 300, capacity);
      for (int trial = 0; trial < 6; ++trial) {
        std::vector<unsigned char> q = random_vector(rng, l);
        for (size_t k : {1u, 10u, 299u, 300u, 1000u}) {
          INFO("capacity " << capacity << " k " << k);
          KnnSearch search(*index, l.metric, VectorView{l.type, l.dims, q.data()}, active_kernels());
          index->asked.clear();
          require_same(l, search, search.nearest(k), reference(l, *index, q, k), *index, q);
          // A flat source is scanned whole, once, and never ranked.
          CHECK(index->asked == std::vector<int64_t>{-1});
          CHECK(index->ranked == 0);
        }
      }
    }
  }
}

TEST_CASE("knn: a filter keeps the k nearest among the rows it lets through", "[knn]") {
  std::mt19937 rng(2);
  for (const Layout& l : kLayouts) {
    INFO(describe(l));
    for (size_t lists : {0u, 5u}) {
      auto index = make_index(rng, l, lists, 400, 70);  // 70: a chunk's mask spans two words
      for (int modulus : {2, 7, 97}) {
        auto keep = [&](int64_t rowid) { return rowid % modulus == 1; };
        std::vector<unsigned char> q = random_vector(rng, l);
        INFO("lists " << lists << " rows with rowid % " << modulus << " == 1");
        KnnSearch search(*index, l.metric, VectorView{l.type, l.dims, q.data()}, active_kernels());
        search.set_filter(std::make_unique<MemoryFilter>(*index, keep));
        search.set_probes(lists);  // every list: exact
        require_same(l, search, search.nearest(10), reference(l, *index, q, 10, keep), *index, q);
      }
    }
  }
}

TEST_CASE("knn: IVF searches the nearest `probes` lists, widening while fewer than k rows were found", "[knn]") {
  std::mt19937 rng(3);
  for (const Layout& l : {kLayouts[0], kLayouts[3], kLayouts[6]}) {
    INFO(describe(l));
    auto index = make_index(rng, l, 8, 600, 16, 2);
    for (int trial = 0; trial < 10; ++trial) {
      std::vector<unsigned char> q = random_vector(rng, l);
      std::vector<int64_t> order = index->lists_by_nearness(floats(l, q));
      for (size_t probes : {0u, 1u, 3u, 8u, 50u}) {
        for (size_t k : {1u, 10u, 100u, 600u, 700u}) {
          size_t effective = probes == 0 ? 2 : probes;  // 0: the source's default
          INFO("probes " << probes << " k " << k);
          std::set<int64_t> lists = lists_to_search(l, *index, q, effective, k, nullptr);
          KnnSearch search(*index, l.metric, VectorView{l.type, l.dims, q.data()}, active_kernels());
          search.set_probes(probes);
          index->asked.clear();
          std::vector<Hit> got = search.nearest(k);
          require_same(l, search, got, reference(l, *index, q, k, nullptr, &lists), *index, q);
          // Never short while rows remain.
          CHECK(got.size() == std::min<size_t>(k, 600));
          // The lists asked for: the nearest first, each once, no more than
          // needed.
          std::vector<int64_t> want(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(lists.size()));
          CHECK(index->asked == want);
        }
      }
    }
  }
}

TEST_CASE("knn: a selective filter widens an IVF search until k rows pass, and it never comes back short", "[knn]") {
  std::mt19937 rng(4);
  const Layout& l = kLayouts[0];
  auto index = make_index(rng, l, 10, 1000, 32, 1);
  for (int64_t modulus : {3, 50, 400, 5000}) {
    auto keep = [&](int64_t rowid) { return rowid % modulus == 1; };
    size_t passing = 0;
    for (const MemoryRow& r : index->rows()) passing += keep(r.rowid);
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<unsigned char> q = random_vector(rng, l);
      for (size_t k : {1u, 5u, 20u}) {
        INFO("rowid % " << modulus << " == 1 (" << passing << " rows) k " << k);
        std::set<int64_t> lists = lists_to_search(l, *index, q, 1, k, keep);
        int restarts = 0;
        KnnSearch search(*index, l.metric, VectorView{l.type, l.dims, q.data()}, active_kernels());
        search.set_filter(std::make_unique<MemoryFilter>(*index, keep, &restarts));
        std::vector<Hit> got = search.nearest(k);
        CHECK(got.size() == std::min(k, passing));
        require_same(l, search, got, reference(l, *index, q, k, keep, &lists), *index, q);
        CHECK(restarts == 1);
      }
    }
  }
}

TEST_CASE("knn: distance bounds, inclusive and exclusive, the tightest winning, and a range query within its probes",
          "[knn]") {
  std::mt19937 rng(5);
  for (const Layout& l : {kLayouts[0], kLayouts[1], kLayouts[6]}) {
    INFO(describe(l));
    for (size_t lists : {0u, 6u}) {
      auto index = make_index(rng, l, lists, 500, 40, 2);
      for (int trial = 0; trial < 8; ++trial) {
        std::vector<unsigned char> q = random_vector(rng, l);
        // Bounds at distances rows have (integers, square roots of
        // integers: exact), so the boundary case occurs.
        std::vector<Neighbour> all = reference(l, *index, q, kUnlimited);
        double bound = all[all.size() / 5].distance;
        for (bool inclusive : {false, true}) {
          INFO("lists " << lists << " bound " << bound << (inclusive ? " inclusive" : " exclusive"));
          for (size_t k : {size_t{5}, size_t{1000}, kUnlimited}) {
            INFO("k " << k);
            KnnSearch search(*index, l.metric, VectorView{l.type, l.dims, q.data()}, active_kernels());
            CHECK_FALSE(search.bounded());
            search.set_bound(bound, inclusive);
            search.set_bound(bound + 1, true);  // looser: ignored
            CHECK(search.bounded());
            std::set<int64_t> searched;
            if (lists > 0) searched = lists_to_search(l, *index, q, 2, k, nullptr, bound, inclusive);
            require_same(l, search, search.nearest(k),
                         reference(l, *index, q, k, nullptr, lists > 0 ? &searched : nullptr, bound, inclusive),
                         *index, q);
            if (lists > 0 && k == kUnlimited) CHECK(searched.size() == 2);
          }
        }
        // Equal bounds: the exclusive one is the tighter.
        KnnSearch search(*index, l.metric, VectorView{l.type, l.dims, q.data()}, active_kernels());
        search.set_bound(bound, true);
        search.set_bound(bound, false);
        search.set_bound(bound, true);
        search.set_probes(std::max<size_t>(lists, 1));
        require_same(l, search, search.nearest(kUnlimited), reference(l, *index, q, kUnlimited, nullptr, nullptr, bound, false),
                     *index, q);
      }
    }
  }
}

TEST_CASE("knn: next_batch streams every row once, in distance order, ties by rowid, in doubling batches", "[knn]") {
  std::mt19937 rng(6);
  for (const Layout& l : kLayouts) {
    INFO(describe(l));
    for (size_t lists : {0u, 4u}) {
      for (bool filtered : {false, true}) {
        for (bool bounded : {false, true}) {
          INFO("lists " << lists << (filtered ? " filtered" : "") << (bounded ? " bounded" : ""));
          auto index = make_index(rng, l, lists, 777, 50, 1);
          std::vector<unsigned char> q = random_vector(rng, l);
          auto keep = [](int64_t rowid) { return rowid % 5 != 0; };
          double bound = HUGE_VAL;
          if (bounded) bound = reference(l, *index, q, kUnlimited)[400].distance;
          std::vector<Neighbour> want =
              reference(l, *index, q, kUnlimited, filtered ? std::function<bool(int64_t)>(keep) : nullptr, nullptr, bound, true);
          int restarts = 0;
          KnnSearch search(*index, l.metric, VectorView{l.type, l.dims, q.data()}, active_kernels());
          if (filtered) search.set_filter(std::make_unique<MemoryFilter>(*index, keep, &restarts));
          if (bounded) search.set_bound(bound, true);
          std::vector<Hit> streamed;
          size_t batch = 32;
          int batches = 0;
          for (;;) {
            std::vector<Hit> hits = search.next_batch();
            ++batches;
            REQUIRE(batches < 100);
            REQUIRE(hits.size() <= batch);
            streamed.insert(streamed.end(), hits.begin(), hits.end());
            if (hits.size() < batch) break;
            batch *= 2;
          }
          // After the end, nothing more.
          CHECK(search.next_batch().empty());
          require_same(l, search, streamed, want, *index, q);
          if (filtered) CHECK(restarts == batches);
        }
      }
    }
  }
}

TEST_CASE("knn: the search keeps its own copy of the query", "[knn]") {
  std::mt19937 rng(7);
  const Layout& l = kLayouts[0];
  auto index = make_index(rng, l, 0, 200, 30);
  std::vector<unsigned char> q = random_vector(rng, l), original = q;
  KnnSearch search(*index, l.metric, VectorView{l.type, l.dims, q.data()}, active_kernels());
  std::fill(q.begin(), q.end(), 0);
  require_same(l, search, search.nearest(20), reference(l, *index, original, 20), *index, original);
}

TEST_CASE("knn: a filter row that the chunks do not hold is reported as a corrupt index", "[knn]") {
  std::mt19937 rng(8);
  const Layout& l = kLayouts[0];
  auto index = make_index(rng, l, 0, 100, 30);
  std::vector<unsigned char> q = random_vector(rng, l);
  auto error_of = [&](const std::function<void(MemoryFilter&)>& damage) {
    auto filter = std::make_unique<MemoryFilter>(*index, [](int64_t) { return true; });
    damage(*filter);
    KnnSearch search(*index, l.metric, VectorView{l.type, l.dims, q.data()}, active_kernels());
    search.set_filter(std::move(filter));
    try {
      search.nearest(5);
    } catch (const SqlError& e) {
      CHECK(e.rc() == SQLITE_CORRUPT_VTAB);
      return std::string(e.what());
    }
    return std::string("no error");
  };
  MemoryFilter probe(*index, [](int64_t) { return true; });
  const MemoryFilter::Entry first = probe.rows[0];
  // The slot holds another row.
  CHECK(error_of([](MemoryFilter& f) { f.rows[0].rowid += 1000; }) ==
        "quiver: corrupt index: row " + std::to_string(first.rowid + 1000) + " points at slot " +
            std::to_string(first.slot) + " of chunk " + std::to_string(first.chunk) + ", which does not hold it");
  // A slot past the chunk's rows.
  CHECK(error_of([](MemoryFilter& f) { f.rows[0].slot = 29; f.rows[0].chunk = f.rows.back().chunk; }).find(
            "which does not hold it") != std::string::npos);
  // A slot no chunk can have.
  CHECK(error_of([](MemoryFilter& f) { f.rows[0].slot = -1; }) ==
        "quiver: corrupt index: row " + std::to_string(first.rowid) + " has slot -1, out of range");
  CHECK(error_of([](MemoryFilter& f) { f.rows[0].slot = int64_t{1} << 20; }) ==
        "quiver: corrupt index: row " + std::to_string(first.rowid) + " has slot 1048576, out of range");
  // A chunk the source does not have: the source is asked about it.
  CHECK(error_of([](MemoryFilter& f) { f.rows[0].chunk = 999; }) == "quiver: corrupt index: no chunk 999");
}

TEST_CASE("knn: every chunk a filter names is checked with the source, also in lists the search never probes",
          "[knn]") {
  std::mt19937 rng(10);
  const Layout& l = kLayouts[0];
  auto index = make_index(rng, l, 6, 300, 16, 1);
  std::set<int64_t> filter_chunks;
  for (const auto& [rowid, place] : index->places()) filter_chunks.insert(place.chunk);
  std::vector<unsigned char> q = random_vector(rng, l);
  KnnSearch search(*index, l.metric, VectorView{l.type, l.dims, q.data()}, active_kernels());
  search.set_filter(std::make_unique<MemoryFilter>(*index, [](int64_t) { return true; }));
  index->asked.clear();
  search.nearest(1);
  CHECK(index->asked.size() == 1);  // one list probed
  CHECK(index->checked == filter_chunks);
}

TEST_CASE("knn: ListRanking orders lists by score, larger first, ties to the lower list, however it is read",
          "[knn]") {
  std::mt19937 rng(9);
  for (size_t n : {1u, 2u, 5u, 64u, 1000u}) {
    std::vector<float> scores(n);
    std::uniform_int_distribution<int> few(0, 9);
    for (float& s : scores) s = static_cast<float>(few(rng)) - 4.5f;
    std::vector<uint32_t> want(n);
    std::iota(want.begin(), want.end(), 0u);
    std::stable_sort(want.begin(), want.end(), [&](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });
    // In order, backwards, and at random positions: the same answer.
    for (int pattern = 0; pattern < 3; ++pattern) {
      INFO("lists " << n << " pattern " << pattern);
      ListRanking ranking;
      ranking.reset(scores, n);
      REQUIRE(ranking.size() == n);
      std::vector<size_t> positions(n);
      std::iota(positions.begin(), positions.end(), size_t{0});
      if (pattern == 1) std::reverse(positions.begin(), positions.end());
      if (pattern == 2) std::shuffle(positions.begin(), positions.end(), rng);
      for (size_t i : positions) REQUIRE(ranking.at(i) == want[i]);
      for (size_t i = 0; i < n; ++i) REQUIRE(ranking.at(i) == want[i]);
    }
  }
  // reset() starts over with new scores.
  ListRanking ranking;
  ranking.reset({1, 2, 3}, 3);
  CHECK(ranking.at(0) == 2);
  ranking.reset({3, 2, 1, 0}, 4);
  CHECK(ranking.size() == 4);
  CHECK(ranking.at(0) == 0);
  CHECK(ranking.at(3) == 3);
}
