// A thin RAII layer over the SQLite C API: a connection and its prepared
// statements. Every failure becomes an AppError carrying SQLite's message.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>

// An error to show the user as it is, after "search-app: ".
struct AppError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Statement;

class Database {
 public:
  // flags: SQLITE_OPEN_READWRITE, with SQLITE_OPEN_CREATE to make the file.
  Database(const std::string& path, int flags);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  // Runs one or more statements that return no rows of interest.
  void exec(const std::string& sql);
  // The first column of the first row of a one-statement query, as an integer
  // (0 when there is no row).
  int64_t integer(const std::string& sql);
  [[noreturn]] void fail(const std::string& what) const;

 private:
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(Database& db, const char* sql);
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1, as in SQL.
  Statement& bind(int i, int64_t v);
  Statement& bind(int i, const std::string& text);
  Statement& bind_blob(int i, const void* data, int bytes);
  Statement& bind_null(int i);

  // The next row (true) or the end (false, and the statement is reset and
  // its parameters cleared, ready for the next use).
  bool step();
  // Runs a statement to its end (its rows unread).
  void run() {
    while (step()) {
    }
  }
  // Ends a statement whose remaining rows are not wanted.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  double real(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string text(int col) const;
  const void* blob(int col) const { return sqlite3_column_blob(stmt_, col); }
  int bytes(int col) const { return sqlite3_column_bytes(stmt_, col); }

 private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};
