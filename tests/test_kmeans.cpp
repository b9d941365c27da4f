// k-means for the IVF quantizer (ext/core/kmeans.h), without SQLite:
//   - training is deterministic for given points, options and seed;
//   - well-separated Gaussian blobs are recovered (one centroid per blob,
//     clusters pure);
//   - no cluster is left empty while k <= distinct points; k > n becomes n;
//   - spherical centroids are unit length;
//   - Centroids::nearest and ranked agree with a double-precision brute
//     force, ties broken by the lower id, and ranked sorts its prefix.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "kernels.h"
#include "kmeans.h"

namespace {

using quiver::Centroids;
using quiver::KMeansOptions;

// The kernel tables to run every test with: the scalar reference and the
// family in use (the same table on a machine without SIMD).
std::vector<const quiver::Kernels*> kernel_tables() {
  std::vector<const quiver::Kernels*> out{&quiver::scalar_kernels()};
  if (&quiver::active_kernels() != &quiver::scalar_kernels()) out.push_back(&quiver::active_kernels());
  return out;
}

struct Blobs {
  size_t dim = 0;
  std::vector<float> centres;  // blobs x dim
  std::vector<float> points;   // n x dim
  std::vector<size_t> label;   // blob of each point
  size_t n() const { return label.size(); }
};

// `blobs` centres uniform in [-spread, spread]^dim, `per_blob` points each
// with Gaussian noise of standard deviation sigma per coordinate, shuffled.
Blobs make_blobs(std::mt19937& rng, size_t blobs, size_t per_blob, size_t dim, float spread, float sigma) {
  Blobs b;
  b.dim = dim;
  std::uniform_real_distribution<float> u(-spread, spread);
  std::normal_distribution<float> noise(0.0f, sigma);
  b.centres.resize(blobs * dim);
  for (float& x : b.centres) x = u(rng);
  std::vector<size_t> order(blobs * per_blob);
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), rng);
  b.points.resize(order.size() * dim);
  b.label.resize(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    size_t blob = order[i] / per_blob;
    b.label[i] = blob;
    for (size_t t = 0; t < dim; ++t) b.points[i * dim + t] = b.centres[blob * dim + t] + noise(rng);
  }
  return b;
}

double l2sq(const float* a, const float* b, size_t dim) {
  double s = 0;
  for (size_t t = 0; t < dim; ++t) {
    double d = double{a[t]} - double{b[t]};
    s += d * d;
  }
  return s;
}

// Brute-force nearest centroid, ties to the lower id.
size_t brute_nearest(const Centroids& c, const float* x) {
  size_t best = 0;
  double best_d = std::numeric_limits<double>::infinity();
  for (size_t j = 0; j < c.k(); ++j) {
    double d = l2sq(x, c.row(j), c.dim());
    if (d < best_d) {
      best_d = d;
      best = j;
    }
  }
  return best;
}

std::vector<size_t> cluster_sizes(const Centroids& c, const std::vector<float>& points, size_t dim,
                                  const quiver::Kernels& kernels) {
  std::vector<size_t> sizes(c.k(), 0);
  std::vector<float> scores(c.padded_k());
  for (size_t i = 0; i < points.size() / dim; ++i) sizes[c.nearest(points.data() + i * dim, scores.data(), kernels)]++;
  return sizes;
}

double inertia(const Centroids& c, const std::vector<float>& points, size_t dim) {
  double total = 0;
  for (size_t i = 0; i < points.size() / dim; ++i) {
    const float* x = points.data() + i * dim;
    total += l2sq(x, c.row(brute_nearest(c, x)), dim);
  }
  return total;
}

Centroids train(const std::vector<float>& points, size_t dim, size_t k, const quiver::Kernels& kernels,
                bool spherical = false, uint64_t seed = KMeansOptions().seed, int iterations = 20) {
  KMeansOptions options;
  options.k = k;
  options.spherical = spherical;
  options.seed = seed;
  options.iterations = iterations;
  return quiver::train_kmeans(points.data(), points.size() / dim, dim, options, kernels);
}

void normalize_rows(std::vector<float>* points, size_t dim) {
  for (size_t i = 0; i < points->size() / dim; ++i) {
    float* x = points->data() + i * dim;
    double n = 0;
    for (size_t t = 0; t < dim; ++t) n += double{x[t]} * x[t];
    for (size_t t = 0; t < dim; ++t) x[t] = static_cast<float>(x[t] / std::sqrt(n));
  }
}

}  // namespace

TEST_CASE("kmeans: training is deterministic for the same points, options and seed", "[kmeans]") {
  std::mt19937 rng(101);
  Blobs b = make_blobs(rng, 12, 60, 10, 5.0f, 1.0f);
  for (const quiver::Kernels* kernels : kernel_tables()) {
    INFO("kernels: " << kernels->name);
    for (bool spherical : {false, true}) {
      INFO("spherical: " << spherical);
      Centroids a = train(b.points, b.dim, 16, *kernels, spherical);
      Centroids again = train(b.points, b.dim, 16, *kernels, spherical);
      REQUIRE(a.k() == 16);
      REQUIRE(a.dim() == b.dim);
      REQUIRE(a.rows() == again.rows());  // bit for bit
      // The seed is what drives the sampling: another seed seeds differently.
      Centroids other = train(b.points, b.dim, 16, *kernels, spherical, 12345, 0);
      Centroids same_seed = train(b.points, b.dim, 16, *kernels, spherical, 12345, 0);
      REQUIRE(other.rows() == same_seed.rows());
      REQUIRE(other.rows() != train(b.points, b.dim, 16, *kernels, spherical, 54321, 0).rows());
    }
  }
}

TEST_CASE("kmeans: well-separated Gaussian blobs are recovered", "[kmeans]") {
  // 20 blobs in 16 dimensions: centres about 33 apart on average, points
  // within about 1.2 of their centre.
  std::mt19937 rng(202);
  const size_t blobs = 20, per_blob = 100, dim = 16;
  Blobs b = make_blobs(rng, blobs, per_blob, dim, 10.0f, 0.3f);
  for (const quiver::Kernels* kernels : kernel_tables()) {
    INFO("kernels: " << kernels->name);
    Centroids c = train(b.points, dim, blobs, *kernels);
    REQUIRE(c.k() == blobs);

    // Each true centre has its own centroid close by: a bijection.
    std::set<size_t> matched;
    for (size_t blob = 0; blob < blobs; ++blob) {
      const float* centre = b.centres.data() + blob * dim;
      size_t j = brute_nearest(c, centre);
      double d = std::sqrt(l2sq(centre, c.row(j), dim));
      INFO("blob " << blob << " centroid " << j << " at " << d);
      // The mean of 100 points with sigma 0.3 lies within ~0.12 of the centre.
      REQUIRE(d < 0.3);
      matched.insert(j);
    }
    REQUIRE(matched.size() == blobs);

    // Purity: every point lands in the cluster of its own blob.
    std::vector<float> scores(c.padded_k());
    std::vector<std::vector<size_t>> counts(c.k(), std::vector<size_t>(blobs, 0));
    for (size_t i = 0; i < b.n(); ++i) counts[c.nearest(b.points.data() + i * dim, scores.data(), *kernels)][b.label[i]]++;
    size_t majority = 0;
    for (const auto& row : counts) {
      REQUIRE(std::accumulate(row.begin(), row.end(), size_t{0}) == per_blob);
      majority += *std::max_element(row.begin(), row.end());
    }
    REQUIRE(majority == b.n());
  }
}

TEST_CASE("kmeans: training lowers the k-means objective below the k-means++ seeds", "[kmeans]") {
  std::mt19937 rng(303);
  Blobs b = make_blobs(rng, 30, 40, 8, 3.0f, 1.0f);  // overlapping blobs: Lloyd has work to do
  for (const quiver::Kernels* kernels : kernel_tables()) {
    INFO("kernels: " << kernels->name);
    Centroids seeds = train(b.points, b.dim, 24, *kernels, false, KMeansOptions().seed, 0);
    Centroids trained = train(b.points, b.dim, 24, *kernels);
    // With no iteration the centroids are the seeds: points of the input.
    for (size_t j = 0; j < seeds.k(); ++j) {
      bool found = false;
      for (size_t i = 0; i < b.n() && !found; ++i) found = l2sq(seeds.row(j), b.points.data() + i * b.dim, b.dim) == 0;
      REQUIRE(found);
    }
    double before = inertia(seeds, b.points, b.dim), after = inertia(trained, b.points, b.dim);
    INFO("inertia of seeds " << before << ", trained " << after);
    REQUIRE(after < 0.95 * before);
  }
}

TEST_CASE("kmeans: no cluster is empty while k <= distinct points", "[kmeans]") {
  struct Case {
    const char* name;
    std::vector<float> points;
    size_t dim;
    size_t k;
  };
  std::vector<Case> cases;
  std::mt19937 rng(404);
  {
    // Uniform noise with k close to n: many clusters of one or two points.
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> p(200 * 4);
    for (float& x : p) x = u(rng);
    cases.push_back({"uniform n=200 k=150", p, 4, 150});
    cases.push_back({"uniform n=200 k=200", p, 4, 200});
  }
  {
    // Few natural clusters, many more centroids than clusters.
    Blobs b = make_blobs(rng, 3, 100, 6, 20.0f, 0.5f);
    cases.push_back({"3 blobs, k=64", b.points, 6, 64});
  }
  {
    // 40 distinct points, each repeated 1 to 30 times.
    std::uniform_real_distribution<float> u(-5, 5);
    std::vector<float> p;
    for (int d = 0; d < 40; ++d) {
      std::vector<float> x(5);
      for (float& v : x) v = u(rng);
      int copies = 1 + static_cast<int>(rng() % 30);
      for (int c = 0; c < copies; ++c) p.insert(p.end(), x.begin(), x.end());
    }
    // Shuffle rows.
    size_t n = p.size() / 5;
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t{0});
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<float> shuffled(p.size());
    for (size_t i = 0; i < n; ++i) std::copy(p.begin() + order[i] * 5, p.begin() + order[i] * 5 + 5, shuffled.begin() + i * 5);
    cases.push_back({"40 distinct points with duplicates, k=40", shuffled, 5, 40});
    cases.push_back({"40 distinct points with duplicates, k=25", shuffled, 5, 25});
  }
  {
    // A heavy cluster and a few outliers.
    std::normal_distribution<float> g(0, 0.01f);
    std::vector<float> p;
    for (int i = 0; i < 500; ++i)
      for (int t = 0; t < 3; ++t) p.push_back(g(rng));
    for (int i = 0; i < 5; ++i)
      for (int t = 0; t < 3; ++t) p.push_back(100.0f * static_cast<float>(i + 1) * (t == i % 3 ? 1.0f : 0.0f));
    cases.push_back({"one dense cluster and 5 outliers, k=32", p, 3, 32});
  }
  for (const quiver::Kernels* kernels : kernel_tables()) {
    // Found by search: with this seed, Lloyd's second step leaves one of the
    // four clusters empty unless it is repaired (integer points, so every
    // kernel computes the same distances).
    {
      std::vector<float> p = {11, 4, 15, 19, 18, 9, 5, 8, 19, 16, 12, 18, 7, 4, 16, 11, 13, 16, 5, 7, 4, 10};
      Centroids cent = train(p, 2, 4, *kernels, false, 4270868165ull);
      REQUIRE(cent.k() == 4);
      std::vector<size_t> sizes = cluster_sizes(cent, p, 2, *kernels);
      INFO("sizes " << sizes[0] << " " << sizes[1] << " " << sizes[2] << " " << sizes[3]);
      REQUIRE(std::count(sizes.begin(), sizes.end(), size_t{0}) == 0);
    }
    for (const Case& c : cases) {
      for (bool spherical : {false, true}) {
        INFO(c.name << ", kernels " << kernels->name << ", spherical " << spherical);
        std::vector<float> points = c.points;
        if (spherical) normalize_rows(&points, c.dim);
        Centroids cent = train(points, c.dim, c.k, *kernels, spherical);
        REQUIRE(cent.k() == c.k);
        std::vector<size_t> sizes = cluster_sizes(cent, points, c.dim, *kernels);
        size_t empty = static_cast<size_t>(std::count(sizes.begin(), sizes.end(), size_t{0}));
        REQUIRE(empty == 0);
      }
    }
  }
}

TEST_CASE("kmeans: k larger than the number of points is reduced to it", "[kmeans]") {
  std::mt19937 rng(505);
  std::uniform_real_distribution<float> u(-3, 3);
  for (const quiver::Kernels* kernels : kernel_tables()) {
    INFO("kernels: " << kernels->name);
    for (size_t n : {size_t{1}, size_t{2}, size_t{7}}) {
      std::vector<float> p(n * 9);
      for (float& x : p) x = u(rng);
      Centroids c = train(p, 9, 50, *kernels);
      REQUIRE(c.k() == n);
      REQUIRE(c.padded_k() % quiver::kPanelWidth == 0);
      REQUIRE(c.padded_k() >= n);
      // Every point is its own cluster, and its centroid is the point.
      std::vector<float> scores(c.padded_k());
      std::set<uint32_t> used;
      for (size_t i = 0; i < n; ++i) {
        uint32_t j = c.nearest(p.data() + i * 9, scores.data(), *kernels);
        REQUIRE(l2sq(c.row(j), p.data() + i * 9, 9) < 1e-10);
        used.insert(j);
      }
      REQUIRE(used.size() == n);
    }
    // k = 0 still gives one centroid.
    std::vector<float> p(4 * 3, 1.0f);
    REQUIRE(train(p, 3, 0, *kernels).k() == 1);
  }
}

TEST_CASE("kmeans: spherical centroids are unit length", "[kmeans]") {
  std::mt19937 rng(606);
  Blobs b = make_blobs(rng, 10, 50, 24, 1.0f, 0.4f);
  normalize_rows(&b.points, b.dim);
  for (const quiver::Kernels* kernels : kernel_tables()) {
    INFO("kernels: " << kernels->name);
    for (int iterations : {0, 1, 20}) {
      Centroids c = train(b.points, b.dim, 16, *kernels, true, KMeansOptions().seed, iterations);
      REQUIRE(c.k() == 16);
      for (size_t j = 0; j < c.k(); ++j) {
        double n = std::sqrt(l2sq(c.row(j), std::vector<float>(b.dim, 0.0f).data(), b.dim));
        INFO("iterations " << iterations << " centroid " << j << " norm " << n);
        REQUIRE(std::fabs(n - 1.0) < 1e-5);
      }
    }
    // Plain k-means on the same unit vectors gives centroids inside the ball.
    Centroids plain = train(b.points, b.dim, 16, *kernels);
    double shortest = 1;
    for (size_t j = 0; j < plain.k(); ++j)
      shortest = std::min(shortest, std::sqrt(l2sq(plain.row(j), std::vector<float>(b.dim, 0.0f).data(), b.dim)));
    REQUIRE(shortest < 0.99);
  }
}

TEST_CASE("kmeans: Centroids::nearest and ranked agree with brute force", "[kmeans]") {
  std::mt19937 rng(707);
  std::normal_distribution<float> g(0, 1);
  for (const quiver::Kernels* kernels : kernel_tables()) {
    INFO("kernels: " << kernels->name);
    for (size_t k : {size_t{1}, size_t{5}, size_t{16}, size_t{17}, size_t{100}}) {
      for (size_t dim : {size_t{1}, size_t{3}, size_t{33}}) {
        INFO("k " << k << " dim " << dim);
        std::vector<float> rows(k * dim);
        for (float& x : rows) x = g(rng);
        Centroids c(k, dim, rows);
        REQUIRE(c.k() == k);
        REQUIRE(c.dim() == dim);
        REQUIRE(c.padded_k() == (k + 15) / 16 * 16);
        REQUIRE(c.rows() == rows);
        std::vector<float> scores(c.padded_k());
        for (int q = 0; q < 40; ++q) {
          std::vector<float> x(dim);
          for (float& v : x) v = g(rng);
          // Brute force in double, nearest first, ties by id.
          std::vector<double> d(k);
          for (size_t j = 0; j < k; ++j) d[j] = l2sq(x.data(), c.row(j), dim);
          std::vector<uint32_t> truth(k);
          std::iota(truth.begin(), truth.end(), 0u);
          std::stable_sort(truth.begin(), truth.end(), [&](uint32_t a, uint32_t b) { return d[a] < d[b]; });
          // float32 scores may order near-ties differently: only then may the
          // ids differ, and never by more than rounding.
          auto same_rank = [&](uint32_t got, uint32_t want) {
            return got == want || std::fabs(d[got] - d[want]) <= 1e-4 * (1 + d[want]);
          };
          uint32_t nearest = c.nearest(x.data(), scores.data(), *kernels);
          REQUIRE(same_rank(nearest, truth[0]));
          // The scores are x.c - |c|^2/2, ranking like -|x-c|^2/2.
          double xx = l2sq(x.data(), std::vector<float>(dim, 0.0f).data(), dim);
          for (size_t j = 0; j < k; ++j) REQUIRE(std::fabs(scores[j] - (xx - d[j]) / 2) <= 1e-3 * (1 + xx + d[j]));
          for (size_t sorted : {size_t{0}, size_t{1}, size_t{3}, k}) {
            std::vector<uint32_t> ranked = c.ranked(x.data(), sorted, *kernels);
            REQUIRE(ranked.size() == k);
            std::vector<uint32_t> perm = ranked;
            std::sort(perm.begin(), perm.end());
            for (size_t j = 0; j < k; ++j) REQUIRE(perm[j] == j);  // a permutation of the ids
            for (size_t j = 0; j < std::min(sorted, k); ++j) REQUIRE(same_rank(ranked[j], truth[j]));
            if (sorted >= 1) REQUIRE(ranked[0] == nearest);
            // The sorted prefix holds the `sorted` nearest: nothing after it
            // is nearer than its last.
            if (sorted >= 1 && sorted < k)
              for (size_t j = sorted; j < k; ++j) REQUIRE(d[ranked[j]] >= d[ranked[sorted - 1]] - 1e-4 * (1 + d[ranked[j]]));
          }
        }
      }
    }
  }
}

TEST_CASE("kmeans: ties go to the lower centroid id", "[kmeans]") {
  // Centroids 0..5: e0, e1, e0 again, e2, e1 again, -e0 in 3 dimensions.
  std::vector<float> rows = {1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, -1, 0, 0};
  Centroids c(6, 3, rows);
  for (const quiver::Kernels* kernels : kernel_tables()) {
    INFO("kernels: " << kernels->name);
    std::vector<float> scores(c.padded_k());
    // The origin is equally far from all six.
    std::vector<float> origin = {0, 0, 0};
    REQUIRE(c.nearest(origin.data(), scores.data(), *kernels) == 0);
    std::vector<uint32_t> all = c.ranked(origin.data(), 6, *kernels);
    REQUIRE(all == std::vector<uint32_t>{0, 1, 2, 3, 4, 5});
    // Nearest to e1: the two copies of e1, lower id first; then e0, e0 again
    // and e2, all at the same distance; -e0 last.
    std::vector<float> y = {0, 2, 0};
    REQUIRE(c.nearest(y.data(), scores.data(), *kernels) == 1);
    REQUIRE(c.ranked(y.data(), 6, *kernels) == std::vector<uint32_t>{1, 4, 0, 2, 3, 5});
    // Only two sorted: the prefix is right, the rest is the other four.
    std::vector<uint32_t> two = c.ranked(y.data(), 2, *kernels);
    REQUIRE(std::vector<uint32_t>(two.begin(), two.begin() + 2) == std::vector<uint32_t>{1, 4});
    REQUIRE(std::set<uint32_t>(two.begin() + 2, two.end()) == std::set<uint32_t>{0, 2, 3, 5});
    // Nearest to -e0.
    std::vector<float> z = {-3, 0.5f, 0.5f};
    REQUIRE(c.ranked(z.data(), 1, *kernels)[0] == 5);
    // More sorted than centroids is fine.
    REQUIRE(c.ranked(y.data(), 100, *kernels) == std::vector<uint32_t>{1, 4, 0, 2, 3, 5});
  }
}

TEST_CASE("kmeans: Rng is a fixed splitmix64 sequence", "[kmeans]") {
  // Training is deterministic across platforms only if the generator is.
  quiver::Rng a(0), b(0);
  REQUIRE(a.next() == 0xe220a8397b1dcdafull);  // splitmix64(0), first output
  b.next();
  for (int i = 0; i < 100; ++i) REQUIRE(a.next() == b.next());
  quiver::Rng r(42);
  for (int i = 0; i < 1000; ++i) {
    double u = r.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    REQUIRE(r.below(7) < 7);
  }
  REQUIRE(r.below(0) == 0);
}
