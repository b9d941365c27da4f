#include "sqlite_db.h"

Database::Database(const std::string& path, int flags) {
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close_v2(db_);
    throw AppError("cannot open \"" + path + "\": " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::fail(const std::string& what) const { throw AppError(what + ": " + sqlite3_errmsg(db_)); }

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    throw AppError(message);
  }
}

int64_t Database::integer(const std::string& sql) {
  Statement s(*this, sql.c_str());
  int64_t v = s.step() ? s.integer(0) : 0;
  s.reset();
  return v;
}

Statement::Statement(Database& db, const char* sql) : db_(db) {
  if (sqlite3_prepare_v2(db.handle(), sql, -1, &stmt_, nullptr) != SQLITE_OK) db.fail("cannot prepare statement");
}

Statement& Statement::bind(int i, int64_t v) {
  if (sqlite3_bind_int64(stmt_, i, v) != SQLITE_OK) db_.fail("cannot bind");
  return *this;
}

Statement& Statement::bind(int i, const std::string& text) {
  if (sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT) != SQLITE_OK)
    db_.fail("cannot bind");
  return *this;
}

Statement& Statement::bind_blob(int i, const void* data, int bytes) {
  if (sqlite3_bind_blob(stmt_, i, data, bytes, SQLITE_TRANSIENT) != SQLITE_OK) db_.fail("cannot bind");
  return *this;
}

Statement& Statement::bind_null(int i) {
  if (sqlite3_bind_null(stmt_, i) != SQLITE_OK) db_.fail("cannot bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  std::string message = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_.handle());
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (rc != SQLITE_DONE) throw AppError(message);
  return false;
}

std::string Statement::text(int col) const {
  const unsigned char* s = sqlite3_column_text(stmt_, col);
  return s ? std::string(reinterpret_cast<const char*>(s), static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
