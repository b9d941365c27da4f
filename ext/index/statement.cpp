#include "statement.h"

#include <new>

namespace quiver {

void check_rc(sqlite3* db, int rc) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  if (rc == SQLITE_NOMEM) throw std::bad_alloc();
  throw SqlError(rc, sqlite3_errmsg(db));
}

std::string quote_identifier(const std::string& name) {
  std::string q = "\"";
  for (char c : name) {
    q += c;
    if (c == '"') q += '"';
  }
  return q + "\"";
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string message = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    if (rc == SQLITE_NOMEM) throw std::bad_alloc();
    throw SqlError(rc, message);
  }
}

Statement::Statement(sqlite3* db, const std::string& sql, unsigned flags) : db_(db) {
  check_rc(db, sqlite3_prepare_v3(db, sql.c_str(), -1, flags, &stmt_, nullptr));
}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

bool step_statement(sqlite3* db, sqlite3_stmt* stmt) {
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  check_rc(db, sqlite3_reset(stmt));
  check_rc(db, rc);
  return false;
}

void bind_int(sqlite3* db, sqlite3_stmt* stmt, int i, int64_t v) {
  check_rc(db, sqlite3_bind_int64(stmt, i, v));
}

void bind_value(sqlite3* db, sqlite3_stmt* stmt, int i, sqlite3_value* v) {
  check_rc(db, v ? sqlite3_bind_value(stmt, i, v) : sqlite3_bind_null(stmt, i));
}

void bind_text(sqlite3* db, sqlite3_stmt* stmt, int i, const std::string& v) {
  check_rc(db, sqlite3_bind_text(stmt, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
}

void bind_blob(sqlite3* db, sqlite3_stmt* stmt, int i, const void* p, size_t n) {
  check_rc(db, sqlite3_bind_blob64(stmt, i, p, n, SQLITE_STATIC));
}

bool Statement::step() { return step_statement(db_, stmt_); }

Statement& Statement::bind(int i, int64_t v) {
  bind_int(db_, stmt_, i, v);
  return *this;
}

Statement& Statement::bind(int i, sqlite3_value* v) {
  bind_value(db_, stmt_, i, v);
  return *this;
}

Statement& Statement::bind(int i, const std::string& v) {
  bind_text(db_, stmt_, i, v);
  return *this;
}

Statement& Statement::bind_blob(int i, const void* p, size_t n) {
  quiver::bind_blob(db_, stmt_, i, p, n);
  return *this;
}

}  // namespace quiver
