// The SQLite primitives every SQLite-facing file uses: one prepared-statement
// type, one SQL formatter, one exec. Shadow-table SQL is built in store.cpp
// only; the rest of the code formats SQL on the user's own tables and on
// SQLite's catalog.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "errors.h"
#include "sqlite_api.h"

namespace quiver {

// printf into a std::string with SQLite's %w / %Q quoting.
template <class... Args>
std::string sql_format(const char* format, Args... args) {
  char* text = sqlite3_mprintf(format, args...);
  if (!text) throw std::bad_alloc();
  std::unique_ptr<char, void (*)(void*)> owner(text, sqlite3_free);  // freed if the copy throws
  return std::string(text);
}

// "name" with SQL's identifier quoting.
std::string quote_identifier(const std::string& name);

// Runs SQL without results; throws on error.
void exec(sqlite3* db, const std::string& sql);

// Steps once: true for a row, false when done; throws on error. Shared by
// Statement and the store's cached statements.
bool step_statement(sqlite3* db, sqlite3_stmt* stmt);
void bind_int(sqlite3* db, sqlite3_stmt* stmt, int i, int64_t v);
void bind_value(sqlite3* db, sqlite3_stmt* stmt, int i, sqlite3_value* v);  // null binds NULL
void bind_text(sqlite3* db, sqlite3_stmt* stmt, int i, const std::string& v);
// The bytes must stay valid until the statement is reset.
void bind_blob(sqlite3* db, sqlite3_stmt* stmt, int i, const void* p, size_t n);

// A prepared statement, finalized when it goes. Errors throw (errors.h).
class Statement {
 public:
  Statement() = default;
  // flags: SQLITE_PREPARE_PERSISTENT for a statement kept for long.
  Statement(sqlite3* db, const std::string& sql, unsigned flags = 0);
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  explicit operator bool() const { return stmt_ != nullptr; }
  sqlite3_stmt* get() const { return stmt_; }

  // Steps once: true for a row, false when done; throws on error.
  bool step();
  // Ready to run again (bindings kept).
  void reset() { sqlite3_reset(stmt_); }

  Statement& bind(int i, int64_t v);
  Statement& bind(int i, sqlite3_value* v);  // null binds NULL
  Statement& bind(int i, const std::string& v);
  // The bytes must stay valid until the statement is reset.
  Statement& bind_blob(int i, const void* p, size_t n);

  int64_t int_at(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool null_at(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace quiver
