// The query plan chosen by xBestIndex and carried to xFilter in idxStr, as
// readable text (EXPLAIN QUERY PLAN shows it):
//
//   <mode> then one token per xFilter argument, in argv order, then
//   optionally a space and a note for the reader (ignored by xFilter)
//     mode   'F' full scan in rowid order, 'R' rowid lookup, 'K' nearest
//            neighbours of a MATCH query (k, LIMIT, range, or a stream)
//     token  <kind><op><column as 2 digits, or "--">[(collation)]
//       kind 'q' query vector      op '='
//            'k' k                 op '='
//            'p' probes            op '='
//            'l' LIMIT, 'o' OFFSET op '='
//            'd' distance bound    op '<' or 'L' (<=)
//            'r' rowid             ops as for metadata
//            'm' metadata column   op '=' '!' '<' 'L' '>' 'G' 's' (IS) 'S' (IS NOT)
//                                     'n' (IS NULL) 'N' (IS NOT NULL) 'i' (IN)
//                                     'l' (LIKE) 'g' (GLOB) 'x' (REGEXP)
//       collation: the comparison's collating sequence when not BINARY
//   e.g. "Kq=--k=--m=01(NOCASE)" : MATCH, k, and metadata column 1 = ?
//   compared with NOCASE.
// A plan in mode 'K' without a 'q' token is a query that constrains k,
// probes or distance but has no MATCH: xFilter reports it.
// No SQLite here.
#pragma once

#include <string>
#include <vector>

#include "vector.h"

namespace quiver {

// The characters are the encoding.
enum class PlanMode : char { FullScan = 'F', Rowid = 'R', Search = 'K' };

enum class ArgKind : char {
  Query = 'q',
  K = 'k',
  Probes = 'p',
  Limit = 'l',
  Offset = 'o',
  Distance = 'd',
  Rowid = 'r',
  Metadata = 'm',
};

enum class Op : char {
  Eq = '=',
  Ne = '!',
  Lt = '<',
  Le = 'L',
  Gt = '>',
  Ge = 'G',
  Is = 's',
  IsNot = 'S',
  IsNull = 'n',
  IsNotNull = 'N',
  In = 'i',
  Like = 'l',
  Glob = 'g',
  Regexp = 'x',
};

struct PlanArg {
  ArgKind kind = ArgKind::Query;
  Op op = Op::Eq;
  int column = -1;        // metadata column index (TableSpec::columns), else -1
  std::string collation;  // empty: BINARY
};

struct Plan {
  PlanMode mode = PlanMode::FullScan;
  std::vector<PlanArg> args;
  std::string note;  // shown in EXPLAIN QUERY PLAN only
};

std::string encode_plan(const Plan& plan);
// Rejects anything encode_plan would not have produced.
Status decode_plan(const char* text, Plan* out);

// Whether a collation name can travel in a plan token.
bool plan_collation_ok(const std::string& name);

// Whether SQLite checks the operator again after the table: != and IS NOT,
// which the table evaluates with BINARY whatever the collation (best_index.cpp).
inline bool rechecked_by_sqlite(Op op) { return op == Op::Ne || op == Op::IsNot; }

}  // namespace quiver
