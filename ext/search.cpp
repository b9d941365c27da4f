#include "search.h"

#include <algorithm>
#include <cmath>

namespace quiver {

Scorer::Scorer(Metric metric, const VectorView& query, const Kernels& k)
    : metric_(metric), query_(query.data), n_(query.type == ElementType::Bit ? query.bytes() : query.dims) {
  bool f32 = query.type == ElementType::Float32;
  switch (metric) {
    case Metric::Cosine: kernel_ = f32 ? k.f32_cosine : k.i8_cosine; break;
    case Metric::Dot:
      kernel_ = f32 ? k.f32_dot : k.i8_dot;
      sign_ = -1;
      break;
    case Metric::L2: kernel_ = f32 ? k.f32_l2sq : k.i8_l2sq; break;
    case Metric::Hamming: kernel_ = k.bit_hamming; break;
  }
}

double Scorer::distance(double score) const { return metric_ == Metric::L2 ? std::sqrt(score) : score; }

double Scorer::score_bound(double distance) const {
  if (metric_ != Metric::L2) return distance;
  return distance < 0 ? -1 : distance * distance;
}

TopK::TopK(size_t limit, double bound, bool bound_inclusive, const Hit* after)
    : limit_(limit), bound_(bound), bound_inclusive_(bound_inclusive), has_after_(after != nullptr),
      after_(after ? *after : Hit{0, 0}), worst_(bound), admit_equal_(bound_inclusive) {
  heap_.reserve(limit < 4096 ? limit : 4096);
}

void TopK::offer(const Hit& hit) {
  // NaN scores (a zero vector under cosine) never rank.
  if (!(hit.score < bound_ || (bound_inclusive_ && hit.score == bound_))) return;
  if (has_after_ && !(after_ < hit)) return;
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

void scan_chunk(const Scorer& scorer, const unsigned char* vectors, size_t vector_bytes, const int64_t* rowids,
                int64_t count, const SlotMask* mask, TopK* out) {
  for (int64_t slot = 0; slot < count; ++slot) {
    if (mask) {
      uint64_t word = (*mask)[static_cast<size_t>(slot) / 64];
      if (!word) {  // skip 64 filtered-out slots at once
        slot |= 63;
        continue;
      }
      if (!((word >> (slot % 64)) & 1)) continue;
    }
    double score = scorer.score(vectors + static_cast<size_t>(slot) * vector_bytes);
    if (out->admits(score)) out->offer(Hit{score, rowids[slot]});
  }
}

}  // namespace quiver
