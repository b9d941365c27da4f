// A connection for the Catch suites, Quiver registered: statements that must
// succeed (their rows, or the one value they give) or must fail (the message),
// each failure reported with its SQL; and values printed in Catch's messages.
// Built on sql.h; suites add their own helpers by deriving.
#pragma once

#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "quiver.h"
#include "sql.h"

namespace quiver_test {

class Db {
 public:
  // A busy timeout lets two connections to one file wait for each other's
  // locks; without Quiver, for tests of how it gets registered.
  explicit Db(const std::string& path = ":memory:", int busy_timeout_ms = 0, bool register_quiver = true,
              OnBindError on_bind_error = OnBindError::Fail)
      : on_bind_error_(on_bind_error) {
    REQUIRE(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) == SQLITE_OK);
    if (register_quiver) REQUIRE(quiver_register(db_) == SQLITE_OK);
    if (busy_timeout_ms > 0) sqlite3_busy_timeout(db_, busy_timeout_ms);
  }
  ~Db() { sqlite3_close_v2(db_); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() const { return db_; }

  // One statement: its rows, or its error.
  Result run(const std::string& sql, const std::vector<Value>& params = {}) const {
    return quiver_test::run(db_, sql, params, on_bind_error_);
  }

  // Every statement of `sql` must succeed.
  void exec(const std::string& sql) const {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    std::string message = err ? err : "";
    sqlite3_free(err);
    INFO("sql: " << sql.substr(0, 400));
    REQUIRE(message == "");
    REQUIRE(rc == SQLITE_OK);
  }
  // One statement with its parameters must succeed.
  void exec(const std::string& sql, const std::vector<Value>& params) const { query(sql, params); }

  Rows query(const std::string& sql, const std::vector<Value>& params = {}) const {
    Result r = run(sql, params);
    INFO("sql: " << sql << "\nerror: " << r.error);
    REQUIRE(r.ok());
    return r.rows;
  }

  // One row whose first value is an integer.
  int64_t integer(const std::string& sql, const std::vector<Value>& params = {}) const {
    return one(sql, params, SQLITE_INTEGER).i;
  }
  // One row whose first value is text.
  std::string text(const std::string& sql, const std::vector<Value>& params = {}) const {
    return one(sql, params, SQLITE_TEXT).s;
  }

  // Requires failure; the message.
  std::string error(const std::string& sql, const std::vector<Value>& params = {}) const {
    Result r = run(sql, params);
    INFO("sql: " << sql << "\nrows: " << show(r.rows));
    REQUIRE_FALSE(r.ok());
    return r.error;
  }

 private:
  Value one(const std::string& sql, const std::vector<Value>& params, int type) const {
    Rows rows = query(sql, params);
    INFO("sql: " << sql << "\n" << show(rows));
    REQUIRE(rows.size() == 1);
    REQUIRE(rows[0].size() >= 1);
    REQUIRE(rows[0][0].type == type);
    return rows[0][0];
  }

  sqlite3* db_ = nullptr;
  OnBindError on_bind_error_;
};

}  // namespace quiver_test

namespace Catch {

// CHECK(rows == want) prints the values, not {?}.
template <>
struct StringMaker<quiver_test::Value> {
  static std::string convert(const quiver_test::Value& v) { return quiver_test::show(v); }
};

}  // namespace Catch
