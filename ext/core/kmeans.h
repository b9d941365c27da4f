// k-means for the IVF coarse quantizer (no SQLite).
//
// Points are float32 rows. Seeding is k-means++ (D^2 sampling, over the
// first 16 k points) from a fixed seed, so training is deterministic for
// given points; Lloyd iterations stop early once no assignment changes; a cluster left empty takes half of the
// largest one. Spherical k-means (for cosine) keeps centroids unit-length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "kernels.h"

namespace quiver {

class Centroids {
 public:
  Centroids() = default;
  Centroids(size_t k, size_t dim, std::vector<float> rows);

  size_t k() const { return k_; }
  size_t dim() const { return dim_; }
  const float* row(size_t i) const { return rows_.data() + i * dim_; }
  const std::vector<float>& rows() const { return rows_; }

  // Scores of `points` rows of xs against every centroid: x.c - |c|^2/2,
  // largest = nearest in L2 (and, for unit vectors, in cosine); row p at
  // scores + p * padded_k(). Ties go to the lower centroid id.
  void score(const float* xs, size_t points, float* scores, const Kernels& kernels) const;
  uint32_t nearest(const float* x, float* scores, const Kernels& kernels) const;
  // The nearest centroid of each of n rows, and its score when `best` is not
  // null: many rows at once, several per pass over the centroids.
  void assign(const float* xs, size_t n, uint32_t* nearest, float* best, const Kernels& kernels) const;
  // Centroid ids from nearest to farthest; only the first `sorted` are
  // guaranteed in order (the rest follow, unordered), since a query usually
  // needs only its nearest few lists.
  std::vector<uint32_t> ranked(const float* x, size_t sorted, const Kernels& kernels) const;
  size_t padded_k() const { return panel_k_; }

 private:
  size_t k_ = 0, dim_ = 0, panel_k_ = 0;
  std::vector<float> rows_;        // k x dim
  std::vector<float> panel_;       // the same, as a dot-product panel (kernels.h)
  std::vector<float> half_norms_;  // |c|^2 / 2, padded with +inf
};

struct KMeansOptions {
  size_t k = 1;
  int iterations = 20;
  uint64_t seed = 0x5157495645520001ull;
  bool spherical = false;
};

// Trains on n points (n >= 1; k is reduced to n if larger), given in random
// order: seeding looks at the first 16 k of them.
Centroids train_kmeans(const float* points, size_t n, size_t dim, const KMeansOptions& options,
                       const Kernels& kernels);

// A small deterministic generator (splitmix64), the same on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }

 private:
  uint64_t state_;
};

}  // namespace quiver
