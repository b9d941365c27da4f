// Eponymous table-valued functions: one module for all of them. Arguments
// are HIDDEN columns after the results, given in order; xFilter opens the
// function's result stream, which yields rows as SQLite reads them (so a
// LIMIT stops the work early: quiver_pairs) or hands out rows computed at
// once (the small reports of diagnostics.cpp, the tokenizer, hybrid search).
#pragma once

#include <cstdint>
#include <memory>
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

// The rows of one call, read once, front to back.
class ResultStream {
 public:
  virtual ~ResultStream() = default;
  virtual bool eof() const = 0;
  virtual void next() = 0;
  // A result column of the current row (argument columns are NULL).
  virtual void column(sqlite3_context* ctx, int column) const = 0;
  virtual int64_t rowid() const = 0;
};

// Rows computed at once, as a stream; rowids count from 1.
std::unique_ptr<ResultStream> stream_of(Rows rows);

using Producer = std::unique_ptr<ResultStream> (*)(Connection& connection, int argc, sqlite3_value** argv);

// The producer of a function whose rows are computed at once by F.
template <Rows (*F)(Connection&, int, sqlite3_value**)>
std::unique_ptr<ResultStream> computed(Connection& connection, int argc, sqlite3_value** argv) {
  return stream_of(F(connection, argc, argv));
}

// An eponymous table-valued function whose rows are computed in xFilter.
struct TableFunction {
  const char* name;
  const char* schema;  // CREATE TABLE x(...) with the arguments as HIDDEN columns
  int result_columns;
  int required_args;
  int max_args;
  Producer produce;
  // The error when a required argument is missing, after "<name>: ".
  const char* missing = "missing argument";
};

// Registers f under f.name on the connection's database; f must outlive the
// connection (a static table).
int register_table_function(Connection& connection, const TableFunction& f);

}  // namespace quiver
