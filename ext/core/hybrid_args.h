// The two text arguments of quiver_hybrid, parsed (see hybrid.cpp for the
// function itself):
//
//   options: `name=value` pairs separated by commas or spaces, names matched
//   exactly, each at most once:
//     rank_constant=60   the constant of reciprocal rank fusion (>= 0)
//     vector_weight=1    the weight of the vector side's ranks (> 0)
//     text_weight=1      the weight of the text side's ranks (> 0)
//     depth=N            how many rows each side ranks (default: k)
//     probes=N           IVF lists the vector side probes (default: the table's)
//
//   filter: conditions on the quiver table's metadata columns (or rowid),
//   joined by AND, each `column op value` with op one of = == != <> < <= >
//   >= LIKE GLOB, or `column IS [NOT] NULL`, `column IS [NOT] value`,
//   `column IN (value, ...)`. A value is a number, a 'quoted string' ('' for
//   a quote inside) or NULL. Only these: the filter is applied inside both
//   searches, and is never run as SQL of its own.
//
// This layer knows nothing of SQLite.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fusion.h"
#include "vector.h"

namespace quiver {

struct HybridOptions {
  FusionSettings fusion;
  int64_t depth = 0;   // 0: the default, k
  int64_t probes = 0;  // 0: the table's default
};

// Parses `text` (may be empty) into *out; depth and probes are checked
// against 1..max_depth and 1..max_probes.
Status parse_hybrid_options(const std::string& text, int64_t max_depth, int64_t max_probes, HybridOptions* out);

struct FilterValue {
  enum Kind { Null, Integer, Real, Text } kind = Null;
  int64_t i = 0;
  double d = 0;
  std::string s;
};

struct FilterCondition {
  std::string column;  // as written (unquoted)
  std::string op;      // SQL operator: = != < <= > >= LIKE GLOB IS "IS NOT" IN
  std::vector<FilterValue> values;  // one, or the list of IN
};

// Parses a filter (empty: no condition). Errors quote where it went wrong.
Status parse_hybrid_filter(const std::string& text, std::vector<FilterCondition>* out);

}  // namespace quiver
