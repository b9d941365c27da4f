// The brute force every suite checks search results against: the exact k
// nearest rows to a query, nearest first, ties by rowid, with each metric's
// distance computed from its definition in double over the vectors'
// elements. It uses none of Quiver's kernels, blocks or scans, so a fault
// in any of them shows as a disagreement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "table_spec.h"
#include "vector.h"

namespace quiver_test {

using quiver::ElementType;
using quiver::Metric;

// The metric a declaration calls `name` (cosine, dot, l2, hamming).
Metric metric_named(const std::string& name);

// A stored vector's elements as floats, exactly: int8 as integers, bits as
// 0 and 1, float16 and bfloat16 widened.
std::vector<float> elements(ElementType type, const void* data, size_t dims);

// The distance by definition, in double:
//   l2       sqrt(sum (a - b)^2)
//   cosine   1 - a.b / (|a| |b|), the cosine clamped to [-1, 1]; NaN when
//            either vector is zero (it has no direction)
//   dot      -a.b
//   hamming  the number of elements that differ
double reference_distance(Metric metric, const float* a, const float* b, size_t dims);
inline double reference_distance(Metric metric, const std::vector<float>& a, const std::vector<float>& b) {
  return reference_distance(metric, a.data(), b.data(), a.size());
}

struct Neighbour {
  int64_t rowid;
  double distance;
};

struct ReferenceRow {
  int64_t rowid;
  std::vector<float> vector;  // elements(), the query's length
};

constexpr size_t kAllRows = std::numeric_limits<size_t>::max();

// The k nearest rows to `query` (kAllRows: every row), nearest first, ties
// by rowid. A row with no distance (NaN) is never a neighbour, as in a
// search.
std::vector<Neighbour> reference_nearest(Metric metric, const std::vector<float>& query,
                                         const std::vector<ReferenceRow>& rows, size_t k = kAllRows);

}  // namespace quiver_test
