#include "scan.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

#include "half_block.h"

namespace quiver {

double query_norm2(const VectorView& query) {
  double n = 0;
  for (uint32_t t = 0; t < query.dims; ++t) {
    double x = query.element(t);
    n += x * x;
  }
  return n;
}

Scorer::Scorer(Metric metric, const VectorView& query, const Kernels& k, double norm2)
    : metric_(metric), type_(query.type), kernels_(k), dims_(query.dims), bytes_(query.bytes()) {
  query_.assign((bytes_ + 3) / 4, 0.0f);
  if (is_half(type_)) {  // scored as float32, against the block's 16-bit panel
    query_.resize(dims_);
    widen_to_float(query, query_.data());
  } else {
    std::memcpy(query_.data(), query.data, bytes_);
  }
  if ((type_ != ElementType::Float32 && !is_half(type_)) || metric == Metric::L2) return;
  float max_abs = 0;
  for (float x : query_) max_abs = std::max(max_abs, std::fabs(x));
  int e = safe_exponent(max_abs);
  if (e != 0) {
    for (float& x : query_) x = std::ldexp(x, -e);
    scale_ = std::ldexp(1.0, e);
  }
  if (metric == Metric::Cosine) {
    // The caller's sum is the same sum when the query was not scaled.
    double n = 0;
    if (norm2 >= 0 && e == 0) {
      n = norm2;
    } else {
      for (float x : query_) n += double{x} * x;
    }
    inv_norm_ = n > 0 ? static_cast<float>(1 / std::sqrt(n)) : 0.0f;
  }
}

double Scorer::exact_l2sq(const Block& block, size_t row) const {
  double s = 0;
  for (size_t t = 0; t < dims_; ++t) {
    double d = double{panel_element(type_, block, dims_, row, t)} - query_[t];
    s += d * d;
  }
  return s;
}

void Scorer::score_rows(const Block& block, size_t first, size_t n, float* scratch, double* out) const {
  const void* q = query_.data();
  if (type_ == ElementType::Float32 || is_half(type_)) {
    const float* x = query_.data();
    if (metric_ == Metric::L2) {
      score_panel(kernels_, type_, true, x, block, dims_, first, n, scratch);
      // A sum of squares overflowed, or is so small that squares below
      // float32's range may have been lost: recompute it in double.
      for (size_t j = 0; j < n; ++j)
        out[j] = scratch[j] >= 0x1p-100f && scratch[j] <= FLT_MAX ? scratch[j] : exact_l2sq(block, first + j);
      return;
    }
    score_panel(kernels_, type_, false, x, block, dims_, first, n, scratch);
    if (metric_ == Metric::Dot) {
      for (size_t j = 0; j < n; ++j) out[j] = -(scale_ * block.scales[first + j]) * scratch[j];
    } else {
      for (size_t j = 0; j < n; ++j) {
        float similarity = scratch[j] * inv_norm_ * block.inv_norms[first + j];
        similarity = std::min(1.0f, std::max(-1.0f, similarity));
        // A zero stored vector has no direction: it never ranks.
        out[j] = block.inv_norms[first + j] > 0 ? 1.0f - similarity : NAN;
      }
    }
    return;
  }
  const unsigned char* rows = block.rows.data() + first * bytes_;
  DistanceKernel kernel;
  double sign = 1;
  size_t length = type_ == ElementType::Bit ? bytes_ : dims_;
  switch (metric_) {
    case Metric::Cosine: kernel = kernels_.i8_cosine; break;
    case Metric::Dot: kernel = kernels_.i8_dot; sign = -1; break;
    case Metric::L2: kernel = kernels_.i8_l2sq; break;
    default: kernel = kernels_.bit_hamming; break;
  }
  for (size_t j = 0; j < n; ++j) out[j] = sign * kernel(q, rows + j * bytes_, length);
}

double score_to_distance(Metric metric, double score) { return metric == Metric::L2 ? std::sqrt(score) : score; }

double score_bound(Metric metric, double bound, bool inclusive) {
  auto passes = [&](double score) {
    double d = score_to_distance(metric, score);
    return d < bound || (inclusive && d == bound);
  };
  if (metric != Metric::L2) {
    // The score is the distance: step below a strict bound.
    return inclusive ? bound : std::nextafter(bound, -HUGE_VAL);
  }
  if (bound < 0 || !passes(0)) return -1;
  // Every finite score passes an infinite bound; the search below would
  // step forever at the top.
  if (std::isinf(bound)) return inclusive ? HUGE_VAL : std::numeric_limits<double>::max();
  // sqrt rounds, so bound * bound can be a few units in the last place off
  // the largest passing score: settle it exactly.
  double s = std::min(bound * bound, std::numeric_limits<double>::max());
  while (s > 0 && !passes(s)) s = std::nextafter(s, 0.0);
  while (passes(std::nextafter(s, HUGE_VAL))) s = std::nextafter(s, HUGE_VAL);
  return s;
}

TopK::TopK(size_t limit, double bound, bool bound_inclusive, const Hit* after)
    : limit_(limit), bound_(bound), bound_inclusive_(bound_inclusive), has_after_(after != nullptr),
      after_(after ? *after : Hit{0, 0}), worst_(bound), admit_equal_(bound_inclusive) {
  heap_.reserve(limit < 4096 ? limit : 4096);
  if (limit == 0) {  // keeps nothing: admits nothing
    worst_ = -std::numeric_limits<double>::infinity();
    admit_equal_ = false;
  }
}

void TopK::offer(const Hit& hit) {
  // NaN scores never rank.
  if (!(hit.score < bound_ || (bound_inclusive_ && hit.score == bound_))) return;
  if (has_after_ && !(after_ < hit)) return;
  if (limit_ == 0) return;
  if (heap_.size() < limit_) {
    heap_.push_back(hit);
    std::push_heap(heap_.begin(), heap_.end());
  } else if (hit < heap_.front()) {
    std::pop_heap(heap_.begin(), heap_.end());
    heap_.back() = hit;
    std::push_heap(heap_.begin(), heap_.end());
  } else {
    return;
  }
  if (heap_.size() == limit_) {
    // A full heap admits only hits that beat its worst; equal scores may
    // still win on rowid.
    worst_ = heap_.front().score;
    admit_equal_ = true;
  }
}

std::vector<Hit> TopK::take_sorted() {
  std::sort_heap(heap_.begin(), heap_.end());
  std::vector<Hit> out;
  out.swap(heap_);
  return out;
}

double* ScanScratch::reserve(const Block& block) {
  size_t padded = (static_cast<size_t>(block.count) + kPanelWidth - 1) / kPanelWidth * kPanelWidth;
  if (panel.size() < padded) panel.resize(padded);
  if (scores.size() < padded) scores.resize(padded);
  return scores.data();
}

void scan_block(const Scorer& scorer, const Block& block, const SlotMask* mask, ScanScratch* scratch, TopK* out) {
  double* s = scratch->reserve(block);
  scorer.score_block(block, scratch->panel.data(), s);
  for (int64_t slot = 0; slot < block.count; ++slot) {
    if (mask) {
      uint64_t word = (*mask)[static_cast<size_t>(slot) / 64];
      if (!word) {  // skip 64 filtered-out slots at once
        slot |= 63;
        continue;
      }
      if (!((word >> (slot % 64)) & 1)) continue;
    }
    if (out->admits(s[slot])) out->offer(Hit{s[slot], block.rowids[static_cast<size_t>(slot)]});
  }
}

}  // namespace quiver
