// Parsing of CREATE VIRTUAL TABLE ... USING quiver(...) arguments.
//
// Each argument is either an option `word = value` or a column:
//   name float[N] | float16[N] | bfloat16[N] | int8[N] | bit[N] [distance=cosine|dot|l2|hamming]
//                                                                       the vector column (exactly one)
//   name text | integer | real                                          metadata: stored, filterable
//   +name text | integer | real | blob                                  auxiliary: stored, returned
// Options: index=flat|ivf, lists=N, probes=N, train=auto|manual, cache_mb=N,
// content=TABLE (external content: the vector and declared columns are read
// from that ordinary table, in the index's own schema, so the name takes no
// schema), content_rowid=COLUMN (its INTEGER PRIMARY KEY; default rowid).
// quantize=int8|bit, rescore=N.
// Names match exactly.
// This layer knows nothing of SQLite.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vector.h"

namespace quiver {

enum class Metric { Cosine, Dot, L2, Hamming };
enum class IndexKind { Flat, Ivf };
enum class Quantization : uint8_t { None, Int8, Bit };  // quantize.h
enum class ColumnType { Integer, Real, Text, Blob };

const char* metric_name(Metric m);
const char* index_kind_name(IndexKind k);
const char* column_type_name(ColumnType t);

struct ColumnSpec {
  std::string name;
  ColumnType type = ColumnType::Text;
  bool auxiliary = false;  // '+name': not filterable inside the scan
};

struct TableSpec {
  std::string vector_column;
  ElementType element_type = ElementType::Float32;
  uint32_t dims = 0;
  Metric metric = Metric::L2;
  std::vector<ColumnSpec> columns;  // metadata and auxiliary, in declaration order
  size_t vector_position = 0;       // how many of `columns` were declared before the vector column
  IndexKind index = IndexKind::Flat;
  uint32_t lists = 0;   // IVF lists; 0 = chosen from the row count
  uint32_t probes = 0;  // IVF lists probed per query; 0 = default
  bool auto_train = true;  // IVF: train=auto (at the commit of a bulk write) or manual ('rebuild' only)
  uint32_t cache_mb = 256;  // vectors cached in memory per connection, in MiB
  std::string content_table;  // content=: the ordinary table indexed; empty for none
  std::string content_rowid;  // content_rowid=: its rowid column; empty for rowid
  Quantization quantize = Quantization::None;  // codes scanned first (quantize.h)
  uint32_t rescore = 0;  // candidates re-ranked per row asked for; 0 = the default
};

// Limits on options, checked at parse time.
constexpr uint32_t kMaxLists = 1u << 16;
constexpr size_t kMaxColumns = 64;
constexpr uint32_t kMaxCacheMb = 1u << 20;
constexpr uint32_t kMaxRescore = 1024;

// Parses the module arguments (argv[3..] of xCreate). Errors name the
// offending token, e.g. `unknown option "nprobe"`.
Status parse_table_spec(const std::vector<std::string>& args, TableSpec* out);

// A table's name must not be one of its hidden columns'.
Status check_table_name(const std::string& table);

// Parses one SQL identifier (bare, "quoted", `quoted` or [quoted]) at the
// start of `text`; returns the characters consumed, 0 if none.
size_t parse_identifier(const std::string& text, std::string* name);

}  // namespace quiver
