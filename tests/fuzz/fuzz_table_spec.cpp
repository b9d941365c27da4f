// Fuzz target: the arguments of CREATE VIRTUAL TABLE ... USING quiver(...).
//
// The input up to its first NUL byte goes between the parentheses of a real
// CREATE VIRTUAL TABLE, so SQLite's own tokenizer splits it; the whole input,
// split at NUL bytes, goes to parse_table_spec directly, so arguments SQLite
// would never produce (unbalanced brackets, stray quotes) reach it too.
// Properties:
//   - an accepted spec is within the documented limits;
//   - a table that was created works: it takes a row in its vector column,
//     finds it again by KNN, passes 'integrity-check' before and after a
//     'rebuild', and DROP TABLE leaves no shadow table behind;
//   - no memory errors (ASan) or undefined behaviour (UBSan) on any input.
#include <string>
#include <vector>

#include "fuzz_db.h"
#include "table_spec.h"

namespace {

using fuzz::check;
using fuzz::Value;
using quiver_test::quote_id;

void check_spec(const quiver::TableSpec& spec) {
  check(!spec.vector_column.empty(), "accepted without a vector column");
  check(spec.dims >= 1 && spec.dims <= quiver::kMaxDims, "dimensions out of range");
  check(spec.element_type != quiver::ElementType::Bit || spec.dims % 8 == 0, "bit dimensions not a multiple of 8");
  check((spec.element_type == quiver::ElementType::Bit) == (spec.metric == quiver::Metric::Hamming),
        "hamming goes with bit vectors, and only with them");
  check(spec.columns.size() <= quiver::kMaxColumns, "too many columns");
  check(spec.lists <= quiver::kMaxLists && spec.probes <= quiver::kMaxLists, "lists or probes out of range");
  check(spec.index == quiver::IndexKind::Ivf || (spec.lists == 0 && spec.probes == 0), "lists on a flat index");
  check(spec.lists == 0 || spec.probes <= spec.lists, "probes above lists");
  check(spec.cache_mb <= quiver::kMaxCacheMb, "cache_mb out of range");
}

// A vector of the table's type and size, away from zero so that every metric
// accepts it: all ones.
Value ones(const std::string& type, int64_t dims) {
  if (type == "float32") {
    std::string bytes;
    for (int64_t i = 0; i < dims; ++i) bytes += std::string("\x00\x00\x80\x3f", 4);
    return Value::blob(bytes);
  }
  return Value::blob(std::string(static_cast<size_t>(type == "bit" ? dims / 8 : dims), type == "bit" ? '\xff' : '\x01'));
}

void exercise_table(fuzz::Db& db) {
  std::string type = db.must("SELECT value FROM t_config WHERE key = 'type'")[0][0].s;
  int64_t dims = std::stoll(db.must("SELECT value FROM t_config WHERE key = 'dims'")[0][0].s);
  // The vector column is the only one that takes a vector alone.
  std::string column;
  for (const fuzz::Row& c : db.must("SELECT name FROM pragma_table_info('t')")) {
    if (db.run("INSERT INTO t(rowid, " + quote_id(c[0].s) + ") VALUES (1, ?1)", {ones(type, dims)}).ok()) {
      check(column.empty(), "two columns took a vector");
      column = c[0].s;
      db.must("DELETE FROM t");
    }
  }
  check(!column.empty(), "no column takes a vector");
  db.must("INSERT INTO t(rowid, " + quote_id(column) + ") VALUES (7, ?1)", {ones(type, dims)});
  for (const char* command : {"integrity-check", "rebuild", "integrity-check"}) {
    db.must("INSERT INTO t(t) VALUES (?1)", {Value::text(command)});
    fuzz::Rows hits =
        db.must("SELECT rowid FROM t WHERE " + quote_id(column) + " MATCH ?1 AND k = 3", {ones(type, dims)});
    check(hits.size() == 1 && hits[0][0] == Value::integer(7), "the one row is not found: " + fuzz::show(hits));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);

  std::vector<std::string> args;
  for (size_t begin = 0;;) {
    size_t end = input.find('\0', begin);
    args.push_back(input.substr(begin, end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  quiver::TableSpec spec;
  if (quiver::parse_table_spec(args, &spec).ok()) check_spec(spec);

  fuzz::Db db;
  // Only the first statement is prepared: text after a ')' cannot add others.
  if (!db.run("CREATE VIRTUAL TABLE t USING quiver(" + args[0] + ")").ok()) return 0;
  exercise_table(db);
  db.must("DROP TABLE t");
  check(db.must("SELECT name FROM sqlite_master").empty(), "DROP TABLE left tables behind");
  return 0;
}
