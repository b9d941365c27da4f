// Checks one answer of the quiver table (rows and distances, in the order
// returned) against a brute-force reference computed over the same rows.
//
// The reference holds every row the query's filters let through, with its
// distance from the SQL distance functions, sorted by (distance, rowid). The
// answer the query should give is the slice [offset, offset + limit) of the
// reference rows within the distance bound. Where scores are exact (integer
// valued vectors under l2, dot or hamming) the answer must be exactly that;
// where they are rounded (cosine) distances may differ by `tolerance`, and
// near-ties may come in either order or fall either side of the bound.
// An approximate index (IVF probing fewer than all lists) only promises real
// rows with their right distances, and k rows whenever k rows pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace fuzz {

struct Scored {
  int64_t rowid;
  double distance;
};

struct Expectation {
  std::vector<Scored> reference;  // sorted by (distance, rowid)
  size_t offset = 0;
  size_t limit = std::numeric_limits<size_t>::max();
  bool bounded = false;  // distance < bound (or <= if inclusive)
  double bound = 0;
  bool inclusive = false;
  double tolerance = 0;  // 0: exact scores
  bool exact = true;     // false: approximate index
  bool ordered = true;   // the answer comes in distance order
};

// Aborts, describing `query`, when the answer breaks the expectation.
void check_answer(const std::vector<Scored>& answer, const Expectation& e, const std::string& query);

}  // namespace fuzz
