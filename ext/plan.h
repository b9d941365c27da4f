// The query plan chosen by xBestIndex and carried to xFilter in idxStr, as
// readable text (EXPLAIN QUERY PLAN shows it):
//
//   <mode> then one 4-character token per xFilter argument, in argv order:
//     mode   'F' full scan in rowid order, 'R' rowid lookup, 'K' nearest
//            neighbours of a MATCH query (k, LIMIT, range, or a stream)
//     token  <kind><op><column as 2 digits, or "--">
//       kind 'q' query vector      op '='
//            'k' k                 op '='
//            'p' probes            op '='
//            'l' LIMIT, 'o' OFFSET op '='
//            'd' distance bound    op '<' or 'L' (<=)
//            'r' rowid             ops as for metadata
//            'm' metadata column   op '=' '!' '<' 'L' '>' 'G' 's' (IS) 'S' (IS NOT)
//                                     'n' (IS NULL) 'N' (IS NOT NULL) 'i' (IN)
//   e.g. "Kq=--k=--m=01" : MATCH, k, and metadata column 1 = ?.
// No SQLite here.
#pragma once

#include <string>
#include <vector>

#include "vector.h"

namespace quiver {

enum class PlanMode : char { FullScan = 'F', Rowid = 'R', Search = 'K' };

struct PlanArg {
  char kind = 0;
  char op = 0;
  int column = -1;  // metadata column index (TableSpec::columns), else -1
};

struct Plan {
  PlanMode mode = PlanMode::FullScan;
  std::vector<PlanArg> args;
};

std::string encode_plan(const Plan& plan);
// Rejects anything encode_plan would not have produced.
Status decode_plan(const char* text, Plan* out);

}  // namespace quiver
