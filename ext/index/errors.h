// Errors below the module entry points travel as exceptions: SqlError
// carries an SQLite result code and the message for the user, and
// std::bad_alloc is SQLITE_NOMEM. ext/sql/guard.h turns them back into
// result codes where SQLite calls in, so the code in between reads straight
// through.
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

}  // namespace quiver
