// What the fuzz targets share: SQL values (support/sql.h), a connection with
// Quiver registered, and the one way a target reports a broken property
// (abort, so that libFuzzer saves the input).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "../support/sql.h"
#include "quiver.h"

namespace fuzz {

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz property violated: %s\n", what.c_str());
  std::abort();
}

inline void check(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

using quiver_test::Result;
using quiver_test::Row;
using quiver_test::Rows;
using quiver_test::Value;

// Same type and same value, floats bit for bit (so -0.0 differs from 0.0,
// unlike Value's ==).
bool same(const Value& a, const Value& b);
bool same(const Rows& a, const Rows& b);

// Every byte of a blob: the message alone shows what differed.
inline std::string show(const Value& v) { return quiver_test::show(v, std::numeric_limits<size_t>::max()); }
inline std::string show(const Rows& rows) {
  constexpr size_t all = std::numeric_limits<size_t>::max();
  return quiver_test::show(rows, 0, all, all);
}

class Db {
 public:
  // Opens `path` (a URI is allowed) and registers Quiver on it.
  explicit Db(const char* path = ":memory:");
  ~Db() { sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }
  // Runs the first statement of `sql` with `params` bound as ?1, ?2, ...; a
  // parameter that cannot be bound stays NULL.
  Result run(const std::string& sql, const std::vector<Value>& params = {}) {
    return quiver_test::run(db_, sql, params, quiver_test::OnBindError::Ignore);
  }
  // Same, for statements that cannot fail on any input.
  Rows must(const std::string& sql, const std::vector<Value>& params = {});

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace fuzz
