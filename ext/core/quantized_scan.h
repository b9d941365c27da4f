// The two-stage scan of a quantized table (no SQLite): a first pass scores
// every row from its code (code_block.h), a second scores exactly, from the
// full vectors (scan.h's Scorer), the rows the first pass keeps. Reported
// scores are always the exact ones, the same a plain scan reports.
//
//   k queries (rescore R >= 1): the candidates are the R * limit rows of best
//       code score (ties by rowid); the answer is the best `limit` of them by
//       exact score. Approximate: a true neighbour whose code ranks it below
//       R * limit others is missed (bench/quantize.cpp measures how often).
//   exact (R = 0; streams, and every query whose rows must all be found): a
//       row is scored exactly unless its code proves it cannot be among the
//       `limit` best found so far, or cannot pass the bound. The answer is
//       the plain scan's.
//
// Bounds. For an int8 code c of a row y (coding space, quantize.h) and a
// query z, the code score uses y^ (the decoded code) and integer query
// weights w ~ (z_t scale_t) / alpha:
//     y^ . z = C0 + alpha (c . w) + c . e,   e_t = z_t scale_t - alpha w_t
// so the code's estimate C0 + alpha (c . w) of the inner product y . z is
// off by at most
//     D = |z| |y - y^| + |e| |c|          (Cauchy-Schwarz, twice)
// The score is 1 - y.z (cosine, unit vectors), -y.z (dot) or |y|^2 + |z|^2
// - 2 y.z (L2), so it is off by at most m D, m = 2 for L2 and 1 otherwise,
// plus the float32 rounding of the exact score, bounded by (dims + 16)
// 2^-23 M, M = 1 (cosine), |z| |y| (dot) or (|z| + |y|)^2 (L2). A row whose
// code score minus that bound already fails a distance bound is never
// rescored, and that is the only way a bounded query skips a row: `distance
// < x` never misses one. Bit codes have no such bound: bounded and exact
// queries on them score every row exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "code_block.h"
#include "kernels.h"
#include "quantize.h"
#include "scan.h"

namespace quiver {

// Scores codes against one query.
class CodeScorer {
 public:
  // The query has the table's dimensions, in any float type.
  CodeScorer(const Quantizer& q, const VectorView& query, const Kernels& kernels);
  // Code scores of the block's rows into out (codes.count entries; NaN for
  // a row without direction); scratch is reused across blocks.
  void score(const CodeBlock& codes, std::vector<int32_t>* scratch, double* out) const;
  // Whether error() bounds the code scores (int8 codes).
  bool bounded() const { return q_.kind == Quantization::Int8; }
  // How far row j's exact score can be from its code score (the header's
  // bound); infinite for bit codes.
  double error(const CodeBlock& codes, size_t j) const;

 private:
  const Quantizer& q_;
  const Kernels& kernels_;
  bool direction_ = true;           // false: a zero query under cosine
  std::vector<uint32_t> pairs_;     // int8: the query weights, by pairs
  std::vector<uint64_t> bits_;      // bit: the query's code
  double alpha_ = 0, c0_ = 0;       // int8: y^.z ~ c0 + alpha (c . w)
  double znorm_ = 0, enorm_ = 0;    // |z|, |e|
  double rounding_ = 0;             // (dims + 16) 2^-23
};

// A row the first pass keeps for the second: where its full vector is.
struct Candidate {
  size_t chunk;   // the caller's index of the chunk
  uint32_t slot;  // the row's slot in it
  int64_t rowid;
};

// Collects the best `limit` rows by exact score, within a score bound (as
// TopK takes it) and strictly after `after` (streams). rescore > 0: the
// first pass keeps rescore * limit candidates by code score, and the second
// (rescore_candidates) scores them exactly, chunk by chunk, so each chunk's
// full vectors are read once and only for its candidates. rescore = 0
// (exact, header): scan_quantized_block scores rows exactly as it goes.
class RescoreTopK {
 public:
  RescoreTopK(size_t limit, size_t rescore, double bound, bool bound_inclusive, const Hit* after);
  bool exact() const { return exact_; }
  // Whether error bounds help: a bound, a stream or an exact search.
  bool uses_errors() const { return exact_ || bounded_ || has_after_; }
  // Rows whose code score less its error is above this cannot enter (a
  // quick first test; wants() is the whole one).
  double threshold() const { return top_.worst(); }
  // Whether a row of this code score and error could enter.
  bool wants(double code_score, double error, int64_t rowid) const;
  // A wanted row: its exact score (exact mode) ...
  void offer(const Hit& exact);
  // ... or its code score and place (first pass).
  void offer_candidate(double code_score, const Candidate& c);
  // The first pass's candidates, by chunk then slot; taken once.
  std::vector<Candidate> take_candidates();
  // Rows found so far (at most limit): in the first pass, candidates.
  size_t size() const;
  // The hits in ascending order of exact score; the collector is empty
  // afterwards.
  std::vector<Hit> take_sorted();

 private:
  bool passes(const Hit& exact) const;

  size_t limit_;
  bool exact_;
  double bound_;
  bool bound_inclusive_, bounded_, has_after_;
  Hit after_;
  TopK top_;  // exact: by exact score; else candidates by code score
  std::unordered_map<int64_t, Candidate> places_;  // candidates' places
  std::vector<Hit> rescored_;                      // second pass
};

struct RescoreScratch {
  std::vector<int32_t> sums;
  std::vector<double> code_scores;
  ScanScratch exact;
};

// The first pass over one chunk (the caller's index `chunk`): its codes, or
// those set in `mask`, if any; in exact mode also the full vectors of the
// rows the codes keep. codes and block hold the same rows.
void scan_quantized_block(const CodeScorer& codes_scorer, const Scorer& scorer, const CodeBlock& codes,
                          const Block& block, size_t chunk, const SlotMask* mask, RescoreScratch* scratch,
                          RescoreTopK* out);

// The second pass over one chunk's candidates [first, last) (all of the
// same chunk, by slot), from its full vectors.
void rescore_candidates(const Scorer& scorer, const Block& block, const Candidate* first, const Candidate* last,
                        RescoreScratch* scratch, RescoreTopK* out);

// The second pass over every candidate of the first (take_candidates()):
// block_of(chunk) gives a chunk's full vectors, asked once per chunk that
// holds candidates, in chunk order.
template <class BlockOf>
void rescore_all(const Scorer& scorer, RescoreTopK* out, RescoreScratch* scratch, BlockOf&& block_of) {
  std::vector<Candidate> candidates = out->take_candidates();
  for (size_t i = 0, j = 0; i < candidates.size(); i = j) {
    while (j < candidates.size() && candidates[j].chunk == candidates[i].chunk) ++j;
    const Block& block = block_of(candidates[i].chunk);
    rescore_candidates(scorer, block, candidates.data() + i, candidates.data() + j, scratch, out);
  }
}

}  // namespace quiver
