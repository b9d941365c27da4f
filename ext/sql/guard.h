// The one exception barrier: every entry point SQLite calls (module methods,
// table functions) runs its body through guard(), which turns the
// exceptions of errors.h into an SQLite code and the table's error message,
// so none crosses into SQLite. std::bad_alloc is SQLITE_NOMEM.
#pragma once

#include <new>
#include <stdexcept>

#include "errors.h"

namespace quiver {

// False when the message cannot be allocated (the error is then SQLITE_NOMEM).
inline bool set_error(sqlite3_vtab* vtab, const char* message) {
  sqlite3_free(vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf("%s", message);
  return vtab->zErrMsg != nullptr;
}

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
