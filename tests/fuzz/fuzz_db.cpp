#include "fuzz_db.h"

#include <sstream>

namespace fuzz {

std::string show(const Value& v) {
  std::ostringstream o;
  switch (v.type) {
    case SQLITE_INTEGER: o << v.i; break;
    case SQLITE_FLOAT: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.d);
      o << buf;
      break;
    }
    case SQLITE_TEXT: o << "'" << v.bytes << "'"; break;
    case SQLITE_BLOB: {
      static const char digits[] = "0123456789abcdef";
      o << "x'";
      for (unsigned char c : v.bytes) o << digits[c >> 4] << digits[c & 15];
      o << "'";
      break;
    }
    default: o << "NULL";
  }
  return o.str();
}

std::string show(const Rows& rows) {
  std::ostringstream o;
  o << rows.size() << " rows";
  for (const Row& row : rows) {
    o << "\n ";
    for (const Value& v : row) o << " " << show(v);
  }
  return o.str();
}

Db::Db(const char* path) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI;
  check(sqlite3_open_v2(path, &db_, flags, nullptr) == SQLITE_OK, std::string("cannot open ") + path);
  check(quiver_register(db_) == SQLITE_OK, "quiver_register failed");
}

namespace {

void bind(sqlite3_stmt* stmt, const std::vector<Value>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    const Value& p = params[i];
    int slot = static_cast<int>(i + 1);
    switch (p.type) {
      case SQLITE_INTEGER: sqlite3_bind_int64(stmt, slot, p.i); break;
      case SQLITE_FLOAT: sqlite3_bind_double(stmt, slot, p.d); break;
      case SQLITE_TEXT: sqlite3_bind_text64(stmt, slot, p.bytes.data(), p.bytes.size(), SQLITE_TRANSIENT, SQLITE_UTF8); break;
      case SQLITE_BLOB: sqlite3_bind_blob64(stmt, slot, p.bytes.data(), p.bytes.size(), SQLITE_TRANSIENT); break;
      default: sqlite3_bind_null(stmt, slot); break;
    }
  }
}

Row read_row(sqlite3_stmt* stmt) {
  Row row(static_cast<size_t>(sqlite3_column_count(stmt)));
  for (size_t c = 0; c < row.size(); ++c) {
    int col = static_cast<int>(c);
    Value& v = row[c];
    v.type = sqlite3_column_type(stmt, col);
    switch (v.type) {
      case SQLITE_INTEGER: v.i = sqlite3_column_int64(stmt, col); break;
      case SQLITE_FLOAT: v.d = sqlite3_column_double(stmt, col); break;
      case SQLITE_TEXT:
      case SQLITE_BLOB: {
        const void* p = v.type == SQLITE_TEXT ? static_cast<const void*>(sqlite3_column_text(stmt, col))
                                              : sqlite3_column_blob(stmt, col);
        size_t n = static_cast<size_t>(sqlite3_column_bytes(stmt, col));
        if (p) v.bytes.assign(static_cast<const char*>(p), n);
        break;
      }
      default: break;
    }
  }
  return row;
}

}  // namespace

Result Db::run(const std::string& sql, const std::vector<Value>& params) {
  Result r;
  sqlite3_stmt* stmt = nullptr;
  r.rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (r.rc == SQLITE_OK && stmt) {
    bind(stmt, params);
    while ((r.rc = sqlite3_step(stmt)) == SQLITE_ROW) r.rows.push_back(read_row(stmt));
    if (r.rc == SQLITE_DONE) r.rc = SQLITE_OK;
  }
  if (r.rc != SQLITE_OK) r.error = sqlite3_errmsg(db_);
  sqlite3_finalize(stmt);
  return r;
}

Rows Db::must(const std::string& sql, const std::vector<Value>& params) {
  Result r = run(sql, params);
  check(r.ok(), sql + ": " + r.error);
  return std::move(r.rows);
}

}  // namespace fuzz
