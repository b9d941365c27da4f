// Eponymous table-valued functions whose rows are all computed in xFilter:
// small reports (diagnostics.cpp) and the tokenizer (tokens.cpp). Arguments
// are HIDDEN columns after the results, given in order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sqlite_api.h"

namespace quiver {

class Connection;

// One result cell.
struct Cell {
  enum Kind { Null, Integer, Real, Text, Vector } kind = Null;
  int64_t i = 0;
  double d = 0;
  std::string s;
  static Cell integer(int64_t v) { Cell c; c.kind = Integer; c.i = v; return c; }
  static Cell real(double v) { Cell c; c.kind = Real; c.d = v; return c; }
  static Cell text(std::string v) { Cell c; c.kind = Text; c.s = std::move(v); return c; }
  static Cell vector(const float* v, size_t n) {  // a float32 vector
    Cell c;
    c.kind = Vector;
    c.s.assign(reinterpret_cast<const char*>(v), n * 4);
    return c;
  }
};

using Rows = std::vector<std::vector<Cell>>;
using Producer = Rows (*)(Connection& connection, int argc, sqlite3_value** argv);

// An eponymous table-valued function whose rows are computed in xFilter.
struct TableFunction {
  const char* name;
  const char* schema;  // CREATE TABLE x(...) with the arguments as HIDDEN columns
  int result_columns;
  int required_args;
  int max_args;
  Producer produce;
};

// Registers f under f.name on the connection's database; f must outlive the
// connection (a static table).
int register_table_function(Connection& connection, const TableFunction& f);

}  // namespace quiver
