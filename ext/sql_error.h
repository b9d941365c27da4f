// Errors inside the virtual tables travel as exceptions and are turned into
// an SQLite result code and message at each module entry point (guard), so
// the code in between reads straight through. std::bad_alloc is SQLITE_NOMEM.
#pragma once

#include <stdexcept>
#include <string>

#include "sqlite_api.h"

namespace quiver {

class SqlError : public std::runtime_error {
 public:
  SqlError(int rc, const std::string& message) : std::runtime_error(message), rc_(rc) {}
  int rc() const { return rc_; }

 private:
  int rc_;
};

// Error with a message for the user: "quiver: " + message.
[[noreturn]] inline void fail(const std::string& message, int rc = SQLITE_ERROR) {
  throw SqlError(rc, "quiver: " + message);
}

// Shadow tables that disagree with each other or are malformed.
[[noreturn]] inline void corrupt(const std::string& message) {
  throw SqlError(SQLITE_CORRUPT_VTAB, "quiver: corrupt index: " + message);
}

// Throws for an SQLite result code that is not OK/ROW/DONE, with the
// connection's message; NOMEM becomes std::bad_alloc.
void check_rc(sqlite3* db, int rc);

// False when the message cannot be allocated (the error is then SQLITE_NOMEM).
inline bool set_error(sqlite3_vtab* vtab, const char* message) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", message);
  return vtab->zErrMsg != nullptr;
}

// Runs `body` at a module entry point, turning exceptions into an SQLite
// code and the table's error message: none crosses into SQLite.
template <class Body>
int guard(sqlite3_vtab* vtab, Body&& body) noexcept {
  try {
    return body();
  } catch (const SqlError& e) {
    if (vtab && !set_error(vtab, e.what())) return SQLITE_NOMEM;
    return e.rc();
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  } catch (const std::exception& e) {
    if (vtab && !set_error(vtab, e.what())) return SQLITE_NOMEM;
    return SQLITE_ERROR;
  } catch (...) {
    return SQLITE_ERROR;
  }
}

}  // namespace quiver
