#include "quantized_scan.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace quiver {

CodeScorer::CodeScorer(const Quantizer& q, const VectorView& query, const Kernels& kernels)
    : q_(q), kernels_(kernels), rounding_((q.dims + 16) * 0x1p-23) {
  std::vector<float> x(q.dims), z(q.dims);
  widen_to_float(query, x.data());
  direction_ = q.to_coding_space(x.data(), z.data());
  if (q.kind == Quantization::Bit) {
    bits_.assign(q.code_words(), 0);
    encode_bits(q, x.data(), bits_.data());
    return;
  }
  // Weights as large as int32 sums allow: |c . w| <= 127 * |w|max * 2 pairs.
  size_t pairs = q.code_pairs();
  double limit = std::min(32767.0, std::floor(2147483647.0 / (127.0 * 2 * static_cast<double>(pairs))));
  std::vector<double> wide(2 * pairs, 0.0);
  double largest = 0, zz = 0;
  for (uint32_t t = 0; t < q.dims; ++t) {
    wide[t] = double{z[t]} * q.scale[t];
    largest = std::max(largest, std::fabs(wide[t]));
    c0_ += double{q.offset[t]} * z[t];
    zz += double{z[t]} * z[t];
  }
  znorm_ = std::sqrt(zz);
  alpha_ = largest > 0 ? largest / limit : 0;
  pairs_.assign(pairs, 0);
  double ee = 0;
  for (size_t t = 0; t < 2 * pairs; ++t) {
    double w = alpha_ > 0 ? std::min(limit, std::max(-limit, std::nearbyint(wide[t] / alpha_))) : 0;
    double e = wide[t] - alpha_ * w;
    ee += e * e;
    uint32_t bits = static_cast<uint16_t>(static_cast<int16_t>(w));
    pairs_[t / 2] |= t % 2 ? bits << 16 : bits;
  }
  enorm_ = std::sqrt(ee) * (1 + 1e-12);
  znorm_ *= 1 + 1e-12;
}

void CodeScorer::score(const CodeBlock& codes, std::vector<int32_t>* scratch, double* out) const {
  size_t n = static_cast<size_t>(codes.count);
  size_t padded = (n + kPanelWidth - 1) / kPanelWidth * kPanelWidth;
  if (scratch->size() < padded) scratch->resize(padded);
  int32_t* sums = scratch->data();
  if (q_.kind == Quantization::Bit) {
    kernels_.bit_hamming_rows(bits_.data(), codes.bits.data(), q_.code_words(), n,
                              reinterpret_cast<uint32_t*>(sums));
    for (size_t j = 0; j < n; ++j) out[j] = static_cast<uint32_t>(sums[j]);
  } else {
    kernels_.i8_code_panel(pairs_.data(), codes.panel.data(), q_.code_pairs(), padded, sums);
    switch (q_.metric) {
      case Metric::Cosine:
        for (size_t j = 0; j < n; ++j) out[j] = 1 - (c0_ + alpha_ * sums[j]);
        break;
      case Metric::Dot:
        for (size_t j = 0; j < n; ++j) out[j] = -(c0_ + alpha_ * sums[j]);
        break;
      default: {
        double zz = znorm_ * znorm_;
        for (size_t j = 0; j < n; ++j)
          out[j] = double{codes.norms[j]} * codes.norms[j] + zz - 2 * (c0_ + alpha_ * sums[j]);
      }
    }
  }
  if (!codes.directionless.empty())
    for (size_t j = 0; j < n; ++j)
      if (codes.directionless[j] || !direction_) out[j] = NAN;
}

double CodeScorer::error(const CodeBlock& codes, size_t j) const {
  if (q_.kind != Quantization::Int8) return HUGE_VAL;
  double d = znorm_ * codes.residuals[j] + enorm_ * codes.code_norms[j];
  switch (q_.metric) {
    case Metric::Cosine: return d + rounding_;
    case Metric::Dot: return d + rounding_ * znorm_ * codes.norms[j];
    default: {
      double m = znorm_ + codes.norms[j];
      return 2 * d + rounding_ * m * m;
    }
  }
}

namespace {

size_t candidates(size_t limit, size_t rescore) {
  if (rescore == 0) return limit;
  return limit > std::numeric_limits<size_t>::max() / rescore ? std::numeric_limits<size_t>::max() : limit * rescore;
}

}  // namespace

RescoreTopK::RescoreTopK(size_t limit, size_t rescore, double bound, bool bound_inclusive, const Hit* after)
    : limit_(limit),
      exact_(rescore == 0),
      bound_(bound),
      bound_inclusive_(bound_inclusive),
      bounded_(bound != HUGE_VAL),
      has_after_(after != nullptr),
      after_(after ? *after : Hit{0, 0}),
      top_(candidates(limit, rescore), rescore == 0 ? bound : HUGE_VAL, rescore == 0 ? bound_inclusive : false,
           rescore == 0 ? after : nullptr) {}

bool RescoreTopK::passes(const Hit& exact) const {
  if (!(exact.score < bound_ || (bound_inclusive_ && exact.score == bound_))) return false;
  return !has_after_ || after_ < exact;
}

bool RescoreTopK::wants(double code_score, double error, int64_t rowid) const {
  if (std::isnan(code_score)) return false;  // no direction: never ranks
  double lowest = code_score - error;
  if (bounded_ && !(lowest < bound_ || (bound_inclusive_ && lowest == bound_))) return false;
  if (has_after_ && code_score + error < after_.score) return false;
  return exact_ ? top_.admits(lowest) : top_.admits(Hit{code_score, rowid});
}

void RescoreTopK::offer(const Hit& exact) {
  if (!passes(exact)) return;
  if (exact_) return top_.offer(exact);
  rescored_.push_back(exact);
}

void RescoreTopK::offer_candidate(double code_score, const Candidate& c) {
  top_.offer(Hit{code_score, c.rowid});
  places_[c.rowid] = c;
}

std::vector<Candidate> RescoreTopK::take_candidates() {
  std::vector<Candidate> out;
  if (exact_) return out;
  for (const Hit& h : top_.take_sorted()) out.push_back(places_.at(h.rowid));
  places_.clear();
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    return a.chunk < b.chunk || (a.chunk == b.chunk && a.slot < b.slot);
  });
  return out;
}

size_t RescoreTopK::size() const { return std::min(limit_, exact_ ? top_.size() : top_.size() + rescored_.size()); }

std::vector<Hit> RescoreTopK::take_sorted() {
  if (exact_) return top_.take_sorted();
  std::vector<Hit> hits;
  hits.swap(rescored_);
  std::sort(hits.begin(), hits.end());
  if (hits.size() > limit_) hits.resize(limit_);
  return hits;
}

void scan_quantized_block(const CodeScorer& codes_scorer, const Scorer& scorer, const CodeBlock& codes,
                          const Block& block, size_t chunk, const SlotMask* mask, RescoreScratch* scratch,
                          RescoreTopK* out) {
  size_t n = static_cast<size_t>(codes.count);
  if (scratch->code_scores.size() < n) scratch->code_scores.resize(n);
  double* code_scores = scratch->code_scores.data();
  codes_scorer.score(codes, &scratch->sums, code_scores);
  // Exact mode: exact scores a panel block at a time, when a row first
  // needs one.
  double* exact = out->exact() ? scratch->exact.reserve(block) : nullptr;
  size_t scored = SIZE_MAX;
  bool errors = out->uses_errors();
  double threshold = out->threshold();
  for (size_t slot = 0; slot < n; ++slot) {
    if (mask) {
      uint64_t word = (*mask)[slot / 64];
      if (!word) {  // skip 64 filtered-out slots at once
        slot |= 63;
        continue;
      }
      if (!((word >> (slot % 64)) & 1)) continue;
    }
    double error = errors ? codes_scorer.error(codes, slot) : 0;
    if (!(code_scores[slot] - error <= threshold)) continue;  // NaN never passes
    if (!out->wants(code_scores[slot], error, block.rowids[slot])) continue;
    if (!exact) {
      out->offer_candidate(code_scores[slot], Candidate{chunk, static_cast<uint32_t>(slot), block.rowids[slot]});
    } else {
      size_t first = slot / kPanelWidth * kPanelWidth;
      if (first != scored) {
        scorer.score_rows(block, first, std::min(kPanelWidth, n - first), scratch->exact.panel.data(), exact + first);
        scored = first;
      }
      out->offer(Hit{exact[slot], block.rowids[slot]});
    }
    threshold = out->threshold();
  }
}

void rescore_candidates(const Scorer& scorer, const Block& block, const Candidate* first, const Candidate* last,
                        RescoreScratch* scratch, RescoreTopK* out) {
  double* exact = scratch->exact.reserve(block);
  size_t n = static_cast<size_t>(block.count), scored = SIZE_MAX;
  for (const Candidate* c = first; c != last; ++c) {
    size_t at = c->slot / kPanelWidth * kPanelWidth;
    if (at != scored) {
      scorer.score_rows(block, at, std::min(kPanelWidth, n - at), scratch->exact.panel.data(), exact + at);
      scored = at;
    }
    out->offer(Hit{exact[c->slot], block.rowids[c->slot]});
  }
}

}  // namespace quiver
