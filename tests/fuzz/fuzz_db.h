// What the fuzz targets share: SQL values, a connection with Quiver
// registered, and the one way a target reports a broken property (abort, so
// that libFuzzer saves the input).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "quiver.h"

namespace fuzz {

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what.c_str());
  std::abort();
}

inline void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

// A value bound to or read from SQLite; `bytes` holds text and blobs.
struct Value {
  int type = SQLITE_NULL;
  int64_t i = 0;
  double d = 0;
  std::string bytes;

  static Value integer(int64_t v) { Value x; x.type = SQLITE_INTEGER; x.i = v; return x; }
  static Value real(double v) { Value x; x.type = SQLITE_FLOAT; x.d = v; return x; }
  static Value text(std::string v) { Value x; x.type = SQLITE_TEXT; x.bytes = std::move(v); return x; }
  static Value blob(std::string v) { Value x; x.type = SQLITE_BLOB; x.bytes = std::move(v); return x; }

  // Same type and same value (floats bit for bit, so -0.0 != 0.0).
  bool operator==(const Value& o) const {
    if (type != o.type) return false;
    switch (type) {
      case SQLITE_INTEGER: return i == o.i;
      case SQLITE_FLOAT: return std::memcmp(&d, &o.d, sizeof d) == 0;
      case SQLITE_TEXT:
      case SQLITE_BLOB: return bytes == o.bytes;
      default: return true;
    }
  }
  bool operator!=(const Value& o) const { return !(*this == o); }
};
using Row = std::vector<Value>;
using Rows = std::vector<Row>;

std::string show(const Value& v);
std::string show(const Rows& rows);

// The result of one statement: rc is SQLITE_OK (rows complete) or the error.
struct Result {
  int rc = SQLITE_OK;
  std::string error;
  Rows rows;
  bool ok() const { return rc == SQLITE_OK; }
};

class Db {
 public:
  // Opens `path` (a URI is allowed) and registers Quiver on it.
  explicit Db(const char* path = ":memory:");
  ~Db() { sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }
  // Runs the first statement of `sql` with `params` bound as ?1, ?2, ...
  Result run(const std::string& sql, const std::vector<Value>& params = {});
  // Same, for statements that cannot fail on any input.
  Rows must(const std::string& sql, const std::vector<Value>& params = {});

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace fuzz
