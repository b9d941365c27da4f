// Small helpers over the SQLite C API shared by the tests, the stress
// programs and the fuzz targets: values read back from statements, one call to
// run a statement and collect its rows, identifier quoting. Nothing here
// depends on Catch, so the stress programs and fuzz targets can use it too.
#pragma once

#include <sqlite3.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace quiver_test {

using Bytes = std::vector<unsigned char>;

// One SQL value, copied out of a statement.
struct Value {
  int type = SQLITE_NULL;
  int64_t i = 0;
  double d = 0;
  std::string s;  // text, or the bytes of a blob

  static Value null() { return Value{}; }
  static Value integer(int64_t x) {
    Value v;
    v.type = SQLITE_INTEGER;
    v.i = x;
    return v;
  }
  static Value real(double x) {
    Value v;
    v.type = SQLITE_FLOAT;
    v.d = x;
    return v;
  }
  static Value text(std::string x) {
    Value v;
    v.type = SQLITE_TEXT;
    v.s = std::move(x);
    return v;
  }
  static Value blob(std::string bytes) {
    Value v;
    v.type = SQLITE_BLOB;
    v.s = std::move(bytes);
    return v;
  }
  static Value blob(const Bytes& b) { return blob(std::string(b.begin(), b.end())); }

  // An integer or a real as a double (distances may come back as either).
  double number() const { return type == SQLITE_INTEGER ? static_cast<double>(i) : d; }

  bool operator==(const Value& o) const {
    if (type != o.type) return false;
    switch (type) {
      case SQLITE_INTEGER: return i == o.i;
      case SQLITE_FLOAT: return d == o.d;
      case SQLITE_TEXT:
      case SQLITE_BLOB: return s == o.s;
      default: return true;
    }
  }
  bool operator!=(const Value& o) const { return !(*this == o); }
};

using Row = std::vector<Value>;
using Rows = std::vector<Row>;

// For failure messages: a blob as hex, its first `blob_bytes` bytes.
inline std::string show(const Value& v, size_t blob_bytes = 12) {
  char buf[40];
  switch (v.type) {
    case SQLITE_INTEGER: return std::to_string(v.i);
    case SQLITE_FLOAT: std::snprintf(buf, sizeof buf, "%.17g", v.d); return buf;
    case SQLITE_TEXT: return "'" + v.s + "'";
    case SQLITE_BLOB: {
      static const char digits[] = "0123456789ABCDEF";
      std::string out = "X'";
      for (size_t i = 0; i < v.s.size() && i < blob_bytes; ++i) {
        unsigned char c = static_cast<unsigned char>(v.s[i]);
        out += digits[c >> 4];
        out += digits[c & 15];
      }
      return out + (v.s.size() > blob_bytes ? "...'" : "'") + "(" + std::to_string(v.s.size()) + " bytes)";
    }
    default: return "NULL";
  }
}

// Rows [from, from + limit), each with its index.
inline std::string show(const Rows& rows, size_t from = 0, size_t limit = 20, size_t blob_bytes = 12) {
  std::string out = std::to_string(rows.size()) + " rows";
  for (size_t r = from; r < rows.size() && r - from < limit; ++r) {
    out += "\n  [" + std::to_string(r) + "]";
    for (const Value& v : rows[r]) out += " " + show(v, blob_bytes);
  }
  return out;
}

inline int bind_value(sqlite3_stmt* stmt, int slot, const Value& p) {
  switch (p.type) {
    case SQLITE_INTEGER: return sqlite3_bind_int64(stmt, slot, p.i);
    case SQLITE_FLOAT: return sqlite3_bind_double(stmt, slot, p.d);
    case SQLITE_TEXT: return sqlite3_bind_text64(stmt, slot, p.s.data(), p.s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    case SQLITE_BLOB: return sqlite3_bind_blob64(stmt, slot, p.s.data(), p.s.size(), SQLITE_TRANSIENT);
    default: return sqlite3_bind_null(stmt, slot);
  }
}

// Binds params to ?1, ?2, ...; the first failing result code, or SQLITE_OK.
inline int bind_values(sqlite3_stmt* stmt, const std::vector<Value>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    int rc = bind_value(stmt, static_cast<int>(i + 1), params[i]);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

// Binds every param it can; a slot that fails (one the statement lacks, a
// value over SQLite's length limit) stays NULL.
inline void bind_values_leniently(sqlite3_stmt* stmt, const std::vector<Value>& params) {
  for (size_t i = 0; i < params.size(); ++i) bind_value(stmt, static_cast<int>(i + 1), params[i]);
}

inline Row read_row(sqlite3_stmt* stmt) {
  int n = sqlite3_column_count(stmt);
  Row row(static_cast<size_t>(n));
  for (int c = 0; c < n; ++c) {
    Value& v = row[static_cast<size_t>(c)];
    v.type = sqlite3_column_type(stmt, c);
    switch (v.type) {
      case SQLITE_INTEGER: v.i = sqlite3_column_int64(stmt, c); break;
      case SQLITE_FLOAT: v.d = sqlite3_column_double(stmt, c); break;
      case SQLITE_TEXT:
      case SQLITE_BLOB: {
        const void* p = v.type == SQLITE_TEXT ? static_cast<const void*>(sqlite3_column_text(stmt, c))
                                               : sqlite3_column_blob(stmt, c);
        size_t bytes = static_cast<size_t>(sqlite3_column_bytes(stmt, c));
        if (p) v.s.assign(static_cast<const char*>(p), bytes);
        break;
      }
      default: break;
    }
  }
  return row;
}

// What running one statement gave: its rows, or its error.
struct Result {
  int rc = SQLITE_OK;  // extended result code of the failure
  std::string error;
  Rows rows;
  bool ok() const { return rc == SQLITE_OK; }
  int primary() const { return rc & 0xff; }
};

// What run() does when a parameter cannot be bound: fail the statement, or
// run it with the slot left NULL.
enum class OnBindError { Fail, Ignore };

inline Result run(sqlite3* db, const std::string& sql, const std::vector<Value>& params = {},
                  OnBindError on_bind_error = OnBindError::Fail) {
  Result out;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  if (rc == SQLITE_OK && on_bind_error == OnBindError::Fail) rc = bind_values(stmt, params);
  if (rc == SQLITE_OK && on_bind_error == OnBindError::Ignore) bind_values_leniently(stmt, params);
  if (rc == SQLITE_OK && stmt) {  // no statement (only spaces or comments) does nothing
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) out.rows.push_back(read_row(stmt));
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  if (rc != SQLITE_OK) {
    out.rc = sqlite3_extended_errcode(db);
    if ((out.rc & 0xff) != (rc & 0xff)) out.rc = rc;
    out.error = sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  return out;
}

// SQL identifier quoting: "name" with inner quotes doubled.
inline std::string quote_id(const std::string& name) {
  std::string q = "\"";
  for (char c : name) {
    q += c;
    if (c == '"') q += '"';
  }
  return q + "\"";
}

}  // namespace quiver_test
