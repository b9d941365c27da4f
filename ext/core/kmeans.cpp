#include "kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace quiver {

Centroids::Centroids(size_t k, size_t dim, std::vector<float> rows) : k_(k), dim_(dim), rows_(std::move(rows)) {
  panel_k_ = (k_ + kPanelWidth - 1) / kPanelWidth * kPanelWidth;
  panel_.assign(panel_k_ * dim_, 0.0f);
  half_norms_.assign(panel_k_, std::numeric_limits<float>::infinity());
  for (size_t j = 0; j < k_; ++j) {
    double norm = 0;
    for (size_t t = 0; t < dim_; ++t) {
      float v = rows_[j * dim_ + t];
      panel_[(j / kPanelWidth * dim_ + t) * kPanelWidth + j % kPanelWidth] = v;
      norm += double{v} * v;
    }
    half_norms_[j] = static_cast<float>(norm / 2);
  }
}

void Centroids::score(const float* xs, size_t points, float* scores, const Kernels& kernels) const {
  kernels.f32_dot_panel(xs, points, panel_.data(), dim_, panel_k_, scores);
  for (size_t p = 0; p < points; ++p)
    for (size_t j = 0; j < panel_k_; ++j) scores[p * panel_k_ + j] -= half_norms_[j];
}

namespace {

// The first largest of k scores: the maximum in kLanes independent runs
// (one running maximum, with its index, would be a chain of dependent,
// mispredicted compares as long as k), then its first position in a second
// pass whose branch is always taken the same way until the end.
uint32_t first_largest(const float* scores, size_t k) {
  constexpr size_t kLanes = 16;
  float lane[kLanes];
  for (float& m : lane) m = -std::numeric_limits<float>::infinity();
  size_t j = 0;
  for (; j + kLanes <= k; j += kLanes)
    for (size_t l = 0; l < kLanes; ++l) lane[l] = scores[j + l] > lane[l] ? scores[j + l] : lane[l];
  float top = -std::numeric_limits<float>::infinity();
  for (; j < k; ++j) top = scores[j] > top ? scores[j] : top;
  for (float m : lane) top = m > top ? m : top;
  for (j = 0; j < k; ++j)
    if (scores[j] == top) return static_cast<uint32_t>(j);
  return 0;  // every score NaN, as max_element would say
}

}  // namespace

uint32_t Centroids::nearest(const float* x, float* scores, const Kernels& kernels) const {
  score(x, 1, scores, kernels);
  return first_largest(scores, k_);
}

void Centroids::assign(const float* xs, size_t n, uint32_t* nearest, float* best, const Kernels& kernels) const {
  // Batches small enough for their scores to stay in cache.
  constexpr size_t kBatch = 16;
  std::vector<float> scores(kBatch * panel_k_);
  for (size_t first = 0; first < n; first += kBatch) {
    size_t points = std::min(kBatch, n - first);
    score(xs + first * dim_, points, scores.data(), kernels);
    for (size_t p = 0; p < points; ++p) {
      const float* row = scores.data() + p * panel_k_;
      nearest[first + p] = first_largest(row, k_);
      if (best) best[first + p] = row[nearest[first + p]];
    }
  }
}

std::vector<uint32_t> Centroids::ranked(const float* x, size_t sorted, const Kernels& kernels) const {
  std::vector<float> scores(panel_k_);
  score(x, 1, scores.data(), kernels);
  std::vector<uint32_t> order(k_);
  std::iota(order.begin(), order.end(), 0u);
  auto nearer = [&](uint32_t a, uint32_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); };
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(std::min(sorted, k_)), order.end(), nearer);
  return order;
}

namespace {

constexpr size_t kSeedPointsPerCluster = 16;

void normalize(float* v, size_t dim) {
  double n = 0;
  for (size_t t = 0; t < dim; ++t) n += double{v[t]} * v[t];
  if (n > 0) {
    double inv = 1 / std::sqrt(n);
    for (size_t t = 0; t < dim; ++t) v[t] = static_cast<float>(v[t] * inv);
  }
}

// k-means++: each next seed is a point drawn with probability proportional
// to its squared distance from the nearest seed so far.
std::vector<float> seed_plus_plus(const float* points, size_t n, size_t dim, size_t k, Rng& rng,
                                  const Kernels& kernels) {
  std::vector<float> seeds(k * dim);
  std::vector<double> d2(n, std::numeric_limits<double>::infinity());
  size_t pick = rng.below(n);
  for (size_t c = 0; c < k; ++c) {
    std::copy(points + pick * dim, points + (pick + 1) * dim, seeds.begin() + c * dim);
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
      double d = kernels.f32_l2sq(points + i * dim, seeds.data() + c * dim, dim);
      if (d < d2[i]) d2[i] = d;
      total += d2[i];
    }
    if (c + 1 == k) break;
    if (total <= 0) {  // every point is a seed already: take any
      pick = rng.below(n);
      continue;
    }
    double target = rng.uniform() * total;
    pick = n - 1;
    for (size_t i = 0; i < n; ++i) {
      target -= d2[i];
      if (target < 0) {
        pick = i;
        break;
      }
    }
  }
  return seeds;
}

}  // namespace

Centroids train_kmeans(const float* points, size_t n, size_t dim, const KMeansOptions& options,
                       const Kernels& kernels) {
  size_t k = std::max<size_t>(1, std::min(options.k, n));
  Rng rng(options.seed);
  // Seeds come from the first points only (callers pass them in random
  // order): k-means++ costs k passes over what it seeds from, and Lloyd's
  // iterations refine the seeds anyway.
  size_t seed_from = std::min(n, std::max(k, k * kSeedPointsPerCluster));
  std::vector<float> rows = seed_plus_plus(points, seed_from, dim, k, rng, kernels);
  if (options.spherical)
    for (size_t c = 0; c < k; ++c) normalize(rows.data() + c * dim, dim);

  std::vector<uint32_t> assignment(n, UINT32_MAX), nearest(n);
  std::vector<double> sums(k * dim);
  std::vector<size_t> sizes(k);
  for (int iteration = 0; iteration < options.iterations; ++iteration) {
    Centroids current(k, dim, rows);
    current.assign(points, n, nearest.data(), nullptr, kernels);
    size_t changed = 0;
    for (size_t i = 0; i < n; ++i) changed += nearest[i] != assignment[i];
    assignment.swap(nearest);
    if (changed == 0) break;
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(sizes.begin(), sizes.end(), 0);
    for (size_t i = 0; i < n; ++i) {
      double* s = sums.data() + assignment[i] * dim;
      const float* p = points + i * dim;
      for (size_t t = 0; t < dim; ++t) s[t] += p[t];
      sizes[assignment[i]]++;
    }
    for (size_t c = 0; c < k; ++c) {
      if (!sizes[c]) continue;
      for (size_t t = 0; t < dim; ++t) rows[c * dim + t] = static_cast<float>(sums[c * dim + t] / sizes[c]);
    }
    // Empty clusters: split the largest cluster's centroid in two, nudged
    // apart (Faiss's remedy), so no list stays empty.
    for (size_t c = 0; c < k; ++c) {
      if (sizes[c]) continue;
      size_t big = static_cast<size_t>(std::max_element(sizes.begin(), sizes.end()) - sizes.begin());
      if (sizes[big] < 2) break;
      for (size_t t = 0; t < dim; ++t) {
        float v = rows[big * dim + t];
        float eps = (rng.next() & 1 ? 1 : -1) * 1e-3f * (std::fabs(v) + 1e-6f);
        rows[c * dim + t] = v + eps;
        rows[big * dim + t] = v - eps;
      }
      sizes[c] = sizes[big] / 2;
      sizes[big] -= sizes[c];
    }
    if (options.spherical)
      for (size_t c = 0; c < k; ++c) normalize(rows.data() + c * dim, dim);
  }
  return Centroids(k, dim, std::move(rows));
}

}  // namespace quiver
